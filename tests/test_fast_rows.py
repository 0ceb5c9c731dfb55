"""``fast_rows``: the Positions and Harvest rows written straight to the sheet XML.

* The 1904 date system: a workbook saved with ``date1904`` gets its dates written as
  1904 serials, and a lot's Acquired typed as a plain number is read in that system.
* The fallback: when a precondition of the fast path fails (openpyxl's version, the
  writer hook, the sheet XML's shape), the rows are written as ordinary openpyxl cells,
  and the workbook equals the fast path's cell for cell; text stays text.
* Escaping: text with markup characters, quotes and outer spaces comes back unchanged,
  with numbers and dates, in both paths and both date systems.
* LibreOffice, when installed, computes the 1904 workbook's dates as the plan's days.

Fills run in-process (``fill_workbook``) so that the fallback tests can patch openpyxl.
"""

from __future__ import annotations

import datetime as dt
import logging
import posixpath
import zipfile
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import openpyxl
import pytest
from openpyxl.utils.cell import (
    column_index_from_string,
    coordinate_from_string,
    get_column_letter,
)
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.writer.excel import ExcelWriter

from tlh_xl.workbook import fast_rows
from tlh_xl.workbook.contract import HARVEST_HEADERS, POSITION_HEADERS
from tlh_xl.workbook.fill import FillResult, fill_workbook
from tlh_xl.workbook.sample import build_sample_workbook
from tlh_xl.workbook.sheets import build_harvest

from .libreoffice import SOFFICE, recalculate

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
XML_NS = "http://www.w3.org/XML/1998/namespace"
MAC_DAY_ZERO = dt.date(1904, 1, 1)
ONE_PLUS_ONE = "=1+1"
HYPERLINK = '=HYPERLINK("http://x","y")'
FELL_BACK = "writing the output tables as plain openpyxl cells"


# --- helpers ------------------------------------------------------------------------------


def mac_workbook(path: Path, change: Callable[[Any], None] | None = None) -> Path:
    """The sample (the template with Profile, Lots and Prices filled) in the 1904 system.

    openpyxl reads the sample's dates as dates, so saving with the 1904 epoch writes
    the same days as 1904 serial numbers.
    """
    build_sample_workbook(path)
    wb = openpyxl.load_workbook(path)
    wb.epoch = CALENDAR_MAC_1904
    if change is not None:
        change(wb)
    wb.save(path)
    return path


def sheet_xml(path: Path, title: str) -> ElementTree.Element:
    """The parsed XML of one sheet, found through workbook.xml and its relationships."""
    with zipfile.ZipFile(path) as archive:
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
        targets = {
            r.attrib["Id"]: r.attrib["Target"] for r in rels.iter(f"{{{PKG_REL}}}Relationship")
        }
        book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        for sheet in book.iter(f"{{{MAIN}}}sheet"):
            if sheet.attrib["name"] == title:
                target = targets[sheet.attrib[f"{{{REL}}}id"]]
                part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
                return ElementTree.fromstring(archive.read(posixpath.normpath(part)))
    raise AssertionError(f"no sheet {title!r} in {path}")


def raw_values(path: Path, title: str, header: str, headers: tuple[str, ...]) -> dict[int, str]:
    """row number → the text of <v> of a column's data cells, as stored in the file."""
    column = headers.index(header) + 1
    out: dict[int, str] = {}
    for c in sheet_xml(path, title).iter(f"{{{MAIN}}}c"):
        letters, row = coordinate_from_string(c.attrib["r"])
        v = c.find(f"{{{MAIN}}}v")
        if row > 1 and column_index_from_string(letters) == column and v is not None:
            out[row] = v.text or ""
    return out


def table_rows(wb: Any, title: str) -> list[dict[str, Any]]:
    ws = wb[title]
    rows = list(ws[ws.tables[title].ref])
    headers = [c.value for c in rows[0]]
    return [dict(zip(headers, (c.value for c in row))) for row in rows[1:]]


