"""plan_harvest as a user calls it: the article's examples, constraints, reconciliation."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tlh_xl import FILING_STATUSES, InputError, compute_tax, load_rules
from tlh_xl.harvest import SALE_COLUMNS, Profile, plan_harvest
from tlh_xl.harvest.optimizer import Candidate
from tlh_xl.money import cents, format_usd
from tlh_xl.samples import JANE_LOTS, JANE_PRICES, JANE_PROFILE
from tlh_xl.tax.compute import TaxInputs, evaluate

from .bruteforce import Brute
from .conftest import RULES

R2025 = load_rules(2025)
AS_OF = dt.date(2025, 12, 1)


def lot(lot_id, asset, basis, qty, acquired="2025-03-01", cls="Crypto", wallet="Coinbase", **kw):
    return dict(
        lot_id=lot_id,
        asset=asset,
        asset_class=cls,
        wallet=wallet,
        acquired=acquired,
        quantity=qty,
        cost_basis=basis,
        tx_id=f"tx-{lot_id}",
        **kw,
    )


# --- The article's examples (PRODUCT.md §1.6) ----------------------------------------

# The bundled sample: four lots with 287,000 of short-term loss in all (see tlh_xl.samples).
JANE = Profile(**JANE_PROFILE)


def test_jane() -> None:
    plan = plan_harvest(R2025, JANE, JANE_LOTS, JANE_PRICES)
    s = plan.summary
    assert sorted(plan.sales.lot_id) == ["J1", "J2", "J3", "J4"]
    assert s.loss_harvested_short_term == 287_000
    assert s.ordinary_income_offset == 3_000
    assert s.carryforward_out_short_term == 274_000  # 287,000 − 10,000 − 3,000
    # 37% × (10,000 + 3,000) = 4,810, plus 3.8% NIIT on the 10,000 of gains = 380
    assert s.tax_saved == Decimal("5190.00")
    assert s.net_benefit == Decimal("5190.00") + Decimal("0.2") * 274_000
    assert set(plan.sales.rebuy_on) == {AS_OF + dt.timedelta(days=1)}  # 24 hours later


def test_brian() -> None:
    profile = Profile(
        tax_year=2025,
        filing_status="Married filing jointly",
        ordinary_income=1_000_000,
        realized_long_term=600_000,
        as_of_date=AS_OF,
        fee_rate=0,
        carryforward_value=0,
    )
    lots = [
        lot("B1", "BTC", 900_000, 10, acquired="2021-11-10"),  # 10 BTC at 30,000: −600,000
        lot("B2", "ETH", 15_000, 10, acquired="2025-11-20"),
    ]  # a gain lot: never sold
    plan = plan_harvest(R2025, profile, lots, {"BTC": 30_000, "ETH": 2_000})
    assert list(plan.sales.lot_id) == ["B1"]
    assert plan.sales.term[0] == "Long-term"
    # 20% × 600,000 = 120,000 regular tax, plus 3.8% × 600,000 = 22,800 NIIT
    assert plan.summary.tax_saved == Decimal("142800.00")


def test_selling_fee_reduces_the_amount_realized() -> None:
    """Proceeds $18,300, basis $24,000, a 1% fee: the loss is $5,883, not $5,700.

    Single, 2025, ordinary income 200,000 and 10,000 of short-term gains already
    realized; the lot is short-term and bought back (a second $183 fee, in cash).

    Before: AGI 210,000, taxable 194,250 (− 15,750 standard deduction), in the 24%
      bracket: 17,651 + (194,250 − 103,350) × 24% = 39,467.00; NIIT 3.8% × min(10,000,
      210,000 − 200,000) = 380.00. Total 39,847.00.
    After: the loss offsets 5,883 of the gains. AGI 204,117, taxable 188,367:
      17,651 + 85,017 × 24% = 38,055.08; NIIT 3.8% × min(4,117, 4,117) = 156.446 → 156.45.
      Total 38,211.53.
    Saved 1,635.47 (5,883 × 24% = 1,411.92 regular, 380.00 − 156.45 = 223.55 NIIT).
    """
    profile = Profile(
        tax_year=2025,
        filing_status="single",
        ordinary_income=200_000,
        realized_short_term=10_000,
        as_of_date=AS_OF,
        fee_rate="0.01",
        carryforward_value=0,
    )
    lots = [lot("F1", "BTC", 24_000, 1, acquired="2025-06-01")]
    plan = plan_harvest(R2025, profile, lots, {"BTC": 18_300})
    (sale,) = plan.sale_records
    assert sale.proceeds == Decimal("18117.00")  # 18,300 − 183, as on Form 8949
    assert sale.cost_basis == Decimal("24000")
    assert sale.gain_loss == Decimal("-5883.00")
    assert sale.selling_costs == Decimal("183.00") and sale.rebuy_fee == Decimal("183.00")
    assert sale.fees == Decimal("366.00")
    assert "proceeds net of the $183.00 selling fee" in sale.note
    s = plan.summary
    assert s.tax_without_harvest == Decimal("39847.00")
    assert s.tax_with_harvest == Decimal("38211.53")
    assert s.tax_saved == Decimal("1635.47")
    assert "saves $1,635.47 this year" in sale.note
    assert s.trading_costs == Decimal("366.00")
    assert s.net_benefit == Decimal("1269.47")  # 1,635.47 − 366.00
    assert s.loss_harvested_short_term == Decimal("5883.00")


def test_sale_columns_and_notes() -> None:
    plan = plan_harvest(R2025, JANE, JANE_LOTS, JANE_PRICES)
    assert tuple(plan.sales.columns) == SALE_COLUMNS
    first = plan.sales.iloc[0]
    assert first.lot_id == "J1" and first.wallet == "Coinbase" and first.tx_id == "0x5e1f…a901"
    assert "offsets $10,000.00 of short-term gains" in first.note
    assert "turns long-term on 2026-03-02" in first.note


# --- Reconciliation ---------------------------------------------------------------------


def _reconciles(plan, rules, profile_args) -> None:
    sales = plan.sales
    s = plan.summary
    st_ = sum(sales[sales.term == "Short-term"].gain_loss, Decimal(0))
    # A collectible's long-term result is collectibles gain (the 28% group), apart.
    coll = sum((r.gain_loss for r in plan.sale_records if r.collectible), Decimal(0))
    lt_ = sum(sales[sales.term == "Long-term"].gain_loss, Decimal(0)) - coll
    before = compute_tax(rules, **profile_args)
    after = compute_tax(
        rules,
        **{
            **profile_args,
            "st_gain": profile_args.get("st_gain", 0) + st_,
            "lt_gain": profile_args.get("lt_gain", 0) + lt_,
            "collectibles_gain": profile_args.get("collectibles_gain", 0) + coll,
        },
    )
    assert s.tax_without_harvest == before.total_tax
    assert s.tax_with_harvest == after.total_tax
    assert s.tax_saved == before.total_tax - after.total_tax
    assert s.trading_costs == sum(sales.fees, Decimal(0))
    losses = sales[sales.gain_loss < 0]
    assert s.loss_harvested_short_term == -sum(
        losses[losses.term == "Short-term"].gain_loss, Decimal(0)
    )
    assert s.loss_harvested_long_term == -sum(
        losses[losses.term == "Long-term"].gain_loss, Decimal(0)
    )
    for row in sales.itertuples():
        assert row.proceeds - row.cost_basis == row.gain_loss
    _notes_agree(plan, rules, profile_args)


def _notes_agree(plan, rules, profile_args) -> None:
    """Each loss sale's note tells what it does to the return the sales before it left:
    the tax it saves, or, past the loss limit, that it only carries forward."""
    running = TaxInputs(
        **{k: v if k == "filing_status" else Decimal(str(v)) for k, v in profile_args.items()}
    )
    for sale in plan.sale_records:
        short = sale.term == "short"
        plain_long = not short and not sale.collectible
        after = replace(
            running,
            st_gain=running.st_gain + (sale.gain_loss if short else 0),
            lt_gain=running.lt_gain + (sale.gain_loss if plain_long else 0),
            collectibles_gain=running.collectibles_gain
            + (sale.gain_loss if sale.collectible else 0),
        )
        e0, e1 = evaluate(rules, running), evaluate(rules, after)
        if sale.gain_loss < 0:
            saved = cents(e0.total_tax - e1.total_tax)
            if "no tax saved this year" in sale.note:
                assert saved == 0
                assert e1.carryforward_out - e0.carryforward_out == -sale.gain_loss
                assert f"carries {format_usd(-sale.gain_loss)} forward" in sale.note
            else:
                assert f"saves {format_usd(saved)} this year" in sale.note
        running = after


# --- Optimality against exhaustive search, through plan_harvest -----------------------

ASSETS = ["BTC", "ETH", "SOL", "APE", "PUNK"]


@st.composite
def portfolios(draw):
    n = draw(st.integers(1, 4))
    lots, prices = [], {}
    for i in range(n):
        asset = ASSETS[i]
        nft = draw(st.booleans()) and i >= 3
        price = draw(st.decimals(min_value=0, max_value=500, places=2))
        qty = Decimal(1) if nft else draw(st.decimals(min_value=1, max_value=200, places=0))
        basis = qty * price + draw(st.decimals(min_value=-5000, max_value=60000, places=2))
        lots.append(
            lot(
                f"L{i}",
                asset,
                max(basis, Decimal(0)),
                qty,
                acquired=draw(st.sampled_from(["2024-06-01", "2025-05-01", "2024-12-01"])),
                cls=draw(st.sampled_from(["NFT", "NFT (collectible)"])) if nft else "Crypto",
                wallet=draw(st.sampled_from(["Coinbase", "Ledger"])),
            )
        )
        prices[asset] = price
    profile = dict(
        tax_year=2025,
        as_of_date=AS_OF,
        filing_status=draw(st.sampled_from(FILING_STATUSES)),
        ordinary_income=draw(st.sampled_from([0, 30_000, 95_000, 180_000, 450_000, 900_000])),
        realized_short_term=draw(st.sampled_from([0, -4_000, 12_000, 70_000])),
        realized_long_term=draw(st.sampled_from([0, -9_000, 25_000, 150_000])),
        qualified_dividends=draw(st.sampled_from([0, 8_000])),
        realized_collectibles=draw(st.sampled_from([0, 0, 30_000, -2_000])),
        fee_rate=draw(st.sampled_from([0, "0.01", "0.1"])),
        carryforward_value=draw(st.sampled_from([0, "0.15", None])),
        rebuy=draw(st.booleans()),
    )
    return profile, lots, prices


def _brute(profile, lots, prices, plan) -> Decimal:
    """Exhaustive search over the same loss lots, from the raw inputs."""
    cands = []
    for i, row in enumerate(lots):
        mv = (row["quantity"] * prices[row["asset"]]).quantize(Decimal("0.01"))
        fee = Decimal(str(profile["fee_rate"])) * mv  # one trade
        # The selling fee reduces the amount realized: the loss is basis − (mv − fee).
        # Lots whose loss exists only through the fee are offered too (the plan never
        # sells them: their fee exceeds anything the loss can save).
        loss = row["cost_basis"] - (mv - fee)
        if loss <= 0:
            continue
        nft = row["asset_class"].startswith("NFT")
        dust = 0 < mv < 1  # worth less than the smallest trade ($1.00): not bought back
        mult = 2 if profile["rebuy"] and not nft and not dust else 1  # and the rebuy, in cash
        term = "long" if dt.date.fromisoformat(row["acquired"]) < dt.date(2024, 12, 1) else "short"
        collectible = term == "long" and row["asset_class"] == "NFT (collectible)"
        cands.append(Candidate(i, term, loss, fee * mult, not nft, collectible))
    from tlh_xl.tax import TaxInputs

    base = TaxInputs(
        filing_status=plan.profile.filing_status,
        ordinary_income=Decimal(profile["ordinary_income"]),
        st_gain=Decimal(profile["realized_short_term"]),
        lt_gain=Decimal(profile["realized_long_term"]),
        qualified_dividends=Decimal(profile["qualified_dividends"]),
        collectibles_gain=Decimal(profile.get("realized_collectibles", 0)),
    )
    return Brute(R2025, base, plan.summary.carryforward_value, cands).best()


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(portfolios())
# Found by hypothesis: the $3,000 limit falls at 3,000 / 10,485.76 = 9,375 / 32,768 of the
# lot, a dyadic fraction, exactly where the oracle's bisection split (see bruteforce.py).
@example(
    (
        {
            "tax_year": 2025,
            "as_of_date": AS_OF,
            "filing_status": "single",
            "ordinary_income": 30000,
            "realized_short_term": 0,
            "realized_long_term": 0,
            "qualified_dividends": 0,
            "fee_rate": "0.01",
            "carryforward_value": 0,
            "rebuy": False,
        },
        [lot("L0", "BTC", Decimal("10487.17"), Decimal(141), acquired="2024-06-01")],
        {"BTC": Decimal("0.01")},
    )
)
def test_net_benefit_equals_exhaustive_search(case) -> None:
    profile, lots, prices = case
    plan = plan_harvest(R2025, profile, lots, prices)
    best = _brute(profile, lots, prices, plan)
    assert abs(plan.objective - best) <= Decimal("0.01"), (plan.objective, best, plan.sales)
    # The Summary rounds each tax and each fee to cents, and partial quantities to 8
    # decimals; its net benefit stays within that rounding of the exact optimum.
    benefit = plan.summary.net_benefit if len(plan.sales) else Decimal(0)
    assert abs(benefit - best) <= Decimal("0.03") + Decimal("0.01") * len(plan.sales)
    _reconciles(
        plan,
        R2025,
        dict(
            filing_status=profile["filing_status"],
            ordinary_income=profile["ordinary_income"],
            st_gain=profile["realized_short_term"],
            lt_gain=profile["realized_long_term"],
            qualified_dividends=profile["qualified_dividends"],
            collectibles_gain=profile.get("realized_collectibles", 0),
        ),
    )
    # Per-wallet identification: each sale is one lot, in that lot's own wallet.
    by_id = {row["lot_id"]: row for row in lots}
    for sale in plan.sales.itertuples():
        source = by_id[sale.lot_id]
        assert sale.wallet == source["wallet"] and sale.tx_id == source["tx_id"]
        assert 0 < sale.sell_quantity <= source["quantity"]
        if source["asset_class"] == "NFT":
            assert sale.sell_quantity == source["quantity"]
            assert sale.rebuy_on is None and "cannot be bought back" in sale.note


# --- Constraints ---------------------------------------------------------------------------


def test_excluded_lot_stays_unsold() -> None:
    plan = plan_harvest(R2025, JANE, JANE_LOTS, JANE_PRICES, exclude=["J2"])
    assert "J2" not in set(plan.sales.lot_id)
    assert plan.summary.loss_harvested_short_term == 287_000 - 57_000
    flags = plan.positions.set_index("lot_id")["flags"]
    assert "excluded by you" in flags["J2"]


def test_min_benefit_suppresses_a_small_plan() -> None:
    profile = Profile(
        tax_year=2025,
        filing_status="single",
        ordinary_income=50_000,
        as_of_date=AS_OF,
        fee_rate=0,
        carryforward_value=0,
        min_benefit=1_000,
    )
    plan = plan_harvest(R2025, profile, [lot("S1", "SOL", 2_000, 10)], {"SOL": 100})
    assert plan.sales.empty  # saves 22% × 1,000 = 220 < 1,000
    assert "below your minimum" in plan.messages[0]


def test_deadline_passed() -> None:
    late = Profile(
        tax_year=2025, filing_status="single", ordinary_income=1, as_of_date="2026-01-02"
    )
    with pytest.raises(InputError, match=r"deadline for tax year 2025 \(Dec 31, 2025"):
        plan_harvest(R2025, late, JANE_LOTS, JANE_PRICES)


def test_days_to_deadline() -> None:
    plan = plan_harvest(R2025, JANE, JANE_LOTS, JANE_PRICES)
    assert plan.summary.deadline == dt.date(2025, 12, 31)
    assert plan.summary.days_to_deadline == 30


def test_bad_lots_name_the_lot_and_field() -> None:
    bad = [*JANE_LOTS[:1], lot("J9", "ETH", 100, "lots")]
    with pytest.raises(InputError, match="lot J9: quantity: expected a number"):
        plan_harvest(R2025, JANE, bad, JANE_PRICES)
    with pytest.raises(InputError, match="lot J1: lot_id: duplicate"):
        plan_harvest(R2025, JANE, [JANE_LOTS[0], JANE_LOTS[0]], JANE_PRICES)
    with pytest.raises(InputError, match="lot J9: acquired: 2026-01-01 is after"):
        plan_harvest(R2025, JANE, [lot("J9", "ETH", 100, 1, acquired="2026-01-01")], JANE_PRICES)


def test_missing_price_is_flagged_not_sold() -> None:
    plan = plan_harvest(
        R2025, JANE, JANE_LOTS, {k: v for k, v in JANE_PRICES.items() if k != "SOL"}
    )
    assert "J2" not in set(plan.sales.lot_id)
    assert plan.positions.set_index("lot_id")["flags"]["J2"] == "no price for SOL"


# --- Wash sales ------------------------------------------------------------------------------


def _rules_with_crypto_wash_sale(tmp_path: Path):
    text = (RULES / "us" / "2025.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "crypto: {applies: false, window_days: 30}", "crypto: {applies: true, window_days: 30}"
    )
    path = tmp_path / "us" / "2025.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(text, encoding="utf-8")
    return load_rules(2025, rules_dir=tmp_path)


def test_wash_sale_switched_on_for_crypto(tmp_path: Path) -> None:
    rules = _rules_with_crypto_wash_sale(tmp_path)
    lots = [*JANE_LOTS, lot("J5", "ETH", 5_000, 5, acquired="2025-11-20")]  # bought 11 days ago
    plan = plan_harvest(rules, JANE, lots, JANE_PRICES)
    assert "J1" not in set(plan.sales.lot_id)  # ETH at a loss with a purchase inside 30 days
    assert "wash sale" in plan.positions.set_index("lot_id")["flags"]["J1"]
    window_end = AS_OF + dt.timedelta(days=30)
    assert all(d > window_end for d in plan.sales.rebuy_on)
    assert all("wash-sale window until 2025-12-31" in n for n in plan.sales.note)


def test_wash_sale_groups_for_securities() -> None:
    lots = [
        lot("E1", "IBIT", 30_000, 1_000, cls="Security", acquired="2025-01-10"),
        lot("E2", "FBTC", 5_000, 100, cls="Security", acquired="2025-11-25"),
    ]
    plan = plan_harvest(R2025, JANE, lots, {"IBIT": 20, "FBTC": 60})
    assert plan.sales.empty  # FBTC bought 6 days ago is substantially identical to IBIT
    assert "wash sale: FBTC bought 2025-11-25" in plan.positions.set_index("lot_id")["flags"]["E1"]
    alone = plan_harvest(R2025, JANE, lots[:1], {"IBIT": 20})
    assert list(alone.sales.rebuy_on) == [AS_OF + dt.timedelta(days=31)]


def test_your_groups_join_the_rules_groups() -> None:
    """The rules make IBIT and FBTC identical; you add FBTC ~ a fund of your own, XBTC.
    A purchase of XBTC then blocks a loss sale of IBIT too: identity is transitive."""
    lots = [
        lot("E1", "IBIT", 30_000, 1_000, cls="Security", acquired="2025-01-10"),
        lot("E2", "XBTC", 5_000, 100, cls="Security", acquired="2025-11-25"),
    ]
    prices = {"IBIT": 20, "XBTC": 60}
    assert list(plan_harvest(R2025, JANE, lots, prices).sales.lot_id) == ["E1"]
    joined = plan_harvest(R2025, JANE, lots, prices, identical=[["fbtc", "XBTC"]])
    assert joined.sales.empty
    assert (
        "wash sale: XBTC bought 2025-11-25" in joined.positions.set_index("lot_id")["flags"]["E1"]
    )


def test_gain_harvesting_fills_the_zero_bracket() -> None:
    profile = Profile(
        tax_year=2025,
        filing_status="single",
        ordinary_income=40_000,
        as_of_date=AS_OF,
        fee_rate=0,
        harvest_gains=True,
    )
    lots = [lot("G1", "BTC", 10_000, 1, acquired="2020-01-01")]  # 1 BTC at 90,000: +80,000
    plan = plan_harvest(R2025, profile, lots, {"BTC": 90_000})
    # taxable income 40,000 − 15,750 = 24,250; the 0% bracket runs to 48,350: room 24,100
    (gain,) = plan.sales.gain_loss
    assert Decimal("24099.99") <= gain <= Decimal("24100.00")
    assert plan.summary.tax_saved == 0


def test_lots_as_a_dataframe_give_the_same_plan() -> None:
    import pandas as pd

    from_dicts = plan_harvest(R2025, JANE, JANE_LOTS, JANE_PRICES)
    from_frame = plan_harvest(R2025, JANE, pd.DataFrame(JANE_LOTS), JANE_PRICES)
    assert from_frame.sale_records == from_dicts.sale_records
    assert from_frame.summary == from_dicts.summary


@st.composite
def larger_portfolios(draw):
    n = draw(st.integers(5, 30))
    lots, prices = [], {}
    for i in range(n):
        asset = f"C{i % 7}"
        prices.setdefault(asset, draw(st.decimals(min_value=0, max_value=900, places=2)))
        qty = draw(st.decimals(min_value=Decimal("0.01"), max_value=500, places=2))
        basis = draw(st.decimals(min_value=0, max_value=90_000, places=2))
        lots.append(
            lot(
                f"L{i}",
                asset,
                basis,
                qty,
                acquired=draw(st.sampled_from(["2023-05-01", "2025-02-01", "2024-11-30"])),
                wallet=draw(st.sampled_from(["Coinbase", "Ledger", "Kraken"])),
            )
        )
    profile = dict(
        tax_year=2025,
        as_of_date=AS_OF,
        filing_status=draw(st.sampled_from(FILING_STATUSES)),
        ordinary_income=draw(st.sampled_from([0, 60_000, 200_000, 700_000])),
        realized_short_term=draw(st.sampled_from([0, -2_000, 30_000])),
        realized_long_term=draw(st.sampled_from([0, 50_000, 400_000])),
        fee_rate=draw(st.sampled_from([0, "0.005", "0.05"])),
        carryforward_value=draw(st.sampled_from([0, "0.2", None])),
        rebuy=draw(st.booleans()),
        harvest_gains=draw(st.booleans()),
    )
    return profile, lots, prices


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(larger_portfolios())
def test_every_plan_reconciles_and_never_loses_money(case) -> None:
    profile, lots, prices = case
    plan = plan_harvest(R2025, profile, lots, prices)
    _reconciles(
        plan,
        R2025,
        dict(
            filing_status=profile["filing_status"],
            ordinary_income=profile["ordinary_income"],
            st_gain=profile["realized_short_term"],
            lt_gain=profile["realized_long_term"],
        ),
    )
    losses = [s for s in plan.sale_records if s.gain_loss < 0]
    if losses and not profile["harvest_gains"]:
        # Loss sales are only suggested when they pay (up to cent rounding).
        assert plan.summary.net_benefit >= Decimal("-0.05") * len(plan.sale_records)
    by_id = {row["lot_id"]: row for row in lots}
    for sale in plan.sale_records:
        source = by_id[sale.lot_id]
        assert sale.wallet == source["wallet"] and 0 < sale.sell_quantity <= source["quantity"]
        if sale.gain_loss > 0:  # gains only when asked, long-term, at 0%
            assert profile["harvest_gains"] and sale.term == "long"
    assert len({s.lot_id for s in plan.sale_records}) == len(plan.sale_records)


def test_planning_leaves_the_garbage_collector_alone(monkeypatch) -> None:
    """Inside Excel the process is the user's Python session: no global GC switch."""
    import gc

    import tlh_xl.harvest.plan as plan_module

    seen = []
    real = plan_module.optimize

    def spy(*args, **kwargs):
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(plan_module, "optimize", spy)
    assert gc.isenabled()
    plan_harvest(R2025, JANE, JANE_LOTS, JANE_PRICES)
    assert seen == [True] and gc.isenabled()


