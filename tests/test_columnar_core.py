"""The engine's columnar core: lots, positions and sales kept as tables, records on demand.

The plan keeps lots and positions as columns and sales as plain rows, so a plan of
100,000 lots leaves the garbage collector almost nothing to scan. These tests hold the
tables to the records they stand for: every record view, DataFrame and output row must
be what the one-record-at-a-time path gives.
"""

from __future__ import annotations

import datetime as dt
import gc
import random
from decimal import Decimal

import pytest

from tlh_xl import load_rules
from tlh_xl.harvest import Profile, plan_harvest
from tlh_xl.harvest.lot_table import Lot, LotTable
from tlh_xl.harvest.lots import parse_lot_table, parse_lots
from tlh_xl.harvest.positions import value_positions, value_table
from tlh_xl.harvest.sales import SALE_FIELDS, Sale, SaleTable
from tlh_xl.output_tables import HARVEST_COLUMNS, POSITION_COLUMNS, frame, rows

R2025 = load_rules(2025)
AS_OF = dt.date(2025, 12, 1)
ASSETS = ["BTC", "ETH", "SOL", "IBIT", "FBTC", "PUNK", "ART"]
CLASSES = {"IBIT": "Security", "FBTC": "Security", "PUNK": "NFT", "ART": "NFT (collectible)"}


def portfolio(n: int, seed: int = 7) -> tuple[list[dict[str, object]], dict[str, Decimal]]:
    """Lots of every class, some bought inside the wash-sale window, some excluded, some
    with a price override, one without a price: every branch of the flags."""
    rnd = random.Random(seed)
    prices = {a: Decimal(rnd.randint(1, 90_000)) / 100 for a in ASSETS}
    prices.pop("SOL")  # SOL lots have no price: flagged, never sold
    lots = []
    for i in range(n):
        asset = rnd.choice(ASSETS)
        nft = CLASSES.get(asset, "").startswith("NFT")
        qty = Decimal(1) if nft else Decimal(rnd.randint(1, 500_000)) / 10_000
        reference = prices.get(asset, Decimal(10))
        lots.append(
            {
                "lot_id": f"L{i}",
                "asset": f"{asset}{i}" if nft else asset,
                "asset_class": CLASSES.get(asset, "Crypto"),
                "wallet": rnd.choice(["Coinbase", "Ledger"]),
                "acquired": AS_OF - dt.timedelta(days=rnd.randint(0, 900)),
                "quantity": qty,
                "cost_basis": (qty * reference * Decimal(rnd.uniform(0.4, 2))).quantize(
                    Decimal("0.01")
                ),
                "tx_id": f"t{i}",
                "price_override": Decimal(rnd.randint(1, 5000)) if rnd.random() < 0.05 else None,
                "exclude": rnd.random() < 0.05,
            }
        )
        if nft:
            prices[f"{asset}{i}"] = Decimal(rnd.randint(50, 3000))
    return lots, prices


PROFILE = Profile(
    tax_year=2025,
    filing_status="single",
    ordinary_income=180_000,
    realized_short_term=30_000,
    realized_long_term=60_000,
    realized_collectibles=8_000,
    as_of_date=AS_OF,
    fee_rate="0.004",
    harvest_gains=True,
)


def test_a_lot_table_is_its_records() -> None:
    lots, _ = portfolio(300)
    table = parse_lot_table(lots, AS_OF)
    records = parse_lots(lots, AS_OF)
    assert table.records() == records
    assert [table.lot(i) for i in range(len(table))] == records
    assert LotTable.from_lots(records) == table
    assert LotTable.from_lots([]).records() == []
    marked = table.excluding({"L3"})
    assert marked.exclude[3] is True and table.exclude[3] is lots[3]["exclude"]


