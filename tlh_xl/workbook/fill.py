"""``tlh-xl fill``: read a workbook, plan, write Positions/Harvest/Summary, save atomically.

The workbook is read the fast way when it can be (``fast_read.open_fast``: the big sheets'
cells kept from openpyxl, read by calamine and carried to the output verbatim; see
``package``), and otherwise, or when a check on the way fails, the plain way: openpyxl
loads and saves everything. Both give the same plan and the same output.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import os
import sys
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..app import Forms, PlanInputs, PlanResult, run_plan
from ..errors import WorkbookError
from ..harvest.plan import HarvestPlan
from ..rulebook import Rules
from .contract import (
    REALIZED,
    TRANSACTION_TABLE_COLUMNS,
    TRANSACTIONS,
    WALLET_COLUMNS,
    WALLETS,
)
from .fast_read import NeedsFullLoad, open_fast
from .form_sheet import FORM_8949, write_form_8949
from .ledger_book import write_realized
from .package import Carry, CarryFailed, read_package, refused
from .reader import (
    CachedValues,
    Grid,
    Inputs,
    find_table,
    price_pairs,
    read_csv_grid,
    read_grid,
    read_inputs,
)
from .writer import save_atomic, write_plan

__all__ = ["FillResult", "default_output", "fill_workbook", "load_workbook_safely"]

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FillResult:
    plan: HarvestPlan
    rules: Rules
    output: Path
    read: str = ""  # what was read, in words: "40 lots from Lots, 15 prices from Prices"
    from_transactions: bool = False  # the lots were built from the Transactions table
    forms: Forms | None = None  # Form 8949 rows and Schedule D lines, for years with boxes


def default_output(path: Path) -> Path:
    """``book.xlsx`` → ``book-harvest.xlsx``, next to the input."""
    return path.with_name(f"{path.stem}-harvest{path.suffix}")


def load_workbook_safely(path: Path, data_only: bool = False, data: bytes | None = None) -> Any:
    """The workbook at ``path`` (or its bytes ``data``, already read) loaded by openpyxl, or
    a ``WorkbookError`` naming the file and the problem."""
    if data is not None:
        return _load(path, io.BytesIO(data), data_only)
    if not path.exists():
        raise WorkbookError(f"{path}: no such file")
    if path.is_dir():
        raise WorkbookError(f"{path}: is a folder, not a workbook")
    if path.suffix.lower() not in WORKBOOK_SUFFIXES:
        raise WorkbookError(f"{path}: not an Excel workbook (expected .xlsx or .xlsm)")
    # Every workbook openpyxl loads from a file passes the XML gate first (entities, and
    # the size limits), whoever loads it: fill, the ledger, the Wallets table.
    package = read_package(path)
    if package is not None:
        return _load(path, io.BytesIO(package.data), data_only)
    return _load(path, path, data_only)


def _load(path: Path, source: Path | io.BytesIO, data_only: bool) -> Any:
    import openpyxl

    try:
        return openpyxl.load_workbook(
            source, keep_vba=path.suffix.lower() == ".xlsm", data_only=data_only
        )
    except zipfile.BadZipFile:
        raise WorkbookError(
            f"{path}: not an Excel workbook (the file is not a valid .xlsx)"
        ) from None
    except Exception as exc:  # openpyxl raises many kinds, and wraps defusedxml's
        chain: list[BaseException] = []
        link: BaseException | None = exc
        while link is not None and len(chain) < 10:
            chain.append(link)
            link = link.__cause__ or link.__context__
        if any("defusedxml" in type(e).__module__ for e in chain):
            raise refused(path) from None
        first_line = " ".join(str(exc).split("\n")[0].split())
        raise WorkbookError(
            f"{path}: cannot be read as a workbook ({type(exc).__name__}: {first_line})"
        ) from None


class _Progress:
    """A one-line progress bar on stderr, only when stdout is a terminal."""

    def __init__(self, enabled: bool):
        self.enabled = enabled

    def step(self, done: int, total: int, label: str) -> None:
        if not self.enabled:
            return
        width = 24
        filled = width * done // total
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {label:<28}")
        sys.stderr.flush()
        if done == total:
            sys.stderr.write("\n")


def fill_workbook(
    source: Path,
    output: Path | None = None,
    *,
    in_place: bool = False,
    as_of: dt.date | None = None,
    year: int | None = None,
    rules_dir: str | os.PathLike[str] | None = None,
    lots_csv: Path | None = None,
    prices_csv: Path | None = None,
    progress: bool | None = None,
    on_rules: Callable[[Rules], None] | None = None,
    wallets_csv: Path | None = None,
    needs_form_8949: bool = False,
) -> FillResult:
    """Fill ``source``; see ``tlh-xl fill --help``. ``wallets_csv`` replaces the Wallets
    table; ``needs_form_8949`` refuses, before anything is written, a tax year whose
    rules give no Form 8949 boxes (``--8949-out``)."""
    source = Path(source)
    if in_place and output is not None:
        raise WorkbookError("use either -o OUTPUT or --in-place, not both")
    if not source.exists():
        raise WorkbookError(f"{source}: no such file")
    target = source if in_place else Path(output) if output else default_output(source)
    try:
        _check_target(source, target, in_place)
    except PermissionError as exc:  # a folder that cannot be looked into
        raise WorkbookError(
            f"{target}: cannot be written ({exc.strerror or 'permission denied'} in "
            f"{target.parent})"
        ) from None
    if (
        source.suffix.lower() in WORKBOOK_SUFFIXES
        and target.suffix.lower() != source.suffix.lower()
    ):
        raise WorkbookError(
            f"{target}: the output must be a {source.suffix} file like the input (Excel "
            "refuses a file whose extension does not match its format; .xlsm keeps macros)"
        )
    bar = _Progress(sys.stdout.isatty() if progress is None else progress)

    bar.step(0, 4, "reading workbook")
    wb, inputs, ledger_in, carry, data = _read_workbook(source, lots_csv, prices_csv)
    transactions, wallets = ledger_in
    if wallets_csv is not None:
        wallets = read_csv_grid(wallets_csv, WALLET_COLUMNS)
    profile = inputs.profile
    overridden: dict[str, str] = {}  # a value given on the command line is blamed there
    if as_of is not None:
        profile = replace(profile, as_of_date=as_of)
        overridden["as_of_date"] = f"--as-of {as_of}"
    if year is not None:
        profile = replace(profile, tax_year=year)
        overridden["tax_year"] = f"--year {year}"

    def profile_place(field: str) -> str:
        return overridden.get(field) or inputs.profile_place(field)

    bar.step(1, 4, "planning")
    result = run_plan(
        PlanInputs(profile, profile_place, inputs.lots, inputs.prices, transactions, wallets),
        rules_dir=rules_dir,
        on_rules=on_rules,
    )
    plan, rules = result.plan, result.rules
    if needs_form_8949 and result.forms is None:
        raise WorkbookError(
            f"--8949-out: the {rules.year} rules give no Form 8949 boxes ({rules.path}: no "
            "form_8949 section; the digital-asset boxes start with tax year 2025)"
        )

    bar.step(2, 4, "writing sheets")
    _write(wb, result, carry)
    bar.step(3, 4, f"saving {target.name}")
    try:
        save_atomic(wb, target, carry)
    except CarryFailed as exc:
        log.info("%s: saving the workbook the plain way (%s)", source.name, exc)
        wb = load_workbook_safely(source, data=data)
        _write(wb, result)
        save_atomic(wb, target)
    bar.step(4, 4, "done")
    prices = len(price_pairs(inputs.prices))
    if result.ledger is not None and transactions is not None:
        rows, lots = len(transactions.records), len(result.ledger.lots.records)
        got = (
            f"{rows:,} transaction{'s' * (rows != 1)} from {transactions.name} "
            f"({lots:,} open lot{'s' * (lots != 1)}; the Lots table is empty)"
        )
    else:
        lots = len(inputs.lots.records)
        got = f"{lots:,} lot{'s' * (lots != 1)} from {inputs.lots.name}"
    read = f"{got}, {prices:,} price{'s' * (prices != 1)} from {inputs.prices.name}"
    return FillResult(plan, rules, target, read, result.ledger is not None, result.forms)


def _check_target(source: Path, target: Path, in_place: bool) -> None:
    if not in_place and target.exists() and target.resolve() == source.resolve():
        raise WorkbookError(f"{target}: the output would overwrite the input; use --in-place")
    if target.is_dir():
        raise WorkbookError(f"{target}: is a folder; give a file name for the output")
    if not target.parent.is_dir():
        raise WorkbookError(f"{target.parent}: no such folder for the output")


def _write(wb: Any, result: PlanResult, carry: Carry | None = None) -> None:
    """The plan's sheets; when the lots came from the Transactions, the tax year's
    disposals on the Realized sheet; and, for a year whose rules give the boxes, the
    Form 8949 sheet (each rewritten, as the plan's own sheets are)."""
    # Realized goes before Positions, so it is written before write_plan, which selects
    # Summary by its place; Form 8949 goes after Summary and moves nothing.
    if result.ledger is not None:
        with _replacing(wb, REALIZED, carry):
            write_realized(wb, result.ledger.realized)
    write_plan(wb, result.plan)
    if result.forms is not None:
        with _replacing(wb, FORM_8949, carry):
            write_form_8949(wb, result.forms.rows, result.forms.schedule_d, result.rules.year)


@contextmanager
def _replacing(wb: Any, title: str, carry: Carry | None) -> Iterator[None]:
    """A sheet the fill rewrites: if the source's was big enough to be stripped and
    carried, it is dropped from the carry (replaced, not put back)."""
    old = wb[title] if title in wb.sheetnames else None
    yield
    if carry is not None and old is not None and carry.sheet_for(old) is not None:
        carry.sheets = [(ws, kept) for ws, kept in carry.sheets if ws is not old]
        carry.dropped.append(old)


def _read_workbook(
    source: Path, lots_csv: Path | None, prices_csv: Path | None
) -> tuple[Any, Inputs, tuple[Grid | None, Grid | None], Carry | None, bytes | None]:
    """The loaded workbook, its inputs, its Transactions and Wallets (read only when the
    Lots are empty), what to carry to the output, and the file's bytes (None when openpyxl
    read the file itself)."""
    book = open_fast(source)  # refuses a workbook that declares entities
    data = book.source.data if book is not None else None
    if book is not None:
        try:
            inputs = book.read_inputs(lots_csv, prices_csv)
            transactions = _transactions(book.wb, inputs, book.cached, book.read_table)
            return book.wb, inputs, transactions, book.carry, data
        except NeedsFullLoad as exc:
            log.info("%s: reading the workbook the plain way (%s)", source.name, exc)
    wb = load_workbook_safely(source, data=data)
    # Formula cells: the value Excel last calculated, from a second, values-only load; a
    # formula no one calculated (the sheet's XML holds no value) is refused, naming it.
    cached = CachedValues(
        lambda: load_workbook_safely(source, data_only=True, data=data),
        lambda: book.source if book is not None else read_package(source),
    )
    inputs = read_inputs(wb, cached, lots_csv, prices_csv)
    return wb, inputs, _transactions(wb, inputs, cached, read_grid), None, data


def _transactions(
    wb: Any, inputs: Inputs, cached: Any, read_table: Any
) -> tuple[Grid | None, Grid | None]:
    """The Transactions table (or sheet), when the Lots table has no rows and the
    workbook has one (the lots are then built from the transactions), and the Wallets
    table, when there is one (for the ledger, and for Form 8949's boxes)."""

    def grid(name: str, columns: Any) -> Grid | None:
        if find_table(wb, name) is None and not any(
            ws.title.casefold() == name.casefold() for ws in wb.worksheets
        ):
            return None
        found: Grid = read_table(wb, name, columns, cached)
        return found

    transactions = None if inputs.lots.records else grid(TRANSACTIONS, TRANSACTION_TABLE_COLUMNS)
    return transactions, grid(WALLETS, WALLET_COLUMNS)
