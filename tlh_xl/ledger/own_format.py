"""tlh-xl's own transaction format: the ``Transactions`` table, and the same columns as CSV.

One row per event, quantities positive (the ``Type`` says which way they move). The
column names are a contract, like the workbook's:

    Tx ID, Time, Type, Wallet, To Wallet, Sent Asset, Sent Quantity, Received Asset,
    Received Quantity, Fee Asset, Fee Quantity, Value USD, Fee USD, Lots, Notes

* Headers match regardless of case and spaces (``tx id``, ``TxID``); a header that
  appears twice is refused; columns not listed here are ignored (a user's own notes).
  ``Tx ID``, ``Time``, ``Type`` and ``Wallet`` must be present; a missing optional
  column reads as blank.
* ``Tx ID``: required and unique (lot IDs are made from it).
* ``Time``: ISO 8601 with an offset or ``Z`` (``2025-03-01T14:30:00-05:00``). A bare
  date, or a date-time with no offset, is in the user's time zone; a local time that a
  daylight-saving change makes ambiguous or skips is refused (give the offset).
* ``Type``: one of ``Buy, Sell, Trade, Transfer, Income, Spend, Gift Out, Gift In, Fee,
  Lost`` (any case and spacing).
* Numbers are read exactly or refused: digits with at most one decimal point and an
  optional exponent; no thousands separators, currency signs or signs (``1,2.5`` and
  ``$5`` are refused: a comma may be a decimal point elsewhere, and never guessing is
  the rule). Numbers from a workbook (floats) are read at Excel's 15 significant digits.
  Quantities are greater than 0 (a Fee Quantity may be 0: no fee); Value USD and Fee
  USD are 0 or more.
* ``Lots``: specific identification, ``L12:0.5; L13`` (lot ``L12``, 0.5 units; all that
  is left of ``L13``).

Every error is one line that names the place and the column, e.g.
``transactions.csv:7 Sent Quantity: expected a number, got '1,2.5'``, raised as
``InputError``. A file over ``MAX_ROWS`` data rows is refused before it fills memory.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ..errors import InputError
from .engine import time_zone
from .transactions import TX_TYPES, LotPick, Transaction, TxType

__all__ = [
    "MAX_ROWS",
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "TRANSACTION_COLUMNS",
    "Place",
    "normalize_header",
    "parse_lot_picks",
    "parse_number",
    "parse_time",
    "parse_transaction_rows",
    "parse_tx_type",
    "read_transactions_csv",
]

TRANSACTION_COLUMNS: tuple[str, ...] = (
    "Tx ID",
    "Time",
    "Type",
    "Wallet",
    "To Wallet",
    "Sent Asset",
    "Sent Quantity",
    "Received Asset",
    "Received Quantity",
    "Fee Asset",
    "Fee Quantity",
    "Value USD",
    "Fee USD",
    "Lots",
    "Notes",
)
REQUIRED_COLUMNS: tuple[str, ...] = ("Tx ID", "Time", "Type", "Wallet")
OPTIONAL_COLUMNS: tuple[str, ...] = tuple(
    c for c in TRANSACTION_COLUMNS if c not in REQUIRED_COLUMNS
)

# Excel's own sheet holds 1,048,576 rows; a ledger larger than that is refused rather
# than read into memory (about 1 KB a row once parsed).
MAX_ROWS = 1_048_576

# place(row, column) names data row ``row`` (0-based) and a column: ``Transactions!G7``
# from a workbook, ``transactions.csv:7`` from a file. ``column`` is "" for the row.
Place = Callable[[int, str], str]

_EXCEL_DIGITS = 15  # significant digits Excel keeps in a number
_NUMBER = re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_TYPES: dict[str, TxType] = {t.replace(" ", "").casefold(): t for t in TX_TYPES}
_COLUMNS = {"".join(c.split()).casefold(): c for c in TRANSACTION_COLUMNS}


def normalize_header(text: object) -> str:
    """Headers match regardless of case and spaces."""
    return "".join(str(text or "").split()).casefold()


# --- values ------------------------------------------------------------------------


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_number(value: object, where: str) -> Decimal:
    """A number, exactly as written, zero or more; anything else refused."""
    if isinstance(value, str):
        text = value.strip()
        if not (text.isascii() and _NUMBER.fullmatch(text)):
            if text[:1] == "-" and _NUMBER.fullmatch(text[1:]):
                raise InputError(
                    f"{where}: must not be negative, got {value!r} (the Type says which way)"
                )
            raise InputError(f"{where}: expected a number, got {value!r}")
        return Decimal(text)
    if isinstance(value, bool):
        raise InputError(f"{where}: expected a number, got {value!r}")
    if isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise InputError(f"{where}: expected a number, got {value!r}")
        result = Decimal(format(value, f".{_EXCEL_DIGITS}g"))
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise InputError(f"{where}: expected a number, got {value!r}")
        result = value
    else:
        raise InputError(f"{where}: expected a number, got {value!r}")
    if result < 0:
        raise InputError(f"{where}: must not be negative, got {value!r} (the Type says which way)")
    return result


def parse_time(value: object, tz: ZoneInfo, where: str) -> dt.datetime:
    """A time-zone-aware datetime; bare dates and naive times are in ``tz``."""
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        text = value.strip()
        if text[-1:] in ("Z", "z"):  # Python 3.10's fromisoformat has no "Z"
            text = text[:-1] + "+00:00"
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            raise InputError(
                f"{where}: expected an ISO 8601 date-time such as 2025-03-01T14:30:00Z, "
                f"got {value!r}"
            ) from None
    else:
        raise InputError(
            f"{where}: expected an ISO 8601 date-time such as 2025-03-01T14:30:00Z, got {value!r}"
        )
    if moment.tzinfo is not None and moment.utcoffset() is not None:
        return moment
    return _localize(moment.replace(tzinfo=None), tz, where, value)


def _localize(naive: dt.datetime, tz: ZoneInfo, where: str, shown: object) -> dt.datetime:
    early = naive.replace(tzinfo=tz, fold=0)
    late = naive.replace(tzinfo=tz, fold=1)
    if early.utcoffset() == late.utcoffset():
        return early
    # A daylight-saving change: the wall time happens twice (ambiguous) or not at all.
    back = early.astimezone(dt.timezone.utc).astimezone(tz).replace(tzinfo=None)
    what = "does not exist" if back != naive else "is ambiguous"
    raise InputError(
        f"{where}: {shown!r} {what} in {tz.key} (a daylight-saving change); "
        "give the time with its UTC offset"
    )


def parse_tx_type(value: object, where: str) -> TxType:
    found = _TYPES.get("".join(str(value or "").split()).casefold())
    if found is None:
        raise InputError(f"{where}: unknown type {value!r} (expected one of {', '.join(TX_TYPES)})")
    return found


def parse_lot_picks(value: object, where: str) -> tuple[LotPick, ...]:
    """``L12:0.5; L13`` → lot L12 for 0.5 units, then all that is left of L13."""
    if _blank(value):
        return ()
    picks: list[LotPick] = []
    items = [item.strip() for item in _text(value).split(";")]
    if items and not items[-1]:
        items.pop()  # a trailing ";"
    for item in items:
        if not item:
            raise InputError(f"{where}: empty entry in {value!r} (write L12:0.5; L13)")
        lot_id, sep, amount = item.rpartition(":")
        if not sep or not _NUMBER.fullmatch(amount.strip()):
            # No quantity: the whole entry is the lot ID (an ID may itself contain ':').
            picks.append(LotPick(item))
            continue
        lot_id = lot_id.strip()
        if not lot_id:
            raise InputError(f"{where}: no lot ID before ':' in {item!r}")
        quantity = Decimal(amount.strip())
        if quantity <= 0:
            raise InputError(f"{where}: the quantity of lot {lot_id} must be greater than 0")
        picks.append(LotPick(lot_id, quantity))
    return tuple(picks)


def _text(value: object) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a workbook gives an ID typed as 7 back as 7.0
    return str(value).strip()


# --- rows --------------------------------------------------------------------------


class _Bad(Exception):
    """A cell's error, before its place is known (places are only built for errors)."""

    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column
        self.message = message


