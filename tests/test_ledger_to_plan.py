"""From tlh-xl's own CSV to a harvest plan: the ledger's open lots are the plan's Lots and
its realized totals the Profile's RealizedShortTerm/LongTerm."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from pathlib import Path

from tlh_xl import load_rules
from tlh_xl.harvest import Profile, plan_harvest
from tlh_xl.ledger import TRANSACTION_COLUMNS, build_ledger, read_transactions_csv

CSV = f"""{",".join(TRANSACTION_COLUMNS)}
B1,2024-02-01T15:00Z,Buy,Coinbase,,USD,,BTC,1,USD,,60000,60,,
B2,2025-03-01T15:00Z,Buy,Kraken,,USD,,ETH,10,USD,,40000,40,,
S1,2025-06-01T15:00Z,Sell,Coinbase,,BTC,0.5,USD,,USD,,50000,50,,
"""


def test_the_ledgers_lots_and_gains_feed_a_plan(tmp_path: Path) -> None:
    """B1's half sold on 2025-06-01: 49,950 − 30,030 = 19,920 long-term (held since
    2024-02-01). Left: 0.5 BTC in Coinbase (30,030) and 10 ETH in Kraken (40,040); at
    1,500 an ETH the ETH is a 25,040 short-term loss that the plan harvests."""
    path = tmp_path / "transactions.csv"
    path.write_text(CSV, encoding="utf-8")
    ledger = build_ledger(read_transactions_csv(path))
    totals = ledger.realized_totals(2025)
    assert totals == {"short": Decimal(0), "long": Decimal("19920.00")}
    lots = [
        {k: v for k, v in dataclasses.asdict(lot).items() if k != "row"}
        for lot in ledger.lot_records()
    ]
    assert [(x["lot_id"], x["wallet"], x["quantity"], x["cost_basis"]) for x in lots] == [
        ("B1", "Coinbase", Decimal("0.5"), Decimal("30030.00")),
        ("B2", "Kraken", Decimal(10), Decimal(40040)),
    ]
    profile = Profile(
        tax_year=2025,
        filing_status="single",
        ordinary_income=150_000,
        realized_short_term=totals["short"],
        realized_long_term=totals["long"],
        as_of_date=dt.date(2025, 12, 1),
        fee_rate="0.001",
    )
    plan = plan_harvest(load_rules(2025), profile, lots, {"BTC": 100_000, "ETH": 1_500})
    sold = {(s.lot_id, s.wallet, s.tx_id) for s in plan.sale_records}
    assert ("B2", "Kraken", "B2") in sold
