"""Coinbase transaction history: each header generation, the type mapping field by field,
Convert notes, UTC stamps, and every refusal naming file:line column."""

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

V4_HEADER = (
    "ID,Timestamp,Transaction Type,Asset,Quantity Transacted,Price Currency,"
    "Price at Transaction,Subtotal,Total (inclusive of fees and/or spread),"
    "Fees and/or Spread,Notes"
)


def v4(tmp_path: Path, *rows: str) -> Path:
    """A current export with its two preamble lines: data rows start on line 4."""
    path = tmp_path / "coinbase.csv"
    path.write_text("Transactions\nUser,Pat Example,5f0c2e9a\n" + V4_HEADER + "\n")
    with path.open("a") as f:
        f.writelines(row + "\n" for row in rows)
    return path


def by_place(txs: list[Transaction]) -> dict[str, Transaction]:
    return {t.place.split(":")[1]: t for t in txs}


@pytest.fixture(scope="module")
def current() -> dict[str, Transaction]:
    return by_place(read_transactions(FIXTURES / "coinbase_v4.csv"))


def test_buy(current: dict[str, Transaction]) -> None:
    t = current["14"]
    assert t == Transaction(
        tx_id="67c320f5a1b2c3d4e5f6a710",
        time=dt.datetime(2025, 3, 1, 14, 5, 9, tzinfo=UTC),
        type="Buy",
        wallet="Coinbase",
        sent_asset="USD",
        sent_quantity=D("500.00"),  # Subtotal: the fee is its own field
        received_asset="BTC",
        received_quantity=D("0.01"),
        fee_asset="USD",
        fee_quantity=D("5.00"),
        value_usd=D("500.00"),
        fee_usd=D("5.00"),
        notes="Bought 0.01 BTC for $505.00 USD",
        place="coinbase_v4.csv:14",
        row=3,
    )


def test_sell_with_negative_cells(current: dict[str, Transaction]) -> None:
    t = current["17"]  # Quantity -0.25, Subtotal -$825.00 in the export
    assert (t.type, t.sent_asset, t.sent_quantity) == ("Sell", "ETH", D("0.25"))
    assert (t.received_asset, t.received_quantity) == ("USD", D("825.00"))
    assert (t.value_usd, t.fee_asset, t.fee_quantity, t.fee_usd) == (
        D("825.00"),
        "USD",
        D("12.37"),
        D("12.37"),
    )


def test_advanced_trade_sell_against_usd(current: dict[str, Transaction]) -> None:
    t = current["9"]
    assert (t.type, t.sent_quantity, t.received_asset, t.value_usd, t.fee_usd) == (
        "Sell",
        D("0.002"),
        "USD",
        D("164.00"),
        D("0.66"),
    )


def test_advanced_trade_buy_against_a_coin_splits_the_fee_by_the_note_rate(
    current: dict[str, Transaction],
) -> None:
    t = current["10"]  # Bought 0.02 ETH for 61.2 USDC on ETH-USDC at 3,000.00 USDC/ETH
    assert t.type == "Trade"
    assert (t.sent_asset, t.sent_quantity) == ("USDC", D("60"))  # 0.02 * 3,000
    assert (t.received_asset, t.received_quantity) == ("ETH", D("0.02"))
    assert (t.fee_asset, t.fee_quantity, t.fee_usd) == ("USDC", D("1.2"), D("1.20"))  # 61.2 - 60
    assert t.value_usd == D("60.00")


def test_convert_reads_the_counter_asset_from_the_notes(current: dict[str, Transaction]) -> None:
    t = current["8"]  # Converted 0.5 ETH to 1,480.25 USDC
    assert t.type == "Trade"
    assert (t.sent_asset, t.sent_quantity) == ("ETH", D("0.5"))
    assert (t.received_asset, t.received_quantity) == ("USDC", D("1480.25"))
    # Worth what arrived: Total, $1,500.00 less the $19.75 spread Coinbase took in the
    # rate. The spread is no separate fee: the USDC received is already net of it.
    assert t.value_usd == D("1480.25")
    assert (t.fee_asset, t.fee_quantity, t.fee_usd) == ("", None, None)
    assert t.notes == "Converted 0.5 ETH to 1,480.25 USDC (spread $19.75)"


