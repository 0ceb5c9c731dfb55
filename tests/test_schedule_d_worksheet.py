"""The Schedule D Tax Worksheet (2025 layout) against its printed amounts and IRC §1(h)(1).

28% rate gain is taxed at ordinary rates up to the amount of taxable income taxed below
25% (§1(h)(1)(A)(ii)(I), the worksheet's line 19), i.e. the top of the 24% bracket; the
0% and 15% capital-gain breakpoints replace the "below 25%" and "below 39.6%" amounts only
in §1(h)(1)(B)(i) and (C)(ii)(I) (§1(j)(5)(A)), the worksheet's lines 15 and 26.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tlh_xl import FILING_STATUSES, compute_tax, load_rules
from tlh_xl.filing_status import FilingStatus
from tlh_xl.tax import worksheets
from tlh_xl.tax.worksheets import WorksheetTax, schedule_d_worksheet, schedule_tax

RULES = {year: load_rules(year) for year in (2023, 2024, 2025, 2026)}
ZERO = Decimal(0)

# As printed in the 2025 Schedule D Tax Worksheet (i1040sd-2025, lines 15, 19 and 26).
LINE_15_2025 = {
    "single": Decimal(48_350),
    "married_separate": Decimal(48_350),
    "married_joint": Decimal(96_700),
    "qualifying_surviving_spouse": Decimal(96_700),
    "head_of_household": Decimal(64_750),
}
LINE_19_2025 = {
    "single": Decimal(197_300),
    "married_separate": Decimal(197_300),
    "married_joint": Decimal(394_600),
    "qualifying_surviving_spouse": Decimal(394_600),
    "head_of_household": Decimal(197_300),
}
LINE_26_2025 = {
    "single": Decimal(533_400),
    "married_separate": Decimal(300_000),
    "married_joint": Decimal(600_050),
    "qualifying_surviving_spouse": Decimal(600_050),
    "head_of_household": Decimal(566_700),
}


def _worksheet(
    year: int, status: FilingStatus
) -> Callable[[Decimal, Decimal, Decimal, Decimal], WorksheetTax]:
    """schedule_d_worksheet with the year's and status's rule-file figures bound."""
    rules = RULES[year]
    cg = rules.capital_gains
    ordinary = rules.ordinary_income

    def run(taxable: Decimal, qd: Decimal, gain: Decimal, rate_28: Decimal) -> WorksheetTax:
        return schedule_d_worksheet(
            taxable,
            qd,
            gain,
            rate_28,
            cg.rates,
            cg.thresholds.of(status),
            cg.collectibles_rate,
            ordinary.rates,
            ordinary.thresholds.of(status),
        )

    return run


def test_the_reported_figures() -> None:
    """The issue's two cases (worked line by line in tests/cases/us_federal_tax.yaml)."""
    rules = RULES[2025]
    mixed = compute_tax(
        rules,
        filing_status="single",
        ordinary_income=69_225,
        lt_gain=40_000,
        collectibles_gain=30_000,
    )
    assert mixed.regular_tax == Decimal("19278.50")  # was 21,078.50
    collectibles = compute_tax(
        rules, filing_status="single", ordinary_income=0, collectibles_gain=250_000
    )
    assert collectibles.regular_tax == Decimal("50545.00")  # was 52,023.00


@pytest.mark.parametrize("status", FILING_STATUSES)
def test_line_19_is_the_top_of_the_24_percent_bracket(status: FilingStatus) -> None:
    """Derived from the rule file's brackets, it is the 2025 worksheet's printed amount."""
    ordinary = RULES[2025].ordinary_income
    got = worksheets.taxed_below_25_percent(ordinary.rates, ordinary.thresholds.of(status))
    assert got == LINE_19_2025[status]


@pytest.mark.parametrize("status", FILING_STATUSES)
def test_lines_15_and_26_are_the_capital_gain_breakpoints(status: FilingStatus) -> None:
    cg = RULES[2025].capital_gains.thresholds.of(status)
    assert (cg[1], cg[2]) == (LINE_15_2025[status], LINE_26_2025[status])


