"""Koinly transaction report: types and tags to ledger types, wallets from the file, USD
only, UTC times, and every refusal naming file:line column."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest

from tlh_xl import InputError
from tlh_xl.ledger import Transaction
from tlh_xl.ledger.importers import read_transactions

FIXTURES = Path(__file__).parent / "fixtures" / "exports"
UTC = dt.timezone.utc
D = Decimal

HEADER = (
    "Date,Type,Tag,Sending Wallet,Sent Amount,Sent Currency,Sent Cost Basis,Receiving Wallet,"
    "Received Amount,Received Currency,Received Cost Basis,Fee Amount,Fee Currency,Gain (USD),"
    "Net Value (USD),Fee Value (USD),TxSrc,TxDest,TxHash,Description"
)


def report(tmp_path: Path, *rows: str, header: str = HEADER) -> Path:
    path = tmp_path / "koinly.csv"
    path.write_text(header + "\n" + "".join(r + "\n" for r in rows))
    return path


def line(
    kind: str,
    tag: str = "",
    sending: str = "",
    sent: str = "",
    sent_ccy: str = "",
    receiving: str = "",
    received: str = "",
    received_ccy: str = "",
    fee: str = "",
    fee_ccy: str = "",
    value: str = "",
    fee_value: str = "",
    date: str = "2024-05-01 08:00:00 UTC",
) -> str:
    return (
        f"{date},{kind},{tag},{sending},{sent},{sent_ccy},,{receiving},{received},{received_ccy},"
        f",{fee},{fee_ccy},,{value},{fee_value},,,,"
    )


@pytest.fixture(scope="module")
def fixture() -> dict[str, Transaction]:
    txs = read_transactions(FIXTURES / "koinly_transactions.csv")
    return {t.place.split(":")[1]: t for t in txs}


def test_buy(fixture: dict[str, Transaction]) -> None:
    assert fixture["3"] == Transaction(
        tx_id="koinly_transactions.csv:3",
        time=dt.datetime(2024, 1, 5, 10, 5, tzinfo=UTC),
        type="Buy",
        wallet="Coinbase",
        sent_asset="USD",
        sent_quantity=D("500"),
        received_asset="BTC",
        received_quantity=D("0.0113"),
        fee_asset="USD",
        fee_quantity=D("5"),
        value_usd=D("500"),
        fee_usd=D("5"),
        notes="Bought BTC",
        place="koinly_transactions.csv:3",
        row=1,
    )


def test_transfer_between_own_wallets(fixture: dict[str, Transaction]) -> None:
    t = fixture["4"]
    assert (t.type, t.wallet, t.to_wallet) == ("Transfer", "Coinbase", "Ledger Nano X")
    assert (t.sent_quantity, t.received_quantity) == (D("0.0113"), D("0.0112"))
    assert (t.fee_asset, t.fee_quantity, t.fee_usd) == ("BTC", D("0.0001"), D("4.30"))
    assert t.value_usd is None  # moving a coin is no sale
    assert t.notes.startswith("Move to cold storage tx 3f1e9c0b")


def test_exchange_and_sell(fixture: dict[str, Transaction]) -> None:
    trade = fixture["5"]
    assert (trade.type, trade.sent_asset, trade.received_asset, trade.value_usd) == (
        "Trade",
        "ETH",
        "BTC",
        D("5102.40"),
    )
    assert (trade.fee_asset, trade.fee_usd) == ("BTC", D("12.56"))
    sell = fixture["11"]
    assert (sell.type, sell.received_quantity, sell.value_usd, sell.fee_usd) == (
        "Sell",
        D("1750.50"),
        D("1750.50"),
        D("2.80"),
    )


def test_deposits_by_tag(fixture: dict[str, Transaction]) -> None:
    reward = fixture["6"]
    assert (reward.type, reward.wallet, reward.received_asset, reward.value_usd) == (
        "Income",
        "Kraken",
        "ETH",
        D("35.20"),
    )
    untagged = fixture["7"]  # Koinly: "bought at market price"
    assert (untagged.type, untagged.sent_asset, untagged.sent_quantity) == ("Buy", "", None)
    assert (untagged.received_quantity, untagged.value_usd) == (D("0.002"), D("120.00"))
    assert untagged.time == dt.datetime(2024, 5, 1, 8, 0, tzinfo=UTC)  # "08:00 UTC"


def test_withdrawals_by_tag(fixture: dict[str, Transaction]) -> None:
    assert (fixture["8"].type, fixture["8"].value_usd) == ("Spend", D("30.00"))
    assert (fixture["9"].type, fixture["9"].sent_quantity) == ("Gift Out", D("0.001"))
    assert (fixture["10"].type, fixture["10"].wallet) == ("Lost", "Ledger Nano X")


def test_skipped_rows(fixture: dict[str, Transaction]) -> None:
    # 2: a USD deposit; 12: tagged ignored (Koinly left it out); 13: a USD withdrawal
    assert sorted(fixture, key=int) == [str(n) for n in range(3, 12)]


def test_label_header_and_spelled_out_tags(tmp_path: Path) -> None:
    path = report(
        tmp_path,
        line(
            "crypto_deposit",
            "Lending interest",
            receiving="Nexo",
            received="2",
            received_ccy="USDC",
            value="2.00",
        ),
        header=HEADER.replace(",Tag,", ",Label,"),
    )
    (t,) = read_transactions(path)
    assert (t.type, t.wallet, t.value_usd) == ("Income", "Nexo", D("2.00"))


def test_non_usd_cash_moves_as_half_transfers(tmp_path: Path) -> None:
    path = report(
        tmp_path,
        line("fiat_deposit", receiving="Kraken", received="100", received_ccy="EUR", value="108"),
    )
    (t,) = read_transactions(path)
    assert (t.type, t.wallet, t.to_wallet, t.received_asset) == ("Transfer", "", "Kraken", "EUR")


@pytest.mark.parametrize(
    ("row", "message", "header"),
    [
        (
            line(
                "buy",
                sending="K",
                sent='"1,2.5"',
                sent_ccy="USD",
                receiving="K",
                received="1",
                received_ccy="ETH",
            ),
            "koinly.csv:2 Sent Amount: expected a number, got '1,2.5'",
            HEADER,
        ),
        (
            line("crypto_deposit", receiving="K", received="-1", received_ccy="ETH", value="3"),
            "koinly.csv:2 Received Amount: expected a positive amount, got '-1'",
            HEADER,
        ),
        (
            line(
                "crypto_deposit",
                "bonus",
                receiving="K",
                received="1",
                received_ccy="ETH",
                value="3",
            ),
            "koinly.csv:2 Tag: unknown deposit tag 'bonus'",
            HEADER,
        ),
        (
            line(
                "crypto_withdrawal",
                "loan repayment",
                sending="K",
                sent="1",
                sent_ccy="ETH",
                value="3",
            ),
            "koinly.csv:2 Tag: unknown withdrawal tag 'loan repayment'",
            HEADER,
        ),
        (
            line("margin_trade", sending="K", sent="1", sent_ccy="ETH"),
            "koinly.csv:2 Type: unknown type 'margin_trade'",
            HEADER,
        ),
        (
            line(
                "exchange",
                sending="K",
                sent="1",
                sent_ccy="ETH",
                receiving="K",
                received="0.05",
                received_ccy="BTC",
            ),
            "koinly.csv:2 Net Value (USD): no USD value for the exchange of 1 ETH",
            HEADER,
        ),
        (
            line(
                "exchange",
                sending="K",
                sent="1",
                sent_ccy="ETH",
                receiving="K",
                received="0.05",
                received_ccy="BTC",
                value="3000",
            ),
            "koinly.csv:2 Net Value (GBP): values are in GBP; tlh-xl needs a report in USD",
            HEADER.replace("(USD)", "(GBP)"),
        ),
        (
            line(
                "exchange",
                sending="A",
                sent="1",
                sent_ccy="ETH",
                receiving="B",
                received="0.05",
                received_ccy="BTC",
                value="3000",
            ),
            "koinly.csv:2 Receiving Wallet: 'exchange' between two wallets ('A', 'B')",
            HEADER,
        ),
        (
            line(
                "transfer",
                sending="A",
                sent="1",
                sent_ccy="ETH",
                receiving="B",
                received="1",
                received_ccy="WETH",
            ),
            "koinly.csv:2 Received Currency: a transfer of 'ETH' that arrives as 'WETH'",
            HEADER,
        ),
        (
            line(
                "transfer",
                sending="A",
                sent="1",
                sent_ccy="ETH",
                receiving="",
                received="1",
                received_ccy="ETH",
            ),
            "koinly.csv:2 Receiving Wallet: expected a wallet, got ''",
            HEADER,
        ),
        (
            line("buy", sending="K", sent="5", receiving="K", received="1", received_ccy="ETH"),
            "koinly.csv:2 Sent Currency: expected the currency of 5, got ''",
            HEADER,
        ),
        (
            line(
                "crypto_deposit",
                receiving="K",
                received="1",
                received_ccy="ETH",
                value="3",
                date="05/01/2024 08:00",
            ),
            "koinly.csv:2 Date: expected a UTC time like '2025-03-01 14:05 UTC', "
            "got '05/01/2024 08:00'",
            HEADER,
        ),
    ],
)
def test_refusals_name_file_line_and_column(
    tmp_path: Path, row: str, message: str, header: str
) -> None:
    path = report(tmp_path, row, header=header)
    with pytest.raises(InputError, match="^" + re.escape(message)):
        read_transactions(path)
