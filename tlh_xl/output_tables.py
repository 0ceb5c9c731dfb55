"""The plan's output tables, declared once: Harvest (the sales) and Positions (the lots).

Each column says its header (as the workbook shows it), its key (the plan's DataFrame
column), where its value comes from on the record, its kind (how it is formatted) and
its width. The workbook writer, the Fill button, the Excel functions' spills and the
DataFrames all build their rows from these declarations, so a new column is added here
and nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Literal, Protocol

from .domain.terms import TERM_LABELS

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "HARVEST_COLUMNS",
    "POSITION_COLUMNS",
    "REALIZED_COLUMNS",
    "Kind",
    "OutputColumn",
    "Table",
    "columns_of",
    "frame",
    "rows",
]

Kind = Literal["text", "money", "price", "number", "date", "rate", "int", "flag", "status"]
Show = Literal["value", "term", "joined"]


@dataclass(frozen=True)
class OutputColumn:
    header: str  # as the workbook shows it; users' formulas refer to it
    key: str  # the plan's DataFrame column
    source: str  # attribute path on the record, e.g. "lot.lot_id"
    kind: Kind
    width: int
    show: Show = "value"  # "term": the term's label; "joined": a list joined by "; "

    def getter(self) -> Callable[[Any], Any]:
        get = attrgetter(self.source)
        if self.show == "term":
            return lambda record: TERM_LABELS[get(record)]
        if self.show == "joined":
            return lambda record: "; ".join(get(record))
        return get


def _col(
    header: str, key: str, kind: Kind, width: int, source: str = "", show: Show = "value"
) -> OutputColumn:
    """A column whose value is the record's attribute ``source`` (by default its key)."""
    return OutputColumn(header, key, source or key, kind, width, show)


# One row per suggested sale (harvest.sales.Sale): the records an accountant needs.
# Proceeds are net of the selling fee, as on Form 8949; Fees are the trade's whole cash
# cost (the selling fee and, when the lot is bought back, the rebuy fee).
HARVEST_COLUMNS: tuple[OutputColumn, ...] = (
    _col("Lot ID", "lot_id", "text", 10),
    _col("Asset", "asset", "text", 10),
    _col("Wallet", "wallet", "text", 15),
    _col("Tx ID", "tx_id", "text", 18),
    _col("Acquired", "acquired", "date", 12),
    _col("Sell Date", "sell_date", "date", 12, source="sold"),
    _col("Sell Quantity", "sell_quantity", "number", 15, source="quantity"),
    _col("Proceeds", "proceeds", "money", 14),
    _col("Cost Basis", "cost_basis", "money", 14),
    _col("Gain/Loss", "gain_loss", "money", 14),
    _col("Term", "term", "text", 11, show="term"),
    _col("Fees", "fees", "money", 11),
    _col("Rebuy On", "rebuy_on", "date", 12),
    _col("Note", "note", "text", 90),
)

# Every lot, valued (harvest.positions.Position).
POSITION_COLUMNS: tuple[OutputColumn, ...] = (
    _col("Lot ID", "lot_id", "text", 10, source="lot.lot_id"),
    _col("Asset", "asset", "text", 10, source="lot.asset"),
    _col("Asset Class", "asset_class", "text", 17, source="lot.asset_class"),
    _col("Wallet", "wallet", "text", 15, source="lot.wallet"),
    _col("Tx ID", "tx_id", "text", 18, source="lot.tx_id"),
    _col("Acquired", "acquired", "date", 12, source="lot.acquired"),
    _col("Quantity", "quantity", "number", 15, source="lot.quantity"),
    _col("Cost Basis", "cost_basis", "money", 14, source="lot.cost_basis"),
    _col("Price", "price", "price", 13),
    _col("Market Value", "market_value", "money", 14),
    _col("Unrealized Gain/Loss", "unrealized_gain_loss", "money", 16, source="unrealized"),
    _col("Term", "term", "text", 11, show="term"),
    _col("Long-Term On", "long_term_on", "date", 13),
    _col("Days To Long-Term", "days_to_long_term", "int", 10),
    _col("Flags", "flags", "text", 60, show="joined"),
)


class Table(Protocol):
    """A plan's table kept as columns or rows (``SaleTable``, ``PositionTable``)."""

    def __len__(self) -> int: ...

    def column(self, source: str) -> list[Any]: ...


def _shown(column: OutputColumn, values: list[Any]) -> list[Any]:
    if column.show == "term":
        return list(map(TERM_LABELS.__getitem__, values))
    if column.show == "joined":
        return list(map("; ".join, values))
    return values


def columns_of(table: Table | Sequence[Any], columns: Sequence[OutputColumn]) -> list[list[Any]]:
    """Each output column's values, as shown: from a table, column by column, or from
    records, by each column's getter."""
    if isinstance(table, Sequence):
        return [list(map(c.getter(), table)) for c in columns]
    return [_shown(c, table.column(c.source)) for c in columns]


# One row per realized disposal (domain.Disposition): the ledger's Realized table, in
# Form 8949's terms (proceeds net of selling costs; gain = proceeds − basis).
REALIZED_COLUMNS: tuple[OutputColumn, ...] = (
    _col("Lot ID", "lot_id", "text", 12),
    _col("Asset", "asset", "text", 10),
    _col("Asset Class", "asset_class", "text", 17),
    _col("Wallet", "wallet", "text", 15),
    _col("Tx ID", "tx_id", "text", 18),
    _col("Acquired", "acquired", "date", 12),
    _col("Sold", "sold", "date", 12),
    _col("Quantity", "quantity", "number", 15),
    _col("Proceeds", "proceeds", "money", 14),
    _col("Cost Basis", "cost_basis", "money", 14),
    _col("Gain/Loss", "gain_loss", "money", 14),
    _col("Term", "term", "text", 11, show="term"),
    _col("Selling Costs", "selling_costs", "money", 13),
)


def rows(table: Table | Sequence[Any], columns: Sequence[OutputColumn]) -> list[tuple[Any, ...]]:
    """One tuple of values per row, in the columns' order."""
    return list(zip(*columns_of(table, columns))) if len(table) else []


def frame(table: Table | Sequence[Any], columns: Sequence[OutputColumn]) -> pd.DataFrame:
    """The table as a DataFrame keyed by the columns' keys, built column by column."""
    import pandas as pd

    data = dict(zip((c.key for c in columns), columns_of(table, columns)))
    out: pd.DataFrame = pd.DataFrame(data, columns=[c.key for c in columns])
    return out
