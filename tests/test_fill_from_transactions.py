"""``tlh-xl fill`` on a workbook whose Lots table is empty and whose Transactions table is
not: the lots and the year's realized figures come from the ledger.

The workbooks are the template with transactions typed into its Transactions table (the
bundled ledger sample, or a few rows written here), the way a user fills it in. Each
figure is worked by hand in the test's docstring, or checked against the ledger and the
planner run directly on the same data.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from tlh_xl import load_rules, plan_harvest
from tlh_xl.cli import main
from tlh_xl.harvest.inputs import Profile
from tlh_xl.ledger import LedgerSettings, build_ledger, parse_standing_order
from tlh_xl.ledger.own_format import read_transactions_csv
from tlh_xl.workbook import fill as fill_module
from tlh_xl.workbook.contract import (
    LOT_COLUMNS,
    TRANSACTION_TABLE_COLUMNS,
    TRANSACTIONS,
    WALLET_COLUMNS,
    WALLETS,
)
from tlh_xl.workbook.fill import fill_workbook
from tlh_xl.workbook.ledger_book import lot_rows
from tlh_xl.workbook.sample import SAMPLES, build_ledger_sample_workbook
from tlh_xl.workbook.sheets import build_transactions, build_wallets

HEADERS = [c.header for c in TRANSACTION_TABLE_COLUMNS]


def _named(wb: Any, name: str) -> Any:
    ((sheet, coord),) = wb.defined_names[name].destinations
    return wb[sheet][coord.replace("$", "")]


def _book(
    path: Path,
    transactions: Sequence[dict[str, Any]] | None = None,
    profile: dict[str, Any] | None = None,
    wallets: Sequence[dict[str, Any]] | None = None,
) -> Path:
    """The ledger sample, with its Transactions, Wallets or Profile cells replaced."""
    build_ledger_sample_workbook(path)
    wb = openpyxl.load_workbook(path)
    for title, builder, columns, rows in (
        (TRANSACTIONS, build_transactions, TRANSACTION_TABLE_COLUMNS, transactions),
        (WALLETS, build_wallets, WALLET_COLUMNS, wallets),
    ):
        if rows is None:
            continue
        index = wb.sheetnames.index(title)
        wb.remove(wb[title])
        by_header = {c.header: c.field for c in columns}
        builder(
            wb.create_sheet(title, index), [{by_header[k]: v for k, v in r.items()} for r in rows]
        )
    for name, value in (profile or {}).items():
        _named(wb, name).value = value
    wb.save(path)
    return path


def _tx(tx_id: str, time: str, kind: str, wallet: str, **columns: Any) -> dict[str, Any]:
    """A row by header; ``Sent_Quantity=1`` is the column ``Sent Quantity``."""
    row = {"Tx ID": tx_id, "Time": time, "Type": kind, "Wallet": wallet}
    row.update({k.replace("_", " "): v for k, v in columns.items()})
    return row


def _buy(tx_id: str, time: str, usd: int) -> dict[str, Any]:
    return _tx(
        tx_id, time, "Buy", "Coinbase", Received_Asset="ETH", Received_Quantity=1, Value_USD=usd
    )


# --- the sample, end to end ----------------------------------------------------------------


def test_the_plan_is_the_planner_run_on_the_ledgers_lots_and_realized(tmp_path: Path) -> None:
    """The fill's plan equals plan_harvest run by hand on the ledger's open lots with the
    ledger's 2026 totals as the Profile's realized figures; the output lists the year's
    disposals on Realized and says on Summary where the inputs came from."""
    source = _book(tmp_path / "in.xlsx")
    before = hashlib.sha256(source.read_bytes()).hexdigest()
    result = fill_workbook(source, tmp_path / "out.xlsx", progress=False)
    assert hashlib.sha256(source.read_bytes()).hexdigest() == before
    assert result.from_transactions
    assert result.read.startswith("9 transactions from Transactions (7 open lots")

    zone = "America/New_York"
    ledger = build_ledger(
        read_transactions_csv(SAMPLES / "sample_transactions.csv", zone),
        LedgerSettings(time_zone=zone, wallets=("Ledger", "Coinbase", "Kraken")),
    )
    totals = ledger.realized_totals(2026)
    wb = openpyxl.load_workbook(source)
    typed = {
        f: _named(wb, n).value
        for f, n in (
            ("tax_year", "TaxYear"),
            ("filing_status", "FilingStatus"),
            ("ordinary_income", "OrdinaryIncome"),
            ("qualified_dividends", "QualifiedDividends"),
            ("carryforward_long_term", "CarryforwardLongTerm"),
            ("as_of_date", "AsOfDate"),
            ("fee_rate", "FeeRate"),
            ("min_benefit", "MinBenefit"),
            ("rebuy", "Rebuy"),
        )
    }
    typed["as_of_date"] = typed["as_of_date"].date()
    prices = [(r[0].value, r[1].value) for r in wb["Prices"].iter_rows(min_row=2) if r[0].value]
    by_hand = plan_harvest(
        load_rules(2026),
        Profile(**typed, realized_short_term=totals["short"], realized_long_term=totals["long"]),
        [{c.field: r.get(c.field) for c in LOT_COLUMNS} for r in lot_rows(ledger)],
        prices,
    )
    plan = result.plan
    assert [(s.lot_id, s.gain_loss) for s in plan.sale_records] == [
        (s.lot_id, s.gain_loss) for s in by_hand.sale_records
    ]
    assert plan.summary.tax_saved == by_hand.summary.tax_saved
    assert plan.summary.tax_with_harvest == by_hand.summary.tax_with_harvest

    out = openpyxl.load_workbook(tmp_path / "out.xlsx")
    assert out.sheetnames.index("Realized") == out.sheetnames.index("Positions") - 1
    realized = [r for r in out["Realized"].iter_rows(min_row=2, values_only=True) if r[0]]
    assert len(realized) == len(ledger.realized(2026)) == 3
    assert "Transactions (9 rows; 7 open lots on 2026-12-01" in _named(out, "LotsFrom").value
    assert _named(out, "RealizedFrom").value == (
        "Transactions (3 disposals in 2026: short-term $0.00, long-term $11,263.33)"
    )
    assert _named(out, "TimeZoneUsed").value == "America/New_York"
    positions = {r[0] for r in out["Positions"].iter_rows(min_row=2, values_only=True) if r[0]}
    assert positions == {lot.lot_id for lot in ledger.lots.records()}


def test_the_fast_and_the_plain_reading_give_the_same_plan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = _book(tmp_path / "in.xlsx")
    fast = fill_workbook(source, tmp_path / "fast.xlsx", progress=False).plan
    monkeypatch.setattr(fill_module, "open_fast", lambda _path: None)
    plain = fill_workbook(source, tmp_path / "plain.xlsx", progress=False).plan
    assert plain.sale_records == fast.sale_records
    assert vars(plain.summary) == vars(fast.summary)


def test_lots_in_the_lots_table_win_and_the_transactions_are_not_read(tmp_path: Path) -> None:
    """A Lots table with rows is what the user means: the Transactions are not used (even
    a broken row there), and Summary says the lots came from Lots."""
    from tlh_xl.workbook.sample import build_sample_workbook

    source = tmp_path / "in.xlsx"
    build_sample_workbook(source)
    wb = openpyxl.load_workbook(source)
    index = wb.sheetnames.index(TRANSACTIONS)
    wb.remove(wb[TRANSACTIONS])
    build_transactions(
        wb.create_sheet(TRANSACTIONS, index), [{"tx_id": "X", "time": "junk", "type": "Buy"}]
    )
    wb.save(source)
    result = fill_workbook(source, tmp_path / "out.xlsx", progress=False)
    assert not result.from_transactions
    assert result.plan.summary.lots_from == "Lots (40 lots)"
    assert result.plan.summary.realized_from == "Profile"
    assert "Realized" not in openpyxl.load_workbook(tmp_path / "out.xlsx").sheetnames


# --- the Profile's figures, the time zone and the method ------------------------------------

BUYS = [_buy("B1", "2024-02-01T15:00:00Z", 2000), _buy("B2", "2025-06-01T15:00:00Z", 3000)]


def _sale(time: str, wallet: str = "Coinbase", quantity: Any = 1) -> dict[str, Any]:
    return _tx("S1", time, "Sell", wallet, Sent_Asset="ETH", Sent_Quantity=quantity, Value_USD=2500)


def test_a_sale_belongs_to_the_tax_year_of_its_date_in_the_users_time_zone(
    tmp_path: Path,
) -> None:
    """A sale at 2026-01-01T03:30Z is 2025-12-31 22:30 in New York: a 2025 sale for a New
    Yorker, so nothing is realized in 2026; with TimeZone blank (UTC) it is a 2026 sale.
    FIFO sells B1 (basis $2,000, held since 2024-02-01: long-term): $2,500 − $2,000 =
    $500 long-term."""
    rows = [*BUYS, _sale("2026-01-01T03:30:00Z")]
    ny = fill_workbook(_book(tmp_path / "ny.xlsx", rows), tmp_path / "o1.xlsx", progress=False)
    assert ny.plan.summary.realized_from.startswith("Transactions (0 disposals in 2026")
    utc = fill_workbook(
        _book(tmp_path / "utc.xlsx", rows, {"TimeZone": None}),
        tmp_path / "o2.xlsx",
        progress=False,
    )
    assert utc.plan.summary.realized_from == (
        "Transactions (1 disposal in 2026: short-term $0.00, long-term $500.00)"
    )
    assert utc.plan.summary.time_zone_used == "UTC (Profile TimeZone is blank)"
    assert utc.plan.profile.realized_long_term == Decimal("500.00")


def test_lot_method_hifo_and_a_standing_order(tmp_path: Path) -> None:
    """HIFO sells B2 (basis $3,000, bought 2025-06-01, held under a year on 2026-03-01):
    $2,500 − $3,000 = −$500 short-term. A standing order '2020: HIFO; 2026: FIFO' puts
    FIFO in force in 2026: B1, $500 long-term, as without one."""
    rows = [*BUYS, _sale("2026-03-01T15:00:00Z")]
    hifo = fill_workbook(
        _book(tmp_path / "h.xlsx", rows, {"LotMethod": "HIFO"}),
        tmp_path / "o1.xlsx",
        progress=False,
    )
    assert hifo.plan.profile.realized_short_term == Decimal("-500.00")
    assert hifo.plan.profile.realized_long_term == 0
    assert "HIFO)" in hifo.plan.summary.lots_from
    order = fill_workbook(
        _book(tmp_path / "o.xlsx", rows, {"LotMethod": "2020: HIFO; 2026: FIFO"}),
        tmp_path / "o2.xlsx",
        progress=False,
    )
    assert order.plan.profile.realized_long_term == Decimal("500.00")
    assert "2020: HIFO; 2026: FIFO" in order.plan.summary.lots_from


def test_realized_figures_typed_on_the_profile_win(tmp_path: Path) -> None:
    """A realized figure on the Profile may include sales made elsewhere: it is used, and
    Summary shows what the transactions held, unused."""
    rows = [*BUYS, _sale("2026-03-01T15:00:00Z")]
    result = fill_workbook(
        _book(tmp_path / "p.xlsx", rows, {"RealizedShortTerm": 1000}),
        tmp_path / "o.xlsx",
        progress=False,
    )
    assert result.plan.profile.realized_short_term == 1000
    assert result.plan.profile.realized_long_term == 0
    assert result.plan.summary.realized_from == (
        "Profile (the Transactions' 1 disposal in 2026: short-term $0.00, long-term "
        "$500.00, not used)"
    )


def test_transactions_after_the_planned_sale_date_are_left_out_and_said(tmp_path: Path) -> None:
    rows = [*BUYS, _sale("2026-12-15T15:00:00Z")]  # after AsOfDate 2026-12-01
    result = fill_workbook(_book(tmp_path / "l.xlsx", rows), tmp_path / "o.xlsx", progress=False)
    assert result.plan.profile.realized_long_term == 0
    assert any(
        "1 transaction dated after the planned sale date (2026-12-01) was left out" in m
        for m in result.plan.messages
    )
    assert {p.lot.lot_id for p in result.plan.position_records} == {"B1", "B2"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hifo", "hifo"),
        (" Specific ID ", "specific"),
        ("2021: HIFO; 2025: FIFO", {2021: "hifo", 2025: "fifo"}),
        ("2021:lifo,2024:hifo", {2021: "lifo", 2024: "hifo"}),
    ],
)
def test_standing_orders_parse(text: str, expected: Any) -> None:
    assert parse_standing_order(text) == expected


# --- bad input: exit 2, one line naming the cell, nothing written ----------------------------


@pytest.mark.parametrize(
    ("change", "place"),
    [
        ({"profile": {"TimeZone": "Eastern"}}, "Profile!B22 TimeZone: unknown time zone"),
        ({"profile": {"LotMethod": "cheapest"}}, "Profile!B23 LotMethod: 'cheapest' is not"),
        ({"profile": {"LotMethod": "2025 FIFO; x"}}, "Profile!B23 LotMethod: '2025 FIFO' is"),
        (
            {"wallets": [{"Wallet": "Ledger", "Kind": "Cold"}]},
            "Wallets!B2 Kind: 'Cold' is not a kind of wallet",
        ),
        (
            {"wallets": [{"Wallet": "Ledger"}, {"Wallet": "Ledger"}]},
            "Wallets!A3 Wallet: 'Ledger' is listed twice (also Wallets!A2)",
        ),
        # The transfer to Ledger, with Ledger not listed: a gift would be a Gift Out.
        ({"wallets": [{"Wallet": "Coinbase"}]}, "Transactions!A5 To Wallet: 'Ledger' is not"),
    ],
)
def test_bad_ledger_settings_name_their_cell(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: dict[str, Any], place: str
) -> None:
    source = _book(tmp_path / "in.xlsx", **change)
    before = hashlib.sha256(source.read_bytes()).hexdigest()
    assert main(["fill", str(source), "-o", str(tmp_path / "out.xlsx")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"tlh-xl: error: {place}"), err
    assert hashlib.sha256(source.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.xlsx"]


def test_a_bad_transaction_cell_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [BUYS[0], _sale("2026-03-01", quantity="1,5")]
    source = _book(tmp_path / "in.xlsx", rows)
    assert main(["fill", str(source), "-o", str(tmp_path / "out.xlsx")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("tlh-xl: error: Transactions!G3 Sent Quantity")


def test_a_sale_of_more_than_the_wallet_holds_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [BUYS[0], _sale("2026-03-01", wallet="Kraken")]
    source = _book(tmp_path / "in.xlsx", rows)
    assert main(["fill", str(source), "-o", str(tmp_path / "out.xlsx")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("tlh-xl: error: Transactions!A3"), err


# --- tlh-xl ledger reads the Wallets table of a workbook too ---------------------------------


def test_the_ledger_command_takes_the_workbooks_wallets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The sample's transfer goes to Ledger, which only the Wallets table lists."""
    source = _book(tmp_path / "in.xlsx")
    assert main(["ledger", str(source), "--tz", "America/New_York", "--year", "2026"]) == 0
    out = capsys.readouterr().out
    assert "Realized long-term             $11,263.33" in out
    assert dt.date(2026, 1, 1)  # the year the totals are for, as asked


def test_a_second_fill_replaces_a_stripped_realized_sheet_on_the_fast_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Every sheet counts as big, so the Transactions and the first fill's Realized sheet
    are stripped and read by calamine: the second fill replaces Realized (it is not
    carried) and saves the fast way, with the same plan and disposals."""
    import logging

    from tlh_xl.workbook import package

    monkeypatch.setattr(package, "BIG_SHEET", 0)
    first = fill_workbook(_book(tmp_path / "in.xlsx"), tmp_path / "one.xlsx", progress=False)
    with caplog.at_level(logging.INFO, logger="tlh_xl.workbook.fill"):
        second = fill_workbook(tmp_path / "one.xlsx", tmp_path / "two.xlsx", progress=False)
    assert not [r for r in caplog.records if "the plain way" in r.getMessage()]
    assert second.plan.sale_records == first.plan.sale_records
    out = openpyxl.load_workbook(tmp_path / "two.xlsx")
    assert out.sheetnames.count("Realized") == 1
    realized = [r for r in out["Realized"].iter_rows(min_row=2, values_only=True) if r[0]]
    assert len(realized) == 3
