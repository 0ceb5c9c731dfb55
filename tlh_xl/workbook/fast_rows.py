"""Writing the big output tables (Positions, Harvest) straight to sheet XML.

openpyxl builds a Python object per cell and serializes it element by element; for a
10,000-lot workbook that is most of the time a fill takes. For the two output tables we
own, openpyxl writes only the header and the first data row (so every column's style
exists and we learn its style index). Then, as openpyxl hands the sheet's XML to the zip
archive, ``FastRowsWriter`` replaces the data rows with ones generated here: numbers as
numbers, dates as serial numbers, and text as inline strings, which Excel never reads as
formulas.

This relies on openpyxl 3.1's ``ExcelWriter.write_worksheet`` and the temporary file its
``WorksheetWriter`` writes; ``pyproject.toml`` pins openpyxl below 3.2 for that reason,
and the workbook tests reopen every filled file with openpyxl and LibreOffice.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any
from zipfile import ZIP_DEFLATED, ZipFile

from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.writer.excel import ExcelWriter

__all__ = ["ATTRIBUTE", "save_with_fast_rows"]

ATTRIBUTE = "_tlh_fast_rows"  # on a worksheet: the rows to write after the first
_EPOCH = dt.date(1899, 12, 30)
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")  # not allowed in XML 1.0
_STYLE = re.compile(r'<c r="([A-Z]+)2"([^>]*)>|<c r="([A-Z]+)2"([^>]*)/>')


def _escape(text: str) -> str:
    text = _ILLEGAL.sub("", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cell(ref: str, value: Any, style: str) -> str:
    s = f' s="{style}"' if style and style != "0" else ""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, Decimal):
        return f'<c r="{ref}"{s}><v>{format(value, "f")}</v></c>'
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"{s}><v>{value!r}</v></c>'
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return f'<c r="{ref}"{s}><v>{(value - _EPOCH).days}</v></c>'
    text = _escape(str(value))
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    return f'<c r="{ref}"{s} t="inlineStr"><is><t{space}>{text}</t></is></c>'


def _rows_xml(rows: Sequence[Sequence[Any]], styles: list[str]) -> str:
    letters = [get_column_letter(i + 1) for i in range(len(styles))]
    parts: list[str] = []
    for r, row in enumerate(rows, start=2):
        cells = "".join(_cell(f"{col}{r}", v, st) for col, v, st in zip(letters, row, styles))
        parts.append(f'<row r="{r}">{cells}</row>')
    return "".join(parts)


def _rewrite(xml: str, rows: Sequence[Sequence[Any]], width: int) -> str:
    """Replace the sheet's data rows (openpyxl wrote row 2 as a style template)."""
    start = xml.index("<sheetData>") + len("<sheetData>")
    end = xml.index("</sheetData>")
    data = xml[start:end]
    row2 = data.find('<row r="2"')
    styles = ["0"] * width
    for match in _STYLE.finditer(data[row2:] if row2 >= 0 else ""):
        col = match.group(1) or match.group(3)
        attrs = match.group(2) or match.group(4) or ""
        style = re.search(r' s="(\d+)"', attrs)
        index = sum((ord(ch) - 64) * 26**i for i, ch in enumerate(reversed(col))) - 1
        if style and index < width:
            styles[index] = style.group(1)
    header = data[:row2] if row2 >= 0 else data
    body = _rows_xml(rows, styles)
    last = f"{get_column_letter(width)}{len(rows) + 1}"
    head = re.sub(
        r'<dimension ref="[^"]*"\s*/>', f'<dimension ref="A1:{last}"/>', xml[:start], count=1
    )
    return head + header + body + xml[end:]


class FastRowsWriter(ExcelWriter):
    """openpyxl's writer, with our output tables' rows written by ``_rewrite``."""

    def write_worksheet(self, ws: Any) -> None:
        pending = getattr(ws, ATTRIBUTE, None)
        if pending is None:
            super().write_worksheet(ws)
            return
        rows, width = pending
        archive: Any = getattr(self, "_archive")  # noqa: B009 (set by openpyxl's __init__)
        original = archive.write

        def write(filename: str, arcname: str | None = None) -> None:
            xml = _rewrite(Path(filename).read_text(encoding="utf-8"), rows, width)
            archive.writestr(arcname or filename, xml.encode("utf-8"))

        archive.write = write
        try:
            super().write_worksheet(ws)
        finally:
            archive.write = original


def save_with_fast_rows(wb: Workbook, path: Path) -> None:
    """``Workbook.save`` through ``FastRowsWriter`` (what openpyxl's save_workbook does)."""
    archive = ZipFile(path, "w", ZIP_DEFLATED, allowZip64=True)
    wb.properties.modified = dt.datetime.now(tz=dt.timezone.utc).replace(tzinfo=None)
    try:
        FastRowsWriter(wb, archive).save()
    finally:
        archive.close()
