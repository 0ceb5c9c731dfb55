"""State income tax: hand-worked cases from the states' forms, and the plan with a state.

The cases (tests/cases/us_state_tax.yaml) are checked to the cent. The plan's tests hold
the Summary to federal plus state, the state's part on its own lines, the notes to the
combined saving, and the profile's State to a clear message when it has no rules.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from tlh_xl import FILING_STATUSES, InputError, RulesError, compute_tax, load_rules
from tlh_xl.harvest import Profile, plan_harvest
from tlh_xl.harvest.inputs import resolve_profile
from tlh_xl.harvest.plan import build_plan
from tlh_xl.samples import JANE_LOTS, JANE_PRICES, JANE_PROFILE
from tlh_xl.tax import Bends, CombinedTax, FederalTax, StateTax, TaxInputs, compute_state_tax

CASES_FILE = Path(__file__).parent / "cases" / "us_state_tax.yaml"
CASES: list[dict[str, Any]] = yaml.safe_load(CASES_FILE.read_text(encoding="utf-8"))
STATES = ("CA", "PA", "IL", "NJ", "WA", "MN")  # the states that tax gains
NO_INCOME_TAX = ("AK", "FL", "NH", "NV", "SD", "TN", "TX", "WY")


def _money(value: object) -> Decimal:
    """Money is quoted in the YAML, so it reaches Decimal without passing through float."""
    if not isinstance(value, str):
        raise TypeError(f"money must be a quoted string in the YAML, got {value!r}")
    return Decimal(value)


def test_cases_cover_every_state_and_filing_status() -> None:
    names = [case["name"] for case in CASES]
    assert len(names) == len(set(names))
    covered = {(case["state"], case["input"]["filing_status"]) for case in CASES}
    assert covered >= {(s, f) for s in STATES for f in FILING_STATUSES}
    assert {(case["state"], case["year"]) for case in CASES} >= {
        (s, y) for s in STATES for y in (2025, 2026)
    }


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_state_tax_case(case: dict[str, Any]) -> None:
    kwargs: dict[str, Any] = {
        key: value if key == "filing_status" else _money(value)
        for key, value in case["input"].items()
    }
    state = load_rules(case["year"], f"us-{case['state'].lower()}")
    result = compute_state_tax(state, load_rules(case["year"]), **kwargs)
    got = {field: getattr(result, field) for field in case["expect"]}
    want = {field: _money(value) for field, value in case["expect"].items()}
    assert got == want


def test_an_external_calculators_figures() -> None:
    """A cross-check, not a source: another open-source project's tests (found in the
    search corpus) work California single 2025 at $30,000 and $1,500,000 of wages from
    the FTB schedule. Before credits they get 375.09, and 164,634.78 + 4,942.94 =
    169,577.72. The exact schedule gives 164,634.77 at the top: FTB prints the tax at
    742,953 as 72,219.84, but the rates give 72,219.827. The $30,000 case then takes
    the $153 credit (the external figure stops before line 32)."""
    federal, ca = load_rules(2025), load_rules(2025, "us-ca")
    low = compute_state_tax(ca, federal, filing_status="single", ordinary_income=30_000)
    assert (low.tax, low.total_tax) == (Decimal("375.09"), Decimal("222.09"))
    high = compute_state_tax(ca, federal, filing_status="single", ordinary_income=1_500_000)
    assert (high.tax, high.surtax) == (Decimal("164634.77"), Decimal("4942.94"))
    assert high.total_tax == Decimal("169577.71")


def test_marginal_rates_include_the_steps_where_they_jump() -> None:
    """The marginal rates are one more dollar's tax, as the federal ones are: at IL's
    cliff that dollar costs the whole exemption's tax (4.95% x 2,850 + 4.95%)."""
    il = load_rules(2025, "us-il")
    r = compute_state_tax(il, load_rules(2025), filing_status="single", ordinary_income=250_000)
    assert r.marginal_ordinary_rate == Decimal("0.0495") * 2_851


# --- the plan with a state ---------------------------------------------------------------

R2025 = load_rules(2025)


def _profile(**changes: Any) -> Profile:
    return Profile(**{**JANE_PROFILE, **changes})


