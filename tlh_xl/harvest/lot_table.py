"""Open tax lots: as columns (``LotTable``), the engine's form, and one at a time
(``Lot``), the public record.

The engine reads a portfolio of 100,000 lots column by column: one list per field,
holding only text, dates, ``Decimal``s and flags, which the garbage collector never
scans. A ``Lot`` object is made only when a caller asks for one (``LotTable.lot``,
``LotTable.records``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields, replace
from decimal import Decimal
from operator import attrgetter

from ..domain.assets import NFT_CLASSES, AssetClass

__all__ = ["Lot", "LotTable"]


@dataclass(slots=True)  # the public record; the engine keeps lots as columns
class Lot:
    """One open tax lot, typed. ``row`` is its position in the input (0-based)."""

    lot_id: str
    asset: str
    asset_class: AssetClass
    wallet: str
    acquired: dt.date
    quantity: Decimal
    cost_basis: Decimal
    tx_id: str
    price_override: Decimal | None = None
    exclude: bool = False
    row: int = 0

    @property
    def is_nft(self) -> bool:
        return self.asset_class in NFT_CLASSES


@dataclass(frozen=True, slots=True)
class LotTable:
    """Lots as columns, one list per ``Lot`` field, row ``i`` being lot ``i``.

    Cost basis and quantity stay ``Decimal`` as given: a lot of 1.234567890123 ETH, or a
    basis of $10.005, is carried exactly, not rounded to a column's fixed unit.
    """

    lot_id: list[str]
    asset: list[str]
    asset_class: list[AssetClass]
    wallet: list[str]
    acquired: list[dt.date]
    quantity: list[Decimal]
    cost_basis: list[Decimal]
    tx_id: list[str]
    price_override: list[Decimal | None]
    exclude: list[bool]

    def __len__(self) -> int:
        return len(self.lot_id)

    def lot(self, i: int) -> Lot:
        return Lot(
            self.lot_id[i],
            self.asset[i],
            self.asset_class[i],
            self.wallet[i],
            self.acquired[i],
            self.quantity[i],
            self.cost_basis[i],
            self.tx_id[i],
            self.price_override[i],
            self.exclude[i],
            i,
        )

    def records(self) -> list[Lot]:
        return list(map(Lot, *(getattr(self, name) for name in COLUMN_NAMES), range(len(self))))

    def is_nft(self, i: int) -> bool:
        return self.asset_class[i] in NFT_CLASSES

    def excluding(self, lot_ids: Iterable[str]) -> LotTable:
        """This table with the lots ``lot_ids`` marked not to be sold."""
        excluded = set(lot_ids)
        if not excluded:
            return self
        flags = [x or i in excluded for x, i in zip(self.exclude, self.lot_id)]
        return replace(self, exclude=flags)

    @classmethod
    def from_lots(cls, lots: Sequence[Lot]) -> LotTable:
        """Lot records as columns (their ``row`` becomes their place in ``lots``)."""
        if not lots:
            return cls(*([] for _ in COLUMN_NAMES))
        return cls(*map(list, zip(*map(_fields_of, lots))))


# The table's columns, in ``Lot``'s order: every Lot field but ``row``, which is implied.
COLUMN_NAMES: tuple[str, ...] = tuple(f.name for f in fields(LotTable))
if COLUMN_NAMES != tuple(f.name for f in fields(Lot) if f.name != "row"):
    raise TypeError("LotTable's columns must be Lot's fields, in order, without row")
_fields_of = attrgetter(*COLUMN_NAMES)
