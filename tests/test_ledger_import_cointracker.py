"""CoinTracker export: types to ledger types, fees taken out of sent quantities, values from
the dollar leg or CoinTracker's own figures, per-asset wallet names, the caller's time zone,
and every refusal naming file:line column."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tlh_xl import InputError
from tlh_xl.ledger import Transaction
from tlh_xl.ledger.importers import read_transactions
from tlh_xl.ledger.importers.cointracker import wallet_name

FIXTURES = Path(__file__).parent / "fixtures" / "exports"
UTC = dt.timezone.utc
D = Decimal

HEADER = (
    "Date,Type,Transaction ID,Received Quantity,Received Currency,Received Cost Basis (USD),"
    "Received Wallet,Received Address,Received Comment,Sent Quantity,Sent Currency,"
    "Sent Cost Basis (USD),Sent Wallet,Sent Address,Sent Comment,Fee Amount,Fee Currency,"
    "Fee Cost Basis (USD),Realized Return (USD),Fee Realized Return (USD),Transaction Hash"
)


def export(tmp_path: Path, *rows: str, header: str = HEADER) -> Path:
    path = tmp_path / "cointracker.csv"
    path.write_text(header + "\n" + "".join(r + "\n" for r in rows))
    return path


def line(
    kind: str,
    received: str = "",
    received_ccy: str = "",
    received_basis: str = "",
    received_wallet: str = "",
    sent: str = "",
    sent_ccy: str = "",
    sent_basis: str = "",
    sent_wallet: str = "",
    fee: str = "",
    fee_ccy: str = "",
    fee_basis: str = "",
    realized: str = "",
    fee_realized: str = "",
    date: str = "03/01/2024 12:00:00",
) -> str:
    return (
        f"{date},{kind},id-1,{received},{received_ccy},{received_basis},{received_wallet},,,"
        f"{sent},{sent_ccy},{sent_basis},{sent_wallet},,,{fee},{fee_ccy},{fee_basis},"
        f"{realized},{fee_realized},"
    )


@pytest.fixture(scope="module")
def fixture() -> dict[str, Transaction]:
    txs = read_transactions(FIXTURES / "cointracker_transactions.csv")
    return {t.place.split(":")[1]: t for t in txs}


def test_buy_takes_the_fee_out_of_the_dollars_sent(fixture: dict[str, Transaction]) -> None:
    assert fixture["11"] == Transaction(
        tx_id="018d6b5a-9c8d-7e7f-6a5b-4c3d2e1f0a9b",
        time=dt.datetime(2024, 2, 1, 10, 0, tzinfo=UTC),
        type="Buy",
        wallet="Coinbase",  # "Coinbase BTC Wallet" and "Coinbase USD Wallet" are one account
        sent_asset="USD",
        sent_quantity=D("100.00"),  # 101.49 sent includes the 1.49 fee
        received_asset="BTC",
        received_quantity=D("0.0021"),
        fee_asset="USD",
        fee_quantity=D("1.49"),
        value_usd=D("100.00"),
        fee_usd=D("1.49"),
        place="cointracker_transactions.csv:11",
        row=2,
    )


def test_sell_adds_the_dollar_fee_back(fixture: dict[str, Transaction]) -> None:
    t = fixture["9"]  # 69.30 received after a 0.70 fee
    assert (t.type, t.received_quantity, t.value_usd, t.fee_usd) == (
        "Sell",
        D("70.00"),
        D("70.00"),
        D("0.70"),
    )


def test_trade_is_valued_at_what_cointracker_realized(fixture: dict[str, Transaction]) -> None:
    t = fixture["7"]
    assert (t.type, t.wallet, t.sent_asset, t.received_asset) == ("Trade", "Coinbase", "BTC", "ETH")
    assert t.value_usd == D("650.00")  # 420.00 basis + 230.00 realized


def test_transfer(fixture: dict[str, Transaction]) -> None:
    t = fixture["8"]
    assert (t.type, t.wallet, t.to_wallet) == ("Transfer", "Coinbase", "Ledger Nano S ...9f3a")
    assert (t.sent_quantity, t.received_quantity) == (D("0.0500"), D("0.05"))
    assert (t.fee_asset, t.fee_quantity, t.fee_usd) == ("BTC", D("0.0001"), D("6.50"))


def test_income_receive_send_lost(fixture: dict[str, Transaction]) -> None:
    reward = fixture["5"]  # its comment spans two physical lines
    assert (reward.type, reward.received_asset, reward.value_usd) == ("Income", "XTZ", D("0.02"))
    assert reward.notes == "Tezos reward\nFrom Coinbase"
    receive = fixture["10"]
    assert (receive.type, receive.wallet, receive.value_usd, receive.sent_asset) == (
        "Buy",
        "Solana Wallet ...7Hx2",
        D("55.10"),
        "",
    )
    send = fixture["12"]
    assert (send.type, send.value_usd, send.notes) == ("Spend", D("43.00"), "Paid an invoice")
    lost = fixture["2"]
    assert (lost.type, lost.wallet, lost.sent_quantity, lost.value_usd) == (
        "Lost",
        "Voyager",
        D("10"),
        None,
    )


def test_skipped_rows_and_physical_lines(fixture: dict[str, Transaction]) -> None:
    # 3-4: a USD SEND (comment over two lines); 13: SPAM; 14-15: a USD RECEIVE.
    assert sorted(fixture, key=int) == ["2", "5", "7", "8", "9", "10", "11", "12"]


def test_newest_first_file_numbers_rows_in_time_order(fixture: dict[str, Transaction]) -> None:
    ordered = sorted(fixture.values(), key=lambda t: t.row)
    assert [t.time for t in ordered] == sorted(t.time for t in ordered)


def test_times_take_the_callers_zone(tmp_path: Path) -> None:
    path = export(
        tmp_path,
        line("STAKING_REWARD", "1", "ATOM", "9.50", "Keplr", date="12/31/2025 23:30:00"),
        line("STAKING_REWARD", "1", "ATOM", "9.50", "Keplr", date="2026-01-01T04:30:00Z"),
    )
    local, zulu = read_transactions(path, tz="America/New_York")
    assert local.time == dt.datetime(2025, 12, 31, 23, 30, tzinfo=ZoneInfo("America/New_York"))
    assert local.time == zulu.time  # the same instant
    assert zulu.time.tzinfo is UTC  # a stamp that says Z stays UTC
    (default,) = read_transactions(export(tmp_path, line("INCOME", "1", "ATOM", "9", "K")))
    assert default.time.tzinfo is UTC


@pytest.mark.parametrize(
    ("name", "asset", "expected"),
    [
        ("Coinbase BTC Wallet", "BTC", "Coinbase"),
        ("Coinbase BTC Wallet", "ETH", "Coinbase BTC Wallet"),
        ("Polygon Wallet ...EE57Cd", "MATIC", "Polygon Wallet ...EE57Cd"),
        (" Voyager ", "VET", "Voyager"),
    ],
)
def test_wallet_name(name: str, asset: str, expected: str) -> None:
    assert wallet_name(name, asset) == expected


@pytest.mark.parametrize(
    ("row", "message", "header"),
    [
        (
            line("BORROW", "1", "USDC", "1", "Aave"),
            "cointracker.csv:2 Type: unknown type 'BORROW'",
            HEADER,
        ),
        (
            line("MULTI_TOKEN_TRADE", "1", "LP", "1", "Uniswap"),
            "cointracker.csv:2 Type: unknown type 'MULTI_TOKEN_TRADE'",
            HEADER,
        ),
        (
            line("STAKING_REWARD", "1", "ATOM", "", "Keplr"),
            "cointracker.csv:2 Received Cost Basis (USD): no USD value for the 1 ATOM received",
            HEADER,
        ),
        (
            line("TRADE", "1", "ETH", "", "W", "0.05", "BTC", "2000", "W"),
            "cointracker.csv:2 Realized Return (USD): no USD value for the trade of 0.05 BTC",
            HEADER,
        ),
        (
            line("TRADE", "1", "ETH", "", "A", "0.05", "BTC", "2000", "B", realized="100"),
            "cointracker.csv:2 Received Wallet: TRADE between two wallets ('B', 'A')",
            HEADER,
        ),
        (
            line("SEND", sent="0.001", sent_ccy="BTC", sent_wallet="W", fee="0.002", fee_ccy="BTC"),
            "cointracker.csv:2 Fee Amount: a fee of 0.002 BTC exceeds the 0.001 sent",
            HEADER,
        ),
        (
            line("RECEIVE", '"1,2.5"', "BTC", "5", "W"),
            "cointracker.csv:2 Received Quantity: expected a number, got '1,2.5'",
            HEADER,
        ),
        (
            line("RECEIVE", "-1", "BTC", "5", "W"),
            "cointracker.csv:2 Received Quantity: expected a positive quantity, got '-1'",
            HEADER,
        ),
        (
            line("RECEIVE", "1", "BTC", "5", "W", date="2024-13-01 00:00"),
            "cointracker.csv:2 Date: not a real date and time: '2024-13-01 00:00'",
            HEADER,
        ),
        (
            line("RECEIVE", "1", "BTC", "5", "W", date="1 March 2024"),
            "cointracker.csv:2 Date: expected a time like '03/01/2025 14:05:09', "
            "got '1 March 2024'",
            HEADER,
        ),
        (
            line("RECEIVE", "1", "BTC", "5", "W"),
            "cointracker.csv:2 Received Cost Basis (EUR): values are in EUR",
            HEADER.replace("(USD)", "(EUR)"),
        ),
        (
            line("GIFT", sent="1", sent_ccy="USD", sent_wallet="W"),
            "cointracker.csv:2 Sent Currency: a GIFT of US dollars is not a coin",
            HEADER,
        ),
        (
            line("TRANSFER", "1", "BTC", "", "B", "1", "BTC", "", ""),
            "cointracker.csv:2 Sent Wallet: expected a wallet, got ''",
            HEADER,
        ),
    ],
)
def test_refusals_name_file_line_and_column(
    tmp_path: Path, row: str, message: str, header: str
) -> None:
    path = export(tmp_path, row, header=header)
    with pytest.raises(InputError, match="^" + re.escape(message)):
        read_transactions(path)


def test_older_variant_with_ignored_column(tmp_path: Path) -> None:
    header = (
        "Date,Type,Transaction ID,Received Quantity,Received Currency,Received Cost Basis (USD),"
        "Received Wallet,Received Address,Received Tag,Received Comment,Sent Quantity,"
        "Sent Currency,Sent Cost Basis (USD),Sent Wallet,Sent Address,Sent Tag,Sent Comment,"
        "Fee Amount,Fee Currency,Realized Return (USD),Ignored"
    )
    path = export(
        tmp_path,
        "06/01/2023 10:00:00,RECEIVE,id-1,2,ETH,3600,MetaMask,,,,,,,,,,,,,,false",
        "06/02/2023 10:00:00,RECEIVE,id-2,5,ETH,9000,MetaMask,,,,,,,,,,,,,,true",
        header=header,
    )
    (t,) = read_transactions(path)
    assert (t.type, t.received_quantity, t.value_usd, t.place) == (
        "Buy",
        D("2"),
        D("3600"),
        "cointracker.csv:2",
    )


def test_a_fee_in_the_received_coin_is_added_back(tmp_path: Path) -> None:
    path = export(
        tmp_path,
        line(
            "TRADE",
            "0.1795",  # net: 0.18 ETH less the 0.0005 ETH fee
            "ETH",
            "650.00",
            "W",
            "0.01",
            "BTC",
            "420.00",
            "W",
            fee="0.0005",
            fee_ccy="ETH",
            fee_basis="1.80",
            realized="230.00",
            fee_realized="0",
        ),
    )
    (t,) = read_transactions(path)
    assert (t.received_quantity, t.fee_asset, t.fee_quantity, t.fee_usd) == (
        D("0.18"),
        "ETH",
        D("0.0005"),
        D("1.80"),
    )
