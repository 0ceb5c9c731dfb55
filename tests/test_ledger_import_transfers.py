"""Joining half transfers from two exports: only exact, unique pairs; all else untouched."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from tlh_xl.ledger import Transaction
from tlh_xl.ledger.importers import pair_transfers, read_transactions

UTC = dt.timezone.utc
D = Decimal
T0 = dt.datetime(2025, 5, 20, 18, 45, tzinfo=UTC)


def leaving(
    qty: str, at: dt.datetime = T0, wallet: str = "Coinbase", place: str = "cb:7"
) -> Transaction:
    return Transaction(
        tx_id=place,
        time=at,
        type="Transfer",
        wallet=wallet,
        sent_asset="BTC",
        sent_quantity=D(qty),
        notes="Sent to bc1q...",
        place=place,
    )


def arriving(
    qty: str, at: dt.datetime, to: str = "Kraken", place: str = "kr:9", asset: str = "BTC"
) -> Transaction:
    return Transaction(
        tx_id=place,
        time=at,
        type="Transfer",
        wallet="",
        to_wallet=to,
        received_asset=asset,
        received_quantity=D(qty),
        place=place,
    )


def test_exact_unique_pair_is_joined_at_the_leaving_half() -> None:
    buy = Transaction(tx_id="b", time=T0, type="Income", wallet="Coinbase", place="cb:3")
    out, arrival = leaving("0.005"), arriving("0.0050", T0 + dt.timedelta(minutes=40))
    (first, joined) = pair_transfers([buy, out, arrival])
    assert first is buy
    assert (joined.wallet, joined.to_wallet, joined.place, joined.time) == (
        "Coinbase",
        "Kraken",
        "cb:7",
        T0,
    )
    assert (joined.sent_quantity, joined.received_asset, joined.received_quantity) == (
        D("0.005"),
        "BTC",
        D("0.0050"),
    )
    assert joined.notes == "Sent to bc1q...; arrived kr:9"


def test_inexact_late_early_or_other_asset_stay_apart() -> None:
    out = leaving("0.005")
    for arrival in (
        arriving("0.0049", T0 + dt.timedelta(hours=1)),  # a fee taken on the way: not guessed
        arriving("0.005", T0 + dt.timedelta(days=4)),  # beyond the window
        arriving("0.005", T0 - dt.timedelta(minutes=1)),  # arrived before it left
        arriving("0.005", T0 + dt.timedelta(hours=1), asset="ETH"),
        arriving("0.005", T0 + dt.timedelta(hours=1), to="Coinbase"),  # the same wallet
    ):
        assert pair_transfers([out, arrival]) == [out, arrival]


def test_ambiguous_pairs_stay_apart() -> None:
    out = leaving("0.005")
    one = arriving("0.005", T0 + dt.timedelta(hours=1), place="kr:9")
    two = arriving("0.005", T0 + dt.timedelta(hours=2), to="Ledger", place="led:4")
    assert pair_transfers([out, one, two]) == [out, one, two]
    other_out = leaving("0.005", T0 + dt.timedelta(minutes=5), wallet="Gemini", place="gm:2")
    assert pair_transfers([out, other_out, one]) == [out, other_out, one]


def test_coinbase_send_meets_kraken_deposit(tmp_path: Path) -> None:
    coinbase = tmp_path / "coinbase.csv"
    coinbase.write_text(
        "ID,Timestamp,Transaction Type,Asset,Quantity Transacted,Price Currency,"
        "Price at Transaction,Subtotal,Total (inclusive of fees and/or spread),"
        "Fees and/or Spread,Notes\n"
        "c1,2025-05-20 18:45:00 UTC,Send,BTC,-0.005,USD,$100000,-$500.00,-$500.00,$0.00,"
        "Sent 0.005 BTC to bc1qexample\n"
    )
    kraken = tmp_path / "ledgers.csv"
    kraken.write_text(
        '"txid","refid","time","type","subtype","aclass","asset","amount","fee","balance"\n'
        '"L1","Q1","2025-05-20 19:31:02","deposit","","currency","XXBT",0.0050000000,'
        "0.0000000000,0.0050000000\n"
    )
    (joined,) = pair_transfers(read_transactions(coinbase) + read_transactions(kraken))
    assert (joined.type, joined.wallet, joined.to_wallet, joined.place) == (
        "Transfer",
        "Coinbase",
        "Kraken",
        "coinbase.csv:2",
    )
    assert joined.notes.endswith("arrived ledgers.csv:2: Kraken deposit Q1")
