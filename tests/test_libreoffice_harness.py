"""The headless LibreOffice harness really recalculates openpyxl workbooks."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.worksheet.table import Table, TableStyleInfo

from .libreoffice import SOFFICE, error_cells, recalculate, render

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        SOFFICE is None,
        reason="LibreOffice (soffice) is not installed; .ci/run installs libreoffice-calc-nogui",
    ),
]


def _sample_workbook(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Calc"
    ws["A1"], ws["A2"], ws["A3"] = 1, 2, 3.5
    ws["B1"] = "=1+1"
    ws["B2"] = "=SUM(A1:A3)"
    ws["B3"] = "=DATE(2024,3,15)"

    lots = wb.create_sheet("Lots")
    for row in [("Name", "Gain/Loss"), ("x", 100), ("y", -40), ("x", -25.5), ("z", 10)]:
        lots.append(row)
    table = Table(displayName="T", ref="A1:B5")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium9", showRowStripes=True)
    lots.add_table(table)
    lots["D1"] = "=SUM(T[Gain/Loss])"
    lots["D2"] = '=SUMIFS(T[Gain/Loss],T[Name],"x")'
    wb.save(path)
    return path


def test_recalculate_computes_formulas_and_structured_references(tmp_path: Path) -> None:
    src = _sample_workbook(tmp_path / "sample.xlsx")
    before = openpyxl.load_workbook(src, data_only=True)
    assert before["Calc"]["B1"].value is None  # openpyxl stores no cached values

    out = recalculate(src, tmp_path)

    assert out.suffix == ".xlsx" and out != src
    wb = openpyxl.load_workbook(out, data_only=True)
    calc, lots = wb["Calc"], wb["Lots"]
    assert calc["B1"].value == 2
    assert calc["B2"].value == pytest.approx(6.5)
    assert calc["B3"].value == dt.datetime(2024, 3, 15)
    assert lots["D1"].value == pytest.approx(44.5)
    assert lots["D2"].value == pytest.approx(74.5)
    assert error_cells(out) == []

    # The formulas and the table survive the round trip.
    formulas = openpyxl.load_workbook(out)["Lots"]
    assert formulas["D1"].value == "=SUM(T[Gain/Loss])"
    assert "T" in formulas.tables


def test_recalculate_replaces_stale_cached_values(tmp_path: Path) -> None:
    """Cells with a (wrong) cached value are recalculated too: proves recalc-on-load is on."""
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws["A1"] = "=1+1"
    plain = tmp_path / "plain.xlsx"
    wb.save(plain)
    stale = tmp_path / "stale.xlsx"
    with zipfile.ZipFile(plain) as zin, zipfile.ZipFile(stale, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                # openpyxl writes an empty value as <v /> or <v></v> (with lxml), or none.
                data = re.sub(rb"<f>1\+1</f>(<v\s*/>|<v></v>)?", b"<f>1+1</f><v>99</v>", data)
                assert b"<v>99</v>" in data
            zout.writestr(item, data)
    assert openpyxl.load_workbook(stale, data_only=True).active["A1"].value == 99

    out = recalculate(stale, tmp_path / "work")

    assert openpyxl.load_workbook(out, data_only=True).active["A1"].value == 2


def test_recalculate_accepts_xlsm(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws["A1"] = "=6*7"
    src = tmp_path / "macro.xlsm"
    wb.save(src)

    out = recalculate(src, tmp_path / "work")

    assert out.name == "macro.xlsx"
    assert openpyxl.load_workbook(out, data_only=True).active["A1"].value == 42


def test_error_cells_reports_errors(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Broken"
    ws["A1"] = "=1/0"
    ws["A2"] = "=1+1"
    ws["A3"] = "=NOSUCHFUNCTION(1)"
    src = tmp_path / "broken.xlsx"
    wb.save(src)

    out = recalculate(src, tmp_path)

    assert error_cells(out) == ["Broken!A1", "Broken!A3"]


def test_render_produces_pdf_or_png(tmp_path: Path) -> None:
    src = _sample_workbook(tmp_path / "sample.xlsx")

    out = render(src, tmp_path)

    assert out.is_file() and out.stat().st_size > 0
    assert out.suffix in {".png", ".pdf"}
    magic = out.read_bytes()[:8]
    assert magic.startswith(b"\x89PNG" if out.suffix == ".png" else b"%PDF")
