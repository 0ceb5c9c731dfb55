"""Amounts and dates, worked by hand: fees (in USD, in the coin sold, in another coin),
income, trades, spending, gifts, losses, how a basis is split to the cent, the tax year
in the user's time zone, the holding period, and every error the engine raises.

Rules (docs/LEDGER.md): Buy basis = Value USD + Fee USD; Sell, Trade and Spend proceeds
= Value USD − Fee USD (the fee is a selling cost, netted, and kept in selling_costs); a
Trade's received coin has basis Value USD; a fee paid in a coin is also a disposal of
that coin at Fee USD (Treas. Reg. §1.1001-7(b)(1)(ii)).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.test_ledger_support import D, lots, run, sales, tx
from tlh_xl.errors import InputError
from tlh_xl.ledger import Transaction


def test_buy_and_sell_fees() -> None:
    """Buy 2 BTC for 60,000 + 30 fee: basis 60,030. Sell 2 BTC for 70,000 − 35 fee:
    proceeds 69,965, selling costs 35; gain 69,965 − 60,030 = 9,935."""
    ledger = run(
        tx("B", "2024-01-02T10:00Z", "Buy", received="BTC 2", value="60000", fee_usd="30"),
        tx("S", "2024-06-02T10:00Z", "Sell", sent="BTC 2", value="70000", fee_usd="35"),
    )
    assert sales(ledger) == [("S", "B", D(2), D(69965), D(60030), D(9935), "short")]
    assert ledger.disposals[0].selling_costs == D(35)


def test_a_fee_in_another_coin_is_a_disposal_of_that_coin() -> None:
    """N: 10 BNB for 3,000 (300 a unit). E: buy 1 ETH for 2,000 paying a 0.1 BNB fee worth
    40: the ETH's basis is 2,000 + 40 = 2,040, and 0.1 BNB is disposed of for 40 against
    a basis of 3,000 × 0.1 / 10 = 30.00: a gain of 10.00."""
    ledger = run(
        tx("N", "2024-01-02T10:00Z", "Buy", received="BNB 10", value="3000"),
        tx(
            "E",
            "2024-02-02T10:00Z",
            "Buy",
            received="ETH 1",
            value="2000",
            fee="BNB 0.1",
            fee_usd="40",
        ),
    )
    assert sales(ledger) == [("E", "N", D("0.1"), D(40), D("30.00"), D("10.00"), "short")]
    assert [(x[0], x[2], x[3], x[4]) for x in lots(ledger)] == [
        ("N", "BNB", D("9.9"), D("2970.00")),
        ("E", "ETH", D(1), D(2040)),
    ]


def test_a_fee_in_the_coin_sold() -> None:
    """Sell 1 BTC for 60,000 with a 0.001 BTC fee worth 60. Lot: 2 BTC for 40,000.
    The sale: proceeds 60,000 − 60 = 59,940, basis 20,000.00, gain 39,940.
    The fee: 0.001 BTC disposed of for 60, basis 40,000 × 1.001 / 2 − 20,000 = 20.00,
    gain 40.00. The wallet needs 1.001 BTC for the row: 0.999 are left, with 19,980.00."""
    ledger = run(
        tx("B", "2024-01-02T10:00Z", "Buy", received="BTC 2", value="40000"),
        tx(
            "S",
            "2024-03-02T10:00Z",
            "Sell",
            sent="BTC 1",
            value="60000",
            fee="BTC 0.001",
            fee_usd="60",
        ),
    )
    assert sales(ledger) == [
        ("S", "B", D(1), D(59940), D("20000.00"), D("39940.00"), "short"),
        ("S", "B", D("0.001"), D(60), D("20.00"), D("40.00"), "short"),
    ]
    assert [(x[3], x[4]) for x in lots(ledger)] == [(D("0.999"), D("19980.00"))]


def test_income_is_a_lot_at_fair_market_value_and_ordinary_income() -> None:
    """Staking: 0.5 ETH worth 1,500 on 2025-04-01. A lot with basis 1,500 and an income
    event of 1,500; selling it for 1,800 gains 300."""
    ledger = run(
        tx("I", "2025-04-01T10:00Z", "Income", received="ETH 0.5", value="1500"),
        tx("S", "2025-05-01T10:00Z", "Sell", sent="ETH 0.5", value="1800"),
    )
    assert [(e.tx_id, e.asset, e.quantity, e.value_usd, e.received) for e in ledger.income] == [
        ("I", "ETH", D("0.5"), D(1500), dt.date(2025, 4, 1))
    ]
    assert ledger.income_in(2025) == ledger.income and ledger.income_in(2024) == []
    assert sales(ledger) == [("S", "I", D("0.5"), D(1800), D(1500), D(300), "short")]


def test_a_trade_disposes_of_one_coin_and_acquires_the_other_at_the_value() -> None:
    """Trade 1 ETH (lot: 2,500) for 0.05 BTC worth 3,000, fee 6 USD: the ETH is disposed of
    for 3,000 − 6 = 2,994 (gain 494); the BTC's basis is its value, 3,000."""
    ledger = run(
        tx("E", "2024-01-02T10:00Z", "Buy", received="ETH 1", value="2500"),
        tx(
            "X",
            "2024-02-02T10:00Z",
            "Trade",
            sent="ETH 1",
            received="BTC 0.05",
            value="3000",
            fee_usd="6",
        ),
    )
    assert sales(ledger) == [("X", "E", D(1), D(2994), D(2500), D(494), "short")]
    assert [(x[0], x[2], x[3], x[4]) for x in lots(ledger)] == [("X", "BTC", D("0.05"), D(3000))]


