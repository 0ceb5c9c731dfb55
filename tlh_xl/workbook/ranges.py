"""Excel-shaped values → engine inputs, and plans → Excel-shaped values.

The Excel functions and the Fill button receive what Excel hands over: 2-D lists with a
header row, numbers as floats, empty cells as ``None``, and dates as ``datetime`` (classic
xlwings) or serial numbers (xlwings Lite and Server). This module turns those into the
engine's inputs and turns the plan back into rows of floats, dates and text. It does not
import xlwings, so it is tested like the rest of the engine.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from openpyxl.utils.datetime import from_excel

from ..errors import InputError
from ..harvest.inputs import Profile
from ..harvest.plan import HarvestPlan
from ..rulebook import Rules, load_rules
from .contract import (
    HARVEST_HEADERS,
    LOT_COLUMNS,
    LOTS,
    POSITION_HEADERS,
    PRICE_COLUMNS,
    PRICES,
    PROFILE_FIELDS,
    SUMMARY_FIELDS,
    TRANSACTION_TABLE_COLUMNS,
    TRANSACTIONS,
    WALLET_COLUMNS,
    WALLETS,
    normalize_header,
)
from .reader import Grid, grid_from_rows, identical_groups, price_pairs
from .tables import position_rows, sale_rows, summary_values

if TYPE_CHECKING:
    from ..app import Forms
    from ..lots_from_ledger import LedgerLots

__all__ = [
    "ExcelPlan",
    "excel_date",
    "excel_value",
    "harvest_table",
    "lots_from_transactions",
    "plan_from_ranges",
    "positions_from_ranges",
    "positions_table",
    "profile_from_pairs",
    "realized_table",
    "summary_names",
    "summary_pairs",
]

Rows = Sequence[Sequence[Any]]


def excel_date(value: Any, what: str) -> dt.date | None:
    """A date from a datetime, an Excel serial number or ISO text; ``None`` if empty."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        converted = from_excel(value)
        return converted.date() if isinstance(converted, dt.datetime) else converted
    try:
        return dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise InputError(f"{what}: expected a date, got {value!r}") from None


def excel_value(value: Any) -> Any:
    """One engine value as Excel takes it: Decimal → float, None → empty."""
    if isinstance(value, Decimal):
        return float(value)
    if value is None:
        return ""
    return value


def _rows(values: Any, name: str) -> list[list[Any]]:
    if not isinstance(values, (list, tuple)) or not values:
        raise InputError(f"{name}: pass the whole table with its header row, e.g. {name}[#All]")
    return [list(r) if isinstance(r, (list, tuple)) else [r] for r in values]


def profile_from_pairs(values: Any) -> tuple[Profile, dict[str, str]]:
    """A Profile from a 2-column range: defined names (``FilingStatus``) or visible labels."""
    by_key = {normalize_header(f.name): f for f in PROFILE_FIELDS}
    by_key.update({normalize_header(f.label): f for f in PROFILE_FIELDS})
    data: dict[str, Any] = {}
    places: dict[str, str] = {}
    for i, row in enumerate(_rows(values, "Profile"), start=1):
        if len(row) < 2 or row[0] is None:
            continue
        field = by_key.get(normalize_header(row[0]))
        if field is None:
            continue  # a title or a note next to the inputs
        place = f"Profile row {i} {field.name}"
        value = row[1]
        if field.kind == "date":
            value = excel_date(value, place)
        elif field.kind == "int" and isinstance(value, float) and value.is_integer():
            value = int(value)
        data[field.field] = value
        places[field.field] = place
    for required in ("filing_status", "ordinary_income"):
        if data.get(required) in (None, ""):
            name = next(f.name for f in PROFILE_FIELDS if f.field == required)
            raise InputError(f"Profile: {name} is missing or empty")
    return Profile(**data), places


Origin = tuple[str, int, int]  # (sheet, header row, first column), 1-based


def prices_grid(values: Any, origin: Origin | None = None) -> Grid:
    return grid_from_rows(_rows(values, PRICES), PRICE_COLUMNS, PRICES, origin=origin)


def lots_grid(values: Any, origin: Origin | None = None) -> Grid:
    return grid_from_rows(_rows(values, LOTS), LOT_COLUMNS, LOTS, origin=origin)


@dataclass(frozen=True)
class ExcelPlan:
    plan: HarvestPlan
    rules: Rules
    ledger: LedgerLots | None = None  # when the lots were built from the transactions
    forms: Forms | None = None  # Form 8949 and Schedule D, for years with boxes


