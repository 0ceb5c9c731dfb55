"""``tlh-xl fill`` keeps what it does not own, never turns text into formulas, and reads
inputs in the forms people actually type them.

* Nothing lost: a user's own sheet with formulas, a defined name, data validation, a
  custom style and number format, conditional formatting, a comment and a chart survive a
  fill; Profile, Lots and Prices are unchanged; the input file is untouched.
* An .xlsm keeps its VBA project byte for byte, and stays macro-enabled.
* Injection: text that looks like a formula (``=HYPERLINK(...)``, ``=1+1``) is written back
  as text, in every output sheet, down to the sheet XML.
* Reading: headers in any case and spacing, Lots as a plain range, ISO-text dates,
  numeric text, Excel serial dates, and ``--lots/--prices`` CSV files all give the same
  plan as the sample workbook itself.

Every fill runs ``python -m tlh_xl fill`` in a subprocess, as a user would.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
import os
import posixpath
import shutil
import struct
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import openpyxl
import pytest
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.formatting.rule import Rule
from openpyxl.styles import Font, NamedStyle, PatternFill
from openpyxl.styles.differential import DifferentialStyle
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from tlh_xl.workbook.sample import SAMPLES, build_sample_workbook

INPUT_SHEETS = ("Read me", "Profile", "Lots", "Prices")
OUTPUT_SHEETS = ("Positions", "Harvest", "Summary")
MACRO_MAIN = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
XLSX_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
VBA_TYPE = "application/vnd.ms-office.vbaProject"
VBA_REL = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
NS = {
    "ct": "http://schemas.openxmlformats.org/package/2006/content-types",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
    "main": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
}


# --- helpers ------------------------------------------------------------------------------


def run_fill(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("TLH_RULES_DIR", "TLH_DEBUG")}
    return subprocess.run(
        [sys.executable, "-m", "tlh_xl", "fill", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
    )


def fill_ok(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    r = run_fill(*args, cwd=cwd)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    return r


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def values(path: Path, title: str) -> list[tuple[Any, ...]]:
    wb = openpyxl.load_workbook(path)
    return [tuple(row) for row in wb[title].iter_rows(values_only=True)]


def cells(ws: Worksheet) -> dict[str, tuple[Any, str, str]]:
    """coordinate → (value, data type, number format) for every non-empty cell."""
    return {
        c.coordinate: (c.value, c.data_type, c.number_format)
        for row in ws.iter_rows()
        for c in row
        if c.value is not None
    }


def header_col(ws: Worksheet, header: str) -> int:
    for cell in ws[1]:
        if cell.value == header:
            return int(cell.column)
    raise AssertionError(f"no header {header!r} on {ws.title}")


def row_of(ws: Worksheet, key: str) -> int:
    for (cell,) in ws.iter_rows(min_row=2, max_col=1):
        if cell.value == key:
            return int(cell.row)
    raise AssertionError(f"no row {key!r} on {ws.title}")


def set_lot(wb: Workbook, lot_id: str, header: str, value: Any, as_text: bool = False) -> None:
    ws = wb["Lots"]
    cell = ws.cell(row=row_of(ws, lot_id), column=header_col(ws, header))
    cell.value = value
    if as_text:
        cell.data_type = "s"  # text, even when it starts with "="


def chart_title(chart: Any) -> str:
    rich = chart.title.tx.rich
    return "".join(run.t for p in rich.p for run in (p.r or []))


def sheet_xml_paths(archive: zipfile.ZipFile) -> dict[str, str]:
    """sheet name → path of its XML part, from workbook.xml and its relationships."""
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {}
    for rel in rels.findall("rel:Relationship", NS):
        target = rel.attrib["Target"]
        path = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
        targets[rel.attrib["Id"]] = posixpath.normpath(path)
    book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    return {
        sheet.attrib["name"]: targets[sheet.attrib[f"{{{NS['r']}}}id"]]
        for sheet in book.findall("main:sheets/main:sheet", NS)
    }


def content_types(archive: zipfile.ZipFile) -> tuple[dict[str, str], dict[str, str]]:
    """(part name → override content type, extension → default content type)."""
    root = ElementTree.fromstring(archive.read("[Content_Types].xml"))
    overrides = {
        o.attrib["PartName"]: o.attrib["ContentType"] for o in root.findall("ct:Override", NS)
    }
    defaults = {
        d.attrib["Extension"].lower(): d.attrib["ContentType"]
        for d in root.findall("ct:Default", NS)
    }
    return overrides, defaults


def part_type(archive: zipfile.ZipFile, part: str) -> str | None:
    overrides, defaults = content_types(archive)
    return overrides.get(f"/{part}") or defaults.get(part.rsplit(".", 1)[-1].lower())


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sample") / "sample.xlsx"
    build_sample_workbook(path)
    return path


@pytest.fixture(scope="module")
def baseline(sample: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample filled as it is: the plan every equivalent input must reproduce."""
    folder = tmp_path_factory.mktemp("baseline")
    fill_ok(str(sample), "-o", "baseline.xlsx", cwd=folder)
    return folder / "baseline.xlsx"


