"""init → fill in the contract with openpyxl → fill → reopen: the workbook equals the plan."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from tlh_xl import load_rules, plan_harvest
from tlh_xl.samples import JANE_LOTS, JANE_PRICES
from tlh_xl.workbook.contract import HARVEST_HEADERS, SUMMARY_FIELDS
from tlh_xl.workbook.sample import build_sample_workbook
from tlh_xl.workbook.template import template_path

LOT_HEADERS = [
    "Lot ID",
    "Asset",
    "Asset Class",
    "Wallet",
    "Acquired",
    "Quantity",
    "Cost Basis",
    "Tx ID",
]


def _named(wb: Any, name: str) -> Any:
    ((sheet, coord),) = wb.defined_names[name].destinations
    return wb[sheet][coord.replace("$", "")]


def _put_table(wb: Any, name: str, headers: list[str], rows: list[list[Any]]) -> None:
    """What a user's script does: write rows under the headers and grow the table."""
    ws = next(ws for ws in wb.worksheets if name in ws.tables)
    table = ws.tables[name]
    positions = {ws.cell(row=1, column=c).value: c for c in range(1, ws.max_column + 1)}
    for r, row in enumerate(rows, start=2):
        for header, value in zip(headers, row):
            ws.cell(row=r, column=positions[header], value=value)
    last_col = table.ref.split(":")[1].rstrip("0123456789")
    table.ref = f"A1:{last_col}{len(rows) + 1}"


def _workbook(
    path: Path,
    profile: dict[str, Any],
    lots: list[list[Any]],
    price_headers: list[str],
    prices: list[list[Any]],
) -> None:
    """The template with the Profile names set and the Lots and Prices tables filled."""
    wb = openpyxl.load_workbook(template_path())
    for name, value in profile.items():
        _named(wb, name).value = value
    _put_table(wb, "Lots", LOT_HEADERS, lots)
    _put_table(wb, "Prices", price_headers, prices)
    wb.save(path)


def _jane_workbook(path: Path) -> None:
    _workbook(
        path,
        {
            "TaxYear": 2025,
            "FilingStatus": "Single",
            "OrdinaryIncome": 1_000_000,
            "RealizedShortTerm": 10_000,
            "AsOfDate": dt.date(2025, 12, 1),
            "FeeRate": 0,
            "CarryforwardValue": 0.2,
            "Rebuy": "yes",
        },
        [
            [
                r["lot_id"],
                r["asset"],
                r["asset_class"],
                r["wallet"],
                dt.date.fromisoformat(r["acquired"]),
                r["quantity"],
                r["cost_basis"],
                r["tx_id"],
            ]
            for r in JANE_LOTS
        ],
        ["Asset", "Price"],
        [[asset, float(price)] for asset, price in JANE_PRICES.items()],
    )


def _harvest_rows(wb: Any) -> list[dict[str, Any]]:
    ws = wb["Harvest"]
    table = ws.tables["Harvest"]
    rows = list(ws[table.ref])
    headers = [c.value for c in rows[0]]
    assert headers == list(HARVEST_HEADERS)
    return [
        dict(zip(headers, (c.value for c in row))) for row in rows[1:] if row[0].value is not None
    ]


