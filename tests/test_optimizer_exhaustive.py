"""The optimizer's plan is the true optimum: compared with exhaustive search."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tlh_xl import FILING_STATUSES, load_rules
from tlh_xl.harvest.optimizer import Candidate, optimize
from tlh_xl.tax import CombinedTax, FederalTax, StateTax, TaxInputs

from .bruteforce import Brute
from .test_tax_bends import FlatStateTax

RULES = {y: load_rules(y) for y in (2024, 2025, 2026)}
cents = lambda lo, hi: st.decimals(min_value=lo, max_value=hi, places=2)


@st.composite
def portfolios(draw, collectibles: bool = False):
    """A year, a profile, a carryforward value and 1–4 loss lots; with ``collectibles``,
    the profile has realized collectibles gain (the Schedule D Tax Worksheet)."""
    n = draw(st.integers(min_value=1, max_value=4))
    fees = draw(st.booleans())
    lots = []
    for i in range(n):
        loss = draw(cents(Decimal("10"), Decimal("60000")))
        proceeds = draw(cents(Decimal("0"), Decimal("80000")))
        rate = Decimal("0.01") if fees else Decimal(0)
        mult = draw(st.sampled_from([1, 2]))
        term = draw(st.sampled_from(["short", "long"]))
        # With collectibles: an NFT that is a collectible (sold whole, long-term).
        collectible = collectibles and term == "long" and draw(st.booleans())
        lots.append(
            Candidate(
                i,
                term,
                loss,
                proceeds * rate * mult,
                not collectible and (draw(st.booleans()) or not fees),
                collectible,
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
        collectibles_gain=draw(cents(1, 90000)) if collectibles else Decimal(0),
    )
    cv = draw(st.sampled_from([Decimal(0), Decimal("0.15"), Decimal("0.238")]))
    return draw(st.sampled_from(sorted(RULES))), base, cv, lots


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(portfolios())
def test_optimizer_matches_exhaustive_search(case) -> None:
    _matches_exhaustive_search(case)


def _matches_exhaustive_search(case) -> None:
    """The plan is at least the oracle's best, and its claimed value is real."""
    year, base, cv, lots = case
    rules = RULES[year]
    plan = optimize(rules, base, cv, lots)
    brute = Brute(rules, base, cv, lots).best()
    assert plan.objective >= brute - Decimal("0.01"), (plan, brute)
    fr = tuple(plan.fractions.get(c.key, Decimal(0)) for c in lots)
    assert abs(Brute(rules, base, cv, lots).f(fr) - plan.objective) < Decimal("0.000001")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(portfolios(collectibles=True))
@example(
    (
        2025,
        TaxInputs(
            "single",
            Decimal(150_000),
            st_gain=Decimal(4_000),
            lt_gain=Decimal(30_000),
            qualified_dividends=Decimal(2_000),
            collectibles_gain=Decimal(40_000),
            lt_carryforward=Decimal(5_000),
        ),
        Decimal("0.15"),
        [
            Candidate(0, "short", Decimal(9_000), Decimal(40), True),
            Candidate(1, "long", Decimal(45_000), Decimal(200), True),
            Candidate(2, "long", Decimal(20_000), Decimal(90), False),
        ],
    )
)
# Found by hypothesis: without the Schedule D Tax Worksheet's own bends (here a = −rate
# 28% gain, the short-term loss using up the collectibles gain) the plan fell 0.17 short.
@example(
    (
        2025,
        TaxInputs(
            "qualifying_surviving_spouse",
            Decimal("47052.49"),
            st_gain=Decimal("-1029.02"),
            lt_gain=Decimal("10587.83"),
            qualified_dividends=Decimal("0.01"),
            collectibles_gain=Decimal("1032.42"),
        ),
        Decimal("0.15"),
        [
            Candidate(0, "short", Decimal("79.43"), Decimal("0.1745"), True),
            Candidate(1, "long", Decimal("1010.74"), Decimal("2.2588"), False),
            Candidate(2, "long", Decimal("1867.80"), Decimal("18.6780"), False),
            Candidate(3, "short", Decimal("23.06"), Decimal("25.9657"), False),
        ],
    )
)
def test_the_optimizer_is_exact_with_collectibles_gain(case) -> None:
    """Realized collectibles gain: the 28% rate gain's own bends must be listed too."""
    _matches_exhaustive_search(case)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(portfolios())
