"""Shorthands for the ledger tests: a transaction in one line, a ledger in one call.

(Named test_ledger_* to sit with the ledger's tests; it holds no tests itself.)
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from tlh_xl.ledger import Ledger, LedgerSettings, LotPick, Transaction, build_ledger
from tlh_xl.ledger.engine import time_zone
from tlh_xl.ledger.own_format import parse_lot_picks, parse_time

_rows = iter(range(10**9))


def D(text: str | int) -> Decimal:
    return Decimal(str(text))


def tx(
    tx_id: str, time: str, kind: str, wallet: str = "W", zone: str = "UTC", **kw: Any
) -> Transaction:
    """``tx("B1", "2024-01-05T10:00Z", "Buy", "Coinbase", received="BTC 1", value="100")``.

    ``sent``/``received``/``fee`` take "ASSET QTY" (or just "ASSET"); ``value`` and
    ``fee_usd`` take numbers as text; ``lots`` takes the Lots column's text."""
    fields: dict[str, Any] = {}
    for side in ("sent", "received", "fee"):
        text = kw.pop(side, None)
        if text:
            asset, _, qty = str(text).partition(" ")
            fields[f"{side}_asset"] = asset
            if qty:
                fields[f"{side}_quantity"] = D(qty)
    if "value" in kw:
        fields["value_usd"] = D(kw.pop("value"))
    if "fee_usd" in kw:
        fields["fee_usd"] = D(kw.pop("fee_usd"))
    if "lots" in kw:
        fields["lots"] = parse_lot_picks(kw.pop("lots"), f"{tx_id} Lots")
    fields.update(kw)
    moment = parse_time(time, time_zone(zone), f"{tx_id} Time")
    row = fields.pop("row", next(_rows))
    return Transaction(tx_id, moment, kind, wallet, place=f"t.csv:{tx_id}", row=row, **fields)  # type: ignore[arg-type]


def run(*transactions: Transaction, **settings: Any) -> Ledger:
    return build_ledger(list(transactions), LedgerSettings(**settings))


def sales(ledger: Ledger) -> list[tuple[str, str, Decimal, Decimal, Decimal, Decimal, str]]:
    """(tx, lot, quantity, proceeds, basis, gain, term) per disposal, in order."""
    return [
        (d.tx_id, d.lot_id, d.quantity, d.proceeds, d.cost_basis, d.gain_loss, d.term)
        for d in ledger.disposals
    ]


def lots(ledger: Ledger) -> list[tuple[str, str, str, Decimal, Decimal, dt.date]]:
    """(lot, wallet, asset, quantity, basis, acquired) per open lot."""
    return [
        (x.lot_id, x.wallet, x.asset, x.quantity, x.cost_basis, x.acquired)
        for x in ledger.lot_records()
    ]


def pick(lot_id: str, quantity: str | None = None) -> LotPick:
    return LotPick(lot_id, None if quantity is None else D(quantity))
