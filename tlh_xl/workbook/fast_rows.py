"""Writing the big output tables (Positions, Harvest) and the Form 8949 sheet's rows
straight to sheet XML, and putting back the cells of the sheets ``tlh-xl fill`` kept from
openpyxl.

openpyxl builds a Python object per cell and serializes it element by element; for a
10,000-lot workbook that is most of the time a fill takes. For the two output tables we
own, openpyxl writes only the header and the first data row (so every column's style
exists and we learn its style index). Then, as openpyxl hands the sheet's XML to the zip
archive, ``FastRowsWriter`` replaces the data rows with ones generated here (``_rows_xml``,
column by column): numbers as numbers, dates as serial numbers in the workbook's date
system (1900 or 1904), and text as inline strings, which Excel never reads as formulas.

The same hook puts back the stripped sheets' cells (``package``): openpyxl writes such a
sheet with an empty ``<sheetData>``, which ``_splice`` replaces by the source's, and the
source's shared-string table is added to the archive when a carried cell uses it
(``_with_shared_strings``). The archive is deflated at ``DEFLATE_LEVEL``.

This relies on openpyxl 3.1's ``ExcelWriter.write_worksheet`` handing the sheet to
``archive.write`` as the temporary file its ``WorksheetWriter`` wrote. Every assumption is
checked, and when one fails the rows are written as ordinary openpyxl cells instead
(``_write_as_cells``: the same values, styles and text-stays-text rule), and the workbook
saved by plain openpyxl: slower, never a broken file. With carried sheets there is no such
fallback here (their cells are not in the workbook): ``CarryFailed`` tells the fill to load
the workbook in full and save it the plain way.

* Before saving: openpyxl is 3.1.x, and ``ExcelWriter`` has the methods and constructor
  used here (``fast_path_problem``).
* While saving, per sheet: the hook was called once with a file name, and the sheet XML
  has the expected shape: one ``<sheetData>`` in the main namespace, one ``<dimension>``,
  a header row 1 and a row 2 with a cell for every column, and nothing after row 2 (for a
  carried sheet: an empty ``<sheetData>``, no cells added to the sheet; for a sheet of
  ``BLOCKS``, such as Form 8949 with its titles, headers and totals between the pages:
  rows in order, each block's first row with a cell for every column, and none of the
  rows the block fills after it written by openpyxl).
* After saving: every sheet with rows to write, and every carried sheet, was rewritten;
  the shared strings' relationship and content type were added exactly once.

A failure while saving abandons the half-written file (the caller saves to a temporary
file anyway, see ``writer.save_atomic``) and saves again the plain way.
"""

from __future__ import annotations

import datetime as dt
import inspect
import logging
import os
import re
from collections.abc import Callable, Sequence
from copy import copy
from decimal import Decimal
from math import isfinite
from operator import itemgetter
from pathlib import Path
from typing import Any
from xml.etree import ElementTree
from xml.sax.saxutils import escape
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

import openpyxl
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string, get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.workbook.workbook import Workbook
from openpyxl.writer.excel import ExcelWriter

from .package import EMPTY_SHEET_DATA, CarriedSheet, Carry, CarryFailed

__all__ = ["ATTRIBUTE", "BLOCKS", "fast_path_problem", "save_with_fast_rows"]

log = logging.getLogger(__name__)

# zlib's level 4 instead of openpyxl's 6: on a 100,000-lot workbook's three big sheets
# (180 MB of XML) it deflates in 1.2 s instead of 2.7, for a file 11% bigger.
DEFLATE_LEVEL = 4
ATTRIBUTE = "_tlh_fast_rows"  # on a worksheet: (rows, width), the rows to write from row 2
# On a sheet of blocks (Form 8949: a block per page of a box): ([(first, rows)], width),
# each block's rows to write from its row ``first``, which openpyxl wrote as the template.
BLOCKS = "_tlh_fast_blocks"
OPENPYXL_SERIES = (3, 1)  # the openpyxl minor version this module was written against
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_DIMENSION = re.compile(r'<dimension ref="[^"]*"\s*/>')
_DIMENSION_BYTES = re.compile(rb'<dimension ref="[^"]*"\s*/>')
_WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
_CONTENT_TYPES = "[Content_Types].xml"
_SHARED_STRINGS_PART = "xl/sharedStrings.xml"
_SHARED_STRINGS_REL = (
    b"http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
)
_SHARED_STRINGS_TYPE = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
)
# The style facets copied from a row-2 cell to the cells below it, on the plain path;
# "style" (the named style) first, as setting it resets the others.
_FACETS = ("style", "font", "fill", "border", "alignment", "protection", "number_format")


