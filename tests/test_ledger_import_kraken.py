"""Kraken ledgers.csv: refid pairing (including one order filled from two wallets), asset
codes and suffixes, USD values only from the file, skipped duplicates and internal moves,
and every refusal naming file:line column."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest

from tlh_xl import InputError
from tlh_xl.ledger import Transaction
from tlh_xl.ledger.importers import read_transactions
from tlh_xl.ledger.importers.kraken import normalize_asset

FIXTURES = Path(__file__).parent / "fixtures" / "exports"
UTC = dt.timezone.utc
D = Decimal

HEADER = (
    '"txid","refid","time","type","subtype","aclass","asset","wallet","amount","fee",'
    '"balance","amountusd"'
)
LEGACY_HEADER = '"txid","refid","time","type","subtype","aclass","asset","amount","fee","balance"'


def ledger(tmp_path: Path, *rows: str, header: str = HEADER) -> Path:
    """A ledger whose data rows start on line 2."""
    path = tmp_path / "ledgers.csv"
    path.write_text(header + "\n" + "".join(r + "\n" for r in rows))
    return path


def row(
    txid: str,
    refid: str,
    kind: str,
    asset: str,
    amount: str,
    fee: str = "0.0000000000",
    usd: str = "",
    subtype: str = "",
    balance: str = "1.0000000000",
    time: str = "2025-03-01 12:00:00",
    wallet: str = "spot / main",
) -> str:
    return (
        f'"{txid}","{refid}","{time}","{kind}","{subtype}","currency","{asset}","{wallet}",'
        f"{amount},{fee},{balance},{usd}"
    )


@pytest.fixture(scope="module")
def fixture() -> dict[str, Transaction]:
    return {t.place.split(":")[1]: t for t in read_transactions(FIXTURES / "kraken_ledgers.csv")}


def test_buy_pairs_two_rows_by_refid(fixture: dict[str, Transaction]) -> None:
    assert fixture["4"] == Transaction(
        tx_id="TQ7VFG-5SYEU-NAZ2N4",
        time=dt.datetime(2025, 1, 3, 14, 22, 10, 442100, tzinfo=UTC),
        type="Buy",
        wallet="Kraken",
        sent_asset="USD",
        sent_quantity=D("1000.0000"),
        received_asset="BTC",
        received_quantity=D("0.0105263158"),
        fee_asset="USD",
        fee_quantity=D("2.6000"),
        value_usd=D("1000.0000"),
        fee_usd=D("2.6000"),
        notes="Kraken trade TQ7VFG-5SYEU-NAZ2N4 (lines 4, 5)",
        place="kraken_ledgers.csv:4",
        row=1,
    )


def test_coin_for_coin_trade_values_from_amountusd(fixture: dict[str, Transaction]) -> None:
    t = fixture["8"]
    assert (t.type, t.sent_asset, t.sent_quantity) == ("Trade", "ETH", D("1.0000000000"))
    assert (t.received_asset, t.received_quantity) == ("BTC", D("0.0340000000"))
    assert t.value_usd == D("3299.5000")  # the received leg's amountusd
    # The fee in BTC at the trade's own rate: 0.0000544 * 3299.50 / 0.034 = 5.2792
    assert (t.fee_asset, t.fee_quantity, t.fee_usd) == ("BTC", D("0.0000544"), D("5.2792"))


def test_one_order_filled_from_two_wallets_is_added_up(fixture: dict[str, Transaction]) -> None:
    t = fixture["13"]  # 0.6 ETH from spot + 0.40041 ETH.F-era earn balance, one refid
    assert (t.type, t.sent_asset, t.sent_quantity) == ("Sell", "ETH", D("1.0004100000"))
    assert (t.received_asset, t.received_quantity, t.value_usd) == (
        "USD",
        D("3401.3940"),
        D("3401.3940"),
    )
    assert (t.fee_asset, t.fee_usd) == ("USD", D("8.8436"))
    assert t.notes.endswith("(lines 13, 14, 15)")


def test_buy_crypto_button_spend_and_receive_pair(fixture: dict[str, Transaction]) -> None:
    t = fixture["22"]
    assert (t.type, t.sent_asset, t.sent_quantity, t.received_asset) == (
        "Buy",
        "USD",
        D("100.0000"),
        "DOGE",  # XXDG
    )
    assert t.time == dt.datetime(2025, 2, 11, 9, 30, tzinfo=UTC)  # the earlier of the two rows


def test_rewards_are_income_at_amountusd(fixture: dict[str, Transaction]) -> None:
    earn = fixture["12"]
    assert (earn.type, earn.received_asset, earn.received_quantity, earn.value_usd) == (
        "Income",
        "ETH",  # ETH.F, the Auto Earn balance
        D("0.0004100000"),
        D("1.3940"),
    )
    staking = fixture["19"]
    assert (staking.type, staking.received_asset, staking.value_usd) == (
        "Income",
        "DOT",  # DOT.S
        D("0.8638"),
    )


def test_deposits_and_withdrawals_are_half_transfers(fixture: dict[str, Transaction]) -> None:
    deposit = fixture["7"]  # the settled row; line 6 is its unsettled duplicate
    assert (deposit.type, deposit.wallet, deposit.to_wallet) == ("Transfer", "", "Kraken")
    assert (deposit.tx_id, deposit.received_asset, deposit.received_quantity) == (
        "LQ2N7H-ZVB4C-3YTR5K",
        "ETH",
        D("2.0000000000"),
    )
    withdrawal = fixture["21"]
    assert (withdrawal.wallet, withdrawal.to_wallet, withdrawal.sent_quantity) == (
        "Kraken",
        "",
        D("0.0100000000"),
    )
    # The fee in BTC, valued at the row's own amountusd: 0.0001 * 985 / 0.01
    assert (withdrawal.fee_asset, withdrawal.fee_quantity, withdrawal.fee_usd) == (
        "BTC",
        D("0.0001"),
        D("9.85"),
    )


def test_futures_transfer(fixture: dict[str, Transaction]) -> None:
    t = fixture["24"]
    assert (t.type, t.wallet, t.to_wallet, t.sent_asset, t.received_quantity) == (
        "Transfer",
        "Kraken",
        "Kraken Futures",
        "BTC",
        D("0.0040000000"),
    )


def test_skipped_rows(fixture: dict[str, Transaction]) -> None:
    # 2-3: a USD deposit (and its unsettled duplicate); 6: unsettled duplicate;
    # 10-11: earn allocation; 17-18: spot-to-staking moves; 20: unsettled withdrawal.
    assert sorted(fixture, key=int) == ["4", "7", "8", "12", "13", "16", "19", "21", "22", "24"]


def test_times_are_utc_and_rows_in_file_order(fixture: dict[str, Transaction]) -> None:
    ordered = sorted(fixture.values(), key=lambda t: t.row)
    assert [int(t.place.split(":")[1]) for t in ordered] == sorted(int(k) for k in fixture)
    assert all(t.time.tzinfo is UTC for t in ordered)


def test_legacy_header_without_wallet_or_amountusd() -> None:
    buy, sell = read_transactions(FIXTURES / "kraken_ledgers_legacy.csv")
    assert (buy.type, buy.received_asset, buy.value_usd, buy.fee_usd) == (
        "Buy",
        "DOT",
        D("200.0000"),
        D("0.3200"),
    )
    assert (sell.type, sell.sent_quantity, sell.received_quantity) == (
        "Sell",
        D("4.0000000000"),
        D("150.0000"),
    )


def test_wallet_parameter(tmp_path: Path) -> None:
    txs = read_transactions(FIXTURES / "kraken_ledgers.csv", wallet="Kraken (LLC)")
    assert {t.wallet for t in txs} == {"Kraken (LLC)", ""}
    assert {t.to_wallet for t in txs} == {"", "Kraken (LLC)", "Kraken Futures"}


def test_relabelled_coin_nets_to_nothing(tmp_path: Path) -> None:
    path = ledger(
        tmp_path,
        row("L1", "T1", "trade", "XETH", "-1.0000000000"),
        row("L2", "T1", "trade", "ETH2.S", "1.0000000000"),
    )
    assert read_transactions(path) == []


@pytest.mark.parametrize(
    ("code", "asset"),
    [
        ("XXBT", "BTC"),
        ("XBT.M", "BTC"),
        ("XETH", "ETH"),
        ("ETH2.S", "ETH"),
        ("XXDG", "DOGE"),
        ("ZUSD", "USD"),
        ("USD.HOLD", "USD"),
        ("DOT.S", "DOT"),
        ("DOT28.S", "DOT"),
        ("SOL.F", "SOL"),
        ("ETH.B", "ETH"),
        ("KSM.P", "KSM"),
        ("USDC", "USDC"),
        ("1INCH", "1INCH"),
    ],
)
def test_normalize_asset(code: str, asset: str) -> None:
    assert normalize_asset(code) == asset


LEG_A = row("L1", "T1", "trade", "XETH", "-1.0000000000")
LEG_B = row("L2", "T1", "trade", "XXBT", "0.0340000000")


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            [row("", "Q1", "deposit", "XXBT", "0.5000000000", balance="0.5000000000")],
            "ledgers.csv:2 txid: blank on a row that changed the balance",
        ),
        (
            [LEG_A, LEG_B],
            "ledgers.csv:2 amountusd: T1: no USD value for the trade of 1.0000000000 ETH for "
            "0.0340000000 BTC",
        ),
        (
            [row("L1", "S1", "staking", "DOT.S", "0.1000000000")],
            "ledgers.csv:2 amountusd: no USD value for a staking reward of 0.1000000000 DOT",
        ),
        (
            [row("L1", "S1", "staking", "DOT.S", "-0.1000000000", usd="0.70")],
            "ledgers.csv:2 amount: expected a credit for a staking reward, got -0.1000000000",
        ),
        (
            [row("L1", "W1", "withdrawal", "XXBT", "-0.0100000000", fee="0.0001000000")],
            "ledgers.csv:2 amountusd: no USD value for the fee of 0.0001000000 BTC",
        ),
        ([LEG_A], "ledgers.csv:2 refid: T1: a trade needs one asset sent and one received"),
        (
            [row("L1", "M1", "margin", "XXBT", "0.0100000000")],
            "ledgers.csv:2 type: 'margin': margin trading is not supported",
        ),
        (
            [row("L1", "R1", "rollover", "ZUSD", "0.0000", fee="0.1000")],
            "ledgers.csv:2 type: 'rollover': margin trading is not supported",
        ),
        (
            [row("L1", "A1", "adjustment", "XETH", "1.0000000000")],
            "ledgers.csv:2 type: 'adjustment': a conversion outside trading",
        ),
        (
            [row("L1", "D1", "earn", "XETH", "1.0000000000", subtype="delistingconversion")],
            "ledgers.csv:2 subtype: earn with subtype 'delistingconversion'",
        ),
        (
            [row("L1", "E1", "earn", "XETH", "1.0000000000")],
            "ledgers.csv:2 subtype: earn with subtype '': cannot tell a reward from a move",
        ),
        (
            [row("L1", "X1", "transfer", "XETH", "1.0000000000", subtype="spottomars")],
            "ledgers.csv:2 subtype: unknown transfer subtype 'spottomars'",
        ),
        (
            [row("L1", "X1", "dividend", "XETH", "1.0000000000")],
            "ledgers.csv:2 type: unknown ledger type 'dividend'",
        ),
        (
            [row("L1", "K1", "deposit", "KFEE", "1000.00")],
            "ledgers.csv:2 asset: Kraken fee credits (KFEE) are not supported",
        ),
        (
            [LEG_A, row("L2", "T1", "trade", "XXBT", '"0,034"', usd="3300")],
            "ledgers.csv:3 amount: expected a number, got '0,034'",
        ),
        (
            [row("L1", "Q1", "deposit", "XXBT", "0.5", time="01/03/2025 14:22")],
            "ledgers.csv:2 time: expected a time like '2025-03-01 14:05:09', "
            "got '01/03/2025 14:22'",
        ),
        (
            [
                row("L1", "T1", "trade", "XETH", "-1.0", fee="0.001", usd="-3300"),
                row("L2", "T1", "trade", "XXBT", "0.034", fee="0.0001", usd="3300"),
            ],
            "ledgers.csv:2 refid: T1: fees in ['ETH', 'BTC']; one fee asset is supported",
        ),
    ],
)
def test_refusals_name_file_line_and_column(tmp_path: Path, rows: list[str], message: str) -> None:
    path = ledger(tmp_path, *rows)
    with pytest.raises(InputError, match="^" + re.escape(message)):
        read_transactions(path)


def test_legacy_export_refuses_to_guess_a_reward_value(tmp_path: Path) -> None:
    path = ledger(
        tmp_path,
        '"L1","S1","2021-06-01 01:00:00","staking","","currency","DOT.S",0.1200000000,'
        "0.0000000000,10.1200000000",
        header=LEGACY_HEADER,
    )
    with pytest.raises(
        InputError,
        match=r"^ledgers\.csv:2 amountusd: no USD value for a staking reward of 0\.1200000000 "
        r"DOT; export the ledger with the amountusd column",
    ):
        read_transactions(path)


def test_trade_fee_in_a_third_asset_uses_its_own_amountusd(tmp_path: Path) -> None:
    path = ledger(
        tmp_path,
        row("L1", "T1", "trade", "XETH", "-1.0", usd="-3300"),
        row("L2", "T1", "trade", "XXBT", "0.034", usd="3300"),
        row("L3", "T1", "trade", "USDC", "0", fee="0.50", usd="0"),
    )
    with pytest.raises(
        InputError, match=r"^ledgers\.csv:4 amountusd: T1: no USD value for the fee"
    ):
        read_transactions(path)
