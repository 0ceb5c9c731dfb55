"""Regular income tax: the rate schedules and the two capital-gain worksheets.

* ``schedule_tax`` applies the Tax Rate Schedules exactly. We never use the IRS Tax
  Table, which taxes income under $100,000 at the midpoint of $50 bands; the schedules
  give the exact figure the table approximates.
* ``qdcg_worksheet`` is the Qualified Dividends and Capital Gain Tax Worksheet
  (Form 1040 instructions), used when there is no 28% rate gain.
* ``schedule_d_worksheet`` is the Schedule D Tax Worksheet (Schedule D instructions,
  47 lines as numbered in 2025), used when there is 28% rate gain (collectibles). It
  taxes 28% rate gain at ordinary rates up to the top of the 24% bracket (line 19,
  ``taxed_below_25_percent``) and at 28% above it. Investment interest (Form 4952) and
  unrecaptured §1250 gain are not modelled, so their lines are zero.

Variables are named after worksheet lines so the code can be checked against the forms.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from decimal import Decimal
from functools import lru_cache
from typing import NamedTuple

from ..money import ZERO

__all__ = [
    "WorksheetTax",
    "qdcg_worksheet",
    "schedule_d_worksheet",
    "schedule_income",
    "schedule_tax",
    "taxed_below_25_percent",
]

_TWENTY_FIVE_PERCENT = Decimal("0.25")


class WorksheetTax(NamedTuple):
    """A worksheet's two candidates; the tax is the smaller (its last line)."""

    stacked: Decimal  # QDCG line 23 / Schedule D line 45: preferential rates stacked on top
    all_ordinary: Decimal  # QDCG line 24 / Schedule D line 46: the schedule on all income

    @property
    def tax(self) -> Decimal:
        return min(self.stacked, self.all_ordinary)


def schedule_tax(
    income: Decimal, rates: Sequence[Decimal], thresholds: Sequence[Decimal]
) -> Decimal:
    """Tax on ``income`` by a rate schedule (each rate applies from its threshold up)."""
    if income <= 0:
        return ZERO
    starts, below = _schedule(tuple(rates), tuple(thresholds))
    i = bisect_left(starts, income) - 1  # the bracket ``income`` reaches into
    return below[i] + (income - starts[i]) * rates[i] if i >= 0 else ZERO


def schedule_income(
    tax: Decimal, rates: Sequence[Decimal], thresholds: Sequence[Decimal]
) -> Decimal | None:
    """The income on which the schedule's tax is ``tax`` (the inverse of
    ``schedule_tax``), or None if no income is taxed that much. A state's credit stops
    lowering the tax where the tax reaches the credit: that income is a bend."""
    if tax <= 0:
        return None
    starts, below = _schedule(tuple(rates), tuple(thresholds))
    i = bisect_left(below, tax) - 1  # the bracket whose tax range holds ``tax``
    if i < 0 or rates[i] <= 0:
        return None
    return starts[i] + (tax - below[i]) / rates[i]


@lru_cache(maxsize=64)
def _schedule(
    rates: tuple[Decimal, ...], thresholds: tuple[Decimal, ...]
) -> tuple[tuple[Decimal, ...], tuple[Decimal, ...]]:
    """The brackets' starts, and the tax on all income below each start: the worksheets
    run thousands of times per plan, so the full brackets are summed once."""
    below = [ZERO]
    for i in range(1, len(rates)):
        below.append(below[-1] + (thresholds[i] - thresholds[i - 1]) * rates[i - 1])
    return thresholds[: len(rates)], tuple(below)


def qdcg_worksheet(
    taxable_income: Decimal,
    qualified_dividends: Decimal,
    net_capital_gain: Decimal,
    cg_rates: Sequence[Decimal],
    cg_thresholds: Sequence[Decimal],
    rates: Sequence[Decimal],
    thresholds: Sequence[Decimal],
) -> WorksheetTax:
    """Qualified Dividends and Capital Gain Tax Worksheet, lines 1–25."""
    zero_rate, mid_rate, top_rate = cg_rates
    line1 = taxable_income
    line2 = qualified_dividends
    line3 = net_capital_gain  # smaller of Schedule D line 15 or 16, if both are gains
    line4 = line2 + line3
    line5 = max(ZERO, line1 - line4)  # ordinary part of taxable income
    line6 = cg_thresholds[1]  # maximum zero rate amount
    line7 = min(line1, line6)
    line8 = min(line5, line7)
    line9 = line7 - line8  # taxed at 0%
    line10 = min(line1, line4)
    line11 = line9
    line12 = line10 - line11
    line13 = cg_thresholds[2]  # maximum 15% rate amount
    line14 = min(line1, line13)
    line15 = line5 + line9
    line16 = max(ZERO, line14 - line15)
    line17 = min(line12, line16)
    line18 = line17 * mid_rate
    line19 = line9 + line17
    line20 = line10 - line19
    line21 = line20 * top_rate
    line22 = schedule_tax(line5, rates, thresholds)
    line23 = line9 * zero_rate + line18 + line21 + line22
    line24 = schedule_tax(line1, rates, thresholds)
    return WorksheetTax(line23, line24)  # line 25 is the smaller


