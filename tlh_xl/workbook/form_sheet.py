"""The Form 8949 sheet: Schedule D's lines at the top, then one block per box and
section, each on a page of its own ("Check only one box on each Part I", Instructions
for Form 8949 (2025)), with the form's columns (a)-(h) and a totals row that sums them
by formula, so the spreadsheet itself checks the totals Schedule D takes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from copy import copy
from functools import partial
from itertools import groupby
from typing import Any

from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from ..forms import LONG_BOXES, SHORT_BOXES, Form8949Row, ScheduleDLine
from .fast_rows import BLOCKS
from .sheets import BOLD, FORMATS, HELP, TITLE, _print_setup, define_name, set_text

__all__ = [
    "FORM_8949",
    "FORM_8949_HEADERS",
    "build_form_8949",
    "form_8949_csv_rows",
    "form_8949_table",
    "write_form_8949",
]

FORM_8949 = "Form 8949"

# The CSV's columns (``tlh-xl fill --8949-out``), and the sheet's with Wallet and why.
FORM_8949_HEADERS = (
    "Section",
    "Box",
    "Description",
    "Date Acquired",
    "Date Sold",
    "Proceeds",
    "Cost Basis",
    "Code",
    "Adjustment",
    "Gain or Loss",
)

_WHAT = {
    "basis_reported": "with basis reported to the IRS",
    "basis_not_reported": "basis not reported to the IRS",
    "no_statement": "no Form 1099",
}
_BOX_TEXT = {
    **{b: f"Part I, box {b}: short-term" for b in SHORT_BOXES},
    **{b: f"Part II, box {b}: long-term" for b in LONG_BOXES},
}
_KIND = {  # the form's box texts, shortened
    "A": "Form 1099-B with basis reported to the IRS",
    "B": "Form 1099-B, basis not reported to the IRS",
    "C": "no Form 1099-B",
    "G": "digital assets, Form 1099-DA with basis reported to the IRS",
    "H": "digital assets, Form 1099-DA, basis not reported to the IRS",
    "I": "digital assets, no Form 1099-DA",
}
_KIND.update({long: _KIND[short] for short, long in zip(SHORT_BOXES, LONG_BOXES)})

COLUMNS = (  # header, width, kind
    ("(a) Description", 34, "text"),
    ("(b) Date acquired", 12, "date"),
    ("(c) Date sold", 12, "date"),
    ("(d) Proceeds", 14, "money"),
    ("(e) Cost or other basis", 15, "money"),
    ("(f) Code", 7, "text"),
    ("(g) Adjustment", 12, "money"),
    ("(h) Gain or (loss)", 14, "money"),
    ("Wallet", 14, "text"),
    ("Why this box", 44, "text"),
)
WRAP_TOP = Alignment(wrap_text=True, vertical="top")


ROWS_PER_PAGE = 30  # rows of one box on a printed Letter page, under its headers


def _values(r: Form8949Row) -> tuple[Any, ...]:
    """A row's cells, in ``COLUMNS`` order (None: an empty cell)."""
    return (
        r.description,
        r.acquired,
        r.sold,
        r.proceeds,
        r.cost_basis,
        r.code or None,
        r.adjustment or None,
        r.gain_loss,
        r.wallet,
        r.why,
    )


class _Styled:
    """Cells styled like the first cell given each style: a style set on a cell is looked
    up in the workbook's style lists (a linear search per font, per format), which on a
    plan of 66,000 sales, 2,200 pages of titles, headers and first rows, took seconds; a
    cell styled like another takes a copy of its style indexes instead."""

    def __init__(self) -> None:
        self._first: dict[tuple[str, int], Any] = {}

    def apply(self, cell: Any, key: str, style: Callable[[Any], None]) -> None:
        found = self._first.get((key, cell.column))
        if found is None:
            style(cell)
            self._first[(key, cell.column)] = cell._style
        else:
            cell._style = copy(found)


