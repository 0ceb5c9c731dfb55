"""Reading the user's inputs from a workbook (or CSV files), naming cells in every error.

* Tables are found by name (``Lots``, ``Prices``) on any sheet; without a table, the sheet
  of that name is read as a plain range whose first non-empty row holds the headers.
* Headers match regardless of case and extra spaces.
* Dates may be real dates, Excel serial numbers or ISO text; numbers may be numbers or
  numeric text. Formula cells are read through their cached values; a formula no one
  calculated (a workbook saved by openpyxl or pandas) is refused, naming its cell.
* Two columns with one header (in any case or spacing) are refused, naming both cells.
* The Profile is read through its defined names, or failing that its visible labels.

The result is plain records for the engine, plus functions that turn an engine field
back into a place such as ``Lots!F14 Quantity``.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.utils.datetime import WINDOWS_EPOCH, from_excel
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from ..errors import WorkbookError
from ..harvest.inputs import Profile
from .contract import (
    LOT_COLUMNS,
    LOTS,
    PRICE_COLUMNS,
    PRICES,
    PROFILE,
    PROFILE_FIELDS,
    Column,
    normalize_header,
)
from .package import SourcePackage

__all__ = [
    "NOT_CALCULATED",
    "Cached",
    "CachedValues",
    "Grid",
    "Inputs",
    "TableReader",
    "convert_value",
    "find_table",
    "grid_from_rows",
    "identical_groups",
    "map_headers",
    "not_calculated",
    "price_pairs",
    "read_csv_grid",
    "read_grid",
    "read_inputs",
    "resize_table",
    "rows_below",
]

# (sheet, coordinate) → a formula cell's cached value, or NOT_CALCULATED when it has none.
Cached = Callable[[str, str], Any]


class _NotCalculated:
    def __repr__(self) -> str:
        return "NOT_CALCULATED"


NOT_CALCULATED: Final = _NotCalculated()


def not_calculated(place: str) -> WorkbookError:
    """The error for a formula cell with no calculated value, at ``place``."""
    return WorkbookError(
        f"{place}: the formula has no calculated value (the workbook was saved by a program "
        "that does not calculate formulas, such as openpyxl or pandas); open and save it in "
        "Excel or LibreOffice first"
    )


class CachedValues:
    """A ``Cached`` for a workbook openpyxl loaded with its formulas: the value from a
    values-only load (``load_values``, called once, at the first formula cell), or
    ``NOT_CALCULATED`` where the source's XML holds no calculated value.

    openpyxl's values-only load gives None both for a formula that no one calculated and
    for one whose value is the empty string, so a None is looked up in the sheet's XML
    (``package``: ``<v>`` empty or missing, and not a string), once per sheet.
    """

    def __init__(
        self,
        load_values: Callable[[], Workbook],
        source: Callable[[], SourcePackage | None],
    ):
        self._load_values = load_values
        self._source = source
        self._values: Workbook | None = None
        self._package: list[SourcePackage | None] = []

    def __call__(self, sheet: str, coord: str) -> Any:
        if self._values is None:
            self._values = self._load_values()
        value = self._values[sheet][coord].value
        if value is None:
            if not self._package:
                self._package.append(self._source())
            package = self._package[0]
            if package is not None and coord.upper() in package.uncalculated(sheet):
                return NOT_CALCULATED
        return value


@dataclass
class Grid:
    """Rows of a table or header range: values by field, with where each came from."""

    name: str  # "Lots", or "lots.csv"
    records: list[dict[str, Any]]
    places: list[dict[str, str]]  # per record: field → "Lots!F14"
    headers: dict[str, str]  # field → header as written

    def place(self, row: int, _lot_id: str, field: str) -> str:
        cell = self.places[row].get(field)
        header = self.headers.get(field, field)
        return f"{cell} {header}" if cell else f"{self.name} row {row + 2} {header}"


def price_pairs(prices: Grid) -> list[tuple[str, Any]]:
    """(asset, price) for each row of the Prices table that names an asset."""
    return [(str(r["asset"]), r.get("price")) for r in prices.records if r.get("asset") is not None]


def identical_groups(prices: Grid) -> list[list[str]]:
    """Assets that share an Identical Group label (any case), one list per label."""
    groups: dict[str, list[str]] = {}
    for r in prices.records:
        label, asset = r.get("identical_group"), r.get("asset")
        if label is None or asset is None or not str(label).strip():
            continue
        groups.setdefault(str(label).strip().casefold(), []).append(str(asset).strip())
    return [members for members in groups.values() if len(members) > 1]


@dataclass
class Inputs:
    profile: Profile
    profile_cells: dict[str, str]  # Profile field → "Profile!B6 OrdinaryIncome"
    lots: Grid
    prices: Grid

    def profile_place(self, field: str) -> str:
        return self.profile_cells.get(field, f"Profile {field}")


def find_table(wb: Workbook, name: str) -> tuple[Worksheet, str] | None:
    for ws in wb.worksheets:
        for table in ws.tables.values():
            if str(table.name).casefold() == name.casefold():
                return ws, str(table.ref)
    return None


def _blank_cell(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def rows_below(
    value_at: Callable[[int, int], Any], min_col: int, max_col: int, max_row: int, last: int
) -> int:
    """A table's last row, counting the rows filled in directly below it: rows a script,
    a paste or LibreOffice wrote without growing the table are data the user means, and
    reading only the table's own rows would plan without them, without a word. The first
    blank row ends the table."""
    row = max_row
    while row < last and not all(
        _blank_cell(value_at(row + 1, c)) for c in range(min_col, max_col + 1)
    ):
        row += 1
    return row


def resize_table(ws: Any, name: str, max_row: int) -> None:
    """Grow table ``name`` on ``ws`` down to ``max_row`` (and its filter with it), so the
    workbook tlh-xl writes has the table the user meant."""
    for table in ws.tables.values():
        if str(table.name).casefold() == name.casefold():
            min_col, min_row, max_col, old = range_boundaries(str(table.ref))
            assert min_col and min_row and max_col and old
            if max_row > old:
                ref = f"{get_column_letter(min_col)}{min_row}:{get_column_letter(max_col)}{max_row}"
                table.ref = ref
                if table.autoFilter is not None:
                    table.autoFilter.ref = ref


def _header_range(wb: Workbook, name: str) -> tuple[Any, int, int, int, int]:
    """(sheet, min_col, header_row, max_col, max_row) of a table or plain range."""
    found = find_table(wb, name)
    if found is not None:
        ws, ref = found
        min_col, min_row, max_col, max_row = range_boundaries(ref)
        assert min_col and min_row and max_col and max_row
        cells = ws._cells  # looked up, not created: reading must not add empty cells

        def value_at(row: int, col: int) -> Any:
            cell = cells.get((row, col))
            return None if cell is None else cell.value

        grown = rows_below(value_at, min_col, max_col, max_row, ws.max_row)
        resize_table(ws, name, grown)
        return ws, min_col, min_row, max_col, grown
    matches = [ws for ws in wb.worksheets if ws.title.casefold() == name.casefold()]
    if not matches:
        raise WorkbookError(f"{name}: no table or sheet named {name!r} in the workbook")
    ws = matches[0]
    for row in ws.iter_rows(min_row=1, max_row=min(ws.max_row, 50)):
        if any(c.value not in (None, "") for c in row):
            return ws, 1, int(row[0].row or 1), ws.max_column, ws.max_row
    raise WorkbookError(f"{ws.title}!A1: the {name} sheet is empty (expected a header row)")


def convert_value(value: Any, column: Column, epoch: dt.datetime = WINDOWS_EPOCH) -> Any:
    """A cell's value for the engine; a number in a date column is an Excel serial date
    in the workbook's date system (``wb.epoch``: 1900, or 1904 for ``date1904`` books;
    CSV files and xlwings ranges have none and use 1900)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if column.kind == "date":
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            converted = from_excel(value, epoch)
            return converted.date() if isinstance(converted, dt.datetime) else converted
        return value
    if column.kind == "text" and isinstance(value, float) and value.is_integer():
        return str(int(value))
    if column.kind == "text" and not isinstance(value, str):
        return str(value)
    return value