_to_excel: Callable[[dt.date, dt.datetime], float] = to_excel  # typed for mypy


class Unsupported(Exception):
    """A precondition of the fast path does not hold: write the rows the plain way."""


def fast_path_problem() -> str | None:
    """Why the fast path cannot be used with this openpyxl, or None when it can."""
    version = getattr(openpyxl, "__version__", "")
    found = re.match(r"(\d+)\.(\d+)", version)
    if found is None or (int(found[1]), int(found[2])) != OPENPYXL_SERIES:
        return f"written for openpyxl {'.'.join(map(str, OPENPYXL_SERIES))}.x, found {version!r}"
    for name in ("write_worksheet", "save"):
        if not callable(getattr(ExcelWriter, name, None)):
            return f"openpyxl's ExcelWriter has no method {name}()"
    try:
        params = list(inspect.signature(ExcelWriter.__init__).parameters)
    except (TypeError, ValueError):
        params = []
    if params != ["self", "workbook", "archive"]:
        return f"openpyxl's ExcelWriter takes ({', '.join(params)}), not (workbook, archive)"
    return None


# --- the fast path: the rows as XML text -----------------------------------------------


def _cell_writer(epoch: dt.datetime) -> Callable[[str, Any, str], str]:
    """``cell(ref, value, style_attr)`` → one ``<c>`` element (or "" for an empty cell).

    Dates are serial numbers in the workbook's date system: the day's ordinal minus the
    epoch's, computed once here; openpyxl's ``to_excel`` handles the days before
    1900-03-01 (Excel's phantom 1900-02-29).
    """
    base = epoch.toordinal()

    def cell(ref: str, value: Any, s: str) -> str:
        if value is None or value == "":
            return ""
        if isinstance(value, bool):
            return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
        if isinstance(value, Decimal):
            if not value.is_finite():
                return ""
            return f'<c r="{ref}"{s}><v>{format(value, "f")}</v></c>'
        if isinstance(value, int):
            return f'<c r="{ref}"{s}><v>{value:d}</v></c>'
        if isinstance(value, float):
            if not isfinite(value):
                return ""
            return f'<c r="{ref}"{s}><v>{float.__repr__(value)}</v></c>'
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, dt.date):
            days = value.toordinal() - base
            if days <= 60:
                days = int(_to_excel(value, epoch))
            return f'<c r="{ref}"{s}><v>{days}</v></c>'
        text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
        if not text:
            return ""
        space = ' xml:space="preserve"' if text[0].isspace() or text[-1].isspace() else ""
        return f'<c r="{ref}"{s} t="inlineStr"><is><t{space}>{escape(text)}</t></is></c>'

    return cell


# A column's XML as pieces that repeat on every row: a constant string, or one string per
# row. Row r's cell is the concatenation of each piece's string for r.
Pieces = list[str | list[str]]


Heights = Sequence[float | None] | None  # per data row: its height in points, or None


def _row_attributes(heights: Heights, count: int) -> list[str]:
    """Each row's `` ht="47" customHeight="1"`` (a row of wrapped text), or nothing."""
    if heights is None:
        return [""] * count
    if len(heights) != count:
        raise Unsupported(f"{len(heights)} row heights for {count} rows")
    return [f' ht="{h:g}" customHeight="1"' if h else "" for h in heights]


