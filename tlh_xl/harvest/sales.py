"""Sale records: from a lot and the share to sell, to the row an accountant needs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from decimal import ROUND_CEILING, Decimal
from operator import add, itemgetter
from typing import Any

from ..domain.assets import NFT_CLASSES, RULE_KEYS, AssetClass
from ..domain.disposition import Disposition, is_collectible
from ..money import ZERO, cents, format_usd
from ..rulebook.model import Rules
from ..tax.compute import TaxInputs
from .inputs import ResolvedProfile
from .lot_table import LotTable
from .notes import RunningReturn
from .positions import PositionTable

__all__ = ["QUANTUM", "Sale", "SaleRow", "SaleTable", "SaleWriter", "rebuy_date", "sale_amounts"]

QUANTUM = Decimal("0.00000001")  # quantities to 8 decimals (one satoshi)


@dataclass(slots=True)  # the public record; the plan keeps its sales as rows
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


# A sale as the plan keeps it: ``Sale``'s fields in order, in a plain tuple. Tuples of
# text, numbers and dates are untracked by the garbage collector after its first look,
# so 66,000 sales cost its full passes nothing; a ``Sale`` is made when asked for.
SaleRow = tuple[Any, ...]
SALE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Sale))
_AT = {name: i for i, name in enumerate(SALE_FIELDS)}
GAIN_LOSS = _AT["gain_loss"]


@dataclass(frozen=True, slots=True)
class SaleTable:
    """The plan's sales, in order: one ``SaleRow`` each."""

    rows: list[SaleRow]

    def __len__(self) -> int:
        return len(self.rows)

    def records(self) -> list[Sale]:
        return [Sale(*row) for row in self.rows]

    def column(self, source: str) -> list[Any]:
        """The values of a ``Sale`` field or property (an output column's ``source``)."""
        if source == "fees":  # Sale.fees, without a Sale per row
            return list(map(add, self.column("selling_costs"), self.column("rebuy_fee")))
        if source in _AT:
            return list(map(itemgetter(_AT[source]), self.rows))
        return [getattr(sale, source) for sale in self.records()]


def rebuy_date(
    rules: Rules, asset_class: AssetClass, asset: str, rp: ResolvedProfile
) -> tuple[dt.date | None, str]:
    if asset_class in NFT_CLASSES:
        return None, "NFT: cannot be bought back"
    if not rp.rebuy:
        return None, ""
    wash = getattr(rules.wash_sale.asset_classes, RULE_KEYS[asset_class])
    if wash.applies:
        until = rp.as_of_date + dt.timedelta(days=wash.window_days)
        return until + dt.timedelta(days=1), (
            f"{asset_class}: wash-sale window until {until}; do not buy {asset} "
            "or a substantially identical asset before then"
        )
    wait = dt.timedelta(hours=rules.rebuy.wait_hours)
    days = wait.days + (1 if wait.seconds else 0)
    return rp.as_of_date + dt.timedelta(days=days), ""


def sale_amounts(
    lots: LotTable, i: int, price: Decimal, fraction: Decimal
) -> tuple[Decimal, Decimal, Decimal]:
    """(quantity, gross proceeds, basis) for selling a share of lot ``i``, in satoshis
    and cents. Gross: before the selling fee (``SaleWriter.selling_fee``)."""
    quantity, basis = lots.quantity[i], lots.cost_basis[i]
    if fraction >= 1:
        qty = quantity
    else:
        # Round the quantity up so the loss reached is at least the optimizer's amount.
        qty = min(quantity, (quantity * fraction).quantize(QUANTUM, ROUND_CEILING))
    if qty == quantity:
        return qty, cents(qty * price), basis
    return qty, cents(qty * price), cents(basis * qty / quantity)


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

    def sell(self, table: PositionTable, i: int, fraction: Decimal) -> SaleRow:
        """The sale of share ``fraction`` of position ``i``."""
        return self.sell_all(table, [i], {i: fraction})[0]

    def sell_all(
        self, table: PositionTable, rows: list[int], fractions: dict[int, Decimal]
    ) -> list[SaleRow]:
        """The sales of positions ``rows``, in that order, each of its share in
        ``fractions``. One loop with what it reads bound to local names: a plan can
        write 66,000 sales, and attribute lookups were most of a sale's cost (measured
        against building the rows column by column, this is the faster)."""
        lots = table.lots
        lot_ids, assets, classes, wallets, tx_ids, acquired = (
            lots.lot_id,
            lots.asset,
            lots.asset_class,
            lots.wallet,
            lots.tx_id,
            lots.acquired,
        )
        quantities, bases = lots.quantity, lots.cost_basis
        prices, values, terms, long_on = (
            table.price,
            table.market_value,
            table.term,
            table.long_term_on,
        )
        long_term_notes, add, rebuy_of = self._long_term_note, self.running.add, self._rebuy_of
        dust, dust_note = table.dust, (None, self._dust_note())
        rate, sold_on = self._fee_rate, self.rp.as_of_date
        out: list[SaleRow] = []
        for i in rows:
            fraction, price, term = fractions[i], prices[i], terms[i]
            quantity, asset_class, asset = quantities[i], classes[i], assets[i]
            if fraction >= 1:  # the whole lot: its market value is the gross proceeds
                qty, gross, basis = quantity, values[i], bases[i]
            else:
                assert price is not None
                qty, gross, basis = sale_amounts(lots, i, price, fraction)
            assert gross is not None
            rebuy_on, rebuy_note = dust_note if i in dust else rebuy_of(asset_class, asset)
            selling_fee = cents(rate * gross)  # as ``selling_fee``
            proceeds = gross - selling_fee
            gain = proceeds - basis
            note = add(term, gain, is_collectible(term, asset_class))
            if qty < quantity:
                note += f"; sell {qty.normalize():f} of {quantity.normalize():f}"
            if selling_fee:
                note += f"; proceeds net of the {format_usd(selling_fee)} selling fee"
            if term == "short":
                day = long_on[i]
                when = long_term_notes.get(day)
                if when is None:
                    when = long_term_notes[day] = f"; turns long-term on {day}"
                note += when
            if price == 0:
                note += (
                    "; worthless: sell or exchange it for a token amount; "
                    "abandoning it gives no deduction"
                )
            if rebuy_note:
                note += "; " + rebuy_note
            # Sale's fields, in order (SALE_FIELDS).
            out.append(
                (
                    lot_ids[i],
                    asset,
                    asset_class,
                    wallets[i],
                    tx_ids[i],
                    acquired[i],
                    sold_on,
                    qty,
                    proceeds,
                    basis,
                    gain,
                    term,
                    selling_fee,
                    (),
                    selling_fee if rebuy_on is not None else ZERO,  # the same units back
                    rebuy_on,
                    note,
                )
            )
        return out

    def _dust_note(self) -> str:
        return (
            f"dust: worth less than the smallest trade ({format_usd(self.rp.min_trade)}), "
            "so not bought back"
        )

    def _rebuy_of(self, asset_class: AssetClass, asset: str) -> tuple[dt.date | None, str]:
        key = (asset_class, asset)
        hit = self._rebuy.get(key)
        if hit is None:
            hit = self._rebuy[key] = rebuy_date(self.rules, asset_class, asset, self.rp)
        return hit