def test_the_optimizer_is_exact_with_a_combined_tax(case) -> None:
    """Federal plus a state tax: the optimizer asks the combined system, and the plan is
    the best against exhaustive search of the same system."""
    year, base, cv, lots = case
    tax = CombinedTax(FederalTax(RULES[year]), FlatStateTax())
    plan = optimize(tax, base, cv, lots)
    brute = Brute(tax, base, cv, lots)
    assert plan.objective >= brute.best() - Decimal("0.01"), plan
    fr = tuple(plan.fractions.get(c.key, Decimal(0)) for c in lots)
    assert abs(brute.f(fr) - plan.objective) < Decimal("0.000001")


# --- With a state: federal plus the state's tax, against exhaustive search ---------------

# One state for each mechanism (tests/test_tax_bends.py says which).
STATES = ("us-ca", "us-pa", "us-il", "us-nj", "us-wa", "us-mn", "us-tx")
STATE_RULES = {(j, y): load_rules(y, j) for j in STATES for y in (2025, 2026)}


@st.composite
def state_portfolios(draw):
    """A portfolio as ``portfolios`` draws it, a state and a year it has rules for;
    half the time the income sits near the states' steps (CA's exemption credit
    phase-out from 252,203 single and 504,411 joint, IL's cliff at 250,000 and 500,000)
    so that the losses move federal AGI across them; for WA, the long-term gain sits near
    the excise's deduction (278,000; 139,000 MFS) or its 9.9% tier; for MN, the income
    near where its deduction starts and stops shrinking (federal AGI 238,950; 119,475
    MFS; 637,617 single) or the long-term gain near its 1% over 1,000,000."""
    year, base, cv, lots = draw(portfolios())
    year = draw(st.sampled_from([2025, 2026]))
    state = draw(st.sampled_from(STATES))
    if draw(st.booleans()):
        if state == "us-mn" and draw(st.booleans()):
            base = replace(base, lt_gain=Decimal(996_000) + draw(cents(0, 8000)))
        elif state == "us-mn":
            near = draw(st.sampled_from([Decimal(115_000), Decimal(235_000), Decimal(634_000)]))
            base = replace(base, ordinary_income=near + draw(cents(0, 8000)))
        elif state == "us-wa":
            near = draw(st.sampled_from([Decimal(135_000), Decimal(275_000), Decimal(1_275_000)]))
            base = replace(base, lt_gain=near + draw(cents(0, 8000)))
        else:
            near = draw(st.sampled_from([Decimal(245_000), Decimal(262_000), Decimal(498_000)]))
            base = replace(base, ordinary_income=near + draw(cents(0, 8000)))
    return year, state, base, cv, lots[:3]


def _matches_with_a_state(case) -> None:
    year, state, base, cv, lots = case
    federal = RULES[year]
    tax = CombinedTax(FederalTax(federal), StateTax(STATE_RULES[(state, year)], federal))
    plan = optimize(tax, base, cv, lots)
    brute = Brute(tax, base, cv, lots)
    assert plan.objective >= brute.best() - Decimal("0.01"), plan
    fr = tuple(plan.fractions.get(c.key, Decimal(0)) for c in lots)
    assert abs(brute.f(fr) - plan.objective) < Decimal("0.000001")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(state_portfolios())
