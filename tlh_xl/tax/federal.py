"""Federal income tax as a tax system: regular tax plus NIIT, by one year's rule file."""

from __future__ import annotations

from decimal import Decimal
from typing import TypeAlias

from ..money import ZERO
from ..rulebook.model import Rules
from .compute import TaxInputs, evaluate
from .system import Bends, Owed, TaxSystem

__all__ = ["FederalTax", "TaxSystemOrRules", "as_tax_system"]

TaxSystemOrRules: TypeAlias = "TaxSystem | Rules"


class FederalTax:
    """Regular income tax (the rate schedule or a capital-gain worksheet) plus NIIT.

    The worksheets' last line is the smaller of two figures: the tax with preferential
    rates stacked on top, and the tax on all income at ordinary rates. Those are the two
    branches; NIIT is added to each.
    """

    def __init__(self, rules: Rules):
        self.rules = rules

    def owed(self, inputs: TaxInputs) -> Owed:
        e = evaluate(self.rules, inputs)
        worksheet, niit = e.worksheet, e.niit
        return Owed((worksheet.stacked + niit, worksheet.all_ordinary + niit), e.carryforward_out)

    def bends(self, inputs: TaxInputs) -> Bends:
        """Every line on which the forms can bend, in ``a`` (net short-term), ``b`` (net
        long-term) and ``s = a + b``; ``tests/test_tax_bends.py`` checks that none is
        missing. Capital income is ``max(s, −limit)`` and taxable income is that plus
        ``income − deduction``, so each level at which a rate starts is crossed on an
        ``s`` line."""
        rules, status = self.rules, inputs.filing_status
        limit = rules.capital_loss.limit.of(status)
        levels = self._levels(inputs)
        ordinary_base, taxable_base = self._bases(inputs)
        before_losses = max(ZERO, taxable_base)  # carryover worksheet line 3, in a loss

        # Netting (line 16 reaches zero, the loss limit) and the carryover worksheet
        # (the deduction used, the smaller of the limit and line 3, absorbs short-term
        # loss first).
        short = {ZERO, -limit, -before_losses}
        long = {ZERO}
        total = {ZERO, -limit, -before_losses}
        # Taxable income (Form 1040 line 15) reaches each level.
        total |= {level - taxable_base for level in levels}
        # The ordinary part of taxable income (QDCG line 5, Schedule D line 18) reaches
        # each level: with a net capital gain (min(b, a + b)) it is ordinary_base +
        # max(0, a); without one it moves with s.
        short |= {level - ordinary_base for level in levels}
        total |= {level - ordinary_base for level in levels}
        # NIIT: modified AGI reaches the threshold; net investment income reaches zero.
        agi_base = inputs.ordinary_income + inputs.qualified_dividends  # AGI at s = 0
        total |= {rules.niit.thresholds.of(status) - agi_base, -inputs.qualified_dividends}
        bends = Bends(frozenset(short), frozenset(long), frozenset(total))

        rate_28_most = inputs.collectibles_gain - inputs.lt_carryforward
        if rate_28_most > 0:
            bends |= self._schedule_d_bends(inputs, rate_28_most)
        return bends

    def _schedule_d_bends(self, inputs: TaxInputs, rate_28_most: Decimal) -> Bends:
        """The Schedule D Tax Worksheet's own bends, where there can be 28% rate gain.

        28% rate gain is ``rate_28_most + min(0, a)`` while positive (28% Rate Gain
        Worksheet), and the worksheet takes the smaller of it and the net capital gain
        (line 12): ``rate_28_most``, ``rate_28_most + a``, ``b`` or ``s``. The worksheet's
        figures are then sums and differences of three quantities and the levels:
        taxable income (line 1, on ``s``), line 18 (the ordinary part, on ``a``) and
        line 13, the other gains, ``dividends + max(0, b − rate_28_most)``.
        """
        levels = self._levels(inputs)
        ordinary_base, taxable_base = self._bases(inputs)
        dividends = inputs.qualified_dividends
        short = {-rate_28_most}
        long = {rate_28_most}
        # Line 14, taxable income less line 13, is ordinary_base + rate_28_most + a once
        # b ≥ rate_28_most (below that it moves with s) and reaches each level.
        short |= {level - (ordinary_base + rate_28_most) for level in levels}
        # Taxable income less the 28% rate gain (line 13 + line 18) reaches each level:
        # along s, b or a as the smaller of line 12 is rate_28_most, rate_28_most + a, b.
        total = {level - (taxable_base - rate_28_most) for level in levels}
        long |= {level - (taxable_base - rate_28_most) for level in levels}
        short |= {level - taxable_base for level in levels}
        # Line 13 on top of a level (the ordinary part, lines 21 + 22 held at a bracket
        # top or breakpoint) reaches a breakpoint (the 15% band, lines 25–30).
        long |= {
            rate_28_most - dividends + breakpoint - level
            for breakpoint in self.rules.capital_gains.thresholds.of(inputs.filing_status)
            for level in levels
            if breakpoint - level > dividends
        }
        return Bends(frozenset(short), frozenset(long), frozenset(total))

    def _deduction(self, inputs: TaxInputs) -> Decimal:
        if inputs.deduction is not None:
            return inputs.deduction
        return self.rules.standard_deduction.amount.of(inputs.filing_status)

    def _bases(self, inputs: TaxInputs) -> tuple[Decimal, Decimal]:
        """The ordinary part of taxable income at a = 0, and taxable income at s = 0
        (both before flooring at zero)."""
        ordinary_base = inputs.ordinary_income - self._deduction(inputs)
        return ordinary_base, ordinary_base + inputs.qualified_dividends

    def _levels(self, inputs: TaxInputs) -> set[Decimal]:
        """Taxable income at which a rate starts: the brackets and the 0/15/20%
        breakpoints."""
        status = inputs.filing_status
        levels = {*self.rules.ordinary_income.thresholds.of(status)}
        return levels | {*self.rules.capital_gains.thresholds.of(status)}


def as_tax_system(tax: TaxSystemOrRules) -> TaxSystem:
    """``tax`` itself, or the federal tax of a rule file (for callers that pass ``Rules``)."""
    return FederalTax(tax) if isinstance(tax, Rules) else tax
