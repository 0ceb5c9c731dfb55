"""tlh-xl's own transaction format: the CSV reader and the rows reader (a workbook
table's rows with a place-naming callback). Every error is one line naming the place and
the column."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest

from tlh_xl.errors import InputError
from tlh_xl.ledger import (
    TRANSACTION_COLUMNS,
    LotPick,
    build_ledger,
    parse_transaction_rows,
    read_transactions_csv,
)
from tlh_xl.ledger.own_format import parse_number

HEADER = ",".join(TRANSACTION_COLUMNS)
GOOD = f"""{HEADER}
B1,2024-01-05T10:00:00Z,Buy,Coinbase,,USD,,BTC,0.5,USD,,20000,12.5,,first
B2,2024-02-05,buy,Coinbase,,,,BTC,0.25,,,11000,,,bare date: midnight in the zone
T1,2024-03-05T09:30:00-05:00,Transfer,Coinbase,Ledger,BTC,0.1,,,BTC,0.0001,,6.1,,
S1,2025-04-05T10:00:00+02:00,Sell,Ledger,,BTC,0.05,USD,,,,4000,4,B2:0.05,
G1,2025-05-01 08:00,Gift Out,Coinbase,,BTC,0.01,,,,,900,,,
"""


def write(tmp_path: Path, text: str, name: str = "transactions.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_file(tmp_path: Path) -> None:
    txs = read_transactions_csv(write(tmp_path, GOOD), "America/New_York")
    assert [t.tx_id for t in txs] == ["B1", "B2", "T1", "S1", "G1"]
    b1, b2, t1, s1, g1 = txs
    assert b1.time == dt.datetime(2024, 1, 5, 10, tzinfo=dt.timezone.utc)
    assert b1.received_asset == "BTC" and b1.received_quantity == Decimal("0.5")
    assert b1.value_usd == Decimal("20000") and b1.fee_usd == Decimal("12.5")
    assert b1.notes == "first" and b1.place == "transactions.csv:2" and b1.row == 0
    # A bare date and a time without offset are in the user's zone (here New York).
    assert b2.type == "Buy" and b2.time.utcoffset() == dt.timedelta(hours=-5)
    assert (b2.time.hour, b2.time.minute) == (0, 0)
    assert g1.time.utcoffset() == dt.timedelta(hours=-4)  # May: daylight saving time
    assert t1.to_wallet == "Ledger" and t1.fee_quantity == Decimal("0.0001")
    assert s1.lots == (LotPick("B2", Decimal("0.05")),)
    # The engine takes them as they are. At the start of 2025 Coinbase holds 0.6499 BTC
    # and Ledger 0.1: FIFO gives Coinbase B1's 0.4999 and 0.15 of B2 (B2#2), Ledger the
    # last 0.1 of B2, from which S1 sells 0.05 by name.
    ledger = build_ledger(txs)
    assert [(d.tx_id, d.lot_id) for d in ledger.disposals] == [("T1", "B1"), ("S1", "B2")]


def test_headers_ignore_case_and_spaces_and_unknown_columns(tmp_path: Path) -> None:
    text = "my notes,TXID, time ,TYPE,wallet,received asset,ReceivedQuantity,value usd\n"
    text += "x,B1,2024-01-05,Buy,W,BTC,1,100\n"
    (t,) = read_transactions_csv(write(tmp_path, text))
    assert (t.tx_id, t.received_quantity, t.value_usd) == ("B1", Decimal(1), Decimal(100))


def test_a_bom_and_blank_lines_are_fine(tmp_path: Path) -> None:
    text = "\ufeff\n" + HEADER + "\n\n,,,,\nB1,2024-01-05,Buy,W,,,,BTC,1,,,100,,,\n"
    (t,) = read_transactions_csv(write(tmp_path, text))
    assert t.place == "transactions.csv:5"


def one_row(**cells: str) -> str:
    values = {"Tx ID": "B1", "Time": "2024-01-05", "Type": "Buy", "Wallet": "W"} | cells
    return HEADER + "\n" + ",".join(values.get(c, "") for c in TRANSACTION_COLUMNS) + "\n"


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        (
            {"Sent Quantity": '"1,2.5"'},
            "transactions.csv:2 Sent Quantity: expected a number, got '1,2.5'",
        ),
        ({"Value USD": "$5"}, "transactions.csv:2 Value USD: expected a number, got '$5'"),
        ({"Fee USD": "1_000"}, "transactions.csv:2 Fee USD: expected a number, got '1_000'"),
        (
            {"Received Quantity": "NaN"},
            "transactions.csv:2 Received Quantity: expected a number, got 'NaN'",
        ),
        (
            {"Received Quantity": "-1"},
            "transactions.csv:2 Received Quantity: must not be negative, got '-1' "
            "(the Type says which way)",
        ),
        (
            {"Received Quantity": "0"},
            "transactions.csv:2 Received Quantity: must be greater than 0, got '0'",
        ),
        (
            {"Type": "Swap"},
            "transactions.csv:2 Type: unknown type 'Swap' (expected one of Buy, Sell, Trade, "
            "Transfer, Income, Spend, Gift Out, Gift In, Fee, Lost)",
        ),
        (
            {"Time": "05/01/2024"},
            "transactions.csv:2 Time: expected an ISO 8601 date-time such as "
            "2025-03-01T14:30:00Z, got '05/01/2024'",
        ),
        ({"Time": ""}, "transactions.csv:2 Time: empty"),
        ({"Tx ID": ""}, "transactions.csv:2 Tx ID: empty (every row needs its own Tx ID)"),
        ({"Wallet": " "}, "transactions.csv:2 Wallet: empty"),
        (
            {"Lots": "L1:0"},
            "transactions.csv:2 Lots: the quantity of lot L1 must be greater than 0",
        ),
        (
            {"Lots": "L1;;L2"},
            "transactions.csv:2 Lots: empty entry in 'L1;;L2' (write L12:0.5; L13)",
        ),
    ],
)
def test_bad_cells(tmp_path: Path, cells: dict[str, str], message: str) -> None:
    with pytest.raises(InputError, match="^" + re.escape(message) + "$"):
        read_transactions_csv(write(tmp_path, one_row(**cells)))


def test_the_error_names_the_line(tmp_path: Path) -> None:
    """The brief's example: line 7, an unquoted thousands comma is a cell too many, a
    quoted one is a bad number."""
    rows = [f"B{i},2024-01-0{i},Buy,W,,,,BTC,1,,,100,,," for i in range(1, 6)]
    text = HEADER + "\n" + "\n".join(rows) + '\nS1,2024-02-01,Sell,W,,BTC,"1,2.5",,,,,5,,,\n'
    with pytest.raises(
        InputError, match=r"^transactions.csv:7 Sent Quantity: expected a number, got '1,2.5'$"
    ):
        read_transactions_csv(write(tmp_path, text))
    text = text.replace('"1,2.5"', "1,2.5")
    with pytest.raises(InputError, match=r"^transactions.csv:7: 16 cells but the header has 15"):
        read_transactions_csv(write(tmp_path, text))


def test_numbers_are_read_exactly() -> None:
    assert parse_number("0.000000000000000001", "x") == Decimal("1E-18")
    assert parse_number("1.5e3", "x") == Decimal(1500)
    assert parse_number(" 12.50 ", "x") == Decimal("12.50")
    assert parse_number(7, "x") == Decimal(7)
    # A workbook's float is read at Excel's 15 significant digits: 0.1 + 0.2 shows as 0.3.
    assert parse_number(0.1 + 0.2, "x") == Decimal("0.3")
    for bad in ("1,000", "１２", "0x10", "", True, float("inf")):
        with pytest.raises(InputError, match=r"^x: "):
            parse_number(bad, "x")


def test_duplicate_and_missing_headers(tmp_path: Path) -> None:
    text = "Tx ID,Time,Type,Wallet,tx id\nB1,2024-01-05,Buy,W,B2\n"
    with pytest.raises(
        InputError,
        match=r"^transactions.csv:1: column 'Tx ID' appears twice \(columns 1 and 5\)$",
    ):
        read_transactions_csv(write(tmp_path, text))
    with pytest.raises(InputError, match=r"^transactions.csv:1: missing column 'Wallet' \(found"):
        read_transactions_csv(write(tmp_path, "Tx ID,Time,Type\nB1,2024-01-05,Buy\n"))
    with pytest.raises(InputError, match=r"^transactions.csv:1: empty file"):
        read_transactions_csv(write(tmp_path, "\n\n"))
    with pytest.raises(InputError, match=r"nope.csv: no such file$"):
        read_transactions_csv(tmp_path / "nope.csv")


def test_duplicate_tx_ids(tmp_path: Path) -> None:
    text = HEADER + "\nB1,2024-01-05,Buy,W,,,,BTC,1,,,1,,,\nB1,2024-01-06,Buy,W,,,,BTC,1,,,1,,,\n"
    with pytest.raises(
        InputError,
        match=r"^transactions.csv:3 Tx ID: 'B1' is also the Tx ID of transactions.csv:2$",
    ):
        read_transactions_csv(write(tmp_path, text))


def test_daylight_saving_gaps_and_overlaps_are_refused(tmp_path: Path) -> None:
    """2025-03-09 02:30 does not exist in New York; 2025-11-02 01:30 happens twice."""
    for time, what in (
        ("2025-03-09T02:30", "does not exist"),
        ("2025-11-02T01:30", "is ambiguous"),
    ):
        with pytest.raises(
            InputError, match=f"^transactions.csv:2 Time: '{time}' {what} in America/New_York"
        ):
            read_transactions_csv(write(tmp_path, one_row(Time=time)), "America/New_York")
    (ok,) = read_transactions_csv(
        write(tmp_path, one_row(Time="2025-11-02T01:30-04:00")), "America/New_York"
    )
    assert ok.time.utcoffset() == dt.timedelta(hours=-4)


def test_the_row_limit(tmp_path: Path) -> None:
    rows = "".join(f"B{i},2024-01-05,Buy,W,,,,BTC,1,,,1,,,\n" for i in range(4))
    path = write(tmp_path, HEADER + "\n" + rows)
    assert len(read_transactions_csv(path, max_rows=4)) == 4
    with pytest.raises(InputError, match=r"^transactions.csv: more than 3 rows; split the ledger"):
        read_transactions_csv(path, max_rows=3)


def test_rows_from_a_workbook_table() -> None:
    """Values as openpyxl gives them (datetimes without zone, floats, ints), and a place
    callback that names cells: ``Transactions!G3 Sent Quantity``."""
    letters = {c: chr(ord("A") + i) for i, c in enumerate(TRANSACTION_COLUMNS)}

    def place(i: int, column: str) -> str:
        return f"Transactions!{letters.get(column, 'A')}{i + 2}"

    rows = [
        {
            "tx id": 7.0,
            "Time": dt.datetime(2024, 1, 5, 9),
            "Type": "Buy",
            "Wallet": "W",
            "Received Asset": "ETH",
            "Received Quantity": 1.5,
            "Value USD": 3000,
            "Extra": "x",
        },
        {
            "tx id": None,
            "Time": None,
            "Type": None,
            "Wallet": None,
            "Received Asset": None,
            "Received Quantity": None,
            "Value USD": None,
            "Extra": None,
        },
        {
            "tx id": "S1",
            "Time": dt.date(2024, 2, 1),
            "Type": "Sell",
            "Wallet": "W",
            "Received Asset": None,
            "Received Quantity": None,
            "Value USD": 10,
            "Extra": None,
        },
    ]
    first, second = parse_transaction_rows(rows[:2] + rows[2:], place, "Europe/Paris")
    assert first.tx_id == "7" and first.received_quantity == Decimal("1.5")
    assert first.time.utcoffset() == dt.timedelta(hours=1) and first.place == "Transactions!A2"
    assert second.place == "Transactions!A4" and second.row == 2
    rows[2]["Value USD"] = "ten"
    with pytest.raises(
        InputError, match=r"^Transactions!L4 Value USD: expected a number, got 'ten'$"
    ):
        parse_transaction_rows(rows, place)
    with pytest.raises(InputError, match=r"^Transactions row 4 Value USD: expected a number"):
        parse_transaction_rows(rows)
    rows[2]["Value USD"] = 10
    rows[0]["Received Quantity"] = 0.0  # a zero from a cell is refused, not taken as blank
    with pytest.raises(InputError, match=r"^Transactions!I2 Received Quantity: must be greater"):
        parse_transaction_rows(rows, place)
    dup = [{"Tx ID": "A", "TxID": "B", "Time": "2024-01-01", "Type": "Buy", "Wallet": "W"}]
    with pytest.raises(InputError, match=r"^Transactions header: column 'Tx ID' appears twice"):
        parse_transaction_rows(dup)
