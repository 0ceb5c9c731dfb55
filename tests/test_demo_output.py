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