def _rows_xml(
    rows: Sequence[Sequence[Any]],
    styles: list[str],
    epoch: dt.datetime,
    heights: Heights = None,
    first: int = 2,
) -> str:
    """The rows from row ``first`` on, each cell as ``_cell_writer`` writes it, each row
    with its height when ``heights`` gives one.

    On a 100,000-lot plan this is most of the save's time, so the XML is made column by
    column. A column of one plain type (text with nothing to escape, Decimal, int, date)
    becomes pieces: the constant parts of its cells and a list of the parts that vary (the
    row number, the value's text), with no string made per cell. The pieces of all the
    columns are laid out row after row in one list by slice assignment and joined once.
    Any other column is written cell by cell, by the general writer.
    """
    cell = _cell_writer(epoch)
    width = len(styles)
    attributes = _row_attributes(heights, len(rows))
    if not rows or {len(row) for row in rows} != {width}:
        return _rows_xml_by_row(rows, styles, cell, attributes, first)
    numbers = [str(r) for r in range(first, len(rows) + first)]
    layout: Pieces = ['<row r="', numbers, '"']
    layout += [attributes, ">"] if any(attributes) else [">"]
    for i, style in enumerate(styles):
        values = list(map(itemgetter(i), rows))
        s = f' s="{style}"' if style != "0" else ""
        layout += _column_pieces(get_column_letter(i + 1), s, values, numbers, cell)
    layout.append("</row>")
    pieces: list[str] = [""] * (len(rows) * len(layout))
    for j, piece in enumerate(layout):
        pieces[j :: len(layout)] = piece if isinstance(piece, list) else [piece] * len(rows)
    return "".join(pieces)


def _plain_texts(values: list[str]) -> bool:
    """Whether ``_cell_writer`` writes each of these strings as it is: none empty, none with
    a character it drops (controls) or escapes (``<>&``), none with outer spaces (the only
    whitespace a printable string can have). Checked a column at a time, by C loops."""
    if not all(values) or not all(map(str.isprintable, values)):
        return False
    joined = "".join(values)
    if "<" in joined or ">" in joined or "&" in joined:
        return False
    return list(map(str.strip, values)) == values


def _column_pieces(
    letter: str,
    s: str,
    values: list[Any],
    numbers: list[str],
    cell: Callable[[str, Any, str], str],
) -> Pieces:
    """One column's ``<c>`` elements as pieces (see ``Pieces``)."""
    kinds = set(map(type, values))
    start = f'<c r="{letter}'
    if kinds == {str} and _plain_texts(values):
        return [start, numbers, f'"{s} t="inlineStr"><is><t>', values, "</t></is></c>"]
    if kinds == {Decimal}:
        texts = list(map(str, values))  # format(value, "f"), but for exponents and NaN
        joined = "".join(texts)
        if "E" not in joined and "N" not in joined and "I" not in joined:
            return [start, numbers, f'"{s}><v>', texts, "</v></c>"]
    if kinds == {int}:
        return [start, numbers, f'"{s}><v>', list(map(str, values)), "</v></c>"]
    if kinds == {dt.date}:
        cut = len('<c r="">')
        serials = {day: cell("", day, "")[cut:] for day in set(values)}  # "<v>n</v></c>"
        return [start, numbers, f'"{s}>', list(map(serials.__getitem__, values))]
    # Anything else (blanks, mixed types, text to escape): each cell by the general writer,
    # repeated text once.
    written: dict[Any, str] = {}
    out: list[str] = []
    for value, number in zip(values, numbers):
        if type(value) is str:
            tail = written.get(value)
            if tail is None:
                whole = cell("", value, "")
                tail = written[value] = whole[len('<c r=""') :] if whole else ""
            out.append(f'{start}{number}"{s}{tail}' if tail else "")
        else:
            out.append(cell(f"{letter}{number}", value, s))
    return [out]


