"""Bundled sample portfolios (the article's examples), used by ``tlh-xl demo`` and tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

__all__ = ["JANE_LOTS", "JANE_PRICES", "JANE_PROFILE"]

# PRODUCT.md §1.6: Jane is in the top bracket, has realized $10,000 of gains and holds
# $287,000 of unrealized losses, bought in 2025 (so short-term at year end).
JANE_PROFILE: dict[str, Any] = {
    "tax_year": 2025,
    "filing_status": "single",
    "ordinary_income": 1_000_000,
    "realized_short_term": 10_000,
    "as_of_date": dt.date(2025, 12, 1),
    "fee_rate": 0,
    "carryforward_value": "0.2",
    "rebuy": True,
}
JANE_LOTS: list[dict[str, Any]] = [
    {
        "lot_id": "J1",
        "asset": "ETH",
        "asset_class": "Crypto",
        "wallet": "Coinbase",
        "acquired": "2025-03-01",
        "quantity": 50,
        "cost_basis": 150_000,
        "tx_id": "0x5e1f…a901",
    },
    {
        "lot_id": "J2",
        "asset": "SOL",
        "asset_class": "Crypto",
        "wallet": "Phantom",
        "acquired": "2025-03-01",
        "quantity": 400,
        "cost_basis": 97_000,
        "tx_id": "4Nd1…q2Wz",
    },
    {
        "lot_id": "J3",
        "asset": "AVAX",
        "asset_class": "Crypto",
        "wallet": "Kraken",
        "acquired": "2025-03-01",
        "quantity": 2_000,
        "cost_basis": 90_000,
        "tx_id": "KR-7781203",
    },
    {
        "lot_id": "J4",
        "asset": "DOGE",
        "asset_class": "Crypto",
        "wallet": "Coinbase",
        "acquired": "2025-03-01",
        "quantity": 200_000,
        "cost_basis": 100_000,
        "tx_id": "CB-99125",
    },
]
JANE_PRICES: dict[str, Any] = {"ETH": 1_000, "SOL": 100, "AVAX": 20, "DOGE": "0.10"}
