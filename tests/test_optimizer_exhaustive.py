"""The optimizer's plan is the true optimum: compared with exhaustive search."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tlh_xl import FILING_STATUSES, load_rules
from tlh_xl.harvest.optimizer import Candidate, optimize
from tlh_xl.tax import TaxInputs

from .bruteforce import Brute

RULES = {y: load_rules(y) for y in (2024, 2025, 2026)}
cents = lambda lo, hi: st.decimals(min_value=lo, max_value=hi, places=2)


@st.composite
def portfolios(draw):
    n = draw(st.integers(min_value=1, max_value=4))
    fees = draw(st.booleans())
    lots = []
    for i in range(n):
        loss = draw(cents(Decimal("10"), Decimal("60000")))
        proceeds = draw(cents(Decimal("0"), Decimal("80000")))
        rate = Decimal("0.01") if fees else Decimal(0)
        mult = draw(st.sampled_from([1, 2]))
        lots.append(
            Candidate(
                i,
                draw(st.sampled_from(["short", "long"])),
                loss,
                proceeds * rate * mult,
                draw(st.booleans()) or not fees,
            )
        )
    base = TaxInputs(
        filing_status=draw(st.sampled_from(FILING_STATUSES)),
        ordinary_income=draw(
            st.sampled_from(
                [
                    Decimal(0),
                    Decimal(9_000),
                    Decimal(45_000),
                    Decimal(120_000),
                    Decimal(260_000),
                    Decimal(700_000),
                ]
            )
        )
        + draw(cents(0, 5000)),
        st_gain=draw(st.one_of(st.just(Decimal(0)), cents(-20000, 80000))),
        lt_gain=draw(st.one_of(st.just(Decimal(0)), cents(-20000, 120000))),
        qualified_dividends=draw(st.one_of(st.just(Decimal(0)), cents(0, 20000))),
        st_carryforward=draw(st.one_of(st.just(Decimal(0)), cents(0, 10000))),
        lt_carryforward=draw(st.one_of(st.just(Decimal(0)), cents(0, 10000))),
    )
    cv = draw(st.sampled_from([Decimal(0), Decimal("0.15"), Decimal("0.238")]))
    return draw(st.sampled_from(sorted(RULES))), base, cv, lots


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(portfolios())
def test_optimizer_matches_exhaustive_search(case) -> None:
    year, base, cv, lots = case
    rules = RULES[year]
    plan = optimize(rules, base, cv, lots)
    brute = Brute(rules, base, cv, lots).best()
    assert plan.objective >= brute - Decimal("0.01"), (plan, brute)
    # and the optimizer's claimed value is real:
    fr = tuple(plan.fractions.get(c.key, Decimal(0)) for c in lots)
    assert abs(Brute(rules, base, cv, lots).f(fr) - plan.objective) < Decimal("0.000001")
