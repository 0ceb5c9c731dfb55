"""Sale records: from a lot and the share to sell, to the row an accountant needs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from ..money import ZERO, cents
from ..rulebook.model import Rules
from ..tax.compute import TaxInputs
from .inputs import RULE_KEYS, Lot, ResolvedProfile
from .notes import describe_sale
from .positions import Position

__all__ = ["QUANTUM", "Sale", "make_sale", "rebuy_date", "shifted"]

QUANTUM = Decimal("0.00000001")  # quantities to 8 decimals (one satoshi)


@dataclass(slots=True)  # built once per lot: slots, not frozen, for speed
class Sale:
    lot_id: str
    asset: str
    wallet: str
    tx_id: str
    acquired: dt.date
    sell_date: dt.date
    sell_quantity: Decimal
    proceeds: Decimal
    cost_basis: Decimal
    gain_loss: Decimal
    term: str  # "Short-term" / "Long-term"
    fees: Decimal
    rebuy_on: dt.date | None
    note: str


def rebuy_date(rules: Rules, lot: Lot, rp: ResolvedProfile) -> tuple[dt.date | None, str]:
    if lot.is_nft:
        return None, "NFT: cannot be bought back"
    if not rp.rebuy:
        return None, ""
    wash = getattr(rules.wash_sale.asset_classes, RULE_KEYS[lot.asset_class])
    if wash.applies:
        until = rp.as_of_date + dt.timedelta(days=wash.window_days)
        return until + dt.timedelta(days=1), (
            f"{lot.asset_class}: wash-sale window until {until}; do not buy {lot.asset} "
            "or a substantially identical asset before then"
        )
    wait = dt.timedelta(hours=rules.rebuy.wait_hours)
    days = wait.days + (1 if wait.seconds else 0)
    return rp.as_of_date + dt.timedelta(days=days), ""


def _sell(lot: Lot, price: Decimal, fraction: Decimal) -> tuple[Decimal, Decimal, Decimal]:
    """(quantity, proceeds, basis) for selling a share of a lot, in satoshis and cents."""
    if fraction >= 1:
        qty = lot.quantity
    else:
        # Round the quantity up so the loss reached is at least the optimizer's amount.
        qty = min(lot.quantity, (lot.quantity * fraction).quantize(QUANTUM, ROUND_CEILING))
    if qty == lot.quantity:
        return qty, cents(qty * price), lot.cost_basis
    return qty, cents(qty * price), cents(lot.cost_basis * qty / lot.quantity)


def shifted(x: TaxInputs, st: Decimal, lt: Decimal) -> TaxInputs:
    # Built directly: dataclasses.replace costs more than the rest of a sale record.
    return TaxInputs(
        x.filing_status,
        x.ordinary_income,
        x.st_gain + st,
        x.lt_gain + lt,
        x.qualified_dividends,
        x.collectibles_gain,
        x.deduction,
        x.st_carryforward,
        x.lt_carryforward,
    )


def make_sale(
    rules: Rules, rp: ResolvedProfile, p: Position, fraction: Decimal, running: TaxInputs
) -> tuple[Sale, TaxInputs]:
    """The sale record, and the running tax inputs with its gain or loss added."""
    lot = p.lot
    assert p.price is not None
    qty, proceeds, basis = _sell(lot, p.price, fraction)
    rebuy_on, rebuy_note = rebuy_date(rules, lot, rp)
    rebought = rebuy_on is not None
    fees = cents(rp.fee_rate * proceeds * (2 if rebought else 1))
    gain = proceeds - basis
    short = p.term == "short"
    after = shifted(running, gain, ZERO) if short else shifted(running, ZERO, gain)
    notes = [describe_sale(rules, running, after, short, gain)]
    if qty < lot.quantity:
        notes.append(f"sell {qty.normalize():f} of {lot.quantity.normalize():f}")
    if short:
        notes.append(f"turns long-term on {p.long_term_on}")
    if p.price == 0:
        notes.append(
            "worthless: sell or exchange it for a token amount; abandoning it gives no deduction"
        )
    if rebuy_note:
        notes.append(rebuy_note)
    sale = Sale(
        lot_id=lot.lot_id,
        asset=lot.asset,
        wallet=lot.wallet,
        tx_id=lot.tx_id,
        acquired=lot.acquired,
        sell_date=rp.as_of_date,
        sell_quantity=qty,
        proceeds=proceeds,
        cost_basis=basis,
        gain_loss=gain,
        term="Short-term" if short else "Long-term",
        fees=fees,
        rebuy_on=rebuy_on,
        note="; ".join(notes),
    )
    return sale, after