_POSITIVE = frozenset({"Sent Quantity", "Received Quantity"})


def _text_of(value: object) -> str:
    if value is None:
        return ""
    if type(value) is str:
        return value.strip()
    return _text(value)


def _number_of(value: object, column: str) -> Decimal | None:
    if value is None:
        return None
    if type(value) is str:
        text = value.strip()
        if not text:
            return None
        if _NUMBER.fullmatch(text) is None:
            try:
                parse_number(text, column)
            except InputError as exc:
                raise _Bad(column, str(exc).partition(": ")[2]) from None
        found = Decimal(text)
    else:
        try:
            found = parse_number(value, column)
        except InputError as exc:
            raise _Bad(column, str(exc).partition(": ")[2]) from None
    if not found and column in _POSITIVE:
        raise _Bad(column, f"must be greater than 0, got {value!r}")
    return found


class _Rows:
    """Turns rows (one value per contract column, in TRANSACTION_COLUMNS order) into
    Transactions; the place of a cell is worked out only for an error."""

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz
        self.ids: dict[str, int] = {}  # Tx ID → the row that has it

    def parse(self, i: int, v: Sequence[Any], place: Place) -> Transaction:
        try:
            return self._parse(i, v, place)
        except _Bad as bad:
            raise InputError(f"{place(i, bad.column)} {bad.column}: {bad.message}") from None

    def _parse(self, i: int, v: Sequence[Any], place: Place) -> Transaction:
        (tx_id, time, kind, wallet, to_wallet, sent_asset, sent_q, received_asset,
         received_q, fee_asset, fee_q, value_usd, fee_usd, lots, notes) = v  # fmt: skip
        tx_id = _text_of(tx_id)
        if not tx_id:
            raise _Bad("Tx ID", "empty (every row needs its own Tx ID)")
        earlier = self.ids.setdefault(tx_id, i)
        if earlier != i:
            raise _Bad("Tx ID", f"{tx_id!r} is also the Tx ID of {place(earlier, '')}")
        if _blank(time):
            raise _Bad("Time", "empty")
        try:
            moment = parse_time(time, self.tz, "Time")
        except InputError as exc:
            raise _Bad("Time", str(exc).partition(": ")[2]) from None
        tx_type = _TYPES.get(kind) if type(kind) is str else None
        if tx_type is None:
            tx_type = _TYPES.get("".join(str(kind or "").split()).casefold())
            if tx_type is None:
                choices = ", ".join(TX_TYPES)
                raise _Bad("Type", f"unknown type {kind!r} (expected one of {choices})")
            if type(kind) is str:
                _TYPES[kind] = tx_type  # this spelling again: one lookup
        wallet = _text_of(wallet)
        if not wallet:
            raise _Bad("Wallet", "empty")
        picks: tuple[LotPick, ...] = ()
        if lots is not None and not (type(lots) is str and not lots.strip()):
            try:
                picks = parse_lot_picks(lots, "Lots")
            except InputError as exc:
                raise _Bad("Lots", str(exc).partition(": ")[2]) from None
        return Transaction(
            tx_id,
            moment,
            tx_type,
            wallet,
            _text_of(to_wallet),
            _text_of(sent_asset),
            _number_of(sent_q, "Sent Quantity") if sent_q != "" else None,
            _text_of(received_asset),
            _number_of(received_q, "Received Quantity") if received_q != "" else None,
            _text_of(fee_asset),
            _number_of(fee_q, "Fee Quantity") if fee_q != "" else None,
            _number_of(value_usd, "Value USD") if value_usd != "" else None,
            _number_of(fee_usd, "Fee USD") if fee_usd != "" else None,
            picks,
            _text_of(notes),
            place(i, ""),
            i,
        )