def test_spend_gift_out_lost_and_gift_in() -> None:
    """Spend 0.01 BTC on goods worth 600: a disposal for 600 (basis 0.01 × 40,000 = 400).
    Gift Out 0.1 BTC and Lost 0.05 BTC: the units leave, no disposal (removals, with
    their basis 4,000.00 and 2,000.00). Gift In 1 SOL with the donor's basis 80: a lot of
    basis 80, and no income."""
    ledger = run(
        tx("B", "2024-01-02T10:00Z", "Buy", received="BTC 1", value="40000"),
        tx("P", "2024-02-02T10:00Z", "Spend", sent="BTC 0.01", value="600"),
        tx("G", "2024-02-03T10:00Z", "Gift Out", sent="BTC 0.1", value="4500"),
        tx("L", "2024-02-04T10:00Z", "Lost", sent="BTC 0.05"),
        tx("H", "2024-02-05T10:00Z", "Gift In", received="SOL 1", value="80"),
    )
    assert sales(ledger) == [("P", "B", D("0.01"), D(600), D("400.00"), D("200.00"), "short")]
    assert [(r.tx_id, r.type, r.quantity, r.cost_basis, r.value_usd) for r in ledger.removals] == [
        ("G", "Gift Out", D("0.1"), D("4000.00"), D(4500)),
        ("L", "Lost", D("0.05"), D("2000.00"), None),
    ]
    assert ledger.income == []
    assert [(x[2], x[3], x[4]) for x in lots(ledger)] == [
        ("BTC", D("0.84"), D("33600.00")),
        ("SOL", D(1), D(80)),
    ]


def test_a_fee_row_disposes_of_the_coin_paid() -> None:
    """A Fee row of 0.002 ETH worth 5: a disposal for 5 against 0.002 × 2,000 = 4.00."""
    ledger = run(
        tx("E", "2024-01-02T10:00Z", "Buy", received="ETH 1", value="2000"),
        tx("F", "2024-02-02T10:00Z", "Fee", fee="ETH 0.002", fee_usd="5"),
    )
    assert sales(ledger) == [("F", "E", D("0.002"), D(5), D("4.00"), D("1.00"), "short")]


def test_a_basis_split_is_rounded_to_cents_and_sums_to_the_whole() -> None:
    """3 units for 100.00, sold one at a time. Basis taken is 100 × units sold / 3 rounded:
    33.33, then 66.67 − 33.33 = 33.34, then the rest 33.33: 100.00 in all."""
    ledger = run(
        tx("B", "2024-01-02T10:00Z", "Buy", received="X 3", value="100.00"),
        tx("S1", "2024-02-02T10:00Z", "Sell", sent="X 1", value="40"),
        tx("S2", "2024-02-03T10:00Z", "Sell", sent="X 1", value="40"),
        tx("S3", "2024-02-04T10:00Z", "Sell", sent="X 1", value="40"),
    )
    bases = [d.cost_basis for d in ledger.disposals]
    assert bases == [D("33.33"), D("33.34"), D("33.33")] and sum(bases) == D("100.00")