def harvest_lots(path: Path) -> list[str]:
    return [str(row[0]) for row in values(path, "Harvest")[1:] if row[0] is not None]


# --- nothing lost -------------------------------------------------------------------------

NOTES = "My notes"
FORMULAS = {
    "B2": "=SUM(Lots[Cost Basis])",
    "B3": "=Profile!B6*2",
    "B4": "=TaxSaved",
    "B5": "=MyRate*100",
    "B6": "=SUM('My notes'!B1:B5)",
}


def add_user_content(wb: Workbook) -> None:
    ws = wb.create_sheet(NOTES)
    ws["A1"], ws["B1"] = "My rate", 0.25
    for coord, formula in FORMULAS.items():
        ws[coord] = formula
        ws[f"A{coord[1:]}"] = f"note {coord}"
    wb.defined_names["MyRate"] = DefinedName("MyRate", attr_text="'My notes'!$B$1")
    ws.defined_names["MyLocal"] = DefinedName("MyLocal", attr_text="'My notes'!$A$1:$B$6")

    choice = DataValidation(type="list", formula1='"keep,sell,watch"', allow_blank=True)
    choice.error = "keep, sell or watch"
    choice.showErrorMessage = True
    ws.add_data_validation(choice)
    choice.add("C1:C20")
    ws["C1"] = "watch"

    style = NamedStyle(name="MyHighlight", number_format='0.000" units"')
    style.font = Font(bold=True, color="FFC00000")
    style.fill = PatternFill("solid", fgColor="FFFFF2CC")
    wb.add_named_style(style)
    ws["B5"].style = "MyHighlight"
    ws["B2"].number_format = "[Blue]#,##0.0000;[Red]-#,##0.0000"
    ws["B2"].font = Font(italic=True, color="FF00B050")

    big = Rule(
        type="cellIs",
        operator="greaterThan",
        formula=["1000000"],
        dxf=DifferentialStyle(fill=PatternFill("solid", fgColor="FFFFC7CE")),
    )
    ws.conditional_formatting.add("B1:B6", big)
    ws["A1"].comment = Comment("my own comment", "me")
    ws.column_dimensions["A"].width = 33
    ws.freeze_panes = "A2"

    chart = BarChart()
    chart.title = "My chart"
    chart.add_data(Reference(ws, min_col=2, min_row=1, max_row=6))
    chart.set_categories(Reference(ws, min_col=1, min_row=1, max_row=6))
    ws.add_chart(chart, "E2")