def test_realized_collectibles_and_a_collectible_nft() -> None:
    """Single, 2025: wages 300,000; 50,000 long-term gain and 50,000 collectibles gain
    already realized. Taxable income 384,250 (− 15,750): 284,250 ordinary, then 50,000
    at 15% and the 50,000 of 28% gain on top (all above the 24% top, 197,300, and below
    the 20% breakpoint, 533,400). Selling an NFT collectible bought in 2023 for 12,000,
    now worth 2,000 (fee 0), takes 10,000 off the 28% gain: 2,800 regular tax, plus
    3.8% NIIT on 10,000 less net investment income = 380. Saved 3,180.00; a plain NFT's
    10,000 loss would come off the 15% gain (1,500 + 380)."""
    profile = Profile(
        tax_year=2025,
        filing_status="single",
        ordinary_income=300_000,
        realized_long_term=50_000,
        realized_collectibles=50_000,
        as_of_date=AS_OF,
        fee_rate=0,
        carryforward_value=0,
    )
    lots = [lot("C1", "Squiggle", 12_000, 1, acquired="2023-05-01", cls="NFT (collectible)")]
    plan = plan_harvest(R2025, profile, lots, {"Squiggle": 2_000})
    (sale,) = plan.sale_records
    assert sale.collectible and sale.gain_loss == -10_000
    assert plan.summary.tax_saved == Decimal("3180.00")
    assert "saves $3,180.00 this year" in sale.note
    plain = plan_harvest(R2025, profile, [{**lots[0], "asset_class": "NFT"}], {"Squiggle": 2_000})
    assert plain.summary.tax_saved == Decimal("1880.00")


