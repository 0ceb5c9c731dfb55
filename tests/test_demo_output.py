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
