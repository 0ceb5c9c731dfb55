"""What `tlh-xl demo` prints: its figures and sales are the plan's, in the words users read."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tlh_xl.cli import main
from tlh_xl.money import format_usd
from tlh_xl.workbook.fill import fill_workbook
from tlh_xl.workbook.sample import build_sample_workbook


def test_demo_prints_the_plan_of_the_sample(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "-o", str(tmp_path / "demo.xlsx")]) == 0
    out = capsys.readouterr().out
    build_sample_workbook(tmp_path / "sample.xlsx")
    plan = fill_workbook(tmp_path / "sample.xlsx", tmp_path / "again.xlsx", progress=False).plan
    assert format_usd(plan.summary.tax_saved) in out
    rows = [line.split() for line in out.splitlines() if re.match(r"  L\d", line)]
    by_id = {s.lot_id: s for s in plan.sale_records}
    assert rows
    for row in rows:
        sale = by_id[row[0]]
        assert format_usd(sale.gain_loss) in row
        assert ("Long-term" if sale.term == "long" else "Short-term") in row


def test_the_headline_is_tax_saved_this_year_and_the_carryforward_stands_apart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Tax actually saved comes first; the carryforward's assumed value is its own line,
    with the rate used, and the net benefit adds the three up. Checked on the workbook's
    Summary too: its first two figures are the same two."""
    import openpyxl

    from tlh_xl.workbook.contract import SUMMARY_FIELDS

    assert main(["demo", "-o", str(tmp_path / "demo.xlsx")]) == 0
    lines = [line.strip() for line in capsys.readouterr().out.splitlines() if line.strip()]
    first = next(i for i, line in enumerate(lines) if line.startswith("Tax "))
    build_sample_workbook(tmp_path / "sample.xlsx")
    s = fill_workbook(
        tmp_path / "sample.xlsx", tmp_path / "again.xlsx", progress=False
    ).plan.summary
    assert lines[first].startswith("Tax saved this year") and lines[first].endswith(
        format_usd(s.tax_saved)
    )
    carried = lines[first + 2]
    assert f"valued at {s.carryforward_value * 100:.1f}%" in carried
    assert carried.endswith(format_usd(s.carryforward_benefit))
    assert s.net_benefit == s.tax_saved - s.trading_costs + s.carryforward_benefit
    assert [f.name for f in SUMMARY_FIELDS[:5]] == [
        "TaxSaved",
        "TradingCosts",
        "CarryforwardBenefit",
        "CarryforwardValueUsed",
        "NetBenefit",
    ]
    ws = openpyxl.load_workbook(tmp_path / "again.xlsx")["Summary"]
    assert ws["A4"].value == "Tax saved this year" and ws["B4"].value == float(s.tax_saved)


def test_the_ledger_demo_builds_the_lots_then_plans(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`tlh-xl demo --ledger`: the sample transactions in a workbook whose Lots table is
    empty; the fill builds the lots and the realized figures. Worked by hand.

    The Wallets table lists Ledger first, so at the start of 2025 the pooled BTC lots
    (FIFO, oldest first) fill Ledger's 0.4999 BTC from CB-2023-0109 and Coinbase gets the
    rest: 0.1001 of CB-2023-0109 and CB-2024-0312's 0.3. The 2026 disposals are all
    long-term:
    * 0.2 BTC sold from Coinbase for $19,400 − $40 fee = $19,360, FIFO across two lots:
      0.1 of CB-2023-0109 (0.6 BTC for $10,240: basis $1,706.67) and 0.1 of CB-2024-0312
      (0.3 BTC for $21,660: basis $7,220.00); $9,680 of proceeds each, gains $7,973.33
      and $2,460.00;
    * 1 ETH traded for SOL at $2,700 − $5 fee = $2,695, basis a fifth of $9,325 = $1,865:
      a gain of $830.00.
    Realized long-term: 7,973.33 + 2,460.00 + 830.00 = $11,263.33, which the plan uses
    since the Profile leaves the realized figures blank.
    """
    import openpyxl

    out_path = tmp_path / "ledger-demo.xlsx"
    assert main(["demo", "--ledger", "-o", str(out_path)]) == 0
    out = capsys.readouterr().out
    assert "read 9 transactions from Transactions (7 open lots" in out
    assert "3 disposals in 2026: short-term $0.00, long-term $11,263.33" in out
    assert "$145.00 of income in 2026" in out and "America/New_York" in out
    wb = openpyxl.load_workbook(out_path)
    assert wb["Realized"].max_row == 4  # the header and three disposals
    assert sum(r[10].value for r in wb["Realized"].iter_rows(min_row=2)) == 11263.33
    ((sheet, coord),) = wb.defined_names["RealizedLongTerm"].destinations
    assert wb[sheet][coord.replace("$", "")].value is None  # the user's input, untouched
    ((sheet, coord),) = wb.defined_names["RealizedFrom"].destinations
    assert "long-term $11,263.33" in wb[sheet][coord.replace("$", "")].value
    lot_ids = {row[0].value for row in wb["Positions"].iter_rows(min_row=2) if row[0].value}
    assert "KR-2024-1120" in lot_ids and len(lot_ids) == 7
    assert wb["Lots"].max_row <= 2 and wb["Lots"]["A2"].value is None  # Lots stays empty
    assert "KR-2024-1120" in out  # the SOL bought in 2024, now at a loss, is sold