def test_jane_in_california_shows_the_federal_and_state_saving_apart() -> None:
    """The article's Jane (single, $1,000,000 of wages, $10,000 of short-term gains,
    $287,000 of losses), placed in California.

    Federal, as without a state: 37% x 13,000 + 3.8% x 10,000 = 5,190.
    California: the harvest takes 13,000 off California taxable income (10,000 of gains,
    3,000 deducted): 1,004,294 -> 991,294. 12.3% x 13,000 = 1,599, and the 1% over
    $1,000,000 goes, 1% x 4,294 = 42.94: 1,641.94. The exemption credit is phased out
    at either income. Together 6,831.94."""
    plan = plan_harvest(R2025, _profile(state="CA"), JANE_LOTS, JANE_PRICES)
    s = plan.summary
    assert s.state_tax_saved == Decimal("1641.94")
    assert s.tax_saved == Decimal("6831.94")
    assert s.tax_saved - s.state_tax_saved == Decimal("5190.00")
    federal = plan_harvest(R2025, _profile(), JANE_LOTS, JANE_PRICES).summary
    assert s.tax_saved - s.state_tax_saved == federal.tax_saved
    assert s.tax_without_harvest - s.state_tax_without_harvest == federal.tax_without_harvest
    # The federal part has lines of its own, the same as the federal-only plan's totals.
    assert s.federal_tax_saved == federal.tax_saved == federal.federal_tax_saved
    assert s.federal_tax_without_harvest == federal.tax_without_harvest
    assert s.federal_tax_with_harvest + s.state_tax_with_harvest == s.tax_with_harvest
    # California: 72,219.827 + 12.3% x (1,004,294 - 742,953) = 104,364.77, + 1% x 4,294
    assert s.state_tax_without_harvest == Decimal("104364.77") + Decimal("42.94")
    assert s.state_used == "us-ca 2025 (unverified) 2025.yaml"
    assert s.net_benefit == s.tax_saved - s.trading_costs + s.carryforward_benefit
    first = plan.sale_records[0].note
    assert "saves $6,831.94 this year (6.8% of the loss; $1,641.94 of it CA tax)" in first


def test_pa_saves_only_the_gains_and_nothing_past_them() -> None:
    """Jane in Pennsylvania: the harvest removes the 10,000 gain from class 5 (3.07% x
    10,000 = 307); the 3,000 federal deduction is not Pennsylvania's."""
    s = plan_harvest(R2025, _profile(state="pa"), JANE_LOTS, JANE_PRICES).summary
    assert s.state_tax_saved == Decimal("307.00")
    assert s.tax_saved == Decimal("5497.00")


def test_a_state_without_carryforward_adds_nothing_to_its_value() -> None:
    """The default CarryforwardValue is the federal long-term rate on the income with no
    gains, plus the state's where the carryforward lowers its tax too: CA and IL, not
    PA. Married filing jointly, 2025, $150,000 of wages: federal 15%; CA 8% (taxable
    138,588 in Schedule Y's 8% band); IL 4.95%."""
    profile = _profile(
        filing_status="married_joint", ordinary_income=150_000, carryforward_value=None
    )
    rates = {
        state: plan_harvest(R2025, replace(profile, state=state), [], {}).summary.carryforward_value
        for state in (None, "CA", "PA", "IL")
    }
    assert rates == {
        None: Decimal("0.15"),
        "CA": Decimal("0.23"),
        "PA": Decimal("0.15"),
        "IL": Decimal("0.1995"),
    }


def test_a_state_without_rules_names_the_cell() -> None:
    with pytest.raises(RulesError) as info:
        plan_harvest(
            R2025,
            _profile(state="OH"),
            JANE_LOTS,
            JANE_PRICES,
            profile_place=lambda f: "Profile!B21 State" if f == "state" else f,
        )
    message = str(info.value)
    assert message.startswith("Profile!B21 State: no rules for 'OH' for tax year 2025")
    assert "CA, " in message and ", WA" in message and "leave State blank" in message
    with pytest.raises(InputError, match="two-letter state code"):
        resolve_profile(_profile(state="Calif."))


def test_a_blank_state_is_federal_only() -> None:
    for blank in (None, "", "  "):
        plan = plan_harvest(R2025, _profile(state=blank), JANE_LOTS, JANE_PRICES)
        assert plan.summary.state_used == "none" and plan.summary.state_tax_saved == 0


def test_a_plan_says_when_its_state_figures_are_not_official() -> None:
    unverified = plan_harvest(R2025, _profile(state="CA"), JANE_LOTS, JANE_PRICES)
    assert unverified.messages[1:] == [
        "CA rules for 2025 hold unverified figures, not yet checked against the state's "
        "own publications (the rule file's notes say what was checked)"
    ]
    official = plan_harvest(R2025, _profile(state="PA"), JANE_LOTS, JANE_PRICES).messages
    assert len(official) == 1 and "a dollar of loss saves" in official[0]  # rates only