def test_fill_keeps_user_sheets_names_styles_and_charts(sample: Path, tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(sample)
    add_user_content(wb)
    source = tmp_path / "book.xlsx"
    wb.save(source)
    digest = sha256(source)

    fill_ok("book.xlsx", cwd=tmp_path)

    out = tmp_path / "book-harvest.xlsx"
    assert sha256(source) == digest, "the input was modified"
    before = openpyxl.load_workbook(source)
    after = openpyxl.load_workbook(out)
    # The same sheets in the same order, and the Form 8949 working papers after Summary.
    expected = list(before.sheetnames)
    expected.insert(expected.index("Summary") + 1, "Form 8949")
    assert after.sheetnames == expected
    notes = after[NOTES]
    assert isinstance(notes, Worksheet)

    # formulas: the very same text, still formulas
    for coord, formula in FORMULAS.items():
        assert notes[coord].value == formula, coord
        assert notes[coord].data_type == "f", coord
    assert notes["B1"].value == 0.25
    assert notes["A1"].value == "My rate"

    # the user's defined name, and the Summary name the user's formula relies on
    assert "MyRate" in after.defined_names
    assert after.defined_names["MyRate"].attr_text == "'My notes'!$B$1"
    sheet, coord = next(iter(after.defined_names["TaxSaved"].destinations))
    assert sheet == "Summary"
    tax_saved = after[sheet][coord.replace("$", "")].value  # filled in by the plan
    assert isinstance(tax_saved, (int, float)) and tax_saved > 0
    assert notes.defined_names["MyLocal"].attr_text == "'My notes'!$A$1:$B$6"

    # data validation
    dvs = notes.data_validations.dataValidation
    assert len(dvs) == 1
    assert dvs[0].type == "list" and dvs[0].formula1 == '"keep,sell,watch"'
    assert str(dvs[0].sqref) == "C1:C20"
    assert dvs[0].error == "keep, sell or watch"

    # named style and number formats
    assert "MyHighlight" in after.named_styles
    b5 = notes["B5"]
    assert b5.style == "MyHighlight"
    assert b5.number_format == '0.000" units"'
    assert b5.font.b and b5.font.color is not None and b5.font.color.rgb == "FFC00000"
    assert b5.fill.fgColor.rgb == "FFFFF2CC"
    b2 = notes["B2"]
    assert b2.number_format == "[Blue]#,##0.0000;[Red]-#,##0.0000"
    assert b2.font.i and b2.font.color is not None and b2.font.color.rgb == "FF00B050"

    # conditional formatting, comment, layout
    ranges = [str(cf.sqref) for cf in notes.conditional_formatting]
    assert ranges == ["B1:B6"]
    assert notes["A1"].comment is not None and notes["A1"].comment.text == "my own comment"
    assert notes.column_dimensions["A"].width == 33
    assert notes.freeze_panes == "A2"

    # the chart is still on the user's sheet
    charts: list[Any] = notes._charts  # type: ignore[attr-defined]  # openpyxl keeps charts here
    assert len(charts) == 1
    assert chart_title(charts[0]) == "My chart"
    assert charts[0].anchor._from.col == 4 and charts[0].anchor._from.row == 1  # E2

    # inputs unchanged, cell by cell (value, type, number format), tables intact
    for title in INPUT_SHEETS:
        assert cells(after[title]) == cells(before[title]), title
    for title in ("Lots", "Prices"):
        assert after[title].tables[title].ref == before[title].tables[title].ref
    profile_names = ("TaxYear", "FilingStatus", "OrdinaryIncome", "AsOfDate")
    for name in profile_names:
        assert after.defined_names[name].attr_text == before.defined_names[name].attr_text

    # and the plan was really written
    assert len(harvest_lots(out)) > 5


# --- .xlsm with a VBA project -------------------------------------------------------------


def vba_project_bytes() -> bytes:
    """A real vbaProject.bin (from xlwings' quickstart.xlsm, a dependency), else a stub.

    openpyxl copies the part without reading it, so a compound-file header with a body
    is enough to check that the bytes travel unchanged.
    """
    spec = importlib.util.find_spec("xlwings")
    if spec is not None and spec.origin is not None:
        candidate = Path(spec.origin).parent / "quickstart.xlsm"
        if candidate.is_file():
            with zipfile.ZipFile(candidate) as archive:
                if "xl/vbaProject.bin" in archive.namelist():
                    return archive.read("xl/vbaProject.bin")
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16) + struct.pack("<HH", 0x3E, 3)
    return header.ljust(512, b"\0") + bytes(range(256)) * 8