def test_convert_without_total_is_subtotal_less_spread(tmp_path: Path) -> None:
    path = v4(
        tmp_path,
        'a1,2025-04-01 10:00:00 UTC,Convert,ETH,-0.5,USD,$3000,"-$1,500.00",,$19.75,'
        "Converted 0.5 ETH to 1480.25 USDC",
    )
    (t,) = read_transactions(path)
    assert t.value_usd == D("1480.25")


def test_plain_buy_without_notes_is_against_cash(tmp_path: Path) -> None:
    path = v4(tmp_path, "a1,2025-03-01 14:05:09 UTC,Buy,SOL,2,USD,$150,$300.00,$304.00,$4.00,")
    (t,) = read_transactions(path)
    assert (t.type, t.sent_asset, t.sent_quantity, t.fee_usd) == (
        "Buy",
        "USD",
        D("300.00"),
        D("4.00"),
    )


def test_convert_to_dollars_is_a_sale(tmp_path: Path) -> None:
    path = v4(
        tmp_path,
        "a1,2025-04-01 10:00:00 UTC,Convert,BTC,-0.001,USD,$80000,-$80.00,-$79.20,$0.80,"
        "Converted 0.001 BTC to 79.20 USD",
    )
    (t,) = read_transactions(path)
    assert (t.type, t.received_asset, t.received_quantity) == ("Sell", "USD", D("79.20"))


def test_income_types(current: dict[str, Transaction]) -> None:
    staking = current["5"]  # the staking commission is not a fee the user paid
    assert (staking.type, staking.received_asset, staking.received_quantity) == (
        "Income",
        "ETH",
        D("0.0012"),
    )
    assert (staking.value_usd, staking.fee_usd, staking.fee_quantity) == (D("3.7206"), None, None)
    learn = current["6"]
    assert (learn.type, learn.received_asset, learn.value_usd) == ("Income", "GRT", D("1.54"))
    earn = current["16"]  # a Receive whose notes name Coinbase Earn
    assert (earn.type, earn.received_asset, earn.value_usd) == ("Income", "XLM", D("1.60"))


def test_income_without_subtotal_is_quantity_times_price(tmp_path: Path) -> None:
    path = v4(tmp_path, "a1,2025-04-01 10:00:00 UTC,Inflation Reward,SOL,0.5,USD,$150.10,,,,")
    (t,) = read_transactions(path)
    assert (t.type, t.value_usd) == ("Income", D("75.050"))


def test_send_and_receive_are_half_transfers(current: dict[str, Transaction]) -> None:
    send = current["7"]
    assert (send.type, send.wallet, send.to_wallet) == ("Transfer", "Coinbase", "")
    assert (send.sent_asset, send.sent_quantity, send.received_asset) == ("BTC", D("0.005"), "")
    assert (send.fee_usd, send.fee_quantity) == (D("1.10"), None)
    assert send.notes.startswith("Sent 0.005 BTC to bc1q")
    receive = current["11"]
    assert (receive.type, receive.wallet, receive.to_wallet) == ("Transfer", "", "Coinbase")
    assert (receive.received_asset, receive.received_quantity) == ("USDC", D("200"))
    assert receive.sent_asset == "" and receive.value_usd is None


def test_skipped_rows_carry_no_tax_event(current: dict[str, Transaction]) -> None:
    # line 12: Retail Staking Transfer (inside the account); line 15: a USD bank deposit
    assert "12" not in current and "15" not in current
    assert len(current) == 11


def test_times_stay_utc_and_aware(current: dict[str, Transaction]) -> None:
    for t in current.values():
        assert t.time.tzinfo is UTC
    assert current["8"].time == dt.datetime(2025, 4, 7, 14, 14, 41, tzinfo=UTC)


def test_newest_first_rows_number_in_time_order(current: dict[str, Transaction]) -> None:
    # The Send (line 13) and the Buy (line 14) share a second; the file is newest first,
    # so the Buy, listed below, happened first and gets the lower row.
    assert current["14"].row < current["13"].row
    assert current["17"].row == 1 and current["5"].row == 11


