"""``tlh-xl fill``'s fast way in: openpyxl without the big sheets' cells, calamine for them.

``open_fast`` reads the package (``package``: the XML gate first), strips the big sheets'
cells, and loads the rest with openpyxl. ``FastBook.read_inputs`` then reads the Profile
and any table on a sheet openpyxl has in full exactly as ``reader.read_inputs`` does, and a
table on a stripped sheet with python-calamine, a Rust reader that gives a 100,000-row
Lots table in about a second where openpyxl needs twenty-five.

The Grid must be the one ``reader.read_grid`` would give, value for value and type for
type, since the lot parser and its error messages see those values. calamine's values
differ from openpyxl's in known ways, and each is either translated or checked for:

* numbers are floats in calamine; openpyxl gives an ``int`` for a number written without a
  point or exponent. A whole float becomes an ``int``, after checking that no number in
  the sheet is written ``5.0`` or ``1E3`` (an int for calamine's reading, a float for
  openpyxl's);
* dates: calamine gives a ``date`` at midnight, openpyxl a ``datetime``; calamine gives a
  ``time`` for a negative serial where openpyxl gives a datetime, and a float for a serial
  past 9999 where openpyxl gives ``#VALUE!``. Those cells, and durations, are read from the
  sheet's XML as openpyxl reads them (``_SheetXml``). Which number formats are dates must
  agree too: calamine reads one cell per style of this workbook (the "oracle" sheet of
  ``_calamine_package``), and must classify every style as openpyxl does;
* text: calamine trims a ``<t>`` without ``xml:space="preserve"``, decodes ``_x000D_``
  escapes and makes an error cell empty. A sheet with any of those is left to openpyxl;
* formula cells: openpyxl's reader sees the formula (never blank) and then the cached
  value; calamine gives the cached value. The formula cells are found in the XML, so a row
  of formulas whose values are blank is still a row (in the table or below it), a formula
  header is left to openpyxl (whose header is the formula's text), and a formula no one
  calculated is refused as ``reader`` refuses it (``package.formula_calculated``).

Every check that fails raises ``NeedsFullLoad``: the fill then loads the whole workbook with
openpyxl and reads it the plain way.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string
from openpyxl.utils.datetime import CALENDAR_MAC_1904, from_excel
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from ..errors import WorkbookError
from .contract import PROFILE, PROFILE_FIELDS, Column
from .package import (
    MAIN_NS,
    REL_NS,
    STYLES_PART,
    Carry,
    CarryFailed,
    SheetSplit,
    SourcePackage,
    formula_calculated,
    read_package,
    take_markers,
)
from .reader import (
    Cached,
    CachedValues,
    Grid,
    Inputs,
    convert_value,
    find_table,
    map_headers,
    not_calculated,
    read_grid,
    read_inputs,
    resize_table,
    rows_below,
)

__all__ = ["FastBook", "NeedsFullLoad", "open_fast"]

log = logging.getLogger(__name__)

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
# A float calamine returns in this range is not a date-formatted cell: calamine turns every
# date-formatted number from -1,000,000 up to 9999-12-31 (2,957,003 in the 1904 system)
# into a date, datetime or time. Outside it, the cell's XML says what openpyxl would read.
_PLAIN_FLOATS = (-1_000_000.0, 2_900_000.0)
_CONVERTED_KINDS = ("date", "text")  # the kinds whose numbers convert_value changes
_ORACLE_VALUE = "1.25"  # a day and a quarter: a number, a datetime or a duration
_DENSE_CELLS = 1 << 22  # calamine holds a sheet as a dense grid: bound its size

_ERROR_OR_ISO_DATE = re.compile(rb' t="([ed])"')
_UNREFERENCED_CELL = re.compile(rb'<c(?! r=")')  # <c>, <c s="1" r="A1">, rich text's <color>
_UNREFERENCED_ROW = re.compile(rb'<row(?! r=")')
_WHOLE_WITH_POINT = re.compile(rb"\.0*</v>")  # 5.0, 5. (openpyxl: float)
_EXPONENT = re.compile(rb"<v>([^<]*[eE][^<]*)</v>")
_ESCAPE = re.compile(rb"_x[0-9A-Fa-f]{4}_")  # Excel's _x000D_, which calamine decodes
_ROW_NUMBER = re.compile(rb'<row r="(\d+)"')
_WIDE_REF = re.compile(rb'<c r="([A-Z]{2,3})\d')
_ATTRIBUTE = re.compile(rb'([\w:]+)="([^"]*)"')


class NeedsFullLoad(Exception):
    """The fast reading cannot promise openpyxl's values: load the workbook the plain way."""


