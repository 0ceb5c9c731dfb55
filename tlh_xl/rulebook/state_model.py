"""The typed model of a state's rule file (``rules/us-<st>/<year>.yaml``).

A state's income tax, as far as a harvest moves it, is described by a handful of
mechanics, each a small section of the file:

* ``base``: where the state's income starts: federal adjusted gross income (CA, IL), or
  the state's own classes of income, each net of its own losses and never below zero
  (PA);
* ``capital_loss``: the loss policy: whether capital results are netted as in federal AGI
  (the federal limit and carryover flow through) or in one class of the state's own, the
  loss that class may deduct from other income, and whether the rest carries forward;
* ``income_tax``: a flat rate, or brackets per filing status (one list of rates for
  every status, or ``rates_by_status`` where the schedules differ in their rates: NJ);
* ``no_income_tax``: the state taxes no income (TX, FL, ...): choosing it is explicit,
  and its income tax is zero;
* ``capital_gains_excise``: a tax on one kind of gain alone, by its own deduction and
  schedule (Washington's on long-term capital gains), with or without an income tax;
* ``standard_deduction``, ``exemption`` (an amount subtracted from income, lost above an
  AGI limit) and ``exemption_credit`` (a credit against the tax for each personal
  exemption, reduced in steps as AGI rises);
* ``surtax``: a further rate on a base over a threshold, with a flag for a threshold that
  is the same for every filing status.

The mechanics themselves (the order of the lines, how the federal AGI is formed) are in
``tax/state.py``; the numbers and switches are here. The same strict loader reads these
files as the federal ones (``loader.py``: unknown keys, wrong types and thresholds out of
order are refused with ``file:line key.path``), and ``rules/schema.json`` covers both.

``status`` adds ``unverified`` to the federal ``official`` and ``projected``: figures
that could not be checked against the state's own law, form or instructions, which the
file's notes then say, with what was checked instead.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from itertools import pairwise
from typing import Annotated, ClassVar, Literal, TypeAlias

from pydantic import Field, model_validator

from ..filing_status import FILING_STATUSES, FilingStatus
from .model import (
    WHOLE,
    Amount,
    ByStatus,
    Indexing,
    Rate,
    Rates,
    References,
    RuleFile,
    Rules,
    Thresholds,
    ThresholdsByStatus,
    _Strict,
)

__all__ = [
    "MAX_PHASE_OUT_STEPS",
    "AnyRules",
    "CountByStatus",
    "RatesByStatus",
    "StateBase",
    "StateCapitalGainsExcise",
    "StateCapitalLoss",
    "StateDeductionReduction",
    "StateExemption",
    "StateExemptionCredit",
    "StateIncomeTax",
    "StateNoIncomeTax",
    "StatePhaseOut",
    "StateRules",
    "StateStandardDeduction",
    "StateSurtax",
    "is_state_jurisdiction",
    "model_for",
]

Count = Annotated[int, Field(ge=0, le=10), WHOLE]
# The steps of a credit's phase-out (California's: 25); each is a place the tax jumps,
# which the optimizer visits, so a phase-out in tiny steps would take unbounded time.
MAX_PHASE_OUT_STEPS = 1_000


class CountByStatus(_Strict):
    """A whole number per filing status (personal exemptions: 1, or 2 on a joint return)."""

    single: Count
    married_joint: Count
    married_separate: Count
    head_of_household: Count
    qualifying_surviving_spouse: Count

    def of(self, status: FilingStatus) -> int:
        value: int = getattr(self, status)
        return value


class StateBase(_Strict):
    """Where the state's income starts.

    ``federal_agi``: federal adjusted gross income, with the state's own capital result
    in place of the federal one where ``capital_loss`` says the state nets on its own.
    ``classes``: the state's own classes of income (PA-40 lines 1–8), each net of its own
    losses and never below zero; the engine sees ordinary income as one class, qualified
    dividends as another, and gains and losses from property as a third.
    """

    reference: References
    start: Literal["federal_agi", "classes"]


class StateCapitalLoss(_Strict):
    """The loss policy: how far netting reaches, the cap against other income, and
    whether what is left carries forward.

    ``netting: federal``: the capital result in federal AGI flows through (the federal
    $3,000 limit and carryover apply; no ``limit`` here). ``netting: one_class``: this
    year's short- and long-term gains and losses (collectibles included) net in one
    class; with ``carryforward`` the carryovers from earlier years enter it as losses
    (the Profile's carryforwards, read as the state's), without it they do not. A net
    loss deducts at most ``limit`` from other income (0: a net loss counts as zero).
    """

    reference: References
    netting: Literal["federal", "one_class"]
    limit: ByStatus | None = None
    carryforward: bool

    @model_validator(mode="after")
    def _limit_goes_with_own_netting(self) -> StateCapitalLoss:
        if self.netting == "one_class" and self.limit is None:
            raise ValueError("limit: missing (netting one_class needs the loss limit; 0 for none)")
        if self.netting == "federal" and self.limit is not None:
            raise ValueError("limit: not used with netting federal (the federal limit applies)")
        if self.netting == "federal" and not self.carryforward:
            raise ValueError(
                "carryforward: netting federal carries the federal carryover; it is true"
            )
        return self


class RatesByStatus(_Strict):
    """The rates of each filing status's schedule, where the schedules differ in their
    rates and not only in their thresholds (New Jersey's joint schedule has a 2.45%
    bracket the single one lacks: N.J.S. 54A:2-1)."""

    single: Rates
    married_joint: Rates
    married_separate: Rates
    head_of_household: Rates
    qualifying_surviving_spouse: Rates

    def of(self, status: FilingStatus) -> list[Decimal]:
        value: list[Decimal] = getattr(self, status)
        return value


class StateIncomeTax(_Strict):
    """A flat rate on taxable income, or brackets per filing status (each rate applies
    from its threshold up): ``rates`` shared by every status, or ``rates_by_status``.
    ``indexing`` as in the federal files (``rules new``); null: the projection copies
    the thresholds."""

    INDEXED: ClassVar[str] = "thresholds"

    reference: References
    flat_rate: Rate | None = None
    rates: Rates | None = None
    rates_by_status: RatesByStatus | None = None
    thresholds: ThresholdsByStatus | None = None
    indexing: Indexing | None = None

    @model_validator(mode="after")
    def _flat_or_brackets(self) -> StateIncomeTax:
        given = [self.flat_rate is not None, self.rates is not None]
        given.append(self.rates_by_status is not None)
        if sum(given) != 1:
            raise ValueError("give one of flat_rate, rates or rates_by_status")
        if self.flat_rate is not None:
            if self.thresholds is not None:
                raise ValueError("thresholds: a flat rate has no brackets")
            if self.indexing is not None:
                raise ValueError("indexing: a flat rate has no thresholds to index")
            return self
        if self.thresholds is None:
            raise ValueError("brackets need thresholds as well as rates")
        for status in FILING_STATUSES:
            rates = self.rates_for(status)
            count = len(self.thresholds.of(status))
            if count != len(rates):
                raise ValueError(
                    f"thresholds.{status} has {count} values but there are "
                    f"{len(rates)} rates; give one threshold per rate"
                )
            for lower, upper in pairwise(rates):
                if upper <= lower:
                    raise ValueError(f"rates must increase ({upper} follows {lower})")
        return self

    def rates_for(self, status: FilingStatus) -> list[Decimal]:
        """The schedule's rates for a filing status (not for a flat rate)."""
        if self.rates_by_status is not None:
            return self.rates_by_status.of(status)
        assert self.rates is not None  # the validator's rule: brackets have rates
        return self.rates


