"""Hostile and broken workbooks (#13): each refused to the bad-input standard, or read.

The standard (``test_fill_bad_input``): exit 2, one line naming the place, no traceback, the
input unchanged, no output or temporary file left, in bounded time and memory. Each case is
built here, from the sample workbook or from nothing, with openpyxl or zipfile:

* formulas no one calculated (what openpyxl and pandas save): refused naming the cell, on
  each way of reading (openpyxl's cells, calamine's, the plain way); a formula whose
  calculated value is the empty string or 0 is read as such;
* two columns with one header: refused naming both cells;
* bombs: a package that expands past ``MAX_EXPANSION``, too many shared strings, rows or
  cells, refused by the gate before any parser, in a second or two; 200,000 formatted
  empty rows are read, quickly, by calamine;
* a workbook without ``<calcPr>`` fills;
* an output or ``init`` target in a folder that cannot be written: one line;
* SIGTERM while the output is written leaves no temporary file, as Ctrl-C does.
"""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook

from tlh_xl.cli import main
from tlh_xl.errors import TlhError, WorkbookError
from tlh_xl.workbook import fast_read, fill, package, writer
from tlh_xl.workbook.reader import CachedValues, Inputs, read_inputs
from tlh_xl.workbook.sample import build_sample_workbook

from .test_fast_read import assert_same_inputs, rewrite_parts, sheet_part
from .test_fill_bad_input import (
    INPUT,
    assert_refused,
    header_col,
    listing,
    lot_row,
    profile_cell,
    put_lot,
    run_fill,
    sha256,
)

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SST_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
SST_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"


# --- helpers ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sample") / "sample.xlsx"
    build_sample_workbook(path)
    return path


@pytest.fixture
def big_from_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every sheet is big enough to strip: the tables are read by calamine."""
    monkeypatch.setattr(package, "BIG_SHEET", 0)


def variant(sample: Path, folder: Path, change: Callable[[Workbook], str]) -> tuple[Path, str]:
    """The sample changed by ``change`` and saved by openpyxl as ``in.xlsx``; the place."""
    wb = openpyxl.load_workbook(sample)
    place = change(wb)
    path = folder / INPUT
    wb.save(path)
    return path, place


@dataclass
class Measured:
    result: subprocess.CompletedProcess[str]
    seconds: float
    peak_mb: float  # the command's peak resident memory (0 where /proc cannot say)


# ``python -m tlh_xl``, writing its peak resident memory (VmHWM: this process's since it
# started, not its parent's before the exec, as getrusage would count) to a file at exit.
MEASURED = """
import atexit, runpy, sys
peak_file = sys.argv[1]
sys.argv = ["tlh-xl", *sys.argv[2:]]
def peak():
    try:
        with open("/proc/self/status") as status:
            kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    except OSError:
        kb = 0
    with open(peak_file, "w") as out:
        out.write(str(kb))