def _bold(cell: Any) -> None:
    cell.font = BOLD


def _header(cell: Any) -> None:
    cell.font = BOLD
    cell.alignment = WRAP_TOP


def _put_row(ws: Worksheet, row: int, values: Sequence[Any], styled: _Styled) -> None:
    """One row as openpyxl cells, every column's cell styled (the block's template)."""
    for col, (shown, (_, _, kind)) in enumerate(zip(values, COLUMNS), start=1):
        target: Any = ws.cell(row=row, column=col)
        if kind == "text":
            set_text(target, shown)
        else:
            target.value = shown
        styled.apply(target, "row", partial(_format, FORMATS[kind]))  # type: ignore[index]


def _format(number_format: str, cell: Any) -> None:
    cell.number_format = number_format


def box_title(section: str, box: str) -> str:
    if box == "?":
        return f"{section}: no box yet (give the wallet a Kind on the Wallets sheet)"
    return f"{section}: {_BOX_TEXT[box]}, {_KIND[box]}"


def form_8949_csv_rows(rows: Sequence[Form8949Row]) -> list[tuple[Any, ...]]:
    """The rows as the CSV has them, in ``FORM_8949_HEADERS`` order."""
    return [
        (
            r.section,
            r.box,
            r.description,
            r.acquired,
            r.sold,
            r.proceeds,
            r.cost_basis,
            r.code,
            r.adjustment,
            r.gain_loss,
        )
        for r in rows
    ]


def form_8949_table(rows: Sequence[Form8949Row], lines: Sequence[ScheduleDLine]) -> list[list[Any]]:
    """The Form 8949 rows (the CSV's columns, the wallet and why) and, after a blank row,
    Schedule D's lines, as Excel takes values (the Fill button writes them)."""
    from .ranges import excel_value

    out: list[list[Any]] = [[*FORM_8949_HEADERS, "Wallet", "Why this box"]]
    for row, r in zip(form_8949_csv_rows(rows), rows):
        out.append([excel_value(v) for v in (*row, r.wallet, r.why)])
    width = len(out[0])
    out.append([""] * width)
    out.append(
        [
            "Schedule D line",
            "",
            "",
            "",
            "",
            "Proceeds",
            "Cost Basis",
            "",
            "Adjustment",
            "Gain or Loss",
            "",
            "",
        ]
    )
    for line in lines:
        out.append(
            [
                f"{line.line}  {line.label}",
                "",
                "",
                "",
                "",
                excel_value(line.proceeds),
                excel_value(line.cost_basis),
                "",
                excel_value(line.adjustment),
                excel_value(line.gain_loss),
                "",
                "",
            ]
        )
    return out


