"""Lot-identification methods, worked by hand: FIFO, LIFO, HIFO, specific identification,
a standing order per tax year, and how ties break.

The shared ledger (one wallet, so per-wallet and universal agree):

    B1 2023-01-05  buy 1 BTC  value 10,000 + fee 10 → basis 10,010  (10,010 a unit)
    B2 2023-03-05  buy 2 BTC  value 36,000 + fee 20 → basis 36,020  (18,010 a unit)
    B3 2023-06-05  buy 1 BTC  value 15,000 + fee 15 → basis 15,015  (15,015 a unit)
    S1 2024-04-05  sell 2.5 BTC value 50,000 − fee 50 → proceeds 49,950
                   (19,980 a unit: each lot's share is 49,950 × its quantity / 2.5)

Long-term from the day after the anniversary: B1 from 2024-01-06, B2 from 2024-03-06,
B3 from 2024-06-06, so on 2024-04-05 B1 and B2 are long, B3 short.
"""

from __future__ import annotations

import pytest

from tests.test_ledger_support import D, lots, run, sales, tx
from tlh_xl.errors import InputError
from tlh_xl.ledger import MethodSchedule, parse_method


def three_buys_one_sale(**sale: str) -> list:
    return [
        tx("B1", "2023-01-05T15:00Z", "Buy", received="BTC 1", value="10000", fee_usd="10"),
        tx("B2", "2023-03-05T15:00Z", "Buy", received="BTC 2", value="36000", fee_usd="20"),
        tx("B3", "2023-06-05T15:00Z", "Buy", received="BTC 1", value="15000", fee_usd="15"),
        tx("S1", "2024-04-05T15:00Z", "Sell", sent="BTC 2.5", value="50000", fee_usd="50", **sale),
    ]


def test_fifo_takes_the_earliest_lots() -> None:
    """B1 whole (1 BTC, 10,010) then 1.5 of B2: 36,020 × 1.5 / 2 = 27,015.00.
    Proceeds: B1 19,980.00 (49,950 × 1 / 2.5); B2 the rest, 29,970.00.
    Gains: 19,980 − 10,010 = 9,970 (long); 29,970 − 27,015 = 2,955 (long).
    Left: B2 0.5 with 36,020 − 27,015 = 9,005.00; B3 1 with 15,015."""
    ledger = run(*three_buys_one_sale())
    assert sales(ledger) == [
        ("S1", "B1", D("1"), D("19980.00"), D("10010"), D("9970.00"), "long"),
        ("S1", "B2", D("1.5"), D("29970.00"), D("27015.00"), D("2955.00"), "long"),
    ]
    assert [(x[0], x[3], x[4]) for x in lots(ledger)] == [
        ("B2", D("0.5"), D("9005.00")),
        ("B3", D("1"), D("15015")),
    ]
    d = ledger.disposals[0]
    assert d.selling_costs == D("20.00")  # 50 × 1 / 2.5: the fee is netted in proceeds


def test_lifo_takes_the_latest_lots() -> None:
    """B3 whole (15,015), then 1.5 of B2 (27,015.00).
    Proceeds: B3 19,980.00, B2 29,970.00. Gains: 4,965 (short: B3 was bought 2023-06-05,
    long only from 2024-06-06) and 2,955 (long). Left: B1 1 (10,010), B2 0.5 (9,005.00)."""
    ledger = run(*three_buys_one_sale(), methods="lifo")
    assert sales(ledger) == [
        ("S1", "B3", D("1"), D("19980.00"), D("15015"), D("4965.00"), "short"),
        ("S1", "B2", D("1.5"), D("29970.00"), D("27015.00"), D("2955.00"), "long"),
    ]
    assert [(x[0], x[3], x[4]) for x in lots(ledger)] == [
        ("B1", D("1"), D("10010")),
        ("B2", D("0.5"), D("9005.00")),
    ]


def test_hifo_takes_the_highest_basis_per_unit() -> None:
    """Basis a unit: B2 18,010 > B3 15,015 > B1 10,010. B2 whole (2 BTC, 36,020), then
    0.5 of B3: 15,015 × 0.5 = 7,507.50. Proceeds: B2 49,950 × 2 / 2.5 = 39,960.00, B3
    9,990.00. Gains: 3,940 (long) and 2,482.50 (short)."""
    ledger = run(*three_buys_one_sale(), methods="hifo")
    assert sales(ledger) == [
        ("S1", "B2", D("2"), D("39960.00"), D("36020"), D("3940.00"), "long"),
        ("S1", "B3", D("0.5"), D("9990.00"), D("7507.50"), D("2482.50"), "short"),
    ]
    assert [(x[0], x[3], x[4]) for x in lots(ledger)] == [
        ("B1", D("1"), D("10010")),
        ("B3", D("0.5"), D("7507.50")),
    ]


