"""The fast way in (``fast_read``, ``package``): the Grid openpyxl would read, and the cells
openpyxl did not load written back as they were.

* Grids: on the sample and on workbooks made awkward on purpose (dates as serials, as text
  and in the 1904 system; blank and whitespace cells; formulas with cached values; numbers
  as text; a table away from A1; headers in odd case and spacing; a plain range; shared
  strings and Excel's row attributes), calamine's Grid equals openpyxl's: every record,
  value and type, every place, every header, and the same error when a column is missing.
* Fallbacks: what calamine would read differently (an error cell, ``5.0``, an ``_x000D_``
  escape, outer spaces not marked ``xml:space``, a number format the two classify
  differently) sends the reading to openpyxl, and the inputs are still the same.
* Carrying: a workbook filled with its sheets carried equals one filled the plain way,
  sheet by sheet and cell by cell, with its names, validation, tables and VBA; the source's
  shared strings come along; a failed splice falls back to a plain save.
* The gate: a markup declaration in any part is refused before calamine or openpyxl reads.

Here sheets count as big from 0 bytes (``BIG_SHEET`` patched), so the small sample's sheets
take the fast way; one test fills a workbook big enough for it through the command line.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import subprocess
import sys
import zipfile
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import openpyxl
import pytest
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import CALENDAR_MAC_1904
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.table import Table, TableColumn

from tlh_xl.errors import TlhError, WorkbookError
from tlh_xl.workbook import fast_read, fast_rows, fill, package
from tlh_xl.workbook.contract import LOT_COLUMNS
from tlh_xl.workbook.reader import Inputs, read_inputs
from tlh_xl.workbook.sample import build_sample_workbook
from tlh_xl.workbook.sheets import build_lots

from .libreoffice import SOFFICE, recalculate
from .test_fill_bad_input import WORKBOOK_DEFECTS
from .test_fill_preserves import add_user_content, make_xlsm, vba_project_bytes

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
X14AC = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"


# --- helpers ------------------------------------------------------------------------------


@pytest.fixture
def big_from_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every sheet is big enough to strip."""
    monkeypatch.setattr(package, "BIG_SHEET", 0)


def plain_inputs(path: Path) -> Inputs:
    """What the plain way reads: openpyxl's cells, cached values from a values-only load."""
    wb = fill.load_workbook_safely(path)
    values: list[Any] = []

    def cached(sheet: str, coord: str) -> Any:
        if not values:
            values.append(fill.load_workbook_safely(path, data_only=True))
        return values[0][sheet][coord].value

    return read_inputs(wb, cached)


def fast_book(path: Path) -> fast_read.FastBook:
    book = fast_read.open_fast(path)
    assert book is not None
    return book


def typed(records: list[dict[str, Any]]) -> list[list[tuple[str, type, Any]]]:
    """Records with each value's type, so that 5 and 5.0 differ."""
    return [[(k, type(v), v) for k, v in r.items()] for r in records]


def assert_same_inputs(fast: Inputs, plain: Inputs) -> None:
    for grid in ("lots", "prices"):
        a, b = getattr(fast, grid), getattr(plain, grid)
        assert a.name == b.name, grid
        assert a.headers == b.headers, grid
        assert typed(a.records) == typed(b.records), grid
        assert a.places == b.places, grid
    assert fast.profile == plain.profile
    assert fast.profile_cells == plain.profile_cells


def assert_reads_like_openpyxl(path: Path, *, by_calamine: tuple[str, ...] = ("Lots",)) -> None:
    book = fast_book(path)
    fast = book.read_inputs(None, None)
    assert set(by_calamine) <= set(book.read_with_calamine), book.read_with_calamine
    assert_same_inputs(fast, plain_inputs(path))


def sheet_part(path: Path, title: str) -> str:
    with zipfile.ZipFile(path) as archive:
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
        targets = {
            r.get("Id"): r.get("Target", "") for r in rels.iter(f"{{{PKG_REL}}}Relationship")
        }
        book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        for sheet in book.iter(f"{{{MAIN}}}sheet"):
            if sheet.get("name") == title:
                target = targets[sheet.get(f"{{{REL}}}id")]
                return target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    raise AssertionError(f"no sheet {title!r}")