# CA, single, at the phase-out: 250,000 of wages and 9,000 of short-term gain put federal
# AGI at 259,000, three steps in (252,203 + 2 x 2,500 < 259,000 <= 252,203 + 3 x 2,500);
# each dollar of loss saves 35% + 9.3%, and every $2,500 of it $6 of credit more.
@example(
    (
        2025,
        "us-ca",
        TaxInputs("single", Decimal(250_000), st_gain=Decimal(9_000)),
        Decimal(0),
        [
            Candidate(0, "short", Decimal(7_000), Decimal(30), True),
            Candidate(1, "long", Decimal(4_000), Decimal(400), True),
        ],
    )
)
# CA's own carryover apart from the federal one: 6,000 of short-term gain, a federal
# carryforward of 8,000 (federally past the $3,000 limit already) but a California one of
# 1,000, so California still taxes 5,000 of gain that a loss can take off at 9.3%.
@example(
    (
        2025,
        "us-ca",
        replace(
            TaxInputs(
                "single", Decimal(90_000), st_gain=Decimal(6_000), st_carryforward=Decimal(8_000)
            ),
            state_carryforward=Decimal(1_000),
        ),
        Decimal("0.1"),
        [
            Candidate(0, "short", Decimal(4_000), Decimal(30), True),
            Candidate(1, "long", Decimal(3_000), Decimal(20), True),
        ],
    )
)
# PA's zero floor with a federal carryforward: the federal return is past its $3,000
# limit at a + b = -3,000, Pennsylvania's class at zero only once this year's 6,000 of
# gains are offset (its net ignores the 8,000 carried in).
@example(
    (
        2025,
        "us-pa",
        TaxInputs(
            "married_joint",
            Decimal(90_000),
            st_gain=Decimal(6_000),
            st_carryforward=Decimal(8_000),
        ),
        Decimal("0.15"),
        [
            Candidate(0, "short", Decimal(5_000), Decimal(100), True),
            Candidate(1, "short", Decimal(3_000), Decimal(20), True),
        ],
    )
)
# IL's cliff: 247,000 of wages and 5,000 of gains, a 2,000.01 loss brings federal AGI to
# 249,999.99, back under the 250,000 limit: the exemption (4.95% x 2,850 = 141.08) returns.
@example(
    (
        2025,
        "us-il",
        TaxInputs("head_of_household", Decimal(247_000), lt_gain=Decimal(5_000)),
        Decimal(0),
        [Candidate(0, "long", Decimal("2000.01"), Decimal(300), True)],
    )
)
# NJ's zero floor: 12,000 of short-term gain, and losses of 9,000 and 6,000. Past the
# gain a loss saves no NJ tax (a net loss counts as zero, nothing carries), only federal.
@example(
    (
        2025,
        "us-nj",
        TaxInputs("married_joint", Decimal(140_000), st_gain=Decimal(12_000)),
        Decimal("0.15"),
        [
            Candidate(0, "short", Decimal(9_000), Decimal(40), True),
            Candidate(1, "long", Decimal(6_000), Decimal(25), True),
        ],
    )
)
# WA's deduction: 283,000 of long-term gain, 5,000 over 278,000. A long-term loss saves
# 7% on the first 5,000 of it as well as federal tax; a short-term loss saves no excise.
@example(
    (
        2025,
        "us-wa",
        TaxInputs("single", Decimal(200_000), lt_gain=Decimal(283_000)),
        Decimal("0.2"),
        [
            Candidate(0, "long", Decimal(8_000), Decimal(30), True),
            Candidate(1, "short", Decimal(4_000), Decimal(10), True),
        ],
    )
)
# MN's shrinking deduction: 243,000 of wages and 2,000 of short-term gain put federal AGI
# at 245,000, 6,050 over 238,950; there each dollar of loss saves 9.85% x 1.03 of MN tax,
# below it 9.85%.
@example(
    (
        2025,
        "us-mn",
        TaxInputs("single", Decimal(243_000), st_gain=Decimal(2_000)),
        Decimal("0.1"),
        [
            Candidate(0, "short", Decimal(7_000), Decimal(30), True),
            Candidate(1, "long", Decimal(3_000), Decimal(15), True),
        ],
    )
)
# MN's 1% on net investment income over 1,000,000: 1,004,000 of long-term gain; the
# first 4,000 of a long-term loss saves the 1% as well.
@example(
    (
        2025,
        "us-mn",
        TaxInputs("married_joint", Decimal(300_000), lt_gain=Decimal(1_004_000)),
        Decimal(0),
        [Candidate(0, "long", Decimal(6_000), Decimal(40), True)],
    )
)
def test_the_optimizer_is_exact_with_a_state(case) -> None:
    """Federal plus a shipped state (CA, PA, IL, NJ, WA, MN, TX): the plan is the best
    against exhaustive search of the same combined tax (the oracle finds the states'
    bends and steps numerically)."""
    _matches_with_a_state(case)


