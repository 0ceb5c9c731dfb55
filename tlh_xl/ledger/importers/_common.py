"""What every importer shares: reading a bounded CSV export, finding its header after any
preamble, and turning cells into exact numbers and aware times with errors that name the
file, the physical line and the column (``coinbase.csv:57 Quantity Transacted: expected a
number, got '1,2.5'``).

Limits, so that a wrong file (a disk image, a 5 GB log) fails at once instead of filling
memory: an export may be at most ``MAX_BYTES`` bytes and ``MAX_ROWS`` data rows; its header
must appear within the first ``HEADER_SEARCH_LINES`` records (Coinbase puts a few preamble
lines before it; the others put it first). The whole file is read as bytes and decoded as
``utf-8-sig``, which drops the byte-order mark Excel writes and lets a bad byte be reported
with its line.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext
from pathlib import Path
from typing import TypedDict
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ...errors import InputError
from ..transactions import Transaction

__all__ = [
    "HEADER_SEARCH_LINES",
    "MAX_BYTES",
    "MAX_ROWS",
    "ExportFormat",
    "FeeFields",
    "ReadOptions",
    "Row",
    "RowFields",
    "Table",
    "derived",
    "number",
    "number_rows",
    "read_table",
    "resolve_tz",
    "utc_time",
]

# 200 MiB holds about a million Kraken ledger rows (~150 bytes each), more than any one
# account's history; larger files should be split by year.
MAX_BYTES = 200 * 1024 * 1024
MAX_ROWS = 2_000_000
HEADER_SEARCH_LINES = 50

Header = tuple[str, ...]


class RowFields(TypedDict):
    """The fields every transaction built from a row shares (passed as ``**fields``)."""

    tx_id: str
    time: dt.datetime
    place: str
    notes: str


class FeeFields(TypedDict):
    fee_asset: str
    fee_quantity: Decimal | None
    fee_usd: Decimal | None


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """How to read one file. ``wallet`` names the account of a single-account export
    (Coinbase, Kraken; ``None`` means the format's default name); ``tz`` is the zone of
    timestamps an export writes without one, where its documentation does not say."""

    wallet: str | None = None
    tz: dt.tzinfo = dt.timezone.utc


@dataclass(frozen=True, slots=True)
class ExportFormat:
    """One importer, as the registry sees it.

    ``matches(header)`` says whether a row of cells is this format's header;
    ``near_miss(header)`` may explain why a header that looks related is not accepted
    (Kraken's trades.csv instead of ledgers.csv); ``read`` converts the table.
    """

    name: str
    title: str
    matches: Callable[[Header], bool]
    read: Callable[[Table, ReadOptions], list[Transaction]]
    near_miss: Callable[[Header], str | None] = lambda header: None


@dataclass(frozen=True, slots=True)
class Row:
    """One data record: its cells by column name and the physical line it starts on."""

    file: str
    line: int
    cells: Mapping[str, str]

    @property
    def place(self) -> str:
        return f"{self.file}:{self.line}"

    def error(self, column: str, message: str) -> InputError:
        return InputError(f"{self.file}:{self.line} {column}: {message}")

    def text(self, column: str) -> str:
        return self.cells.get(column, "").strip()

    def required(self, column: str, what: str = "a value") -> str:
        value = self.text(column)
        if not value:
            raise self.error(column, f"expected {what}, got ''")
        return value

    def number(self, column: str, *, money: bool = False, grouping: bool = False) -> Decimal | None:
        """The cell as an exact ``Decimal``, or ``None`` when it is blank."""
        text = self.text(column)
        if not text:
            return None
        try:
            return number(text, money=money, grouping=grouping)
        except ValueError:
            raise self.error(column, f"expected a number, got {text!r}") from None

    def required_number(
        self, column: str, *, money: bool = False, grouping: bool = False
    ) -> Decimal:
        value = self.number(column, money=money, grouping=grouping)
        if value is None:
            raise self.error(column, "expected a number, got ''")
        return value


@dataclass(frozen=True, slots=True)
class Table:
    file: str
    header: Header
    header_line: int
    rows: list[Row]


# A plain decimal, optionally signed, optionally in exponent form (Coinbase writes tiny
# money values as 1.2E-05). No NaN or Infinity: Decimal would accept them.
_PLAIN = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
# US digit grouping done right: 1,234 or 12,345,678.90; never 1,2.5 or 150,62.
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")


def utc_time(row: Row, column: str, pattern: re.Pattern[str], expected: str) -> dt.datetime:
    """The UTC time in ``column``, matched by ``pattern`` whose groups are year, month,
    day, hour, minute, second (may be absent) and a fraction of up to six digits;
    ``expected`` says what the format looks like, for the error."""
    text = row.text(column)
    m = pattern.fullmatch(text)
    if not m:
        raise row.error(column, f"{expected}, got {text!r}")
    y, mo, d, h, mi, s, frac = m.groups()
    try:
        return dt.datetime(
            int(y),
            int(mo),
            int(d),
            int(h),
            int(mi),
            int(s or 0),
            int((frac or "0").ljust(6, "0")),
            tzinfo=dt.timezone.utc,
        )
    except ValueError:
        raise row.error(column, f"not a real date and time: {text!r}") from None


def number(text: str, *, money: bool = False, grouping: bool = False) -> Decimal:
    """Read ``text`` exactly; raise ``ValueError`` if it is not a number.

    ``money`` also accepts one ``$`` and accounting parentheses (``($1.50)`` is -1.50).
    ``grouping`` accepts US thousands separators, but only in groups of exactly three
    digits: a comma anywhere else (``1,2.5``, a decimal comma ``150,62``) is refused,
    because it cannot be told apart from another locale's number. Callers allow grouping
    only where the export's locale is known to be US (a Coinbase export priced in USD).
    """
    s = text.strip()
    negative = False
    if money:
        if s.startswith("(") and s.endswith(")"):
            negative, s = True, s[1:-1].strip()
        sign = ""
        if s[:1] in ("-", "+"):
            sign, s = s[:1], s[1:]
        if s.startswith("$"):
            s = s[1:]
        s = sign + s
    if _PLAIN.fullmatch(s):
        value = Decimal(s)
    elif (money or grouping) and _GROUPED.fullmatch(s):
        value = Decimal(s.replace(",", ""))
    else:
        raise ValueError(text)
    return -value if negative else value


def derived(compute: Callable[[], Decimal]) -> Decimal:
    """Evaluate a product or ratio of exact inputs (a fee in coin times the trade's own
    price) with 50 significant digits instead of Decimal's default 28, so that the only
    rounding is the engine's final rounding to cents."""
    with localcontext() as ctx:
        ctx.prec = 50
        return +compute()


def resolve_tz(tz: dt.tzinfo | str) -> dt.tzinfo:
    """An IANA name (``America/New_York``) or a ``tzinfo``, as a ``tzinfo``."""
    if isinstance(tz, dt.tzinfo):
        return tz
    if tz.strip().upper() in ("", "UTC", "Z"):
        return dt.timezone.utc
    try:
        return ZoneInfo(tz.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(
            f"time zone: {tz!r} is not an IANA zone name such as 'America/New_York'"
        ) from None


def _decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise InputError(
            f"{name}:{line}: not UTF-8 text (byte 0x{data[e.start]:02x}); "
            "save the export as CSV UTF-8"
        ) from None


def _records(text: str, name: str) -> Iterable[tuple[int, list[str]]]:
    """Each CSV record with the physical line it starts on. A quoted cell may span lines
    (CoinTracker's comments do), so the start line is tracked, not counted records."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    start = 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            raise InputError(f"{name}:{start} CSV: {e}") from None
        yield start, record
        start = reader.line_num + 1


def read_table(
    path: str | Path,
    formats: Sequence[ExportFormat],
) -> tuple[ExportFormat, Table]:
    """Read ``path`` and return the first format whose header it has, with its rows."""
    p = Path(path)
    name = p.name
    try:
        size = p.stat().st_size
    except FileNotFoundError:
        raise InputError(f"{name}: no such file ({p})") from None
    if size > MAX_BYTES:
        raise InputError(
            f"{name}: {size:,} bytes is over the {MAX_BYTES:,}-byte limit for one export; "
            "split it by year"
        )
    text = _decode(p.read_bytes(), name)
    records = iter(_records(text, name))
    found: ExportFormat | None = None
    header: Header = ()
    header_line = 0
    first_seen = ""
    hint: str | None = None
    for count, (line, record) in enumerate(records):
        if count >= HEADER_SEARCH_LINES:
            break
        cells = tuple(c.strip() for c in record)
        if not first_seen and any(cells):
            first_seen = ",".join(cells)
        found = next((f for f in formats if f.matches(cells)), None)
        if found is not None:
            header, header_line = cells, line
            break
        hint = hint or next((h for f in formats if (h := f.near_miss(cells))), None)
    if found is None:
        if hint:
            raise InputError(f"{name}: {hint}")
        known = ", ".join(f.title for f in formats)
        raise InputError(
            f"{name}: not a known export; looked for the header of {known} in the first "
            f"{HEADER_SEARCH_LINES} lines (line 1 begins {first_seen[:60]!r})"
        )
    width = len(header)
    named = [c for c in header if c]
    if len(set(named)) != len(named):
        dupes = sorted({c for c in named if named.count(c) > 1})
        raise InputError(f"{name}:{header_line} header: column {dupes[0]!r} appears twice")
    rows: list[Row] = []
    for line, record in records:
        if not any(c.strip() for c in record):
            continue  # blank lines between blocks carry nothing
        if len(record) > width and any(c.strip() for c in record[width:]):
            raise InputError(
                f"{name}:{line} row: {len(record)} cells, but the header on line "
                f"{header_line} has {width}"
            )
        if len(rows) >= MAX_ROWS:
            raise InputError(
                f"{name}:{line} row: over the {MAX_ROWS:,}-row limit for one export; "
                "split it by year"
            )
        rows.append(Row(name, line, dict(zip(header, record))))
    return found, Table(name, header, header_line, rows)


def number_rows(transactions: list[Transaction]) -> list[Transaction]:
    """Set ``row`` (the tie-break for equal times) to the order of events in time.

    Several exports list the newest event first (Coinbase's current report, CoinTracker).
    Their file order is then the reverse of the order in which things happened, so a buy
    and a send in the same second would be applied send-first. When the file runs
    backwards (its first event is later than its last) rows are numbered from the end;
    the list itself stays in file order.
    """
    n = len(transactions)
    backwards = n > 1 and transactions[0].time > transactions[-1].time
    return [
        dataclasses.replace(t, row=(n - i if backwards else i + 1))
        for i, t in enumerate(transactions)
    ]