def make_xlsm(xlsx: Path, target: Path, vba: bytes) -> None:
    """Turn a .xlsx into a macro-enabled .xlsm holding ``vba`` as its VBA project."""
    with zipfile.ZipFile(xlsx) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "[Content_Types].xml":
                text = data.decode("utf-8").replace(XLSX_MAIN, MACRO_MAIN)
                text = text.replace(
                    "</Types>",
                    f'<Override PartName="/xl/vbaProject.bin" ContentType="{VBA_TYPE}"/></Types>',
                )
                data = text.encode("utf-8")
            elif info.filename == "xl/_rels/workbook.xml.rels":
                text = data.decode("utf-8").replace(
                    "</Relationships>",
                    f'<Relationship Id="rIdVba1" Type="{VBA_REL}" Target="vbaProject.bin"/>'
                    "</Relationships>",
                )
                data = text.encode("utf-8")
            dst.writestr(info, data)
        dst.writestr("xl/vbaProject.bin", vba)


def assert_macro_enabled(path: Path, vba: bytes) -> None:
    with zipfile.ZipFile(path) as archive:
        assert "xl/vbaProject.bin" in archive.namelist()
        assert archive.read("xl/vbaProject.bin") == vba
        assert part_type(archive, "xl/workbook.xml") == MACRO_MAIN
        assert part_type(archive, "xl/vbaProject.bin") == VBA_TYPE
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
        vba_rels = [r for r in rels.findall("rel:Relationship", NS) if r.attrib["Type"] == VBA_REL]
        assert len(vba_rels) == 1
        assert vba_rels[0].attrib["Target"].lstrip("/").removeprefix("xl/") == "vbaProject.bin"


@pytest.fixture
def xlsm(sample: Path, tmp_path: Path) -> tuple[Path, bytes]:
    vba = vba_project_bytes()
    path = tmp_path / "macro.xlsm"
    make_xlsm(sample, path, vba)
    assert_macro_enabled(path, vba)  # the test input itself is what we think it is
    return path, vba


def test_xlsm_keeps_its_vba_project(xlsm: tuple[Path, bytes], tmp_path: Path) -> None:
    source, vba = xlsm
    digest = sha256(source)

    fill_ok(source.name, "-o", "planned.xlsm", cwd=tmp_path)

    out = tmp_path / "planned.xlsm"
    assert sha256(source) == digest
    assert_macro_enabled(out, vba)
    assert len(harvest_lots(out)) > 5


def test_xlsm_default_output_and_in_place_keep_the_vba_project(
    xlsm: tuple[Path, bytes], tmp_path: Path
) -> None:
    source, vba = xlsm

    fill_ok(source.name, cwd=tmp_path)
    assert_macro_enabled(tmp_path / "macro-harvest.xlsm", vba)

    fill_ok(source.name, "--in-place", cwd=tmp_path)
    assert_macro_enabled(source, vba)
    assert len(harvest_lots(source)) > 5