def test_gain_harvesting_is_skipped_with_a_state() -> None:
    profile = _profile(state="CA", harvest_gains=True)
    plan = plan_harvest(R2025, profile, JANE_LOTS, JANE_PRICES)
    assert any("gain harvesting skipped: CA taxes long-term gains" in m for m in plan.messages)


def test_build_plan_wants_the_profiles_state_rules() -> None:
    rp = resolve_profile(_profile(state="CA"))
    with pytest.raises(InputError, match="are not that state's"):
        build_plan(R2025, rp, [], {})
    with pytest.raises(InputError, match="are not that state's"):
        build_plan(R2025, rp, [], {}, state=load_rules(2025, "us-pa"))


def test_the_optimizer_sees_the_combined_tax() -> None:
    """A short-term loss worth harvesting only because of the state: single, 2025,
    $40,000 of wages and $2,000 of short-term gain; a lot $2,000 under its basis, at a
    7% cost per side. Selling it realizes 2,000 + the 140 fee = 2,140 of loss and costs
    2 x 140 = 280. Federal taxable income 26,250 falls to 24,110, all at 12%: 256.80
    saved, less than 280. California's 36,294 falls to 34,154, all at 4%: 85.60 more,
    342.40 in all, so with California the lot is sold, for 62.40."""
    lots = [
        {
            "lot_id": "L1",
            "asset": "SOL",
            "asset_class": "Crypto",
            "wallet": "W",
            "acquired": "2025-06-01",
            "quantity": 10,
            "cost_basis": 4_000,
            "tx_id": "t1",
        }
    ]
    base = dict(
        tax_year=2025,
        filing_status="single",
        ordinary_income=40_000,
        realized_short_term=2_000,
        as_of_date=dt.date(2025, 12, 1),
        fee_rate="0.07",
        carryforward_value=0,
    )
    alone = plan_harvest(R2025, Profile(**base), lots, {"SOL": 200})
    with_ca = plan_harvest(R2025, Profile(**base, state="CA"), lots, {"SOL": 200})
    assert len(alone.sale_table) == 0
    assert len(with_ca.sale_table) == 1
    s = with_ca.summary
    assert (s.tax_saved, s.state_tax_saved) == (Decimal("342.40"), Decimal("85.60"))
    assert (s.trading_costs, s.net_benefit) == (Decimal("280.00"), Decimal("62.40"))


def test_plans_reconcile_with_the_two_tax_computations() -> None:
    """For every state and filing status: the Summary's tax is compute_tax plus
    compute_state_tax of the same inputs, before and after the plan's sales."""
    for code in STATES:
        state = load_rules(2025, f"us-{code.lower()}")
        for status in FILING_STATUSES:
            profile = _profile(filing_status=status, ordinary_income=300_000, state=code)
            plan = plan_harvest(R2025, profile, JANE_LOTS, JANE_PRICES)
            s = plan.summary
            args = dict(filing_status=status, ordinary_income=300_000, st_gain=10_000)
            before = compute_tax(R2025, **args).total_tax
            before += compute_state_tax(state, R2025, **args).total_tax
            assert s.tax_without_harvest == before
            realized = sum((sale.gain_loss for sale in plan.sale_records), Decimal(0))
            after_args = {**args, "st_gain": 10_000 + realized}
            after = compute_tax(R2025, **after_args).total_tax
            after += compute_state_tax(state, R2025, **after_args).total_tax
            assert s.tax_with_harvest == after


def test_combined_tax_carries_the_federal_carryforward() -> None:
    """CA keeps its own carryover; the plan's carryforward is the federal one (the
    value of a dollar of it counts both taxes). Here they are the same amount."""
    x = TaxInputs("single", Decimal(90_000), st_gain=Decimal(-20_000))
    federal = FederalTax(R2025)
    ca = StateTax(load_rules(2025, "us-ca"), R2025)
    both = CombinedTax(federal, ca).owed(x)
    assert both.carryforward == federal.owed(x).carryforward == 17_000
    assert ca.owed(x).carryforward == 17_000


# --- New Jersey, Washington and the states with no income tax -----------------------------


