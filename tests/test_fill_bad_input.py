"""``tlh-xl fill`` on bad input: exit 2, one line naming the place, nothing written.

Each defect starts from the valid sample workbook (``build_sample_workbook``: 40 lots,
tax year 2026, as of 2026-12-01), breaks exactly one thing, and runs the command in a
subprocess as a user would. For every defect:

* the exit code is 2 and stdout is empty;
* stderr is exactly one line, ``tlh-xl: error: <place>: ...``, with no traceback, and the
  place is the cell (or sheet, header range, file) where the defect was put;
* the input file is byte for byte unchanged (same SHA-256);
* no output file and no temporary ``.~tlh-*`` file is left in the folder.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from tlh_xl.workbook.sample import build_sample_workbook

INPUT = "in.xlsx"


# --- helpers ------------------------------------------------------------------------


def run_fill(*args: str, cwd: Path, umask: int | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m tlh_xl fill ...`` in ``cwd``, with no user rules folder or debug mode."""
    env = {k: v for k, v in os.environ.items() if k not in ("TLH_RULES_DIR", "TLH_DEBUG")}
    preexec: Callable[[], Any] | None = None
    if umask is not None:
        mask = umask
        preexec = lambda: os.umask(mask)
    return subprocess.run(
        [sys.executable, "-m", "tlh_xl", "fill", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
        preexec_fn=preexec,
    )


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def listing(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def header_col(ws: Worksheet, header: str) -> int:
    for cell in ws[1]:
        if cell.value == header:
            return int(cell.column)
    raise AssertionError(f"no header {header!r} on {ws.title}")


def lot_row(ws: Worksheet, lot_id: str) -> int:
    for (cell,) in ws.iter_rows(min_row=2, max_col=1):
        if cell.value == lot_id:
            return int(cell.row)
    raise AssertionError(f"no lot {lot_id!r} on {ws.title}")


def put_lot(wb: Workbook, lot_id: str, header: str, value: Any) -> str:
    """Set one Lots cell; return its place as the error should name it (``Lots!F14``)."""
    ws = wb["Lots"]
    row, col = lot_row(ws, lot_id), header_col(ws, header)
    ws.cell(row=row, column=col).value = value
    return f"Lots!{get_column_letter(col)}{row}"


def profile_cell(wb: Workbook, name: str) -> tuple[str, str]:
    ((sheet, ref),) = list(wb.defined_names[name].destinations)
    return sheet, ref.replace("$", "")


def sheet_values(path: Path, title: str) -> list[tuple[Any, ...]]:
    wb = openpyxl.load_workbook(path)
    return [tuple(row) for row in wb[title].iter_rows(values_only=True)]


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sample") / "sample.xlsx"
    build_sample_workbook(path)
    return path


# --- the defects ------------------------------------------------------------------------
# Each breaks one thing in the loaded sample and returns the place the error must name.

Mutation = Callable[[Workbook], str]


def remove_lots_sheet(wb: Workbook) -> str:
    wb.remove(wb["Lots"])  # the sheet and its Lots table
    return "Lots"


def delete_cost_basis_column(wb: Workbook) -> str:
    ws = wb["Lots"]
    col = header_col(ws, "Cost Basis")
    ws.delete_cols(col)
    table = ws.tables["Lots"]
    last = get_column_letter(ws.max_column)
    table.ref = f"A1:{last}{ws.max_row}"
    table.tableColumns = [c for c in table.tableColumns if c.name != "Cost Basis"]
    return f"Lots!A1:{last}1"


def rename_cost_basis_header(wb: Workbook) -> str:
    ws = wb["Lots"]
    col = header_col(ws, "Cost Basis")
    ws.cell(row=1, column=col).value = "Cost"
    for column in ws.tables["Lots"].tableColumns:
        if column.name == "Cost Basis":
            column.name = "Cost"
    return f"Lots!A1:{get_column_letter(ws.max_column)}1"


def text_quantity(wb: Workbook) -> str:
    return put_lot(wb, "L13", "Quantity", "lots") + " Quantity"


def negative_quantity(wb: Workbook) -> str:
    return put_lot(wb, "L20", "Quantity", -25) + " Quantity"


def duplicate_lot_id(wb: Workbook) -> str:
    return put_lot(wb, "L12", "Lot ID", "L03") + " Lot ID"


def empty_acquired(wb: Workbook) -> str:
    return put_lot(wb, "L05", "Acquired", None) + " Acquired"


def future_acquired(wb: Workbook) -> str:
    # after the as-of date 2026-12-01 (Profile AsOfDate)
    return put_lot(wb, "L09", "Acquired", dt.datetime(2026, 12, 15)) + " Acquired"


def asset_without_price(wb: Workbook) -> str:
    # XMR has no row in Prices and the lot has no Price Override
    return put_lot(wb, "L07", "Asset", "XMR") + " Asset"


def blank_price(wb: Workbook) -> str:
    ws = wb["Prices"]
    row = lot_row(ws, "LINK")  # column A of Prices is Asset
    ws.cell(row=row, column=header_col(ws, "Price")).value = None
    lots = wb["Lots"]
    return f"Lots!{get_column_letter(header_col(lots, 'Asset'))}{lot_row(lots, 'L27')} Asset"


def text_cost_basis(wb: Workbook) -> str:
    return put_lot(wb, "L30", "Cost Basis", "about 2k") + " Cost Basis"


def unknown_asset_class(wb: Workbook) -> str:
    return put_lot(wb, "L11", "Asset Class", "Coins") + " Asset Class"


def unknown_filing_status(wb: Workbook) -> str:
    sheet, coord = profile_cell(wb, "FilingStatus")
    wb[sheet][coord].value = "Married"
    return f"{sheet}!{coord} FilingStatus"


def text_ordinary_income(wb: Workbook) -> str:
    sheet, coord = profile_cell(wb, "OrdinaryIncome")
    wb[sheet][coord].value = "a lot"
    return f"{sheet}!{coord} OrdinaryIncome"


def tax_year_without_rules(wb: Workbook) -> str:
    sheet, coord = profile_cell(wb, "TaxYear")
    wb[sheet][coord].value = 2031
    return f"{sheet}!{coord} TaxYear"


def profile_value(name: str, value: object) -> Mutation:
    def mutate(wb: Workbook) -> str:
        sheet, coord = profile_cell(wb, name)
        wb[sheet][coord].value = value
        return f"{sheet}!{coord} {name}"

    return mutate


def text_price(wb: Workbook) -> str:
    ws = wb["Prices"]
    row, col = lot_row(ws, "ETH"), header_col(ws, "Price")
    ws.cell(row=row, column=col).value = "cheap"
    return f"Prices!{get_column_letter(col)}{row} Price"


def empty_lot_id(wb: Workbook) -> str:
    return put_lot(wb, "L04", "Lot ID", None) + " Lot ID"


def bad_exclude_flag(wb: Workbook) -> str:
    return put_lot(wb, "L04", "Exclude", "maybe") + " Exclude"


@dataclass(frozen=True)
class WorkbookDefect:
    mutate: Mutation
    says: tuple[str, ...] = ()  # further text the message must contain
    bug: str = ""  # a product bug: the case is expected to fail until it is fixed


WORKBOOK_DEFECTS: dict[str, WorkbookDefect] = {
    "missing_lots_sheet": WorkbookDefect(remove_lots_sheet, ("no table or sheet named 'Lots'",)),
    "missing_column_deleted": WorkbookDefect(delete_cost_basis_column, ("'Cost Basis'",)),
    "missing_column_renamed": WorkbookDefect(rename_cost_basis_header, ("'Cost Basis'", "Cost")),
    "text_quantity": WorkbookDefect(text_quantity, ("'lots'",)),
    "negative_quantity": WorkbookDefect(negative_quantity, ("greater than 0", "-25")),
    "duplicate_lot_id": WorkbookDefect(duplicate_lot_id, ("duplicate", "'L03'")),
    "empty_acquired": WorkbookDefect(empty_acquired, ("empty",)),
    "future_acquired": WorkbookDefect(future_acquired, ("2026-12-15", "2026-12-01")),
    "asset_without_price": WorkbookDefect(asset_without_price, ("'XMR'", "Price Override")),
    "blank_price": WorkbookDefect(blank_price, ("'LINK'",)),
    "text_cost_basis": WorkbookDefect(text_cost_basis, ("'about 2k'",)),
    "unknown_asset_class": WorkbookDefect(unknown_asset_class, ("'Coins'",)),
    "unknown_filing_status": WorkbookDefect(
        unknown_filing_status, ("'Married'", "Married filing jointly")
    ),
    "text_ordinary_income": WorkbookDefect(text_ordinary_income, ("'a lot'",)),
    "tax_year_without_rules": WorkbookDefect(
        tax_year_without_rules, (f"us{os.sep}2031.yaml", "tlh-xl rules new")
    ),
    "as_of_not_a_date": WorkbookDefect(profile_value("AsOfDate", "soon"), ("'soon'",)),
    "fee_rate_over_one": WorkbookDefect(profile_value("FeeRate", 2), ("share of proceeds",)),
    "rebuy_not_yes_no": WorkbookDefect(profile_value("Rebuy", "maybe"), ("'maybe'",)),
    "text_price": WorkbookDefect(text_price, ("'cheap'",)),
    "empty_lot_id": WorkbookDefect(empty_lot_id, ("empty",)),
    "exclude_not_yes_no": WorkbookDefect(bad_exclude_flag, ("'maybe'",)),
    "as_of_after_deadline": WorkbookDefect(
        profile_value("AsOfDate", dt.datetime(2027, 1, 5)),
        ("deadline", "2027-01-05"),
    ),
}
WORKBOOK_DEFECT_PARAMS = [
    pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=case.bug)) if case.bug else name
    for name, case in WORKBOOK_DEFECTS.items()
]


