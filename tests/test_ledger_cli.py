"""`tlh-xl ledger`: from a transaction export to open lots, this year's gains and a
workbook that `tlh-xl fill` plans, as a user runs it.

The ledger below is worked by hand (per wallet from 2025, pooled before, FIFO):

* B1 2024-01-10 buys 1 BTC at Coinbase for $40,000 + $100 fee: basis $40,100.
* B2 2024-06-10 buys 1 BTC at Coinbase for $60,000: basis $60,000.
* T1 2024-09-01 moves 1 BTC from Coinbase to Ledger. Before 2025 the lots are pooled;
  on 2025-01-01 they are allocated to the wallets that hold the units, oldest lot to the
  first wallet by name: B1 to Coinbase, B2 to Ledger (Rev. Proc. 2024-28).
* S1 2025-03-01 sells 0.5 BTC from Ledger for $45,000 − $45 fee = $44,955, basis half
  of B2 = $30,000: a short-term gain of $14,955.00 (held since 2024-06-10).
* S2 2025-11-15 sells 0.25 BTC from Coinbase for $25,000 − $25 = $24,975, basis a
  quarter of B1 = $10,025: a long-term gain of $14,950.00 (held since 2024-01-10).
* I1 2025-05-01 receives 0.1 ETH of staking income worth $300: ordinary income, and a
  lot with a $300 basis. Its Tx ID starts with "=": it must stay text in every output.

Open after all of it: 0.75 BTC at Coinbase (basis $30,075), 0.5 BTC at Ledger
($30,000), 0.1 ETH at Coinbase ($300).
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from tlh_xl.cli import main
from tlh_xl.cli.ledger_cmd import METHOD_NAMES, safe_cell
from tlh_xl.ledger.methods import METHODS
from tlh_xl.ledger.own_format import TRANSACTION_COLUMNS

ROWS = [
    "B1,2024-01-10T12:00:00Z,Buy,Coinbase,,USD,,BTC,1,USD,,40000,100,,",
    "B2,2024-06-10T12:00:00Z,Buy,Coinbase,,USD,,BTC,1,,,60000,,,",
    "T1,2024-09-01T12:00:00Z,Transfer,Coinbase,Ledger,BTC,1,,,,,,,,",
    "S1,2025-03-01T12:00:00Z,Sell,Ledger,,BTC,0.5,USD,,USD,,45000,45,,",
    '"=SUM(1)",2025-05-01T12:00:00Z,Income,Coinbase,,,,ETH,0.1,,,300,,,staking',
    "S2,2025-11-15T12:00:00Z,Sell,Coinbase,,BTC,0.25,USD,,USD,,25000,25,,",
]


@pytest.fixture
def ledger_file(tmp_path: Path) -> Path:
    path = tmp_path / "transactions.csv"
    path.write_text("\n".join([",".join(TRANSACTION_COLUMNS), *ROWS]) + "\n", encoding="utf-8")
    return path


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_the_ledger_gives_the_hand_worked_lots_and_gains(
    ledger_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lots, realized = tmp_path / "lots.csv", tmp_path / "realized.csv"
    args = ["ledger", str(ledger_file), "--year", "2025"]
    assert main([*args, "--lots-out", str(lots), "--realized-out", str(realized)]) == 0
    out = capsys.readouterr().out
    assert "6 transactions (tlh-xl)" in out
    assert "$14,955.00" in out and "$14,950.00" in out and "$300.00" in out
    open_lots = {(r["Wallet"], r["Asset"]): r for r in _csv(lots)}
    assert set(open_lots) == {("Coinbase", "BTC"), ("Ledger", "BTC"), ("Coinbase", "ETH")}
    assert Decimal(open_lots["Coinbase", "BTC"]["Quantity"]) == Decimal("0.75")
    assert Decimal(open_lots["Coinbase", "BTC"]["Cost Basis"]) == Decimal("30075.00")
    assert Decimal(open_lots["Ledger", "BTC"]["Cost Basis"]) == Decimal("30000.00")
    eth = open_lots["Coinbase", "ETH"]
    assert Decimal(eth["Cost Basis"]) == Decimal("300")
    assert eth["Tx ID"] == "'=SUM(1)"  # text, never a formula in a spreadsheet
    sales = {r["Tx ID"]: r for r in _csv(realized)}
    assert set(sales) == {"S1", "S2"}
    assert (sales["S1"]["Term"], Decimal(sales["S1"]["Gain/Loss"])) == ("Short-term", 14955)
    assert (sales["S2"]["Term"], Decimal(sales["S2"]["Gain/Loss"])) == ("Long-term", 14950)
    assert Decimal(sales["S1"]["Proceeds"]) == Decimal("44955")  # net of the $45 fee


def test_from_the_ledger_to_a_filled_plan(
    ledger_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The README's walk: `ledger -o`, fill in income and prices, `fill`."""
    book = tmp_path / "my-harvest.xlsx"
    assert main(["ledger", str(ledger_file), "--year", "2025", "-o", str(book)]) == 0
    wb = openpyxl.load_workbook(book)
    names = {n: wb.defined_names[n].destinations for n in ("RealizedShortTerm", "TaxYear")}
    ((sheet, coord),) = names["RealizedShortTerm"]
    assert Decimal(str(wb[sheet][coord.replace("$", "")].value)) == Decimal("14955.00")
    realized = wb["Realized"]
    assert [c.value for c in realized[1]][:3] == ["Lot ID", "Asset", "Asset Class"]
    assert realized.max_row == 3  # a header and two sales
    lots = wb["Lots"]
    tx_ids = [row[7].value for row in lots.iter_rows(min_row=2) if row[0].value]
    assert "=SUM(1)" in tx_ids
    cell = next(row[7] for row in lots.iter_rows(min_row=2) if row[7].value == "=SUM(1)")
    assert cell.data_type == "s"  # stored as text, not as a formula
    # The user fills in income, the sale date and prices, then plans.
    for name, value in {"OrdinaryIncome": 150_000, "AsOfDate": None}.items():
        ((sheet, coord),) = wb.defined_names[name].destinations
        wb[sheet][coord.replace("$", "")].value = value
    from tlh_xl.workbook.sheets import build_prices

    index = wb.sheetnames.index("Prices")
    wb.remove(wb["Prices"])
    build_prices(
        wb.create_sheet("Prices", index),
        [{"asset": "BTC", "price": Decimal(50_000)}, {"asset": "ETH", "price": Decimal(3_000)}],
    )
    wb.save(book)
    capsys.readouterr()
    assert main(["fill", str(book), "--as-of", "2025-12-01", "-o", str(tmp_path / "out.xlsx")]) == 0
    out = capsys.readouterr().out
    # B2's half at Ledger: 0.5 BTC worth $25,000 against $30,000 of basis, sold at a loss
    # that offsets the year's short-term gain.
    assert "Ledger" in out and "-$5,125.00" in out