def _rows_xml_by_row(
    rows: Sequence[Sequence[Any]],
    styles: list[str],
    cell: Callable[[str, Any, str], str],
    attributes: Sequence[str],
    first: int = 2,
) -> str:
    """Rows of uneven length: each row's cells, up to the shorter of the row and styles."""
    letters = [get_column_letter(i) for i in range(1, len(styles) + 1)]
    attrs = [f' s="{style}"' if style != "0" else "" for style in styles]
    parts: list[str] = []
    for r, (row, extra) in enumerate(zip(rows, attributes), start=first):
        cells = "".join(cell(f"{col}{r}", v, s) for col, v, s in zip(letters, row, attrs))
        parts.append(f'<row r="{r}"{extra}>{cells}</row>')
    return "".join(parts)


def _parse_row(xml: str, number: int) -> ElementTree.Element:
    try:
        row = ElementTree.fromstring(xml)
    except ElementTree.ParseError as exc:
        raise Unsupported(f"row {number} is not one <row> element ({exc})") from None
    if row.tag != "row" or row.get("r") != str(number):
        raise Unsupported(f'expected <row r="{number}">, found <{row.tag} r={row.get("r")!r}>')
    return row


def _template_styles(row2: ElementTree.Element, width: int, number_of_row: int = 2) -> list[str]:
    """The style index of each column's cell in the template row (row 2 of an output
    table), which openpyxl wrote."""
    styles: dict[int, str] = {}
    for c in row2:
        try:
            letters, number = coordinate_from_string(c.get("r", ""))
            index = column_index_from_string(letters)
        except ValueError:
            raise Unsupported(f"row 2 has a cell {c.get('r')!r}") from None
        style = c.get("s", "0")
        if c.tag != "c" or number != number_of_row or not style.isdigit() or index in styles:
            raise Unsupported(
                f"row {number_of_row} has an unexpected cell <{c.tag} r={c.get('r')!r}>"
            )
        styles[index] = style
    if sorted(styles) != list(range(1, width + 1)):
        raise Unsupported(
            f"row {number_of_row} does not hold one styled cell for each of {width} columns"
        )
    return [styles[i] for i in range(1, width + 1)]


def _rewrite(
    xml: str,
    rows: Sequence[Sequence[Any]],
    width: int,
    epoch: dt.datetime,
    heights: Heights = None,
) -> str:
    """Replace the sheet's data rows (openpyxl wrote row 2 as a style template)."""
    if xml.count("<sheetData>") != 1 or xml.count("</sheetData>") != 1:
        raise Unsupported("the sheet XML has no single <sheetData>...</sheetData>")
    start = xml.index("<sheetData>") + len("<sheetData>")
    end = xml.index("</sheetData>")
    head = xml[:start]
    if f'xmlns="{MAIN_NS}"' not in head:
        raise Unsupported("the sheet XML is not in the spreadsheetml main namespace")
    data = xml[start:end]
    if data.count('<row r="2"') != 1 or data.count("<row ") != 2:
        raise Unsupported("the sheet's data is not the header row and row 2")
    row2 = data.index('<row r="2"')
    _parse_row(data[:row2], 1)
    styles = _template_styles(_parse_row(data[row2:], 2), width)
    last = f"{get_column_letter(width)}{len(rows) + 1}"
    head, found = _DIMENSION.subn(f'<dimension ref="A1:{last}"/>', head)
    if found != 1:
        raise Unsupported("the sheet XML has no single <dimension> before <sheetData>")
    return head + data[:row2] + _rows_xml(rows, styles, epoch, heights) + xml[end:]


_ROW_NUMBER = re.compile(r'<row r="(\d+)"')