@pytest.mark.parametrize("status", FILING_STATUSES)
def test_the_worksheet_bends_at_the_printed_amounts(status: FilingStatus) -> None:
    """Around each printed amount the stacked tax (line 45) changes slope as the law says.

    With 1,000 of 28% gain and the rest of taxable income other long-term gain, the
    other gain goes from 0% to 15% at line 15 and from 15% to 20% at line 26; with all of
    taxable income 28% gain, that gain goes from 24% to 28% at line 19.
    """
    run = _worksheet(2025, status)
    hundred, thousand = Decimal(100), Decimal(1_000)

    def mixed(t: Decimal) -> Decimal:
        return run(t, ZERO, t, thousand).stacked

    def collectibles(t: Decimal) -> Decimal:
        return run(t, ZERO, t, t).stacked

    for f, at, below, above in (
        (mixed, LINE_15_2025[status], Decimal(0), Decimal(15)),
        (mixed, LINE_26_2025[status], Decimal(15), Decimal(20)),
        (collectibles, LINE_19_2025[status], Decimal(24), Decimal(28)),
    ):
        assert f(at) - f(at - hundred) == below, (at, "below")
        assert f(at + hundred) - f(at) == above, (at, "above")


def test_line_19_without_a_rate_of_25_percent() -> None:
    rates = [Decimal("0.10"), Decimal("0.25")]
    assert worksheets.taxed_below_25_percent(rates, [ZERO, Decimal(1_000)]) == 1_000
    assert worksheets.taxed_below_25_percent([Decimal("0.30")], [ZERO]) == 0
    low = [Decimal("0.10"), Decimal("0.20")]
    thresholds = [ZERO, Decimal(50_000)]
    assert worksheets.taxed_below_25_percent(low, thresholds) is None
    # Then no income is taxed at 25% or more, so no 28% rate gain is taxed at 28%.
    t = Decimal(100_000)
    sheet = schedule_d_worksheet(
        t,
        ZERO,
        t,
        t,
        [ZERO, Decimal("0.15"), Decimal("0.20")],
        [ZERO, Decimal(40_000), Decimal(400_000)],
        Decimal("0.28"),
        low,
        thresholds,
    )
    assert sheet.stacked == sheet.all_ordinary == Decimal(15_000)


def _section_1h(
    year: int, status: FilingStatus, taxable: Decimal, qd: Decimal, gain: Decimal, rate_28: Decimal
) -> tuple[Decimal, Decimal]:
    """IRC §1(h)(1) read directly (no §1250 gain): (the sum of (A)-(F), the regular tax).

    Net capital gain includes qualified dividends (§1(h)(11)); adjusted net capital gain
    is the rest of it after 28% rate gain (§1(h)(3)). "Below 25%" is where the first rate
    of 25% or more starts; §1(j)(5)(A) puts the 0% and 15% breakpoints in (B)(i) and
    (C)(ii)(I). Differences that can go negative are read as "the excess (if any)".
    """
    rules = RULES[year]
    rates, brackets = rules.ordinary_income.rates, rules.ordinary_income.thresholds.of(status)
    cg = rules.capital_gains
    zero_top, fifteen_top = cg.thresholds.of(status)[1:]
    below_25 = next((b for r, b in zip(rates, brackets) if r >= Decimal("0.25")), None)
    net = qd + gain
    adjusted = qd + max(ZERO, gain - rate_28)
    rest = max(ZERO, taxable - adjusted)  # taxable income reduced by adjusted NCG
    a = max(ZERO, taxable - net, rest if below_25 is None else min(below_25, rest))
    available = min(adjusted, taxable)
    b = min(available, max(ZERO, zero_top - rest))
    c = min(max(ZERO, available - b), max(ZERO, fifteen_top - (a + b)))
    d = max(ZERO, available - b - c)
    f = max(ZERO, taxable - (a + b + c + d))
    mid, top = cg.rates[1], cg.rates[2]
    stacked = schedule_tax(a, rates, brackets) + mid * c + top * d + cg.collectibles_rate * f
    return stacked, schedule_tax(taxable, rates, brackets)


def amount(hi: int) -> st.SearchStrategy[Decimal]:
    return st.decimals(min_value=0, max_value=hi, places=2)


@settings(max_examples=500, deadline=None)
@given(
    st.sampled_from(sorted(RULES)),
    st.sampled_from(FILING_STATUSES),
    amount(1_500_000),
    st.one_of(st.just(ZERO), amount(300_000)),
    amount(1_000_000),
    amount(1_200_000),
)
def test_the_worksheet_is_section_1h(
    year: int, status: FilingStatus, taxable: Decimal, qd: Decimal, gain: Decimal, rate_28: Decimal
) -> None:
    """Lines 45 and 46 equal §1(h)(1)'s sum and the regular tax, for every year and status."""
    sheet = _worksheet(year, status)(taxable, qd, gain, rate_28)
    assert (sheet.stacked, sheet.all_ordinary) == _section_1h(
        year, status, taxable, qd, gain, rate_28
    )