def reading_problem(rows: bytes) -> str | None:
    """Why calamine's values for these ``<sheetData>`` rows could differ from openpyxl's.

    The checks are searches over what can be 50 MB, ordered and shaped for speed: a
    one-byte search (line breaks, tabs) is much faster than a longer one, so the longer
    patterns that contain such a byte are searched only when it is there; and a regular
    expression that starts with a literal finds what two counts would.
    """
    if b"\r" in rows:
        return "a carriage return, which XML parsers may not agree on"
    found = _ERROR_OR_ISO_DATE.search(rows)
    if found is not None:
        return "an error value (#N/A, ...)" if found[1] == b"e" else "a date stored as ISO text"
    if _UNREFERENCED_CELL.search(rows) or _UNREFERENCED_ROW.search(rows):
        return "a cell or row whose reference is not its first attribute"
    edges = _Edges(rows)
    spaced = [b"<v> "] if edges.leading else []
    spaced += [b" </v>"] if edges.trailing else []
    spaced += [b"<v>\n", b"<v>\t", b"\n</v>", b"\t</v>"] if edges.breaks else []
    if any(needle in rows for needle in spaced):
        return "a value with outer spaces"
    if _WHOLE_WITH_POINT.search(rows):
        return "a whole number written with a decimal point"
    if b"E" in rows or b"e" in rows:
        for match in _EXPONENT.finditer(rows):
            try:
                number = Decimal(match[1].decode("ascii"))
            except (InvalidOperation, UnicodeDecodeError):
                continue  # a text value with an E in it
            if number.is_finite() and number == number.to_integral_value():
                return "a whole number written with an exponent"
    return text_problem(rows, edges)


class _Edges:
    """Whether XML text has the bytes of outer whitespace at all: ``> `` (after a start
    tag), `` </`` (before an end tag), line breaks or tabs. Most sheets have none."""

    def __init__(self, xml: bytes):
        self.leading = b"> " in xml
        self.trailing = b" </" in xml
        self.breaks = b"\n" in xml or b"\t" in xml


def text_problem(xml: bytes, edges: _Edges | None = None) -> str | None:
    """Why calamine's text for ``<t>`` elements could differ from openpyxl's."""
    if b"_" in xml and (_ESCAPE.search(xml) or b"x005F_" in xml):
        return "an _xHHHH_ escape in text"
    if b"<t " in xml and xml.count(b"<t ") != xml.count(b'<t xml:space="preserve">'):
        return "a text element with attributes other than xml:space"
    edges = edges or _Edges(xml)
    openings = [b"<t> "] if edges.leading else []
    openings += [b"<t>\n", b"<t>\t"] if edges.breaks else []
    if any(opening in xml for opening in openings):
        return "text with outer spaces not marked xml:space"
    closings = [b" </t>"] if edges.trailing else []
    closings += [b"\n</t>", b"\t</t>"] if edges.breaks else []
    for closing in closings:
        at = xml.find(closing)
        while at >= 0:
            if not xml.startswith(b'<t xml:space="preserve">', xml.rfind(b"<t", 0, at)):
                return "text with outer spaces not marked xml:space"
            at = xml.find(closing, at + 1)
    return None


def formula_cells(rows: bytes) -> tuple[dict[int, list[int]], dict[int, list[int]]]:
    """Row → columns of the cells that hold a formula (``<f>``, ``<f .../>``), and of those
    whose formula no one calculated (``package.formula_calculated``)."""
    formulas: dict[int, list[int]] = {}
    uncalculated: dict[int, list[int]] = {}
    if b"<f" not in rows:
        return formulas, uncalculated
    for needle in (b"<f>", b"<f ", b"<f/>"):
        at = rows.find(needle)
        while at >= 0:
            start = rows.rfind(b'<c r="', 0, at)
            ref = rows[start + 6 : rows.find(b'"', start + 6)].decode("ascii")
            letters, number = coordinate_from_string(ref)
            column = column_index_from_string(letters)
            formulas.setdefault(number, []).append(column)
            if not _calculated(rows, start):
                uncalculated.setdefault(number, []).append(column)
            at = rows.find(needle, at + 1)
    return formulas, uncalculated