def _rewrite_blocks(
    xml: str, blocks: Sequence[tuple[int, Sequence[Sequence[Any]]]], width: int, epoch: dt.datetime
) -> str:
    """Replace each block's template row (openpyxl wrote the block's first row, every
    column's cell styled) by the block's rows, numbered from it; the rows after it must
    be ones openpyxl left empty (``BLOCKS``)."""
    if xml.count("<sheetData>") != 1 or xml.count("</sheetData>") != 1:
        raise Unsupported("the sheet XML has no single <sheetData>...</sheetData>")
    start = xml.index("<sheetData>") + len("<sheetData>")
    end = xml.index("</sheetData>")
    if f'xmlns="{MAIN_NS}"' not in xml[:start]:
        raise Unsupported("the sheet XML is not in the spreadsheetml main namespace")
    data = xml[start:end]
    written = [int(n) for n in _ROW_NUMBER.findall(data)]
    if written != sorted(set(written)):
        raise Unsupported("the sheet's rows are not in order, or one is written twice")
    present = set(written)
    out = [xml[:start]]
    at = 0
    for first, rows in sorted(blocks, key=itemgetter(0)):
        if first not in present or present & set(range(first + 1, first + len(rows))):
            raise Unsupported(f"rows {first} to {first + len(rows) - 1} are not one block")
        begin = data.index(f'<row r="{first}"', at)
        close = data.index("</row>", begin) + len("</row>")
        styles = _template_styles(_parse_row(data[begin:close], first), width, first)
        out += [data[at:begin], _rows_xml(rows, styles, epoch, first=first)]
        at = close
    out += [data[at:], xml[end:]]
    return "".join(out)


