"""Gain harvesting: realize long-term gains while they are taxed at 0%."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal

from ..money import ZERO
from ..rulebook.model import Rules
from ..tax.compute import evaluate
from .inputs import ResolvedProfile
from .positions import Position
from .sales import QUANTUM, Sale, SaleWriter, sale_amounts

__all__ = ["harvest_gains"]


def harvest_gains(
    rules: Rules,
    rp: ResolvedProfile,
    positions: Sequence[Position],
    sold: set[str],
    writer: SaleWriter,
) -> list[Sale]:
    """Realize long-term gains while they add no tax and use up no carryforward.

    ``writer`` holds the return after the loss sales; the gain sales are added to it.
    """
    pool = [
        p
        for p in positions
        if p.lot.lot_id not in sold
        and not p.lot.exclude
        and not p.lot.is_nft
        and p.term == "long"
        and p.unrealized is not None
        and p.unrealized > 0
    ]
    if not pool:
        return []
    running = writer.inputs
    e0 = evaluate(rules, running)

    def free(gain: Decimal) -> bool:
        e = evaluate(rules, replace(running, lt_gain=running.lt_gain + gain))
        return e.total_tax <= e0.total_tax and e.carryforward_out >= e0.carryforward_out

    total = sum((p.unrealized for p in pool if p.unrealized is not None), ZERO)
    lo, hi = 0, int(total * 100)  # cents
    while lo < hi:  # largest amount that is still free
        mid = (lo + hi + 1) // 2
        if free(Decimal(mid) / 100):
            lo = mid
        else:
            hi = mid - 1
    room = Decimal(lo) / 100
    out: list[Sale] = []
    realized = ZERO
    # Least proceeds (so least fees) per dollar of gain first.
    for p in sorted(pool, key=lambda p: (p.market_value or ZERO) / (p.unrealized or Decimal(1))):
        if realized >= room:
            break
        assert p.unrealized is not None
        fraction = min(Decimal(1), (room - realized) / p.unrealized)
        # Round the quantity down, so the gain stays inside the free room.
        qty = p.lot.quantity if fraction >= 1 else (p.lot.quantity * fraction).quantize(QUANTUM)
        if qty <= 0:
            break
        assert p.price is not None
        _, gross, basis = sale_amounts(p.lot, p.price, qty / p.lot.quantity)
        gain = gross - writer.selling_fee(gross) - basis  # as the sale record will have it
        if not free(realized + gain):  # cent rounding pushed it over: stop here
            break
        sale = writer.sell(p, qty / p.lot.quantity)
        out.append(sale)
        realized += sale.gain_loss
    return out
