"""A tax system's listed bends are all its bends: between them, what it owes is linear.

The optimizer is exact only if every line on which a tax can bend is listed
(``TaxSystem.bends``). Here random profiles are cut along random lines in the ``(a, b)``
plane (``a`` the net short-term result, ``b`` the net long-term one) at every crossing
with a listed bend line; between consecutive cuts each owed branch and the carryforward
must lie on their chord. A bend nobody listed fails here instead of silently making the
optimizer inexact: ``test_the_checker_finds_a_dropped_bend`` shows that it does.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from itertools import pairwise

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tlh_xl import FILING_STATUSES, load_rules
from tlh_xl.tax import (
    NOT_APPLICABLE,
    Bends,
    CombinedTax,
    FederalTax,
    Owed,
    StateTax,
    TaxInputs,
    TaxSystem,
    net_results,
)

RULES = {year: load_rules(year) for year in (2024, 2025, 2026)}
FEDERAL = {year: FederalTax(rules) for year, rules in RULES.items()}
ZERO = Decimal(0)
PROBES = (Decimal("0.2113"), Decimal("0.5"), Decimal("0.7887"))  # inside each piece
TOLERANCE = Decimal("1e-12")
# Directions in (a, b): along each axis, the diagonals, and oblique ones.
DIRECTIONS = ((1, 0), (0, 1), (1, -1), (1, 1), (2, 1), (1, -2), (3, -1))

cents = lambda lo, hi: st.decimals(min_value=lo, max_value=hi, places=2)
maybe = lambda strategy: st.one_of(st.just(ZERO), strategy)


@dataclass(frozen=True)
class Kink:
    """A point between two cuts where something owed leaves its chord."""

    t: Decimal  # where along the line
    a: Decimal
    b: Decimal
    what: str  # "branch 0", "branch 1", "carryforward"
    off: Decimal  # the value there less the chord's


def at(x: TaxInputs, a: Decimal, b: Decimal) -> TaxInputs:
    """``x`` with its gains set so that the net results are ``(a, b)``."""
    return replace(
        x,
        st_gain=a + x.st_carryforward,
        lt_gain=b - x.collectibles_gain + x.lt_carryforward,
    )


def cuts(bends: Bends, start: tuple[Decimal, Decimal], d: tuple[int, int]) -> list[Decimal]:
    """Where the line ``start + t·d`` crosses each listed bend line, in t."""
    a0, b0 = start
    da, db = d
    out: set[Decimal] = set()
    if da:
        out |= {(k - a0) / da for k in bends.short}
    if db:
        out |= {(k - b0) / db for k in bends.long}
    if da + db:
        out |= {(k - a0 - b0) / (da + db) for k in bends.total}
    return sorted(out)


def kinks(
    system: TaxSystem,
    x: TaxInputs,
    d: tuple[int, int],
    span: Decimal,
    bends: Bends | None = None,
) -> list[Kink]:
    """Points of the line through ``x``'s ``(a, b)`` along ``d``, for t in [−span, span],
    where an owed branch or the carryforward is not linear between the cuts at the
    listed bends (the system's own unless ``bends`` is given)."""
    start = net_results(x)
    listed = system.bends(x) if bends is None else bends
    ts = [-span, *(t for t in cuts(listed, start, d) if -span < t < span), span]

    def point(t: Decimal) -> tuple[Decimal, Decimal]:
        return start[0] + d[0] * t, start[1] + d[1] * t

    def owed(t: Decimal) -> Owed:
        return system.owed(at(x, *point(t)))

    found: list[Kink] = []
    ends = [owed(t) for t in ts]
    for (t0, t1), (v0, v1) in zip(pairwise(ts), pairwise(ends)):
        for w in PROBES:
            t = t0 + (t1 - t0) * w
            v = owed(t)
            pairs = [*zip(v.branches, v0.branches, v1.branches), (v.carryforward, *v0[1:], *v1[1:])]
            names = [*(f"branch {i}" for i in range(len(v.branches))), "carryforward"]
            for name, (here, left, right) in zip(names, pairs):
                off = here - (left + (right - left) * w)
                if abs(off) > TOLERANCE:
                    found.append(Kink(t, *point(t), name, off))
    return found


@st.composite
def profiles(draw):
    """A year and a profile: every filing status, incomes to 1M, gains and losses,
    carryforwards, qualified dividends, and collectibles gain zero or positive."""
    x = TaxInputs(
        filing_status=draw(st.sampled_from(FILING_STATUSES)),
        ordinary_income=draw(cents(0, 1_000_000)),
        st_gain=draw(maybe(cents(-300_000, 300_000))),
        lt_gain=draw(maybe(cents(-300_000, 600_000))),
        qualified_dividends=draw(maybe(cents(0, 150_000))),
        collectibles_gain=draw(maybe(cents(0, 250_000))),
        deduction=draw(st.one_of(st.none(), cents(0, 80_000))),
        st_carryforward=draw(maybe(cents(0, 60_000))),
        lt_carryforward=draw(maybe(cents(0, 60_000))),
    )
    return draw(st.sampled_from(sorted(RULES))), x


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(profiles(), st.sampled_from(DIRECTIONS), st.sampled_from([200_000, 1_500_000]))
def test_federal_tax_is_linear_between_its_listed_bends(case, direction, span) -> None:
    year, x = case
    assert kinks(FEDERAL[year], x, direction, Decimal(span)) == []


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(profiles(), st.sampled_from(DIRECTIONS))
def test_collectibles_bends_are_listed(case, direction) -> None:
    """Always some collectibles gain: the Schedule D Tax Worksheet and its own bends (the
    28% rate gain, and where the parts of taxable income it stacks reach a level)."""
    year, x = case
    x = replace(x, collectibles_gain=x.collectibles_gain + 1)
    assert kinks(FEDERAL[year], x, direction, Decimal(800_000)) == []


# --- Systems add up ---------------------------------------------------------------------


class FlatStateTax:
    """A toy state tax: 5% of max(0, ordinary income + a + b); no branches, no carryover."""

    rate = Decimal("0.05")

    def owed(self, inputs: TaxInputs) -> Owed:
        a, b = net_results(inputs)
        return Owed((self.rate * max(ZERO, inputs.ordinary_income + a + b),), ZERO)

    def bends(self, inputs: TaxInputs) -> Bends:
        return Bends(total=frozenset({-inputs.ordinary_income}))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(profiles(), st.sampled_from(DIRECTIONS))
def test_a_combined_tax_owes_the_sum_and_bends_where_its_parts_do(case, direction) -> None:
    year, x = case
    federal, state = FEDERAL[year], FlatStateTax()
    both = CombinedTax(federal, state)
    owed, alone = both.owed(x), federal.owed(x)
    assert len(owed.branches) == 2
    assert owed.tax == alone.tax + state.owed(x).tax  # min f + min s = min (f + s)
    assert owed.carryforward == alone.carryforward  # the federal carryforward counts
    assert both.bends(x) == federal.bends(x) | state.bends(x)
    assert kinks(both, x, direction, Decimal(1_500_000)) == []


def test_a_combined_tax_without_the_state_bend_is_caught() -> None:
    """The state's own bend (its income reaching zero) is not among the federal ones."""
    x = TaxInputs("single", Decimal(20_000), st_gain=Decimal(-10_000))
    both = CombinedTax(FEDERAL[2025], FlatStateTax())
    found = kinks(both, x, (0, 1), Decimal(50_000), bends=FEDERAL[2025].bends(x))
    assert found and {k.what for k in found} == {"branch 0", "branch 1"}


# --- The checker works ------------------------------------------------------------------


def test_the_checker_finds_a_dropped_bend() -> None:
    """Without the NIIT threshold, a line through it has a piece that is not linear.

    Single, 2025: 150,000 of wages and 20,000 of long-term gains, along b. NIIT starts
    where modified AGI reaches 200,000, at b = 50,000. Without that bend the cuts either
    side are b = 0 and b = 63,050 (taxable income 134,250 + b reaches the 32% bracket at
    197,300). At the middle of that piece, b = 31,525, the tax is 247.95 below its chord:
    3.8% × (63,050 − 50,000) ÷ 2.
    """
    x = TaxInputs("single", Decimal(150_000), lt_gain=Decimal(20_000))
    federal = FEDERAL[2025]
    full = federal.bends(x)
    niit = RULES[2025].niit.thresholds.of("single") - x.ordinary_income  # a + b = 50,000
    assert niit in full.total
    assert kinks(federal, x, (0, 1), Decimal(200_000)) == []
    dropped = replace(full, total=full.total - {niit})
    found = kinks(federal, x, (0, 1), Decimal(200_000), bends=dropped)
    assert found, "the checker missed a dropped bend"
    assert all(k.a == 0 and 0 < k.b < 63_050 and k.off < 0 for k in found)
    middle = {(k.what, k.off) for k in found if k.b == 31_525}
    assert middle == {("branch 0", Decimal("-247.95")), ("branch 1", Decimal("-247.95"))}


def test_the_checker_finds_a_dropped_loss_limit() -> None:
    """Without the $3,000 loss limit a line through it bends unlisted: past the limit the
    tax stops falling and the carryforward starts growing.

    Married filing jointly, 2024: 80,000 of wages and 1,000 of short-term gains, along a.
    Without a = −3,000 the piece below a = 0 runs to the line's end, a = −19,000. At its
    middle, a = −9,500, the tax is 180 below the chord (12% × 3,000 ÷ 2) and the
    carryforward 1,500 below it (16,000 ÷ 2 on the chord, 6,500 carried).
    """
    x = TaxInputs("married_joint", Decimal(80_000), st_gain=Decimal(1_000))
    federal = FEDERAL[2024]
    full = federal.bends(x)
    limit = RULES[2024].capital_loss.limit.of("married_joint")
    dropped = replace(full, total=full.total - {-limit}, short=full.short - {-limit})
    assert kinks(federal, x, (1, 0), Decimal(20_000)) == []
    found = kinks(federal, x, (1, 0), Decimal(20_000), bends=dropped)
    middle = {(k.what, k.off) for k in found if k.a == -9_500}
    assert middle == {
        ("branch 0", Decimal(-180)),
        ("branch 1", Decimal(-180)),
        ("carryforward", Decimal(-1_500)),
    }


# --- State systems ----------------------------------------------------------------------
#
# A state's phase-out steps are jumps, which no linear branch can make: a state gives a
# branch for each side of a step, and a branch may stop applying (``NOT_APPLICABLE``) on
# a listed line (tlh_xl/tax/system.py, "A tax that jumps"). So the check is: on each
# piece between cuts, a branch applies nowhere inside it, or it applies at both ends and
# every probe and lies on its chord; the carryforward always lies on its chord.

# Every mechanism: CA (brackets, credit phase-out, surtax, own carryover), PA (classes,
# a zero floor), IL (federal netting, a cliff), NJ (rates by status, a zero floor, an
# exemption), WA (an excise on long-term gains only: b = k bends), TX (no tax at all).
STATES = ("us-ca", "us-pa", "us-il", "us-nj", "us-wa", "us-mn", "us-tx")
STATE_YEARS = (2025, 2026)
STATE_RULES = {(s, y): load_rules(y, s) for s in STATES for y in STATE_YEARS}
STATE_TAX = {key: StateTax(rules, RULES[key[1]]) for key, rules in STATE_RULES.items()}


def _off(value: Decimal) -> bool:
    return value >= NOT_APPLICABLE


def exact_cuts(
    bends: Bends, start: tuple[Decimal, Decimal], d: tuple[int, int]
) -> dict[Decimal, tuple[Decimal, Decimal]]:
    """``cuts``, each with its point exactly on the bend line it crosses. A state's tax
    jumps on some lines, so a point a rounding error off its line (t = k / 3 along
    (2, 1)) would be on the wrong side of the step."""
    a0, b0 = start
    da, db = d
    out: dict[Decimal, tuple[Decimal, Decimal]] = {}
    if da:
        out |= {(k - a0) / da: (k, b0 + db * (k - a0) / da) for k in bends.short}
    if db:
        out |= {(k - b0) / db: (a0 + da * (k - b0) / db, k) for k in bends.long}
    if da + db:
        for k in bends.total:
            t = (k - a0 - b0) / (da + db)
            a = a0 + da * t
            out[t] = (a, k - a)
    return out


def state_kinks(
    system: TaxSystem,
    x: TaxInputs,
    d: tuple[int, int],
    span: Decimal,
    bends: Bends | None = None,
) -> list[Kink]:
    """As ``kinks``, for a system whose branches may stop applying on a listed line."""
    start = net_results(x)
    listed = system.bends(x) if bends is None else bends
    on_lines = {t: p for t, p in exact_cuts(listed, start, d).items() if -span < t < span}
    ts = [-span, *sorted(on_lines), span]

    def point(t: Decimal) -> tuple[Decimal, Decimal]:
        return on_lines.get(t) or (start[0] + d[0] * t, start[1] + d[1] * t)

    def owed(t: Decimal) -> Owed:
        return system.owed(at(x, *point(t)))

    found: list[Kink] = []
    ends = [owed(t) for t in ts]
    for (t0, t1), (v0, v1) in zip(pairwise(ts), pairwise(ends)):
        inside = [(w, t0 + (t1 - t0) * w) for w in PROBES]
        probed = [(w, t, owed(t)) for w, t in inside]
        for i in range(len(v0.branches)):
            here = [v.branches[i] for _, _, v in probed]
            if all(map(_off, here)):
                continue  # the branch does not apply on this piece
            left, right = v0.branches[i], v1.branches[i]
            for (w, t, _), value in zip(probed, here):
                off = value - (left + (right - left) * w)
                if _off(value) or _off(left) or _off(right) or abs(off) > TOLERANCE:
                    found.append(Kink(t, *point(t), f"branch {i}", off))
        for w, t, v in probed:
            off = v.carryforward - (v0.carryforward + (v1.carryforward - v0.carryforward) * w)
            if abs(off) > TOLERANCE:
                found.append(Kink(t, *point(t), "carryforward", off))
    return found


# Ordinary income near where the states step: CA's exemption credit phase-out (from
# 252,203 single and 504,411 joint federal AGI, $2,500 steps) and IL's cliff (250,000;
# 500,000 joint), with enough spread to cross several steps.
near_steps = st.sampled_from([Decimal(240_000), Decimal(255_000), Decimal(495_000)])
# Long-term results near WA's excise levels: its deduction (278,000; 139,000 MFS) and
# the 9.9% tier 1,000,000 above it.
near_excise = st.sampled_from([Decimal(130_000), Decimal(270_000), Decimal(1_270_000)])
# Ordinary income near where MN's standard deduction starts to shrink (federal AGI of
# 238,950; 119,475 MFS) and stops (at 80% of it: 637,617 single, 1,036,284 joint), and
# long-term gains near its 1% tax on net investment income over 1,000,000.
near_mn_deduction = st.sampled_from(
    [Decimal(112_000), Decimal(232_000), Decimal(630_000), Decimal(1_030_000)]
)


@st.composite
def state_profiles(draw):
    """A state, a year and a profile; half of them placed near the states' steps, or,
    for an excise, the long-term gain near its levels."""
    key = draw(st.sampled_from(sorted(STATE_TAX)))
    _, x = draw(profiles())
    if STATE_TAX[key].keeps_own_carryover and draw(st.booleans()):
        # California's own carryover in place of the federal carryforwards.
        x = replace(x, state_carryforward=draw(cents(0, 60_000)))
    if draw(st.booleans()):
        if key[0] == "us-mn" and draw(st.booleans()):
            gain = Decimal(990_000) + draw(cents(0, 20_000))
            x = replace(x, lt_gain=gain, qualified_dividends=draw(cents(0, 5_000)))
        elif key[0] == "us-mn":
            income = draw(near_mn_deduction) + draw(cents(0, 20_000))
            x = replace(x, ordinary_income=income, qualified_dividends=ZERO)
        elif STATE_RULES[key].capital_gains_excise is not None:
            gain = draw(near_excise) + draw(cents(0, 20_000))
            x = replace(x, lt_gain=gain)
        else:
            income = draw(near_steps) + draw(cents(0, 70_000))
            x = replace(x, ordinary_income=income, qualified_dividends=ZERO)
    return key, x


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(state_profiles(), st.sampled_from(DIRECTIONS), st.sampled_from([60_000, 1_500_000]))
def test_a_state_tax_is_linear_between_its_listed_bends(case, direction, span) -> None:
    key, x = case
    assert state_kinks(STATE_TAX[key], x, direction, Decimal(span)) == []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(state_profiles(), st.sampled_from(DIRECTIONS))
def test_federal_plus_a_state_is_linear_between_the_listed_bends(case, direction) -> None:
    key, x = case
    both = CombinedTax(FEDERAL[key[1]], STATE_TAX[key])
    assert state_kinks(both, x, direction, Decimal(400_000)) == []


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(state_profiles())
def test_the_least_branch_is_the_states_tax(case) -> None:
    """Everywhere, steps included, the least branch is the return's own tax."""
    key, x = case
    system = STATE_TAX[key]
    exact = system.evaluate(x)
    owed = system.owed(x)
    assert owed.tax == exact.total
    assert all(b == exact.total or b > exact.total for b in owed.branches)


def test_on_a_step_the_tax_is_the_lower_side() -> None:
    """IL, single, 2025: at federal AGI of exactly 250,000 the exemption is allowed; a
    cent more and it is gone (IL-1040 Step 4, Income Exceptions: "greater than")."""
    il = STATE_TAX[("us-il", 2025)]
    at_limit = TaxInputs("single", Decimal(240_000), st_gain=Decimal(10_000))
    over = replace(at_limit, st_gain=Decimal("10000.01"))
    assert il.owed(at_limit).tax == Decimal("0.0495") * (250_000 - 2_850)  # 12,233.925
    assert il.owed(over).tax == Decimal("0.0495") * Decimal("250000.01")  # 12,375.0004950
    assert il.owed(at_limit).branches[1] == il.owed(over).tax - Decimal("0.0495") * Decimal("0.01")


def test_the_checker_finds_a_dropped_state_bend() -> None:
    """CA, single, 2025: 60,000 of wages and 20,000 of short-term gain, along a from
    −20,000 to 60,000. California taxable income is 60,000 − 5,706 + max(a, −3,000), so
    the lines inside are a = −3,000 (the loss limit), a = 0 (the carryover starts),
    a = 3,248 (taxable income reaches 57,542, 8%) and a = 18,430 (72,724, 9.3%). Without
    the last, the piece from 3,248 to the end bends inside. At its middle, a = 31,624,
    the tax is 98.683 below its chord: 0.08 × 15,182 + 0.093 × 13,194 = 2,441.602 on the
    way, against half of 0.08 × 15,182 + 0.093 × 41,570 = 5,080.57."""
    ca = STATE_TAX[("us-ca", 2025)]
    x = TaxInputs("single", Decimal(60_000), st_gain=Decimal(20_000))
    full = ca.bends(x)
    bracket = Decimal(72_724 + 5_706 - 60_000)
    inside = sorted(k for k in full.total if -20_000 < k < 60_000)
    assert inside == [-3_000, 0, 3_248, 18_430]
    assert state_kinks(ca, x, (1, 0), Decimal(40_000)) == []
    dropped = replace(full, total=full.total - {bracket})
    found = state_kinks(ca, x, (1, 0), Decimal(40_000), bends=dropped)
    assert found and {k.what for k in found} == {"branch 0"}
    assert {k.off for k in found if k.a == 31_624} == {Decimal("-98.683")}


def test_the_checker_finds_a_dropped_step() -> None:
    """CA, single, 2025: the first step of the exemption credit's phase-out is where
    federal AGI passes 252,203. Without that line a piece holds both sides of the step,
    and the branch that applies on one side stops applying inside it."""
    ca = STATE_TAX[("us-ca", 2025)]
    x = TaxInputs("single", Decimal(240_000), st_gain=Decimal(20_000))
    full = ca.bends(x)
    step = Decimal(252_203 - 240_000)  # a + b where federal AGI reaches the step
    assert step in full.total
    assert state_kinks(ca, x, (1, 0), Decimal(30_000)) == []
    dropped = replace(full, total=full.total - {step})
    assert state_kinks(ca, x, (1, 0), Decimal(30_000), bends=dropped)


def test_the_checker_finds_a_dropped_pa_floor() -> None:
    """PA, 2025: a net loss counts as zero, with no carryover in. With a 5,000 federal
    short-term carryforward, the class reaches zero at a + b = −5,000, not at 0."""
    pa = STATE_TAX[("us-pa", 2025)]
    x = TaxInputs("married_joint", Decimal(80_000), st_gain=Decimal(2_000))
    x = replace(x, st_carryforward=Decimal(5_000))
    full = pa.bends(x)
    assert Decimal(-5_000) in full.total
    assert state_kinks(pa, x, (1, 0), Decimal(20_000)) == []
    dropped = replace(full, total=full.total - {Decimal(-5_000)})
    found = state_kinks(pa, x, (1, 0), Decimal(20_000), bends=dropped)
    assert found and {k.what for k in found} == {"branch 0"}


def test_the_checker_finds_a_dropped_excise_bend() -> None:
    """WA, single, 2025: 300,000 of long-term gain, along b from 260,000 to 340,000. The
    excise is 7% of b − 278,000 once b passes the deduction, so b = 278,000 is listed (a
    ``long`` line, not a total one: a short-term result never moves it). Without it the
    piece from 260,000 to 340,000 bends inside: at its middle, b = 300,000, the excise is
    7% × 22,000 = 1,540, against the chord's half of 7% × 62,000 = 2,170: 630 below."""
    wa = STATE_TAX[("us-wa", 2025)]
    x = TaxInputs("single", Decimal(90_000), lt_gain=Decimal(300_000))
    full = wa.bends(x)
    assert full.long == {Decimal(278_000), Decimal(1_278_000)} and not full.total
    assert state_kinks(wa, x, (0, 1), Decimal(40_000)) == []
    assert state_kinks(wa, x, (1, 0), Decimal(40_000)) == []  # short-term: no excise bend
    dropped = replace(full, long=full.long - {Decimal(278_000)})
    found = state_kinks(wa, x, (0, 1), Decimal(40_000), bends=dropped)
    assert {k.off for k in found if k.b == 300_000} == {Decimal(-630)}


def test_the_checker_finds_a_dropped_nj_bracket() -> None:
    """NJ, married filing jointly, 2025: 60,000 of wages and 5,000 of short-term gain.
    Taxable income is 60,000 + max(0, a) − 2,000 (the exemptions), so Table B's 2.45%
    bracket from 50,000 and 3.5% from 70,000 are crossed at a = 12,000 (the single table
    has no bracket there: its 3.5% starts at 35,000). Without that line the piece from
    0 to 20,000 bends inside."""
    nj = STATE_TAX[("us-nj", 2025)]
    x = TaxInputs("married_joint", Decimal(60_000), st_gain=Decimal(5_000))
    full = nj.bends(x)
    assert Decimal(12_000) in full.total and Decimal(0) in full.total
    assert state_kinks(nj, x, (1, 0), Decimal(15_000)) == []
    dropped = replace(full, total=full.total - {Decimal(12_000)})
    assert state_kinks(nj, x, (1, 0), Decimal(15_000), bends=dropped)


def test_the_checker_finds_a_dropped_mn_deduction_bend() -> None:
    """MN, single, 2025: 230,000 of wages and 5,000 of short-term gain, along a. Taxable
    income is federal AGI less the standard deduction, 14,950, which shrinks by 3% of
    federal AGI over 238,950 (Minn. Stat. 290.0123, subd. 5): at a = 8,950 the tax's
    slope goes from 9.85% to 9.85% x 1.03. Without that line the piece across it bends."""
    mn = STATE_TAX[("us-mn", 2025)]
    x = TaxInputs("single", Decimal(230_000), st_gain=Decimal(5_000))
    full = mn.bends(x)
    assert Decimal(8_950) in full.total
    assert state_kinks(mn, x, (1, 0), Decimal(20_000)) == []
    dropped = replace(full, total=full.total - {Decimal(8_950)})
    assert state_kinks(mn, x, (1, 0), Decimal(20_000), bends=dropped)


def test_a_bracket_inside_a_shrinking_deduction_is_found() -> None:
    """MN, married filing separately, 2025: 170,000 of wages. Over 119,475 of federal
    AGI the deduction shrinks, so taxable income is 1.03 x AGI - 14,950 - 3,584.25; it
    reaches the 9.85% bracket at 165,205 when AGI = 183,739.25 / 1.03 = 178,387.62...,
    a = 8,387.62...: a bend at no whole number of cents, found on its piece."""
    mn = STATE_TAX[("us-mn", 2025)]
    x = TaxInputs("married_separate", Decimal(170_000), st_gain=Decimal(5_000))
    near = [k for k in mn.bends(x).total if 8_387 < k < 8_388]
    assert len(near) == 1 and abs(near[0] * Decimal("1.03") - Decimal("8639.25")) < Decimal("1e-20")
    assert state_kinks(mn, x, (1, 0), Decimal(20_000)) == []
