"""tlh-xl ledger: transaction exports in, open lots per wallet and the year's disposals out.

    tlh-xl ledger coinbase.csv kraken-ledgers.csv --year 2026 -o my-harvest.xlsx

Each file's format is found from its header (tlh-xl's own Transactions CSV, Coinbase,
Kraken, Koinly, CoinTracker), or given with ``--format``. Half transfers seen in two
files (a Coinbase Send and the Kraken deposit it became) are joined when the match is
exact and unique; one that cannot be matched is an error naming its row.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import tempfile
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .ledger_args import OWN_FORMAT
from .output import money

if TYPE_CHECKING:
    from ..ledger.records import Ledger
    from ..ledger.transactions import Transaction

__all__ = [
    "METHOD_NAMES",
    "OWN_FORMAT",
    "cmd_ledger",
    "read_ledger_files",
    "safe_cell",
    "write_csv",
]

# ledger.methods.METHODS, spelled out so that building the parser (every command, even
# --help) does not import the ledger; a test holds the two equal.
METHOD_NAMES = ("fifo", "lifo", "hifo", "specific")
# Enough to tell our own format apart (Kraken's ledgers.csv has txid, time, type and
# wallet too; no export has the sent and received columns).
_OWN_HEADERS = {"txid", "time", "type", "wallet", "sentasset", "receivedasset"}


def _is_own_format(path: Path) -> bool:
    """Whether the file's first row is tlh-xl's own Transactions header."""
    from ..ledger.own_format import normalize_header

    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            first = next(csv.reader(handle), [])
    except (OSError, UnicodeDecodeError, csv.Error):
        return False  # the importer that reads it says what is wrong
    return _OWN_HEADERS <= {normalize_header(cell) for cell in first}


def read_ledger_files(
    paths: Sequence[Path], format: str | None, time_zone: str, wallet: str | None = None
) -> tuple[list[Transaction], list[tuple[Path, str, int]]]:
    """Every file's transactions, half transfers across files joined; and per file
    (path, format, rows read)."""
    from ..errors import InputError
    from ..ledger.importers import pair_transfers, read_transactions
    from ..ledger.own_format import read_transactions_csv

    out: list[Transaction] = []
    read: list[tuple[Path, str, int]] = []
    offset = 0
    for path in paths:
        if not path.is_file():
            raise InputError(f"{path}: no such file")
        own = format == OWN_FORMAT or (format is None and _is_own_format(path))
        if path.suffix.lower() in (".xlsx", ".xlsm"):  # a workbook's Transactions table
            from ..workbook.ledger_book import read_workbook_transactions

            part, name = read_workbook_transactions(path, time_zone), "workbook Transactions"
        elif own:
            part, name = read_transactions_csv(path, time_zone), OWN_FORMAT
        else:
            part = read_transactions(path, format, tz=time_zone, wallet=wallet)
            from ..ledger.importers import detect

            name = format or detect(path)
        # Rows keep their order within a file; files follow each other, so two events at
        # the same instant in two files are taken in the order the files were given.
        out.extend(_renumbered(part, offset))
        offset += len(part)
        read.append((path, name, len(part)))
    return pair_transfers(out), read


def _renumbered(part: Iterable[Transaction], offset: int) -> list[Transaction]:
    import dataclasses

    return [dataclasses.replace(t, row=t.row + offset) for t in part]


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """A value as CSV text that no spreadsheet reads as a formula: text that starts
    like one (``=``, ``+``, ``-``, ``@``) gets a leading apostrophe, the way a
    spreadsheet itself marks text; numbers and dates are written plainly."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, (int, float, dt.date)):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def write_csv(path: Path, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Write atomically: a temporary file in the same folder, renamed into place, so a
    failure leaves no half-written file."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(headers)
            for row in rows:
                writer.writerow([safe_cell(v) for v in row])
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _lots_csv(ledger: Ledger, path: Path) -> None:
    from ..workbook.contract import LOT_COLUMNS
    from ..workbook.ledger_book import lot_rows

    write_csv(
        path,
        [c.header for c in LOT_COLUMNS],
        ([r.get(c.field) for c in LOT_COLUMNS] for r in lot_rows(ledger)),
    )


def _realized_csv(ledger: Ledger, year: int, path: Path) -> None:
    from ..output_tables import REALIZED_COLUMNS, rows

    write_csv(
        path,
        [c.header for c in REALIZED_COLUMNS],
        rows(ledger.realized(year), REALIZED_COLUMNS),
    )


def cmd_ledger(args: argparse.Namespace) -> int:
    from ..errors import InputError
    from ..ledger import LedgerSettings, build_ledger

    paths = [Path(p) for p in args.files]
    for target in (args.lots_out, args.realized_out, args.output):
        if target and Path(target).resolve() in {p.resolve() for p in paths}:
            raise InputError(f"{target}: is one of the input files; choose another name")
    transactions, read = read_ledger_files(paths, args.format, args.tz or "UTC", args.wallet)
    own = list(args.own_wallet or ())
    for path in paths:  # a workbook's Wallets table lists the user's wallets too
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            from ..workbook.ledger_book import read_workbook_wallets

            own.extend(w for w in read_workbook_wallets(path) if w not in own)
    settings = LedgerSettings(
        methods=args.method,
        time_zone=args.tz or "UTC",
        universal=args.universal,
        wallets=tuple(own),
        through=args.through,
    )
    ledger = build_ledger(transactions, settings)
    year = args.year or (args.through or dt.date.today()).year

    for path, name, count in read:
        print(f"read {path}: {count:,} transactions ({name})")
    mode = "per wallet" if ledger.per_wallet else "universal (all wallets pooled)"
    print(f"\n  Open lots                {len(ledger.lots):>10,}   ({mode})")
    realized = ledger.realized(year)
    totals = ledger.realized_totals(year)
    print(f"  Disposals in {year}        {len(realized):>10,}")
    print(f"  Realized short-term      {money(totals['short']):>16}")
    print(f"  Realized long-term       {money(totals['long']):>16}")
    income = ledger.income_in(year)
    if income:
        total = sum((e.value_usd for e in income), Decimal(0))
        events = f"{len(income)} event{'s' * (len(income) != 1)}"
        print(f"  Ordinary income          {money(total):>16}   ({events})")
    print(f"  Time zone                {ledger.time_zone:>16}")
    shown = [b for b in ledger.balances if b.quantity][:20]
    if shown:
        print("\nBalances after the last transaction (compare with the exchange's own)")
        for b in shown:
            print(f"  {b.wallet[:18]:<18} {b.asset[:10]:<10} {b.quantity.normalize():>24f}")
        if len(ledger.balances) > len(shown):
            print(f"  ... {len(ledger.balances) - len(shown)} more")

    if args.lots_out:
        _lots_csv(ledger, Path(args.lots_out))
        print(f"\nwrote {args.lots_out}")
    if args.realized_out:
        _realized_csv(ledger, year, Path(args.realized_out))
        print(f"wrote {args.realized_out}")
    if args.output:
        from ..workbook.ledger_book import write_ledger_workbook

        write_ledger_workbook(ledger, year, Path(args.output))
        print(
            f"wrote {args.output}: its Lots are the open lots and its Profile has {year}'s "
            "realized gains; fill in income and Prices, then run: tlh-xl fill "
            f"{args.output}"
        )
    return 0