def test_wallet_parameter(tmp_path: Path) -> None:
    txs = read_transactions(FIXTURES / "coinbase_v4.csv", wallet="Coinbase (joint)")
    assert {t.wallet for t in txs if t.wallet} == {"Coinbase (joint)"}
    assert {t.to_wallet for t in txs if t.to_wallet} == {"Coinbase (joint)"}


def test_older_export_with_preamble_and_iso_stamps() -> None:
    txs = read_transactions(FIXTURES / "coinbase_v2.csv")
    buy, reward, convert, send = txs
    assert buy == Transaction(
        tx_id="coinbase_v2.csv:9",  # no ID column: the place stands in
        time=dt.datetime(2021, 3, 1, 15, 4, 5, tzinfo=UTC),
        type="Buy",
        wallet="Coinbase",
        sent_asset="USD",
        sent_quantity=D("100.00"),
        received_asset="BTC",
        received_quantity=D("0.00203"),
        fee_asset="USD",
        fee_quantity=D("1.99"),
        value_usd=D("100.00"),
        fee_usd=D("1.99"),
        notes="Bought 0.00203 BTC for $101.99 USD",
        place="coinbase_v2.csv:9",
        row=1,
    )
    assert (reward.type, reward.value_usd) == ("Income", D("0.07"))
    assert (convert.received_asset, convert.received_quantity) == ("ETH", D("0.01523"))
    assert (send.type, send.sent_quantity, send.fee_usd) == ("Transfer", D("0.01523"), None)


def test_spot_price_header_with_the_new_total_names(tmp_path: Path) -> None:
    path = tmp_path / "coinbase.csv"
    path.write_text(
        "Timestamp,Transaction Type,Asset,Quantity Transacted,Spot Price Currency,"
        "Spot Price at Transaction,Subtotal,Total (inclusive of fees and/or spread),"
        "Fees and/or Spread,Notes\n"
        "2022-07-12T23:50:46Z,Advanced Trade Buy,ADA,7.07,USD,0.35,2.47,2.48,0.01,"
        "Bought 7.0700 ADA for $2.48 USD on ADA-USD\n"
    )
    (t,) = read_transactions(path)
    assert (t.type, t.received_quantity, t.value_usd, t.fee_usd) == (
        "Buy",
        D("7.07"),
        D("2.47"),
        D("0.01"),
    )


def test_oldest_header_names_the_currency_in_each_column(tmp_path: Path) -> None:
    path = tmp_path / "coinbase.csv"
    path.write_text(
        "Transactions\nUser,pat@example.com,5f0c\n"
        "Timestamp,Transaction Type,Asset,Quantity Transacted,USD Spot Price at Transaction,"
        "USD Subtotal,USD Total (inclusive of fees),USD Fees,Notes\n"
        "2020-07-07T05:47:57Z,Rewards Income,XTZ,0.033889,1.96,0.07,0.07,0.00,"
        "Received 0.033889 XTZ from Coinbase Rewards\n"
    )
    (t,) = read_transactions(path)
    assert (t.type, t.value_usd, t.place) == ("Income", D("0.07"), "coinbase.csv:4")
    eur = tmp_path / "eur.csv"
    eur.write_text(path.read_text().replace("USD ", "EUR "))
    with pytest.raises(
        InputError, match=r"^eur\.csv:4 EUR Spot Price at Transaction: expected USD, got 'EUR'"
    ):
        read_transactions(eur)