def rewrite_parts(path: Path, edits: dict[str, Callable[[str], str]], add: dict[str, str]) -> None:
    """Edit parts of a saved workbook as text (what openpyxl cannot write: cached values,
    shared strings, Excel's attributes), and add parts."""
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    for name, edit in edits.items():
        parts[name] = edit(parts[name].decode("utf-8")).encode("utf-8")
    for name, text in add.items():
        parts[name] = text.encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def edit_cell(path: Path, title: str, coord: str, element: str) -> None:
    """Replace one ``<c>`` element of a sheet by ``element`` (raw XML)."""

    def edit(xml: str) -> str:
        pattern = re.compile(rf'<c r="{coord}"[^>]*?(?:/>|>.*?</c>)')
        assert pattern.search(xml), coord
        return pattern.sub(element.replace("\\", "\\\\"), xml, count=1)

    rewrite_parts(path, {sheet_part(path, title): edit}, {})


def lot_cell(wb: Workbook, lot_id: str, header: str) -> Any:
    ws = wb["Lots"]
    headers = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        if row[0].value == lot_id:
            return row[headers.index(header)]
    raise AssertionError(lot_id)


def variant(tmp_path: Path, change: Callable[[Workbook], None], name: str = "v.xlsx") -> Path:
    path = tmp_path / name
    build_sample_workbook(path)
    wb = openpyxl.load_workbook(path)
    change(wb)
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sample") / "sample.xlsx"
    build_sample_workbook(path)
    return path


# --- the Grid is openpyxl's ----------------------------------------------------------------


def test_the_sample_reads_the_same(sample: Path, big_from_zero: None) -> None:
    assert_reads_like_openpyxl(sample, by_calamine=("Lots", "Prices"))


def dates_every_way(wb: Workbook) -> None:
    lot_cell(wb, "L06", "Acquired").value = 45995.0  # a serial number, General format
    lot_cell(wb, "L06", "Acquired").number_format = "General"
    lot_cell(wb, "L23", "Acquired").value = 46028
    lot_cell(wb, "L23", "Acquired").number_format = "General"
    cell = lot_cell(wb, "L01", "Acquired")
    cell.value, cell.data_type = "2022-11-21 ", "s"  # ISO text, a trailing space
    lot_cell(wb, "L02", "Acquired").value = dt.datetime(2023, 3, 15, 13, 45, 10)
    late = lot_cell(wb, "L03", "Acquired")  # a date format on a serial past 9999-12-31
    late.value, late.number_format = 3_000_000, "yyyy-mm-dd"
    lot_cell(wb, "L04", "Notes").value = dt.datetime(2024, 12, 17)  # a date in a text column
    lot_cell(wb, "L05", "Notes").value = 45000.5  # a number in a text column


def numbers_every_way(wb: Workbook) -> None:
    for lot, header, value in (
        ("L08", "Quantity", "1.5"),
        ("L02", "Quantity", " 0.5"),
        ("L08", "Cost Basis", "137319.00"),
        ("L09", "Price Override", "  "),
        ("L10", "Quantity", 5),
        ("L11", "Quantity", 5.25),
        ("L12", "Quantity", -25),
        ("L13", "Cost Basis", 3_500_000),  # past calamine's plain range: read from the XML
        ("L15", "Cost Basis", 1e-8),
        ("L16", "Lot ID", 7),  # a number where text belongs
        ("L17", "Lot ID", 7.5),
    ):
        cell = lot_cell(wb, lot, header)
        cell.value = value
        if isinstance(value, str):
            cell.data_type = "s"
    lot_cell(wb, "L18", "Exclude").value = True
    lot_cell(wb, "L19", "Exclude").value = False
    lot_cell(wb, "L20", "Exclude").value = "yes"


def blanks(wb: Workbook) -> None:
    ws = wb["Lots"]
    for cell in next(row for row in ws.iter_rows(min_row=2) if row[0].value == "L07"):
        cell.value = None  # a blank row inside the table
    for cell in next(row for row in ws.iter_rows(min_row=2) if row[0].value == "L21"):
        cell.value, cell.data_type = "   ", "s"  # whitespace only: blank too
    lot_cell(wb, "L22", "Tx ID").value = None
    ws["N5"] = "outside the table"
    ws["M30"].font = Font(bold=True)  # a styled empty cell past the table


def headers_odd(wb: Workbook) -> None:
    ws = wb["Lots"]
    renames = {"Lot ID": "  lot id ", "Cost Basis": "COST BASIS", "Acquired": "acquired  "}
    for cell in ws[1]:
        if cell.value in renames:
            new = renames[str(cell.value)]
            for column in ws.tables["Lots"].tableColumns:
                if column.name == cell.value:
                    column.name = new
            cell.value = new