def assert_refused(
    r: subprocess.CompletedProcess[str],
    place: str,
    says: tuple[str, ...],
    folder: Path,
    before: set[str],
    input_path: Path | None,
    input_hash: str | None,
) -> None:
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert r.stdout == ""
    assert "Traceback" not in r.stderr
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    line = lines[0]
    assert line.startswith(f"tlh-xl: error: {place}: "), line
    for text in says:
        assert text in line, (text, line)
    if input_path is not None:
        assert sha256(input_path) == input_hash
    assert listing(folder) == before, "an output or temporary file was left behind"
    assert not any(name.startswith(".~tlh-") for name in listing(folder))


@pytest.mark.parametrize("defect", WORKBOOK_DEFECT_PARAMS, ids=list(WORKBOOK_DEFECTS))
def test_bad_workbook_is_refused_naming_the_place(
    defect: str, sample: Path, tmp_path: Path
) -> None:
    case = WORKBOOK_DEFECTS[defect]
    wb = openpyxl.load_workbook(sample)
    place = case.mutate(wb)
    source = tmp_path / INPUT
    wb.save(source)
    before, digest = listing(tmp_path), sha256(source)

    r = run_fill(INPUT, cwd=tmp_path)

    assert_refused(r, place, case.says, tmp_path, before, source, digest)
    assert not (tmp_path / "in-harvest.xlsx").exists()