class StateNoIncomeTax(_Strict):
    """The state levies no tax on individuals' income: where the law says so."""

    reference: References


class StateCapitalGainsExcise(_Strict):
    """A tax on one kind of gain alone, not on income (RCW 82.87: Washington's excise
    on the sale of long-term capital assets).

    ``gains: net_long_term``: the federal net long-term capital gain, Schedule D line 15,
    long-term carryover included (WAC 458-20-301); short-term results never enter it. Less
    ``deduction`` (the standard deduction: a couple's one amount, however they file), the
    result is taxed by the schedule ``rates`` from ``thresholds``. A negative result is
    zero and nothing of it carries to another year (WAC 458-20-301).
    """

    INDEXED: ClassVar[str] = "deduction"

    reference: References
    name: str = Field(min_length=1)
    gains: Literal["net_long_term"]
    deduction: ByStatus
    rates: Rates
    thresholds: Thresholds
    indexing: Indexing | None = None

    @model_validator(mode="after")
    def _a_schedule(self) -> StateCapitalGainsExcise:
        if len(self.thresholds) != len(self.rates):
            raise ValueError(
                f"thresholds has {len(self.thresholds)} values but there are "
                f"{len(self.rates)} rates; give one threshold per rate"
            )
        if self.thresholds[0] != 0:
            raise ValueError("thresholds: the first rate starts at 0")
        for lower, upper in pairwise(self.rates):
            if upper <= lower:
                raise ValueError(f"rates must increase ({upper} follows {lower})")
        return self