def table_away_from_a1(wb: Workbook) -> None:
    """The Lots table at C4:M44 of a sheet that starts with a title."""
    old = wb["Lots"]
    rows = [[c.value for c in row] for row in old.iter_rows(max_col=len(LOT_COLUMNS))]
    index = wb.sheetnames.index("Lots")
    wb.remove(old)
    ws = wb.create_sheet("Lots", index)
    ws["A1"] = "My lots"
    for r, row in enumerate(rows, start=4):
        for c, value in enumerate(row, start=3):
            cell = ws.cell(row=r, column=c, value=value)
            if isinstance(value, dt.datetime):
                cell.number_format = "yyyy-mm-dd"
    ref = f"C4:{get_column_letter(2 + len(LOT_COLUMNS))}{3 + len(rows)}"
    table = Table(displayName="Lots", ref=ref)
    for i, header in enumerate(rows[0], start=1):
        table.tableColumns.append(TableColumn(id=i, name=str(header)))
    ws.add_table(table)


def plain_range_below_blank_rows(wb: Workbook) -> None:
    del wb["Lots"].tables["Lots"]
    del wb["Prices"].tables["Prices"]
    wb["Lots"].insert_rows(1, amount=3)
    wb["Lots"]["R9"].font = Font(italic=True)  # widens openpyxl's max_column, with no value


def mac_1904(wb: Workbook) -> None:
    wb.epoch = CALENDAR_MAC_1904
    cell = lot_cell(wb, "L06", "Acquired")
    cell.value, cell.number_format = 44531, "General"  # 2025-12-04 in the 1904 system


VARIANTS: dict[str, Callable[[Workbook], None]] = {
    "dates_every_way": dates_every_way,
    "numbers_every_way": numbers_every_way,
    "blank_and_whitespace_rows": blanks,
    "headers_odd_case_and_spaces": headers_odd,
    "table_away_from_a1": table_away_from_a1,
    "plain_range_below_blank_rows": plain_range_below_blank_rows,
    "dates_1904": mac_1904,
}


@pytest.mark.filterwarnings("ignore:Cell .* is marked as a date:UserWarning")  # openpyxl's
@pytest.mark.parametrize("name", list(VARIANTS), ids=list(VARIANTS))
def test_awkward_workbooks_read_the_same(name: str, tmp_path: Path, big_from_zero: None) -> None:
    assert_reads_like_openpyxl(variant(tmp_path, VARIANTS[name]))


@pytest.mark.parametrize("mac", [False, True], ids=["1900", "1904"])
def test_date_times_convert_as_openpyxl_converts_them(
    mac: bool, tmp_path: Path, big_from_zero: None
) -> None:
    """Random serials with a time of day, in a date column and as text (where the
    datetime's microseconds show): calamine's conversion is openpyxl's, in both systems."""
    import random

    rnd = random.Random(1904 if mac else 1900)

    def serials(wb: Workbook) -> None:
        if mac:
            wb.epoch = CALENDAR_MAC_1904
        ws = wb["Lots"]
        headers = [c.value for c in ws[1]]
        for row in ws.iter_rows(min_row=2):
            for header in ("Acquired", "Notes"):
                cell = row[headers.index(header)]
                cell.value = rnd.choice([rnd.uniform(1, 2_800_000), rnd.uniform(40000, 50000)])
                cell.number_format = "yyyy-mm-dd hh:mm:ss.000"

    assert_reads_like_openpyxl(variant(tmp_path, serials))


def test_a_whole_number_past_a_floats_digits_is_read_from_the_xml(
    tmp_path: Path, big_from_zero: None
) -> None:
    """openpyxl writes such an int as 1.2e+16; Excel writes all of its digits."""
    path = tmp_path / "digits.xlsx"
    build_sample_workbook(path)
    ref = lot_cell(openpyxl.load_workbook(path), "L14", "Cost Basis").coordinate
    edit_cell(path, "Lots", ref, f'<c r="{ref}"><v>12345678901234567</v></c>')
    assert lot_cell(openpyxl.load_workbook(path), "L14", "Cost Basis").value == 12345678901234567
    assert_reads_like_openpyxl(path)