def map_headers(
    names: Sequence[Any],
    columns: Sequence[Column],
    where: str,
    cells: Callable[[int], str] | None = None,
) -> dict[str, int]:
    """field → index into the row, for every column found; missing required ones fail,
    and so does a column found twice (``cells(i)`` names header ``i``'s cell, as
    ``Lots!F1``; without it the header row ``where`` is named, with column numbers)."""
    wanted = {normalize_header(c.header): c for c in columns}
    index: dict[str, int] = {}
    for i, name in enumerate(names):
        column = wanted.get(normalize_header(name))
        if column is None:
            continue
        if column.field in index:
            first = index[column.field]
            place = (
                f"{cells(first)} and {cells(i)}"
                if cells
                else f"{where} (columns {first + 1} and {i + 1})"
            )
            headed = (
                ""
                if str(names[first]) == str(name)
                else f" (headed {str(names[first])!r} and {str(name)!r})"
            )
            raise WorkbookError(
                f"{place}: two {column.header!r} columns{headed}; delete or rename one"
            )
        index[column.field] = i
    missing = [c.header for c in columns if c.required and c.field not in index]
    if missing:
        found = ", ".join(str(n) for n in names if n not in (None, "")) or "nothing"
        raise WorkbookError(
            f"{where}: missing column {', '.join(repr(m) for m in missing)} (found: {found})"
        )
    return index