def day(value: Any) -> dt.date | None:
    """A date cell as openpyxl returns it (a datetime) → the calendar day."""
    if value is None:
        return None
    assert isinstance(value, dt.datetime), value
    assert value.time() == dt.time(0), value
    return value.date()


def cells(ws: Any) -> dict[str, tuple[Any, str, str]]:
    """coordinate → (value, data type, number format), every cell openpyxl read."""
    return {
        c.coordinate: (c.value, c.data_type, c.number_format) for row in ws.iter_rows() for c in row
    }


# --- the 1904 date system -----------------------------------------------------------------


@pytest.fixture(scope="module")
def mac_filled(tmp_path_factory: pytest.TempPathFactory) -> FillResult:
    folder = tmp_path_factory.mktemp("mac")
    source = mac_workbook(folder / "mac.xlsx")
    assert openpyxl.load_workbook(source).epoch == CALENDAR_MAC_1904  # the input is 1904
    return fill_workbook(source, folder / "mac-filled.xlsx", progress=False)


def test_1904_workbook_keeps_the_plans_dates(mac_filled: FillResult) -> None:
    out = openpyxl.load_workbook(mac_filled.output)
    assert out.epoch == CALENDAR_MAC_1904
    plan = mac_filled.plan
    sales, positions = plan.sale_records, plan.position_records
    assert len(sales) > 5 and len(positions) > 20
    assert any(s.rebuy_on is not None for s in sales)

    harvest = table_rows(out, "Harvest")
    assert [r["Lot ID"] for r in harvest] == [s.lot_id for s in sales]
    for row, sale in zip(harvest, sales):
        assert day(row["Acquired"]) == sale.acquired, sale.lot_id
        assert day(row["Sell Date"]) == sale.sell_date, sale.lot_id
        assert day(row["Rebuy On"]) == sale.rebuy_on, sale.lot_id
    table = table_rows(out, "Positions")
    assert [r["Lot ID"] for r in table] == [p.lot.lot_id for p in positions]
    for row, p in zip(table, positions):
        assert day(row["Acquired"]) == p.lot.acquired, p.lot.lot_id
        assert day(row["Long-Term On"]) == p.long_term_on, p.lot.lot_id

    # In the file itself: the 1904 serial numbers (days since 1904-01-01).
    path = mac_filled.output
    for header, dates in (
        ("Acquired", [s.acquired for s in sales]),
        ("Sell Date", [s.sell_date for s in sales]),
        ("Rebuy On", [s.rebuy_on for s in sales]),
    ):
        stored = raw_values(path, "Harvest", header, HARVEST_HEADERS)
        expected = {r: str((d - MAC_DAY_ZERO).days) for r, d in enumerate(dates, 2) if d}
        assert stored == expected, header
    for header, dates in (
        ("Acquired", [p.lot.acquired for p in positions]),
        ("Long-Term On", [p.long_term_on for p in positions]),
    ):
        stored = raw_values(path, "Positions", header, POSITION_HEADERS)
        expected = {r: str((d - MAC_DAY_ZERO).days) for r, d in enumerate(dates, 2) if d}
        assert stored == expected, header
    with zipfile.ZipFile(path) as archive:
        book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    pr = book.find(f"{{{MAIN}}}workbookPr")
    assert pr is not None and pr.attrib.get("date1904") in ("1", "true")