atexit.register(peak)
runpy.run_module("tlh_xl", run_name="__main__", alter_sys=True)
"""


def run_measured(*args: str, cwd: Path) -> Measured:
    """``python -m tlh_xl ...`` as ``run_fill`` runs it, with its time and peak memory."""
    env = {k: v for k, v in os.environ.items() if k not in ("TLH_RULES_DIR", "TLH_DEBUG")}
    with tempfile.TemporaryDirectory() as folder:
        peak = Path(folder) / "peak"
        start = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-c", MEASURED, str(peak), *args],
            capture_output=True,
            text=True,
            cwd=cwd,
            env=env,
            timeout=300,
        )
        seconds = time.perf_counter() - start
        kb = int(peak.read_text()) if peak.exists() else 0
    return Measured(result, seconds, kb / 1024)


def refused_in_process(source: Path, folder: Path) -> str:
    """The message ``fill_workbook`` refuses ``source`` with, nothing written."""
    before = listing(folder)
    with pytest.raises(TlhError) as refused:
        fill.fill_workbook(source, folder / "out.xlsx", progress=False)
    assert listing(folder) == before
    return str(refused.value)


def plain_inputs(path: Path) -> Inputs:
    """The plain way's reading (openpyxl's cells, ``CachedValues``), as fill.py's
    ``_read_workbook`` reads a workbook that the fast way cannot."""
    cached = CachedValues(
        lambda: fill.load_workbook_safely(path, data_only=True),
        lambda: package.read_package(path),
    )
    return read_inputs(fill.load_workbook_safely(path), cached)


def zip_of(parts: dict[str, bytes], level: int = 9) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def with_shared_strings(path: Path, sst: bytes) -> None:
    """Add ``sst`` to the workbook at ``path`` as its shared-string table."""
    rewrite_parts(
        path,
        {
            "[Content_Types].xml": lambda x: x.replace(
                "</Types>",
                f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SST_TYPE}"/></Types>',
            ),
            "xl/_rels/workbook.xml.rels": lambda x: x.replace(
                "</Relationships>",
                f'<Relationship Id="rIdSst" Type="{SST_REL}" Target="sharedStrings.xml"/>'
                "</Relationships>",
            ),
        },
        {},
    )
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("xl/sharedStrings.xml", sst)


# --- 1. formulas no one calculated --------------------------------------------------------
# openpyxl saves a formula as <c><f>...</f><v></v></c>: no calculated value. Each case puts
# one in an input cell and returns the place the error must name.


def exclude_formula(wb: Workbook) -> str:
    return put_lot(wb, "L04", "Exclude", '=IF(TRUE,"yes","")') + " Exclude"


def quantity_formula(wb: Workbook) -> str:
    return put_lot(wb, "L07", "Quantity", "=2*3") + " Quantity"


def price_override_formula(wb: Workbook) -> str:
    return put_lot(wb, "L10", "Price Override", "=100*2") + " Price Override"


def price_formula(wb: Workbook) -> str:
    ws = wb["Prices"]
    row, col = lot_row(ws, "ETH"), header_col(ws, "Price")
    ws.cell(row=row, column=col).value = "=3000+1"
    return f"Prices!{get_column_letter(col)}{row} Price"


def carryforward_formula(wb: Workbook) -> str:
    sheet, coord = profile_cell(wb, "CarryforwardShortTerm")
    wb[sheet][coord].value = "=1000*2"
    return f"{sheet}!{coord} CarryforwardShortTerm"


def second_formula_in_the_row(wb: Workbook) -> str:
    """Two in one row: the first in column order is named, on every way of reading."""
    put_lot(wb, "L12", "Exclude", '=""')
    return put_lot(wb, "L12", "Quantity", "=1+1") + " Quantity"


UNCALCULATED: dict[str, Callable[[Workbook], str]] = {
    "lots_exclude": exclude_formula,
    "lots_quantity": quantity_formula,
    "lots_price_override": price_override_formula,
    "prices_price": price_formula,
    "profile_carryforward": carryforward_formula,
    "first_of_two_in_a_row": second_formula_in_the_row,
}
SAYS_UNCALCULATED = ("no calculated value", "open and save it in Excel or LibreOffice first")


@pytest.mark.parametrize("case", list(UNCALCULATED))
def test_a_formula_no_one_calculated_is_refused_naming_its_cell(
    case: str, sample: Path, tmp_path: Path
) -> None:
    source, place = variant(sample, tmp_path, UNCALCULATED[case])
    before, digest = listing(tmp_path), sha256(source)

    r = run_fill(INPUT, cwd=tmp_path)

    assert_refused(r, place, SAYS_UNCALCULATED, tmp_path, before, source, digest)


@pytest.mark.parametrize("case", list(UNCALCULATED))
def test_calamine_and_the_plain_reading_refuse_it_alike(
    case: str, sample: Path, tmp_path: Path, big_from_zero: None
) -> None:
    """The tables read by calamine (big sheets), and the plain reading's ``CachedValues``:
    the same message, word for word."""
    source, place = variant(sample, tmp_path, UNCALCULATED[case])
    fast = refused_in_process(source, tmp_path)
    assert fast.startswith(f"{place}: "), fast
    book = fast_read.open_fast(source)
    assert book is not None and book.stripped
    with pytest.raises(WorkbookError) as plain:
        plain_inputs(source)
    assert str(plain.value) == fast


def test_the_plain_way_of_fill_refuses_it(
    sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source, place = variant(sample, tmp_path, exclude_formula)
    monkeypatch.setattr(fill, "open_fast", lambda path: None)
    assert refused_in_process(source, tmp_path).startswith(f"{place}: ")


def calculated_values(path: Path, cells: dict[str, dict[str, str]]) -> None:
    """Give formula cells a calculated value in the XML, as Excel writes it: sheet → cell →
    the attributes and value, e.g. ``' t="str"'`` and ``<v></v>``."""

    def edit(cells_of_sheet: dict[str, str]) -> Callable[[str], str]:
        def put(xml: str) -> str:
            for coord, written in cells_of_sheet.items():
                pattern = rf'<c r="{coord}"( s="\d+")?><f>(.*?)</f><v></v></c>'
                kind, value = written.split("|")
                xml, found = re.subn(pattern, rf'<c r="{coord}"\1{kind}><f>\2</f>{value}</c>', xml)
                assert found == 1, coord
            return xml

        return put

    rewrite_parts(path, {sheet_part(path, title): edit(c) for title, c in cells.items()}, {})


def test_a_formula_calculated_to_empty_text_or_zero_is_read(
    sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``t="str"`` with ``<v></v>`` (Excel's ``=""``) is blank, ``<v>0</v>`` is 0: read
    alike by openpyxl's cells, by calamine and by the plain reading, and the fill runs."""

    def formulas(wb: Workbook) -> str:
        exclude = put_lot(wb, "L04", "Exclude", '=IF(FALSE,"yes","")')
        quantity = put_lot(wb, "L07", "Quantity", "=2*3")
        carry = carryforward_formula(wb).split(" ")[0]
        return f"{exclude} {quantity} {carry}"

    source, places = variant(sample, tmp_path, formulas)
    exclude, quantity, carry = (p.split("!")[1] for p in places.split())
    calculated_values(
        source,
        {
            "Lots": {exclude: ' t="str"|<v></v>', quantity: "|<v>6</v>"},
            "Profile": {carry: "|<v>0</v>"},
        },
    )
    with monkeypatch.context() as m:
        m.setattr(package, "BIG_SHEET", 0)
        by_calamine = fast_read.open_fast(source)
        assert by_calamine is not None
        read_fast = by_calamine.read_inputs(None, None)
        assert "Lots" in by_calamine.read_with_calamine
    by_openpyxl = fast_read.open_fast(source)
    assert by_openpyxl is not None and not by_openpyxl.stripped
    read_openpyxl = by_openpyxl.read_inputs(None, None)
    read_plain = plain_inputs(source)
    assert_same_inputs(read_fast, read_plain)
    assert_same_inputs(read_openpyxl, read_plain)
    rows = {r["lot_id"]: r for r in read_plain.lots.records}
    assert rows["L04"]["exclude"] is None
    assert rows["L07"]["quantity"] == 6
    assert read_plain.profile.carryforward_short_term == 0

    r = run_fill(INPUT, cwd=tmp_path)
    assert r.returncode == 0, r.stderr


