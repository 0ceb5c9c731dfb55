"""Writing the big output tables (Positions, Harvest) straight to sheet XML.

openpyxl builds a Python object per cell and serializes it element by element; for a
10,000-lot workbook that is most of the time a fill takes. For the two output tables we
own, openpyxl writes only the header and the first data row (so every column's style
exists and we learn its style index). Then, as openpyxl hands the sheet's XML to the zip
archive, ``FastRowsWriter`` replaces the data rows with ones generated here: numbers as
numbers, dates as serial numbers in the workbook's date system (1900 or 1904), and text
as inline strings, which Excel never reads as formulas.

This relies on openpyxl 3.1's ``ExcelWriter.write_worksheet`` handing the sheet to
``archive.write`` as the temporary file its ``WorksheetWriter`` wrote. Every assumption is
checked, and when one fails the rows are written as ordinary openpyxl cells instead
(``_write_as_cells``: the same values, styles and text-stays-text rule), and the workbook
saved by plain openpyxl: slower, never a broken file.

* Before saving: openpyxl is 3.1.x, and ``ExcelWriter`` has the methods and constructor
  used here (``fast_path_problem``).
* While saving, per sheet: the hook was called once with a file name, and the sheet XML
  has the expected shape: one ``<sheetData>`` in the main namespace, one ``<dimension>``,
  a header row 1 and a row 2 with a cell for every column, and nothing after row 2.
* After saving: every sheet with rows to write was rewritten.

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
from pathlib import Path
from typing import Any
from xml.etree import ElementTree
from xml.sax.saxutils import escape
from zipfile import ZIP_DEFLATED, ZipFile

import openpyxl
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string, get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.workbook.workbook import Workbook
from openpyxl.writer.excel import ExcelWriter

__all__ = ["ATTRIBUTE", "fast_path_problem", "save_with_fast_rows"]

log = logging.getLogger(__name__)

ATTRIBUTE = "_tlh_fast_rows"  # on a worksheet: (rows, width), the rows to write from row 2
OPENPYXL_SERIES = (3, 1)  # the openpyxl minor version this module was written against
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_DIMENSION = re.compile(r'<dimension ref="[^"]*"\s*/>')
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


def _rows_xml(rows: Sequence[Sequence[Any]], styles: list[str], epoch: dt.datetime) -> str:
    cell = _cell_writer(epoch)
    letters = [get_column_letter(i) for i in range(1, len(styles) + 1)]
    attrs = [f' s="{style}"' if style != "0" else "" for style in styles]
    parts: list[str] = []
    for r, row in enumerate(rows, start=2):
        cells = "".join(cell(f"{col}{r}", v, s) for col, v, s in zip(letters, row, attrs))
        parts.append(f'<row r="{r}">{cells}</row>')
    return "".join(parts)


def _parse_row(xml: str, number: int) -> ElementTree.Element:
    try:
        row = ElementTree.fromstring(xml)
    except ElementTree.ParseError as exc:
        raise Unsupported(f"row {number} is not one <row> element ({exc})") from None
    if row.tag != "row" or row.get("r") != str(number):
        raise Unsupported(f'expected <row r="{number}">, found <{row.tag} r={row.get("r")!r}>')
    return row


def _template_styles(row2: ElementTree.Element, width: int) -> list[str]:
    """The style index of each column's cell in row 2, which openpyxl wrote."""
    styles: dict[int, str] = {}
    for c in row2:
        try:
            letters, number = coordinate_from_string(c.get("r", ""))
            index = column_index_from_string(letters)
        except ValueError:
            raise Unsupported(f"row 2 has a cell {c.get('r')!r}") from None
        style = c.get("s", "0")
        if c.tag != "c" or number != 2 or not style.isdigit() or index in styles:
            raise Unsupported(f"row 2 has an unexpected cell <{c.tag} r={c.get('r')!r}>")
        styles[index] = style
    if sorted(styles) != list(range(1, width + 1)):
        raise Unsupported(f"row 2 does not hold one styled cell for each of {width} columns")
    return [styles[i] for i in range(1, width + 1)]