def _calculated(rows: bytes, start: int) -> bool:
    """Whether the formula cell whose ``<c`` is at ``start`` holds a calculated value (the
    rows are plain, ``reading_problem``: a cell's attributes are ``name="value"``)."""
    tag_end = rows.find(b">", start)
    kind = dict(_ATTRIBUTE.findall(rows[start:tag_end])).get(b"t")
    end = rows.find(b"</c>", tag_end)
    value: str | None = None
    at = rows.find(b"<v>", tag_end, end)
    if at >= 0:
        value = rows[at + 3 : rows.find(b"</v>", at)].decode("utf-8")
    elif rows.find(b"<v/>", tag_end, end) >= 0:
        value = ""
    return formula_calculated(kind.decode("ascii") if kind else None, value)


def widest_column(rows: bytes) -> int:
    """The last column holding any cell of these ``<sheetData>`` rows (1 for none)."""
    wide = _WIDE_REF.findall(rows) if _WIDE_REF.search(rows) else []
    if wide:
        return max(column_index_from_string(w.decode()) for w in set(wide))
    letters = (chr(c) for c in range(ord("Z"), ord("A") - 1, -1))
    return next(
        (
            column_index_from_string(letter)
            for letter in letters
            if f'<c r="{letter}'.encode("ascii") in rows
        ),
        1,
    )


class _SheetXml:
    """Single cells of a sheet read from its XML as openpyxl reads them (the rare cells whose
    calamine value is ambiguous). A lookup starts from the last one's place, as each
    column of the grid is read in row order."""

    def __init__(self, rows: bytes, epoch: dt.datetime, dates: set[int], durations: set[int]):
        self.rows = rows
        self.epoch = epoch
        self.dates = dates
        self.durations = durations
        self.cursor = 0

    def value(self, row: int, column: int) -> Any:
        needle = f'<c r="{get_column_letter(column)}{row}"'.encode("ascii")
        at = self.rows.find(needle, self.cursor)
        if at < 0:
            at = self.rows.find(needle)
        if at < 0:
            raise NeedsFullLoad(f"cell {needle.decode()[6:]} not found in the sheet's XML")
        self.cursor = at
        end = self.rows.find(b">", at)
        attributes = dict(_ATTRIBUTE.findall(self.rows[at:end]))
        if attributes.get(b"t", b"n") != b"n":
            raise NeedsFullLoad("a cell calamine read as a date or duration is not a number")
        if self.rows[end - 1 : end] == b"/":
            return None
        close = self.rows.find(b"</c>", end)
        start = self.rows.find(b"<v>", end, close)
        if start < 0:
            return None
        text = self.rows[start + 3 : self.rows.find(b"</v>", start)].decode("ascii")
        # openpyxl's WorkSheetParser: _cast_number, then from_excel for a date style.
        number: int | float = float(text) if any(c in text for c in ".eE") else int(text)
        style = int(attributes.get(b"s", b"0"))
        if style not in self.dates:
            return number
        try:
            return from_excel(number, self.epoch, timedelta=style in self.durations)
        except (OverflowError, ValueError):
            return "#VALUE!"