def _header_map(headers: Iterable[object], where: str) -> dict[int, str]:
    """Position → contract column, for each header that is one; duplicates refused."""
    found: dict[str, int] = {}
    index: dict[int, str] = {}
    for i, header in enumerate(headers):
        column = _COLUMNS.get(normalize_header(header))
        if column is None:
            continue
        if column in found:
            raise InputError(
                f"{where}: column {column!r} appears twice "
                f"(columns {found[column] + 1} and {i + 1})"
            )
        found[column] = i
        index[i] = column
    missing = [c for c in REQUIRED_COLUMNS if c not in found]
    if missing:
        names = ", ".join(str(h) for h in headers if not _blank(h)) or "nothing"
        raise InputError(
            f"{where}: missing column {', '.join(repr(m) for m in missing)} (found: {names})"
        )
    return index


def parse_transaction_rows(
    rows: Iterable[Mapping[Any, Any]],
    place: Place | None = None,
    time_zone_name: str = "UTC",
    name: str = "Transactions",
    max_rows: int = MAX_ROWS,
) -> list[Transaction]:
    """Transactions from rows of header → value (a workbook table's rows, a DataFrame's
    records). ``place(i, column)`` names row ``i`` (0-based) for errors (by default
    ``Transactions row 7``, counting the header as row 1); blank rows are skipped."""
    tz = time_zone(time_zone_name)
    where_row: Place = place or (lambda i, _column: f"{name} row {i + 2}")
    parser = _Rows(tz)
    keys: tuple[Any, ...] | None = None
    picks: list[Any] = []  # per contract column, the row's key holding it (or None)
    out: list[Transaction] = []
    for i, row in enumerate(rows):
        if keys is None or tuple(row) != keys:  # rows of one table share their headers
            keys = tuple(row)
            found = _header_map(keys, f"{name} header")
            by_column = {column: keys[j] for j, column in found.items()}
            picks = [by_column.get(column) for column in TRANSACTION_COLUMNS]
        if all(_blank(v) for v in row.values()):
            continue
        if len(out) >= max_rows:
            raise InputError(f"{name}: more than {max_rows:,} rows; split the ledger")
        values = [None if key is None else row[key] for key in picks]
        out.append(parser.parse(i, values, where_row))
    return out


