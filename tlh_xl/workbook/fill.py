"""``tlh-xl fill``: read a workbook, plan, write Positions/Harvest/Summary, save atomically."""

from __future__ import annotations

import datetime as dt
import os
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..app import PlanInputs, run_plan
from ..errors import WorkbookError
from ..harvest.plan import HarvestPlan
from ..rulebook import Rules
from .reader import read_inputs
from .writer import save_atomic, write_plan

__all__ = ["FillResult", "default_output", "fill_workbook", "load_workbook_safely"]

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


@dataclass(frozen=True)
class FillResult:
    plan: HarvestPlan
    rules: Rules
    output: Path


def default_output(path: Path) -> Path:
    """``book.xlsx`` → ``book-harvest.xlsx``, next to the input."""
    return path.with_name(f"{path.stem}-harvest{path.suffix}")


def load_workbook_safely(path: Path, data_only: bool = False) -> Any:
    import openpyxl

    if not path.exists():
        raise WorkbookError(f"{path}: no such file")
    if path.is_dir():
        raise WorkbookError(f"{path}: is a folder, not a workbook")
    if path.suffix.lower() not in WORKBOOK_SUFFIXES:
        raise WorkbookError(f"{path}: not an Excel workbook (expected .xlsx or .xlsm)")
    try:
        return openpyxl.load_workbook(
            path, keep_vba=path.suffix.lower() == ".xlsm", data_only=data_only
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
            raise WorkbookError(
                f"{path}: refused: the workbook's XML declares entities or a DTD "
                "(a known XML attack); re-save it from Excel"
            ) from None
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
) -> FillResult:
    source = Path(source)
    if in_place and output is not None:
        raise WorkbookError("use either -o OUTPUT or --in-place, not both")
    if not source.exists():
        raise WorkbookError(f"{source}: no such file")
    target = source if in_place else Path(output) if output else default_output(source)
    if not in_place and target.exists() and target.resolve() == source.resolve():
        raise WorkbookError(f"{target}: the output would overwrite the input; use --in-place")
    if target.is_dir():
        raise WorkbookError(f"{target}: is a folder; give a file name for the output")
    if not target.parent.is_dir():
        raise WorkbookError(f"{target.parent}: no such folder for the output")
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
    wb = load_workbook_safely(source)
    cached_book: list[Any] = []

    def cached(sheet: str, coord: str) -> Any:
        # Formula cells: read the value Excel last calculated, from a second, values-only load.
        if not cached_book:
            cached_book.append(load_workbook_safely(source, data_only=True))
        return cached_book[0][sheet][coord].value

    inputs = read_inputs(wb, cached, lots_csv, prices_csv)
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
        PlanInputs(profile, profile_place, inputs.lots, inputs.prices),
        rules_dir=rules_dir,
        on_rules=on_rules,
    )
    plan, rules = result.plan, result.rules

    bar.step(2, 4, "writing sheets")
    write_plan(wb, plan)
    bar.step(3, 4, f"saving {target.name}")
    save_atomic(wb, target)
    bar.step(4, 4, "done")
    return FillResult(plan, rules, target)