def test_formulas_read_their_cached_values(tmp_path: Path, big_from_zero: None) -> None:
    """openpyxl writes no cached values, so they are put in the XML as Excel would."""

    def formulas(wb: Workbook) -> None:
        lot_cell(wb, "L05", "Cost Basis").value = "=1000+234.5"
        lot_cell(wb, "L06", "Notes").value = '="a"&"b"'
        lot_cell(wb, "L07", "Exclude").value = "=TRUE()"
        lot_cell(wb, "L08", "Acquired").value = "=DATE(2026,10,6)"
        ws = wb["Lots"]
        row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == "L09")
        for cell in row:
            cell.value = '=""'  # a row of formulas whose values are blank: still a row

    path = variant(tmp_path, formulas)
    wb = openpyxl.load_workbook(path)
    cells = {
        lot_cell(wb, "L05", "Cost Basis").coordinate: ("1234.5", ""),
        lot_cell(wb, "L06", "Notes").coordinate: ("ab", ' t="str"'),
        lot_cell(wb, "L07", "Exclude").coordinate: ("1", ' t="b"'),
        lot_cell(wb, "L08", "Acquired").coordinate: ("46301", ""),
    }
    l09 = next(r for r in wb["Lots"].iter_rows(min_row=2) if r[0].value == '=""')
    cells.update({c.coordinate: ("", ' t="str"') for c in l09})

    def cache(xml: str) -> str:
        for coord, (value, kind) in cells.items():
            pattern = rf'<c r="{coord}"( s="\d+")?><f>(.*?)</f><v></v>'
            cached = rf'<c r="{coord}"\1{kind}><f>\2</f><v>{value}</v>'
            xml, found = re.subn(pattern, cached, xml)
            assert found == 1, coord
        return xml

    rewrite_parts(path, {sheet_part(path, "Lots"): cache}, {})
    assert_reads_like_openpyxl(path)


def test_a_missing_column_is_named_alike(tmp_path: Path, big_from_zero: None) -> None:
    def drop_cost_basis(wb: Workbook) -> None:
        plain_range_below_blank_rows(wb)
        for cell in wb["Lots"][4]:
            if cell.value == "Cost Basis":
                cell.value = "Cost"

    path = variant(tmp_path, drop_cost_basis)
    with pytest.raises(WorkbookError) as plain:
        plain_inputs(path)
    with pytest.raises(WorkbookError) as fast:
        fast_book(path).read_inputs(None, None)
    assert str(fast.value) == str(plain.value)
    assert "Lots!A4:R4" in str(plain.value)  # the range reaches openpyxl's last column


def to_shared_strings(path: Path, titles: tuple[str, ...] = ("Lots", "Prices")) -> None:
    """Make a workbook look saved by Excel: strings in a shared table (one with rich text
    and a phonetic run), rows with x14ac:dyDescent, the namespaces declared on the root."""
    table: list[str] = [
        "<r><t>ri</t></r><r><rPr><b/></rPr><t>ch</t></r>",
        "<t>x</t><rPh sb='0' eb='1'><t>y</t></rPh>",
    ]
    index: dict[str, int] = {}

    def share(xml: str) -> str:
        def one(m: re.Match[str]) -> str:
            body = m[2]
            if body not in index:
                index[body] = len(table)
                table.append(body)
            return f'{m[1]} t="s"><v>{index[body]}</v></c>'

        xml = re.sub(r'(<c r="[A-Z]+\d+"(?: s="\d+")?) t="inlineStr"><is>(.*?)</is></c>', one, xml)
        xml = re.sub(r'<row r="(\d+)"', r'<row r="\1" x14ac:dyDescent="0.25"', xml)
        return xml.replace(
            f'<worksheet xmlns="{MAIN}"',
            f'<worksheet xmlns="{MAIN}" xmlns:mc="{MC}" xmlns:x14ac="{X14AC}" mc:Ignorable="x14ac"',
            1,
        )

    edits: dict[str, Callable[[str], str]] = {sheet_part(path, t): share for t in titles}
    rewrite_parts(path, edits, {})
    sst = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="{MAIN}" '
        f'count="{len(table) + 5}" uniqueCount="{len(table)}">'
        + "".join(f"<si>{body}</si>" for body in table)
        + "</sst>"
    )
    rewrite_parts(
        path,
        {
            "[Content_Types].xml": lambda x: x.replace(
                "</Types>",
                '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
            ),
            "xl/_rels/workbook.xml.rels": lambda x: x.replace(
                "</Relationships>",
                f'<Relationship Id="rIdS" Type="{REL}/sharedStrings" '
                'Target="sharedStrings.xml"/></Relationships>',
            ),
        },
        {"xl/sharedStrings.xml": sst},
    )


