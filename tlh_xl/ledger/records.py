"""What the ledger gives back besides open lots and disposals (``Disposition``), and the
one thing a user may give it besides transactions: their own 2025 allocation."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Context, Decimal, localcontext
from typing import Final, Literal

from ..domain.assets import AssetClass
from ..domain.disposition import Disposition
from ..domain.terms import Term
from ..harvest.lot_table import Lot, LotTable
from ..money import ZERO
from .transactions import TxType

__all__ = [
    "Allocation",
    "AllocationRecord",
    "Balance",
    "DisposalRow",
    "IncomeEvent",
    "Ledger",
    "Removal",
]


@dataclass(frozen=True, slots=True)
class Allocation:
    """The user's own allocation of a pooled lot to a wallet at the start of 2025
    (Rev. Proc. 2024-28's specific unit allocation): ``quantity`` of lot ``lot_id``
    (all that is left of it when ``None``) to ``wallet``. ``place`` names where the
    user wrote it, for errors."""

    lot_id: str
    wallet: str
    quantity: Decimal | None = None
    place: str = ""


@dataclass(frozen=True, slots=True)
class AllocationRecord:
    """How one pooled lot (or part of one) was assigned to a wallet when per-wallet
    accounting began: the record the safe harbor asks the taxpayer to keep."""

    lot_id: str  # the lot as it is in the wallet from then on
    from_lot_id: str  # the pooled lot it came from
    asset: str
    wallet: str
    acquired: dt.date
    quantity: Decimal
    cost_basis: Decimal
    rule: Literal["yours", "default"]  # the user's allocation, or the documented rule


@dataclass(frozen=True, slots=True)
class IncomeEvent:
    """Ordinary income (staking, airdrops, mining, interest): the fair market value of
    what was received when it was received, which is also the new lot's basis."""

    tx_id: str
    wallet: str
    asset: str
    received: dt.date
    quantity: Decimal
    value_usd: Decimal
    lot_id: str
    place: str = ""


@dataclass(frozen=True, slots=True)
class Removal:
    """Units that left without a sale (Gift Out, Lost): no gain or loss is realized.
    ``value_usd`` is the row's value (fair market value given), shared pro rata."""

    lot_id: str
    asset: str
    wallet: str
    tx_id: str
    type: TxType
    acquired: dt.date
    removed: dt.date
    quantity: Decimal
    cost_basis: Decimal
    value_usd: Decimal | None


@dataclass(frozen=True, slots=True)
class Balance:
    """Units of an asset in a wallet after the last transaction, to check against the
    exchange's or wallet's own figure."""

    wallet: str
    asset: str
    quantity: Decimal


# One disposal as a plain tuple, in Disposition's field order (without adjustments):
# a million of them leave the garbage collector nothing to scan (the records do not).
DisposalRow = tuple[
    str,
    str,
    AssetClass,
    str,
    str,
    dt.date,
    dt.date,
    Decimal,
    Decimal,
    Decimal,
    Decimal,
    Term,
    Decimal,
]
SOLD: Final = 6  # the row's trade date
GAIN: Final = 10
TERM: Final = 11


@dataclass
class Ledger:
    """The ledger's results.

    ``lots`` are the open lots after the last transaction (or the ``through`` date),
    each with the transaction it came from; while accounting is universal their wallet
    is blank (the lots are pooled). ``disposal_rows`` are every year's disposals, in time
    order, as plain tuples; ``disposals`` the same as Disposition records (made on first
    use) and ``realized(year)`` one tax year's.
    """

    lots: LotTable
    disposal_rows: list[DisposalRow]
    income: list[IncomeEvent]
    removals: list[Removal]
    balances: list[Balance]
    allocations: list[AllocationRecord]
    per_wallet: bool  # the lots are per wallet (False: pooled, universal)
    time_zone: str
    _records: list[Disposition] | None = field(default=None, repr=False)

    @property
    def disposals(self) -> list[Disposition]:
        """Every disposal as a Disposition record, in time order."""
        if self._records is None:
            self._records = [Disposition(*row) for row in self.disposal_rows]
        return self._records

    def realized(self, year: int) -> list[Disposition]:
        """The disposals whose trade date (in the user's time zone) falls in ``year``."""
        return [Disposition(*row) for row in self.disposal_rows if row[SOLD].year == year]

    def realized_totals(self, year: int) -> dict[Term, Decimal]:
        """Net gain or loss of ``year`` by term: what feeds RealizedShortTerm/LongTerm."""
        totals: dict[Term, Decimal] = {"short": ZERO, "long": ZERO}
        with localcontext(Context(prec=60)):  # exact sums of exact parts
            for row in self.disposal_rows:
                if row[SOLD].year == year:
                    totals[row[TERM]] += row[GAIN]
        return totals

    def income_in(self, year: int) -> list[IncomeEvent]:
        return [e for e in self.income if e.received.year == year]

    def lot_records(self) -> list[Lot]:
        return self.lots.records()
