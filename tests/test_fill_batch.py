"""``tlh-xl fill FILE...`` and ``tlh-xl fill --dir FOLDER``: many clients at once.

Every client is a copy of the sample workbook (40 lots), some with another income so
that their figures differ, one with a defect. The batch runs in worker processes; the
command is run in this process (``main``) where its output is read, and in a subprocess
where a signal is sent to it.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from tlh_xl.cli import main
from tlh_xl.workbook.batch import (
    SUMMARY_HEADERS,
    Client,
    ClientResult,
    FillOptions,
    discover,
    fill_client,
    plan_clients,
    run_batch,
)
from tlh_xl.workbook.fill import fill_workbook
from tlh_xl.workbook.sample import build_sample_workbook

FIGURES = ("TaxWithoutHarvest", "TaxWithHarvest", "TaxSaved", "TradingCosts", "NetBenefit")


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sample") / "sample.xlsx"
    build_sample_workbook(path)
    return path


def client_book(sample: Path, path: Path, income: int | None = None, defect: bool = False) -> Path:
    """A copy of the sample; ``income`` replaces OrdinaryIncome; ``defect`` puts text in
    lot L03's Quantity (the error names that cell)."""
    if income is None and not defect:
        path.write_bytes(sample.read_bytes())
        return path
    wb = openpyxl.load_workbook(sample)
    if income is not None:
        ((sheet, ref),) = wb.defined_names["OrdinaryIncome"].destinations
        wb[sheet][ref.replace("$", "")].value = income
    if defect:
        ws = wb["Lots"]
        col = next(c.column for c in ws[1] if c.value == "Quantity")
        row = next(c.row for (c,) in ws.iter_rows(min_row=2, max_col=1) if c.value == "L03")
        ws.cell(row=row, column=col).value = "lots"
    wb.save(path)
    return path


def summary_of(path: Path) -> dict[str, Any]:
    """The output's Summary figures, read through their defined names."""
    wb = openpyxl.load_workbook(path)
    out = {}
    for name in (*FIGURES, "Deadline"):
        ((sheet, ref),) = wb.defined_names[name].destinations
        out[name] = wb[sheet][ref.replace("$", "")].value
    return out


def temporary_files(*folders: Path) -> list[str]:
    return [p.name for f in folders for p in f.iterdir() if p.name.startswith(".~tlh-")]