def test_1904_serial_number_acquired_reads_as_that_day(
    mac_filled: FillResult, tmp_path: Path
) -> None:
    """L06's Acquired typed as a plain number (General format) in a 1904 workbook."""
    acquired: dict[str, dt.date] = {}

    def as_serial(wb: Any) -> None:
        ws = wb["Lots"]
        headers = [c.value for c in ws[1]]
        for row in ws.iter_rows(min_row=2):
            if row[0].value == "L06":
                cell = row[headers.index("Acquired")]
                acquired["L06"] = day(cell.value) or dt.date.min
                cell.value = (acquired["L06"] - MAC_DAY_ZERO).days
                cell.number_format = "General"

    source = mac_workbook(tmp_path / "serial.xlsx", as_serial)
    typed = openpyxl.load_workbook(source)["Lots"]
    column = [c.value for c in typed[1]].index("Acquired")
    stored = [row[column].value for row in typed.iter_rows(min_row=2) if row[0].value == "L06"]
    assert stored == [(acquired["L06"] - MAC_DAY_ZERO).days]  # a plain number, not a date

    result = fill_workbook(source, tmp_path / "serial-filled.xlsx", progress=False)

    (lot,) = [p.lot for p in result.plan.position_records if p.lot.lot_id == "L06"]
    assert lot.acquired == acquired["L06"] == dt.date(2025, 12, 4)
    assert result.plan.sale_records == mac_filled.plan.sale_records  # the very same plan


def test_1900_workbook_still_writes_1900_serials(tmp_path: Path) -> None:
    source = tmp_path / "win.xlsx"
    build_sample_workbook(source)
    assert openpyxl.load_workbook(source).epoch == CALENDAR_WINDOWS_1900
    result = fill_workbook(source, tmp_path / "win-filled.xlsx", progress=False)
    sales = result.plan.sale_records
    stored = raw_values(result.output, "Harvest", "Sell Date", HARVEST_HEADERS)
    windows_day_zero = dt.date(1899, 12, 30)
    assert stored == {r: str((s.sell_date - windows_day_zero).days) for r, s in enumerate(sales, 2)}


# --- the fallback: plain openpyxl cells, equal to the fast path's ---------------------------

TRICKY_WALLET = "Cold & \"safe\" <Ledger> 'A'"


def injected(wb: Any) -> None:
    """Text that looks like a formula, and markup characters, in lots that are sold."""
    ws = wb["Lots"]
    headers = [c.value for c in ws[1]]
    by_id = {row[0].value: row for row in ws.iter_rows(min_row=2)}
    for lot, header, text in (
        ("L08", "Lot ID", ONE_PLUS_ONE),
        ("L08", "Tx ID", HYPERLINK),
        ("L13", "Wallet", TRICKY_WALLET),
    ):
        cell = by_id[lot][headers.index(header)]
        cell.value, cell.data_type = text, "s"


@pytest.fixture(scope="module")
def injected_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("inject") / "inject.xlsx"
    build_sample_workbook(path)
    wb = openpyxl.load_workbook(path)
    injected(wb)
    wb.save(path)
    return path


def fill_logged(
    source: Path, output: Path, caplog: pytest.LogCaptureFixture
) -> tuple[FillResult, list[str]]:
    caplog.clear()
    with caplog.at_level(logging.INFO, logger=fast_rows.__name__):
        result = fill_workbook(source, output, progress=False)
    return result, [r.getMessage() for r in caplog.records if r.name == fast_rows.__name__]


@pytest.fixture(scope="module")
def fast_filled(injected_source: Path) -> Path:
    assert fast_rows.fast_path_problem() is None  # the installed openpyxl is supported
    out = injected_source.with_name("fast.xlsx")
    fill_workbook(injected_source, out, progress=False)
    return out