class StateDeductionReduction(_Strict):
    """The standard deduction shrinks as federal AGI rises: by ``rate`` of federal AGI
    over ``agi_over``, but by no more than ``most`` (a share) of the deduction (Minn.
    Stat. 290.0123, subd. 5: the lesser of 3% of the excess and 80% of the deduction)."""

    agi_over: ByStatus
    rate: Rate
    most: Rate

    @model_validator(mode="after")
    def _shrinks(self) -> StateDeductionReduction:
        if self.rate <= 0:
            raise ValueError("rate: must be more than 0 (the share of AGI over agi_over)")
        return self


class StateStandardDeduction(_Strict):
    """The state's standard deduction (the engine always takes it: a federal itemized
    deduction is not the state's), with any ``reduction`` as federal AGI rises."""

    INDEXED: ClassVar[str] = "amount"

    reference: References
    amount: ByStatus
    reduction: StateDeductionReduction | None = None
    indexing: Indexing | None = None

    def at(self, status: FilingStatus, federal_agi: Decimal) -> Decimal:
        """The deduction for a filing status at a federal AGI."""
        amount = self.amount.of(status)
        cut = self.reduction
        if cut is None:
            return amount
        over = max(Decimal(0), federal_agi - cut.agi_over.of(status))
        return amount - min(cut.rate * over, cut.most * amount)


class StateExemption(_Strict):
    """An exemption allowance subtracted from income, the total for the filing status,
    none at all once federal AGI is more than ``lost_above_agi`` (a cliff: IL-1040
    Step 4)."""

    INDEXED: ClassVar[str] = "amount"

    reference: References
    amount: ByStatus
    lost_above_agi: ByStatus | None = None
    indexing: Indexing | None = None


class StatePhaseOut(_Strict):
    """Each credit is reduced by ``reduction`` for each ``step`` of federal AGI, or
    fraction of one, over ``agi_over`` (never below zero)."""

    agi_over: ByStatus
    step: ByStatus
    reduction: Amount

    @model_validator(mode="after")
    def _steps_are_positive(self) -> StatePhaseOut:
        for status in FILING_STATUSES:
            if self.step.of(status) < 1:
                raise ValueError(f"step.{status}: must be at least 1 (dollars of AGI)")
        return self


class StateExemptionCredit(_Strict):
    """A credit against the tax of ``amount`` for each personal exemption (``count``
    per filing status), after the AGI phase-out; it cannot make the tax negative."""

    reference: References
    amount: Amount
    count: CountByStatus
    phase_out: StatePhaseOut | None = None

    @model_validator(mode="after")
    def _phase_out_in_few_steps(self) -> StateExemptionCredit:
        phase = self.phase_out
        if phase is not None and phase.reduction > 0:
            if self.amount / phase.reduction > MAX_PHASE_OUT_STEPS:
                raise ValueError(
                    f"phase_out.reduction: at {phase.reduction} a step, the credit of "
                    f"{self.amount} takes more than {MAX_PHASE_OUT_STEPS:,} steps to reach "
                    "zero (a real phase-out takes tens)"
                )
        return self