def test_the_typed_engine_takes_parsed_inputs() -> None:
    """``build_plan`` takes what the boundary parsed (settings with defaults applied, Lot
    records, Decimal prices) and gives the plan ``plan_harvest`` gives."""
    from tlh_xl.harvest import build_plan, resolve_profile
    from tlh_xl.harvest.inputs import parse_prices
    from tlh_xl.harvest.lots import parse_lots

    settings = resolve_profile(JANE)
    lots = parse_lots(JANE_LOTS, settings.as_of_date)
    typed = build_plan(R2025, settings, lots, parse_prices(JANE_PRICES))
    friendly = plan_harvest(R2025, JANE, JANE_LOTS, JANE_PRICES)
    assert typed.sale_records == friendly.sale_records
    assert typed.summary == friendly.summary


def test_dust_is_flagged_sold_for_its_loss_and_not_bought_back() -> None:
    """LUNC at $0.00006: 500 units are worth $0.03 against a $4,000 basis. The loss is
    real and worth harvesting, but $0.03 is below the smallest trade ($1.00 by default),
    so the position is flagged and the sale has no rebuy, no rebuy fee, and says why.
    A price of exactly 0 keeps its own flag; a position worth $1.00 is no dust."""
    lots = [
        lot("D1", "LUNC", 4_000, 500, acquired="2025-02-01"),
        lot("D2", "LUNC2", 500, 20_000, acquired="2025-02-01"),  # 20,000 × 0.00005 = $1.00
    ]
    profile = Profile(
        tax_year=2025,
        filing_status="single",
        ordinary_income=120_000,
        realized_short_term=20_000,
        as_of_date=AS_OF,
    )
    prices = {"LUNC": "0.00006", "LUNC2": "0.00005"}
    plan = plan_harvest(R2025, profile, lots, prices)
    dust, whole = plan.position_records
    assert dust.market_value == Decimal("0.03")
    assert any(f.startswith("dust: worth less than the smallest trade ($1.00)") for f in dust.flags)
    assert not any(f.startswith("dust") for f in whole.flags)  # $1.00 is a trade
    sale = next(s for s in plan.sale_records if s.lot_id == "D1")
    # 0.03 − cents(0.005 × 0.03) = 0.03 − 0.00 = 0.03 proceeds; gain 0.03 − 4,000.
    assert sale.gain_loss == Decimal("-3999.97")
    assert sale.rebuy_on is None and sale.rebuy_fee == 0
    assert "not bought back" in sale.note
    other = next(s for s in plan.sale_records if s.lot_id == "D2")
    assert other.rebuy_on is not None
    # The user sets the threshold: at $0.01, $0.03 is a trade like any other.
    lower = plan_harvest(R2025, replace(profile, min_trade="0.01"), lots, prices)
    assert next(s for s in lower.sale_records if s.lot_id == "D1").rebuy_on is not None