def _money(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def test_jane_through_the_workbook(tmp_path: Path, run_cli) -> None:
    source = tmp_path / "jane.xlsx"
    r = run_cli("init", str(source))
    assert r.returncode == 0, r.stderr
    _jane_workbook(source)
    r = run_cli("fill", str(source))
    assert r.returncode == 0, r.stderr
    out = openpyxl.load_workbook(tmp_path / "jane-harvest.xlsx")
    rows = _harvest_rows(out)
    assert sorted(row["Lot ID"] for row in rows) == ["J1", "J2", "J3", "J4"]
    assert sum(_money(row["Gain/Loss"]) for row in rows) == Decimal("-287000.00")
    assert _money(_named(out, "TaxSaved").value) == Decimal("5190.00")
    assert _money(_named(out, "OrdinaryIncomeOffset").value) == Decimal("3000.00")
    assert _money(_named(out, "CarryforwardOutShortTerm").value) == Decimal("274000.00")
    assert {row["Rebuy On"] for row in rows} == {dt.datetime(2025, 12, 2)}
    assert all(row["Sell Date"] == dt.datetime(2025, 12, 1) for row in rows)


def test_sample_workbook_equals_plan_harvest_and_reconciles(tmp_path: Path, run_cli) -> None:
    source = tmp_path / "sample.xlsx"
    build_sample_workbook(source)
    r = run_cli("fill", str(source), "-o", str(tmp_path / "out.xlsx"))
    assert r.returncode == 0, r.stderr
    out = openpyxl.load_workbook(tmp_path / "out.xlsx")

    # The same plan, computed directly from the sample's CSVs.
    import csv

    from tlh_xl.workbook.sample import SAMPLES

    lots = [
        {
            "lot_id": x["Lot ID"],
            "asset": x["Asset"],
            "asset_class": x["Asset Class"],
            "wallet": x["Wallet"],
            "acquired": x["Acquired"],
            "quantity": x["Quantity"],
            "cost_basis": x["Cost Basis"],
            "tx_id": x["Tx ID"],
            "price_override": x["Price Override"] or None,
        }
        for x in csv.DictReader((SAMPLES / "sample_lots.csv").open(encoding="utf-8"))
    ]
    prices = {
        x["Asset"]: x["Price"]
        for x in csv.DictReader((SAMPLES / "sample_prices.csv").open(encoding="utf-8"))
    }
    prof = {
        x["Name"]: x["Value"]
        for x in csv.DictReader((SAMPLES / "sample_profile.csv").open(encoding="utf-8"))
    }
    fields = {
        "TaxYear": "tax_year",
        "FilingStatus": "filing_status",
        "OrdinaryIncome": "ordinary_income",
        "QualifiedDividends": "qualified_dividends",
        "Deduction": "deduction",
        "RealizedShortTerm": "realized_short_term",
        "RealizedLongTerm": "realized_long_term",
        "CarryforwardShortTerm": "carryforward_short_term",
        "CarryforwardLongTerm": "carryforward_long_term",
        "AsOfDate": "as_of_date",
        "FeeRate": "fee_rate",
        "CarryforwardValue": "carryforward_value",
        "MinBenefit": "min_benefit",
        "Rebuy": "rebuy",
    }
    plan = plan_harvest(
        load_rules(2026), {fields[k]: (v or None) for k, v in prof.items()}, lots, prices
    )

    rows = _harvest_rows(out)
    assert [row["Lot ID"] for row in rows] == list(plan.sales.lot_id)
    for row, sale in zip(rows, plan.sale_records):
        assert _money(row["Proceeds"]) == sale.proceeds
        assert _money(row["Cost Basis"]) == sale.cost_basis
        assert _money(row["Gain/Loss"]) == sale.gain_loss
        assert _money(row["Fees"]) == sale.fees
        assert Decimal(str(row["Sell Quantity"])) == sale.sell_quantity
        assert row["Wallet"] == sale.wallet and row["Tx ID"] == sale.tx_id
        assert row["Note"] == sale.note
    # Where the inputs came from is said by the pipeline, which plan_harvest is not.
    summary = vars(plan.summary) | {
        "lots_from": "Lots (40 lots)",
        "realized_from": "Profile",
        "time_zone_used": "not used (no transactions)",
    }
    for f in SUMMARY_FIELDS:
        value = _named(out, f.name).value
        expected = summary[f.field]
        if f.kind == "money":
            assert _money(value) == expected, f.name
        elif f.kind == "date":
            assert value.date() == expected
        elif f.kind == "rate":
            assert Decimal(str(value)) == expected
        else:
            assert value == expected, f.name
    # Reconciliation: the Harvest rows add up to the Summary.
    losses = [row for row in rows if _money(row["Gain/Loss"]) < 0]
    st = -sum(_money(r["Gain/Loss"]) for r in losses if r["Term"] == "Short-term")
    lt = -sum(_money(r["Gain/Loss"]) for r in losses if r["Term"] == "Long-term")
    assert st == _money(_named(out, "LossHarvestedShortTerm").value)
    assert lt == _money(_named(out, "LossHarvestedLongTerm").value)
    assert sum(_money(r["Fees"]) for r in rows) == _money(_named(out, "TradingCosts").value)
    assert _money(_named(out, "TaxSaved").value) == (
        _money(_named(out, "TaxWithoutHarvest").value) - _money(_named(out, "TaxWithHarvest").value)
    )
    # Positions lists every lot; the wash-sale-blocked ETF lot is flagged and not sold.
    pos = out["Positions"]
    assert pos.tables["Positions"].ref == f"A1:O{len(lots) + 1}"
    flags = {
        pos.cell(row=r, column=1).value: pos.cell(row=r, column=15).value
        for r in range(2, len(lots) + 2)
    }
    blocked = [lot for lot, flag in flags.items() if flag and "wash sale:" in flag]
    assert blocked and not set(blocked) & {row["Lot ID"] for row in rows}


def test_fill_output_opens_on_summary_with_recalculation_flag(tmp_path: Path) -> None:
    from tlh_xl.workbook.fill import fill_workbook

    source = tmp_path / "s.xlsx"
    build_sample_workbook(source)
    result = fill_workbook(source, progress=False)
    assert result.output == tmp_path / "s-harvest.xlsx"
    out = openpyxl.load_workbook(result.output)
    assert out.active.title == "Summary"
    assert out.calculation.fullCalcOnLoad
    assert not list(tmp_path.glob(".~tlh-*"))


@pytest.mark.parametrize("command", ["init"])
def test_init_refuses_to_overwrite(tmp_path: Path, run_cli, command: str) -> None:
    target = tmp_path / "book.xlsx"
    assert run_cli(command, str(target)).returncode == 0
    again = run_cli(command, str(target))
    assert again.returncode == 2 and "already exists" in again.stderr
    assert run_cli(command, str(target), "--force").returncode == 0


def _fund_workbook(path: Path, groups: tuple[str | None, str | None]) -> None:
    """Two S&P 500 funds: SPY held at a loss since 2024, VOO bought ten days ago."""
    _workbook(
        path,
        {
            "TaxYear": 2025,
            "FilingStatus": "Single",
            "OrdinaryIncome": 200_000,
            "RealizedShortTerm": 20_000,
            "AsOfDate": dt.date(2025, 12, 1),
            "FeeRate": 0,
        },
        [
            ["F1", "SPY", "Security", "Schwab", dt.date(2024, 6, 3), 10, 7_000, "S-1"],
            ["F2", "VOO", "Security", "Fidelity", dt.date(2025, 11, 21), 5, 3_000, "V-1"],
        ],
        ["Asset", "Price", "Identical Group"],
        [["SPY", 600.0, groups[0]], ["VOO", 560.0, groups[1]]],
    )


@pytest.mark.parametrize("label", ["S&P 500", None])
def test_an_identical_group_in_prices_blocks_a_wash_sale(tmp_path: Path, run_cli, label) -> None:
    """SPY lost 7,000 − 6,000 = 1,000. Declared identical to VOO, bought 10 days ago, the
    loss sale would be a wash sale (securities: 30 days), so it is not suggested; without
    the label the two funds are unrelated and the loss is harvested."""
    source = tmp_path / "funds.xlsx"
    _fund_workbook(source, (label, label.lower() if label else None))  # labels: any case
    r = run_cli("fill", str(source))
    assert r.returncode == 0, r.stderr
    out = openpyxl.load_workbook(tmp_path / "funds-harvest.xlsx")
    sold = {row["Lot ID"]: row for row in _harvest_rows(out)}
    flags = {row[0].value: row[-1].value for row in out["Positions"].iter_rows(min_row=2)}
    if label:
        assert "F1" not in sold
        assert "wash sale: VOO bought 2025-11-21 (lot F2)" in flags["F1"]
    else:
        assert _money(sold["F1"]["Gain/Loss"]) == Decimal("-1000.00")
        assert "wash sale" not in (flags["F1"] or "")