def test_jane_in_new_jersey_saves_at_the_top_two_rates() -> None:
    """Jane in New Jersey: her $10,000 of short-term gain leaves category (c), whose net
    loss past it counts as zero. Taxable income (single: Table A, $1,000 exemption)
    1,000,000 + 10,000 − 1,000 = 1,009,000 falls to 999,000, across the 10.75% bracket
    from 1,000,000: 10.75% × 9,000 + 8.97% × 1,000 = 967.50 + 89.70 = 1,057.20. The
    federal part is the federal-only plan's 5,190."""
    plan = plan_harvest(R2025, _profile(state="NJ"), JANE_LOTS, JANE_PRICES)
    s = plan.summary
    assert s.state_tax_saved == Decimal("1057.20")
    assert s.tax_saved - s.state_tax_saved == Decimal("5190.00")
    # 32,926.25 is Table A's constant over 1,000,000: 10.75% × 1,009,000 − 32,926.25.
    assert s.state_tax_without_harvest == Decimal("108467.50") - Decimal("32926.25")
    assert "$1,057.20 of it NJ tax" in plan.sale_records[0].note


def _one_lot(term_days: int, basis: int) -> list[dict[str, Any]]:
    acquired = dt.date(2025, 12, 1) - dt.timedelta(days=term_days)
    return [
        {
            "lot_id": "L1",
            "asset": "ETH",
            "asset_class": "Crypto",
            "wallet": "W",
            "acquired": acquired.isoformat(),
            "quantity": 10,
            "cost_basis": basis,
            "tx_id": "t1",
        }
    ]


# Single, 2025: $200,000 of wages and $300,000 of long-term gain realized, in Washington.
WA_PROFILE = Profile(
    tax_year=2025,
    filing_status="single",
    ordinary_income=200_000,
    realized_long_term=300_000,
    as_of_date=dt.date(2025, 12, 1),
    carryforward_value=0,
    fee_rate=0,
    state="WA",
)


def test_a_washington_long_term_loss_saves_excise() -> None:
    """Single, 2025, $200,000 of wages and $300,000 of long-term gain realized; an ETH
    lot held two years, $30,000 under its basis. Washington: 7% of 300,000 − 278,000 =
    1,540 of excise, and none once the loss brings the net long-term gain to 270,000.
    Federally the loss saves 15% + 3.8% NIIT = 18.8% of 30,000 = 5,640 (taxable income
    484,250 stays under the 20% rate's 533,400; MAGI is far over 200,000)."""
    plan = plan_harvest(R2025, WA_PROFILE, _one_lot(730, 50_000), {"ETH": 2_000})
    s = plan.summary
    assert (s.state_tax_without_harvest, s.state_tax_with_harvest) == (Decimal("1540.00"), 0)
    assert s.tax_saved == Decimal("5640.00") + Decimal("1540.00")
    assert plan.messages[0] == (
        "WA levies no income tax; its capital gains excise tax on long-term gains over "
        "its deduction is counted"
    )


def test_a_washington_short_term_loss_saves_no_excise() -> None:
    """The same profile with the lot held six months: a short-term loss nets against
    the long-term gain federally (Schedule D line 16), but Washington's base is the
    net long-term gain alone (RCW 82.87.020), so the excise stays at 1,540."""
    plan = plan_harvest(R2025, WA_PROFILE, _one_lot(180, 50_000), {"ETH": 2_000})
    s = plan.summary
    assert len(plan.sale_table) == 1
    assert s.state_tax_without_harvest == s.state_tax_with_harvest == Decimal("1540.00")
    assert s.state_tax_saved == 0


@pytest.mark.parametrize("code", NO_INCOME_TAX)
def test_a_state_with_no_income_tax_adds_nothing(code: str) -> None:
    """Choosing a state with no income tax is explicit and gives zero: every filing
    status, both years, any income and gains; no bends, nothing carried."""
    for year in (2025, 2026):
        rules = load_rules(year, f"us-{code.lower()}")
        assert rules.no_income_tax is not None and not rules.taxes_gains
        system = StateTax(rules, load_rules(year))
        assert not system.carries_forward
        for status in FILING_STATUSES:
            r = compute_state_tax(
                rules,
                load_rules(year),
                filing_status=status,
                ordinary_income=2_000_000,
                st_gain=50_000,
                lt_gain=-80_000,
                st_carryforward=5_000,
            )
            assert (r.total_tax, r.carryforward_out, r.marginal_long_term_rate) == (0, 0, 0)
            x = TaxInputs(status, Decimal(90_000), lt_gain=Decimal(400_000))
            assert system.bends(x) == Bends() and system.owed(x).tax == 0


