"""Federal income tax for one year: regular tax plus the net investment income tax.

``compute_tax`` is the public entry point. It converts its arguments to ``Decimal`` once,
then follows the forms in order:

1. Schedule D netting with carryovers in, and the §1211(b) loss limit (``schedule_d``);
2. AGI, the deduction (standard unless given) and taxable income;
3. regular tax by the rate schedule, the Qualified Dividends and Capital Gain Tax
   Worksheet, or the Schedule D Tax Worksheet when there is 28% rate gain
   (``worksheets``);
4. NIIT on Form 8960's terms: 3.8% of the lesser of net investment income and modified
   AGI over the threshold;
5. the Capital Loss Carryover Worksheet for what carries to next year.

Figures are exact until the end, where they are rounded to cents.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ..errors import InputError
from ..filing_status import FilingStatus, parse_filing_status
from ..money import ZERO, Number, cents, to_decimal
from ..rulebook.model import Rules
from .schedule_d import Netting, carryover_worksheet, net_capital
from .worksheets import WorksheetTax, qdcg_worksheet, schedule_d_worksheet, schedule_tax

__all__ = ["Exact", "TaxInputs", "TaxResult", "compute_tax", "evaluate", "tax_inputs"]

_ONE = Decimal(1)


@dataclass(frozen=True)
class TaxInputs:
    """Validated ``Decimal`` inputs to one tax computation."""

    filing_status: FilingStatus
    ordinary_income: Decimal
    st_gain: Decimal = ZERO
    lt_gain: Decimal = ZERO
    qualified_dividends: Decimal = ZERO
    collectibles_gain: Decimal = ZERO
    deduction: Decimal | None = None
    st_carryforward: Decimal = ZERO
    lt_carryforward: Decimal = ZERO
    # A state's own capital loss carryover from last year, where the state keeps one
    # apart from the federal ones (CA's worksheet: one amount); None: the federal
    # carryforwards are taken as the state's. The federal tax never reads it.
    state_carryforward: Decimal | None = None


@dataclass(frozen=True)
class TaxResult:
    """One year's federal tax, rounded to cents. ``total_tax`` = regular tax + NIIT."""

    year: int
    filing_status: FilingStatus
    agi: Decimal
    deduction: Decimal
    taxable_income: Decimal
    net_short_term: Decimal
    net_long_term: Decimal
    net_capital_gain: Decimal
    rate_28_gain: Decimal
    capital_loss_deduction: Decimal
    capital_loss_deduction_used: Decimal
    regular_tax: Decimal
    net_investment_income: Decimal
    niit: Decimal
    total_tax: Decimal
    st_carryforward_out: Decimal
    lt_carryforward_out: Decimal
    marginal_ordinary_rate: Decimal
    marginal_short_term_rate: Decimal
    marginal_long_term_rate: Decimal
    method: str


@dataclass(frozen=True)
class Exact:
    netting: Netting
    agi: Decimal
    deduction: Decimal
    taxable_income: Decimal
    worksheet: WorksheetTax
    net_investment_income: Decimal
    niit: Decimal
    st_out: Decimal
    lt_out: Decimal
    loss_used: Decimal
    method: str

    @property
    def regular_tax(self) -> Decimal:
        return self.worksheet.tax

    @property
    def total_tax(self) -> Decimal:
        return self.regular_tax + self.niit

    @property
    def carryforward_out(self) -> Decimal:
        return self.st_out + self.lt_out


def evaluate(rules: Rules, x: TaxInputs) -> Exact:
    """The exact (unrounded) computation behind ``compute_tax``; the optimizer calls it."""
    status = x.filing_status
    netting = net_capital(
        x.st_gain,
        x.lt_gain,
        x.collectibles_gain,
        x.st_carryforward,
        x.lt_carryforward,
        rules.capital_loss.limit.of(status),
    )
    agi = x.ordinary_income + x.qualified_dividends + netting.capital_income
    deduction = (
        x.deduction if x.deduction is not None else rules.standard_deduction.amount.of(status)
    )
    signed_taxable = agi - deduction
    taxable = max(ZERO, signed_taxable)

    rates = rules.ordinary_income.rates
    thresholds = rules.ordinary_income.thresholds.of(status)
    cg = rules.capital_gains
    cg_thresholds = cg.thresholds.of(status)
    preferential = x.qualified_dividends + netting.net_capital_gain
    if netting.rate_28_gain > 0:
        method = "Schedule D Tax Worksheet"
        worksheet = schedule_d_worksheet(
            taxable,
            x.qualified_dividends,
            netting.net_capital_gain,
            netting.rate_28_gain,
            cg.rates,
            cg_thresholds,
            cg.collectibles_rate,
            rates,
            thresholds,
        )
    elif preferential > 0:
        method = "Qualified Dividends and Capital Gain Tax Worksheet"
        worksheet = qdcg_worksheet(
            taxable,
            x.qualified_dividends,
            netting.net_capital_gain,
            cg.rates,
            cg_thresholds,
            rates,
            thresholds,
        )
    else:
        method = "Tax Rate Schedule"
        plain = schedule_tax(taxable, rates, thresholds)
        worksheet = WorksheetTax(plain, plain)

    # Form 8960: a net capital loss counts only up to the amount deducted on Form 1040
    # line 7 (Treas. Reg. §1.1411-4(d)); total investment income is floored at zero.
    nii = max(ZERO, x.qualified_dividends + netting.capital_income)
    over = max(ZERO, agi - rules.niit.thresholds.of(status))
    niit = rules.niit.rate * min(nii, over)

    st_out, lt_out, used = carryover_worksheet(netting, signed_taxable)
    return Exact(
        netting, agi, deduction, taxable, worksheet, nii, niit, st_out, lt_out, used, method
    )