def test_shared_strings_and_excel_row_attributes_read_the_same(
    tmp_path: Path, big_from_zero: None
) -> None:
    path = tmp_path / "excel.xlsx"
    build_sample_workbook(path)
    to_shared_strings(path)
    assert b"x14ac:dyDescent" in zipfile.ZipFile(path).read(sheet_part(path, "Lots"))
    assert_reads_like_openpyxl(path, by_calamine=("Lots", "Prices"))


# --- what calamine would read differently goes to openpyxl ---------------------------------

DIFFERENT = {
    "error_value": ('<c r="{ref}" t="e"><v>#N/A</v></c>', "an error value"),
    "whole_number_with_a_point": ('<c r="{ref}"><v>5.0</v></c>', "decimal point"),
    "whole_number_with_an_exponent": ('<c r="{ref}"><v>5E0</v></c>', "exponent"),
    "excel_escape": (
        '<c r="{ref}" t="inlineStr"><is><t>a_x000D_b</t></is></c>',
        "_xHHHH_ escape",
    ),
    "unmarked_outer_space": (
        '<c r="{ref}" t="inlineStr"><is><t>trailing </t></is></c>',
        "outer spaces",
    ),
}


@pytest.mark.parametrize("name", list(DIFFERENT), ids=list(DIFFERENT))
def test_what_calamine_reads_differently_is_left_to_openpyxl(
    name: str, tmp_path: Path, big_from_zero: None
) -> None:
    path = tmp_path / "odd.xlsx"
    build_sample_workbook(path)
    ref = lot_cell(openpyxl.load_workbook(path), "L10", "Quantity").coordinate
    element, why = DIFFERENT[name]
    edit_cell(path, "Lots", ref, element.format(ref=ref))

    with pytest.raises(fast_read.NeedsFullLoad, match=why):
        fast_book(path).read_inputs(None, None)

    wb, inputs, _transactions, carry, _ = fill._read_workbook(path, None, None)
    assert carry is None  # read, and so saved, the plain way
    assert_same_inputs(inputs, plain_inputs(path))


def test_a_number_format_the_two_classify_differently_is_left_to_openpyxl(
    tmp_path: Path, big_from_zero: None
) -> None:
    """openpyxl reads "0*d" as a date format ("d"), calamine as a number with a fill
    character: the oracle finds the disagreement, whichever cells use the style."""

    def style(wb: Workbook) -> None:
        wb["Read me"]["Z99"] = 1
        wb["Read me"]["Z99"].number_format = "0*d"

    path = variant(tmp_path, style)
    with pytest.raises(fast_read.NeedsFullLoad, match="number format"):
        fast_book(path).read_inputs(None, None)
    assert_same_inputs(fill._read_workbook(path, None, None)[1], plain_inputs(path))


# --- carried sheets: the output is the plain way's -----------------------------------------


def snapshot(path: Path) -> dict[str, Any]:
    """Everything a user would see, sheet by sheet, as openpyxl reads it back."""
    wb = openpyxl.load_workbook(path, keep_vba=path.suffix == ".xlsm")
    out: dict[str, Any] = {"sheets": wb.sheetnames, "epoch": wb.epoch}
    out["names"] = sorted((n, d.attr_text) for n, d in wb.defined_names.items())
    for ws in wb.worksheets:
        out[ws.title] = {
            "cells": {
                c.coordinate: (
                    c.value,
                    c.data_type,
                    c.number_format,
                    # openpyxl's style proxies compare by identity: compare what they hold
                    *(repr(s) for s in (c.font, c.fill, c.border, c.alignment, c.protection)),
                )
                for row in ws.iter_rows()
                for c in row
                if c.value is not None or c.has_style
            },
            "names": sorted((n, d.attr_text) for n, d in ws.defined_names.items()),
            "tables": dict(ws.tables.items()),  # name → ref
            "validation": [
                (d.type, d.formula1, str(d.sqref)) for d in ws.data_validations.dataValidation
            ],
            "formatting": [str(cf.sqref) for cf in ws.conditional_formatting],
            "widths": {k: d.width for k, d in ws.column_dimensions.items()},
            "heights": {k: d.height for k, d in ws.row_dimensions.items() if d.height},
            "freeze": ws.freeze_panes,
            "charts": len(getattr(ws, "_charts", [])),
            "merged": sorted(str(r) for r in ws.merged_cells.ranges),
        }
    return out


