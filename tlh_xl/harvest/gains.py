"""Gain harvesting: realize long-term gains while they are taxed at 0%."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from ..money import ZERO
from ..rulebook.model import Rules
from ..tax.compute import evaluate
from .inputs import ResolvedProfile
from .positions import PositionTable
from .sales import GAIN_LOSS, QUANTUM, SaleRow, SaleWriter, sale_amounts

__all__ = ["harvest_gains"]


def harvest_gains(
    rules: Rules,
    rp: ResolvedProfile,
    positions: PositionTable,
    sold: set[int],
    writer: SaleWriter,
) -> list[SaleRow]:
    """Realize long-term gains while they add no tax and use up no carryforward.

    ``sold`` holds the rows of the loss sales; ``writer`` holds the return after them,
    and the gain sales are added to it.
    """
    lots = positions.lots
    unrealized, term = positions.unrealized, positions.term
    pool = [
        i
        for i, u in enumerate(unrealized)
        if u is not None
        and u > 0
        and term[i] == "long"
        and i not in sold
        and not lots.exclude[i]
        and not lots.is_nft(i)
    ]
    if not pool:
        return []
    running = writer.inputs
    e0 = evaluate(rules, running)

    def free(gain: Decimal) -> bool:
        e = evaluate(rules, replace(running, lt_gain=running.lt_gain + gain))
        return e.total_tax <= e0.total_tax and e.carryforward_out >= e0.carryforward_out

    gain_of = [unrealized[i] or ZERO for i in pool]
    total = sum(gain_of, ZERO)
    lo, hi = 0, int(total * 100)  # cents
    while lo < hi:  # largest amount that is still free
        mid = (lo + hi + 1) // 2
        if free(Decimal(mid) / 100):
            lo = mid
        else:
            hi = mid - 1
    room = Decimal(lo) / 100
    out: list[SaleRow] = []
    realized = ZERO
    mv = positions.market_value
    # Least proceeds (so least fees) per dollar of gain first.
    for i in sorted(pool, key=lambda i: (mv[i] or ZERO) / (unrealized[i] or Decimal(1))):
        if realized >= room:
            break
        gain_now = unrealized[i]
        price = positions.price[i]
        assert gain_now is not None and price is not None
        quantity = lots.quantity[i]
        fraction = min(Decimal(1), (room - realized) / gain_now)
        # Round the quantity down, so the gain stays inside the free room.
        qty = quantity if fraction >= 1 else (quantity * fraction).quantize(QUANTUM)
        if qty <= 0:
            break
        _, gross, basis = sale_amounts(lots, i, price, qty / quantity)
        gain = gross - writer.selling_fee(gross) - basis  # as the sale record will have it
        if not free(realized + gain):  # cent rounding pushed it over: stop here
            break
        sale = writer.sell(positions, i, qty / quantity)
        out.append(sale)
        realized += sale[GAIN_LOSS]
    return out