def _rewrite(xml: str, rows: Sequence[Sequence[Any]], width: int, epoch: dt.datetime) -> str:
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
    return head + data[:row2] + _rows_xml(rows, styles, epoch) + xml[end:]


class FastRowsWriter(ExcelWriter):
    """openpyxl's writer, with our output tables' rows written by ``_rewrite``."""

    def __init__(self, workbook: Workbook, archive: ZipFile):
        super().__init__(workbook, archive)
        self.rewritten: list[Any] = []  # the sheets whose rows were written here

    def write_worksheet(self, ws: Any) -> None:
        pending = getattr(ws, ATTRIBUTE, None)
        if pending is None:
            super().write_worksheet(ws)
            return
        rows, width = pending
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
                xml = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise Unsupported(f"cannot read the sheet openpyxl wrote: {exc}") from None
            try:
                archive.writestr(arcname, _rewrite(xml, rows, width, epoch).encode("utf-8"))
            except Unsupported:
                path.unlink(missing_ok=True)  # openpyxl's cleanup() will not run
                raise

        original = archive.write
        archive.write = write
        try:
            super().write_worksheet(ws)
        finally:
            archive.write = original
        if not calls:
            raise Unsupported("openpyxl's write_worksheet did not call archive.write")
        self.rewritten.append(ws)


def _save_fast(wb: Workbook, path: Path) -> None:
    """What openpyxl's save_workbook does, through ``FastRowsWriter``."""
    archive = ZipFile(path, "w", ZIP_DEFLATED, allowZip64=True)
    wb.properties.modified = dt.datetime.now(tz=dt.timezone.utc).replace(tzinfo=None)
    try:
        writer = FastRowsWriter(wb, archive)
        writer.save()
    finally:
        archive.close()
    pending = [ws for ws in wb.worksheets if getattr(ws, ATTRIBUTE, None) is not None]
    if any(all(ws is not done for done in writer.rewritten) for ws in pending):
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


def _write_as_cells(ws: Any, rows: Sequence[Sequence[Any]], width: int) -> None:
    """The rows as ordinary cells, styled like row 2's; text stays text, never a formula."""
    blank = Cell(ws, row=1, column=1)  # not in the sheet: the default style's values
    facets: list[list[tuple[str, Any]]] = []
    unset: list[list[tuple[str, Any]]] = []
    for col in range(1, width + 1):
        template = ws.cell(row=2, column=col)
        differ = [f for f in _FACETS if getattr(template, f) != getattr(blank, f)]
        # copy(): a cell's font, fill, ... is a read-only proxy; strings copy as themselves
        facets.append([(f, copy(getattr(template, f))) for f in differ])
        unset.append([(f, copy(getattr(blank, f))) for f in differ])
    for r, row in enumerate(rows, start=2):
        for col, raw in enumerate(row[:width], start=1):
            value = _plain(raw)
            if value is None:
                if r == 2:  # the template cell: empty and unstyled, as the fast path writes it
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
    delattr(ws, ATTRIBUTE)


def _save_plain(wb: Workbook, path: Path) -> None:
    for ws in wb.worksheets:
        pending = getattr(ws, ATTRIBUTE, None)
        if pending is not None:
            _write_as_cells(ws, *pending)
    wb.save(path)


def save_with_fast_rows(wb: Workbook, path: Path) -> None:
    """``Workbook.save``, with the output tables' rows written fast when that is safe."""
    problem = fast_path_problem()
    if problem is None:
        try:
            _save_fast(wb, path)
            return
        except Unsupported as exc:
            problem = str(exc)
    log.info("%s: writing the output tables as plain openpyxl cells (%s)", path.name, problem)
    _save_plain(wb, path)