def test_bad_workbook_with_explicit_output_writes_nothing(sample: Path, tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(sample)
    place = text_quantity(wb)
    source = tmp_path / INPUT
    wb.save(source)
    out = tmp_path / "out"
    out.mkdir()
    before, digest = listing(tmp_path), sha256(source)

    r = run_fill(INPUT, "-o", "out/plan.xlsx", cwd=tmp_path)

    assert_refused(r, place, ("'lots'",), tmp_path, before, source, digest)
    assert listing(out) == set()


# --- files that are not workbooks, paths that do not exist -----------------------------


def text_named_xlsx(folder: Path) -> str:
    (folder / "x.xlsx").write_text("this is not a workbook\n", encoding="utf-8")
    return "x.xlsx"


def csv_as_input(folder: Path) -> str:
    (folder / "lots.csv").write_text(
        "Lot ID,Asset,Asset Class,Wallet,Acquired,Quantity,Cost Basis\n"
        "L1,BTC,Crypto,Ledger,2024-01-02,1,40000\n",
        encoding="utf-8",
    )
    return "lots.csv"


def folder_as_input(folder: Path) -> str:
    (folder / "book.xlsx").mkdir()
    return "book.xlsx"


def empty_file(folder: Path) -> str:
    (folder / "empty.xlsx").write_bytes(b"")
    return "empty.xlsx"


def missing_path(folder: Path) -> str:
    return "nope.xlsx"


def missing_in_missing_folder(folder: Path) -> str:
    return "no-such-folder/book.xlsx"


FILE_DEFECTS: dict[str, tuple[Callable[[Path], str], tuple[str, ...]]] = {
    "text_file_named_xlsx": (text_named_xlsx, ("not an Excel workbook",)),
    "csv_given_as_input": (csv_as_input, ("not an Excel workbook",)),
    "folder_given_as_input": (folder_as_input, ("folder",)),
    "empty_file": (empty_file, ("not an Excel workbook",)),
    "path_does_not_exist": (missing_path, ("no such file",)),
    "folder_does_not_exist": (missing_in_missing_folder, ("no such file",)),
}
FILE_DEFECT_PARAMS = list(FILE_DEFECTS)


@pytest.mark.parametrize("defect", FILE_DEFECT_PARAMS, ids=list(FILE_DEFECTS))
def test_not_a_workbook_is_refused(defect: str, tmp_path: Path) -> None:
    make, says = FILE_DEFECTS[defect]
    name = make(tmp_path)
    source = tmp_path / name
    digest = sha256(source) if source.is_file() else None
    before = listing(tmp_path)

    r = run_fill(name, cwd=tmp_path)

    assert_refused(r, name, says, tmp_path, before, source if digest else None, digest)


# --- where the output goes ----------------------------------------------------------------


@pytest.mark.parametrize(
    "output",
    [INPUT, f"./sub/../{INPUT}", "IN_ABSOLUTE"],
    ids=["same_name", "same_file_other_spelling", "absolute_path"],
)
def test_output_onto_the_input_needs_in_place(output: str, sample: Path, tmp_path: Path) -> None:
    source = tmp_path / INPUT
    source.write_bytes(sample.read_bytes())
    (tmp_path / "sub").mkdir()
    if output == "IN_ABSOLUTE":
        output = str(source)
    before, digest = listing(tmp_path), sha256(source)

    r = run_fill(INPUT, "-o", output, cwd=tmp_path)

    assert_refused(r, str(Path(output)), ("--in-place",), tmp_path, before, source, digest)


def test_in_place_rewrites_the_input_and_keeps_the_lots(sample: Path, tmp_path: Path) -> None:
    source = tmp_path / INPUT
    source.write_bytes(sample.read_bytes())
    digest = sha256(source)
    lots_before = sheet_values(source, "Lots")
    prices_before = sheet_values(source, "Prices")
    profile_before = sheet_values(source, "Profile")
    harvest_before = sheet_values(source, "Harvest")
    assert len([row for row in harvest_before[1:] if row[0] is not None]) == 0  # empty plan

    r = run_fill(INPUT, "--in-place", cwd=tmp_path)

    assert r.returncode == 0, r.stderr
    assert f"wrote {INPUT}" in r.stdout
    assert sha256(source) != digest
    assert listing(tmp_path) == {INPUT}  # no INPUT-harvest.xlsx, no temporary file
    assert sheet_values(source, "Lots") == lots_before
    assert sheet_values(source, "Prices") == prices_before
    assert sheet_values(source, "Profile") == profile_before
    harvest = sheet_values(source, "Harvest")
    sold = [row[0] for row in harvest[1:] if row[0] is not None]
    assert len(sold) > 5 and set(sold) <= {row[0] for row in lots_before[1:]}
    wb = openpyxl.load_workbook(source)
    assert "Lots" in wb["Lots"].tables and "Harvest" in wb["Harvest"].tables

    # A second run in place reads its own output as input, and is stable.
    again = run_fill(INPUT, "--in-place", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert sheet_values(source, "Harvest") == harvest
    assert sheet_values(source, "Lots") == lots_before


def test_in_place_and_output_together_are_refused(sample: Path, tmp_path: Path) -> None:
    source = tmp_path / INPUT
    source.write_bytes(sample.read_bytes())
    before, digest = listing(tmp_path), sha256(source)

    r = run_fill(INPUT, "--in-place", "-o", "other.xlsx", cwd=tmp_path)

    assert r.returncode == 2
    assert "not allowed with" in r.stderr and "Traceback" not in r.stderr
    assert sha256(source) == digest and listing(tmp_path) == before


def test_output_into_a_missing_folder_is_refused(sample: Path, tmp_path: Path) -> None:
    source = tmp_path / INPUT
    source.write_bytes(sample.read_bytes())
    before, digest = listing(tmp_path), sha256(source)

    r = run_fill(INPUT, "-o", "nowhere/plan.xlsx", cwd=tmp_path)

    assert_refused(r, "nowhere", ("no such folder",), tmp_path, before, source, digest)


# --- found while writing these tests, and fixed --------------------------------------------


def test_duplicate_lot_id_names_the_other_cell(sample: Path, tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(sample)
    place = duplicate_lot_id(wb)
    first = f"Lots!A{lot_row(wb['Lots'], 'L03')}"
    source = tmp_path / INPUT
    wb.save(source)

    r = run_fill(INPUT, cwd=tmp_path)

    assert r.returncode == 2 and r.stderr.startswith(f"tlh-xl: error: {place}: ")
    assert first in r.stderr or f"row {lot_row(wb['Lots'], 'L03')}" in r.stderr, r.stderr


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--year", "2031"),
        ("--as-of", "2027-01-05"),
    ],
    ids=["year_without_rules", "as_of_after_deadline"],
)
def test_bad_command_line_override_names_the_option(
    option: str, value: str, sample: Path, tmp_path: Path
) -> None:
    source = tmp_path / INPUT
    source.write_bytes(sample.read_bytes())
    before, digest = listing(tmp_path), sha256(source)

    r = run_fill(INPUT, option, value, cwd=tmp_path)

    assert r.returncode == 2, r.stderr
    assert r.stdout == "" and len(r.stderr.splitlines()) == 1, r.stderr
    assert sha256(source) == digest and listing(tmp_path) == before
    # The bad value came from the command line: the message must say so, not blame a
    # Profile cell that holds a good value.
    assert option in r.stderr and "Profile!" not in r.stderr, r.stderr


def test_output_onto_an_existing_folder_is_bad_input(sample: Path, tmp_path: Path) -> None:
    source = tmp_path / INPUT
    source.write_bytes(sample.read_bytes())
    (tmp_path / "plans").mkdir()
    before, digest = listing(tmp_path), sha256(source)

    r = run_fill(INPUT, "-o", "plans", cwd=tmp_path)

    assert_refused(r, "plans", (), tmp_path, before, source, digest)
    assert listing(tmp_path / "plans") == set()


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_in_place_keeps_the_file_permissions(sample: Path, tmp_path: Path) -> None:
    source = tmp_path / INPUT
    source.write_bytes(sample.read_bytes())
    source.chmod(0o644)

    r = run_fill(INPUT, "--in-place", cwd=tmp_path, umask=0o022)

    assert r.returncode == 0, r.stderr
    assert stat.S_IMODE(source.stat().st_mode) == 0o644


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_new_output_honours_the_umask(sample: Path, tmp_path: Path) -> None:
    source = tmp_path / INPUT
    source.write_bytes(sample.read_bytes())

    r = run_fill(INPUT, "-o", "plan.xlsx", cwd=tmp_path, umask=0o022)

    assert r.returncode == 0, r.stderr
    assert stat.S_IMODE((tmp_path / "plan.xlsx").stat().st_mode) == 0o644
