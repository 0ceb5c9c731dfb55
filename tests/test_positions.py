"""Positions: wash-sale flags against a plain reference, on random purchase histories."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from tlh_xl import load_rules
from tlh_xl.harvest.lots import Lot
from tlh_xl.harvest.positions import value_positions

RULES = load_rules(2025)  # securities: 30-day window; IBIT, FBTC, ... identical
AS_OF = dt.date(2025, 12, 1)
GROUPS = [["SPY", "VOO"]]


def _reference(lots: list[Lot]) -> dict[str, str]:
    """Straight from the rule: the latest other purchase of the lot's identical group
    (first row on equal dates) inside the 30 days before the sale blocks a loss sale."""
    group = {"IBIT": "BTC-ETF", "FBTC": "BTC-ETF", "SPY": "S&P", "VOO": "S&P"}
    out = {}
    for lot in lots:
        if lot.asset_class != "Security" or lot.cost_basis <= lot.quantity * 10:
            continue  # crypto: no wash-sale rule; a gain: nothing to disallow
        others = [
            o
            for o in lots
            if o is not lot
            and group.get(o.asset, o.asset) == group.get(lot.asset, lot.asset)
            and AS_OF - dt.timedelta(days=30) <= o.acquired <= AS_OF
        ]
        if others:
            last = max(others, key=lambda o: o.acquired)
            out[lot.lot_id] = f"{last.asset} bought {last.acquired} (lot {last.lot_id})"
    return out


@st.composite
def histories(draw):
    n = draw(st.integers(1, 12))
    return [
        Lot(
            f"L{i}",
            draw(st.sampled_from(["IBIT", "FBTC", "SPY", "VOO", "QQQ", "BTC"])),
            "Security" if draw(st.integers(0, 5)) else "Crypto",
            "W",
            AS_OF - dt.timedelta(days=draw(st.integers(0, 45))),
            Decimal(1),
            Decimal(draw(st.sampled_from([5, 15]))),  # price 10: a gain or a loss
            "",
        )
        for i in range(n)
    ]


@settings(max_examples=300, deadline=None)
@given(histories())
def test_wash_sale_flags_match_the_rule(lots) -> None:
    prices = dict.fromkeys(["IBIT", "FBTC", "SPY", "VOO", "QQQ", "BTC"], Decimal(10))
    positions = value_positions(RULES, lots, prices, AS_OF, GROUPS)
    found = {
        p.lot.lot_id: p.wash_sale_reason.split("wash sale: ")[1].split(";")[0]
        for p in positions
        if p.wash_sale_until is not None
    }
    assert found == _reference(lots)