class FastRowsWriter(ExcelWriter):
    """openpyxl's writer, with our output tables' rows written by ``_rewrite`` and the
    stripped sheets' cells put back by ``_splice`` (see ``package``)."""

    def __init__(self, workbook: Workbook, archive: ZipFile, carry: Carry | None = None):
        super().__init__(workbook, archive)
        self.carry = carry
        self.rewritten: list[Any] = []  # the sheets whose rows were written here

    def write_worksheet(self, ws: Any) -> None:
        pending = getattr(ws, ATTRIBUTE, None)
        blocks = getattr(ws, BLOCKS, None)
        carried = self.carry.sheet_for(ws) if self.carry is not None else None
        if pending is None and blocks is None and carried is None:
            super().write_worksheet(ws)
            return
        if sum(x is not None for x in (pending, blocks, carried)) > 1:
            raise Unsupported(f"{ws.title}: more than one of an output table, blocks, a carry")
        if carried is not None and getattr(ws, "_cells", None):
            raise Unsupported(f"{ws.title}: cells were added to a carried sheet")
        if not isinstance(getattr(self, "_archive", None), ZipFile):
            raise Unsupported("openpyxl's ExcelWriter keeps no ZipFile in _archive")
        archive: Any = getattr(self, "_archive")  # noqa: B009 (typed Any: write is replaced)
        epoch = ws.parent.epoch
        calls: list[str] = []

        def write(filename: Any, arcname: Any = None, *args: Any, **kwargs: Any) -> None:
            if calls or not isinstance(arcname, str) or args or kwargs:
                raise Unsupported("openpyxl's write_worksheet called archive.write differently")
            calls.append(arcname)
            path = Path(os.fspath(filename))
            try:
                data = path.read_bytes()
                if carried is not None:
                    xml = _splice(data, carried)
                elif blocks is not None:
                    block_list, block_width = blocks
                    text = _rewrite_blocks(data.decode("utf-8"), block_list, block_width, epoch)
                    xml = text.encode("utf-8")
                else:
                    text = _rewrite(data.decode("utf-8"), rows, width, epoch, heights)
                    xml = text.encode("utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                path.unlink(missing_ok=True)  # openpyxl's cleanup() will not run
                raise Unsupported(f"cannot read the sheet openpyxl wrote: {exc}") from None
            except Unsupported:
                path.unlink(missing_ok=True)
                raise
            archive.writestr(arcname, xml)

        rows, width, heights = _pending(pending)
        original = archive.write
        archive.write = write
        try:
            super().write_worksheet(ws)
        finally:
            archive.write = original
        if not calls:
            raise Unsupported("openpyxl's write_worksheet did not call archive.write")
        self.rewritten.append(ws)


def _pending(pending: Any) -> tuple[Sequence[Sequence[Any]], int, Heights]:
    """An output table's ``(rows, width)`` or ``(rows, width, heights)``, as the sheet
    builder left it on the sheet (nothing: no rows)."""
    if pending is None:
        return (), 0, None
    rows, width, *rest = pending
    return rows, width, (rest[0] if rest else None)


def _splice(xml: bytes, carried: CarriedSheet) -> bytes:
    """openpyxl's XML of a stripped sheet, its empty ``<sheetData>`` replaced by the
    source's cells, and its ``<dimension>`` (A1:A1 for no cells) by the source's."""
    if xml.count(b"<sheetData") != 1 or xml.count(EMPTY_SHEET_DATA) != 1:
        raise Unsupported("openpyxl's XML of a carried sheet has cells, or no <sheetData>")
    head, tail = xml.split(EMPTY_SHEET_DATA)
    if f'xmlns="{MAIN_NS}"'.encode() not in head:
        raise Unsupported("the sheet XML is not in the spreadsheetml main namespace")
    dimension = b"" if carried.dimension is None else b'<dimension ref="%s" />' % carried.dimension
    head, found = _DIMENSION_BYTES.subn(lambda _: dimension, head)  # taken as it is
    if found > 1:
        raise Unsupported("the sheet XML has more than one <dimension>")
    return head + carried.sheet_data + tail


def _with_shared_strings(archive: Any, table: bytes) -> Callable[[], None]:
    """Make openpyxl's archive take the source's shared-string table: the part itself, its
    relationship from the workbook and its content type, added as openpyxl writes the
    workbook's relationships and the content types. Returns the check to run after saving."""
    original = archive.writestr
    done: list[str] = []

    def add(name: str, data: Any) -> bytes:
        text = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        if name == _WORKBOOK_RELS:
            if _SHARED_STRINGS_REL in text or b'Id="rIdTlhSharedStrings"' in text:
                raise Unsupported("openpyxl wrote a shared-strings relationship")
            original(_SHARED_STRINGS_PART, table)
            element = (
                f'<Relationship Id="rIdTlhSharedStrings" Type="{_SHARED_STRINGS_REL.decode()}" '
                'Target="sharedStrings.xml" />'
            )
            closing = b"</Relationships>"
        else:
            element = (
                f'<Override PartName="/{_SHARED_STRINGS_PART}" '
                f'ContentType="{_SHARED_STRINGS_TYPE}" />'
            )
            closing = b"</Types>"
        if text.count(closing) != 1:
            raise Unsupported(f"openpyxl's {name} does not end in {closing.decode()}")
        done.append(name)
        return text.replace(closing, element.encode("utf-8") + closing)

    def writestr(name: Any, data: Any, *args: Any, **kwargs: Any) -> Any:
        key = name.filename if isinstance(name, ZipInfo) else name
        if key in (_WORKBOOK_RELS, _CONTENT_TYPES):
            if key in done:
                raise Unsupported(f"openpyxl wrote {key} twice")
            data = add(key, data)
        elif key == _SHARED_STRINGS_PART:
            raise Unsupported("openpyxl wrote a shared-string table")
        return original(name, data, *args, **kwargs)

    archive.writestr = writestr

    def check() -> None:
        archive.writestr = original
        if sorted(done) != sorted((_WORKBOOK_RELS, _CONTENT_TYPES)):
            raise Unsupported("openpyxl did not write the relationships and content types")

    return check


def _save_fast(wb: Workbook, path: Path, carry: Carry | None = None) -> None:
    """What openpyxl's save_workbook does, through ``FastRowsWriter``."""
    if carry is not None and any(ws is gone for ws in wb.worksheets for gone in carry.dropped):
        raise Unsupported("a stripped output sheet was not replaced")
    archive = ZipFile(path, "w", ZIP_DEFLATED, allowZip64=True, compresslevel=DEFLATE_LEVEL)
    wb.properties.modified = dt.datetime.now(tz=dt.timezone.utc).replace(tzinfo=None)
    check: Callable[[], None] | None = None
    try:
        if carry is not None and carry.shared_strings is not None:
            check = _with_shared_strings(archive, carry.shared_strings)
        writer = FastRowsWriter(wb, archive, carry)
        writer.save()
    finally:
        archive.close()
    if check is not None:
        check()
    done = [ws for ws in wb.worksheets if any(ws is w for w in writer.rewritten)]
    pending = [
        ws
        for ws in wb.worksheets
        if getattr(ws, ATTRIBUTE, None) is not None or getattr(ws, BLOCKS, None) is not None
    ]
    carried = [ws for ws, _ in carry.sheets] if carry is not None else []
    if any(all(ws is not d for d in done) for ws in pending + carried):
        raise Unsupported("openpyxl did not write every sheet through write_worksheet")


# --- the plain path: the rows as openpyxl cells -----------------------------------------


def _plain(value: Any) -> Any:
    """The value the fast path writes, as an openpyxl cell value (None: no cell)."""
    if value is None or value == "":
        return None
    if isinstance(value, (bool, int)):
        return value
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, float):
        return value if isfinite(value) else None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return ILLEGAL_CHARACTERS_RE.sub("", str(value)) or None