CELLS = {  # a formula cell as some program wrote it → whether it holds a calculated value
    "no_value": ('<c r="B2"><f>1+1</f></c>', False),
    "empty_value": ('<c r="B2"><f>1+1</f><v></v></c>', False),
    "empty_value_closed": ('<c r="B2"><f>1+1</f><v/></c>', False),
    "blank_value": ('<c r="B2" s="3"><f>1+1</f><v> </v></c>', False),
    "shared_follower": ('<c r="B2"><f t="shared" si="0"/></c>', False),
    "zero": ('<c r="B2"><f>1-1</f><v>0</v></c>', True),
    "false": ('<c r="B2" t="b"><f>FALSE()</f><v>0</v></c>', True),
    "empty_string": ('<c r="B2" t="str"><f>""</f><v></v></c>', True),
    "empty_string_no_value": ('<c r="B2" t="str"><f>""</f></c>', True),
    "shared_follower_calculated": ('<c r="B2"><f t="shared" si="0"/><v>3</v></c>', True),
    "error": ('<c r="B2" t="e"><f>1/0</f><v>#DIV/0!</v></c>', True),
}


@pytest.mark.parametrize("case", list(CELLS))
def test_both_readers_of_the_xml_tell_a_calculated_formula_alike(case: str) -> None:
    cell, calculated = CELLS[case]
    rows = f'<row r="1"><c r="A1"><v>1</v></c></row><row r="2">{cell}</row>'.encode()
    sheet = f'<worksheet xmlns="{MAIN}"><sheetData>'.encode() + rows + b"</sheetData></worksheet>"
    expected = set() if calculated else {"B2"}
    assert package.uncalculated_cells(sheet) == expected
    formulas, uncalculated = fast_read.formula_cells(rows)
    assert formulas == {2: [2]}
    assert uncalculated == ({} if calculated else {2: [2]})