def test_positions_as_columns_are_the_positions_one_by_one() -> None:
    lots, prices = portfolio(400)
    records = parse_lots(lots, AS_OF)
    table = value_table(R2025, LotTable.from_lots(records), prices, AS_OF, [["BTC", "IBIT"]])
    one_by_one = value_positions(R2025, records, prices, AS_OF, [["BTC", "IBIT"]])
    assert table.records() == one_by_one
    assert [table.position(i) for i in range(len(table))] == one_by_one
    # Every branch of the flags is reached, so the comparison means something.
    flags = "; ".join("; ".join(p.flags) for p in one_by_one)
    for text in ("no price for SOL", "NFT: cannot be bought back", "wash sale:", "excluded"):
        assert text in flags
    assert table.harvestable() == [i for i, p in enumerate(one_by_one) if p.harvestable_loss]
    assert rows(table, POSITION_COLUMNS) == rows(one_by_one, POSITION_COLUMNS)


# Little income, and no loss worth a sale (the minimum benefit is out of reach), so
# long-term gains are harvested while taxed at 0%.
GAINS = Profile(
    tax_year=2025,
    filing_status="married_joint",
    ordinary_income=40_000,
    as_of_date=AS_OF,
    fee_rate="0.004",
    min_benefit=1_000_000,
    harvest_gains=True,
)


@pytest.mark.parametrize("profile", [PROFILE, GAINS], ids=["losses", "gains"])
def test_the_plans_tables_are_its_records(profile: Profile) -> None:
    lots, prices = portfolio(600)
    plan = plan_harvest(R2025, profile, lots, prices)
    sales = plan.sale_records
    held = {lot["lot_id"]: lot["quantity"] for lot in lots}
    if profile is GAINS:  # gains harvested up to the top of the 0% bracket: the last in part
        assert len(sales) > 2 and all(s.gain_loss > 0 for s in sales)
        assert any(s.quantity < held[s.lot_id] for s in sales)
    else:
        assert len(sales) > 50 and all(s.gain_loss < 0 for s in sales)
    assert all(isinstance(s, Sale) for s in sales)
    # The DataFrames, built column by column from the tables, are the records'.
    assert plan.sales.equals(frame(sales, HARVEST_COLUMNS))
    assert plan.positions.equals(frame(plan.position_records, POSITION_COLUMNS))
    assert rows(plan.sale_table, HARVEST_COLUMNS) == rows(sales, HARVEST_COLUMNS)
    # A sale row holds Sale's fields in order: each field read back by name.
    for row, sale in zip(plan.sale_table.rows, sales):
        assert row == tuple(getattr(sale, name) for name in SALE_FIELDS)
    assert plan.sale_table.column("fees") == [s.fees for s in sales]
    assert plan.sale_table.column("collectible") == [s.collectible for s in sales]


def test_a_sale_table_reads_back_what_it_holds() -> None:
    sale = Sale(
        "L1",
        "BTC",
        "Crypto",
        "Coinbase",
        "t1",
        dt.date(2025, 1, 2),
        AS_OF,
        Decimal("0.5"),
        Decimal("990.00"),
        Decimal("1500.00"),
        Decimal("-510.00"),
        "short",
        Decimal("10.00"),
        (),
        Decimal("10.00"),
        AS_OF + dt.timedelta(days=1),
        "a note",
    )
    table = SaleTable([tuple(getattr(sale, name) for name in SALE_FIELDS)])
    assert table.records() == [sale]
    assert table.column("fees") == [Decimal("20.00")]
    assert table.column("sold") == [AS_OF]


@pytest.mark.parametrize("n", [4_000])
def test_a_plan_leaves_the_garbage_collector_next_to_nothing(n: int) -> None:
    """With a record per lot, a plan of n lots left more than 3n objects for the
    collector's full passes (Lot, Position, Candidate and Sale, each scanned on every
    pass); the tables hold only lists of untracked values."""
    lots, prices = portfolio(n, seed=11)
    gc.collect()
    before = len(gc.get_objects())
    plan = plan_harvest(R2025, PROFILE, lots, prices)
    gc.collect()
    added = len(gc.get_objects()) - before
    assert len(plan.sale_table) > n // 10
    assert added < n // 20, f"{added} objects tracked after a plan of {n} lots"
    assert isinstance(plan.sale_records[0], Sale)  # records still there when asked
    assert isinstance(plan.position_records[0].lot, Lot)