def read_grid(wb: Workbook, name: str, columns: Sequence[Column], cached: Cached) -> Grid:
    ws, min_col, header_row, max_col, max_row = _header_range(wb, name)
    header_cells = next(
        ws.iter_rows(min_row=header_row, max_row=header_row, min_col=min_col, max_col=max_col)
    )
    names = [c.value for c in header_cells]
    where = (
        f"{ws.title}!{get_column_letter(min_col)}{header_row}:"
        f"{get_column_letter(max_col)}{header_row}"
    )
    index = map_headers(
        names, columns, where, lambda i: f"{ws.title}!{get_column_letter(min_col + i)}{header_row}"
    )
    by_field = {c.field: c for c in columns}
    headers = {field: str(names[i]).strip() for field, i in index.items()}
    records: list[dict[str, Any]] = []
    places: list[dict[str, str]] = []
    for row in ws.iter_rows(
        min_row=header_row + 1, max_row=max_row, min_col=min_col, max_col=max_col
    ):
        if all(c.value is None or (isinstance(c.value, str) and not c.value.strip()) for c in row):
            continue
        record: dict[str, Any] = {}
        place: dict[str, str] = {}
        for field, i in index.items():
            cell = row[i]
            value = cell.value
            if cell.data_type == "f" or (
                isinstance(value, str) and value.startswith("=") and cell.data_type != "s"
            ):
                value = cached(ws.title, cell.coordinate)
                if value is NOT_CALCULATED:
                    raise not_calculated(f"{ws.title}!{cell.coordinate} {headers[field]}")
            record[field] = convert_value(value, by_field[field], wb.epoch)
            place[field] = f"{ws.title}!{cell.coordinate}"
        records.append(record)
        places.append(place)
    return Grid(ws.title, records, places, headers)


# Reads one table or plain range of a workbook into a Grid: read_grid, or fast_read's.
TableReader = Callable[[Workbook, str, Sequence[Column], Cached], Grid]


def grid_from_rows(
    rows: Sequence[Sequence[Any]],
    columns: Sequence[Column],
    name: str,
    place: Callable[[int], str] | None = None,
    origin: tuple[str, int, int] | None = None,
) -> Grid:
    """A Grid from a header row and data rows (a CSV file, or a range's values).

    ``place(i)`` names data row ``i`` (0-based), e.g. ``lots.csv:5`` or ``Lots row 7``.
    ``origin`` (sheet, row, column of the header's first cell, 1-based) is given when the
    rows came from a known place in a workbook: each value is then named by its cell,
    ``Lots!F14``, as ``tlh-xl fill`` names it.
    """
    if not rows:
        raise WorkbookError(f"{name}: empty (expected a header row)")
    where = place or (lambda i: f"{name} row {i + 2}")
    cells = (
        (lambda j: f"{origin[0]}!{get_column_letter(origin[2] + j)}{origin[1]}")
        if origin is not None
        else None
    )
    index = map_headers(list(rows[0]), columns, f"{name} header row", cells)
    by_field = {c.field: c for c in columns}
    letters: dict[str, str] = {}
    if origin is not None:
        letters = {f: get_column_letter(origin[2] + j) for f, j in index.items()}
    records: list[dict[str, Any]] = []
    places: list[dict[str, str]] = []
    for i, row in enumerate(rows[1:]):
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
            continue
        record = {
            f: convert_value(row[j] if j < len(row) else None, by_field[f])
            for f, j in index.items()
        }
        records.append(record)
        if origin is not None:
            sheet, top = origin[0], origin[1] + 1 + i
            places.append({f: f"{sheet}!{letter}{top}" for f, letter in letters.items()})
        else:
            places.append({f: where(i) for f in index})
    headers = {field: str(rows[0][i]).strip() for field, i in index.items()}
    return Grid(name, records, places, headers)