def _calamine_package(
    split: SheetSplit, source: SourcePackage, epoch: dt.datetime, styles: int
) -> bytes:
    """A workbook for calamine: the oracle sheet (one cell for each of the ``styles`` cell
    styles), the sheet to read (its root and rows only), and the source's styles and shared
    strings, which openpyxl read. calamine then reads the very parts openpyxl read, in
    openpyxl's date system (``epoch``)."""
    oracle = "".join(
        f'<row r="{i + 1}"><c r="A{i + 1}" s="{i}"><v>{_ORACLE_VALUE}</v></c></row>'
        for i in range(styles)
    )
    parts: dict[str, bytes] = {
        "xl/worksheets/sheet1.xml": (
            f'<worksheet xmlns="{MAIN_NS}"><sheetData>{oracle}</sheetData></worksheet>'
        ).encode("ascii"),
        "xl/worksheets/sheet2.xml": split.root + split.sheet_data + b"</worksheet>",
    }
    rels = [
        ("rId1", "worksheet", "worksheets/sheet1.xml"),
        ("rId2", "worksheet", "worksheets/sheet2.xml"),
    ]
    overrides = [
        ("/xl/workbook.xml", "spreadsheetml.sheet.main"),
        ("/xl/worksheets/sheet1.xml", "spreadsheetml.worksheet"),
        ("/xl/worksheets/sheet2.xml", "spreadsheetml.worksheet"),
    ]
    if STYLES_PART in source.parts:
        parts["xl/styles.xml"] = source.parts[STYLES_PART]
        rels.append(("rId3", "styles", "styles.xml"))
        overrides.append(("/xl/styles.xml", "spreadsheetml.styles"))
    table = source.shared_strings_part()
    if table is not None and table in source.parts:
        parts["xl/sharedStrings.xml"] = source.parts[table]
        rels.append(("rId4", "sharedStrings", "sharedStrings.xml"))
        overrides.append(("/xl/sharedStrings.xml", "spreadsheetml.sharedStrings"))
    date1904 = ' date1904="1"' if epoch == CALENDAR_MAC_1904 else ""
    parts["xl/workbook.xml"] = (
        f'<workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><workbookPr{date1904}/><sheets>'
        '<sheet name="oracle" sheetId="1" r:id="rId1"/>'
        '<sheet name="sheet" sheetId="2" r:id="rId2"/></sheets></workbook>'
    ).encode("ascii")
    package_rels = "http://schemas.openxmlformats.org/package/2006/relationships"
    parts["xl/_rels/workbook.xml.rels"] = (
        f'<Relationships xmlns="{package_rels}">'
        + "".join(
            f'<Relationship Id="{i}" Type="{REL_NS}/{kind}" Target="{target}"/>'
            for i, kind, target in rels
        )
        + "</Relationships>"
    ).encode("ascii")
    parts["_rels/.rels"] = (
        f'<Relationships xmlns="{package_rels}"><Relationship Id="rId1" '
        f'Type="{REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ).encode("ascii")
    office = "application/vnd.openxmlformats-officedocument"
    parts["[Content_Types].xml"] = (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        + "".join(
            f"<Override PartName={quoteattr(name)} ContentType={quoteattr(f'{office}.{t}+xml')}/>"
            for name, t in overrides
        )
        + "</Types>"
    ).encode("ascii")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


Calamined = tuple[list[list[Any]], list[list[Any]]]  # (the oracle's rows, the sheet's)


def read_with_calamine(
    split: SheetSplit, source: SourcePackage, epoch: dt.datetime, styles: int
) -> Calamined:
    """calamine's values of the oracle and of the stripped sheet, as it gives them."""
    import python_calamine

    rows = split.rows
    # calamine holds a sheet as a dense grid, from A1 to its last cell: one cell far away
    # would take all the memory there is. Its size is bounded by the sheet's own size.
    # (The width is the sheet's own, not 26: 200,000 formatted rows across 11 columns are
    # a grid calamine reads in a second, where openpyxl would need a minute and 1 GB.)
    height = max((int(n) for n in _ROW_NUMBER.findall(rows)), default=0)
    width = widest_column(rows)
    if height * width > max(_DENSE_CELLS, 4 * rows.count(b"<c ")):
        raise NeedsFullLoad(f"{split.entry.title}: its cells are too sparse to read as a grid")
    package = _calamine_package(split, source, epoch, styles)
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(package))
        oracle = book.get_sheet_by_name("oracle").to_python(skip_empty_area=False)
        values = book.get_sheet_by_name("sheet").to_python(skip_empty_area=False)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # calamine's errors, and a Rust panic (a BaseException)
        raise NeedsFullLoad(f"{split.entry.title}: calamine cannot read it ({exc!r})") from None
    return oracle, values


def _kind(value: Any) -> str:
    if isinstance(value, dt.timedelta):
        return "duration"
    if isinstance(value, (dt.date, dt.time)):  # datetime is a date
        return "date"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return "number"
    return repr(type(value))