def test_texas_gives_the_federal_plan_and_harvests_gains() -> None:
    """Jane in Texas: the federal plan, with a note saying the state adds nothing; gain
    harvesting is not skipped (a gain taxed at 0% federally is free in Texas)."""
    federal = plan_harvest(R2025, _profile(harvest_gains=True), JANE_LOTS, JANE_PRICES)
    texas = plan_harvest(R2025, _profile(state="TX", harvest_gains=True), JANE_LOTS, JANE_PRICES)
    assert texas.summary.tax_saved == federal.summary.tax_saved
    assert texas.summary.state_tax_without_harvest == 0
    assert texas.summary.state_used.startswith("us-tx 2025 (")
    assert "TX levies no income tax: the plan's tax is federal tax only" in texas.messages
    assert not any("gain harvesting skipped" in m for m in texas.messages)
    assert [r.note for r in texas.sale_records] == [r.note for r in federal.sale_records]


def test_tax_command_for_washington_and_texas(capsys: pytest.CaptureFixture[str]) -> None:
    """RCW 82.87: single, $1,500,000 of long-term gain: 7% × 1,000,000 + 9.9% ×
    (1,500,000 − 278,000 − 1,000,000 = 222,000) = 70,000 + 21,978 = 91,978."""
    from tlh_xl.cli import main

    args = ["tax", "--year", "2025", "--status", "single", "--income", "100000"]
    assert main([*args, "--lt", "1500000", "--state", "WA"]) == 0
    out = capsys.readouterr().out
    assert "WA income tax" in out and "none (the state taxes no income)" in out
    assert "WA capital gains excise tax" in out and "$91,978.00" in out
    assert main([*args, "--lt", "1500000", "--state", "WA", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["state_tax"] == "91978.00"
    assert main([*args, "--state", "TX", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["state_tax"] == "0.00" and data["total_tax"] == data["federal_tax"]


def test_the_printed_plan_shows_the_federal_and_state_parts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """tlh-xl fill and demo print the split under the totals when a state is chosen (Jane
    in California: federal 5,190 saved, CA 1,641.94), and nothing more without one."""
    from tlh_xl.cli.workbook_cmd import print_plan

    plan = plan_harvest(R2025, _profile(state="CA"), JANE_LOTS, JANE_PRICES)
    s = plan.summary
    print_plan(plan, R2025)
    out = capsys.readouterr().out
    federal = f"${s.federal_tax_without_harvest:,} / ${s.federal_tax_with_harvest:,}"
    assert s.federal_tax_without_harvest - s.federal_tax_with_harvest == Decimal("5190.00")
    assert re.search(r"of which federal: without / with +" + re.escape(federal), out)
    state = f"${s.state_tax_without_harvest:,} / ${s.state_tax_with_harvest:,}"
    assert re.search(r"of which CA: without / with +" + re.escape(state), out)
    print_plan(plan_harvest(R2025, _profile(), JANE_LOTS, JANE_PRICES), R2025)
    assert "of which" not in capsys.readouterr().out


def test_the_plan_says_the_combined_marginal_rate_a_loss_saves() -> None:
    """Jane in California, before harvesting: 1,000,000 of wages and 10,000 of short-term
    gain. A dollar of loss takes a dollar off her short-term gain: 37% federal plus the
    3.8% NIIT on it, and 12.3% + the 1% over $1,000,000 of California taxable income
    (1,004,294): 40.8% + 13.3% = 54.1%, for a long-term loss too (it offsets the same
    short-term gain). Minnesota: 9.85% (its top bracket), 50.65%. No note for a state
    with no tax at all."""
    ca = plan_harvest(R2025, _profile(state="CA"), JANE_LOTS, JANE_PRICES).messages
    assert (
        "before the harvest a dollar of loss saves 54.1% short-term (40.8% federal, 13.3% CA)"
        " and 54.1% long-term (40.8% federal, 13.3% CA): the combined marginal rates"
    ) in ca
    mn = plan_harvest(R2025, _profile(state="MN"), JANE_LOTS, JANE_PRICES).messages
    assert any("50.65% short-term (40.8% federal, 9.85% MN)" in m for m in mn)
    tx = plan_harvest(R2025, _profile(state="TX"), JANE_LOTS, JANE_PRICES).messages
    assert not any("a dollar of loss saves" in m for m in tx)
    federal = plan_harvest(R2025, _profile(), JANE_LOTS, JANE_PRICES).messages
    assert not any("a dollar of loss saves" in m for m in federal)


def test_californias_own_carryover_in_changes_what_the_harvest_saves() -> None:
    """Jane in California with a California carryover of 10,000 of her own (none
    federally): it already offsets her 10,000 short-term gain in California, so the
    harvest saves CA tax only on the 3,000 it deducts: 12.3% x 3,000 = 369.00 (California
    taxable income 1,000,000 - 5,706 = 994,294 before, 991,294 after: under the 1% line).
    Before: 72,219.827 + 12.3% x (994,294 - 742,953) = 103,134.77. California carries
    10,000 + 287,000 - 10,000 - 3,000 = 284,000 out; federally 274,000 carries."""
    plan = plan_harvest(
        R2025, _profile(state="CA", state_carryforward=10_000), JANE_LOTS, JANE_PRICES
    )
    s = plan.summary
    assert s.state_tax_without_harvest == Decimal("103134.77")
    assert s.state_tax_saved == Decimal("369.00")
    assert s.state_carryforward_out == Decimal("284000.00")
    assert s.carryforward_out_short_term == Decimal("274000.00")
    # Without it the federal carryforwards (none) are California's: 274,000 carries.
    default = plan_harvest(R2025, _profile(state="CA"), JANE_LOTS, JANE_PRICES).summary
    assert default.state_carryforward_out == Decimal("274000.00")


@pytest.mark.parametrize(
    ("state", "message"),
    [
        ("IL", "Profile!B24 StateCarryforward: IL keeps no capital loss carryover of its own"),
        (None, "Profile!B24 StateCarryforward: a state's own carryover needs Profile State"),
    ],
)
def test_a_state_carryforward_needs_a_state_that_keeps_one(state: str | None, message: str) -> None:
    """Refused, naming the cell, where it would be silently unused."""
    cells = {"state_carryforward": "Profile!B24 StateCarryforward", "state": "Profile!B21 State"}
    with pytest.raises(InputError) as info:
        plan_harvest(
            R2025,
            _profile(state=state, state_carryforward=2_000),
            JANE_LOTS,
            JANE_PRICES,
            profile_place=lambda name: cells.get(name, name),
        )
    assert str(info.value).startswith(message)


def test_tax_takes_the_states_own_carryforward(run_cli) -> None:
    """tlh-xl tax --state CA --state-carryforward: the first hand-worked case of the
    cases file, through the command; refused without --state or for IL."""
    args = ["tax", "--year", "2025", "--status", "single", "--income", "80000", "--st", "5000"]
    args += ["--st-carryforward", "10000", "--json"]
    r = run_cli(*args, "--state", "CA", "--state-carryforward", "2000")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["state_tax"] == "3473.98"
    for extra, error in (
        ([], "--state-carryforward: goes with --state"),
        (["--state", "IL"], "--state-carryforward: IL keeps no capital loss carryover"),
    ):
        r = run_cli(*args, *extra, "--state-carryforward", "2000")
        assert r.returncode == 2 and error in r.stderr and "Traceback" not in r.stderr


def test_fill_takes_a_states_file_from_the_users_rules_folder(tmp_path: Path) -> None:
    """A rules folder holding only an edited state file (no federal one) overrides the
    shipped state for `tlh-xl fill --rules-dir` too, as it does for `tlh-xl tax`: here
    California's 2026 file with a 50% tax over $1 of taxable income, whose effect no
    shipped figure could give."""
    import openpyxl

    from tlh_xl.workbook.fill import fill_workbook
    from tlh_xl.workbook.sample import build_sample_workbook

    source = tmp_path / "in.xlsx"
    build_sample_workbook(source)
    wb = openpyxl.load_workbook(source)
    wb["Profile"]["B21"] = "CA"
    wb.save(source)
    mine = tmp_path / "mine" / "us-ca"
    mine.mkdir(parents=True)
    shipped_file = Path(__file__).parent.parent / "rules" / "us-ca" / "2025.yaml"
    text = shipped_file.read_text(encoding="utf-8")
    text = text.replace("year: 2025", "year: 2026").replace("  rate: 0.01", "  rate: 0.5")
    text = text.replace("  threshold: 1_000_000", "  threshold: 1")
    (mine / "2026.yaml").write_text(text, encoding="utf-8")
    shipped = fill_workbook(source, tmp_path / "shipped.xlsx", progress=False)
    edited = fill_workbook(
        source, tmp_path / "edited.xlsx", progress=False, rules_dir=tmp_path / "mine"
    )
    before = shipped.plan.summary.state_tax_without_harvest
    assert edited.plan.summary.state_tax_without_harvest > before + 10_000