def fill_both(
    source: Path, folder: Path, monkeypatch: pytest.MonkeyPatch, spliced: int | None = None
) -> tuple[fill.FillResult, fill.FillResult]:
    """Fill the fast way and the plain way; ``spliced``: how many carried sheets the fast
    fill must write back (default: every sheet it carries)."""
    expected = len(carried_titles(source)) if spliced is None else spliced
    splices: list[bytes] = []
    splice = fast_rows._splice

    def counted(xml: bytes, carried: Any) -> bytes:
        splices.append(out := splice(xml, carried))
        return out

    with monkeypatch.context() as m:
        m.setattr(fast_rows, "_splice", counted)
        fast = fill.fill_workbook(source, folder / f"fast{source.suffix}", progress=False)
    assert len(splices) == expected
    with monkeypatch.context() as m:
        m.setattr(fill, "open_fast", lambda path: None)
        plain = fill.fill_workbook(source, folder / f"plain{source.suffix}", progress=False)
    assert fast.plan.sale_records == plain.plan.sale_records
    return fast, plain


def carried_titles(path: Path) -> list[str]:
    book = fast_book(path)
    assert book.carry is not None
    return [ws.title for ws, _ in book.carry.sheets]


def test_a_carried_fill_equals_a_plain_fill(
    sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, big_from_zero: None
) -> None:
    wb = openpyxl.load_workbook(sample)
    add_user_content(wb)  # formulas, names, validation, styles, a chart, a comment
    wb["Lots"].row_dimensions[3].height = 30
    source = tmp_path / "book.xlsx"
    wb.save(source)
    assert {"Lots", "Prices", "Formulas"} <= set(carried_titles(source))

    fast, plain = fill_both(source, tmp_path, monkeypatch)

    assert snapshot(fast.output) == snapshot(plain.output)
    with zipfile.ZipFile(fast.output) as archive:  # every part well-formed XML
        for name in archive.namelist():
            if name.endswith((".xml", ".rels")):
                ElementTree.fromstring(archive.read(name))


def test_a_carried_xlsm_keeps_its_vba(
    sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, big_from_zero: None
) -> None:
    vba = vba_project_bytes()
    source = tmp_path / "macro.xlsm"
    make_xlsm(sample, source, vba)
    assert "Lots" in carried_titles(source)

    fast, plain = fill_both(source, tmp_path, monkeypatch)

    assert snapshot(fast.output) == snapshot(plain.output)
    with zipfile.ZipFile(fast.output) as archive:
        assert archive.read("xl/vbaProject.bin") == vba


def test_carried_shared_strings_come_along(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, big_from_zero: None
) -> None:
    source = tmp_path / "excel.xlsx"
    build_sample_workbook(source)
    to_shared_strings(source)
    before = openpyxl.load_workbook(source)

    fast, plain = fill_both(source, tmp_path, monkeypatch)

    after = openpyxl.load_workbook(fast.output)
    for title in ("Lots", "Prices"):
        cells = {
            c.coordinate: (c.value, c.number_format)
            for row in after[title].iter_rows()
            for c in row
        }
        assert cells == {
            c.coordinate: (c.value, c.number_format)
            for row in before[title].iter_rows()
            for c in row
        }, title
    assert snapshot(fast.output) == snapshot(plain.output)
    with zipfile.ZipFile(fast.output) as archive, zipfile.ZipFile(source) as original:
        lots = archive.read(sheet_part(fast.output, "Lots"))
        assert b' t="s"' in lots and b"x14ac:" not in lots  # carried, Excel's hint dropped
        table = archive.read("xl/sharedStrings.xml")
        assert table.replace(b' count="', b"").count(b"<si>") == original.read(
            "xl/sharedStrings.xml"
        ).count(b"<si>")
        assert b' count="' not in table  # the sheets openpyxl wrote no longer use it
        rels = archive.read("xl/_rels/workbook.xml.rels").decode()
        assert rels.count("/relationships/sharedStrings") == 1
        types = archive.read("[Content_Types].xml").decode()
        assert types.count('PartName="/xl/sharedStrings.xml"') == 1


