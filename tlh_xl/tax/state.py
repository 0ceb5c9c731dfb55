"""A state's income tax as a tax system, by one year's state rule file.

One class serves every state the rule files can describe (``rulebook/state_model.py``);
the file says which mechanics apply. ``StateTax.evaluate`` follows the return in order,
with variables named after its lines (Form 540's where California has the line):

1. federal AGI, as the federal forms have it (Form 1040 line 11): the state's phase-outs
   and cliffs are measured on it (Form 540 line 13; IL-1040 line 1);
2. the state's capital result, by its loss policy: the federal one (IL), or this year's
   gains and losses netted in one class of the state's own, its carryovers in or not,
   a net loss deducting at most the state's limit (CA: $3,000 and its own carryover;
   PA: zero, and nothing carries);
3. the state's income: federal AGI with that capital result (Form 540 line 17, IL-1040
   line 9), or the total of the state's classes of income, each at least zero (PA-40
   line 9);
4. less the standard deduction (Form 540 line 18) and any exemption allowance (IL-1040
   line 10, none once federal AGI is over the limit): taxable income (540 line 19);
5. the tax by the flat rate or the exact rate schedule (540 line 31), less the
   exemption credits after the AGI limitation (line 32), not below zero (line 33);
6. plus a surtax over a threshold (540 line 62, the 1% over $1,000,000);
7. plus an excise on one kind of gain, where the state levies one: Washington's on the
   federal net long-term capital gain less its standard deduction (RCW 82.87).

A state with ``no_income_tax`` skips lines 2 to 6 (their amounts are zero); its tax is
the excise, or nothing.

The state's own carryover to next year, where it keeps one (California's Capital Loss
Carryover Worksheet), is the system's carryforward; ``CombinedTax`` carries the federal
one, which prices the plan's (docs/STATE_TAX.md).

Where its tax bends: every income-tax line here moves with ``s = a + b`` only, since no
state here taxes short- and long-term gains apart in its income tax, so those bends are
``a + b = k`` lines; the excise moves with ``b`` alone, so its bends are ``b = k`` lines. The steps
of an AGI phase-out (a cliff is one step) are not bends but jumps; the system gives
two branches that take turns (``system.NOT_APPLICABLE``), so the optimizer stays exact.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from functools import partial
from itertools import pairwise

from ..errors import InputError
from ..filing_status import FilingStatus
from ..money import ZERO, Number, cents
from ..rulebook.model import Rules
from ..rulebook.state_model import StateRules
from .compute import TaxInputs, tax_inputs
from .system import NOT_APPLICABLE, Bends, Owed, net_results
from .worksheets import schedule_income, schedule_tax

__all__ = [
    "StateExact",
    "StateTax",
    "StateTaxResult",
    "check_state_carryforward",
    "compute_state_tax",
]

_ONE = Decimal(1)
_Allowances = tuple[Decimal, Decimal, int]  # exemption, each exemption credit, their count


@dataclass(frozen=True)
class StateExact:
    """One state return, exact (not rounded): the lines of ``StateTax.evaluate``."""

    federal_agi: Decimal  # Form 1040 line 11; 540 line 13; IL-1040 line 1
    capital: Decimal  # the state's capital result: the gain, or minus the loss allowed
    income: Decimal  # 540 line 17; IL-1040 line 9; PA-40 line 9
    deduction: Decimal  # 540 line 18
    exemption: Decimal  # IL-1040 line 10
    taxable_income: Decimal  # 540 line 19; IL-1040 line 11; PA-40 line 11
    tax: Decimal  # 540 line 31; IL-1040 line 12; PA-40 line 12
    credits: Decimal  # 540 line 32: exemption credits after the AGI limitation
    tax_after_credits: Decimal  # 540 line 33, not below zero
    surtax: Decimal  # 540 line 62
    excise: Decimal  # the capital gains excise (WA)
    carryforward_out: Decimal  # the state's own carryover to next year

    @property
    def total(self) -> Decimal:
        return self.tax_after_credits + self.surtax + self.excise

    def total_in_cents(self) -> Decimal:
        """The state's tax in cents, each return's total rounded as its form rounds it
        (the federal total's way: each part to the cent, then added)."""
        return cents(self.tax_after_credits) + cents(self.surtax) + cents(self.excise)


@dataclass(frozen=True)
class StateTaxResult:
    """One year's state tax, rounded to cents; ``total_tax`` = tax after credits +
    surtax (before refundable credits)."""

    state: str
    year: int
    filing_status: FilingStatus
    federal_agi: Decimal
    income: Decimal
    capital: Decimal
    deduction: Decimal
    exemption: Decimal
    taxable_income: Decimal
    tax: Decimal
    credits: Decimal
    surtax: Decimal
    surtax_name: str  # the surtax's name in the rules ("" when the state has none)
    excise: Decimal
    excise_name: str  # the excise's name in the rules ("" when the state has none)
    has_income_tax: bool
    total_tax: Decimal
    carryforward_out: Decimal
    marginal_ordinary_rate: Decimal
    marginal_short_term_rate: Decimal
    marginal_long_term_rate: Decimal
    rules: str


class StateTax:
    """A state's income tax for one year's rules; ``federal`` gives the federal loss
    limit, which federal AGI (and a state that follows it) uses."""

    def __init__(self, rules: StateRules, federal: Rules):
        self.rules, self.federal = rules, federal
        self._steps_by_status: dict[FilingStatus, tuple[Decimal, ...]] = {}

    @property
    def keeps_own_carryover(self) -> bool:
        """Whether the state keeps a capital loss carryover of its own (CA's worksheet),
        which ``TaxInputs.state_carryforward`` can give apart from the federal ones."""
        return self.rules.keeps_own_carryover

    @property
    def carries_forward(self) -> bool:
        """Whether a loss carried forward will lower this state's tax too (its own
        carryover, or the federal one through federal AGI; an excise on long-term gains
        takes the federal long-term carryover in, WAC 458-20-301)."""
        loss = self.rules.capital_loss
        if loss is not None:
            return loss.carryforward
        return self.rules.capital_gains_excise is not None

    # --- what is owed -------------------------------------------------------------------

    def evaluate(
        self, x: TaxInputs, past: bool = False, allowances: _Allowances | None = None
    ) -> StateExact:
        """The return's lines. ``past``: phase-outs and cliffs as if federal AGI were
        just over its value (the other branch, exactly on a step: ``owed``).
        ``allowances``: the exemption, each credit and their count, held as given."""
        rules, status = self.rules, x.filing_status
        federal_agi = x.ordinary_income + x.qualified_dividends + self._federal_capital(x)
        excise = self._excise(x)
        if rules.income_tax is None:  # no_income_tax: lines 2 to 6 are zero
            return StateExact(federal_agi, *(ZERO,) * 9, excise, ZERO)
        net, limit = self._net(x)
        capital = max(net, -limit)
        income = self._income_before_capital(x) + capital
        deduction = self._deduction(status, federal_agi)
        if allowances is None:
            allowances = self._allowances(status, federal_agi, past)
        exemption, credits_each, count = allowances
        taxable = max(ZERO, income - deduction - exemption)
        tax = self._rate_tax(status, taxable)
        credits = credits_each * count
        after_credits = max(ZERO, tax - credits)
        surtax = ZERO
        if rules.surtax is not None:
            if rules.surtax.base == "taxable_income":
                levied_on = taxable
            else:  # net_investment_income: Form 8960 line 8, as the federal NIIT's
                levied_on = max(ZERO, x.qualified_dividends + self._federal_capital(x))
            over = levied_on - rules.surtax.threshold_for(status)
            surtax = rules.surtax.rate * max(ZERO, over)
        carried = self._carryover(net, capital, income, deduction)
        return StateExact(
            federal_agi,
            capital,
            income,
            deduction,
            exemption,
            taxable,
            tax,
            credits,
            after_credits,
            surtax,
            excise,
            carried,
        )

    def owed(self, inputs: TaxInputs) -> Owed:
        """One branch; two where a phase-out or cliff has steps. Branch ``c % 2`` is the
        tax with ``c`` steps passed, and applies from the step before to the step after
        (both included); exactly on a step the other branch is the tax just past it,
        which is never less. Elsewhere it does not apply (``NOT_APPLICABLE``)."""
        exact = self.evaluate(inputs)
        steps = self._steps(inputs.filing_status)
        if not steps:
            return Owed((exact.total,), exact.carryforward_out)
        agi = exact.federal_agi
        passed = bisect_left(steps, agi)  # steps strictly below federal AGI
        branches = [NOT_APPLICABLE, NOT_APPLICABLE]
        branches[passed % 2] = exact.total
        if passed < len(steps) and steps[passed] == agi:
            branches[(passed + 1) % 2] = self.evaluate(inputs, past=True).total
        return Owed((branches[0], branches[1]), exact.carryforward_out)

    def long_term_rate(self, inputs: TaxInputs) -> Decimal:
        """The tax on one more dollar of long-term gain, without the steps of a
        phase-out or cliff (they are jumps, not a rate: the allowances are held)."""
        status = inputs.filing_status
        agi = self.evaluate(inputs).federal_agi
        held = self._allowances(status, agi, past=False)
        more = TaxInputs(**{**inputs.__dict__, "lt_gain": inputs.lt_gain + _ONE})
        return self.evaluate(more, allowances=held).total - self.evaluate(inputs).total

    def floored(self, inputs: TaxInputs) -> bool:
        """More loss this year changes nothing here: the capital result is at its floor
        (the loss limit; zero for a state whose net loss counts as zero), or there is no
        income tax; and an excise's gains are within its deduction."""
        excise = self.rules.capital_gains_excise
        if excise is not None and net_results(inputs)[1] > excise.deduction.of(
            inputs.filing_status
        ):
            return False
        if self.rules.income_tax is None:
            return True
        net, limit = self._net(inputs)
        return net <= -limit

    # --- where it bends -----------------------------------------------------------------

    def bends(self, inputs: TaxInputs) -> Bends:
        """The ``a + b = s`` lines on which the tax or the carryover can bend or step.

        With ``g`` the state's net capital result (``s``, or ``s`` plus the federal
        carryovers for a state that takes none), the capital result is
        ``max(g, −limit)`` and the state's income is that plus a constant, so each level
        the return's lines turn at (taxable income zero, each bracket, the credit used
        up, the surtax threshold) is crossed on one ``s`` line, for each set of
        allowances a phase-out step leaves; the steps themselves are where federal AGI,
        ``max(s, −federal limit)`` plus a constant, reaches them."""
        excise = self._excise_bends(inputs.filing_status)
        if self.rules.income_tax is None:
            return excise
        return self._income_tax_bends(inputs) | excise

    def _excise_bends(self, status: FilingStatus) -> Bends:
        """The excise bends where the long-term result ``b`` passes the deduction plus
        each threshold (zero below the deduction, then each rate)."""
        excise = self.rules.capital_gains_excise
        if excise is None:
            return Bends()
        deduction = excise.deduction.of(status)
        return Bends(long=frozenset(deduction + start for start in excise.thresholds))

    def _income_tax_bends(self, inputs: TaxInputs) -> Bends:
        status = inputs.filing_status
        offset = self._offset(inputs)  # g = s + offset
        _, limit = self._net(inputs)
        federal_limit = self.federal.capital_loss.limit.of(status)
        before = self._income_before_capital(inputs)
        agi_base = inputs.ordinary_income + inputs.qualified_dividends  # federal AGI at s = 0
        steps = self._steps(status)

        def agi_at(s: Decimal) -> Decimal:
            return agi_base + max(s, -federal_limit)

        def taxable_at(s: Decimal, exemption: Decimal) -> Decimal:
            """Taxable income before its floor at zero, at ``s``."""
            capital = max(s + offset, -limit)
            return before + capital - self._deduction(status, agi_at(s)) - exemption

        # Where taxable income is linear in s between them: the capital result's floor,
        # the federal one (federal AGI stops falling), and where a shrinking deduction
        # starts and stops shrinking (federal AGI reaches each).
        kinks = {-limit - offset, -federal_limit}
        standard = self.rules.standard_deduction
        if standard is not None and standard.reduction is not None:
            cut = standard.reduction
            start = cut.agi_over.of(status)
            end = start + cut.most * standard.amount.of(status) / cut.rate
            kinks |= {agi - agi_base for agi in (start, end) if agi - agi_base >= -federal_limit}
        total = set(kinks)
        if self.rules.surtax is not None and self.rules.surtax.base == "net_investment_income":
            # qualified dividends + max(s, -federal limit) reach the threshold
            at = self.rules.surtax.threshold_for(status) - inputs.qualified_dividends
            if at >= -federal_limit:
                total.add(at)
        # The steps: federal AGI reaches each (never, if it is always above it).
        total |= {step - agi_base for step in steps if step - agi_base >= -federal_limit}
        # Each set of allowances holds from one step to the next; its own levels count
        # only there (elsewhere the branch that has them does not apply).
        bounds = [None, *steps, None]
        for passed in range(len(steps) + 1):
            low, high = bounds[passed], bounds[passed + 1]
            at = steps[passed - 1] if passed else (steps[0] if steps else agi_base)
            exemption, each, count = self._allowances(status, at, past=passed > 0)
            taxable = partial(taxable_at, exemption=exemption)
            for level in self._levels(status, each * count):
                for s in _where_linear_reaches(level, taxable, kinks):
                    agi = agi_at(s)
                    if (low is None or agi >= low) and (high is None or agi <= high):
                        total.add(s)
        # The state's own carryover worksheet: the loss reaches the limit, and the
        # income it may offset (CA worksheet lines 5 and 7).
        if self.rules.keeps_own_carryover:
            # (a deduction that shrinks with AGI and a carryover of its own: no state has both)
            room = max(ZERO, before - self._deduction(status, agi_base))
            total |= {-offset, -limit - offset, -room - offset}
        return Bends(total=frozenset(total))

    # --- the return's parts -------------------------------------------------------------

    def _excise(self, x: TaxInputs) -> Decimal:
        """The capital gains excise: the net long-term result (Schedule D line 15, its
        carryover in) less the deduction, never below zero, by the excise's schedule."""
        excise = self.rules.capital_gains_excise
        if excise is None:
            return ZERO
        _, b = net_results(x)
        gains = {"net_long_term": b}[excise.gains]  # the model's kinds of gain
        taxable = max(ZERO, gains - excise.deduction.of(x.filing_status))
        return schedule_tax(taxable, excise.rates, excise.thresholds)

    def _federal_capital(self, x: TaxInputs) -> Decimal:
        """Form 1040 line 7: the net capital gain, or minus the loss allowed."""
        a, b = net_results(x)
        return max(a + b, -self.federal.capital_loss.limit.of(x.filing_status))

    def _offset(self, x: TaxInputs) -> Decimal:
        """The state's net capital result less ``a + b``: the carryovers it does not
        take (a state with no carryforward ignores the federal ones), or its own
        carryover in place of the federal ones (``state_carryforward``)."""
        loss = self.rules.capital_loss
        if loss is None or loss.netting == "federal":
            return ZERO
        if loss.carryforward:
            if x.state_carryforward is None:  # the federal carryforwards are the state's
                return ZERO
            return x.st_carryforward + x.lt_carryforward - x.state_carryforward
        return x.st_carryforward + x.lt_carryforward

    def _net(self, x: TaxInputs) -> tuple[Decimal, Decimal]:
        """The state's net capital result before its limit, and the limit."""
        a, b = net_results(x)
        loss = self.rules.capital_loss
        assert loss is not None  # asked only of a state with an income tax
        if loss.netting == "federal":
            return a + b, self.federal.capital_loss.limit.of(x.filing_status)
        assert loss.limit is not None  # the model requires it with one_class
        return a + b + self._offset(x), loss.limit.of(x.filing_status)

    def _income_before_capital(self, x: TaxInputs) -> Decimal:
        """The state's income without its capital result."""
        base = self.rules.base
        if base is not None and base.start == "classes":  # each class at least zero (PA-40 line 9)
            return max(ZERO, x.ordinary_income) + x.qualified_dividends
        return x.ordinary_income + x.qualified_dividends

    def _deduction(self, status: FilingStatus, federal_agi: Decimal) -> Decimal:
        standard = self.rules.standard_deduction
        return ZERO if standard is None else standard.at(status, federal_agi)

    def _allowances(self, status: FilingStatus, federal_agi: Decimal, past: bool) -> _Allowances:
        """The exemption allowance, each exemption credit and their count, at federal
        AGI (``past``: just over it)."""
        rules = self.rules
        exemption = ZERO
        if rules.exemption is not None:
            lost = rules.exemption.lost_above_agi
            limit = None if lost is None else lost.of(status)
            over = limit is not None and (federal_agi >= limit if past else federal_agi > limit)
            exemption = ZERO if over else rules.exemption.amount.of(status)
        credit = rules.exemption_credit
        if credit is None:
            return exemption, ZERO, 0
        each = credit.amount
        phase = credit.phase_out
        if phase is not None:
            over_by = federal_agi - phase.agi_over.of(status)
            step = phase.step.of(status)
            if past:  # a step or a fraction of one, for any amount over (or at) it
                passed = (over_by / step).to_integral_value(ROUND_FLOOR) + 1
            else:
                passed = (over_by / step).to_integral_value(ROUND_CEILING)
            each = max(ZERO, each - phase.reduction * max(ZERO, passed))
        return exemption, each, credit.count.of(status)

    def _steps(self, status: FilingStatus) -> tuple[Decimal, ...]:
        hit = self._steps_by_status.get(status)
        if hit is None:  # asked for on every evaluation: worked out once
            hit = self._steps_by_status[status] = _steps_of(self.rules, status)
        return hit

    def _rate_tax(self, status: FilingStatus, taxable: Decimal) -> Decimal:
        income_tax = self.rules.income_tax
        assert income_tax is not None  # asked only of a state with an income tax
        if income_tax.flat_rate is not None:
            return income_tax.flat_rate * taxable
        assert income_tax.thresholds is not None  # the model's rule for brackets
        return schedule_tax(taxable, income_tax.rates_for(status), income_tax.thresholds.of(status))

    def _levels(self, status: FilingStatus, credits: Decimal) -> set[Decimal]:
        """Taxable income at which a line turns: zero, each bracket, the credit used up,
        the surtax threshold."""
        rules = self.rules
        levels = {ZERO}
        income_tax = rules.income_tax
        assert income_tax is not None  # asked only of a state with an income tax
        if income_tax.flat_rate is not None:
            if credits > 0 and income_tax.flat_rate > 0:
                levels.add(credits / income_tax.flat_rate)
        else:
            assert income_tax.thresholds is not None  # the model's rule for brackets
            thresholds = income_tax.thresholds.of(status)
            levels |= set(thresholds)
            used_up = schedule_income(credits, income_tax.rates_for(status), thresholds)
            if used_up is not None:
                levels.add(used_up)
        if rules.surtax is not None and rules.surtax.base == "taxable_income":
            levels.add(rules.surtax.threshold_for(status))
        return levels

    def _carryover(
        self, net: Decimal, capital: Decimal, income: Decimal, deduction: Decimal
    ) -> Decimal:
        """The state's own capital loss carryover (CA's California Capital Loss
        Carryover Worksheet: one amount, no short/long split)."""
        if not self.rules.keeps_own_carryover or net >= 0:
            return ZERO
        line1 = -capital  # the loss allowed this year (Schedule D (540) line 11)
        line4 = income - deduction  # Form 540 line 17 less line 18, negative allowed
        line5 = max(ZERO, line1 + line4)
        line6 = -net  # the whole net loss (Schedule D (540) line 8)
        line7 = min(line1, line5)
        return line6 - line7  # line 8


def check_state_carryforward(rules: StateRules, carryforward: Decimal | None, where: str) -> None:
    """Refuse a state carryforward for a state that keeps none of its own: it would be
    silently unused (IL follows the federal one, PA and NJ carry nothing)."""
    if carryforward is not None and not rules.keeps_own_carryover:
        raise InputError(
            f"{where}: {rules.state} keeps no capital loss carryover of its own "
            "(only a state with its own carryover worksheet, such as CA, takes one); "
            "leave it blank"
        )


def _where_linear_reaches(
    level: Decimal, f: Callable[[Decimal], Decimal], kinks: set[Decimal]
) -> set[Decimal]:
    """Every ``s`` at which ``f``, continuous and linear between the ``kinks`` (and
    beyond the outer ones), equals ``level`` (a flat piece at the level: its ends, which
    are kinks)."""
    points = sorted(kinks)
    found: set[Decimal] = set()
    pieces = [(points[0] - _ONE, points[0])]
    pieces += list(pairwise(points))
    pieces.append((points[-1], points[-1] + _ONE))
    for index, (left, right) in enumerate(pieces):
        at_left, at_right = f(left), f(right)
        slope = (at_right - at_left) / (right - left)
        if slope == 0:
            if at_left == level:
                found |= {left, right} & kinks
            continue
        s = left + (level - at_left) / slope
        outer_left, outer_right = index == 0, index == len(pieces) - 1
        if (outer_left or s >= left) and (outer_right or s <= right):
            found.add(s)
    return found


def _steps_of(rules: StateRules, status: FilingStatus) -> tuple[Decimal, ...]:
    """Federal AGI at which an allowance steps down: the cliff of an exemption, and each
    step of a credit's phase-out until the credit is gone. A step counts once AGI is
    more than it (a fraction of a step over is a whole step). Sorted."""
    steps: set[Decimal] = set()
    if rules.exemption is not None and rules.exemption.lost_above_agi is not None:
        steps.add(rules.exemption.lost_above_agi.of(status))
    credit = rules.exemption_credit
    if credit is not None and credit.phase_out is not None and credit.phase_out.reduction > 0:
        phase = credit.phase_out
        start, width = phase.agi_over.of(status), phase.step.of(status)
        count = int((credit.amount / phase.reduction).to_integral_value(ROUND_CEILING))
        steps |= {start + width * i for i in range(count)}
    return tuple(sorted(steps))


def compute_state_tax(
    rules: StateRules,
    federal: Rules,
    *,
    filing_status: str,
    ordinary_income: Number,
    st_gain: Number = 0,
    lt_gain: Number = 0,
    qualified_dividends: Number = 0,
    collectibles_gain: Number = 0,
    st_carryforward: Number = 0,
    lt_carryforward: Number = 0,
    state_carryforward: Number | None = None,
) -> StateTaxResult:
    """A state's income tax for one year, with the arguments of ``compute_tax`` (but no
    deduction: the state's standard deduction always applies). ``federal`` is the same
    year's federal rules. ``state_carryforward``: the state's own loss carryover in, for
    a state that keeps one (CA); None takes the federal carryforwards as the state's."""
    x = tax_inputs(
        filing_status=filing_status,
        ordinary_income=ordinary_income,
        st_gain=st_gain,
        lt_gain=lt_gain,
        qualified_dividends=qualified_dividends,
        collectibles_gain=collectibles_gain,
        st_carryforward=st_carryforward,
        lt_carryforward=lt_carryforward,
        state_carryforward=state_carryforward,
    )
    system = StateTax(rules, federal)
    check_state_carryforward(rules, x.state_carryforward, "state_carryforward")
    e = system.evaluate(x)
    base = system.owed(x).tax

    def marginal(field: str) -> Decimal:
        bumped = TaxInputs(**{**x.__dict__, field: getattr(x, field) + _ONE})
        return system.owed(bumped).tax - base

    return StateTaxResult(
        state=rules.state,
        year=rules.year,
        filing_status=x.filing_status,
        federal_agi=cents(e.federal_agi),
        income=cents(e.income),
        capital=cents(e.capital),
        deduction=cents(e.deduction),
        exemption=cents(e.exemption),
        taxable_income=cents(e.taxable_income),
        tax=cents(e.tax),
        credits=cents(min(e.credits, e.tax)),
        surtax=cents(e.surtax),
        surtax_name=rules.surtax.name if rules.surtax is not None else "",
        excise=cents(e.excise),
        excise_name=excise.name if (excise := rules.capital_gains_excise) is not None else "",
        has_income_tax=rules.income_tax is not None,
        total_tax=e.total_in_cents(),
        carryforward_out=cents(e.carryforward_out),
        marginal_ordinary_rate=marginal("ordinary_income"),
        marginal_short_term_rate=marginal("st_gain"),
        marginal_long_term_rate=marginal("lt_gain"),
        rules=rules.describe(),
    )