def taxed_below_25_percent(
    rates: Sequence[Decimal], thresholds: Sequence[Decimal]
) -> Decimal | None:
    """Taxable income taxed below 25% by the rate schedule: the threshold where the
    first rate of 25% or more starts (the top of the 24% bracket since 2018), or None
    if no rate reaches 25%.

    IRC §1(h)(1)(A)(ii)(I): 28% rate gain is taxed at ordinary rates up to this amount.
    §1(j)(5)(A) substitutes the capital-gain breakpoints only in §1(h)(1)(B)(i) and
    (C)(ii)(I), not here. The Schedule D Tax Worksheet prints it on line 19 ($197,300
    single, MFS and HoH; $394,600 MFJ and QSS for 2025).
    """
    for rate, threshold in zip(rates, thresholds):
        if rate >= _TWENTY_FIVE_PERCENT:
            return threshold
    return None


def schedule_d_worksheet(
    taxable_income: Decimal,
    qualified_dividends: Decimal,
    net_capital_gain: Decimal,
    rate_28_gain: Decimal,
    cg_rates: Sequence[Decimal],
    cg_thresholds: Sequence[Decimal],
    collectibles_rate: Decimal,
    rates: Sequence[Decimal],
    thresholds: Sequence[Decimal],
) -> WorksheetTax:
    """Schedule D Tax Worksheet, lines 1–47 as numbered in 2025 (no Form 4952, no
    unrecaptured §1250 gain)."""
    zero_rate, mid_rate, top_rate = cg_rates
    line1 = taxable_income
    line2 = qualified_dividends
    # Lines 3–5 (Form 4952 lines 4g and 4e) are zero: no investment interest election.
    line6 = line2  # line 2 less line 5 (zero)
    line7 = net_capital_gain  # smaller of Schedule D line 15 or 16
    line9 = line7  # line 8 (smaller of lines 3 and 4) is zero
    line10 = line6 + line9
    line11 = rate_28_gain  # Schedule D line 18 + line 19 (unrecaptured §1250 gain, zero)
    line12 = min(line9, line11)
    line13 = line10 - line12  # adjusted net capital gain, §1(h)(3)
    line14 = max(ZERO, line1 - line13)
    line15 = cg_thresholds[1]  # maximum zero rate amount (§1(j)(5)(B)(i))
    line16 = min(line1, line15)
    line17 = min(line14, line16)
    line18 = max(ZERO, line1 - line10)
    # Line 19: taxable income taxed below 25%, §1(h)(1)(A)(ii)(I), from the brackets.
    below_25 = taxed_below_25_percent(rates, thresholds)
    line19 = line1 if below_25 is None else min(line1, below_25)
    line20 = min(line14, line19)
    line21 = max(line18, line20)  # taxed at ordinary rates (line 44)
    line22 = line16 - line17  # taxed at 0%
    line31 = line34 = line43 = ZERO
    if line1 != line16:
        line23 = min(line1, line13)
        line24 = line22
        line25 = max(ZERO, line23 - line24)
        line26 = cg_thresholds[2]  # maximum 15% rate amount (§1(j)(5)(B)(ii))
        line27 = min(line1, line26)
        line28 = line21 + line22
        line29 = max(ZERO, line27 - line28)
        line30 = min(line25, line29)
        line31 = line30 * mid_rate
        line32 = line24 + line30
        if line1 != line32:
            line33 = line23 - line32
            line34 = line33 * top_rate
            # Lines 35–40 (unrecaptured §1250 gain at 25%) are skipped: Schedule D
            # line 19 is zero, so line 39 is zero and line 40 adds nothing.
            line39 = ZERO
            if rate_28_gain > 0:  # Schedule D line 18
                line41 = line21 + line22 + line30 + line33 + line39
                line42 = line1 - line41
                line43 = line42 * collectibles_rate
    line44 = schedule_tax(line21, rates, thresholds)
    line45 = line22 * zero_rate + line31 + line34 + line43 + line44  # line 40 is zero
    line46 = schedule_tax(line1, rates, thresholds)
    return WorksheetTax(line45, line46)  # line 47 is the smaller
