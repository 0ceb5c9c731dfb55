"""Schedule D netting, the §1211(b) loss limit and the Capital Loss Carryover Worksheet.

Line numbers refer to Schedule D (Form 1040) and the Capital Loss Carryover Worksheet in
its instructions. All arithmetic is exact ``Decimal``; nothing is rounded here.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ..money import ZERO

__all__ = ["Netting", "carryover_worksheet", "net_capital"]


@dataclass(frozen=True)
class Netting:
    net_short_term: Decimal  # Schedule D line 7 (after short-term carryover)
    net_long_term: Decimal  # Schedule D line 15 (after long-term carryover)
    combined: Decimal  # Schedule D line 16
    capital_income: Decimal  # Form 1040 line 7: the gain, or minus the allowed loss
    loss_deduction: Decimal  # Schedule D line 21, as a positive number
    net_capital_gain: Decimal  # smaller of lines 15 and 16 when both are gains
    rate_28_gain: Decimal  # Schedule D line 18 (28% Rate Gain Worksheet line 7)


def net_capital(
    st_gain: Decimal,
    lt_gain: Decimal,
    collectibles_gain: Decimal,
    st_carryforward: Decimal,
    lt_carryforward: Decimal,
    loss_limit: Decimal,
) -> Netting:
    """Net short- and long-term results as Schedule D Parts I–III do."""
    line7 = st_gain - st_carryforward  # carryover enters as a short-term loss (line 6)
    line15 = lt_gain + collectibles_gain - lt_carryforward  # line 14 is the LT carryover
    line16 = line7 + line15
    if line16 >= 0:
        loss_deduction = ZERO
        capital_income = line16
    else:
        loss_deduction = min(-line16, loss_limit)  # line 21: the smaller loss
        capital_income = -loss_deduction
    net_capital_gain = min(line15, line16) if line15 > 0 and line16 > 0 else ZERO
    # 28% Rate Gain Worksheet: collectibles gain (line 1), less the long-term carryover
    # (line 5) and any net short-term loss (line 6); zero or less means none.
    rate_28 = ZERO
    if collectibles_gain != 0 and net_capital_gain > 0:
        rate_28 = max(ZERO, collectibles_gain - lt_carryforward + min(ZERO, line7))
    return Netting(line7, line15, line16, capital_income, loss_deduction, net_capital_gain, rate_28)


def carryover_worksheet(
    netting: Netting, taxable_income_signed: Decimal
) -> tuple[Decimal, Decimal, Decimal]:
    """The Capital Loss Carryover Worksheet: (ST carryover, LT carryover, deduction used).

    ``taxable_income_signed`` is this year's taxable income *before* flooring at zero
    (worksheet line 1 says to enter a negative amount as negative). The "deduction used"
    (line 4) can be less than the deduction claimed when taxable income is negative: the
    unused part stays in the carryover, as §1212(b)(2) requires.
    """
    if netting.combined >= 0:
        return ZERO, ZERO, ZERO
    line2 = netting.loss_deduction
    line3 = max(ZERO, taxable_income_signed + line2)
    line4 = min(line2, line3)
    line7_sd = netting.net_short_term
    line15_sd = netting.net_long_term
    line5 = -line7_sd if line7_sd < 0 else ZERO
    st_out = ZERO
    if line7_sd < 0:
        line6 = max(ZERO, line15_sd)
        line7 = line4 + line6
        st_out = max(ZERO, line5 - line7)  # line 8
    lt_out = ZERO
    if line15_sd < 0:
        line9 = -line15_sd
        line10 = max(ZERO, line7_sd)
        line11 = max(ZERO, line4 - line5)
        line12 = line10 + line11
        lt_out = max(ZERO, line9 - line12)  # line 13
    return st_out, lt_out, line4