def read_transactions_csv(
    path: str | Path, time_zone_name: str = "UTC", max_rows: int = MAX_ROWS
) -> list[Transaction]:
    """Transactions from a CSV file in tlh-xl's own format (UTF-8, a BOM allowed).

    Errors name ``file.csv:LINE Column``; a row with more cells than the header (often a
    number written with a thousands comma and no quotes) is refused."""
    path = Path(path)
    name = path.name
    tz = time_zone(time_zone_name)
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    with handle:
        reader = csv.reader(handle)
        try:
            return _read_csv(reader, name, tz, max_rows)
        except UnicodeDecodeError:
            raise InputError(f"{name}:{reader.line_num + 1}: not UTF-8 text") from None
        except csv.Error as exc:
            raise InputError(f"{name}:{reader.line_num}: cannot read as CSV: {exc}") from None


def _read_csv(reader: Any, name: str, tz: ZoneInfo, max_rows: int) -> list[Transaction]:
    header: list[str] | None = None
    lines: list[int] = []  # data row i → the line it starts on

    def place(i: int, _column: str) -> str:
        return f"{name}:{lines[i]}"

    parser = _Rows(tz)
    out: list[Transaction] = []
    positions: list[int] = []  # per contract column, its cell in a row (-1: no column)
    width = 0
    start = 1
    for cells in reader:
        line = start
        start = reader.line_num + 1  # a quoted cell may span lines
        if header is None:
            if not any(c.strip() for c in cells):
                continue  # blank lines before the header
            header = cells
            found = {column: j for j, column in _header_map(cells, f"{name}:{line}").items()}
            positions = [found.get(column, -1) for column in TRANSACTION_COLUMNS]
            width = len(cells)
            continue
        if not any(cells) or not any(c.strip() for c in cells):
            continue
        if len(cells) > width:  # even blank extras: the cells before them may have shifted
            raise InputError(
                f"{name}:{line}: {len(cells)} cells but the header has {width} "
                "(a number with a thousands comma, unquoted?)"
            )
        if len(out) >= max_rows:
            raise InputError(f"{name}: more than {max_rows:,} rows; split the ledger")
        lines.append(line)
        n = len(cells)
        values = [cells[j] if 0 <= j < n else None for j in positions]
        out.append(parser.parse(len(lines) - 1, values, place))
    if header is None:
        raise InputError(f"{name}:1: empty file (expected a header row)")
    return out
