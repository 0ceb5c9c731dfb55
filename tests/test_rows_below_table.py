"""Rows written directly below a table (by a script, a paste, LibreOffice) are part of it.

Reported: 30 lots written from Lots!A2 down without resizing the table were read as one
lot, "No sales suggested", exit 0; with the table resized, $15,810.25 was saved. Both read
paths (openpyxl, and python-calamine for a big sheet) must read every row, and the
output's table must grow to match.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from tlh_xl.workbook.contract import LOT_COLUMNS
from tlh_xl.workbook.fill import fill_workbook
from tlh_xl.workbook.sample import build_sample_workbook


def _write_below(path: Path, n: int) -> Path:
    """The sample with its Lots table cut back to one row and ``n`` lots written from
    row 2 down, cell by cell, as a script does."""
    build_sample_workbook(path)
    wb = openpyxl.load_workbook(path)
    ws = wb["Lots"]
    for row in ws.iter_rows(min_row=2, max_row=ws.max_row):
        for cell in row:
            cell.value = None
    table = ws.tables["Lots"]
    last = openpyxl.utils.get_column_letter(len(LOT_COLUMNS))
    table.ref = table.autoFilter.ref = f"A1:{last}2"
    for i in range(n):
        values = [f"S{i}", "SOL", "Crypto", "Phantom", dt.datetime(2026, 2, 1), 10 + i % 7,
                  3000 + 11 * i, f"tx{i}", None, None, None]  # fmt: skip
        for col, value in enumerate(values, start=1):
            ws.cell(row=2 + i, column=col, value=value)
    wb.save(path)
    return path


@pytest.mark.parametrize("n", [30, 4_000], ids=["openpyxl path", "calamine path"])
def test_rows_below_the_table_are_read_and_the_table_grows(tmp_path: Path, n: int) -> None:
    source = _write_below(tmp_path / "below.xlsx", n)
    before = source.read_bytes()
    result = fill_workbook(source, tmp_path / "out.xlsx", progress=False)
    assert result.read.startswith(f"{n:,} lots from Lots")
    assert len(result.plan.position_records) == n
    assert len(result.plan.sale_records) > 0  # SOL at $128.50 against $300+ a unit
    out = openpyxl.load_workbook(result.output)
    assert out["Lots"].tables["Lots"].ref.endswith(str(n + 1))
    assert source.read_bytes() == before  # the input is untouched


def test_a_blank_row_ends_the_table(tmp_path: Path) -> None:
    source = _write_below(tmp_path / "below.xlsx", 5)
    wb = openpyxl.load_workbook(source)
    ws = wb["Lots"]
    for col in range(1, len(LOT_COLUMNS) + 1):
        ws.cell(row=4, column=col).value = None  # row 4 blank: rows 5 and 6 are apart
    wb.save(source)
    result = fill_workbook(source, tmp_path / "out.xlsx", progress=False)
    assert result.read.startswith("2 lots from Lots")