def test_a_step_worth_crossing_is_found() -> None:
    """IL, head of household, 2025: 242,000 of wages and 10,000 of long-term gain put
    federal AGI at 252,000, over the 250,000 limit. Each dollar of loss saves 15% + 3.8%
    NIIT + 4.95% = 23.75% and costs 28%: not worth it, except that the loss that brings
    AGI to 250,000 gets the exemption back, 4.95% x 2,850 = 141.075. So the best plan
    harvests exactly 2,000: 2,000 x 23.75% + 141.075 - 2,000 x 28% = 56.075."""
    federal = RULES[2025]
    il = StateTax(STATE_RULES[("us-il", 2025)], federal)
    tax = CombinedTax(FederalTax(federal), il)
    base = TaxInputs("head_of_household", Decimal(242_000), lt_gain=Decimal(10_000))
    lots = [Candidate(0, "long", Decimal(5_000), Decimal(1_400), True)]
    plan = optimize(tax, base, Decimal(0), lots)
    assert (plan.loss_long, plan.objective) == (2_000, Decimal("56.075"))
    assert plan.objective >= Brute(tax, base, Decimal(0), lots).best() - Decimal("0.01")


def test_rules_mean_their_federal_tax() -> None:
    """Callers that still pass a rule file get the same plan as with ``FederalTax``."""
    base = TaxInputs("married_joint", Decimal(90_000), st_gain=Decimal(12_000))
    lots = [Candidate(0, "short", Decimal(20_000), Decimal(30), True)]
    rules = RULES[2025]
    assert optimize(rules, base, Decimal("0.1"), lots) == optimize(
        FederalTax(rules), base, Decimal("0.1"), lots
    )


def test_the_worked_example_in_docs() -> None:
    """docs/OPTIMIZER.md works this example by hand: its figures are the code's."""
    from tlh_xl.harvest.optimizer import LossColumns, _BendLines, _Ladder, _solve_divisible

    base = TaxInputs("single", Decimal(70_000), st_gain=Decimal(6_000), lt_gain=Decimal(10_000))
    lots = [
        Candidate(1, "short", Decimal(9_000), Decimal(45), True),
        Candidate(2, "long", Decimal(7_000), Decimal(35), True),
        Candidate(3, "long", Decimal(4_000), Decimal(200), True),
    ]
    tax = FederalTax(RULES[2025])
    bends = tax.bends(base)
    assert (len(bends.short), len(bends.long), len(bends.total)) == (11, 1, 12)
    short, long = _Ladder(LossColumns.of(lots[:1])), _Ladder(LossColumns.of(lots[1:]))
    lines = _BendLines(bends, base, short, long)
    assert lines.short == {0, 6_000, 9_000} and lines.long == {0, 10_000, 11_000}
    assert lines.total == {16_000, 19_000}
    *_, evaluations = _solve_divisible(tax, bends, base, Decimal(0), short, long)
    assert evaluations == 12
    plan = optimize(tax, base, Decimal(0), lots)
    assert (plan.loss_short, plan.loss_long, plan.objective) == (9_000, 10_000, 3_250)
    assert plan.fractions == {1: 1, 2: 1, 3: Decimal("0.75")}
    assert Brute(RULES[2025], base, Decimal(0), lots).best() == 3_250


@st.composite
def collectible_nfts(draw):
    """6–9 NFTs at a loss, some of them collectibles, with realized collectibles gain
    and fees: which to sell is a choice the 28% worksheet weighs."""
    m = draw(st.integers(min_value=6, max_value=9))
    rate = draw(st.sampled_from([Decimal("0.01"), Decimal("0.05"), Decimal("0.2")]))
    lots = []
    for i in range(m):
        term = draw(st.sampled_from(["short", "long"]))
        lots.append(
            Candidate(
                i,
                term,
                draw(cents(Decimal("100"), Decimal("30000"))),
                draw(cents(Decimal("1"), Decimal("20000"))) * rate,
                False,
                term == "long" and draw(st.booleans()),
            )
        )
    base = TaxInputs(
        filing_status=draw(st.sampled_from(FILING_STATUSES)),
        ordinary_income=draw(
            st.sampled_from([Decimal(20_000), Decimal(120_000), Decimal(300_000), Decimal(450_000)])
        ),
        st_gain=draw(cents(-5000, 40000)),
        lt_gain=draw(cents(-5000, 120000)),
        collectibles_gain=draw(cents(1000, 80000)),
        lt_carryforward=draw(st.one_of(st.just(Decimal(0)), cents(0, 20000))),
    )
    cv = draw(st.sampled_from([Decimal(0), Decimal("0.15")]))
    return draw(st.sampled_from(sorted(RULES))), base, cv, lots


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(collectible_nfts())
# Gains above the 24% bracket's top and more net capital gain than 28% gain: there a
# collectible's loss saves 28%, a plain long-term one 15% (see the test below). Selling
# the collectible and keeping the costlier plain NFT is best.
@example(
    (
        2025,
        TaxInputs(
            "single", Decimal(300_000), lt_gain=Decimal(50_000), collectibles_gain=Decimal(50_000)
        ),
        Decimal(0),
        [
            Candidate(0, "long", Decimal(10_000), Decimal(2_500), False, True),
            Candidate(1, "long", Decimal(10_000), Decimal(2_500), False, False),
            Candidate(2, "short", Decimal(4_000), Decimal(100), False, False),
        ],
    )
)
def test_collectible_nfts_with_realized_collectibles_gain(case) -> None:
    """A collectible NFT's loss also lowers the 28% gain: the plan is still the best of
    every subset (the oracle moves collectibles gain by itself, knowing no bends)."""
    year, base, cv, lots = case
    rules = RULES[year]
    plan = optimize(rules, base, cv, lots)
    brute = Brute(rules, base, cv, lots)
    assert plan.exact
    assert abs(plan.objective - brute.best()) <= Decimal("0.01"), plan
    fr = tuple(plan.fractions.get(c.key, Decimal(0)) for c in lots)
    assert abs(brute.f(fr) - plan.objective) < Decimal("0.000001")