@pytest.mark.parametrize(
    ("source_kind", "output"),
    [("xlsx", "planned.xlsm"), ("xlsm", "planned.xlsx")],
    ids=["xlsx_to_xlsm", "xlsm_to_xlsx"],
)
def test_output_extension_matches_the_file_format(
    source_kind: str, output: str, sample: Path, xlsm: tuple[Path, bytes], tmp_path: Path
) -> None:
    source = sample if source_kind == "xlsx" else xlsm[0]
    r = run_fill(str(source), "-o", output, cwd=tmp_path)
    out = tmp_path / output
    if r.returncode == 2:
        assert len(r.stderr.splitlines()) == 1 and not out.exists()
        return
    assert r.returncode == 0, r.stderr
    with zipfile.ZipFile(out) as archive:
        expected = MACRO_MAIN if output.endswith(".xlsm") else XLSX_MAIN
        assert part_type(archive, "xl/workbook.xml") == expected


# --- injection ----------------------------------------------------------------------------

HYPERLINK = '=HYPERLINK("http://x","y")'
ONE_PLUS_ONE = "=1+1"
ASSET = "=SOL*2"  # SOL renamed everywhere, Prices included: the plan is unchanged


def test_formula_like_text_stays_text(sample: Path, baseline: Path, tmp_path: Path) -> None:
    sold = harvest_lots(baseline)
    assert len(sold) >= 3
    hyperlink_lot, renamed_lot = sold[0], sold[1]

    wb = openpyxl.load_workbook(sample)
    set_lot(wb, hyperlink_lot, "Tx ID", HYPERLINK, as_text=True)
    set_lot(wb, renamed_lot, "Lot ID", ONE_PLUS_ONE, as_text=True)
    lots, prices = wb["Lots"], wb["Prices"]
    asset_col = header_col(lots, "Asset")
    for number in range(2, lots.max_row + 1):
        cell = lots.cell(row=number, column=asset_col)
        if cell.value == "SOL":
            cell.value, cell.data_type = ASSET, "s"
    price_cell = prices.cell(row=row_of(prices, "SOL"), column=1)
    price_cell.value, price_cell.data_type = ASSET, "s"
    source = tmp_path / "inject.xlsx"
    wb.save(source)

    # The input really holds these as text cells.
    check = openpyxl.load_workbook(source)
    stored = {
        c.value: c.data_type
        for row in check["Lots"].iter_rows()
        for c in row
        if c.value in (HYPERLINK, ONE_PLUS_ONE, ASSET)
    }
    assert stored == {HYPERLINK: "s", ONE_PLUS_ONE: "s", ASSET: "s"}
    digest = sha256(source)

    fill_ok("inject.xlsx", "-o", "out.xlsx", cwd=tmp_path)

    out = tmp_path / "out.xlsx"
    assert sha256(source) == digest
    expected_harvest = [ONE_PLUS_ONE if lot == renamed_lot else lot for lot in sold]
    assert harvest_lots(out) == expected_harvest  # the same plan, with the text kept

    after = openpyxl.load_workbook(out)
    found: dict[tuple[str, str], int] = {}
    for title in OUTPUT_SHEETS:
        for cells_row in after[title].iter_rows():
            for c in cells_row:
                for text in (HYPERLINK, ONE_PLUS_ONE, ASSET):
                    if isinstance(c.value, str) and text in c.value:
                        assert c.data_type == "s", (title, c.coordinate, c.value, c.data_type)
                        assert c.value == text, (title, c.coordinate, c.value)
                        found[(title, text)] = found.get((title, text), 0) + 1
    for title in ("Positions", "Harvest"):
        assert found.get((title, HYPERLINK)) == 1, (title, found)
        assert found.get((title, ONE_PLUS_ONE)) == 1, (title, found)
        assert found.get((title, ASSET), 0) >= 1, (title, found)
    assert found.get(("Summary", ASSET)) == 1, found  # the by-asset chart data
    harvest = after["Harvest"]
    row = 1 + 1 + expected_harvest.index(ONE_PLUS_ONE)
    assert harvest.cell(row=row, column=1).value == ONE_PLUS_ONE
    assert harvest.cell(row=2, column=4).value == HYPERLINK  # Tx ID of the first sale

    # Down in the XML: no formula element carries the injected text.
    with zipfile.ZipFile(out) as archive:
        paths = sheet_xml_paths(archive)
        for title in OUTPUT_SHEETS:
            root = ElementTree.fromstring(archive.read(paths[title]))
            formulas = [f.text or "" for f in root.iter(f"{{{NS['main']}}}f")]
            for text in ("HYPERLINK", "1+1", "SOL"):
                assert not any(text in f for f in formulas), (title, text, formulas)
            if title != "Summary":
                assert formulas == [], (title, formulas)


