"""A workbook made from a ledger: the template with its Lots filled from the open lots,
this year's disposals on a Realized sheet, and the Profile's realized figures set.

``tlh-xl ledger coinbase.csv --year 2026 -o my-harvest.xlsx`` writes it; the user then
fills in income and prices and runs ``tlh-xl fill my-harvest.xlsx``.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from ..domain.disposition import Disposition
from ..ledger.records import Ledger
from ..ledger.transactions import Transaction
from ..output_tables import REALIZED_COLUMNS, rows
from .contract import LOTS, POSITIONS, PROFILE_FIELDS, REALIZED, TRANSACTIONS
from .sheets import build_lots, build_realized
from .template import template_path
from .writer import save_atomic

__all__ = [
    "lot_rows",
    "read_workbook_transactions",
    "read_workbook_wallets",
    "write_ledger_workbook",
    "write_realized",
]


def lot_rows(ledger: Ledger) -> list[dict[str, Any]]:
    """The open lots as the Lots table's rows (by field), with where each came from."""
    table = ledger.lots
    return [
        {
            "lot_id": lot.lot_id,
            "asset": lot.asset,
            "asset_class": lot.asset_class,
            "wallet": lot.wallet,
            "acquired": lot.acquired,
            "quantity": lot.quantity,
            "cost_basis": lot.cost_basis,
            "tx_id": lot.tx_id,
            "price_override": None,
            "exclude": None,
            "notes": "",
        }
        for lot in table.records()
    ]


def read_workbook_transactions(path: Path, time_zone: str) -> list[Transaction]:
    """The Transactions table of a workbook (by name, on any sheet), each error naming
    its cell (``Transactions!G7 Sent Quantity``). Formulas are read through their cached
    values."""
    from ..errors import WorkbookError
    from .fill import load_workbook_safely

    wb = load_workbook_safely(path, data_only=True)
    for ws in wb.worksheets:
        for table in ws.tables.values():
            if table.name.casefold() == TRANSACTIONS.casefold():
                return _table_transactions(ws, str(table.ref), time_zone)
    raise WorkbookError(f"{path}: no table named {TRANSACTIONS} (tlh-xl's own columns)")


def read_workbook_wallets(path: Path) -> tuple[str, ...]:
    """The wallets listed in a workbook's Wallets table (none without one), each row
    checked as the fill checks it."""
    from ..lots_from_ledger import wallet_names
    from .contract import WALLET_COLUMNS, WALLETS
    from .fill import load_workbook_safely
    from .reader import find_table, read_grid

    wb = load_workbook_safely(path, data_only=True)
    if find_table(wb, WALLETS) is None:
        return ()
    return wallet_names(read_grid(wb, WALLETS, WALLET_COLUMNS, lambda _s, _c: None))


def _table_transactions(ws: Any, ref: str, time_zone: str) -> list[Transaction]:
    from openpyxl.utils import get_column_letter, range_boundaries

    from ..ledger.own_format import parse_transaction_rows

    min_col, min_row, max_col, max_row = range_boundaries(ref)
    assert min_col is not None and min_row is not None
    grid = [
        [cell.value for cell in row]
        for row in ws.iter_rows(min_row=min_row, max_row=max_row, min_col=min_col, max_col=max_col)
    ]
    header, body = grid[0], grid[1:]

    def place(i: int, column: str) -> str:
        row = min_row + 1 + i
        index = next((j for j, h in enumerate(header) if _same(h, column)), None)
        if not column or index is None:
            return f"{ws.title}!A{row}"
        return f"{ws.title}!{get_column_letter(min_col + index)}{row} {column}"

    return parse_transaction_rows([dict(zip(header, row)) for row in body], place, time_zone)


def _same(header: object, column: str) -> bool:
    return "".join(str(header or "").split()).casefold() == "".join(column.split()).casefold()


def write_realized(wb: Any, realized: list[Disposition]) -> None:
    """The Realized sheet, rewritten with ``realized``: in place of the old one, or before
    Positions, the first of the plan's own sheets (at the end, without one)."""
    if REALIZED in wb.sheetnames:
        index = wb.sheetnames.index(REALIZED)
        wb.remove(wb[REALIZED])
    elif POSITIONS in wb.sheetnames:
        index = wb.sheetnames.index(POSITIONS)
    else:
        index = len(wb.sheetnames)
    build_realized(wb.create_sheet(REALIZED, index), rows(realized, REALIZED_COLUMNS))


def write_ledger_workbook(ledger: Ledger, year: int, path: Path) -> dict[str, Decimal]:
    """Write the workbook; returns the Profile values it set (name → value)."""
    import openpyxl

    wb = openpyxl.load_workbook(template_path())
    index = wb.sheetnames.index(LOTS)
    wb.remove(wb[LOTS])
    build_lots(wb.create_sheet(LOTS, index), lot_rows(ledger))
    realized = ledger.realized(year)
    build_realized(wb.create_sheet(REALIZED, index + 1), rows(realized, REALIZED_COLUMNS))
    totals = ledger.realized_totals(year)
    collectibles = sum(
        (d.gain_loss for d in realized if d.collectible), Decimal(0)
    )  # the 28% group is its own Profile figure
    values: dict[str, Any] = {
        "TaxYear": year,
        "RealizedShortTerm": totals["short"],
        "RealizedLongTerm": totals["long"] - collectibles,
        "RealizedCollectibles": collectibles,
    }
    by_name = {f.name: f for f in PROFILE_FIELDS}
    for name, value in values.items():
        assert name in by_name
        ((sheet, coord),) = wb.defined_names[name].destinations
        wb[sheet][coord.replace("$", "")].value = value
    save_atomic(wb, path)
    return values