def test_several_clients_are_filled_next_to_their_inputs_as_single_fills_are(
    sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    books = [
        client_book(sample, tmp_path / "alice.xlsx"),
        client_book(sample, tmp_path / "bob.xlsx", income=180_000),
        client_book(sample, tmp_path / "carol.xlsx", income=900_000),
    ]
    code = main(["fill", *map(str, books), "--jobs", "2"])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert out.err == ""
    for book in books:
        batch = summary_of(tmp_path / f"{book.stem}-harvest.xlsx")
        single = fill_workbook(book, tmp_path / f"single-{book.name}", progress=False)
        assert batch == summary_of(single.output)
        s = single.plan.summary
        assert batch["TaxSaved"] == pytest.approx(float(s.tax_saved))
        # The table's line for the client shows the same figures, to the cent.
        line = next(x for x in out.out.splitlines() if x.split()[0].endswith(book.name))
        assert f"${s.tax_saved:,.2f}" in line and f"${s.trading_costs:,.2f}" in line
        assert line.endswith("filled") and str(s.deadline) in line
    savings = {summary_of(tmp_path / f"{b.stem}-harvest.xlsx")["TaxSaved"] for b in books}
    assert len(savings) == 3  # three different clients, three different plans
    assert "3 workbooks: 3 filled" in out.out
    assert temporary_files(tmp_path) == []


def test_out_dir_takes_every_output(sample: Path, tmp_path: Path, capsys: Any) -> None:
    (tmp_path / "in").mkdir()
    books = [client_book(sample, tmp_path / "in" / f"{n}.xlsx") for n in ("a", "b")]
    code = main(["fill", *map(str, books), "--out-dir", str(tmp_path / "done")])
    assert code == 0, capsys.readouterr().err
    assert sorted(p.name for p in (tmp_path / "done").iterdir()) == [
        "a-harvest.xlsx",
        "b-harvest.xlsx",
    ]
    assert sorted(p.name for p in (tmp_path / "in").iterdir()) == ["a.xlsx", "b.xlsx"]
    assert summary_of(tmp_path / "done" / "a-harvest.xlsx")["TaxSaved"] > 0


def test_a_client_with_a_defect_is_listed_and_the_others_are_filled(
    sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = client_book(sample, tmp_path / "good.xlsx")
    bad = client_book(sample, tmp_path / "bad.xlsx", defect=True)
    last = client_book(sample, tmp_path / "last.xlsx", income=300_000)
    missing = tmp_path / "gone.xlsx"
    code = main(["fill", str(good), str(bad), str(missing), str(last)])
    out = capsys.readouterr()
    assert code == 2
    assert (tmp_path / "good-harvest.xlsx").is_file() and (tmp_path / "last-harvest.xlsx").is_file()
    assert not (tmp_path / "bad-harvest.xlsx").exists()
    errors = out.err.splitlines()
    assert len(errors) == 2 and "Traceback" not in out.err
    # FILE: the one-line error, which names the cell (lot L03's Quantity).
    assert errors[0].startswith(f"tlh-xl: error: {bad}: Lots!F")
    assert "Quantity" in errors[0] and "'lots'" in errors[0]
    assert errors[1] == f"tlh-xl: error: {missing}: no such file"  # not named twice
    table = out.out.splitlines()
    assert table[0].split() == [
        "Client",
        "Tax",
        "without",
        "Tax",
        "with",
        "Saved",
        "Trading",
        "costs",
        "Deadline",
        "Status",
    ]
    bad_line = next(x for x in table if x.split()[0].endswith(bad.name))
    assert "failed: Lots!F" in bad_line
    assert "4 workbooks: 2 filled" in out.out and "2 failed" in out.out
    assert temporary_files(tmp_path) == []


def test_an_unexpected_error_is_that_clients_result_with_its_type(
    sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tlh_xl.workbook.batch as batch

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ZeroDivisionError("division by zero\nsecond line")

    monkeypatch.setattr(batch, "fill_workbook", broken)
    client = Client(tmp_path / "a.xlsx", tmp_path / "a-harvest.xlsx")
    result = fill_client(client, FillOptions())
    assert not result.ok
    assert result.error.startswith("unexpected error (ZeroDivisionError: division by zero)")
    assert "\n" not in result.error and "Traceback" in result.debug


def raising_work(client: Client, options: FillOptions) -> ClientResult:
    """A worker's function that fails outside ``fill_client``'s own net for one client,
    and ends its worker process for another."""
    if client.source.name == "raises.xlsx":
        raise RuntimeError("not caught in the worker")
    if client.source.name == "dies.xlsx":
        os._exit(3)
    time.sleep(0.05)
    return ClientResult(client, tax_saved=Decimal("1.00"))


def test_a_worker_that_raises_or_dies_fails_only_its_client(tmp_path: Path) -> None:
    names = ["a.xlsx", "raises.xlsx", "b.xlsx", "dies.xlsx", "c.xlsx", "d.xlsx"]
    clients = plan_clients([tmp_path / n for n in names])
    seen: list[int] = []
    results = run_batch(
        clients, jobs=2, work=raising_work, on_done=lambda done, total, r: seen.append(done)
    )
    assert [r.client for r in results] == clients
    by_name = {r.client.source.name: r for r in results}
    assert by_name["raises.xlsx"].error.startswith(
        "unexpected error (RuntimeError: not caught in the worker)"
    )
    assert "ended abruptly" in by_name["dies.xlsx"].error
    assert all(by_name[n].ok for n in ("a.xlsx", "b.xlsx", "c.xlsx", "d.xlsx"))
    assert seen == list(range(1, 7))


def test_dir_fills_the_folders_workbooks_and_skips_outputs_and_temporary_files(
    sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "clients"
    (folder / "sub").mkdir(parents=True)
    client_book(sample, folder / "b.xlsx")
    client_book(sample, folder / "a.XLSX")
    client_book(sample, folder / "sub" / "deeper.xlsx")  # not recursed into
    for junk in (
        "a-harvest.xlsx",  # an earlier run's output
        "old-harvest.xlsm",
        ".~tlh-k2j4.xlsx",  # a temporary file of a fill
        "~$b.xlsx",  # Excel's lock file while b.xlsx is open
        ".hidden.xlsx",
        "notes.txt",
        "prices.csv",
    ):
        (folder / junk).write_text("not a workbook", encoding="utf-8")
    assert [p.name for p in discover(folder)] == ["a.XLSX", "b.xlsx"]

    code = main(["fill", "--dir", str(folder), "--summary", str(folder / "summary.xlsx")])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert (folder / "b-harvest.xlsx").is_file() and (folder / "a-harvest.XLSX").is_file()
    assert not (folder / "sub" / "deeper-harvest.xlsx").exists()
    assert (folder / "~$b.xlsx").read_text(encoding="utf-8") == "not a workbook"
    # Run again: the outputs and the summary of the first run are not clients.
    assert main(["fill", "--dir", str(folder), "--summary", str(folder / "summary.xlsx")]) == 0
    assert "2 workbooks: 2 filled" in capsys.readouterr().out


def test_dir_without_workbooks_and_a_missing_dir_are_one_line_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "x-harvest.xlsx").write_text("an output", encoding="utf-8")
    assert main(["fill", "--dir", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (
        f"tlh-xl: error: {tmp_path}: no workbooks to fill (.xlsx or .xlsm, other than "
        "tlh-xl's own *-harvest outputs)\n"
    )
    assert main(["fill", "--dir", str(tmp_path / "nope")]) == 2
    assert capsys.readouterr().err == f"tlh-xl: error: {tmp_path / 'nope'}: no such folder\n"


def test_summary_csv_and_workbook(
    sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    monkeypatch.chdir(tmp_path)  # the clients named as given: "=cmd.xlsx", not a full path
    cmd = client_book(sample, Path("=cmd.xlsx"))  # a name that starts like a formula
    rich = client_book(sample, Path("+rich.xlsx"), income=900_000)
    bad = client_book(sample, Path("bad.xlsx"), defect=True)
    csv_path, xlsx_path = Path("summary.csv"), Path("summary.xlsx")
    code = main(
        ["fill", str(cmd), str(rich), str(bad)]
        + ["--summary", str(csv_path), "--summary", str(xlsx_path)]
    )
    out = capsys.readouterr()
    assert code == 2
    assert f"wrote {csv_path}" in out.out and f"wrote {xlsx_path}" in out.out
    expected = {}
    for book in (cmd, rich):
        s = fill_workbook(book, Path(f"single-{book.stem[1:]}.xlsx"), progress=False)
        expected[str(book)] = s.plan.summary

    with csv_path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert tuple(rows[0]) == SUMMARY_HEADERS
    assert [r[0] for r in rows[1:]] == [f"'{cmd}", f"'{rich}", str(bad)]  # never a formula
    for row, book in zip(rows[1:3], (cmd, rich)):
        s = expected[str(book)]
        record = dict(zip(SUMMARY_HEADERS, row))
        assert record["Status"] == "filled" and record["Error"] == ""
        assert record["Tax Without Harvest"] == f"{s.tax_without_harvest:.2f}"
        assert record["Tax With Harvest"] == f"{s.tax_with_harvest:.2f}"
        assert record["Tax Saved"] == f"{s.tax_saved:.2f}"
        assert record["Trading Costs"] == f"{s.trading_costs:.2f}"
        assert record["Net Benefit"] == f"{s.net_benefit:.2f}"
        assert record["Deadline"] == str(s.deadline)
        assert record["Output"] == f"'{book.stem}-harvest.xlsx"
    failed = dict(zip(SUMMARY_HEADERS, rows[3]))
    assert failed["Status"] == "failed" and failed["Tax Saved"] == ""
    assert failed["Error"].startswith("Lots!F") and "'lots'" in failed["Error"]

    wb = openpyxl.load_workbook(xlsx_path)
    assert wb.sheetnames == ["Clients"]
    ws = wb["Clients"]
    assert list(ws.tables) == ["Clients"] and ws.tables["Clients"].ref == "A1:K4"
    assert tuple(c.value for c in ws[1]) == SUMMARY_HEADERS
    values = [[c for c in row] for row in ws.iter_rows(min_row=2)]
    assert values[0][0].value == str(cmd) and values[0][0].data_type == "s"
    assert values[1][0].value == str(rich)
    for row, book in zip(values[:2], (cmd, rich)):
        s = expected[str(book)]
        record = dict(zip(SUMMARY_HEADERS, row))
        assert Decimal(str(record["Tax Saved"].value)) == s.tax_saved
        assert Decimal(str(record["Trading Costs"].value)) == s.trading_costs
        assert "$" in record["Tax Saved"].number_format
        assert record["Deadline"].value == dt.datetime.combine(s.deadline, dt.time())
        assert record["Days To Deadline"].value == s.days_to_deadline
    failed_row = dict(zip(SUMMARY_HEADERS, values[2]))
    assert failed_row["Status"].value == "failed" and failed_row["Tax Saved"].value is None
    assert "'lots'" in failed_row["Error"].value
    assert not any(c.data_type == "f" for row in values for c in row)
    assert temporary_files(tmp_path) == []
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".summary.csv.")]


@pytest.mark.parametrize(
    ("flag", "named"),
    [
        (["-o", "out.xlsx"], "-o/--output"),
        (["--in-place"], "--in-place"),
        (["--lots", "lots.csv"], "--lots"),
        (["--prices", "prices.csv"], "--prices"),
    ],
)
def test_one_workbook_options_are_refused_with_several(
    flag: list[str], named: str, sample: Path, tmp_path: Path, capsys: Any
) -> None:
    books = [client_book(sample, tmp_path / f"{n}.xlsx") for n in ("a", "b")]
    before = sorted(p.name for p in tmp_path.iterdir())
    assert main(["fill", *map(str, books), *flag]) == 2
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err.count("\n") == 1 and out.err.startswith(f"tlh-xl: error: {named} applies")
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_clients_that_would_write_the_same_output_are_refused(tmp_path: Path) -> None:
    from tlh_xl.errors import WorkbookError

    with pytest.raises(WorkbookError, match="would be written for both"):
        plan_clients([tmp_path / "x" / "a.xlsx", tmp_path / "y" / "a.xlsx"], tmp_path / "out")
    with pytest.raises(WorkbookError, match="given twice"):
        plan_clients([tmp_path / "a.xlsx", tmp_path / "." / "a.xlsx"])
    with pytest.raises(WorkbookError, match="is an input of this batch"):
        plan_clients([tmp_path / "a.xlsx", tmp_path / "a-harvest.xlsx"])


def test_the_progress_bar_is_drawn_on_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    from tlh_xl.cli.workbook_cmd import _BatchProgress

    bar = _BatchProgress(True)
    bar.start(2, 2)
    result = ClientResult(Client(Path("x/a.xlsx"), Path("x/a-harvest.xlsx")))
    bar.step(1, 2, result)
    bar.step(2, 2, result)
    err = capsys.readouterr().err
    assert err.startswith("\r[........................] 0/2 workbooks, 2 workers")
    assert "\r[############............] 1/2 a.xlsx" in err
    assert err.endswith("\n") and err.count("\n") == 1
    _BatchProgress(False).start(2, 2)
    assert capsys.readouterr().err == ""


# --- an interrupted batch ------------------------------------------------------------------

# The first client saves at once; every other one sleeps in the middle of writing its
# output (its temporary file on disk) until it is stopped. Forked workers inherit the patch.
SLOW_BATCH = """
import multiprocessing, sys, time
multiprocessing.set_start_method("fork", force=True)
from tlh_xl.workbook import fill, writer
real_rows, real_atomic, target = writer.save_with_fast_rows, fill.save_atomic, []
def save_atomic(wb, path, carry=None):
    target.append(path)
    real_atomic(wb, path, carry)
def slow_rows(wb, path, carry=None):
    real_rows(wb, path, carry)
    if target[-1].name != "c0-harvest.xlsx":
        time.sleep(60)
fill.save_atomic, writer.save_with_fast_rows = save_atomic, slow_rows
from tlh_xl.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and fork")
@pytest.mark.parametrize("sent", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_batch_leaves_complete_outputs_and_no_partial_file(
    sent: signal.Signals, sample: Path, tmp_path: Path
) -> None:
    names = [f"c{i}.xlsx" for i in range(5)]
    for name in names:
        client_book(sample, tmp_path / name)
    env = {k: v for k, v in os.environ.items() if k not in ("TLH_RULES_DIR", "TLH_DEBUG")}
    with subprocess.Popen(
        [sys.executable, "-c", SLOW_BATCH, "fill", *names, "--jobs", "2"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    ) as child:
        try:
            deadline = time.monotonic() + 60
            while not (
                (tmp_path / "c0-harvest.xlsx").exists() and len(temporary_files(tmp_path)) == 2
            ):
                assert child.poll() is None and time.monotonic() < deadline, child.stderr
                time.sleep(0.05)
            child.send_signal(sent)
            _, err = child.communicate(timeout=30)
        finally:
            child.kill()
    assert child.returncode == (-signal.SIGTERM if sent == signal.SIGTERM else 1), err
    assert err.splitlines()[-1] == (
        "tlh-xl: interrupted: 1 of 5 workbooks filled (each output complete), 4 not written"
    )
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert temporary_files(tmp_path) == []  # the workers ended, removing theirs
    outputs = sorted(p.name for p in tmp_path.iterdir() if "-harvest" in p.name)
    assert outputs == ["c0-harvest.xlsx"]
    for name in outputs:
        assert summary_of(tmp_path / name)["TaxSaved"] > 0  # complete: it reopens
