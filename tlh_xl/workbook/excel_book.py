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
from .contract import HARVEST, LOTS, POSITIONS, PRICES, PROFILE_FIELDS, SUMMARY
from .ranges import harvest_table, plan_from_ranges, positions_table, summary_pairs
from .tables import asset_totals

__all__ = ["fill_book"]


def _find_table(book: Any, name: str) -> Any:
    for sheet in book.sheets:
        for table in sheet.tables:
            if table.name.casefold() == name.casefold():
                return table
    return None


def _table_values(book: Any, name: str) -> Any:
    table = _find_table(book, name)
    if table is not None:
        return table.range.options(ndim=2).value
    return book.sheets[name].used_range.options(ndim=2).value


def _write_table(book: Any, sheet_name: str, rows: list[list[Any]]) -> None:
    sheet = book.sheets[sheet_name]
    table = _find_table(book, sheet_name)
    width = len(rows[0])
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
    for field in PROFILE_FIELDS:
        try:
            rng = book.names[field.name].refers_to_range
        except Exception:  # a name the user deleted: leave it to the defaults
            continue
        pairs.append([field.name, rng.value])
    result = plan_from_ranges(_table_values(book, LOTS), _table_values(book, PRICES), pairs)
    plan = result.plan
    _write_table(book, POSITIONS, positions_table(plan))
    _write_table(book, HARVEST, harvest_table(plan))
    for name, value in summary_pairs(plan):
        book.names[name].refers_to_range.value = value
    summary = book.sheets[SUMMARY]
    summary.range("G8:H400").clear_contents()
    totals = [[asset, float(amount)] for asset, amount in asset_totals(plan)]
    if totals:
        summary.range("G8").value = totals
    return plan