# --- reading flexibility ------------------------------------------------------------------


def rename_headers(wb: Workbook) -> None:
    ws = wb["Lots"]
    renames = {"Lot ID": "  lot id ", "Cost Basis": "COST BASIS", "Acquired": "acquired  "}
    for header, new in renames.items():
        ws.cell(row=1, column=header_col(ws, header)).value = new
        for column in ws.tables["Lots"].tableColumns:
            if column.name == header:
                column.name = new
    prices = wb["Prices"]
    prices.cell(row=1, column=header_col(prices, "Price")).value = "PRICE"
    for column in prices.tables["Prices"].tableColumns:
        if column.name == "Price":
            column.name = "PRICE"


def plain_range(wb: Workbook) -> None:
    del wb["Lots"].tables["Lots"]
    del wb["Prices"].tables["Prices"]


def plain_range_below_blank_rows(wb: Workbook) -> None:
    plain_range(wb)
    wb["Lots"].insert_rows(1, amount=3)


def text_dates_and_numbers(wb: Workbook) -> None:
    # L08 is in the plan: acquired 2026-10-06, 1.5 BTC for 137,319.00
    set_lot(wb, "L08", "Acquired", "2026-10-06", as_text=True)
    set_lot(wb, "L08", "Quantity", "1.5", as_text=True)
    set_lot(wb, "L08", "Cost Basis", "137319.00", as_text=True)
    set_lot(wb, "L01", "Acquired", "2022-11-21 ", as_text=True)
    set_lot(wb, "L02", "Quantity", " 0.5", as_text=True)


def excel_serial(day: dt.date) -> int:
    return (day - dt.date(1899, 12, 30)).days  # the 1900 date system, after March 1900


def serial_dates(wb: Workbook) -> None:
    set_lot(wb, "L06", "Acquired", float(excel_serial(dt.date(2025, 12, 4))))
    set_lot(wb, "L23", "Acquired", excel_serial(dt.date(2026, 1, 6)))
    ws = wb["Lots"]
    for lot in ("L06", "L23"):
        ws.cell(row=row_of(ws, lot), column=header_col(ws, "Acquired")).number_format = "General"


VARIANTS = {
    "headers_case_and_spaces": rename_headers,
    "plain_range_without_tables": plain_range,
    "plain_range_below_blank_rows": plain_range_below_blank_rows,
    "iso_text_dates_and_numeric_text": text_dates_and_numbers,
    "excel_serial_dates": serial_dates,
}


@pytest.mark.parametrize("variant", list(VARIANTS), ids=list(VARIANTS))
def test_equivalent_inputs_give_the_same_plan(
    variant: str, sample: Path, baseline: Path, tmp_path: Path
) -> None:
    wb = openpyxl.load_workbook(sample)
    VARIANTS[variant](wb)
    source = tmp_path / "variant.xlsx"
    wb.save(source)
    before = values(source, "Lots")

    fill_ok("variant.xlsx", "-o", "out.xlsx", cwd=tmp_path)

    out = tmp_path / "out.xlsx"
    for title in ("Harvest", "Positions"):
        assert values(out, title) == values(baseline, title), title
    assert values(out, "Summary") == values(baseline, "Summary")
    assert values(out, "Lots") == before  # read, never rewritten