class StateSurtax(_Strict):
    """A further ``rate`` on the part of ``base`` over a threshold (CA's 1% over $1M).

    ``base``: ``taxable_income``, the state's; or ``net_investment_income``, as IRC
    1411(c) defines it for the federal NIIT (Form 8960 line 8: qualified dividends and the
    capital result of Form 1040 line 7, never below zero; Minn. Stat. 290.033).
    ``same_for_all_statuses``: one ``threshold`` for every filing status, not doubled
    for a joint return (RTC §17043); otherwise ``threshold_by_status``.
    """

    reference: References
    name: str = Field(min_length=1)
    rate: Rate
    base: Literal["taxable_income", "net_investment_income"]
    same_for_all_statuses: bool
    threshold: Amount | None = None
    threshold_by_status: ByStatus | None = None

    @model_validator(mode="after")
    def _one_kind_of_threshold(self) -> StateSurtax:
        if self.same_for_all_statuses and (
            self.threshold is None or self.threshold_by_status is not None
        ):
            raise ValueError("same_for_all_statuses: give threshold, not threshold_by_status")
        if not self.same_for_all_statuses and (
            self.threshold_by_status is None or self.threshold is not None
        ):
            raise ValueError("give threshold_by_status (the threshold differs by status)")
        return self

    def threshold_for(self, status: FilingStatus) -> Decimal:
        if self.same_for_all_statuses:
            assert self.threshold is not None  # the validator's rule
            return self.threshold
        assert self.threshold_by_status is not None
        return self.threshold_by_status.of(status)


class StateRules(RuleFile):
    """One state's rules for one tax year: an ``income_tax`` (with its ``base`` and
    ``capital_loss``), or ``no_income_tax``; and a ``capital_gains_excise`` with
    either."""

    jurisdiction: Annotated[str, Field(pattern=r"^us-[a-z]{2}$")]
    year: Annotated[int, Field(ge=2000, le=2100), WHOLE]
    status: Literal["official", "projected", "unverified"]
    last_verified: dt.date | None
    notes: str | None = None
    no_income_tax: StateNoIncomeTax | None = None
    base: StateBase | None = None
    capital_loss: StateCapitalLoss | None = None
    income_tax: StateIncomeTax | None = None
    standard_deduction: StateStandardDeduction | None = None
    exemption: StateExemption | None = None
    exemption_credit: StateExemptionCredit | None = None
    surtax: StateSurtax | None = None
    capital_gains_excise: StateCapitalGainsExcise | None = None

    # The sections that describe an income tax: none of them goes with no_income_tax.
    _INCOME_TAX_PARTS: ClassVar[tuple[str, ...]] = (
        "base",
        "capital_loss",
        "income_tax",
        "standard_deduction",
        "exemption",
        "exemption_credit",
        "surtax",
    )

    @model_validator(mode="after")
    def _an_income_tax_or_none(self) -> StateRules:
        if self.no_income_tax is not None:
            given = [name for name in self._INCOME_TAX_PARTS if getattr(self, name) is not None]
            if given:
                raise ValueError(
                    f"{given[0]}: a state with no_income_tax has no income tax sections"
                )
            return self
        for name in ("income_tax", "base", "capital_loss"):
            if getattr(self, name) is None:
                raise ValueError(
                    f"{name}: missing (give income_tax with base and capital_loss, or "
                    "no_income_tax for a state that taxes no income)"
                )
        return self

    @property
    def state(self) -> str:
        """The two-letter code, as the Profile gives it: ``CA`` for ``us-ca``."""
        return self.jurisdiction.removeprefix("us-").upper()

    @property
    def keeps_own_carryover(self) -> bool:
        """Whether the state keeps a capital loss carryover of its own (CA's worksheet),
        netted in one class and carried forward, apart from the federal ones."""
        loss = self.capital_loss
        return loss is not None and loss.netting == "one_class" and loss.carryforward

    @property
    def taxes_gains(self) -> bool:
        """Whether the state taxes a capital gain at all (by its income tax or an
        excise): a state with neither adds nothing to any plan's tax."""
        return self.income_tax is not None or self.capital_gains_excise is not None

    def describe(self) -> str:
        """Short label such as ``us-ca 2025 (official)`` for messages and the workbook."""
        return f"{self.jurisdiction} {self.year} ({self.status})"


AnyRules: TypeAlias = "Rules | StateRules"


def is_state_jurisdiction(jurisdiction: object) -> bool:
    """``us-ca`` and the like: a state's folder, whose files are ``StateRules``."""
    return isinstance(jurisdiction, str) and jurisdiction.startswith("us-")


def model_for(jurisdiction: object) -> type[Rules] | type[StateRules]:
    """The model a rule file is validated against, by the jurisdiction it gives."""
    return StateRules if is_state_jurisdiction(jurisdiction) else Rules