@pytest.mark.slow
@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_reads_carried_cells(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, big_from_zero: None
) -> None:
    source = tmp_path / "excel.xlsx"
    build_sample_workbook(source)
    to_shared_strings(source)
    fast = fill.fill_workbook(source, tmp_path / "fast.xlsx", progress=False)
    before = openpyxl.load_workbook(source)["Lots"]

    opened = openpyxl.load_workbook(recalculate(fast.output, tmp_path), data_only=True)["Lots"]

    for row in before.iter_rows(min_row=1, max_row=before.max_row):
        for cell in row:
            got = opened[cell.coordinate].value
            if isinstance(cell.value, Decimal | float):
                assert got == pytest.approx(float(cell.value)), cell.coordinate
            else:
                assert (got or None) == (cell.value or None), cell.coordinate


def test_a_failed_splice_saves_the_plain_way(
    sample: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    big_from_zero: None,
) -> None:
    def unexpected(xml: bytes, carried: Any) -> bytes:
        raise fast_rows.Unsupported("a future openpyxl")

    monkeypatch.setattr(fast_rows, "_splice", unexpected)
    with caplog.at_level(logging.INFO, logger=fill.__name__):
        fast, plain = fill_both(sample, tmp_path, monkeypatch, spliced=0)
    assert any("plain way (a future openpyxl)" in r.getMessage() for r in caplog.records)
    assert snapshot(fast.output) == snapshot(plain.output)
    assert not list(tmp_path.glob(".~tlh-*"))