def test_a_collectible_loss_is_worth_more_than_a_plain_long_term_one() -> None:
    """Single, 2025: wages 300,000, long-term gain 50,000 and collectibles gain 50,000,
    all gains above the 24% bracket's top (taxable income 384,250 − 100,000 = 284,250
    of ordinary income below them). A 10,000 collectible loss takes the 28% gain to
    40,000: it saves 28% + 3.8% NIIT = 3,180. A plain long-term loss of 10,000 leaves
    the 28% gain whole and takes 10,000 off the gain taxed at 15%: 18.8%, 1,880. An
    optimizer that relaxed the collectible as a plain long-term loss would misjudge it.
    """
    rules = RULES[2025]
    base = TaxInputs(
        "single", Decimal(300_000), lt_gain=Decimal(50_000), collectibles_gain=Decimal(50_000)
    )
    nft = Candidate(0, "long", Decimal(10_000), Decimal(0), False, True)
    plain = Candidate(0, "long", Decimal(10_000), Decimal(0), False, False)
    as_collectible = optimize(rules, base, Decimal(0), [nft]).objective
    as_plain = optimize(rules, base, Decimal(0), [plain]).objective
    assert as_collectible == Brute(rules, base, Decimal(0), [nft]).best()
    assert as_plain == Brute(rules, base, Decimal(0), [plain]).best()
    assert (as_collectible, as_plain) == (3_180, 1_880)


# --- Many NFTs: the branch and bound against every subset ------------------------------


@st.composite
def many_nfts(draw):
    """11–13 NFTs at a loss (more than the old exhaustive limit of ten), with fees high
    enough that which of them to sell is a real choice."""
    m = draw(st.integers(min_value=11, max_value=13))
    rate = draw(st.sampled_from([Decimal("0.02"), Decimal("0.08"), Decimal("0.2")]))
    lots = [
        Candidate(
            i,
            draw(st.sampled_from(["short", "long"])),
            draw(cents(Decimal("200"), Decimal("15000"))),
            draw(cents(Decimal("1"), Decimal("20000"))) * rate,
            False,
        )
        for i in range(m)
    ]
    base = TaxInputs(
        filing_status=draw(st.sampled_from(FILING_STATUSES)),
        ordinary_income=draw(
            st.sampled_from([Decimal(30_000), Decimal(150_000), Decimal(600_000)])
        ),
        st_gain=draw(cents(0, 40000)),
        lt_gain=draw(cents(0, 60000)),
    )
    cv = draw(st.sampled_from([Decimal(0), Decimal("0.1")]))
    return draw(st.sampled_from(sorted(RULES))), base, cv, lots


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(many_nfts())
# Twelve identical NFTs, found by hypothesis: without closing near-equal branches and
# without treating twins as one, the search tried their 2^12 orders and ran out.
@example(
    (
        2024,
        TaxInputs("married_joint", Decimal(30_000), lt_gain=Decimal("0.01")),
        Decimal(0),
        [Candidate(i, "short", Decimal(200), Decimal("0.02"), False) for i in range(12)],
    )
)
def test_the_best_set_of_many_nfts_is_found(case) -> None:
    year, base, cv, lots = case
    rules = RULES[year]
    plan = optimize(rules, base, cv, lots)
    brute = Brute(rules, base, cv, lots)
    assert plan.exact and plan.gap is None
    assert abs(plan.objective - brute.best()) <= Decimal("0.01")
    fr = tuple(plan.fractions.get(c.key, Decimal(0)) for c in lots)
    assert set(fr) <= {Decimal(0), Decimal(1)}  # all or nothing
    for term, total in (("short", plan.loss_short), ("long", plan.loss_long)):
        assert total == sum((c.loss * f for c, f in zip(lots, fr) if c.term == term), Decimal(0))
    assert abs(brute.f(fr) - plan.objective) < Decimal("0.000001")


