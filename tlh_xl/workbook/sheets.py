"""Builders for every sheet of the workbook.

The template is these builders run with no data; a fill runs the output builders
(Positions, Harvest, Summary) again with the plan. One code path, so the template and a
filled workbook cannot drift apart.

Spreadsheet habits: real Excel tables with banding and a frozen header, real dates,
currency formats with losses in red, data validation on the inputs, and formulas that
LibreOffice 7.4 also calculates (no XLOOKUP, LET or dynamic arrays; structured
references written as ``Table[Column]``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, Literal

from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from ..domain.assets import ASSET_CLASSES
from ..domain.terms import TERM_LABELS
from ..filing_status import FILING_STATUS_LABELS
from ..output_tables import REALIZED_COLUMNS, OutputColumn
from .contract import (
    FORMULAS,
    HARVEST,
    HARVEST_COLUMNS,
    LOT_COLUMNS,
    LOTS,
    NOTES_ROW,
    POSITION_COLUMNS,
    POSITIONS,
    PRICE_COLUMNS,
    PRICES,
    PROFILE,
    PROFILE_FIELDS,
    README,
    REALIZED,
    SUMMARY,
    SUMMARY_FIELDS,
    TRANSACTION_TABLE_COLUMNS,
    TRANSACTIONS,
    WALLET_COLUMNS,
    WALLET_KINDS,
    WALLETS,
    Kind,
)
from .fast_rows import ATTRIBUTE as FAST_ROWS

__all__ = [
    "FORMATS",
    "build_harvest",
    "build_lots",
    "build_positions",
    "build_prices",
    "build_profile",
    "build_readme",
    "build_realized",
    "build_summary",
    "build_transactions",
    "build_wallets",
    "define_name",
    "set_text",
]

MONEY = '"$"#,##0.00;[Red]-"$"#,##0.00'
# Prices keep their small digits: LUNC at $0.00006 must not show as $0.00.
PRICE = '"$"#,##0.00######;[Red]-"$"#,##0.00######'
FORMATS: dict[Kind, str] = {
    "money": MONEY,
    "price": PRICE,
    "number": "#,##0.########",
    "date": "yyyy-mm-dd",
    "rate": "0.00%",
    "int": "0",
    "text": "@",
    "flag": "@",
    "status": "@",
}
TITLE = Font(bold=True, size=14)
BOLD = Font(bold=True)
HELP = Font(italic=True, color="666666")
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")
HEADER_WRAP = Alignment(wrap_text=True, vertical="bottom")
CHECK_FILL = PatternFill("solid", fgColor="EEF3F8")


def set_text(cell: Any, value: object) -> None:
    """Write text that came from an input as text: never let it become a formula."""
    cell.value = value
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"


def define_name(wb: Workbook, name: str, sheet: str, coord: str) -> None:
    """A workbook-level defined name pointing at one cell, replacing any old one."""
    col = "".join(ch for ch in coord if ch.isalpha())
    row = coord[len(col) :]
    if name in wb.defined_names:
        del wb.defined_names[name]
    wb.defined_names[name] = DefinedName(name, attr_text=f"{quote_sheetname(sheet)}!${col}${row}")


def _table(
    ws: Worksheet, name: str, headers: Sequence[str], rows: int, widths: Sequence[float]
) -> None:
    for i, (header, width) in enumerate(zip(headers, widths), start=1):
        cell = ws.cell(row=1, column=i, value=header)
        cell.font = BOLD
        ws.column_dimensions[get_column_letter(i)].width = width
    last = get_column_letter(len(headers))
    ref = f"A1:{last}{max(rows, 1) + 1}"
    table = Table(displayName=name, ref=ref, autoFilter=AutoFilter(ref=ref))
    # Naming the columns here spares openpyxl's writer from reading them off the header
    # row, which would first create an empty cell for every position in the table.
    for i, header in enumerate(headers, start=1):
        table.tableColumns.append(TableColumn(id=i, name=header))
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    ws.add_table(table)
    ws.freeze_panes = "A2"
    _print_setup(ws)
    ws.print_title_rows = "1:1"  # the header row on every printed page


def _print_setup(
    ws: Worksheet, orientation: Literal["portrait", "landscape"] = "landscape"
) -> None:
    """US Letter, one page wide, as many pages down as it takes: how an accountant
    prints a ledger. Every sheet the same paper, so a printed workbook is one stack."""
    ws.page_setup.paperSize = ws.PAPERSIZE_LETTER
    ws.page_setup.orientation = orientation
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    # Narrow margins: a sheet printed one page wide is shrunk less to fit.
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5
    ws.print_options.gridLines = False
    if ws.sheet_properties.pageSetUpPr is None:
        ws.sheet_properties.pageSetUpPr = PageSetupProperties()
    ws.sheet_properties.pageSetUpPr.fitToPage = True


# A header's filter button takes about three characters of the column's width.
FILTER_BUTTON = 3
MAX_WIDTH = 60  # a column of long text (notes, flags) wraps or is cut past this


def fitted_widths(
    headers: Sequence[str],
    kinds: Sequence[Kind],
    declared: Sequence[int],
    rows: Sequence[Sequence[Any]] = (),
    sample: int = 2000,
    two_line_headers: bool = False,
) -> list[float]:
    """Column widths that show each header whole (with its filter button) and the
    values of the first ``sample`` rows as they are formatted, at least the declared
    width and at most ``MAX_WIDTH``: what "AutoFit" would give, without Excel. With
    ``two_line_headers`` a header may take two lines (``header_width``)."""
    out = []
    for col, (header, kind, width) in enumerate(zip(headers, kinds, declared)):
        longest = max((_shown_length(r[col], kind) for r in rows[:sample]), default=0)
        need = header_width(header) if two_line_headers else len(header) + FILTER_BUTTON
        out.append(float(min(MAX_WIDTH, max(width, need, longest + 2))))
    return out


def header_width(header: str) -> int:
    """The narrowest width that shows ``header`` whole on at most two lines, broken
    between words, with the filter button beside the second line."""
    words = header.split()
    best = len(header) + FILTER_BUTTON
    for cut in range(1, len(words)):
        first, second = " ".join(words[:cut]), " ".join(words[cut:])
        best = min(best, max(len(first), len(second) + FILTER_BUTTON))
    return best


def _shown_length(value: Any, kind: Kind) -> int:
    """About how many characters a value takes in its format."""
    if value is None or value == "":
        return 0
    if kind == "money" and isinstance(value, (int, float, Decimal)):
        return len(f"${value:,.2f}")
    if kind == "price" and isinstance(value, (int, float, Decimal)):
        # Two decimals, and up to six more where the price has them ($0.00006).
        extra = len(f"{Decimal(str(value)):f}".rstrip("0").partition(".")[2]) - 2
        return len(f"${value:,.2f}") + min(6, max(0, extra))
    if kind == "date":
        return 10
    if kind == "number" and isinstance(value, (int, float, Decimal)):
        return len(f"{value:,f}".rstrip("0").rstrip("."))
    return len(str(value))


def _format_column(ws: Worksheet, col: int, kind: Kind, rows: int) -> None:
    fmt = FORMATS[kind]
    for r in range(2, max(rows, 1) + 2):
        ws.cell(row=r, column=col).number_format = fmt
    # The column's own style: what a user types in any row below takes the format too
    # (Excel and LibreOffice apply a column's style to new cells).
    ws.column_dimensions[get_column_letter(col)].number_format = fmt


def _put(cell: Any, value: Any, kind: Kind) -> None:
    if kind in ("text", "flag", "status"):
        set_text(cell, value)
    else:
        cell.value = value
    cell.number_format = FORMATS[kind]


# --- input sheets ----------------------------------------------------------------------


def build_readme(ws: Worksheet) -> None:
    ws["A1"] = "tlh-xl: crypto tax-loss harvesting workbook"
    ws["A1"].font = TITLE
    steps = [
        "1. Profile: fill in your tax year, filing status, income, gains already realized "
        "this year, carryforwards and the planned sale date (the peach-colored input cells).",
        "2. Lots: one row per open tax lot, with the wallet and transaction ID you would "
        "sell from. Cost Basis is the total USD paid, fees included.",
        "3. Prices: one row per asset (USD per unit). A Price Override on a lot wins. "
        "Give assets the same Identical Group (for example two S&P 500 funds) when a "
        "purchase of one should block a loss sale of the other under the wash-sale rule.",
        "4. Run: tlh-xl fill THIS-FILE.xlsx  (or the Fill button / TLH functions in Excel).",
        "No lots yet? Leave Lots empty and put your exchange history on Transactions "
        "(tlh-xl ledger turns Coinbase, Kraken, Koinly and CoinTracker exports into it), "
        "with your wallets on Wallets and Profile TimeZone and LotMethod set: the fill "
        "works out the open lots per wallet and this year's realized gains from it, and "
        "lists the disposals on Realized. =TLH_LOTS(Transactions[#All]) spills the lots.",
        "5. Harvest lists the sales that maximize your net benefit: lot, wallet, Tx ID, "
        "quantity, proceeds, basis, gain/loss, fees and when to buy back.",
        "6. Summary shows tax with and without harvesting, what is saved and what carries "
        "forward. Sell by the deadline (Dec 31, trade date).",
        "",
        "tlh-xl rewrites only Positions, Harvest and Summary (and Realized, when the lots "
        "come from Transactions); your other sheets, formulas and names are kept. The "
        "numbers are federal regular tax plus NIIT, plus your state's income tax when "
        "Profile State is set, from the rule files named in Summary. This is a planning "
        "tool, not tax advice.",
    ]
    for i, text in enumerate(steps, start=3):
        ws.cell(row=i, column=1, value=text).alignment = WRAP
        # Heights for the wrapped lines: a spreadsheet does not grow a row written by a
        # program to fit its wrapped text, so each line would print over the next.
        lines = max(1, -(-len(text) // README_CHARS_PER_LINE))
        ws.row_dimensions[i].height = 15 * lines + 2
    ws.column_dimensions["A"].width = README_WIDTH
    _print_setup(ws, "portrait")


README_WIDTH = 75  # fits a Letter page upright at full size, in Excel and LibreOffice
# Characters of ordinary text a line of that column holds, with room for fonts wider
# than Calibri (LibreOffice's DejaVu Sans), so that no row is too short for its text.
README_CHARS_PER_LINE = 64


def build_profile(ws: Worksheet, wb: Workbook, values: dict[str, Any] | None = None) -> None:
    values = values or {}
    ws["A1"] = "Profile"
    ws["A1"].font = TITLE
    ws["A2"] = "The peach-colored cells are inputs; each has a workbook name (e.g. FilingStatus)."
    ws["A2"].font = HELP
    ws.column_dimensions["A"].width = 36
    ws.column_dimensions["B"].width = 26
    ws.column_dimensions["C"].width = 70
    _print_setup(ws)  # the help column on the same page as the inputs
    status = DataValidation(
        type="list", allow_blank=False, formula1='"' + ",".join(FILING_STATUS_LABELS.values()) + '"'
    )
    yes_no = DataValidation(type="list", allow_blank=True, formula1='"yes,no"')
    rate = DataValidation(
        type="decimal",
        operator="between",
        formula1="0",
        formula2="1",
        allow_blank=True,
        error="Enter a fraction between 0 and 1, e.g. 0.5%",
    )
    year = DataValidation(type="whole", operator="between", formula1="2000", formula2="2100")
    date = DataValidation(type="date", operator="greaterThan", formula1="36526", allow_blank=True)
    # The states whose rules ship, as a dropdown; another code (a state in your own rules
    # folder) is allowed after a warning.
    states = DataValidation(
        type="list",
        allow_blank=True,
        formula1='"' + ",".join(_shipped_states()) + '"',
        errorStyle="warning",
        error="tlh-xl ships rules for these states; another needs its own rule file.",
    )
    for dv in (status, yes_no, rate, year, date, states):
        dv.showErrorMessage = True
        ws.add_data_validation(dv)
    for row, f in enumerate(PROFILE_FIELDS, start=4):
        ws.cell(row=row, column=1, value=f.label).font = BOLD
        cell = ws.cell(row=row, column=2)
        cell.style = "Input"
        _put(cell, values.get(f.name), f.kind)
        ws.cell(row=row, column=3, value=f.help).font = HELP
        define_name(wb, f.name, PROFILE, f"B{row}")
        if f.name == "State":
            states.add(cell.coordinate)
            continue
        {"status": status, "flag": yes_no, "rate": rate, "int": year, "date": date}.get(
            f.kind, _NoValidation
        ).add(cell.coordinate)


def _shipped_states() -> list[str]:
    """The two-letter codes of the states with rule files in the package (``us-ca``)."""
    from ..rulebook.store import shipped_rules_dir

    return sorted(
        d.name.removeprefix("us-").upper()
        for d in shipped_rules_dir().iterdir()
        if d.is_dir() and d.name.startswith("us-") and len(d.name) == 5
    )


class _NoValidation:
    @staticmethod
    def add(_: str) -> None:
        return None


def _rows_table(
    ws: Worksheet, name: str, columns: Sequence[Any], rows: Sequence[dict[str, Any]]
) -> None:
    headers = [c.header for c in columns]
    values = [[record.get(c.field) for c in columns] for record in rows[:2000]]
    kinds = [c.kind for c in columns]
    _table(
        ws,
        name,
        headers,
        len(rows),
        fitted_widths(headers, kinds, [c.width for c in columns], values),
    )
    # Every column formatted, the rows a user will type included (the column's style).
    for col, column in enumerate(columns, start=1):
        _format_column(ws, col, column.kind, 0)
    for r, record in enumerate(rows, start=2):
        for col, column in enumerate(columns, start=1):
            _put(ws.cell(row=r, column=col), record.get(column.field), column.kind)


def build_lots(ws: Worksheet, rows: Sequence[dict[str, Any]] = ()) -> None:
    _rows_table(ws, LOTS, LOT_COLUMNS, rows)
    n = max(len(rows), 1) + 1000  # validation reaches well past the last row
    classes = DataValidation(
        type="list", formula1='"' + ",".join(ASSET_CLASSES) + '"', allow_blank=False
    )
    positive = DataValidation(
        type="decimal",
        operator="greaterThan",
        formula1="0",
        error="Quantity must be greater than 0",
    )
    money = DataValidation(
        type="decimal",
        operator="greaterThanOrEqual",
        formula1="0",
        allow_blank=True,
        error="Enter an amount of 0 or more",
    )
    yes_no = DataValidation(type="list", allow_blank=True, formula1='"yes,no"')
    for dv, col in ((classes, "C"), (positive, "F"), (money, "G"), (money, "I"), (yes_no, "J")):
        dv.showErrorMessage = True
        if dv not in ws.data_validations.dataValidation:
            ws.add_data_validation(dv)
        dv.add(f"{col}2:{col}{n}")


def build_prices(ws: Worksheet, rows: Sequence[dict[str, Any]] = ()) -> None:
    _rows_table(ws, PRICES, PRICE_COLUMNS, rows)
    money = DataValidation(
        type="decimal",
        operator="greaterThanOrEqual",
        formula1="0",
        allow_blank=True,
        error="Enter a price of 0 or more",
    )
    money.showErrorMessage = True
    ws.add_data_validation(money)
    money.add(f"B2:B{max(len(rows), 1) + 1000}")


def build_transactions(ws: Worksheet, rows: Sequence[dict[str, Any]] = ()) -> None:
    """The optional ledger: exchange history in tlh-xl's own columns, from which
    ``tlh-xl fill`` (when the Lots table is empty), ``tlh-xl ledger`` and ``TLH_LOTS``
    work out the lots."""
    from ..ledger.transactions import TX_TYPES

    _rows_table(ws, TRANSACTIONS, TRANSACTION_TABLE_COLUMNS, rows)
    types = DataValidation(type="list", formula1='"' + ",".join(TX_TYPES) + '"', allow_blank=True)
    types.showErrorMessage = True
    ws.add_data_validation(types)
    types.add(f"C2:C{max(len(rows), 1) + 1000}")


def build_wallets(ws: Worksheet, rows: Sequence[dict[str, Any]] = ()) -> None:
    """The user's wallets: a transfer to one of them moves lots; Kind (a broker or
    self-custody) is for the reporting of each sale."""
    _rows_table(ws, WALLETS, WALLET_COLUMNS, rows)
    kinds = DataValidation(
        type="list", formula1='"' + ",".join(WALLET_KINDS) + '"', allow_blank=True
    )
    kinds.showErrorMessage = True
    ws.add_data_validation(kinds)
    kinds.add(f"B2:B{max(len(rows), 1) + 1000}")


# --- output sheets -----------------------------------------------------------------------


# A column of long text (Harvest's Note, Positions' Flags) wraps at this width, each row
# as tall as its lines: left unwrapped, a note runs on past the table, and a sheet
# printed one page wide shrinks to fit it (the Harvest page printed at about 3 points).
WRAP_WIDTH = 36
LINE_HEIGHT = 15  # points per line of 11-point text
# Characters of ordinary text a line of a column holds, per unit of its width, with
# room for fonts wider than Calibri (LibreOffice's DejaVu Sans): a row is never too short.
CHARS_PER_WIDTH = 0.8


def _wrapped(columns: Sequence[OutputColumn]) -> list[int]:
    """The long-text columns, those declared at least ``MAX_WIDTH`` wide."""
    return [i for i, c in enumerate(columns) if c.kind == "text" and c.width >= MAX_WIDTH]


def row_heights(
    rows: Sequence[Sequence[Any]], wrapped: Sequence[int], width: float = WRAP_WIDTH
) -> list[float | None] | None:
    """Each row's height for its wrapped text (None: one line, the default height)."""
    if not wrapped:
        return None
    per_line = max(1, int(width * CHARS_PER_WIDTH))
    heights: list[float | None] = []
    for row in rows:
        longest = max(len(str(row[i] or "")) for i in wrapped)
        lines = -(-longest // per_line)
        heights.append(float(LINE_HEIGHT * lines + 2) if lines > 1 else None)
    return heights


def _output_table(
    ws: Worksheet, name: str, columns: Sequence[OutputColumn], rows: Sequence[Sequence[Any]]
) -> None:
    headers = [c.header for c in columns]
    kinds, declared = [c.kind for c in columns], [c.width for c in columns]
    widths = fitted_widths(headers, kinds, declared, rows, two_line_headers=True)
    wrapped = _wrapped(columns)
    for i in wrapped:
        widths[i] = float(WRAP_WIDTH)
    _table(ws, name, headers, len(rows), widths)
    if any(len(h) + FILTER_BUTTON > w for h, w in zip(headers, widths)):
        # A header of two lines: the row as tall as two, each header wrapped at the bottom.
        ws.row_dimensions[1].height = 2 * LINE_HEIGHT + 2
        for col in range(1, len(headers) + 1):
            ws.cell(row=1, column=col).alignment = HEADER_WRAP
    if not rows:
        for col, column in enumerate(columns, start=1):
            _format_column(ws, col, column.kind, 0)
        return
    # openpyxl writes the first row, every cell styled, as the template whose style
    # indexes fast_rows reuses when it writes all the rows straight to the sheet's XML.
    for col, (value, column) in enumerate(zip(rows[0], columns), start=1):
        cell = ws.cell(row=2, column=col)
        _put(cell, None if value == "" else value, column.kind)
        if wrapped:  # rows of several lines: every cell at the top, the long text wrapped
            cell.alignment = WRAP if col - 1 in wrapped else TOP
    setattr(ws, FAST_ROWS, (rows, len(columns), row_heights(rows, wrapped)))


def build_positions(ws: Worksheet, rows: Sequence[Sequence[Any]] = ()) -> None:
    _output_table(ws, POSITIONS, POSITION_COLUMNS, rows)


def build_harvest(ws: Worksheet, rows: Sequence[Sequence[Any]] = ()) -> None:
    _output_table(ws, HARVEST, HARVEST_COLUMNS, rows)


def build_realized(ws: Worksheet, rows: Sequence[Sequence[Any]] = ()) -> None:
    """The ledger's disposals of the tax year (``tlh-xl ledger -o``)."""
    _output_table(ws, REALIZED, REALIZED_COLUMNS, rows)


# Rows left for the plan's notes above the charts (a plan has at most a few).
MAX_NOTES_SHOWN = 4

# Cross-checks computed by the spreadsheet itself from the Harvest table.
CHECKS: tuple[tuple[str, str, Kind], ...] = (
    ("Sales", '=COUNTIF(Harvest[Lot ID],"?*")', "int"),
    ("Proceeds", "=SUM(Harvest[Proceeds])", "money"),
    ("Gain/loss realized", "=SUM(Harvest[Gain/Loss])", "money"),
    ("Fees (equals Trading costs)", "=SUM(Harvest[Fees])", "money"),
    (
        "Short-term loss (equals harvested)",
        f'=-SUMIFS(Harvest[Gain/Loss],Harvest[Term],"{TERM_LABELS["short"]}",'
        'Harvest[Gain/Loss],"<0")',
        "money",
    ),
    (
        "Long-term loss (equals harvested)",
        f'=-SUMIFS(Harvest[Gain/Loss],Harvest[Term],"{TERM_LABELS["long"]}",'
        'Harvest[Gain/Loss],"<0")',
        "money",
    ),
    ("Tax saved = without − with", "=TaxWithoutHarvest-TaxWithHarvest", "money"),
    ("Tax saved = federal + state", "=FederalTaxSaved+StateTaxSaved", "money"),
    (
        "Net benefit = saved − costs + carried × value",
        "=TaxSaved-TradingCosts+ROUND(CarryforwardValueUsed*CarryforwardAdded,2)",
        "money",
    ),
    (
        "Days left (deadline − planned sale date)",
        '=IF(ISNUMBER(AsOfDate),MAX(0,Deadline-AsOfDate),"")',
        "int",
    ),
)


def _summary_subtitle(values: dict[str, Any]) -> str:
    """Which taxes the Summary's tax figures include: a plan's own (its state, if any,
    named by the rules used), or, in the template, what they can be."""
    federal = "Federal regular income tax plus net investment income tax"
    if "state_used" not in values:  # the template: no plan yet
        return (
            f"{federal} for the tax year, plus state tax when Profile State is filled "
            "in (its part on the 'of which state' lines)."
        )
    used = values["state_used"]
    if not used or used == "none":
        return f"{federal} for the tax year (Profile State is blank: no state tax)."
    state = str(used).split()[0].removeprefix("us-").upper()
    return f"{federal}, plus {state} state tax ({used}), for the tax year."


def _taxes_named(values: dict[str, Any]) -> str:
    """The taxes a plan counts, by name: Federal tax, or Federal + CA tax."""
    used = str(values.get("state_used") or "none")
    if used == "none":
        return "Federal tax"
    return f"Federal + {used.split()[0].removeprefix('us-').upper()} tax"


def build_summary(
    ws: Worksheet,
    wb: Workbook,
    values: dict[str, Any] | None = None,
    by_asset: Iterable[tuple[str, Decimal]] = (),
    messages: Sequence[str] = (),
) -> None:
    values = values or {}
    _print_setup(ws)
    ws["A1"] = "Summary"
    ws["A1"].font = TITLE
    ws["A2"] = _summary_subtitle(values)
    ws["A2"].font = HELP
    ws.column_dimensions["A"].width = 36
    ws.column_dimensions["B"].width = 22
    ws.column_dimensions["C"].width = 4
    ws.column_dimensions["D"].width = 44
    ws.column_dimensions["E"].width = 18
    for row, f in enumerate(SUMMARY_FIELDS, start=4):
        ws.cell(row=row, column=1, value=f.label).font = BOLD
        cell = ws.cell(row=row, column=2)
        _put(cell, values.get(f.field), f.kind)
        define_name(wb, f.name, SUMMARY, f"B{row}")
    for row, f in enumerate(SUMMARY_FIELDS, start=4):
        if f.name in ("TaxSaved", "NetBenefit"):  # the headline figures
            ws.cell(row=row, column=1).font = ws.cell(row=row, column=2).font = Font(
                bold=True, size=12
            )
    ws["D3"] = "Checks from the Harvest table"
    ws["D3"].font = BOLD
    for row, (label, formula, kind) in enumerate(CHECKS, start=4):
        ws.cell(row=row, column=4, value=label)
        cell = ws.cell(row=row, column=5, value=formula)
        cell.number_format = FORMATS[kind]
        cell.fill = CHECK_FILL
    for i, text in enumerate(messages, start=NOTES_ROW):
        set_text(ws.cell(row=i, column=1), text)
        ws.cell(row=i, column=1).font = HELP

    # Chart data: before/after tax, and unrealized gain/loss by asset.
    ws["G3"], ws["H3"] = "Scenario", "Tax"
    ws["G4"], ws["H4"] = "Without harvesting", "=TaxWithoutHarvest"
    ws["G5"], ws["H5"] = "With harvesting", "=TaxWithHarvest"
    ws["G7"], ws["H7"] = "Asset", "Unrealized Gain/Loss"
    for cell in (ws["G3"], ws["H3"], ws["G7"], ws["H7"]):
        cell.font = BOLD
    ws["H4"].number_format = ws["H5"].number_format = MONEY
    assets = list(by_asset)
    for i, (asset, amount) in enumerate(assets, start=8):
        set_text(ws.cell(row=i, column=7), asset)
        ws.cell(row=i, column=8, value=amount).number_format = MONEY
    ws.column_dimensions["G"].width = 20
    ws.column_dimensions["H"].width = 20

    tax = BarChart()
    tax.type = "col"
    tax.title = f"{_taxes_named(values)}: before and after harvesting"
    tax.y_axis.title = "USD"
    tax.add_data(Reference(ws, min_col=8, min_row=3, max_row=5), titles_from_data=True)
    tax.set_categories(Reference(ws, min_col=7, min_row=4, max_row=5))
    tax.legend = None
    tax.height, tax.width = 7, 12
    # The charts go below the figures, not beside them: the sheet then prints one
    # landscape page wide at a readable size.
    below = NOTES_ROW + MAX_NOTES_SHOWN + 1
    ws.add_chart(tax, f"A{below}")

    gains = BarChart()
    gains.type = "bar"
    gains.title = "Unrealized gain/loss by asset"
    last = 7 + max(len(assets), 1)
    gains.add_data(Reference(ws, min_col=8, min_row=7, max_row=last), titles_from_data=True)
    gains.set_categories(Reference(ws, min_col=7, min_row=8, max_row=last))
    gains.legend = None
    # Category labels at the chart's left edge, not on the zero line: losses draw their
    # bars to the left of zero, over labels placed there.
    gains.x_axis.tickLblPos = "low"
    gains.x_axis.delete = False
    gains.y_axis.delete = False
    gains.y_axis.numFmt = '"$"#,##0'
    gains.x_axis.tickLblSkip = 1  # every asset named, none skipped to save room
    gains.height, gains.width = max(7.0, 0.65 * len(assets) + 2), 12
    ws.add_chart(gains, f"D{below}")


# The Excel functions (tlh_xl.udfs), with calls that work on this template. Shown as text:
# they need the xlwings add-in or xlwings Lite, and a live formula would be #NAME? without.
FUNCTION_EXAMPLES: tuple[tuple[str, str, str], ...] = (
    (
        "TLH_TERM",
        "=TLH_TERM(Lots[@Acquired], AsOfDate)",
        "Short-term or Long-term for a sale on the date.",
    ),
    (
        "TLH_LONG_TERM_DATE",
        "=TLH_LONG_TERM_DATE(Lots[@Acquired])",
        "First sale date on which the lot is long-term.",
    ),
    (
        "TLH_DAYS_TO_LONG",
        "=TLH_DAYS_TO_LONG(Lots[@Acquired], AsOfDate)",
        "Days until the lot turns long-term.",
    ),
    (
        "TLH_TAX",
        "=TLH_TAX(TaxYear, FilingStatus, OrdinaryIncome, RealizedShortTerm, RealizedLongTerm)",
        "Federal tax: regular plus NIIT.",
    ),
    (
        "TLH_MARGINAL_RATES",
        "=TLH_MARGINAL_RATES(TaxYear, FilingStatus, OrdinaryIncome)",
        "Spills the tax on one more dollar of ordinary income, ST and LT gain.",
    ),
    (
        "TLH_LOSS_LIMIT",
        "=TLH_LOSS_LIMIT(TaxYear, FilingStatus)",
        "Capital loss deductible against ordinary income.",
    ),
    (
        "TLH_RULE",
        '=TLH_RULE(TaxYear, "standard_deduction.amount", FilingStatus)',
        "Any value of the year's rule file.",
    ),
    (
        "TLH_POSITIONS",
        "=TLH_POSITIONS(Lots[#All], Prices[#All], AsOfDate)",
        "Spills the Positions table.",
    ),
    (
        "TLH_LOTS",
        '=TLH_LOTS(Transactions[#All], "fifo", AsOfDate)',
        "Spills the open lots per wallet worked out from the Transactions table.",
    ),
    (
        "TLH_SUGGEST",
        "=TLH_SUGGEST(Lots[#All], Prices[#All], Profile!A4:B24)",
        "Spills the harvest plan with the Harvest table's headers.",
    ),
    (
        "TLH_SAVINGS",
        "=TLH_SAVINGS(Lots[#All], Prices[#All], Profile!A4:B24)",
        "Spills the Summary's names and values.",
    ),
)


def build_formulas(ws: Worksheet) -> None:
    ws["A1"] = "Excel functions"
    ws["A1"].font = TITLE
    ws["A2"] = (
        "With the xlwings add-in (Windows: UDF Modules = tlh_xl.udfs, Import Functions) or "
        "xlwings Lite, where they are named TLH.TERM, TLH.SUGGEST, ...; see the README."
    )
    ws["A2"].font = HELP
    for col, header in enumerate(("Function", "Example", "What it returns"), start=1):
        ws.cell(row=4, column=col, value=header).font = BOLD
    for row, (name, example, what) in enumerate(FUNCTION_EXAMPLES, start=5):
        ws.cell(row=row, column=1, value=name)
        set_text(ws.cell(row=row, column=2), example)
        ws.cell(row=row, column=3, value=what)
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 80
    ws.column_dimensions["C"].width = 60
    _print_setup(ws)


def new_workbook() -> Workbook:
    """The template: every sheet of the contract, empty."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = README
    build_readme(ws)
    build_profile(
        wb.create_sheet(PROFILE),
        wb,
        {"FilingStatus": "Single", "Rebuy": "yes", "HarvestGains": "no"},
    )
    build_lots(wb.create_sheet(LOTS))
    build_prices(wb.create_sheet(PRICES))
    build_transactions(wb.create_sheet(TRANSACTIONS))
    build_wallets(wb.create_sheet(WALLETS))
    build_positions(wb.create_sheet(POSITIONS))
    build_harvest(wb.create_sheet(HARVEST))
    build_summary(wb.create_sheet(SUMMARY), wb)
    build_formulas(wb.create_sheet(FORMULAS))
    wb.calculation.fullCalcOnLoad = True
    return wb
