"""Filling an open workbook through xlwings (the "Fill this workbook" button).

``fill_book`` takes an ``xlwings.Book`` from any runtime: classic Excel via
``xw.Book.caller()``, or xlwings Lite and Server, which hand the script a Book built from
Office.js. It reads the same contract as ``tlh-xl fill`` (Profile names, the Lots and
Prices tables), plans with the same engine, and lays out Positions, Harvest and Summary
from the same row builders as the headless writer. It only uses the xlwings Book API, so
this module does not import xlwings.
"""

from __future__ import annotations

from typing import Any

from ..harvest.plan import HarvestPlan
from .contract import (
    HARVEST,
    LOTS,
    MAX_NOTES,
    NOTES_ROW,
    POSITIONS,
    PRICES,
    PROFILE_FIELDS,
    REALIZED,
    SUMMARY,
    TRANSACTIONS,
    WALLETS,
)
from .form_sheet import FORM_8949, form_8949_table
from .ranges import (
    excel_value,
    harvest_table,
    plan_from_ranges,
    positions_table,
    realized_table,
    summary_names,
)
from .tables import asset_totals

__all__ = ["fill_book"]


def _find_table(book: Any, name: str) -> Any:
    for sheet in book.sheets:
        for table in sheet.tables:
            if table.name.casefold() == name.casefold():
                return table
    return None


def _table_values(book: Any, name: str) -> tuple[Any, tuple[str, int, int]]:
    """A table's values with its header row, and where its header starts."""
    table = _find_table(book, name)
    rng = table.range if table is not None else book.sheets[name].used_range
    return rng.options(ndim=2).value, (rng.sheet.name, rng.row, rng.column)


def _has(book: Any, name: str) -> bool:
    return _find_table(book, name) is not None or name in [s.name for s in book.sheets]


def _no_rows(values: Any) -> bool:
    """A table's values (header first) with no data row, or only blank ones."""
    rows = values if isinstance(values, list) else []
    return all(
        all(v is None or (isinstance(v, str) and not v.strip()) for v in row) for row in rows[1:]
    )


# Text that Excel would read as a formula when written as a cell's value; a leading
# apostrophe makes it text (Excel's own marker, not shown), as the headless writer writes
# such text as a string cell.
_FORMULA_START = ("=", "+", "-", "@")


def _texts(rows: list[list[Any]]) -> list[list[Any]]:
    """``rows`` with every text that starts like a formula marked as text."""
    return [
        ["'" + v if isinstance(v, str) and v.startswith(_FORMULA_START) else v for v in row]
        for row in rows
    ]


def _write_table(book: Any, sheet_name: str, rows: list[list[Any]]) -> None:
    sheet = book.sheets[sheet_name]
    table = _find_table(book, sheet_name)
    width = len(rows[0])
    rows = _texts(rows)
    body = rows if len(rows) > 1 else [*rows, [""] * width]  # a table keeps one data row
    if table is not None:
        old = table.range
        if old.rows.count > len(body):  # clear rows the new table no longer covers
            sheet.range((len(body) + 1, 1), (old.rows.count, old.columns.count)).clear_contents()
        table.resize(sheet.range((1, 1), (len(body), width)))
    else:
        sheet.used_range.clear_contents()
    sheet.range((1, 1)).value = body


def fill_book(book: Any) -> HarvestPlan:
    """Read Profile, Lots and Prices from ``book``; write Positions, Harvest, Summary."""
    pairs = []
    cells: dict[str, str] = {}
    for field in PROFILE_FIELDS:
        try:
            rng = book.names[field.name].refers_to_range
        except Exception:  # a name the user deleted: leave it to the defaults
            continue
        pairs.append([field.name, rng.value])
        cells[field.field] = f"{rng.sheet.name}!{rng.address.replace('$', '')} {field.name}"
    lots, lots_at = _table_values(book, LOTS)
    prices, prices_at = _table_values(book, PRICES)
    # An empty Lots table and a Transactions table: the lots come from the transactions,
    # as in tlh-xl fill.
    ledger: list[Any] = [None, None]
    ledger_at: list[Any] = [None, None]
    if _no_rows(lots) and _has(book, TRANSACTIONS):
        ledger[0], ledger_at[0] = _table_values(book, TRANSACTIONS)
    if _has(book, WALLETS):  # for the ledger, and for Form 8949's boxes
        ledger[1], ledger_at[1] = _table_values(book, WALLETS)
    result = plan_from_ranges(
        lots,
        prices,
        pairs,
        (lots_at, prices_at),
        cells,
        ledger[0],
        ledger[1],
        (ledger_at[0], ledger_at[1]),
    )
    plan = result.plan
    _write_table(book, POSITIONS, positions_table(plan))
    _write_table(book, HARVEST, harvest_table(plan))
    if result.ledger is not None:
        if REALIZED not in [s.name for s in book.sheets]:
            book.sheets.add(REALIZED, before=book.sheets[POSITIONS])
        _write_table(book, REALIZED, realized_table(result.ledger.realized))
    if result.forms is not None:  # the Form 8949 rows, then Schedule D's lines
        if FORM_8949 not in [s.name for s in book.sheets]:
            book.sheets.add(FORM_8949, after=book.sheets[SUMMARY])
        sheet = book.sheets[FORM_8949]
        sheet.used_range.clear_contents()
        sheet.range((1, 1)).value = _texts(
            form_8949_table(result.forms.rows, result.forms.schedule_d)
        )
    for name, value in summary_names(plan):
        book.names[name].refers_to_range.value = _texts([[excel_value(value)]])[0][0]
    summary = book.sheets[SUMMARY]
    # The plan's notes go under the figures, where the headless Summary has them.
    first = NOTES_ROW
    summary.range((first, 1), (first + MAX_NOTES - 1, 1)).clear_contents()
    if plan.messages:
        notes = _texts([[m] for m in plan.messages])
        summary.range((first, 1)).options(transpose=True).value = [n[0] for n in notes]
    summary.range("G8:H400").clear_contents()
    totals = _texts([[asset, float(amount)] for asset, amount in asset_totals(plan)])
    if totals:
        summary.range("G8").value = totals
    return plan
