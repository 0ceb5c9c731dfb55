"""The filled demo workbook recalculated in a real spreadsheet (headless LibreOffice)."""

from __future__ import annotations

from decimal import Decimal

import openpyxl
import pytest

from tlh_xl.workbook.fill import fill_workbook
from tlh_xl.workbook.sample import build_sample_workbook
from tlh_xl.workbook.sheets import CHECKS

from .libreoffice import SOFFICE, error_cells, recalculate, render

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        SOFFICE is None,
        reason="LibreOffice (soffice) is not installed; .ci/run installs libreoffice-calc-nogui",
    ),
]


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("lo")
    source = tmp / "sample.xlsx"
    build_sample_workbook(source)
    result = fill_workbook(source, tmp / "demo.xlsx", progress=False)
    return tmp, result


def _money(value: object) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def test_every_formula_computes_and_the_checks_equal_the_engine(filled) -> None:
    tmp, result = filled
    calculated = recalculate(result.output, tmp)
    assert error_cells(calculated) == []
    wb = openpyxl.load_workbook(calculated, data_only=True)
    ws = wb["Summary"]
    checks = {
        ws.cell(row=r, column=4).value: ws.cell(row=r, column=5).value
        for r in range(4, 4 + len(CHECKS))
    }
    s = result.plan.summary
    sales = result.plan.sale_records
    assert None not in checks.values(), checks
    assert checks["Sales"] == len(sales)
    assert _money(checks["Proceeds"]) == sum(x.proceeds for x in sales)
    assert _money(checks["Gain/loss realized"]) == sum(x.gain_loss for x in sales)
    assert _money(checks["Fees (equals Trading costs)"]) == s.trading_costs
    assert _money(checks["Short-term loss (equals harvested)"]) == s.loss_harvested_short_term
    assert _money(checks["Long-term loss (equals harvested)"]) == s.loss_harvested_long_term
    assert _money(checks["Tax saved = without − with"]) == s.tax_saved
    assert _money(checks["Tax saved = federal + state"]) == s.tax_saved
    assert _money(checks["Net benefit = saved − costs + carried × value"]) == s.net_benefit
    assert checks["Days left (deadline − planned sale date)"] == s.days_to_deadline
    # The chart data block reads the named cells.
    assert _money(ws["H4"].value) == s.tax_without_harvest
    assert _money(ws["H5"].value) == s.tax_with_harvest


def test_renders(filled) -> None:
    tmp, result = filled
    picture = render(result.output, tmp)
    assert picture.exists() and picture.stat().st_size > 1000