def test_the_openpyxl_reader_numbers_cells_without_references_as_openpyxl_does() -> None:
    sheet = (
        f'<x:worksheet xmlns:x="{MAIN}"><x:sheetData><x:row><x:c><x:v>1</x:v></x:c>'
        '<x:c><x:f>1+1</x:f><x:v></x:v></x:c></x:row><x:row r="5"><x:c r="C5">'
        "<x:f>2</x:f></x:c><x:c><x:f>3</x:f></x:c></x:row></x:sheetData></x:worksheet>"
    ).encode()
    assert package.uncalculated_cells(sheet) == {"B1", "C5", "D5"}


# --- 2. two columns with one header -------------------------------------------------------


def rename_header(wb: Workbook, title: str, old: str, new: str) -> str:
    """Head column ``old`` of ``title``'s table ``new`` (cell and table column alike)."""
    ws = wb[title]
    col = header_col(ws, old)
    ws.cell(row=1, column=col).value = new
    for column in ws.tables[title].tableColumns:
        if column.name == old:
            column.name = new
    return f"{title}!{get_column_letter(col)}1"


def quantity_twice_in_other_case(wb: Workbook) -> str:
    first = f"Lots!{get_column_letter(header_col(wb['Lots'], 'Quantity'))}1"
    return f"{first} and {rename_header(wb, 'Lots', 'Notes', ' QUANTITY ')}"


def quantity_twice_in_a_plain_range(wb: Workbook) -> str:
    """No table (a table's column names are unique): the Lots sheet, a plain range."""
    ws = wb["Lots"]
    del ws.tables["Lots"]
    first = header_col(ws, "Quantity")
    second = header_col(ws, "Notes")
    ws.cell(row=1, column=second).value = "Quantity"
    return f"Lots!{get_column_letter(first)}1 and Lots!{get_column_letter(second)}1"


def price_twice(wb: Workbook) -> str:
    first = f"Prices!{get_column_letter(header_col(wb['Prices'], 'Price'))}1"
    return f"{first} and {rename_header(wb, 'Prices', 'Source', 'price')}"


DUPLICATES: dict[str, tuple[Callable[[Workbook], str], tuple[str, ...]]] = {
    "lots_quantity_in_other_case": (quantity_twice_in_other_case, ("' QUANTITY '",)),
    "lots_quantity_in_a_plain_range": (quantity_twice_in_a_plain_range, ()),
    "prices_price": (price_twice, ("'price'",)),
}