def build_form_8949(
    ws: Worksheet,
    wb: Workbook,
    rows: Sequence[Form8949Row],
    lines: Sequence[ScheduleDLine],
    year: int,
) -> None:
    _print_setup(ws)
    ws["A1"] = f"Form 8949 and Schedule D working papers, tax year {year}"
    ws["A1"].font = TITLE
    ws["A2"] = (
        "Realized: this year's disposals from the Transactions. Planned: the suggested "
        "sales, if you make them. Check each box and figure against your Forms 1099-DA; "
        "where one differs, add its code (B, E) as the Form 8949 instructions say."
    )
    ws["A2"].font = HELP
    # Wrapped across the form's width: an unwrapped line would run past the columns and
    # the page, printed one page wide, would shrink to fit it.
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=len(COLUMNS))
    ws["A2"].alignment = WRAP_TOP
    ws.row_dimensions[2].height = 30
    for i, (_, width, _) in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width

    # Schedule D: one line per row, each figure a defined name (SchD7, SchD1b_Proceeds).
    row = 4
    ws.cell(row=row, column=1, value="Schedule D (if the planned sales are made)").font = BOLD
    row += 1
    for col, header in enumerate(
        (
            "Line",
            "",
            "",
            "(d) Proceeds",
            "(e) Cost basis",
            "",
            "(g) Adjustments",
            "(h) Gain or (loss)",
        ),
        start=1,
    ):
        if header:
            cell = ws.cell(row=row, column=col, value=header)
            cell.font = BOLD
            cell.alignment = WRAP_TOP
    ws.row_dimensions[row].height = 32
    for line in lines:
        row += 1
        set_text(ws.cell(row=row, column=1), f"{line.line}  {line.label}")
        for col, value, suffix in (
            (4, line.proceeds, "_Proceeds"),
            (5, line.cost_basis, "_Basis"),
            (7, line.adjustment, "_Adjustment"),
            (8, line.gain_loss, ""),
        ):
            if value is None:
                continue
            cell = ws.cell(row=row, column=col, value=value)
            cell.number_format = FORMATS["money"]
            define_name(wb, f"{line.name}{suffix}", FORM_8949, f"{get_column_letter(col)}{row}")
        if line.line in ("7", "15", "16"):
            ws.cell(row=row, column=1).font = ws.cell(row=row, column=8).font = BOLD

    # One block per section and box, each on its own page; a block longer than a page
    # goes on over more, each with the block's title and the form's column headers.
    # openpyxl writes each page's first row, every cell styled, and ``fast_rows`` writes
    # the page's rows straight to the sheet's XML from it (the 8949 rows were most of a
    # fill's time); without the fast path they become cells like it (``BLOCKS``).
    pages: list[tuple[int, list[tuple[Any, ...]]]] = []
    styled = _Styled()
    # Set once at the end: RowBreak.append copies and checks the whole list each time.
    breaks: list[Break] = list(ws.row_breaks.brk)
    for (section, box), block in groupby(rows, key=lambda r: (r.section, r.box)):
        items = list(block)
        first = row + 3
        for page, start in enumerate(range(0, len(items), ROWS_PER_PAGE)):
            row += 2
            breaks.append(Break(id=row - 1))
            title = box_title(section, box) + (" (continued)" if page else "")
            styled.apply(ws.cell(row=row, column=1, value=title), "title", _bold)
            row += 1
            for col, (header, _, _) in enumerate(COLUMNS, start=1):
                styled.apply(ws.cell(row=row, column=col, value=header), "header", _header)
            ws.row_dimensions[row].height = 32
            page_rows = [_values(r) for r in items[start : start + ROWS_PER_PAGE]]
            _put_row(ws, row + 1, page_rows[0], styled)
            pages.append((row + 1, page_rows))
            row += len(page_rows)
        row += 1
        ws.cell(
            row=row, column=1, value=f"Totals ({len(items)} row{'s' * (len(items) != 1)})"
        ).font = BOLD
        for col in (4, 5, 7, 8):
            # SUM skips the text of the titles and headers repeated on later pages.
            letter = get_column_letter(col)
            cell = ws.cell(row=row, column=col, value=f"=SUM({letter}{first}:{letter}{row - 1})")
            cell.number_format = FORMATS["money"]
            cell.font = BOLD
    ws.row_breaks.brk = breaks
    if pages:
        setattr(ws, BLOCKS, (pages, len(COLUMNS)))
    if not rows:
        ws.cell(row=row + 2, column=1, value="No sales this year: nothing to report.")


def write_form_8949(
    wb: Workbook, rows: Sequence[Form8949Row], lines: Sequence[ScheduleDLine], year: int
) -> None:
    """The Form 8949 sheet, rewritten: in place of the old one, or after Summary."""
    from .contract import SUMMARY

    if FORM_8949 in wb.sheetnames:
        index = wb.sheetnames.index(FORM_8949)
        wb.remove(wb[FORM_8949])
    elif SUMMARY in wb.sheetnames:
        index = wb.sheetnames.index(SUMMARY) + 1
    else:
        index = len(wb.sheetnames)
    build_form_8949(wb.create_sheet(FORM_8949, index), wb, rows, lines, year)