def test_proceeds_are_shared_by_quantity_to_the_cent() -> None:
    """One sale of 3 units for 100.00 across three 1-unit lots: running totals 33.33,
    66.67, 100.00, so the lots get 33.33, 33.34 and 33.33."""
    ledger = run(
        tx("A", "2024-01-02T10:00Z", "Buy", received="X 1", value="10"),
        tx("B", "2024-01-03T10:00Z", "Buy", received="X 1", value="10"),
        tx("C", "2024-01-04T10:00Z", "Buy", received="X 1", value="10"),
        tx("S", "2024-02-02T10:00Z", "Sell", sent="X 3", value="100.00"),
    )
    assert [d.proceeds for d in ledger.disposals] == [D("33.33"), D("33.34"), D("33.33")]


def test_quantities_are_never_rounded() -> None:
    """18 decimals in, 18 decimals out."""
    ledger = run(
        tx("B", "2024-01-02T10:00Z", "Buy", received="ETH 1.123456789012345678", value="3000"),
        tx("S", "2024-02-02T10:00Z", "Sell", sent="ETH 0.000000000000000001", value="0.01"),
    )
    assert lots(ledger)[0][3] == D("1.123456789012345677")
    assert ledger.disposals[0].quantity == D("0.000000000000000001")


def test_the_tax_year_is_the_trade_date_in_the_users_time_zone() -> None:
    """A sale at 2025-12-31T23:30-05:00 is a 2025 sale in New York, though 2026 in UTC."""
    rows = [
        tx("B", "2025-06-01T10:00Z", "Buy", received="BTC 1", value="100000"),
        tx("S", "2025-12-31T23:30-05:00", "Sell", sent="BTC 1", value="90000"),
    ]
    new_york = run(*rows, time_zone="America/New_York")
    assert new_york.disposals[0].sold == dt.date(2025, 12, 31)
    assert new_york.realized_totals(2025) == {"short": D(-10000), "long": D(0)}
    assert new_york.time_zone == "America/New_York"
    utc = run(*rows)
    assert utc.disposals[0].sold == dt.date(2026, 1, 1)
    assert utc.realized(2025) == [] and len(utc.realized(2026)) == 1


def test_a_bare_date_is_midnight_in_the_users_time_zone() -> None:
    """ "2025-03-01" for a New Yorker is 2025-03-01T00:00-05:00, i.e. 05:00 UTC."""
    row = tx("B", "2025-03-01", "Buy", zone="America/New_York", received="BTC 1", value="1")
    assert row.time.astimezone(dt.timezone.utc) == dt.datetime(
        2025, 3, 1, 5, tzinfo=dt.timezone.utc
    )


@pytest.mark.parametrize(
    ("bought", "sold", "term"),
    [
        ("2024-03-15", "2025-03-15", "short"),  # on the anniversary: one year, not more
        ("2024-03-15", "2025-03-16", "long"),
        ("2024-02-29", "2025-02-28", "short"),  # the anniversary of Feb 29 is Feb 28
        ("2024-02-29", "2025-03-01", "long"),
        ("2023-03-01", "2024-02-29", "short"),  # 365 days, yet before the anniversary
    ],
)
def test_the_holding_period_is_the_anniversary_rule(bought: str, sold: str, term: str) -> None:
    ledger = run(
        tx("B", f"{bought}T12:00Z", "Buy", received="BTC 1", value="100"),
        tx("S", f"{sold}T12:00Z", "Sell", sent="BTC 1", value="120"),
    )
    assert ledger.disposals[0].term == term


# --- errors ------------------------------------------------------------------------


def buy(wallet: str = "W") -> Transaction:
    return tx("B", "2024-01-02T10:00Z", "Buy", wallet, received="BTC 1.5", value="60000")


def test_selling_more_than_the_wallet_holds_names_the_row_and_the_shortfall() -> None:
    with pytest.raises(
        InputError,
        match=r"^t.csv:S: Sell needs 2 BTC from W, which holds 1.5 BTC then: short by 0.5 BTC$",
    ):
        run(buy(), tx("S", "2024-03-02T10:00Z", "Sell", sent="BTC 2", value="1"))


def test_per_wallet_the_shortfall_is_the_wallets_own() -> None:
    """2025: Kraken holds nothing, though Coinbase holds 1.5."""
    with pytest.raises(
        InputError,
        match=r"^t.csv:S: Sell needs 1 BTC from Kraken, which holds "
        r"0 BTC then: short by 1 BTC$",
    ):
        run(
            buy("Coinbase"), tx("S", "2025-03-02T10:00Z", "Sell", "Kraken", sent="BTC 1", value="1")
        )


