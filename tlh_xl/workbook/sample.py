"""The bundled sample portfolio as a filled-in template (``tlh-xl demo``).

The sample lives as reviewable CSV in ``tlh_xl/samples/``: about 40 lots across
wallets, collapsed coins, two NFTs, a spot bitcoin ETF, recent buys and lots about to
turn long-term, planned as of 2026-12-01 for tax year 2026.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl

from .contract import (
    LOT_COLUMNS,
    LOTS,
    PRICE_COLUMNS,
    PRICES,
    PROFILE_FIELDS,
    TRANSACTION_TABLE_COLUMNS,
    TRANSACTIONS,
    WALLET_COLUMNS,
    WALLETS,
    Column,
)
from .sheets import build_lots, build_prices, build_transactions, build_wallets
from .template import template_path
from .writer import save_atomic

__all__ = ["SAMPLES", "build_ledger_sample_workbook", "build_sample_workbook"]

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def _typed(value: str, kind: str) -> Any:
    if value == "":
        return None
    if kind == "date":
        return dt.date.fromisoformat(value)
    if kind in ("money", "price", "number", "rate"):
        return Decimal(value)
    if kind == "int":
        return int(value)
    return value


def _rows(name: str, columns: tuple[Column, ...]) -> list[dict[str, Any]]:
    with (SAMPLES / name).open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [{c.field: _typed(r.get(c.header, "") or "", c.kind) for c in columns} for r in rows]


def _sample_profile() -> dict[str, str]:
    with (SAMPLES / "sample_profile.csv").open(newline="", encoding="utf-8") as handle:
        return {r["Name"]: r["Value"] for r in csv.DictReader(handle)}


def _build(path: Path, profile: dict[str, str], tables: Sequence[tuple[Any, ...]]) -> None:
    """The template with ``profile``'s values (by defined name; the others blank) and
    each ``(sheet, builder, columns, csv)`` table filled from its sample CSV."""
    wb = openpyxl.load_workbook(template_path())
    for f in PROFILE_FIELDS:
        ((sheet, coord),) = wb.defined_names[f.name].destinations
        wb[sheet][coord.replace("$", "")].value = _typed(profile.get(f.name, ""), f.kind)
    for title, builder, columns, csv_name in tables:
        index = wb.sheetnames.index(title)
        wb.remove(wb[title])
        builder(wb.create_sheet(title, index), _rows(csv_name, columns))
    save_atomic(wb, path)


_PRICES = (PRICES, build_prices, PRICE_COLUMNS, "sample_prices.csv")
_WALLETS = (WALLETS, build_wallets, WALLET_COLUMNS, "sample_wallets.csv")


def build_sample_workbook(path: Path) -> None:
    """The 40-lot sample: its Lots, Prices and Wallets, and the sample profile."""
    lots = (LOTS, build_lots, LOT_COLUMNS, "sample_lots.csv")
    _build(path, _sample_profile(), (lots, _PRICES, _WALLETS))


# Left blank in the ledger sample: fill takes them from the transactions.
_FROM_LEDGER = ("RealizedShortTerm", "RealizedLongTerm", "RealizedCollectibles")


def build_ledger_sample_workbook(path: Path) -> None:
    """The template with the sample's transactions in its Transactions table, an empty
    Lots table, the sample's profile (its realized figures blank, a New Yorker's time
    zone) and prices (``tlh-xl demo --ledger``)."""
    profile = {k: v for k, v in _sample_profile().items() if k not in _FROM_LEDGER}
    profile["TimeZone"] = "America/New_York"
    transactions = (
        TRANSACTIONS,
        build_transactions,
        TRANSACTION_TABLE_COLUMNS,
        "sample_transactions.csv",
    )
    _build(path, profile, (_PRICES, transactions, _WALLETS))