def test_lots_and_prices_from_csv_give_the_same_plan(
    sample: Path, baseline: Path, tmp_path: Path
) -> None:
    shutil.copyfile(SAMPLES / "sample_lots.csv", tmp_path / "lots.csv")
    shutil.copyfile(SAMPLES / "sample_prices.csv", tmp_path / "prices.csv")
    # The workbook's own Lots and Prices are broken: only the CSV files can be read.
    wb = openpyxl.load_workbook(sample)
    set_lot(wb, "L13", "Quantity", "lots")
    wb["Prices"]["B2"] = "cheap"
    source = tmp_path / "profile-only.xlsx"
    wb.save(source)
    digest = sha256(source)
    broken = run_fill(source.name, "-o", "x.xlsx", cwd=tmp_path)
    assert broken.returncode == 2, broken.stderr  # as a control: the sheets are bad

    fill_ok(
        source.name, "--lots", "lots.csv", "--prices", "prices.csv", "-o", "out.xlsx", cwd=tmp_path
    )

    out = tmp_path / "out.xlsx"
    assert sha256(source) == digest
    for title in ("Harvest", "Positions"):
        assert values(out, title) == values(baseline, title), title
    # The same Summary, but for where it says the lots came from: the file.
    said = [r for r in values(out, "Summary") if r[0] == "Lots from"]
    assert said and said[0][1] == "lots.csv (40 lots)"
    assert [r for r in values(out, "Summary") if r[0] != "Lots from"] == [
        r for r in values(baseline, "Summary") if r[0] != "Lots from"
    ]


def test_csv_error_names_file_and_line(sample: Path, tmp_path: Path) -> None:
    lines = (SAMPLES / "sample_lots.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    quantity = header.index("Quantity")
    row = lines[5].split(",")  # line 6 of the file
    row[quantity] = "lots"
    lines[5] = ",".join(row)
    (tmp_path / "lots.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    shutil.copyfile(sample, tmp_path / "book.xlsx")
    before = {p.name for p in tmp_path.iterdir()}

    r = run_fill("book.xlsx", "--lots", "lots.csv", cwd=tmp_path)

    assert r.returncode == 2
    assert r.stderr.splitlines() == [r.stderr.strip()]
    assert r.stderr.startswith("tlh-xl: error: lots.csv:6 Quantity: "), r.stderr
    assert "'lots'" in r.stderr
    assert {p.name for p in tmp_path.iterdir()} == before


def test_xml_entity_attack_is_refused(tmp_path: Path) -> None:
    """A workbook whose XML declares entities (billion laughs) is refused by defusedxml."""
    import zipfile

    from tlh_xl.workbook.sample import build_sample_workbook

    good = tmp_path / "good.xlsx"
    build_sample_workbook(good)
    evil = tmp_path / "evil.xlsx"
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    )
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(evil, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/workbook.xml":
                text = data.decode()
                body = text.split("?>", 1)[1] if text.startswith("<?xml") else text
                data = (bomb + body).encode()
            zout.writestr(item, data)
    r = subprocess.run(
        [sys.executable, "-m", "tlh_xl", "fill", str(evil)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "refused" in r.stderr and "entities" in r.stderr
    assert not (tmp_path / "evil-harvest.xlsx").exists()


def test_the_ledger_reads_a_workbook_through_the_same_gate_as_fill(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`tlh-xl ledger book.xlsx` reads its Transactions and Wallets with openpyxl: the
    XML gate with its size limits comes first, as for fill. With the cell limit lowered
    to 50, the ledger sample (its Transactions alone hold 150 cells) is refused in one
    line."""
    from tlh_xl.cli import main
    from tlh_xl.workbook import package
    from tlh_xl.workbook.sample import build_ledger_sample_workbook

    book = tmp_path / "book.xlsx"
    build_ledger_sample_workbook(book)
    assert main(["ledger", str(book), "--tz", "America/New_York"]) == 0  # as a control
    capsys.readouterr()
    monkeypatch.setattr(package, "MAX_SHEET_CELLS", 50)
    assert main(["ledger", str(book)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cells" in err[0], err