def test_a_big_workbook_through_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """1,200 lots: a Lots sheet past BIG_SHEET with no patching, filled by ``python -m
    tlh_xl fill``; the output equals an in-process plain fill's."""
    source = tmp_path / "big.xlsx"
    build_sample_workbook(source)
    wb = openpyxl.load_workbook(source)
    rows = [
        dict(zip([c.field for c in LOT_COLUMNS], (c.value for c in row)))
        for row in wb["Lots"].iter_rows(min_row=2, max_col=len(LOT_COLUMNS))
    ]
    many = [dict(r, lot_id=f"{r['lot_id']}-{i}") for i in range(30) for r in rows]
    index = wb.sheetnames.index("Lots")
    wb.remove(wb["Lots"])
    build_lots(wb.create_sheet("Lots", index), many)
    wb.save(source)
    assert "Lots" in carried_titles(source)

    r = subprocess.run(
        [sys.executable, "-m", "tlh_xl", "fill", source.name, "-o", "cli.xlsx"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr

    with monkeypatch.context() as m:
        m.setattr(fill, "open_fast", lambda path: None)
        fill.fill_workbook(source, tmp_path / "plain.xlsx", progress=False)
    assert snapshot(tmp_path / "cli.xlsx") == snapshot(tmp_path / "plain.xlsx")

    # A Profile error, found before Lots is read: the one-line error, nothing written.
    ((sheet, coord),) = wb.defined_names["FilingStatus"].destinations
    wb[sheet][coord.replace("$", "")].value = "Married"
    wb.save(tmp_path / "bad.xlsx")
    r = subprocess.run(
        [sys.executable, "-m", "tlh_xl", "fill", "bad.xlsx"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert r.returncode == 2, r.stderr
    assert r.stderr.startswith("tlh-xl: error: Profile!") and len(r.stderr.splitlines()) == 1
    assert not (tmp_path / "bad-harvest.xlsx").exists()


# --- the gate ------------------------------------------------------------------------------

DECLARATIONS = {
    "entity_in_the_lots_sheet": '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>',
    "external_dtd": '<!DOCTYPE worksheet SYSTEM "http://example.com/x.dtd">',
}


@pytest.mark.parametrize("name", list(DECLARATIONS), ids=list(DECLARATIONS))
def test_a_declaration_is_refused_before_any_parser(
    name: str, sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import python_calamine

    path = tmp_path / "evil.xlsx"
    path.write_bytes(sample.read_bytes())
    part = sheet_part(path, "Lots")
    rewrite_parts(path, {part: lambda x: DECLARATIONS[name] + x.split("?>", 1)[-1]}, {})

    def no_parser(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a parser saw the workbook")

    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_filelike", no_parser)
    monkeypatch.setattr(openpyxl, "load_workbook", no_parser)
    monkeypatch.setattr(openpyxl.reader.excel, "load_workbook", no_parser)
    with pytest.raises(WorkbookError, match="refused: the workbook's XML declares entities"):
        fill.fill_workbook(path, tmp_path / "out.xlsx", progress=False)
    assert not (tmp_path / "out.xlsx").exists()


def test_the_gate_reads_utf16_and_lets_comments_through() -> None:
    assert package.declares_markup('<?xml version="1.0"?><!DOCTYPE x><x/>'.encode("utf-16"))
    assert package.declares_markup('<!ENTITY a "b">'.encode("utf-32"))
    assert not package.declares_markup(b"<?xml version='1.0'?><!-- made by hand --><x/>")
    assert not package.declares_markup(b"<x><![CDATA[<!DOCTYPE>]]></x>")


def test_a_package_too_big_to_hold_is_gated_by_chunks(
    sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past MAX_PACKAGE the parts are not held in memory, so openpyxl loads the workbook;
    the gate still reads every part first, a chunk at a time."""
    monkeypatch.setattr(package, "MAX_PACKAGE", 1000)
    path = tmp_path / "big.xlsx"
    path.write_bytes(sample.read_bytes())
    assert package.read_package(path) is None  # the plain way, past the gate
    part = sheet_part(path, "Prices")
    rewrite_parts(path, {part: lambda x: '<!DOCTYPE x [<!ENTITY a "b">]>' + x.split("?>")[-1]}, {})
    with pytest.raises(WorkbookError, match="refused"):
        package.read_package(path)


# --- bad input: the same error, read either way ------------------------------------------


@pytest.mark.parametrize("defect", list(WORKBOOK_DEFECTS), ids=list(WORKBOOK_DEFECTS))
def test_bad_input_read_the_fast_way_names_the_same_place(
    defect: str, sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, big_from_zero: None
) -> None:
    """The bad-input workbooks of test_fill_bad_input, their sheets stripped and read by
    calamine: the message is the plain way's, word for word, and nothing is written."""
    wb = openpyxl.load_workbook(sample)
    WORKBOOK_DEFECTS[defect].mutate(wb)
    source = tmp_path / "in.xlsx"
    wb.save(source)
    before = sorted(p.name for p in tmp_path.iterdir())

    with pytest.raises(TlhError) as fast:
        fill.fill_workbook(source, tmp_path / "fast.xlsx", progress=False)
    with monkeypatch.context() as m:
        m.setattr(fill, "open_fast", lambda path: None)
        with pytest.raises(TlhError) as plain:
            fill.fill_workbook(source, tmp_path / "plain.xlsx", progress=False)

    assert str(fast.value) == str(plain.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == before


# --- sheets that cannot be carried -------------------------------------------------------


def hyperlink(wb: Workbook) -> None:
    lot_cell(wb, "L03", "Tx ID").hyperlink = "https://example.com/tx"


def merged(wb: Workbook) -> None:
    wb["Lots"].merge_cells("M2:N3")


def comment(wb: Workbook) -> None:
    from openpyxl.comments import Comment

    lot_cell(wb, "L03", "Notes").comment = Comment("checked", "me")


UNCARRIED: dict[str, tuple[Callable[[Workbook], None], str | None]] = {
    "hyperlink": (hyperlink, None),
    "merged_cells": (merged, None),
    "comment": (comment, None),
    "dynamic_array_metadata": (lambda wb: None, '<c r="{ref}" cm="1"><f>1</f><v>1</v></c>'),
    "a_foreign_attribute": (lambda wb: None, '<c r="{ref}" xr:uid="{{1}}"><v>1</v></c>'),
}


@pytest.mark.parametrize("name", list(UNCARRIED), ids=list(UNCARRIED))
def test_what_cannot_be_carried_is_loaded_by_openpyxl(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, big_from_zero: None
) -> None:
    change, element = UNCARRIED[name]
    path = variant(tmp_path, change, "in.xlsx")
    if element is not None:
        ref = lot_cell(openpyxl.load_workbook(path), "L10", "Notes").coordinate
        edit_cell(path, "Lots", ref, element.format(ref=ref))
        if "xr:" in element:
            xr = "http://schemas.microsoft.com/office/spreadsheetml/2014/revision"
            rewrite_parts(
                path,
                {
                    sheet_part(path, "Lots"): lambda x: x.replace(
                        f'<worksheet xmlns="{MAIN}"',
                        f'<worksheet xmlns="{MAIN}" xmlns:xr="{xr}"',
                        1,
                    )
                },
                {},
            )
    assert "Lots" not in carried_titles(path)
    assert "Prices" in carried_titles(path)  # the other sheets still are

    fast, plain = fill_both(path, tmp_path, monkeypatch)

    assert snapshot(fast.output) == snapshot(plain.output)