def plan_from_ranges(
    lots: Any,
    prices: Any,
    profile: Any,
    origins: tuple[Origin | None, Origin | None] = (None, None),
    profile_cells: dict[str, str] | None = None,
    transactions: Any = None,
    wallets: Any = None,
    ledger_origins: tuple[Origin | None, Origin | None] = (None, None),
) -> ExcelPlan:
    """Everything TLH_SUGGEST, TLH_SAVINGS and the Fill button need, from three ranges:
    the same validation and plan as ``tlh-xl fill`` (``app.run_plan``). The Fill button,
    which knows where the tables and Profile cells are, passes ``origins`` and
    ``profile_cells`` so its errors name cells as fill's do, and, when the Lots table is
    empty, the Transactions and Wallets tables (``ledger_origins`` where they are)."""
    from ..app import PlanInputs, run_plan

    prof, places = profile_from_pairs(profile)
    places.update(profile_cells or {})

    def place(field: str) -> str:
        return places.get(field, f"Profile {field}")

    # The grids are read before planning, as fill reads them, so both name the same
    # first error. Rules come from TLH_RULES_DIR and the user folder, as for fill.
    grids = lots_grid(lots, origins[0]), prices_grid(prices, origins[1])
    ledger_grids = (
        None
        if transactions is None
        else grid_from_rows(
            _rows(transactions, TRANSACTIONS),
            TRANSACTION_TABLE_COLUMNS,
            TRANSACTIONS,
            origin=ledger_origins[0],
        ),
        None
        if wallets is None
        else grid_from_rows(
            _rows(wallets, WALLETS), WALLET_COLUMNS, WALLETS, origin=ledger_origins[1]
        ),
    )
    result = run_plan(PlanInputs(prof, place, *grids, *ledger_grids))
    return ExcelPlan(result.plan, result.rules, result.ledger, result.forms)


def positions_from_ranges(lots: Any, prices: Any, as_of: Any) -> list[list[Any]]:
    """The Positions table for lots valued at ``as_of`` (default today)."""
    from ..harvest.inputs import parse_prices
    from ..harvest.lots import parse_lots
    from ..harvest.positions import value_positions

    day = excel_date(as_of, "as_of") or dt.date.today()
    rules = load_rules(day.year)
    grid, price_grid = lots_grid(lots), prices_grid(prices)
    parsed = parse_lots(grid.records, day, grid.place)
    priced = parse_prices(price_pairs(price_grid))
    positions = value_positions(rules, parsed, priced, day, identical_groups(price_grid))
    return _table(POSITION_HEADERS, position_rows(positions))


def lots_from_transactions(
    values: Any, method: Any = None, as_of: Any = None, time_zone: Any = None
) -> list[list[Any]]:
    """The open lots, with the Lots table's headers, from a Transactions range (its
    header row first, tlh-xl's own columns): the ledger as an Excel function."""
    from ..ledger import LedgerSettings, build_ledger
    from ..ledger.own_format import parse_transaction_rows
    from .contract import LOT_COLUMNS
    from .ledger_book import lot_rows

    grid = _rows(values, "Transactions")
    header, body = grid[0], grid[1:]
    records = [dict(zip(header, row)) for row in body]
    zone = str(time_zone).strip() if time_zone not in (None, "") else "UTC"
    transactions = parse_transaction_rows(
        records,
        lambda i, column: f"Transactions row {i + 2} {column}",
        zone,
    )
    day = excel_date(as_of, "as_of")
    how = str(method).strip().lower() if method not in (None, "") else None
    ledger = build_ledger(transactions, LedgerSettings(methods=how, time_zone=zone, through=day))
    return _table(
        [c.header for c in LOT_COLUMNS],
        [[r.get(c.field) for c in LOT_COLUMNS] for r in lot_rows(ledger)],
    )


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[list[Any]]:
    return [list(headers)] + [[excel_value(v) for v in row] for row in rows]


def harvest_table(plan: HarvestPlan) -> list[list[Any]]:
    """The Harvest table: header row (the workbook's headers) then one row per sale."""
    return _table(HARVEST_HEADERS, sale_rows(plan))


def realized_table(realized: Sequence[Any]) -> list[list[Any]]:
    """The Realized table: header row then one row per disposal of the tax year."""
    from ..output_tables import REALIZED_COLUMNS, rows

    return _table([c.header for c in REALIZED_COLUMNS], rows(realized, REALIZED_COLUMNS))


def positions_table(plan: HarvestPlan) -> list[list[Any]]:
    return _table(POSITION_HEADERS, position_rows(plan.position_table))


def summary_pairs(plan: HarvestPlan) -> list[list[Any]]:
    """Label/value pairs keyed by the Summary's defined names, then a ``Note`` row for
    each of the plan's notes (a plan below MinBenefit, an NFT search stopped early)."""
    return [[name, excel_value(value)] for name, value in summary_names(plan)] + [
        ["Note", message] for message in plan.messages
    ]


def summary_names(plan: HarvestPlan) -> list[tuple[str, Any]]:
    """(defined name, value) for each Summary figure: what a writer puts in named cells."""
    values = summary_values(plan)
    return [(f.name, values[f.field]) for f in SUMMARY_FIELDS]