@pytest.mark.parametrize("case", list(DUPLICATES))
def test_two_columns_with_one_header_are_refused_naming_both(
    case: str, sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    change, says = DUPLICATES[case]
    source, place = variant(sample, tmp_path, change)
    before, digest = listing(tmp_path), sha256(source)

    r = run_fill(INPUT, cwd=tmp_path)

    says = ("two", "columns", "delete or rename one", *says)
    assert_refused(r, place, says, tmp_path, before, source, digest)
    message = r.stderr.strip().removeprefix("tlh-xl: error: ")
    with monkeypatch.context() as m:  # calamine's reading
        m.setattr(package, "BIG_SHEET", 0)
        assert refused_in_process(source, tmp_path) == message
    with monkeypatch.context() as m:  # the plain way
        m.setattr(fill, "open_fast", lambda path: None)
        assert refused_in_process(source, tmp_path) == message


def test_two_columns_with_one_header_in_a_csv_are_refused(sample: Path, tmp_path: Path) -> None:
    source = tmp_path / INPUT
    source.write_bytes(sample.read_bytes())
    (tmp_path / "lots.csv").write_text(
        "Lot ID,Asset,Asset Class,Wallet,Acquired,Quantity,Cost Basis,quantity\n"
        "L1,BTC,Crypto,Ledger,2024-01-02,1,40000,2\n",
        encoding="utf-8",
    )
    before, digest = listing(tmp_path), sha256(source)

    r = run_fill(INPUT, "--lots", "lots.csv", cwd=tmp_path)

    says = ("two 'Quantity' columns",)
    assert_refused(r, "lots.csv:1 (columns 6 and 8)", says, tmp_path, before, source, digest)


# --- 3. bombs -------------------------------------------------------------------------------


def test_a_shared_string_bomb_is_refused_at_once(sample: Path, tmp_path: Path) -> None:
    """5,000,000 empty strings in a 230 KB file: openpyxl took 57 s and 620 MB to load
    them. The zip directory says the part expands 412 times: refused before decompressing."""
    source = tmp_path / INPUT
    source.write_bytes(sample.read_bytes())
    empty = b"<si><t/></si>" * 5_000_000
    with_shared_strings(source, f'<sst xmlns="{MAIN}">'.encode() + empty + b"</sst>")
    assert source.stat().st_size < 400_000
    before, digest = listing(tmp_path), sha256(source)

    run = run_measured("fill", INPUT, cwd=tmp_path)

    says = ("refused", "xl/sharedStrings.xml", "expands", "zip bomb")
    assert_refused(run.result, INPUT, says, tmp_path, before, source, digest)
    assert run.seconds < 15, run.seconds  # about 1 s, most of it starting Python
    assert run.peak_mb < 250, run.peak_mb  # about 60 MB


def test_more_rows_than_excel_allows_are_refused(sample: Path, tmp_path: Path) -> None:
    """1,048,577 empty rows: a sheet Excel cannot have, expanding only ~25 times."""
    source = tmp_path / INPUT
    source.write_bytes(sample.read_bytes())
    part = sheet_part(source, "Prices")
    rows = "".join(f'<row r="{n}"/>' for n in range(100, 100 + package.MAX_SHEET_ROWS + 1))
    rewrite_parts(source, {part: lambda x: x.replace("</sheetData>", rows + "</sheetData>")}, {})
    before, digest = listing(tmp_path), sha256(source)

    run = run_measured("fill", INPUT, cwd=tmp_path)

    says = ("refused", f"sheet 'Prices' ({part})", "more than 1,048,576 rows", "Excel's own limit")
    assert_refused(run.result, INPUT, says, tmp_path, before, source, digest)
    assert run.seconds < 20, run.seconds
    assert run.peak_mb < 400, run.peak_mb


@pytest.mark.parametrize("what", ["cells", "shared strings"])
def test_more_cells_or_strings_than_the_limits_are_refused(
    what: str, sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The counts that do not need a bomb of millions to test: the limits lowered."""
    source = tmp_path / INPUT
    source.write_bytes(sample.read_bytes())
    strings = "".join(f"<si><t>lot {n}</t></si>" for n in range(3000))
    with_shared_strings(source, f'<sst xmlns="{MAIN}">{strings}</sst>'.encode())
    if what == "cells":
        monkeypatch.setattr(package, "MAX_SHEET_CELLS", 400)  # Lots has 451
    else:
        monkeypatch.setattr(package, "MAX_SHARED_STRINGS", 2999)

    message = refused_in_process(source, tmp_path)

    assert message.startswith(f"{source}: refused: "), message
    assert f"more than {400 if what == 'cells' else 2999:,} {what}" in message


def test_only_the_string_table_counts_as_shared_strings(tmp_path: Path) -> None:
    """``<si>`` in a part the content types do not name as the strings: not strings."""
    content_types = (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SST_TYPE}"/></Types>'
    ).encode()
    many = b"<si><t>a</t></si>" * 2000
    path = tmp_path / "x.xlsx"
    path.write_bytes(zip_of({"[Content_Types].xml": content_types, "xl/other.xml": many}))
    with pytest.MonkeyPatch.context() as m:
        m.setattr(package, "MAX_SHARED_STRINGS", 1000)
        assert package.read_package(path) is not None
        path.write_bytes(
            zip_of({"[Content_Types].xml": content_types, "xl/sharedStrings.xml": many})
        )
        with pytest.raises(WorkbookError, match="xl/sharedStrings.xml has more than 1,000 shared"):
            package.read_package(path)


@pytest.mark.parametrize("form", ["prefixed", "utf-16", "without_references"])
def test_the_counts_see_every_way_of_writing_an_element(form: str, tmp_path: Path) -> None:
    rows = {
        "prefixed": f'<x:worksheet xmlns:x="{MAIN}"><x:sheetData>'
        + "<x:row\tr='1'/>" * 1500
        + "</x:sheetData></x:worksheet>",
        "utf-16": f'<worksheet xmlns="{MAIN}"><sheetData>'
        + '<row r="1"/>' * 1500
        + "</sheetData></worksheet>",
        "without_references": f'<worksheet xmlns="{MAIN}"><sheetData>'
        + "<row/>" * 1500
        + "</sheetData></worksheet>",
    }[form]
    data = rows.encode("utf-16") if form == "utf-16" else rows.encode()
    path = tmp_path / "x.xlsx"
    path.write_bytes(zip_of({"xl/worksheets/sheet1.xml": data}))
    with pytest.MonkeyPatch.context() as m:
        m.setattr(package, "MAX_SHEET_ROWS", 1499)
        with pytest.raises(WorkbookError, match="sheet1.xml has more than 1,499 rows"):
            package.read_package(path)
        m.setattr(package, "MAX_SHEET_ROWS", 1500)
        assert package.read_package(path) is not None


@pytest.mark.parametrize("rows", [150_000, 150_001])
def test_a_package_too_big_to_hold_is_counted_by_chunks(rows: int, tmp_path: Path) -> None:
    """Past MAX_PACKAGE the gate reads a chunk at a time (1 MiB): the count is exact
    across the chunks' edges, one row fewer than the limit passes."""
    sheet = (
        f'<worksheet xmlns="{MAIN}"><sheetData>'.encode()
        + b"".join(b'<row r="%d"/>' % n for n in range(1, rows + 1))
        + b"</sheetData></worksheet>"
    )
    assert len(sheet) > 2 << 20  # three chunks
    path = tmp_path / "x.xlsx"
    path.write_bytes(zip_of({"xl/worksheets/sheet1.xml": sheet}))
    with pytest.MonkeyPatch.context() as m:
        m.setattr(package, "MAX_PACKAGE", 1000)
        m.setattr(package, "MAX_SHEET_ROWS", 150_000)
        if rows > 150_000:
            with pytest.raises(WorkbookError, match="has more than 150,000 rows"):
                package.read_package(path)
        else:
            assert package.read_package(path) is None  # past the gate: the plain way


def test_many_small_parts_that_expand_together_are_refused(tmp_path: Path) -> None:
    """Each part under EXPANSION_FROM, the package 40 MB from a few KB."""
    part = b"<a>" + b"<b/>" * 250_000 + b"</a>"
    path = tmp_path / "x.xlsx"
    path.write_bytes(zip_of({f"xl/part{n}.xml": part for n in range(40)}))
    with pytest.raises(WorkbookError, match="refused: the workbook expands from"):
        package.read_package(path)


def formatted_rows(sample: Path, path: Path, count: int, width: int, before_the_data: bool) -> None:
    """The sample with ``count`` formatted empty rows on Lots (``width`` styled empty cells
    each) before its table (the table moved down below them), or after it."""
    letters = [get_column_letter(c) for c in range(1, width + 1)]

    def rows(first: int) -> str:
        return "".join(
            f'<row r="{n}" s="1" customFormat="1">'
            + "".join(f'<c r="{x}{n}" s="1"/>' for x in letters)
            + "</row>"
            for n in range(first, first + count)
        )

    def shift(match: re.Match[str]) -> str:
        return f"{match[1]}{int(match[2]) + count}"

    def lots(xml: str) -> str:
        if not before_the_data:
            return xml.replace("</sheetData>", rows(100) + "</sheetData>")
        xml = re.sub(r'(<row r=")(\d+)', shift, xml)
        xml = re.sub(r'(<c r="[A-Z]+)(\d+)', shift, xml)
        xml = re.sub(r'<dimension ref="[^"]*"/>', "", xml)
        return xml.replace("<sheetData>", "<sheetData>" + rows(1))

    def table(xml: str) -> str:
        return re.sub(
            r'ref="A(\d+):K(\d+)"',
            lambda m: f'ref="A{int(m[1]) + count}:K{int(m[2]) + count}"',
            xml,
        )

    path.write_bytes(sample.read_bytes())
    edits: dict[str, Callable[[str], str]] = {sheet_part(path, "Lots"): lots}
    if before_the_data:
        with zipfile.ZipFile(path) as archive:
            tables = [n for n in archive.namelist() if n.startswith("xl/tables/")]
            lots_table = re.compile(rb'<table [^>]*\bname="Lots"')
            (name,) = [n for n in tables if lots_table.search(archive.read(n))]
        edits[name] = table
    rewrite_parts(path, edits, {})


def test_formatted_empty_rows_before_the_data_fill_quickly(sample: Path, tmp_path: Path) -> None:
    """200,000 formatted empty rows (2.2 million styled cells) before the Lots table: read
    and carried by calamine, 3-7 s and ~520 MB, where openpyxl needs 51 s and 1.2 GB."""
    source = tmp_path / INPUT
    formatted_rows(sample, source, 200_000, 11, before_the_data=True)
    digest = sha256(source)

    run = run_measured("fill", INPUT, "-o", "out.xlsx", cwd=tmp_path)

    assert run.result.returncode == 0, run.result.stderr
    assert "read 40 lots from Lots" in run.result.stdout
    assert sha256(source) == digest
    assert run.seconds < 40, run.seconds
    assert run.peak_mb < 900, run.peak_mb


def test_formatted_empty_rows_after_the_data_are_read_by_calamine(
    sample: Path, tmp_path: Path
) -> None:
    """Such rows below the table, one styled cell each, used to send Lots to openpyxl (a
    minute, 1 GB): calamine's dense grid was reckoned 26 columns wide, not the sheet's 11,
    and looked too sparse to read."""
    source = tmp_path / INPUT
    formatted_rows(sample, source, 200_000, 1, before_the_data=False)
    book = fast_read.open_fast(source)
    assert book is not None
    inputs = book.read_inputs(None, None)
    assert "Lots" in book.read_with_calamine
    assert len(inputs.lots.records) == 40


# --- 4. no <calcPr> ---------------------------------------------------------------------------


@pytest.mark.parametrize("in_place", [False, True], ids=["output", "in_place"])
def test_a_workbook_without_calculation_properties_fills(
    in_place: bool, sample: Path, tmp_path: Path
) -> None:
    source = tmp_path / INPUT
    source.write_bytes(sample.read_bytes())
    rewrite_parts(source, {"xl/workbook.xml": lambda x: re.sub(r"<calcPr[^>]*/>", "", x)}, {})
    with zipfile.ZipFile(source) as archive:
        assert b"calcPr" not in archive.read("xl/workbook.xml")

    r = run_fill(INPUT, *(["--in-place"] if in_place else ["-o", "out.xlsx"]), cwd=tmp_path)

    assert r.returncode == 0, r.stderr
    with zipfile.ZipFile(source if in_place else tmp_path / "out.xlsx") as archive:
        assert re.search(rb'<calcPr[^>]*fullCalcOnLoad="1"', archive.read("xl/workbook.xml"))


# --- 5. a folder that cannot be written -------------------------------------------------------


@pytest.fixture
def locked(tmp_path: Path) -> Iterator[Path]:
    """A folder the user cannot write (mode 0500); skipped where that does not stop the
    user (root): the emulated and the /sys tests below cover that case."""
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        probe = folder / "probe"
        try:
            probe.write_bytes(b"")
        except PermissionError:
            yield folder
            return
        probe.unlink()
        pytest.skip("a 0500 folder is writable here (running as root)")
    finally:
        folder.chmod(0o700)


def unwritable_system_folder() -> Path:
    folder = Path("/sys")
    if not folder.is_dir():
        pytest.skip("no /sys")
    try:
        tempfile.TemporaryFile(dir=folder).close()
    except OSError:
        return folder
    pytest.skip("/sys is writable here")


COMMANDS = {  # a command writing to ``target``, run in ``cwd``
    "fill": lambda target: ["fill", INPUT, "-o", str(target)],
    "init": lambda target: ["init", str(target)],
}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_folder_that_cannot_be_written_is_named(
    command: str, sample: Path, tmp_path: Path, locked: Path
) -> None:
    source = tmp_path / INPUT
    source.write_bytes(sample.read_bytes())
    target = locked / "out.xlsx"
    before, digest = listing(tmp_path), sha256(source)

    r = run_measured(*COMMANDS[command](target), cwd=tmp_path).result

    says = ("cannot be written", "permission denied")
    assert_refused(r, str(target), says, tmp_path, before, source, digest)
    assert listing(locked) == set()


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_system_folder_that_cannot_be_written_is_named(
    command: str, sample: Path, tmp_path: Path
) -> None:
    """/sys, which not even root can write: the same, where the 0500 folder is no test."""
    target = unwritable_system_folder() / "tlh-out.xlsx"
    source = tmp_path / INPUT
    source.write_bytes(sample.read_bytes())
    before, digest = listing(tmp_path), sha256(source)

    r = run_measured(*COMMANDS[command](target), cwd=tmp_path).result

    says = ("cannot be written", "permission denied")
    assert_refused(r, str(target), says, tmp_path, before, source, digest)


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("step", ["create", "replace"])
def test_a_refused_write_is_one_line(
    command: str,
    step: str,
    sample: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The operating system's refusal, emulated (tests may run as root): creating the
    temporary file, or renaming it over a file the user may not replace."""
    source = tmp_path / INPUT
    source.write_bytes(sample.read_bytes())
    target = tmp_path / "out" / "plan.xlsx"
    target.parent.mkdir()
    monkeypatch.chdir(tmp_path)

    real_mkstemp, real_replace = tempfile.mkstemp, os.replace

    def mkstemp(*args: Any, **kwargs: Any) -> Any:
        if step == "create" and Path(kwargs.get("dir", "")) == target.parent:
            raise PermissionError(13, "Permission denied", str(target.parent / "x"))
        return real_mkstemp(*args, **kwargs)

    def replace(source: Any, destination: Any, *args: Any, **kwargs: Any) -> None:
        if step == "replace" and Path(destination) == target:
            raise PermissionError(13, "Permission denied", str(destination))
        real_replace(source, destination, *args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    monkeypatch.setattr(os, "replace", replace)
    before, digest = listing(tmp_path), sha256(source)

    code = main(COMMANDS[command](target))

    out, err = capsys.readouterr()
    r = subprocess.CompletedProcess([], code, out, err)
    says = ("cannot be written (permission denied",)
    assert_refused(r, str(target), says, tmp_path, before, source, digest)
    assert listing(target.parent) == set()


# --- 6. signals while writing ---------------------------------------------------------------

SLOW_SAVE = """
import sys, time
from tlh_xl.workbook import writer
real = writer.save_with_fast_rows
def slow(wb, path, carry=None):
    real(wb, path, carry)
    print("saving", flush=True)
    time.sleep(60)
writer.save_with_fast_rows = slow
from tlh_xl.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("sent", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_while_writing_leaves_no_temporary_file(
    sent: signal.Signals, sample: Path, tmp_path: Path
) -> None:
    source = tmp_path / INPUT
    source.write_bytes(sample.read_bytes())
    before, digest = listing(tmp_path), sha256(source)
    with subprocess.Popen(
        [sys.executable, "-c", SLOW_SAVE, "fill", INPUT, "-o", "out.xlsx"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as child:
        try:
            assert child.stdout is not None and child.stderr is not None
            assert child.stdout.readline() == "saving\n", child.stderr.read()
            assert any(n.startswith(".~tlh-") for n in listing(tmp_path))  # mid-write
            child.send_signal(sent)
            child.wait(timeout=30)
        finally:
            child.kill()
    # SIGTERM ends the process as SIGTERM does, once the temporary file is gone;
    # Ctrl-C is "interrupted", exit 1.
    assert child.returncode == (-signal.SIGTERM if sent == signal.SIGTERM else 1)
    assert listing(tmp_path) == before
    assert sha256(source) == digest


def test_the_sigterm_handler_is_set_only_for_the_write(
    sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Set while writing, in the main thread, over the default handler only; then the
    previous one is back. A handler the program set, or another thread, is left alone."""
    seen: list[Any] = []

    def save(wb: Workbook, path: Path, carry: Any = None) -> None:
        seen.append(signal.getsignal(signal.SIGTERM))

    monkeypatch.setattr(writer, "save_with_fast_rows", save)
    previous = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    wb = openpyxl.load_workbook(sample)

    def own(signum: int, frame: Any) -> None:
        pass

    try:
        writer.save_atomic(wb, tmp_path / "a.xlsx")
        assert callable(seen[0]) and seen[0] is not signal.SIG_DFL
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL

        signal.signal(signal.SIGTERM, own)
        writer.save_atomic(wb, tmp_path / "b.xlsx")
        assert seen[1] is own and signal.getsignal(signal.SIGTERM) is own

        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        thread = threading.Thread(target=writer.save_atomic, args=(wb, tmp_path / "c.xlsx"))
        thread.start()
        thread.join()
        assert seen[2] is signal.SIG_DFL
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert listing(tmp_path) == {"a.xlsx", "b.xlsx", "c.xlsx"}


def test_an_output_folder_that_cannot_be_looked_into_is_named(
    sample: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A folder with mode 0000 (no search permission): looking up the output there raises
    PermissionError, emulated here since root may look anyway. One line, exit 2."""
    from tlh_xl.cli import main

    source = tmp_path / INPUT
    source.write_bytes(sample.read_bytes())
    closed = tmp_path / "closed"
    target = closed / "out.xlsx"
    real_exists = Path.exists

    def exists(self: Path, *args: Any, **kwargs: Any) -> bool:
        if self == target:
            raise PermissionError(13, "Permission denied", str(self))
        return real_exists(self, *args, **kwargs)

    monkeypatch.setattr(Path, "exists", exists)
    assert main(["fill", str(source), "-o", str(target)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"tlh-xl: error: {target}: cannot be written (Permission denied in {closed})"]