def _write_as_cells(
    ws: Any, rows: Sequence[Sequence[Any]], width: int, heights: Heights = None, first: int = 2
) -> None:
    """The rows as ordinary cells from row ``first``, styled like that row's (the
    template openpyxl holds); text stays text, never a formula."""
    for r, height in enumerate(heights or (), start=first):
        if height:
            ws.row_dimensions[r].height = height
    blank = Cell(ws, row=1, column=1)  # not in the sheet: the default style's values
    facets: list[list[tuple[str, Any]]] = []
    unset: list[list[tuple[str, Any]]] = []
    for col in range(1, width + 1):
        template = ws.cell(row=first, column=col)
        differ = [f for f in _FACETS if getattr(template, f) != getattr(blank, f)]
        # copy(): a cell's font, fill, ... is a read-only proxy; strings copy as themselves
        facets.append([(f, copy(getattr(template, f))) for f in differ])
        unset.append([(f, copy(getattr(blank, f))) for f in differ])
    for r, row in enumerate(rows, start=first):
        for col, raw in enumerate(row[:width], start=1):
            value = _plain(raw)
            if value is None:
                if r == first:  # the template cell: empty and unstyled, as the fast path writes it
                    cell = ws.cell(row=r, column=col)
                    cell.value = None
                    for name, default in unset[col - 1]:
                        setattr(cell, name, default)
                continue
            cell = ws.cell(row=r, column=col)
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"  # "=1+1" and "#N/A" too: text
            for name, style in facets[col - 1]:
                setattr(cell, name, style)


def _save_plain(wb: Workbook, path: Path) -> None:
    for ws in wb.worksheets:
        pending = getattr(ws, ATTRIBUTE, None)
        if pending is not None:
            _write_as_cells(ws, *pending)
            delattr(ws, ATTRIBUTE)
        blocks = getattr(ws, BLOCKS, None)
        if blocks is not None:
            block_list, width = blocks
            for first, rows in block_list:
                _write_as_cells(ws, rows, width, first=first)
            delattr(ws, BLOCKS)
    wb.save(path)


def save_with_fast_rows(wb: Workbook, path: Path, carry: Carry | None = None) -> None:
    """``Workbook.save``, with the output tables' rows written fast when that is safe, and
    the stripped sheets' cells (``carry``) put back.

    Raises ``CarryFailed`` when there are stripped sheets and the fast path fails: ``wb``
    lacks their cells, so only a workbook loaded in full can be saved the plain way.
    """
    problem = fast_path_problem()
    if problem is None:
        try:
            _save_fast(wb, path, carry)
            return
        except Unsupported as exc:
            problem = str(exc)
    if carry is not None:
        raise CarryFailed(problem)
    log.info("%s: writing the output tables as plain openpyxl cells (%s)", path.name, problem)
    _save_plain(wb, path)