class StrippedSheet:
    """A stripped sheet's values, from calamine, in openpyxl's types (``value``)."""

    def __init__(
        self,
        ws: Worksheet,
        split: SheetSplit,
        source: SourcePackage,
        wb: Workbook,
    ):
        self.title = ws.title
        self.epoch = wb.epoch
        self.rows_xml = split.rows
        self._max_column: int | None = None
        problem = reading_problem(self.rows_xml)
        table = source.shared_strings_part()
        if problem is None and table is not None and table in source.parts:
            problem = text_problem(source.parts[table])
            if problem is None and b"\r" in source.parts[table]:
                problem = "a carriage return in the shared strings"
        if problem is not None:
            raise NeedsFullLoad(f"{self.title}: {problem}")
        self.formulas, self.uncalculated = formula_cells(self.rows_xml)
        dates: set[int] = set(getattr(wb, "_date_formats", ()))
        durations: set[int] = set(getattr(wb, "_timedelta_formats", ()))
        self.xml = _SheetXml(self.rows_xml, wb.epoch, dates, durations)
        styles = len(getattr(wb, "_cell_styles", ())) or 1
        oracle, self.values = read_with_calamine(split, source, wb.epoch, styles)
        for style, row in enumerate(oracle):
            expected = "duration" if style in durations else "date" if style in dates else "number"
            if not row or _kind(row[0]) != expected:
                raise NeedsFullLoad(
                    f"{self.title}: calamine and openpyxl disagree on style {style}'s number format"
                )

    def max_column(self) -> int:
        """openpyxl's ``max_column``: the last column holding any cell, even an empty one."""
        if self._max_column is None:
            self._max_column = widest_column(self.rows_xml)
        return self._max_column

    def raw(self, row: int, column: int) -> Any:
        """calamine's value (1-based row and column), '' outside its grid."""
        if row > len(self.values):
            return ""
        cells = self.values[row - 1]
        return cells[column - 1] if column <= len(cells) else ""

    def value(self, row: int, column: int) -> Any:
        """The cell's value as openpyxl's values-only reading gives it."""
        return self.normal(self.raw(row, column), row, column)

    def normal(self, value: Any, row: int, column: int) -> Any:
        kind = type(value)
        if kind is str:
            return value if value else None
        if kind is float:
            if _PLAIN_FLOATS[0] <= value < _PLAIN_FLOATS[1]:
                return int(value) if value.is_integer() else value
            return self.xml.value(row, column)
        if kind is dt.date:
            return dt.datetime(value.year, value.month, value.day)
        if kind is dt.datetime or kind is bool or kind is int:
            return value
        return self.xml.value(row, column)  # a time or a duration

    def has_formula(self, row: int, first: int, last: int) -> bool:
        return any(first <= c <= last for c in self.formulas.get(row, ()))

    def seen(self, row: int, column: int) -> Any:
        """What openpyxl's cell holds before any cached value: a formula is never blank."""
        return "=" if self.has_formula(row, column, column) else self.value(row, column)

    def refuse_uncalculated(
        self, numbers: list[int], min_col: int, index: dict[str, int], headers: dict[str, str]
    ) -> None:
        """The error ``read_grid`` raises first, in row then column order, for a formula
        no one calculated in a column read, on a row kept (``numbers``)."""
        if not self.uncalculated:
            return
        kept = set(numbers)
        fields = {min_col + i: f for f, i in index.items()}
        for number in sorted(self.uncalculated):
            hits = [c for c in self.uncalculated[number] if c in fields]
            if hits and number in kept:
                column = min(hits)
                place = f"{self.title}!{get_column_letter(column)}{number}"
                raise not_calculated(f"{place} {headers[fields[column]]}")

    def last_row(self) -> int:
        return max(len(self.values), max(self.formulas, default=0))

    def header_row(self, name: str) -> int:
        """``reader._header_range`` for a sheet without a table: the first of its first 50
        rows holding anything."""
        for number in range(1, 51):
            if self.has_formula(number, 1, 1 << 14) or (
                number <= len(self.values)
                and any(v not in (None, "") for v in self.values[number - 1])
            ):
                return number
        raise WorkbookError(f"{self.title}!A1: the {name} sheet is empty (expected a header row)")

    def _kept_rows(
        self, header_row: int, min_col: int, max_col: int, last: int
    ) -> tuple[list[int], list[list[Any]]]:
        """The numbers and calamine's cells of the rows after the header that read_grid
        keeps: those with a formula or a non-blank value between ``min_col`` and
        ``max_col``. (Two lists, not a tuple per row: fewer objects for the collector.)"""
        values = self.values
        formulas = bool(self.formulas)
        width = len(values[0]) if values else 0
        numbers: list[int] = []
        rows: list[list[Any]] = []
        for number in range(header_row + 1, last + 1):
            cells = values[number - 1] if number <= len(values) else []
            first = cells[min_col - 1] if min_col <= width and cells else ""
            if (
                type(first) is str
                and (not first or first.isspace())
                and not (formulas and self.has_formula(number, min_col, max_col))
                and all(isinstance(v, str) and not v.strip() for v in cells[min_col - 1 : max_col])
            ):
                continue
            numbers.append(number)
            rows.append(cells)
        return numbers, rows

    def _column(
        self, numbers: list[int], rows: list[list[Any]], column: int, spec: Column
    ) -> list[Any]:
        """One column's values for the records: what ``normal`` then ``convert_value`` give,
        the common cases of each written out (the same results, faster)."""
        width = len(self.values[0]) if self.values else 0
        raw: list[Any] = [cells[column - 1] if column <= width and cells else "" for cells in rows]
        kinds = set(map(type, raw))
        if kinds <= {str}:
            return [None if not v or v.isspace() else v for v in raw]
        low, high = _PLAIN_FLOATS
        if kinds == {float} and spec.kind not in _CONVERTED_KINDS and low <= min(raw):
            if max(raw) < high:
                return [int(v) if v.is_integer() else v for v in raw]
        if kinds == {dt.date} and spec.kind == "date":
            return raw  # openpyxl's datetimes, whose days they are
        epoch = self.epoch
        return [
            convert_value(self.normal(v, number, column), spec, epoch)
            for v, number in zip(raw, numbers)
        ]

    def grid(
        self, min_col: int, header_row: int, max_col: int, max_row: int, columns: Sequence[Column]
    ) -> Grid:
        """``reader.read_grid`` on calamine's values; the two must give the same Grid."""
        if self.has_formula(header_row, min_col, max_col):
            raise NeedsFullLoad(f"{self.title}: a header is a formula")
        title = self.title
        names = [self.value(header_row, c) for c in range(min_col, max_col + 1)]
        where = (
            f"{title}!{get_column_letter(min_col)}{header_row}:"
            f"{get_column_letter(max_col)}{header_row}"
        )
        index = map_headers(
            names, columns, where, lambda i: f"{title}!{get_column_letter(min_col + i)}{header_row}"
        )
        by_field = {c.field: c for c in columns}
        headers = {f: str(names[i]).strip() for f, i in index.items()}
        numbers, rows = self._kept_rows(header_row, min_col, max_col, min(max_row, self.last_row()))
        self.refuse_uncalculated(numbers, min_col, index, headers)
        fields = list(index)
        # Column by column, as the lot parser does: a column of one plain type converts in
        # one comprehension, which on 100,000 lots is a fraction of a per-cell loop.
        converted = [self._column(numbers, rows, min_col + index[f], by_field[f]) for f in fields]
        records = (
            [dict(zip(fields, row)) for row in zip(*converted)] if fields else [{} for _ in rows]
        )
        prefixes = [(f, f"{title}!{get_column_letter(min_col + index[f])}") for f in fields]
        places = [{f: prefix + n for f, prefix in prefixes} for n in map(str, numbers)]
        return Grid(title, records, places, headers)


