"""Properties of the tax engine that must hold for every input (hypothesis)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from tlh_xl import FILING_STATUSES, compute_tax, load_rules
from tlh_xl.tax.worksheets import qdcg_worksheet, schedule_d_worksheet, schedule_tax

RULES = {year: load_rules(year) for year in (2023, 2024, 2025, 2026)}

money = st.decimals(min_value=-2_000_000, max_value=2_000_000, places=2)
positive = st.decimals(min_value=0, max_value=1_000_000, places=2)
income = st.decimals(min_value=0, max_value=3_000_000, places=2)
bump = st.decimals(min_value=Decimal("0.01"), max_value=500_000, places=2)

scenario = st.fixed_dictionaries(
    {
        "year": st.sampled_from(sorted(RULES)),
        "filing_status": st.sampled_from(FILING_STATUSES),
        "ordinary_income": income,
        "st_gain": money,
        "lt_gain": money,
        "qualified_dividends": st.one_of(st.just(Decimal(0)), positive),
        "collectibles_gain": st.one_of(st.just(Decimal(0)), money),
        "st_carryforward": st.one_of(st.just(Decimal(0)), positive),
        "lt_carryforward": st.one_of(st.just(Decimal(0)), positive),
    }
)


def _tax(s: dict, **changes: Decimal):
    args = {**s, **changes}
    year = args.pop("year")
    return compute_tax(RULES[year], **args)


@settings(max_examples=300, deadline=None)
@given(scenario)
def test_tax_is_never_negative_and_loss_deduction_within_limit(s: dict) -> None:
    r = _tax(s)
    assert r.regular_tax >= 0 and r.niit >= 0 and r.total_tax >= 0
    limit = RULES[s["year"]].capital_loss.limit.of(r.filing_status)
    assert 0 <= r.capital_loss_deduction <= limit
    assert 0 <= r.capital_loss_deduction_used <= r.capital_loss_deduction


@settings(max_examples=300, deadline=None)
@given(
    scenario,
    st.sampled_from(
        ["ordinary_income", "st_gain", "lt_gain", "collectibles_gain", "qualified_dividends"]
    ),
    bump,
)
def test_tax_never_falls_as_income_or_gains_rise(s: dict, field: str, more: Decimal) -> None:
    assert _tax(s, **{field: s[field] + more}).total_tax >= _tax(s).total_tax


@settings(max_examples=300, deadline=None)
@given(scenario)
def test_losses_are_conserved(s: dict) -> None:
    """Loss in = gains offset + deduction used against income + carried out."""
    r = _tax(s)
    results = [s["st_gain"], s["lt_gain"], s["collectibles_gain"]]
    losses_in = s["st_carryforward"] + s["lt_carryforward"] + sum(-v for v in results if v < 0)
    gains = sum(v for v in results if v > 0)
    offset = min(losses_in, gains)
    carried = r.st_carryforward_out + r.lt_carryforward_out
    assert losses_in == offset + r.capital_loss_deduction_used + carried


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(sorted(RULES)),
    st.sampled_from(FILING_STATUSES),
    st.decimals(min_value=0, max_value=2_000_000, places=2),
    st.decimals(min_value=0, max_value=1, places=4),
    st.decimals(min_value=0, max_value=1, places=4),
)
def test_worksheets_agree_without_28_percent_gain(
    year: int, status: str, taxable: Decimal, qd_share: Decimal, gain_share: Decimal
) -> None:
    """The Schedule D Tax Worksheet reduces to the QDCG worksheet when line 18 is zero."""
    rules = RULES[year]
    qd = taxable * qd_share
    gain = (taxable - qd) * gain_share
    cg = rules.capital_gains
    args = (cg.rates, cg.thresholds.of(status))  # type: ignore[arg-type]
    sched = (rules.ordinary_income.rates, rules.ordinary_income.thresholds.of(status))  # type: ignore[arg-type]
    a = qdcg_worksheet(taxable, qd, gain, *args, *sched)
    b = schedule_d_worksheet(taxable, qd, gain, Decimal(0), *args, cg.collectibles_rate, *sched)
    assert a == b and a.tax <= a.all_ordinary


def test_collectibles_never_taxed_above_28_percent_when_ordinary_rate_is_higher() -> None:
    rules = RULES[2025]
    base = compute_tax(rules, filing_status="single", ordinary_income=1_000_000)
    more = compute_tax(
        rules, filing_status="single", ordinary_income=1_000_000, collectibles_gain=10_000
    )
    # 28% + 3.8% NIIT on the extra 10,000
    assert more.total_tax - base.total_tax == Decimal("3180.00")
    assert more.method == "Schedule D Tax Worksheet"


@st.composite
def schedule_points(draw):
    rules = RULES[draw(st.sampled_from(sorted(RULES)))]
    thresholds = rules.ordinary_income.thresholds.of(draw(st.sampled_from(FILING_STATUSES)))
    at = draw(st.sampled_from(thresholds))
    near = at + draw(st.sampled_from([Decimal("-0.01"), Decimal(0), Decimal("0.01")]))
    amount = draw(st.one_of(st.just(near), income))
    return rules.ordinary_income.rates, thresholds, amount


@settings(max_examples=300)
@given(schedule_points())
def test_the_rate_schedule_sums_each_bracket(case) -> None:
    """The precomputed schedule equals the bracket-by-bracket sum, at and near every
    threshold: 10% of the first bracket, 12% of the second, and so on."""
    rates, thresholds, amount = case
    by_bracket = sum(
        (
            (min(amount, upper) - lower) * rate
            for rate, lower, upper in zip(rates, thresholds, [*thresholds[1:], amount])
            if amount > lower
        ),
        Decimal(0),
    )
    assert schedule_tax(amount, rates, thresholds) == by_bracket
