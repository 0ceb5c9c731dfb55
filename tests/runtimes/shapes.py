"""Excel-shaped inputs: what each xlwings runtime hands a function for our tables."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from tlh_xl.samples import JANE_LOTS, JANE_PRICES, JANE_PROFILE

LOT_HEADER = [
    "Lot ID",
    "Asset",
    "Asset Class",
    "Wallet",
    "Acquired",
    "Quantity",
    "Cost Basis",
    "Tx ID",
    "Price Override",
    "Exclude",
    "Notes",
]


def serial(day: dt.date) -> float:
    """An Excel serial date number, as xlwings Lite and Server deliver dates."""
    return float((day - dt.date(1899, 12, 30)).days)


def jane_ranges(date: Callable[[dt.date], Any]) -> tuple[list[list[Any]], ...]:
    """Lots[#All], Prices[#All] and the Profile's name/value columns for the article's Jane."""
    lots = [LOT_HEADER] + [
        [
            r["lot_id"],
            r["asset"],
            r["asset_class"],
            r["wallet"],
            date(dt.date.fromisoformat(r["acquired"])),
            float(r["quantity"]),
            float(r["cost_basis"]),
            r["tx_id"],
            None,
            None,
            None,
        ]
        for r in JANE_LOTS
    ]
    prices = [["Asset", "Price", "As Of", "Source"]] + [
        [asset, float(Decimal(str(price))), None, None] for asset, price in JANE_PRICES.items()
    ]
    profile = [
        ["TaxYear", float(JANE_PROFILE["tax_year"])],
        ["Filing status", "Single"],  # a visible label works as well as the name
        ["OrdinaryIncome", float(JANE_PROFILE["ordinary_income"])],
        ["QualifiedDividends", None],
        ["Deduction", None],
        ["RealizedShortTerm", float(JANE_PROFILE["realized_short_term"])],
        ["AsOfDate", date(JANE_PROFILE["as_of_date"])],
        ["FeeRate", 0.0],
        ["CarryforwardValue", 0.2],
        ["Rebuy", "yes"],
    ]
    return lots, prices, profile