def _marginal(rules: Rules, x: TaxInputs, base: Decimal, field: str) -> Decimal:
    bumped = TaxInputs(**{**x.__dict__, field: getattr(x, field) + _ONE})
    return evaluate(rules, bumped).total_tax - base


def _is_missing(value: object) -> bool:
    """No value given: None, or an empty text (a blank cell), as the Profile reads one."""
    return value is None or (isinstance(value, str) and value == "")


def _money(value: Number | None, what: str, *, allow_negative: bool = True) -> Decimal:
    """An optional amount: missing is 0, as a blank Profile cell is. Every amount goes
    through ``to_decimal``: NaN, infinity and amounts of 10^15 or more are refused,
    naming ``what``."""
    if _is_missing(value):
        return ZERO
    amount = to_decimal(value, what)
    if not allow_negative and amount < 0:
        raise InputError(f"{what}: must be zero or more (enter carryforwards as positive numbers)")
    return amount


def _required(value: Number | None, what: str, parameter: str) -> Decimal:
    """A required amount: missing is an error naming it, as the Profile's rule for the
    same value (``harvest.inputs.resolve_profile``), never a silent 0."""
    if _is_missing(value):
        raise InputError(f"{what}: is empty ({parameter} is required; give 0 for none)")
    return _money(value, what)


def tax_inputs(
    *,
    filing_status: str,
    ordinary_income: Number,
    st_gain: Number = 0,
    lt_gain: Number = 0,
    qualified_dividends: Number = 0,
    collectibles_gain: Number = 0,
    deduction: Number | None = None,
    st_carryforward: Number = 0,
    lt_carryforward: Number = 0,
    state_carryforward: Number | None = None,
) -> TaxInputs:
    """``TaxInputs`` from friendly values, each converted to ``Decimal`` once (the
    arguments as ``compute_tax`` takes them). ``filing_status`` and ``ordinary_income``
    are required: None or empty text is an ``InputError`` naming it; the other amounts
    default to 0 (``deduction``: the standard deduction)."""
    return TaxInputs(
        filing_status=parse_filing_status(filing_status),
        ordinary_income=_required(ordinary_income, "ordinary income", "ordinary_income"),
        st_gain=_money(st_gain, "short-term gain"),
        lt_gain=_money(lt_gain, "long-term gain"),
        qualified_dividends=_money(
            qualified_dividends, "qualified dividends", allow_negative=False
        ),
        collectibles_gain=_money(collectibles_gain, "collectibles gain"),
        deduction=None
        if _is_missing(deduction)
        else _money(deduction, "deduction", allow_negative=False),
        st_carryforward=_money(st_carryforward, "short-term carryforward", allow_negative=False),
        lt_carryforward=_money(lt_carryforward, "long-term carryforward", allow_negative=False),
        state_carryforward=None
        if _is_missing(state_carryforward)
        else _money(state_carryforward, "state carryforward", allow_negative=False),
    )


def compute_tax(
    rules: Rules,
    *,
    filing_status: str,
    ordinary_income: Number,
    st_gain: Number = 0,
    lt_gain: Number = 0,
    qualified_dividends: Number = 0,
    collectibles_gain: Number = 0,
    deduction: Number | None = None,
    st_carryforward: Number = 0,
    lt_carryforward: Number = 0,
) -> TaxResult:
    """Federal regular income tax plus NIIT for one tax year.

    ``ordinary_income`` is wages and other non-capital income before the deduction; it
    excludes ``qualified_dividends``, which are given separately. ``st_gain`` and
    ``lt_gain`` are this year's net realized short- and long-term gains (negative for
    losses); ``collectibles_gain`` is long-term collectibles gain taxed at up to 28%, in
    addition to ``lt_gain``. Carryforwards are positive numbers. ``deduction`` of None
    means the standard deduction for the year and filing status.

    The rules for a value are the Profile's: ``ordinary_income`` is required (None or
    empty text is an ``InputError``), another amount left out (None, empty text) is 0; an
    amount that is not a finite number below 10^15 in size (``money.MAX_AMOUNT``) is an
    ``InputError`` naming it.
    """
    x = tax_inputs(
        filing_status=filing_status,
        ordinary_income=ordinary_income,
        st_gain=st_gain,
        lt_gain=lt_gain,
        qualified_dividends=qualified_dividends,
        collectibles_gain=collectibles_gain,
        deduction=deduction,
        st_carryforward=st_carryforward,
        lt_carryforward=lt_carryforward,
    )
    exact = evaluate(rules, x)
    base = exact.total_tax
    n = exact.netting
    return TaxResult(
        year=rules.year,
        filing_status=x.filing_status,
        agi=cents(exact.agi),
        deduction=cents(exact.deduction),
        taxable_income=cents(exact.taxable_income),
        net_short_term=cents(n.net_short_term),
        net_long_term=cents(n.net_long_term),
        net_capital_gain=cents(n.net_capital_gain),
        rate_28_gain=cents(n.rate_28_gain),
        capital_loss_deduction=cents(n.loss_deduction),
        capital_loss_deduction_used=cents(exact.loss_used),
        regular_tax=cents(exact.regular_tax),
        net_investment_income=cents(exact.net_investment_income),
        niit=cents(exact.niit),
        total_tax=cents(exact.regular_tax) + cents(exact.niit),
        st_carryforward_out=cents(exact.st_out),
        lt_carryforward_out=cents(exact.lt_out),
        marginal_ordinary_rate=_marginal(rules, x, base, "ordinary_income"),
        marginal_short_term_rate=_marginal(rules, x, base, "st_gain"),
        marginal_long_term_rate=_marginal(rules, x, base, "lt_gain"),
        method=exact.method,
    )
