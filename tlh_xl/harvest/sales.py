"""Sale records: from a lot and the share to sell, to the row an accountant needs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from ..domain.assets import RULE_KEYS
from ..domain.disposition import Disposition, is_collectible
from ..money import ZERO, cents, format_usd
from ..rulebook.model import Rules
from ..tax.compute import TaxInputs
from .inputs import ResolvedProfile
from .lots import Lot
from .notes import RunningReturn
from .positions import Position

__all__ = ["QUANTUM", "Sale", "SaleWriter", "rebuy_date", "sale_amounts"]

QUANTUM = Decimal("0.00000001")  # quantities to 8 decimals (one satoshi)


@dataclass(slots=True)  # built once per sale: slots, not frozen, for speed
class Sale(Disposition):
    """A planned disposition, with what the plan adds: buying back, and why.

    ``proceeds`` are net of the selling fee and ``gain_loss`` is proceeds − basis, as on
    Form 8949. The rebuy fee is a cost of the plan (it adds to the new lot's basis), not
    of this sale; ``fees`` is both, the cash the trade costs.
    """

    rebuy_fee: Decimal = ZERO
    rebuy_on: dt.date | None = None
    note: str = ""

    @property
    def fees(self) -> Decimal:
        return self.selling_costs + self.rebuy_fee

    @property
    def sell_date(self) -> dt.date:
        return self.sold

    @property
    def sell_quantity(self) -> Decimal:
        return self.quantity


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


def sale_amounts(lot: Lot, price: Decimal, fraction: Decimal) -> tuple[Decimal, Decimal, Decimal]:
    """(quantity, gross proceeds, basis) for selling a share of a lot, in satoshis and
    cents. Gross: before the selling fee (``SaleWriter.selling_fee``)."""
    if fraction >= 1:
        qty = lot.quantity
    else:
        # Round the quantity up so the loss reached is at least the optimizer's amount.
        qty = min(lot.quantity, (lot.quantity * fraction).quantize(QUANTUM, ROUND_CEILING))
    if qty == lot.quantity:
        return qty, cents(qty * price), lot.cost_basis
    return qty, cents(qty * price), cents(lot.cost_basis * qty / lot.quantity)


class SaleWriter:
    """Writes sale records in order, each noted against the return the sales before it
    left (``notes.RunningReturn``). ``inputs`` is this year's return after them.

    A plan can hold tens of thousands of sales, so what is the same for many of them
    (the rebuy date and caveat of an asset, a date as text) is worked out once.
    """

    def __init__(self, rules: Rules, rp: ResolvedProfile, start: TaxInputs):
        self.rules, self.rp = rules, rp
        self.running = RunningReturn(rules, start)
        self._rebuy: dict[tuple[str, str], tuple[dt.date | None, str]] = {}
        self._long_term_note: dict[dt.date, str] = {}
        self._fee_rate = rp.fee_rate

    def selling_fee(self, gross: Decimal) -> Decimal:
        """The fee of one trade of ``gross`` dollars (each side of a sale and rebuy)."""
        return cents(self._fee_rate * gross)

    @property
    def inputs(self) -> TaxInputs:
        return self.running.inputs

    def sell(self, p: Position, fraction: Decimal) -> Sale:
        lot = p.lot
        assert p.price is not None and p.market_value is not None
        if fraction >= 1:  # the whole lot: its market value is the gross proceeds
            qty, gross, basis = lot.quantity, p.market_value, lot.cost_basis
        else:
            qty, gross, basis = sale_amounts(lot, p.price, fraction)
        key = (lot.asset_class, lot.asset)
        rebuy = self._rebuy.get(key)
        if rebuy is None:
            rebuy = self._rebuy[key] = rebuy_date(self.rules, lot, self.rp)
        rebuy_on, rebuy_note = rebuy
        selling_fee = self.selling_fee(gross)
        rebuy_fee = selling_fee if rebuy_on is not None else ZERO  # the same units back
        proceeds = gross - selling_fee
        gain = proceeds - basis
        short = p.term == "short"
        notes = [self.running.add(p.term, gain, is_collectible(p.term, lot.asset_class))]
        if qty < lot.quantity:
            notes.append(f"sell {qty.normalize():f} of {lot.quantity.normalize():f}")
        if selling_fee:
            notes.append(f"proceeds net of the {format_usd(selling_fee)} selling fee")
        if short:
            when = self._long_term_note.get(p.long_term_on)
            if when is None:
                when = self._long_term_note[p.long_term_on] = f"turns long-term on {p.long_term_on}"
            notes.append(when)
        if p.price == 0:
            notes.append(
                "worthless: sell or exchange it for a token amount; "
                "abandoning it gives no deduction"
            )
        if rebuy_note:
            notes.append(rebuy_note)
        return Sale(
            lot.lot_id,
            lot.asset,
            lot.asset_class,
            lot.wallet,
            lot.tx_id,
            lot.acquired,
            self.rp.as_of_date,
            qty,
            proceeds,
            basis,
            gain,
            p.term,
            selling_fee,
            (),
            rebuy_fee,
            rebuy_on,
            "; ".join(notes),
        )