ROW = (
    "a1,2025-03-01 14:05:09 UTC,Buy,BTC,0.01,USD,$50000,$500.00,$505.00,$5.00,"
    "Bought 0.01 BTC for $505.00 USD"
)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            ROW.replace(",0.01,", ',"1,2.5",', 1),
            "coinbase.csv:4 Quantity Transacted: expected a number, got '1,2.5'",
        ),
        (ROW.replace(",0.01,", ",0,", 1), "coinbase.csv:4 Quantity Transacted: expected a nonzero"),
        (
            ROW.replace("2025-03-01 14:05:09 UTC", "3/1/2025 14:05"),
            "coinbase.csv:4 Timestamp: expected a UTC time like '2025-03-01 14:05:09 UTC', "
            "got '3/1/2025 14:05'",
        ),
        (
            ROW.replace("2025-03-01 14:05:09", "2025-02-30 14:05:09"),
            "coinbase.csv:4 Timestamp: not a real date and time",
        ),
        (
            ROW.replace(",USD,", ",EUR,", 1),
            "coinbase.csv:4 Price Currency: expected USD, got 'EUR'",
        ),
        (
            ROW.replace("$500.00", "€500.00"),
            "coinbase.csv:4 Subtotal: expected a number, got '€500.00'",
        ),
        (ROW.replace("$500.00", ""), "coinbase.csv:4 Subtotal: expected a dollar amount, got ''"),
        (
            ROW.replace(",Buy,", ",Admin Debit,"),
            "coinbase.csv:4 Transaction Type: unknown type 'Admin Debit'",
        ),
        (ROW.replace(",BTC,", ",,", 1), "coinbase.csv:4 Asset: expected an asset, got ''"),
        (
            ROW.replace(",Buy,", ",Advanced Trade Buy,").replace(
                "Bought 0.01 BTC for $505.00 USD", "Limit order"
            ),
            "coinbase.csv:4 Notes: cannot tell what 'Advanced Trade Buy' was paid with",
        ),
        (
            ROW.replace(
                "Bought 0.01 BTC for $505.00 USD", "Bought 0.01 BTC for $505.00 USD on BTC-USDC"
            ),
            "coinbase.csv:4 Notes: a trade on BTC-USDC without the USDC quantity and rate",
        ),
        (
            ROW.replace("Bought 0.01 BTC for $505.00 USD", "Bought 0.01 BTC for 0.2 ETH"),
            "coinbase.csv:4 Notes: a trade priced in 'ETH', not USD",
        ),
        (
            ROW.replace("Bought 0.01 BTC", "Bought 0.01 ETH"),
            "coinbase.csv:4 Notes: does not describe this Buy of BTC: 'Bought 0.01 ETH for",
        ),
        (
            ROW.replace(",Buy,", ",Sell,"),
            "coinbase.csv:4 Notes: does not describe this Sell of BTC",
        ),
        (
            ROW.replace(",Buy,", ",Withdrawal,").replace(",BTC,", ",EUR,", 1),
            "coinbase.csv:4 Asset: a Withdrawal of 'EUR'",
        ),
        (
            ROW.replace(",Buy,", ",Convert,").replace("Bought 0.01 BTC for $505.00 USD", "Swapped"),
            "coinbase.csv:4 Notes: expected 'Converted <qty> <asset> to <qty> <asset>', "
            "got 'Swapped'",
        ),
        (
            ROW.replace(",Buy,", ",Convert,").replace(
                "Bought 0.01 BTC for $505.00 USD", "Converted 0.01 ETH to 30 USDC"
            ),
            "coinbase.csv:4 Notes: converts 'ETH', but the row's Asset is 'BTC'",
        ),
        (
            ROW.replace(",Buy,", ",Convert,").replace(
                "Bought 0.01 BTC for $505.00 USD", '"Converted 0.01 BTC to 1,2.5 USDC"'
            ),
            "coinbase.csv:4 Notes: expected a number, got '1,2.5'",
        ),
    ],
)
def test_refusals_name_file_line_and_column(tmp_path: Path, row: str, message: str) -> None:
    path = v4(tmp_path, row)
    with pytest.raises(InputError, match="^" + re.escape(message)):
        read_transactions(path)


def test_error_line_is_the_physical_line_after_a_multiline_preamble(tmp_path: Path) -> None:
    text = (FIXTURES / "coinbase_v2.csv").read_text().replace("0.033889,USD", "0.033889,EUR")
    path = tmp_path / "coinbase.csv"
    path.write_text(text)
    with pytest.raises(InputError, match=r"^coinbase\.csv:10 Spot Price Currency: expected USD"):
        read_transactions(path)