def test_a_fee_paid_in_the_coin_counts_in_the_shortfall() -> None:
    with pytest.raises(InputError, match=r"short by 0.01 BTC$"):
        run(
            buy(),
            tx(
                "S",
                "2024-03-02T10:00Z",
                "Sell",
                sent="BTC 1.5",
                value="1",
                fee="BTC 0.01",
                fee_usd="1",
            ),
        )


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            tx("S", "2024-03-02T10:00Z", "Sell", sent="BTC 1"),
            "t.csv:S Value USD: empty; a Sell needs its value in USD",
        ),
        (
            tx("S", "2024-03-02T10:00Z", "Trade", sent="BTC 1", received="ETH 10"),
            "t.csv:S Value USD: empty; a Trade needs its value in USD",
        ),
        (
            tx("S", "2024-03-02T10:00Z", "Income", received="ETH 1"),
            "t.csv:S Value USD: empty; income is its fair market value in USD",
        ),
        (
            tx("S", "2024-03-02T10:00Z", "Sell", sent="BTC 1", value="9", fee="ETH 0.1"),
            "t.csv:S Fee USD: empty; a fee paid in ETH is a disposal of 0.1 ETH and needs its USD "
            "value",
        ),
        (
            tx("S", "2024-03-02T10:00Z", "Buy", sent="USD 100", value="100"),
            "t.csv:S Received Asset: a Buy needs what was bought",
        ),
        (
            tx("S", "2024-03-02T10:00Z", "Sell", sent="BTC", value="100"),
            "t.csv:S Sent Quantity: empty (Sent Asset is BTC)",
        ),
        (
            tx("S", "2024-03-02T10:00Z", "Transfer", sent="BTC 1"),
            "t.csv:S To Wallet: empty; a Transfer needs the wallet it went to (join it with "
            "the row where it arrived, or make it a Gift Out or a Spend)",
        ),
        (
            tx("S", "2024-03-02T10:00Z", "Transfer", "", to_wallet="W", received="BTC 1"),
            "t.csv:S Wallet: empty; a Transfer needs the wallet it came from (join it with "
            "the row where it left, or make it Income or a Gift In)",
        ),
        (
            tx("S", "2024-03-02T10:00Z", "Transfer", to_wallet="W", sent="BTC 1"),
            "t.csv:S To Wallet: the same as Wallet (W)",
        ),
        (
            tx("S", "2024-03-02T10:00Z", "Sell", sent="BTC 1", value="1", lots="Q"),
            "t.csv:S Lots: no open lot 'Q' at this row",
        ),
        (
            tx("S", "2024-03-02T10:00Z", "Sell", sent="BTC 1", value="1", lots="B:2"),
            "t.csv:S Lots: 2 of lot B named, but it holds 1.5",
        ),
        (
            tx("S", "2024-03-02T10:00Z", "Sell", sent="BTC 1", value="1", lots="B:0.5"),
            "t.csv:S Lots: the lots named add up to 0.5 BTC, but the row moves 1 BTC",
        ),
        (
            tx("S", "2024-03-02T10:00Z", "Sell", sent="BTC 1", value="1", lots="B:0.5; B:0.5"),
            "t.csv:S Lots: lot B is named twice",
        ),
        (
            tx("S", "2024-03-02T10:00Z", "Swap", sent="BTC 1", value="1"),
            "t.csv:S Type: unknown type 'Swap'",
        ),
    ],
)
def test_errors_name_the_row(row: Transaction, message: str) -> None:
    with pytest.raises(InputError, match="^" + re.escape(message) + "$"):
        run(buy(), row)


def test_a_time_without_a_zone_is_refused() -> None:
    row = Transaction("S", dt.datetime(2024, 3, 2), "Sell", "W", place="x.csv:3")
    with pytest.raises(InputError, match=r"^x.csv:3 Time: 2024-03-02 00:00:00 has no time zone"):
        run(buy(), row)
    with pytest.raises(InputError, match=r"^x.csv:3 Time: .* has no time zone"):
        run(row)


def test_an_unknown_time_zone_is_refused() -> None:
    with pytest.raises(InputError, match=r"^time zone: unknown time zone 'Mars/Olympus'"):
        run(buy(), time_zone="Mars/Olympus")