def test_bad_input_is_one_line_naming_the_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "transactions.csv"
    oversell = "S9,2025-03-01T12:00:00Z,Sell,Ledger,,BTC,5,USD,,,,45000,,,"
    path.write_text("\n".join([",".join(TRANSACTION_COLUMNS), ROWS[0], oversell]) + "\n")
    assert main(["ledger", str(path), "--year", "2025"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "transactions.csv:3" in err[0] and "short by" in err[0]
    assert main(["ledger", str(tmp_path / "missing.csv")]) == 2


def test_outputs_never_overwrite_an_input(ledger_file: Path) -> None:
    assert main(["ledger", str(ledger_file), "--lots-out", str(ledger_file)]) == 2


def test_text_that_looks_like_a_formula_is_marked_as_text() -> None:
    assert [safe_cell(v) for v in ("=1+1", "+A1", "-2x", "@SUM", "BTC", Decimal("-5.50"))] == [
        "'=1+1",
        "'+A1",
        "'-2x",
        "'@SUM",
        "BTC",
        "-5.50",
    ]
    assert METHOD_NAMES == METHODS


def test_each_export_is_told_apart_by_its_header(ledger_file: Path) -> None:
    from tlh_xl.cli.ledger_cmd import _is_own_format

    fixtures = Path(__file__).parent / "fixtures" / "exports"
    assert _is_own_format(ledger_file)
    for export in sorted(fixtures.glob("*.csv")):  # Kraken's has txid, time, type, wallet
        assert not _is_own_format(export), export.name


def _template_with_transactions(tmp_path: Path, rows: list[str]) -> Path:
    from tlh_xl.workbook.contract import TRANSACTION_TABLE_COLUMNS
    from tlh_xl.workbook.sheets import build_transactions
    from tlh_xl.workbook.template import template_path

    wb = openpyxl.load_workbook(template_path())
    records = []
    for line in csv.reader(rows):
        cells = dict(zip([c.field for c in TRANSACTION_TABLE_COLUMNS], line))
        records.append({k: (v if v != "" else None) for k, v in cells.items()})
    index = wb.sheetnames.index("Transactions")
    wb.remove(wb["Transactions"])
    build_transactions(wb.create_sheet("Transactions", index), records)
    path = tmp_path / "book.xlsx"
    wb.save(path)
    return path


def test_a_workbooks_transactions_table_is_a_ledger(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The template's Transactions sheet, read by `tlh-xl ledger book.xlsx` (the same
    hand-worked ledger as above, typed as text, as a user pastes it)."""
    book = _template_with_transactions(tmp_path, ROWS)
    lots = tmp_path / "lots.csv"
    assert main(["ledger", str(book), "--year", "2025", "--lots-out", str(lots)]) == 0
    assert "$14,955.00" in capsys.readouterr().out
    assert len(_csv(lots)) == 3
    bad = _template_with_transactions(tmp_path, [ROWS[0], ROWS[3].replace(",0.5,", ",5,")])
    assert main(["ledger", str(bad), "--year", "2025"]) == 2
    err = capsys.readouterr().err
    assert "Transactions!A3" in err and "short by" in err


def test_the_template_transactions_columns_are_the_ledgers() -> None:
    from tlh_xl.workbook.contract import TRANSACTION_TABLE_COLUMNS

    assert tuple(c.header for c in TRANSACTION_TABLE_COLUMNS) == TRANSACTION_COLUMNS