def test_hifo_counts_fees_in_the_basis() -> None:
    """H1: 1 ETH at 1,000, no fee (1,000 a unit). H2: 1 ETH at 990 + 20 fee (1,010 a
    unit). By price H1 is higher; by basis with fees H2 is, so HIFO sells H2:
    1,200 − 1,010 = 190 (by price it would have been 1,200 − 1,000 = 200)."""
    ledger = run(
        tx("H1", "2024-01-02T10:00Z", "Buy", received="ETH 1", value="1000"),
        tx("H2", "2024-01-03T10:00Z", "Buy", received="ETH 1", value="990", fee_usd="20"),
        tx("S", "2024-02-01T10:00Z", "Sell", sent="ETH 1", value="1200"),
        methods="hifo",
    )
    assert sales(ledger) == [("S", "H2", D("1"), D("1200"), D("1010"), D("190"), "short")]


def test_specific_identification_uses_the_lots_named() -> None:
    """Lots "B3; B1:0.5; B2:1": B3 whole (15,015), 0.5 of B1 (10,010 × 0.5 = 5,005.00),
    1 of B2 (36,020 × 1 / 2 = 18,010.00). Proceeds by running total: after 1 BTC
    19,980.00; after 1.5, 29,970.00 (so B1 gets 9,990.00); B2 the rest, 19,980.00.
    Gains: 4,965 (short), 4,985 (long), 1,970 (long)."""
    ledger = run(*three_buys_one_sale(lots="B3; B1:0.5; B2:1"), methods="specific")
    assert sales(ledger) == [
        ("S1", "B3", D("1"), D("19980.00"), D("15015"), D("4965.00"), "short"),
        ("S1", "B1", D("0.5"), D("9990.00"), D("5005.00"), D("4985.00"), "long"),
        ("S1", "B2", D("1"), D("19980.00"), D("18010.00"), D("1970.00"), "long"),
    ]
    assert [(x[0], x[3], x[4]) for x in lots(ledger)] == [
        ("B1", D("0.5"), D("5005.00")),
        ("B2", D("1"), D("18010.00")),
    ]


def test_lots_named_on_a_row_override_the_standing_order() -> None:
    """An identification made at the sale wins over the FIFO default (the standing order
    applies only when a row names no lots)."""
    ledger = run(*three_buys_one_sale(lots="B3; B1:0.5; B2:1"))
    assert [s[1] for s in sales(ledger)] == ["B3", "B1", "B2"]


def test_specific_method_requires_lots_on_each_sale() -> None:
    with pytest.raises(InputError, match=r"^t.csv:S1 Lots: empty; the method for 2024 is spec"):
        run(*three_buys_one_sale(), methods="specific")


def test_a_standing_order_per_tax_year() -> None:
    """FIFO until 2023, LIFO from 2024 (and on, until changed).
    2023-12-01 sell 1 (FIFO): B1. 2024-04-05 sell 2.5 (LIFO): B3 then 1.5 of B2."""
    rows = three_buys_one_sale()
    early = tx("S0", "2023-12-01T10:00Z", "Sell", sent="BTC 1", value="12000")
    ledger = run(*rows[:3], early, rows[3], methods={2024: "lifo"})
    assert [(s[0], s[1], s[2]) for s in sales(ledger)] == [
        ("S0", "B1", D("1")),
        ("S1", "B3", D("1")),
        ("S1", "B2", D("1.5")),
    ]
    schedule = MethodSchedule({2021: "hifo", 2025: "FIFO"})
    assert [schedule.method_for(y) for y in (2020, 2021, 2024, 2025, 2030)] == [
        "fifo",
        "hifo",
        "hifo",
        "fifo",
        "fifo",
    ]


def test_ties_break_by_time_then_row_in_the_methods_direction() -> None:
    """A and B are bought at the same instant, A on the earlier row (rows given out of
    order on purpose). FIFO sells A first; LIFO the later row, B; HIFO, with equal basis a
    unit, the earliest: A."""

    def ledger(method: str):
        return run(
            tx("B", "2024-01-01T00:00Z", "Buy", received="SOL 1", value="100", row=2),
            tx("A", "2024-01-01T00:00Z", "Buy", received="SOL 1", value="100", row=1),
            tx("S", "2024-02-01T00:00Z", "Sell", sent="SOL 1", value="120", row=3),
            methods=method,
        )

    assert [s[1] for s in sales(ledger("fifo"))] == ["A"]
    assert [s[1] for s in sales(ledger("lifo"))] == ["B"]
    assert [s[1] for s in sales(ledger("hifo"))] == ["A"]


def test_lifo_does_not_reach_a_later_row_at_the_same_instant() -> None:
    """A sale and a purchase at one instant: rows order them, so the sale on the earlier
    row cannot use the purchase on the later one (it takes the older lot)."""
    ledger = run(
        tx("A", "2024-01-01T00:00Z", "Buy", received="SOL 1", value="100", row=1),
        tx("S", "2024-02-01T00:00Z", "Sell", sent="SOL 1", value="120", row=2),
        tx("B", "2024-02-01T00:00Z", "Buy", received="SOL 1", value="130", row=3),
        methods="lifo",
    )
    assert [s[1] for s in sales(ledger)] == ["A"]


def test_method_names() -> None:
    assert parse_method("Specific ID") == "specific"
    assert parse_method(" HIFO ") == "hifo"
    with pytest.raises(InputError, match=r"method: 'average' is not a method"):
        parse_method("average")
