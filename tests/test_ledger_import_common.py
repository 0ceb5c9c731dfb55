"""What every importer shares: detection by header, the file limits, exact numbers, and
errors that name the file and physical line."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tlh_xl import InputError
from tlh_xl.ledger import Transaction
from tlh_xl.ledger.importers import FORMATS, _common, detect, read_transactions
from tlh_xl.ledger.importers._common import number, number_rows, resolve_tz

FIXTURES = Path(__file__).parent / "fixtures" / "exports"


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("coinbase_v4.csv", "coinbase"),
        ("coinbase_v2.csv", "coinbase"),
        ("kraken_ledgers.csv", "kraken"),
        ("kraken_ledgers_legacy.csv", "kraken"),
        ("koinly_transactions.csv", "koinly"),
        ("cointracker_transactions.csv", "cointracker"),
    ],
)
def test_detect_by_header(fixture: str, expected: str) -> None:
    assert detect(FIXTURES / fixture) == expected


def test_registry_names() -> None:
    assert sorted(FORMATS) == ["coinbase", "cointracker", "koinly", "kraken"]


def test_format_override_and_unknown_name(tmp_path: Path) -> None:
    path = FIXTURES / "kraken_ledgers.csv"
    assert read_transactions(path, format="Kraken")[0].tx_id == "TQ7VFG-5SYEU-NAZ2N4"
    with pytest.raises(InputError, match=r"^format: 'binance' is not one of coinbase, "):
        read_transactions(path, format="binance")
    # Forcing the wrong format reads no header.
    with pytest.raises(InputError, match=r"^kraken_ledgers\.csv: not a known export"):
        read_transactions(path, format="coinbase")


def test_unknown_file_names_what_was_looked_for(tmp_path: Path) -> None:
    path = write(tmp_path, "notes.csv", "Date,Amount\n2025-01-01,5\n")
    with pytest.raises(InputError) as info:
        detect(path)
    message = str(info.value)
    assert message.startswith("notes.csv: not a known export; looked for the header of ")
    assert "Coinbase transaction history" in message
    assert "line 1 begins 'Date,Amount'" in message


def test_header_must_come_within_the_search_window(tmp_path: Path) -> None:
    preamble = "note\n" * _common.HEADER_SEARCH_LINES
    header = (FIXTURES / "kraken_ledgers_legacy.csv").read_text().splitlines()[0]
    path = write(tmp_path, "late.csv", preamble + header + "\n")
    with pytest.raises(InputError, match=r"^late\.csv: not a known export"):
        detect(path)
    path = write(tmp_path, "ok.csv", "note\n" * 3 + header + "\n")
    assert detect(path) == "kraken"


def test_near_misses_say_what_to_export(tmp_path: Path) -> None:
    trades = write(
        tmp_path,
        "trades.csv",
        '"txid","ordertxid","pair","time","type","ordertype","price","cost","fee","vol",'
        '"margin","misc","ledgers"\n',
    )
    with pytest.raises(InputError, match=r"^trades\.csv: this is Kraken's trades\.csv; export"):
        detect(trades)
    bulk = write(
        tmp_path,
        "bulk.csv",
        "ID (read-only),Parent ID (read-only),Date (UTC),Type,Tag,From Wallet (read-only),"
        "From Wallet ID,From Amount,From Currency\n",
    )
    with pytest.raises(InputError, match=r"^bulk\.csv: this is Koinly's bulk-edit export"):
        detect(bulk)


def test_missing_file() -> None:
    with pytest.raises(InputError, match=r"^absent\.csv: no such file"):
        detect(Path("/nonexistent/absent.csv"))


def test_size_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_common, "MAX_BYTES", 100)
    path = write(tmp_path, "big.csv", "x" * 101)
    with pytest.raises(InputError, match=r"^big\.csv: 101 bytes is over the 100-byte limit"):
        detect(path)


def test_row_limit_names_the_first_row_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_common, "MAX_ROWS", 2)
    lines = (FIXTURES / "kraken_ledgers_legacy.csv").read_text().splitlines()
    path = write(tmp_path, "ledgers.csv", "\n".join(lines) + "\n")
    with pytest.raises(InputError, match=r"^ledgers\.csv:4 row: over the 2-row limit"):
        read_transactions(path)


def test_byte_order_mark_and_crlf_are_fine(tmp_path: Path) -> None:
    text = (FIXTURES / "kraken_ledgers_legacy.csv").read_text().replace("\n", "\r\n")
    path = write(tmp_path, "ledgers.csv", "\ufeff" + text)
    txs = read_transactions(path)
    assert [t.place for t in txs] == ["ledgers.csv:3", "ledgers.csv:5"]


def test_bad_bytes_name_their_line(tmp_path: Path) -> None:
    lines = (FIXTURES / "kraken_ledgers_legacy.csv").read_bytes().split(b"\n")
    lines[2] = lines[2].replace(b"trade", b"tr\xffde")
    path = tmp_path / "ledgers.csv"
    path.write_bytes(b"\n".join(lines))
    with pytest.raises(InputError, match=r"^ledgers\.csv:3: not UTF-8 text \(byte 0xff\)"):
        read_transactions(path)


def test_broken_quoting_names_its_line(tmp_path: Path) -> None:
    header = (FIXTURES / "kraken_ledgers_legacy.csv").read_text().splitlines()[0]
    path = write(tmp_path, "ledgers.csv", header + '\n"L1","R1"x,"2025-01-01 00:00:00"\n')
    with pytest.raises(InputError, match=r"^ledgers\.csv:2 CSV: "):
        read_transactions(path)


def test_row_wider_than_header(tmp_path: Path) -> None:
    lines = (FIXTURES / "kraken_ledgers_legacy.csv").read_text().splitlines()
    lines[2] += ',"surplus"'
    path = write(tmp_path, "ledgers.csv", "\n".join(lines) + "\n")
    with pytest.raises(
        InputError, match=r"^ledgers\.csv:3 row: 12 cells, but the header on line 1"
    ):
        read_transactions(path)


def test_duplicate_header_column(tmp_path: Path) -> None:
    header = (FIXTURES / "kraken_ledgers_legacy.csv").read_text().splitlines()[0]
    path = write(tmp_path, "ledgers.csv", "preamble\n" + header + ',"fee"\n')
    with pytest.raises(InputError, match=r"^ledgers\.csv:2 header: column 'fee' appears twice"):
        read_transactions(path)


@pytest.mark.parametrize(
    ("text", "kwargs", "expected"),
    [
        ("0.0105263158", {}, Decimal("0.0105263158")),
        ("-10.4166666600", {}, Decimal("-10.4166666600")),
        ("+.5", {}, Decimal("0.5")),
        ("1.2E-05", {}, Decimal("0.000012")),
        ("$3.7206", {"money": True}, Decimal("3.7206")),
        ("-$1,500.00", {"money": True}, Decimal("-1500.00")),
        ("$-2.00", {"money": True}, Decimal("-2.00")),
        ("($0.50)", {"money": True}, Decimal("-0.50")),
        ("$105,000.00", {"money": True}, Decimal("105000.00")),
        ("1,480.25", {"grouping": True}, Decimal("1480.25")),
        ("12,345,678", {"grouping": True}, Decimal("12345678")),
    ],
)
def test_numbers_are_exact(text: str, kwargs: dict[str, bool], expected: Decimal) -> None:
    value = number(text, **kwargs)
    assert value == expected
    assert str(value) == str(expected)  # no float on the way: digits kept as written


@pytest.mark.parametrize(
    ("text", "kwargs"),
    [
        ("1,2.5", {"grouping": True}),  # a comma that groups nothing
        ("150,62", {"grouping": True}),  # a decimal comma
        ("1.234,56", {"grouping": True}),  # European grouping
        ("1,234.5", {}),  # grouping where the locale is not known to be US
        ("1,0000", {"money": True}),
        ("NaN", {}),
        ("Infinity", {}),
        ("€5.00", {"money": True}),
        ("$$5", {"money": True}),
        ("5 BTC", {}),
        ("", {}),
    ],
)
def test_ambiguous_or_bad_numbers_are_refused(text: str, kwargs: dict[str, bool]) -> None:
    with pytest.raises(ValueError):
        number(text, **kwargs)


def test_resolve_tz() -> None:
    assert resolve_tz("UTC") is dt.timezone.utc
    assert resolve_tz("America/New_York") == ZoneInfo("America/New_York")
    assert resolve_tz(dt.timezone.utc) is dt.timezone.utc
    with pytest.raises(InputError, match=re.escape("time zone: 'Mars/Olympus' is not an IANA")):
        resolve_tz("Mars/Olympus")


def _tx(hour: int) -> Transaction:
    return Transaction(
        tx_id=str(hour),
        time=dt.datetime(2025, 1, 1, hour, tzinfo=dt.timezone.utc),
        type="Income",
        wallet="W",
    )


def test_rows_follow_time_even_in_newest_first_files() -> None:
    forward = number_rows([_tx(1), _tx(2), _tx(2), _tx(3)])
    assert [t.row for t in forward] == [1, 2, 3, 4]
    backward = number_rows([_tx(3), _tx(2), _tx(2), _tx(1)])
    # File order is kept; rows count from the bottom, so of two events in the same second
    # the one lower in a newest-first file (the earlier) comes first.
    assert [t.tx_id for t in backward] == ["3", "2", "2", "1"]
    assert [t.row for t in backward] == [4, 3, 2, 1]
