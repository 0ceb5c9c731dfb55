"""Wallets: per-wallet accounting from 2025, universal before, the 2025 allocation of the
pooled lots (the default rule and the user's own), and transfers with fees.

The rules (docs/LEDGER.md): a sale from a wallet uses only that wallet's lots from
2025-01-01 (Treas. Reg. §1.1012-1(j)); before, one pool per asset. At the start of 2025
the pooled lots are allocated to the wallets holding the units (Rev. Proc. 2024-28):
the user's allocation first, then the lots in the 2025 method's order fill the wallets,
listed wallets first, then the others by name.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.test_ledger_support import D, lots, run, sales, tx
from tlh_xl.errors import InputError
from tlh_xl.ledger import Allocation


def test_from_2025_a_sale_uses_only_its_wallets_lots() -> None:
    """C: 1 BTC in Coinbase on 2025-01-10 for 50,000. K: 1 BTC in Kraken on 2025-02-10
    for 90,000. Selling 1 BTC from Kraken at 80,000 on 2025-03-10:
    per wallet, Kraken's own lot: 80,000 − 90,000 = −10,000;
    universal FIFO, the oldest lot anywhere (C): 80,000 − 50,000 = +30,000."""
    rows = [
        tx("C", "2025-01-10T12:00Z", "Buy", "Coinbase", received="BTC 1", value="50000"),
        tx("K", "2025-02-10T12:00Z", "Buy", "Kraken", received="BTC 1", value="90000"),
        tx("S", "2025-03-10T12:00Z", "Sell", "Kraken", sent="BTC 1", value="80000"),
    ]
    per_wallet = run(*rows)
    assert sales(per_wallet) == [("S", "K", D(1), D(80000), D(90000), D(-10000), "short")]
    assert [(x[0], x[1]) for x in lots(per_wallet)] == [("C", "Coinbase")]
    universal = run(*rows, universal=True)
    assert sales(universal) == [("S", "C", D(1), D(80000), D(50000), D(30000), "short")]
    assert universal.disposals[0].wallet == "Kraken"  # the sale's wallet, the pool's lot
    assert [(x[0], x[1]) for x in lots(universal)] == [("K", "")]  # pooled: no wallet
    assert not universal.per_wallet and per_wallet.per_wallet


def history() -> list:
    """(Ledger is only ever a destination here, so a test lists it as the user's.)
    A  2023-01-10 Coinbase buys 2 BTC for 20,000 (10,000 a unit)
    B  2023-06-10 Kraken buys 1 BTC for 30,000
    T  2024-03-01 Coinbase → Ledger 1.5 BTC (universal: only the balances move)
    S  2024-05-01 Kraken sells 0.5 BTC at 30,000: the pool's oldest, 0.5 of A
       (basis 5,000.00), gain 10,000 (long)
    Balances at the start of 2025: Coinbase 0.5, Kraken 0.5, Ledger 1.5 (2.5 in all);
    pooled: A 1.5 (15,000.00), B 1 (30,000)."""
    return [
        tx("A", "2023-01-10T12:00Z", "Buy", "Coinbase", received="BTC 2", value="20000"),
        tx("B", "2023-06-10T12:00Z", "Buy", "Kraken", received="BTC 1", value="30000"),
        tx("T", "2024-03-01T12:00Z", "Transfer", "Coinbase", to_wallet="Ledger", sent="BTC 1.5"),
        tx("S", "2024-05-01T12:00Z", "Sell", "Kraken", sent="BTC 0.5", value="30000"),
    ]


def test_the_default_2025_allocation() -> None:
    """FIFO order (A, then B) fills Coinbase, Kraken, Ledger (by name), each up to its
    balance: Coinbase 0.5 of A (5,000.00) as A#2; Kraken 0.5 of A (5,000.00) as A#3;
    Ledger the last 0.5 of A (5,000.00), keeping the ID A, and all of B (30,000).
    Then per wallet: Kraken sells 0.5 at 40,000 on 2025-02-01, its only lot A#3:
    40,000 − 5,000 = 35,000 (long: acquired 2023-01-10, kept through the allocation);
    Ledger sells 1 at 50,000 on 2025-02-02, FIFO: A 0.5 (5,000) and B 0.5 (15,000.00),
    proceeds 25,000.00 each: gains 20,000 and 10,000."""
    rows = [
        *history(),
        tx("K2", "2025-02-01T12:00Z", "Sell", "Kraken", sent="BTC 0.5", value="40000"),
        tx("L2", "2025-02-02T12:00Z", "Sell", "Ledger", sent="BTC 1", value="50000"),
    ]
    ledger = run(*rows)
    assert [
        (a.lot_id, a.from_lot_id, a.wallet, a.quantity, a.cost_basis, a.rule)
        for a in ledger.allocations
    ] == [
        ("A#2", "A", "Coinbase", D("0.5"), D("5000.00"), "default"),
        ("A#3", "A", "Kraken", D("0.5"), D("5000.00"), "default"),
        ("A", "A", "Ledger", D("0.5"), D("5000.00"), "default"),
        ("B", "B", "Ledger", D("1"), D("30000"), "default"),
    ]
    assert all(a.acquired == dt.date(2023, 1, 10) for a in ledger.allocations[:3])
    assert sales(ledger) == [
        ("S", "A", D("0.5"), D("30000"), D("5000.00"), D("25000.00"), "long"),
        ("K2", "A#3", D("0.5"), D("40000"), D("5000.00"), D("35000.00"), "long"),
        ("L2", "A", D("0.5"), D("25000.00"), D("5000.00"), D("20000.00"), "long"),
        ("L2", "B", D("0.5"), D("25000.00"), D("15000.00"), D("10000.00"), "long"),
    ]
    assert lots(ledger) == [
        ("A#2", "Coinbase", "BTC", D("0.5"), D("5000.00"), dt.date(2023, 1, 10)),
        ("B", "Ledger", "BTC", D("0.5"), D("15000.00"), dt.date(2023, 6, 10)),
    ]


def test_listed_wallets_are_filled_first() -> None:
    """wallets=["Ledger"]: Ledger takes the oldest units first: all 1.5 of A (15,000.00);
    then Coinbase 0.5 of B (15,000.00) as B#2; Kraken the last 0.5 of B as B."""
    ledger = run(*history(), wallets=["Ledger"], through=dt.date(2025, 1, 1))
    assert [(a.lot_id, a.wallet, a.quantity, a.cost_basis) for a in ledger.allocations] == [
        ("A", "Ledger", D("1.5"), D("15000.00")),
        ("B#2", "Coinbase", D("0.5"), D("15000.00")),
        ("B", "Kraken", D("0.5"), D("15000.00")),
    ]


def test_the_users_own_allocation_comes_first() -> None:
    """The user gives B to Coinbase (0.5) and Kraken (the rest, 0.5); the rule then
    places what is left, A's 1.5, in the only wallet with room, Ledger."""
    given = [Allocation("B", "Coinbase", D("0.5"), "alloc.csv:2"), Allocation("B", "Kraken")]
    ledger = run(*history(), allocation=given, wallets=["Ledger"], through=dt.date(2025, 6, 30))
    assert [(a.lot_id, a.wallet, a.quantity, a.rule) for a in ledger.allocations] == [
        ("B#2", "Coinbase", D("0.5"), "yours"),
        ("B", "Kraken", D("0.5"), "yours"),
        ("A", "Ledger", D("1.5"), "default"),
    ]


def test_an_allocation_must_fit_the_wallets_balance() -> None:
    given = [Allocation("A", "Kraken", None, "alloc.csv:2")]
    with pytest.raises(
        InputError,
        match=r"^alloc.csv:2: 1.5 BTC to Kraken, which holds 0.5 BTC at the start of 2025-01-01",
    ):
        run(*history(), allocation=given, wallets=["Ledger"])
    with pytest.raises(InputError, match=r"^alloc.csv:3: 'Z' is not an open pooled lot"):
        run(
            *history(),
            allocation=[Allocation("Z", "Kraken", None, "alloc.csv:3")],
            wallets=["Ledger"],
        )
    with pytest.raises(InputError, match=r"^allocation: given, but per-wallet accounting never"):
        run(*history(), allocation=[Allocation("A", "Kraken")], wallets=["Ledger"], universal=True)


def test_before_2025_the_lots_are_pooled() -> None:
    """Through 2024-12-31 nothing is allocated yet: A 1.5 and B 1, wallet blank."""
    ledger = run(*history(), wallets=["Ledger"], through=dt.date(2024, 12, 31))
    assert [(x[0], x[1], x[3]) for x in lots(ledger)] == [("A", "", D("1.5")), ("B", "", D(1))]
    assert ledger.allocations == [] and not ledger.per_wallet
    assert [(b.wallet, b.quantity) for b in ledger.balances] == [
        ("Coinbase", D("0.5")),
        ("Kraken", D("0.5")),
        ("Ledger", D("1.5")),
    ]


def test_a_transfer_moves_lots_with_basis_and_date_and_its_fee_is_a_disposal() -> None:
    """X: W1 buys 1 ETH on 2025-01-05 for 2,990 + 10 fee = 3,000.
    T: W1 → W2, 0.6 ETH, fee 0.01 ETH worth 35 (Fee USD).
    The 0.6 moves to W2 as X#2 with 3,000 × 0.6 = 1,800.00, still acquired 2025-01-05.
    The fee is a disposal of 0.01 ETH from W1 (FIFO: what is left of X): basis taken so
    far is 3,000 × 0.61 = 1,830.00, so 30.00 for the fee; proceeds 35: gain 5.00.
    Left: W1 X 0.39 with 3,000 − 1,830 = 1,170.00; W2 X#2 0.6 with 1,800.00."""
    ledger = run(
        tx("X", "2025-01-05T10:00Z", "Buy", "W1", received="ETH 1", value="2990", fee_usd="10"),
        tx("Y", "2025-01-06T10:00Z", "Buy", "W2", received="SOL 1", value="100"),
        tx(
            "T",
            "2025-02-01T10:00Z",
            "Transfer",
            "W1",
            to_wallet="W2",
            sent="ETH 0.6",
            fee="ETH 0.01",
            fee_usd="35",
        ),
    )
    assert sales(ledger) == [("T", "X", D("0.01"), D("35"), D("30.00"), D("5.00"), "short")]
    assert [x for x in lots(ledger) if x[2] == "ETH"] == [
        ("X", "W1", "ETH", D("0.39"), D("1170.00"), dt.date(2025, 1, 5)),
        ("X#2", "W2", "ETH", D("0.6"), D("1800.00"), dt.date(2025, 1, 5)),
    ]


def test_a_received_quantity_that_counts_the_fee_in_the_amount_sent() -> None:
    """Sent 0.6 with Received 0.59 and a 0.01 fee: the 0.6 left W1 and included the fee,
    so 0.59 moves (and W1 keeps 0.4). A Received equal to Sent means the fee was on top;
    any other difference is refused."""
    base = [
        tx("X", "2025-01-05T10:00Z", "Buy", "W1", received="ETH 1", value="3000"),
        tx("Y", "2025-01-06T10:00Z", "Buy", "W2", received="SOL 1", value="100"),
    ]

    def transfer(received: str):
        return tx(
            "T",
            "2025-02-01T10:00Z",
            "Transfer",
            "W1",
            to_wallet="W2",
            sent="ETH 0.6",
            received=received,
            fee="ETH 0.01",
            fee_usd="35",
        )

    inside = run(*base, transfer("ETH 0.59"))
    assert [(b.wallet, b.asset, b.quantity) for b in inside.balances if b.asset == "ETH"] == [
        ("W1", "ETH", D("0.4")),
        ("W2", "ETH", D("0.59")),
    ]
    on_top = run(*base, transfer("ETH 0.6"))
    assert [b.quantity for b in on_top.balances if b.asset == "ETH"] == [D("0.39"), D("0.6")]
    with pytest.raises(InputError, match=r"^t.csv:T Received Quantity: 0.58 arrived but 0.6 was"):
        run(*base, transfer("ETH 0.58"))


def test_a_transfer_fee_in_the_coin_needs_its_usd_value() -> None:
    rows = [
        tx("X", "2025-01-05T10:00Z", "Buy", "W1", received="ETH 1", value="3000"),
        tx("Y", "2025-01-06T10:00Z", "Buy", "W2", received="SOL 1", value="100"),
        tx(
            "T",
            "2025-02-01T10:00Z",
            "Transfer",
            "W1",
            to_wallet="W2",
            sent="ETH 0.6",
            fee="ETH 0.01",
        ),
    ]
    with pytest.raises(
        InputError,
        match=r"^t.csv:T Fee USD: empty; a fee paid in ETH is a "
        r"disposal of 0.01 ETH and needs its USD value$",
    ):
        run(*rows)


def test_universal_transfer_fee_is_a_disposal_from_the_pool() -> None:
    """2024: the fee of 0.01 ETH comes from the pool's oldest lot (X, 3,000 a unit: 30.00),
    proceeds 35; the 0.6 only changes wallets."""
    ledger = run(
        tx("X", "2024-01-05T10:00Z", "Buy", "W1", received="ETH 1", value="3000"),
        tx("Y", "2024-01-06T10:00Z", "Buy", "W2", received="ETH 1", value="5000"),
        tx(
            "T",
            "2024-02-01T10:00Z",
            "Transfer",
            "W2",
            to_wallet="W1",
            sent="ETH 0.6",
            fee="ETH 0.01",
            fee_usd="35",
        ),
        through=dt.date(2024, 12, 31),
    )
    assert sales(ledger) == [("T", "X", D("0.01"), D("35"), D("30.00"), D("5.00"), "short")]
    assert ledger.disposals[0].wallet == "W2"
    assert [(b.wallet, b.quantity) for b in ledger.balances] == [
        ("W1", D("1.6")),
        ("W2", D("0.39")),
    ]


def test_a_transfer_to_someone_elses_wallet_is_refused() -> None:
    """Only wallets seen as Wallet, or listed, are the user's; sending elsewhere is a
    Gift Out or a Spend."""
    rows = [
        tx("X", "2025-01-05T10:00Z", "Buy", "W1", received="ETH 1", value="3000"),
        tx("T", "2025-02-01T10:00Z", "Transfer", "W1", to_wallet="Cold", sent="ETH 0.5"),
    ]
    with pytest.raises(
        InputError,
        match=r"^t.csv:T To Wallet: 'Cold' is not one of your "
        r"wallets \(W1\); a transfer to someone else is a Gift Out or a Spend$",
    ):
        run(*rows)
    listed = run(*rows, wallets=["Cold"])
    assert [(x[0], x[1], x[3]) for x in lots(listed)] == [
        ("X#2", "Cold", D("0.5")),
        ("X", "W1", D("0.5")),
    ]
    gift = tx("G", "2025-02-01T10:00Z", "Gift Out", "W1", to_wallet="Cold", sent="ETH 0.5")
    assert run(rows[0], gift).removals[0].quantity == D("0.5")


def test_specific_identification_is_per_wallet_from_2025() -> None:
    rows = [
        tx("C", "2025-01-10T12:00Z", "Buy", "Coinbase", received="BTC 1", value="50000"),
        tx("K", "2025-02-10T12:00Z", "Buy", "Kraken", received="BTC 1", value="90000"),
        tx("S", "2025-03-10T12:00Z", "Sell", "Kraken", sent="BTC 1", value="80000", lots="C"),
    ]
    with pytest.raises(InputError, match=r"^t.csv:S Lots: lot C is in Coinbase, not Kraken; "):
        run(*rows)
    assert [s[1] for s in sales(run(*rows, universal=True))] == ["C"]


def test_transferring_back_and_forth_keeps_one_lot_per_piece() -> None:
    """2025: W1 buys 2 SOL (L, 100); sends 1 to W2 (L#2), W2 sends it back (a whole lot
    moves and keeps its ID), W1 sells 2 by FIFO: L then L#2, same acquisition; the tie
    breaks by the piece made first."""
    ledger = run(
        tx("L", "2025-01-02T10:00Z", "Buy", "W1", received="SOL 2", value="100"),
        tx("T1", "2025-01-03T10:00Z", "Transfer", "W1", to_wallet="W2", sent="SOL 1"),
        tx("T2", "2025-01-04T10:00Z", "Transfer", "W2", to_wallet="W1", sent="SOL 1"),
        tx("S", "2025-01-05T10:00Z", "Sell", "W1", sent="SOL 2", value="300"),
    )
    assert [(s[1], s[2], s[4]) for s in sales(ledger)] == [
        ("L", D(1), D("50.00")),
        ("L#2", D(1), D("50.00")),
    ]
    assert lots(ledger) == []