def read_csv_grid(path: Path, columns: Sequence[Column]) -> Grid:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows: list[list[Any]] = list(csv.reader(handle))
    except FileNotFoundError:
        raise WorkbookError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise WorkbookError(f"{path}: cannot read as CSV: {exc}") from None
    if not rows:
        raise WorkbookError(f"{path}:1: empty file (expected a header row)")
    try:
        return grid_from_rows(rows, columns, path.name, lambda i: f"{path.name}:{i + 2}")
    except WorkbookError as exc:
        raise WorkbookError(str(exc).replace(f"{path.name} header row", f"{path.name}:1")) from None


def _profile(wb: Workbook, cached: Cached) -> tuple[Profile, dict[str, str]]:
    values: dict[str, Any] = {}
    cells: dict[str, str] = {}
    labels: dict[str, tuple[Worksheet, int]] = {}
    sheet = next((ws for ws in wb.worksheets if ws.title.casefold() == PROFILE.casefold()), None)
    if sheet is not None:
        for row in sheet.iter_rows(min_row=1, max_row=min(sheet.max_row, 200), max_col=1):
            if isinstance(row[0].value, str):
                labels[normalize_header(row[0].value)] = (sheet, row[0].row)
    for f in PROFILE_FIELDS:
        ws: Worksheet | None = None
        coord = ""
        defined = wb.defined_names.get(f.name)
        if defined is not None:
            for title, ref in defined.destinations:
                if title in wb.sheetnames:
                    ws, coord = wb[title], ref.replace("$", "").split(":")[0]
                    break
        if ws is None and normalize_header(f.label) in labels:
            ws, row_number = labels[normalize_header(f.label)]
            coord = f"B{row_number}"
        if ws is None:
            if f.field in ("filing_status", "ordinary_income"):
                raise WorkbookError(
                    f"Profile: no cell named {f.name} and no {f.label!r} label on a Profile sheet"
                )
            continue
        cell = ws[coord]
        value = cell.value
        if cell.data_type == "f":
            value = cached(ws.title, coord)
            if value is NOT_CALCULATED:
                raise not_calculated(f"{ws.title}!{coord} {f.name}")
        if f.kind == "date" and isinstance(value, dt.datetime):
            value = value.date()
        values[f.field] = value
        cells[f.field] = f"{ws.title}!{coord} {f.name}"
    return Profile(**values), cells


def read_inputs(
    wb: Workbook,
    cached: Cached,
    lots_csv: Path | None = None,
    prices_csv: Path | None = None,
    read_table: TableReader = read_grid,
) -> Inputs:
    """The Profile, then Lots and Prices (from the CSV files when given), in that order, so
    that every way in names the same first error. ``read_table`` reads one table or range
    (``fast_read`` gives one that reads big sheets with calamine)."""
    profile, cells = _profile(wb, cached)
    lots = (
        read_csv_grid(lots_csv, LOT_COLUMNS)
        if lots_csv
        else read_table(wb, LOTS, LOT_COLUMNS, cached)
    )
    prices = (
        read_csv_grid(prices_csv, PRICE_COLUMNS)
        if prices_csv
        else read_table(wb, PRICES, PRICE_COLUMNS, cached)
    )
    return Inputs(profile, cells, lots, prices)