@dataclass
class FastBook:
    """A workbook opened the fast way; ``wb`` lacks the stripped sheets' cells."""

    wb: Workbook
    source: SourcePackage
    stripped_package: bytes
    stripped: list[tuple[Worksheet, SheetSplit]]
    carry: Carry | None
    _sheets: dict[str, StrippedSheet] = field(default_factory=dict)
    _cached: CachedValues | None = None  # formula cells' values, from a values-only load

    @property
    def read_with_calamine(self) -> list[str]:
        """The sheets whose tables calamine has read so far."""
        return list(self._sheets)

    def _stripped(self, ws: Any) -> SheetSplit | None:
        return next((split for sheet, split in self.stripped if sheet is ws), None)

    def sheet(self, ws: Worksheet, split: SheetSplit) -> StrippedSheet:
        if ws.title not in self._sheets:
            self._sheets[ws.title] = StrippedSheet(ws, split, self.source, self.wb)
        return self._sheets[ws.title]

    def cached(self, sheet: str, coord: str) -> Any:
        """A formula cell's cached value, on a sheet openpyxl loaded in full (see
        ``reader.Cached``): from a values-only load of the stripped package, which is cheap,
        and the source's XML for a formula no one calculated."""
        import openpyxl

        if any(ws.title == sheet for ws, _ in self.stripped):
            raise NeedsFullLoad(f"{sheet}: a cached value on a stripped sheet")
        if self._cached is None:
            package = self.stripped_package
            self._cached = CachedValues(
                lambda: openpyxl.load_workbook(io.BytesIO(package), data_only=True),
                lambda: self.source,
            )
        return self._cached(sheet, coord)

    def read_table(
        self, wb: Workbook, name: str, columns: Sequence[Column], cached: Cached
    ) -> Grid:
        """``reader.read_grid``, through calamine when the table's sheet is stripped."""
        found = find_table(wb, name)
        if found is not None:
            ws, ref = found
            stripped = self._stripped(ws)
            if stripped is None:
                return read_grid(wb, name, columns, cached)
            min_col, min_row, max_col, max_row = range_boundaries(ref)
            assert min_col and min_row and max_col and max_row

            def table_grid() -> Grid:
                assert stripped is not None
                sheet = self.sheet(ws, stripped)
                # Rows filled in directly below the table are its rows (reader.rows_below).
                grown = rows_below(sheet.seen, min_col, max_col, max_row, sheet.last_row())
                resize_table(ws, name, grown)
                return sheet.grid(min_col, min_row, max_col, grown, columns)

            return self._guarded(table_grid)
        matches = [ws for ws in wb.worksheets if ws.title.casefold() == name.casefold()]
        split = self._stripped(matches[0]) if matches else None
        if split is None:
            return read_grid(wb, name, columns, cached)

        def plain_range() -> Grid:
            assert split is not None
            sheet = self.sheet(matches[0], split)
            header = sheet.header_row(name)
            return sheet.grid(1, header, sheet.max_column(), sheet.last_row(), columns)

        return self._guarded(plain_range)

    @staticmethod
    def _guarded(read: Callable[[], Grid]) -> Grid:
        """The Grid, or the user's error as openpyxl's reading would name it; anything
        unforeseen in the fast reading sends the workbook to the plain way."""
        try:
            return read()
        except (WorkbookError, NeedsFullLoad):
            raise
        except Exception as exc:
            raise NeedsFullLoad(f"unexpected in the fast reading: {exc!r}") from exc

    def read_inputs(self, lots_csv: Path | None, prices_csv: Path | None) -> Inputs:
        stripped = {ws.title for ws, _ in self.stripped}
        if PROFILE in stripped:
            raise NeedsFullLoad("the Profile sheet is stripped")
        for f in PROFILE_FIELDS:
            defined = self.wb.defined_names.get(f.name)
            if defined is not None and any(t in stripped for t, _ in defined.destinations):
                raise NeedsFullLoad(f"{f.name} is on a stripped sheet")
        return read_inputs(self.wb, self.cached, lots_csv, prices_csv, read_table=self.read_table)


