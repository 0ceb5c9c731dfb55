"""Importers: exchange and tax-tool exports in, the ledger's ``Transaction`` records out.

One module per export format, each registered here under a short name. A file's format
is found from its header (``detect``), so the user need not say which export it is; a
``format`` given to ``read_transactions`` overrides that. Every importer refuses what it
does not understand (an unknown type, a cell that is not a number, a missing USD value),
naming the file, the physical line and the column; rows are skipped only when they carry
no tax event, and each module's docstring lists them and says why.

    from tlh_xl.ledger.importers import read_transactions
    txs = read_transactions("coinbase.csv")            # format found from the header
    txs = read_transactions("ledgers.csv", wallet="Kraken (joint)")

``register`` adds a format (tlh-xl's own Transactions CSV, a new exchange); the first
registered format whose header matches wins. ``pair_transfers`` joins the two halves of a
transfer seen in two exports (a Coinbase Send, a Kraken deposit) when the match is exact
and unique.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ...errors import InputError
from ..transactions import Transaction
from . import coinbase, cointracker, koinly, kraken
from ._common import (
    HEADER_SEARCH_LINES,
    MAX_BYTES,
    MAX_ROWS,
    ExportFormat,
    ReadOptions,
    Table,
    read_table,
    resolve_tz,
)
from .transfers import DEFAULT_WINDOW, pair_transfers

__all__ = [
    "DEFAULT_WINDOW",
    "FORMATS",
    "HEADER_SEARCH_LINES",
    "MAX_BYTES",
    "MAX_ROWS",
    "ExportFormat",
    "ReadOptions",
    "Table",
    "detect",
    "pair_transfers",
    "read_transactions",
    "register",
]

# Name -> format, in detection order. Headers do not overlap, so the order only matters
# for a format registered later that claims a header an earlier one also accepts.
FORMATS: dict[str, ExportFormat] = {
    f.name: f for f in (coinbase.FORMAT, kraken.FORMAT, koinly.FORMAT, cointracker.FORMAT)
}


def register(fmt: ExportFormat) -> None:
    """Add an export format (or replace the one of the same name)."""
    FORMATS[fmt.name] = fmt


def _lookup(name: str) -> ExportFormat:
    try:
        return FORMATS[name.strip().lower()]
    except KeyError:
        raise InputError(f"format: {name!r} is not one of {', '.join(sorted(FORMATS))}") from None


def detect(path: str | Path) -> str:
    """The name of the export format of the file at ``path``, from its header."""
    fmt, _ = read_table(path, list(FORMATS.values()))
    return fmt.name


def read_transactions(
    path: str | Path,
    format: str | None = None,
    tz: dt.tzinfo | str = dt.timezone.utc,
    wallet: str | None = None,
) -> list[Transaction]:
    """Read an export into ledger transactions, in file order.

    ``format`` names the importer (``coinbase``, ``kraken``, ``koinly``, ``cointracker``);
    by default it is found from the header. ``tz`` is the zone of timestamps that an
    export writes without one where its documentation does not say which (an IANA name
    or a ``tzinfo``; UTC by default): of these formats, only CoinTracker's. Coinbase marks
    its times UTC, and Kraken and Koinly document theirs as UTC, so ``tz`` does not change
    them. ``wallet`` names the account of a single-account export (default ``Coinbase``,
    ``Kraken``); Koinly and CoinTracker name their wallets in the file.

    Each transaction's ``place`` is ``file.csv:LINE`` (the physical line its row starts
    on) and ``row`` its order among events in time.
    """
    options = ReadOptions(wallet=wallet.strip() if wallet else None, tz=resolve_tz(tz))
    candidates = [_lookup(format)] if format else list(FORMATS.values())
    fmt, table = read_table(path, candidates)
    return fmt.read(table, options)