def test_a_search_stopped_early_says_how_far_from_the_best_it_can_be(monkeypatch) -> None:
    import tlh_xl.harvest.optimizer as optimizer_module

    rules = RULES[2025]
    # 2,000 of short-term gains and 12 NFTs of 900–1,450 of loss, each costing a tenth of
    # its loss to sell: only some are worth selling, and which is a knapsack choice.
    base = TaxInputs("single", Decimal(150_000), st_gain=Decimal(2_000))
    lots = [
        Candidate(i, "short", Decimal(900 + 50 * i), Decimal(90 + 5 * i) + i % 3, False)
        for i in range(12)
    ]
    best = Brute(rules, base, Decimal(0), lots).best()
    assert optimize(rules, base, Decimal(0), lots).objective == best
    monkeypatch.setattr(optimizer_module, "MAX_NFT_NODES", 3)
    stopped = optimize(rules, base, Decimal(0), lots)
    assert not stopped.exact and stopped.gap is not None
    fr = tuple(stopped.fractions.get(c.key, Decimal(0)) for c in lots)
    real = Brute(rules, base, Decimal(0), lots).f(fr)
    assert abs(real - stopped.objective) < Decimal("0.000001")  # a real plan
    assert best - stopped.objective <= stopped.gap  # and the promise holds


@st.composite
def ladders(draw):
    def lots(start: int, n: int) -> list[Candidate]:
        return [
            Candidate(
                start + i,
                "short",
                draw(cents(Decimal("1"), Decimal("5000"))),
                draw(st.sampled_from([Decimal(0), Decimal(1), Decimal(7)])) * draw(cents(0, 50)),
                True,
            )
            for i in range(n)
        ]

    base, extra = lots(0, draw(st.integers(0, 12))), lots(100, draw(st.integers(1, 6)))
    probes = draw(st.lists(cents(Decimal("-10"), Decimal("100000")), min_size=1, max_size=8))
    return base, extra, probes


@settings(max_examples=200, deadline=None)
@given(ladders())
def test_a_spliced_ladder_is_the_ladder_of_all_its_lots(case) -> None:
    """The branch and bound adds open NFTs to a built ladder; its cost curve, slopes
    and cut points must be those of a ladder built from all the lots at once."""
    from tlh_xl.harvest.optimizer import LossColumns, _Ladder

    base, extra, probes = case
    spliced = _Ladder(LossColumns.of(base)).plus(extra)
    whole = _Ladder(LossColumns.of([*base, *extra]))
    assert spliced.total == whole.total and len(spliced.keys) == len(whole.keys)
    if len({c.cost / c.loss for c in base + extra}) == len(base + extra):  # no ties
        assert list(spliced.loss) == list(whole.loss)
        assert list(spliced.unit_cost) == list(whole.unit_cost)
    for x in probes:
        assert spliced.cost_at(x) == whole.cost_at(x)
        inside = min(max(x, Decimal(0)), whole.total)  # the searches stay inside
        assert spliced.slope_right(inside) == whole.slope_right(inside)
        assert spliced.slope_left(inside) == whole.slope_left(inside)
        shares = spliced.allocate(x)
        by_key = {c.key: c for c in base + extra}
        harvested = sum((by_key[k].loss * f for k, f in shares.items()), Decimal(0))
        assert abs(harvested - max(Decimal(0), min(x, whole.total))) < Decimal("1e-20")
        assert spliced.harvested(x) == harvested
    for slope in (Decimal(0), Decimal("0.001"), Decimal("0.01"), Decimal(1)):
        assert spliced.cross(slope) == whole.cross(slope)