def open_fast(path: Path) -> FastBook | None:
    """The workbook with its big sheets stripped, or None: load it the plain way.

    Raises ``WorkbookError`` when the gate refuses the workbook.
    """
    import openpyxl

    if not path.is_file() or path.suffix.lower() not in WORKBOOK_SUFFIXES:
        return None
    source = read_package(path)
    if source is None:
        return None
    try:
        plan, skipped = source.strip_plan()
        package, markers = source.stripped(plan) if plan else (source.data, {})
    except Exception as exc:  # the fast way is optional: never the reason a fill fails
        log.info("%s: not stripped (%r)", path.name, exc)
        return None
    for title, why in skipped.items():
        log.info("%s: sheet %s is loaded by openpyxl (%s)", path.name, title, why)
    try:
        wb = openpyxl.load_workbook(
            io.BytesIO(package), keep_vba=path.suffix.lower() == ".xlsm", data_only=False
        )
    except Exception:  # openpyxl raises many kinds: the plain load names the problem
        return None
    found = take_markers(wb.worksheets, markers)
    if found is None:
        log.info("%s: openpyxl did not load the stripped sheets as planned", path.name)
        return None
    try:
        styles = len(getattr(wb, "_cell_styles", ()))
        carry = source.carry(found, styles) if found else None
    except CarryFailed as exc:
        log.info("%s: the stripped sheets cannot be carried (%s)", path.name, exc)
        return None
    return FastBook(wb, source, package, found, carry)