def test_the_fast_path_is_taken_on_this_openpyxl(
    injected_source: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    assert fast_rows.fast_path_problem() is None, openpyxl.__version__
    _, messages = fill_logged(injected_source, tmp_path / "out.xlsx", caplog)
    assert messages == []


def writes_with_writestr(self: Any, ws: Any) -> None:
    """ExcelWriter.write_worksheet as a future openpyxl might write it: no archive.write."""
    from openpyxl.drawing.spreadsheet_drawing import SpreadsheetDrawing

    ws._drawing = SpreadsheetDrawing()
    ws._drawing.charts = ws._charts
    ws._drawing.images = ws._images
    writer = WorksheetWriter(ws)
    writer.write()
    ws._rels = writer._rels
    self._archive.writestr(ws.path[1:], writer.read())
    self.manifest.append(ws)
    writer.cleanup()


BREAKS: dict[str, Callable[[pytest.MonkeyPatch], None]] = {
    "openpyxl_version": lambda mp: mp.setattr(openpyxl, "__version__", "3.2.0"),
    "writer_hook": lambda mp: mp.setattr(ExcelWriter, "write_worksheet", writes_with_writestr),
    "sheet_xml_shape": lambda mp: mp.setattr(WorksheetWriter, "write_dimensions", lambda s: None),
}
REASONS = {
    "openpyxl_version": "found '3.2.0'",
    "writer_hook": "did not call archive.write",
    "sheet_xml_shape": "no single <dimension>",
}


@pytest.mark.parametrize("broken", list(BREAKS), ids=list(BREAKS))
def test_a_failed_precondition_writes_plain_cells_equal_to_the_fast_path(
    broken: str,
    injected_source: Path,
    fast_filled: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    BREAKS[broken](monkeypatch)
    result, messages = fill_logged(injected_source, tmp_path / "plain.xlsx", caplog)
    monkeypatch.undo()

    assert len(messages) == 1 and FELL_BACK in messages[0], messages
    assert REASONS[broken] in messages[0], messages
    assert not list(tmp_path.glob(".~tlh-*"))
    fast = openpyxl.load_workbook(fast_filled)
    plain = openpyxl.load_workbook(result.output)
    assert plain.sheetnames == fast.sheetnames
    for title in ("Positions", "Harvest", "Summary"):
        assert cells(plain[title]) == cells(fast[title]), title
    for title in ("Positions", "Harvest"):
        assert plain[title].tables[title].ref == fast[title].tables[title].ref
    harvest = cells(plain["Harvest"])
    formats = {fmt for _, _, fmt in harvest.values()}
    assert {"yyyy-mm-dd", "@", '"$"#,##0.00;[Red]-"$"#,##0.00'} <= formats  # styles came too

    # Text from the inputs stays text: a string cell, and no formula in the sheet XML.
    for title in ("Positions", "Harvest"):
        found = {v: t for v, t, _ in cells(plain[title]).values() if v in (ONE_PLUS_ONE, HYPERLINK)}
        assert found == {ONE_PLUS_ONE: "s", HYPERLINK: "s"}, title
        assert any(v == TRICKY_WALLET for v, _, _ in cells(plain[title]).values()), title
        root = sheet_xml(result.output, title)
        assert list(root.iter(f"{{{MAIN}}}f")) == [], title


def test_fast_path_problem_names_a_missing_hook(monkeypatch: pytest.MonkeyPatch) -> None:
    assert fast_rows.fast_path_problem() is None
    monkeypatch.delattr(ExcelWriter, "write_worksheet")
    assert "write_worksheet" in (fast_rows.fast_path_problem() or "")


# --- escaping, both paths -----------------------------------------------------------------

TEXTS = [
    "A & B",
    "<b>bold</b>",
    "x > y < z",
    '"double"',
    "it's",
    "  both ends  ",
    " leading",
    "trailing ",
    ONE_PLUS_ONE,
    "#N/A",
    "&amp; &lt;",
    "]]>",
    "tab\there",
    "two\nlines",
    "é € 😀",
]


def tricky_rows() -> Iterator[tuple[tuple[Any, ...], tuple[Any, ...]]]:
    """(row for build_harvest, what each cell must read back as), one per text."""
    for i, text in enumerate(TEXTS):
        row = (
            text,
            f"bell\x07{i}" if i else "bell0",  # \x07: not in XML 1.0, dropped (row 2 is
            # written by openpyxl, which refuses it, so not there)
            "",
            None,
            dt.date(2026, 10, 6),
            dt.datetime(2026, 12, 1, 15, 30),  # a datetime: its day
            Decimal("1.50000000"),
            Decimal("-1234.56"),
            Decimal("NaN"),  # no value: an empty cell
            i,
            True,
            float("inf"),
            dt.date(1900, 2, 10) if i % 2 else None,  # before Excel's phantom 1900-02-29
            text,
        )
        expected = (
            text,
            f"bell{i}",
            None,
            None,
            dt.datetime(2026, 10, 6),
            dt.datetime(2026, 12, 1),
            1.5,
            -1234.56,
            None,
            i,
            True,
            None,
            dt.datetime(1900, 2, 10) if i % 2 else None,
            text,
        )
        yield row, expected


@pytest.mark.parametrize("epoch", [CALENDAR_WINDOWS_1900, CALENDAR_MAC_1904], ids=["1900", "1904"])
@pytest.mark.parametrize("path", ["fast", "plain"])
def test_text_numbers_and_dates_round_trip(
    path: str,
    epoch: dt.datetime,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    pairs = list(tricky_rows())
    if epoch == CALENDAR_MAC_1904:  # no days before 1904 in that system
        pairs = [(r[:12] + (None,) + r[13:], e[:12] + (None,) + e[13:]) for r, e in pairs]
    wb = openpyxl.Workbook()
    wb.epoch = epoch
    build_harvest(wb.create_sheet("Harvest"), [row for row, _ in pairs])
    if path == "plain":
        monkeypatch.setattr(openpyxl, "__version__", "3.2.0")
    target = tmp_path / "round-trip.xlsx"
    with caplog.at_level(logging.INFO, logger=fast_rows.__name__):
        fast_rows.save_with_fast_rows(wb, target)
    monkeypatch.undo()
    assert any(FELL_BACK in r.getMessage() for r in caplog.records) == (path == "plain")

    back = openpyxl.load_workbook(target)
    assert back.epoch == epoch
    ws = back["Harvest"]
    assert ws.tables["Harvest"].ref == f"A1:N{len(pairs) + 1}"
    for r, (_, expected) in enumerate(pairs, start=2):
        got = tuple(c.value for c in ws[r])
        assert got == expected, r
        assert all(c.data_type == "s" for c in ws[r] if isinstance(c.value, str))
    root = sheet_xml(target, "Harvest")  # well-formed, and no formulas
    assert list(root.iter(f"{{{MAIN}}}f")) == []
    # Outer spaces are kept by Excel only with xml:space="preserve".
    spaced = [t for t in root.iter(f"{{{MAIN}}}t") if t.text and t.text != t.text.strip()]
    assert len(spaced) == 2 * 3  # "  both ends  ", " leading", "trailing ": two columns
    assert all(t.get(f"{{{XML_NS}}}space") == "preserve" for t in spaced)


# --- a real spreadsheet reads the 1904 serials as the plan's days --------------------------


@pytest.mark.slow
@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_reads_the_1904_dates_as_the_plans(
    mac_filled: FillResult, tmp_path: Path
) -> None:
    """YEAR/MONTH/DAY of each Harvest date, computed by LibreOffice from the 1904 file."""
    wb = openpyxl.load_workbook(mac_filled.output)
    check = wb.create_sheet("Check")
    headers = ("Acquired", "Sell Date", "Rebuy On")
    letters = {h: get_column_letter(HARVEST_HEADERS.index(h) + 1) for h in headers}
    sales = mac_filled.plan.sale_records
    for r in range(2, len(sales) + 2):
        for col, header in enumerate(headers, start=1):
            ref = f"Harvest!{letters[header]}{r}"
            formula = f'=IF(ISNUMBER({ref}),YEAR({ref})*10000+MONTH({ref})*100+DAY({ref}),"")'
            check.cell(row=r, column=col, value=formula)
    source = tmp_path / "check.xlsx"
    wb.save(source)

    calculated = openpyxl.load_workbook(recalculate(source, tmp_path), data_only=True)["Check"]

    def number(d: dt.date | None) -> int | None:
        return d.year * 10000 + d.month * 100 + d.day if d else None

    for r, sale in enumerate(sales, start=2):
        got = [calculated.cell(row=r, column=c).value or None for c in (1, 2, 3)]
        expected = [number(sale.acquired), number(sale.sell_date), number(sale.rebuy_on)]
        assert got == expected, sale.lot_id


# --- the column-wise writer writes what the cell writer writes ------------------------------

AWKWARD_CELLS: tuple[Any, ...] = (
    None,
    "",
    "ok",
    "L07",
    " leading",
    "trailing ",
    "two words",
    "x & <y>",
    ONE_PLUS_ONE,
    "é",
    "tab\there",
    "bell\x07",
    "\x01",
    Decimal("12.50"),
    Decimal("-0"),
    Decimal("1E+3"),
    Decimal("0.0000001"),
    Decimal("NaN"),
    dt.date(1900, 1, 1),
    dt.date(1900, 2, 28),
    dt.date(1900, 3, 1),
    dt.date(2026, 12, 1),
    dt.datetime(2026, 12, 1, 13, 30),
    0,
    -25,
    12_345_678_901_234_567,
    True,
    False,
    1.5,
    float("nan"),
)


@pytest.mark.parametrize("epoch", [CALENDAR_WINDOWS_1900, CALENDAR_MAC_1904], ids=["1900", "1904"])
def test_columns_are_written_as_the_cell_writer_writes_them(epoch: dt.datetime) -> None:
    """Each column of one type (the quick ways) or of mixed types (cell by cell), in every
    date system: the XML is the general cell writer's, row for row."""
    import random

    rnd = random.Random(14)
    kinds = [str, Decimal, dt.date, int, None]
    cell = fast_rows._cell_writer(epoch)
    for _ in range(400):
        columns = []
        for _ in range(3):
            kind = rnd.choice(kinds)
            pool = [v for v in AWKWARD_CELLS if kind is None or type(v) is kind] or [None]
            columns.append(pool)
        rows = [tuple(rnd.choice(pool) for pool in columns) for _ in range(rnd.randint(1, 12))]
        styles = ["0", "5", "12"]
        plain = [""] * len(rows)
        assert fast_rows._rows_xml(rows, styles, epoch) == fast_rows._rows_xml_by_row(
            rows, styles, cell, plain
        ), rows
        # Rows of wrapped text carry their heights, the same either way.
        heights = [rnd.choice([None, 32.0, 47.0]) for _ in rows]
        tall = fast_rows._row_attributes(heights, len(rows))
        assert fast_rows._rows_xml(rows, styles, epoch, heights) == fast_rows._rows_xml_by_row(
            rows, styles, cell, tall
        ), rows


def test_wrapped_rows_get_their_heights_on_both_write_paths(tmp_path: Path) -> None:
    """Harvest's notes wrap: each data row is as tall as its note's lines, written by the
    fast path and by the plain-cells fallback alike."""
    from tlh_xl.workbook.sheets import row_heights
    from tlh_xl.workbook.tables import sale_rows
    from tlh_xl.workbook.writer import write_plan

    source = tmp_path / "s.xlsx"
    build_sample_workbook(source)
    plan = fill_workbook(source, tmp_path / "fast.xlsx", progress=False).plan
    rows = sale_rows(plan)
    expected = row_heights(rows, [len(rows[0]) - 1])
    assert expected is not None and any(expected)
    wb = openpyxl.load_workbook(source)
    write_plan(wb, plan)
    fast_rows._save_plain(wb, tmp_path / "plain.xlsx")
    for name in ("fast.xlsx", "plain.xlsx"):
        ws = openpyxl.load_workbook(tmp_path / name)["Harvest"]
        got = [ws.row_dimensions[r].height for r in range(2, len(rows) + 2)]
        assert got == expected, name
        assert ws["N2"].alignment.wrap_text and ws.row_dimensions[1].height == 32
