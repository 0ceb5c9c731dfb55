"""Run only in its own process (tests/test_udfs_runtimes.py): xlwings Lite and Server.

With ``XLWINGS_ON_SERVER=true`` ``from xlwings import func`` is the Office.js decorator.
The functions are driven through xlwings' own ``custom_functions_meta`` and
``custom_functions_call`` with the values Office.js sends: every argument a 2-D matrix,
numbers as floats, dates as serial numbers, empty cells as ``None``. The Fill button runs
against an ``xw.Book`` built from an Office.js-style JSON payload of the sample workbook,
and its effect is read back from the actions xlwings would send to Excel.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import xlwings as xw
from openpyxl.utils import get_column_letter
from xlwings.server import custom_functions_call, custom_functions_meta, custom_scripts_call

import tlh_xl.udfs as module
from tlh_xl import load_rules, plan_harvest
from tlh_xl.samples import JANE_LOTS, JANE_PRICES, JANE_PROFILE
from tlh_xl.workbook.contract import HARVEST_HEADERS, PROFILE_FIELDS, SUMMARY_FIELDS

from .shapes import jane_ranges, serial

assert os.environ.get("XLWINGS_ON_SERVER") == "true", "run through tests/test_udfs_runtimes.py"
FUNCTIONS = [n for n in module.__all__ if n.startswith("TLH_") and n != "TLH_FILL"]


def call(name: str, *args: Any) -> Any:
    data = {
        "func_name": name,
        "args": [a if isinstance(a, list) else [[a]] for a in args],
        "version": xw.__version__,
        "client": "Office.js",
        "runtime": "1.4",
        "culture_info_name": "en-US",
        "date_format": "M/d/yyyy",
        "caller_address": "Sheet1!A1",
    }
    return asyncio.run(custom_functions_call(data, module))


def test_meta_names_every_function_under_the_tlh_namespace() -> None:
    meta = custom_functions_meta(module)
    names = {f["id"]: f for f in meta["functions"]}
    assert set(names) == set(FUNCTIONS)
    for fid, f in names.items():
        assert f["name"] == "TLH." + fid.removeprefix("TLH_")
        assert f["description"] and all(p["description"] for p in f["parameters"])
        assert not f["options"].get("stream")
    suggest = [p["name"] for p in names["TLH_SUGGEST"]["parameters"]]
    assert suggest == ["lots", "prices", "profile"]
    optional = {p["name"] for p in names["TLH_TAX"]["parameters"] if p.get("optional")}
    assert optional == {"st_gain", "lt_gain", "deduction", "state"}


def test_scalar_functions_with_serial_dates() -> None:
    assert call("TLH_TERM", serial(dt.date(2024, 3, 15)), serial(dt.date(2025, 3, 16))) == [
        ["Long-term"]
    ]
    ((cell,),) = call("TLH_LONG_TERM_DATE", serial(dt.date(2024, 2, 29)))
    assert cell["basicValue"] == serial(dt.date(2025, 3, 1))  # a real, formatted date
    assert call("TLH_DAYS_TO_LONG", serial(dt.date(2024, 3, 15)), serial(dt.date(2025, 3, 6))) == [
        [10]
    ]
    assert call(
        "TLH_TAX", 2025.0, "Married filing jointly", 1_000_000.0, None, 600_000.0, None
    ) == [[425207.5]]
    assert call("TLH_LOSS_LIMIT", 2025.0, "mfs") == [[1500.0]]
    # Federal 74,674.75 + California 26,597.98 (tlh-xl tax --state CA, the same inputs).
    assert call("TLH_TAX", 2025.0, "Single", 300_000.0, -20_000.0, 50_000.0, None, "CA") == [
        [101272.73]
    ]
    assert call("TLH_RULE", 2025.0, "standard_deduction.amount", "single") == [[15750.0]]
    ((msg,),) = call("TLH_RULE", 2025.0, "standard_deduction.amount", None)
    assert msg == "TLH: rule key 'standard_deduction.amount': differs by filing status; give one"


def test_jane_through_tlh_suggest_gives_the_four_sales_of_plan_harvest() -> None:
    lots, prices, profile = jane_ranges(serial)
    table = call("TLH_SUGGEST", lots, prices, profile)
    assert table[0] == list(HARVEST_HEADERS)
    plan = plan_harvest(load_rules(2025), JANE_PROFILE, JANE_LOTS, JANE_PRICES)
    assert [row[0] for row in table[1:]] == list(plan.sales.lot_id)
    assert [Decimal(str(row[9])) for row in table[1:]] == list(plan.sales.gain_loss)
    savings = dict(call("TLH_SAVINGS", lots, prices, profile))
    assert savings["TaxSaved"] == 5190.0 and savings["NetBenefit"] == 59990.0


def test_bad_table_shows_a_short_message() -> None:
    lots, prices, profile = jane_ranges(serial)
    lots[2][5] = "lots"
    ((msg,),) = call("TLH_SUGGEST", lots, prices, profile)
    assert msg == "TLH: Lots row 3 Quantity: expected a number, got 'lots'"
    ((msg,),) = call("TLH_SUGGEST", [["Asset"]], prices, profile)
    assert msg.startswith("TLH: Lots header row: missing column 'Lot ID'")


# --- the Fill button against an Office.js Book ------------------------------------------


def _sent(value: Any) -> Any:
    """A cell's value as Office.js sends it: dates as serials, numbers as floats."""
    if isinstance(value, dt.datetime):
        return serial(value.date())
    if isinstance(value, Decimal):
        return float(value)
    return value


def _officejs_payload(path: Path) -> dict[str, Any]:
    """The JSON an Office.js client sends for a workbook, built from an .xlsx."""
    wb = openpyxl.load_workbook(path)

    def plain(value: Any) -> Any:
        return "" if value is None else _sent(value)

    sheets = []
    for ws in wb.worksheets:
        values = [
            [plain(c.value) for c in row]
            for row in ws.iter_rows(min_row=1, max_row=ws.max_row, max_col=ws.max_column)
        ]
        tables = []
        for t in ws.tables.values():
            first, last = t.ref.split(":")
            start_col = "".join(ch for ch in first if ch.isalpha())
            end_col = "".join(ch for ch in last if ch.isalpha())
            end_row = int("".join(ch for ch in last if ch.isdigit()))
            tables.append(
                {
                    "name": t.name,
                    "range_address": t.ref,
                    "header_row_range_address": f"{first}:{end_col}1",
                    "data_body_range_address": f"{start_col}2:{last}",
                    "total_row_range_address": None,
                    "show_headers": True,
                    "show_totals": False,
                    "table_style": "TableStyleMedium2",
                    "show_autofilter": True,
                    "show_table_style_first_column": False,
                    "show_table_style_last_column": False,
                    "show_table_style_row_stripes": True,
                    "show_table_style_column_stripes": False,
                    "row_count": end_row - 1,
                }
            )
        sheets.append(
            {
                "name": ws.title,
                "values": values,
                "pictures": [],
                "tables": tables,
                "charts": [],
                "shapes": [],
                "pivot_tables": [],
                "used_range_address": f"A1:{get_column_letter(ws.max_column)}{ws.max_row}",
            }
        )
    names = []
    for name, dn in wb.defined_names.items():
        ((sheet, coord),) = dn.destinations
        names.append(
            {
                "name": name,
                "sheet_index": wb.sheetnames.index(sheet),
                "address": coord.replace("$", ""),
                "book_scope": True,
                "scope_sheet_index": None,
            }
        )
    return {
        "client": "Office.js",
        "version": xw.__version__,
        "book": {"name": path.name, "active_sheet_index": 0, "selection": "A1"},
        "sheets": sheets,
        "names": names,
    }


def test_fill_button_writes_positions_harvest_and_summary(tmp_path: Path) -> None:
    from tlh_xl.workbook.sample import build_sample_workbook

    source = tmp_path / "sample.xlsx"
    build_sample_workbook(source)
    book = xw.Book(json=_officejs_payload(source))
    # As xlwings Server and Lite run a script: the runtime injects the Book.
    asyncio.run(custom_scripts_call(module, "TLH_FILL", typehint_to_value={xw.Book: book}))
    actions = book.json()["actions"]
    sheet_index = {ws["name"]: i for i, ws in enumerate(_officejs_payload(source)["sheets"])}

    def written(sheet: str) -> list[dict[str, Any]]:
        return [
            a
            for a in actions
            if a["sheet_position"] == sheet_index[sheet] and a["func"] == "setValues"
        ]

    from tlh_xl.workbook.fill import fill_workbook

    headless = fill_workbook(source, tmp_path / "headless.xlsx", progress=False).plan
    harvest = [a for a in written("Harvest") if a["start_row"] == 0 and a["start_column"] == 0]
    rows = harvest[-1]["values"]
    assert rows[0] == list(HARVEST_HEADERS)
    assert [r[0] for r in rows[1:]] == [s.lot_id for s in headless.sale_records]
    assert [Decimal(str(r[9])) for r in rows[1:]] == [s.gain_loss for s in headless.sale_records]
    resized = [a for a in actions if a["func"] == "resizeTable"]
    assert any(a["args"][1] == f"$A$1:$N${len(rows)}" for a in resized), resized
    positions = [a for a in written("Positions") if a["start_row"] == 0][-1]["values"]
    assert len(positions) == 41 and positions[0][0] == "Lot ID"

    # Summary: each named cell gets the engine's value.
    names = {n["name"]: n for n in _officejs_payload(source)["names"]}
    summary = {(a["start_row"], a["start_column"]): a["values"][0][0] for a in written("Summary")}
    expected = vars(headless.summary)
    for f in SUMMARY_FIELDS:
        coord = names[f.name]["address"]
        col, row = ord(coord[0]) - ord("A"), int(coord[1:]) - 1
        value = summary[(row, col)]
        if f.kind == "money":
            assert Decimal(str(value)).quantize(Decimal("0.01")) == expected[f.field], f.name
        elif f.kind == "text":
            assert value == expected[f.field]


def test_table_functions_equal_the_engine() -> None:
    from tlh_xl import compute_tax

    expected = compute_tax(
        load_rules(2025), filing_status="single", ordinary_income=250_000, lt_gain=40_000
    )
    assert call("TLH_MARGINAL_RATES", 2025.0, "Single", 250_000.0, None, 40_000.0) == [
        ["Ordinary", float(expected.marginal_ordinary_rate)],
        ["Short-term", float(expected.marginal_short_term_rate)],
        ["Long-term", float(expected.marginal_long_term_rate)],
    ]
    # With CA each dollar adds 9.3%: California taxable income, 290,000 - 5,706 = 284,294,
    # is inside the 9.3% bracket (72,724 to 371,479), and the exemption credit's phase-out
    # steps at 252,203 + 2,500 k, none of which 290,000 or a dollar more reaches.
    assert call("TLH_MARGINAL_RATES", 2025.0, "Single", 250_000.0, None, 40_000.0, "CA") == [
        ["Ordinary", 0.413],  # 32% federal + 9.3%
        ["Short-term", 0.451],  # 32% + 3.8% NIIT + 9.3%
        ["Long-term", 0.281],  # 15% + 3.8% + 9.3%
    ]
    lots, prices, _ = jane_ranges(serial)
    table = call("TLH_POSITIONS", lots, prices, serial(dt.date(2025, 12, 1)))
    assert table[0][:3] == ["Lot ID", "Asset", "Asset Class"] and len(table) == 5
    j1 = next(row for row in table[1:] if row[0] == "J1")
    assert j1[10] == -100000.0 and j1[11] == "Short-term"  # Unrealized Gain/Loss, Term


# --- One pipeline: fill, the Fill button and TLH_SUGGEST/TLH_SAVINGS agree ---------------


def _variant(tmp_path: Path, variant: str) -> Path:
    """The sample workbook, as is, with a plan that carries a note, or with a lot whose
    asset has no price."""
    from tlh_xl.workbook.sample import build_sample_workbook

    source = tmp_path / f"{variant}.xlsx"
    build_sample_workbook(source)
    if variant == "sample":
        return source
    wb = openpyxl.load_workbook(source)
    if variant == "note":  # the best plan is below MinBenefit: no sales, and a note says so
        ((sheet, coord),) = wb.defined_names["MinBenefit"].destinations
        wb[sheet][coord.replace("$", "")].value = 10_000_000
    else:  # "no price": a lot of an asset the Prices table does not list
        wb["Lots"]["B5"].value = "NOPRICE"
    wb.save(source)
    return source


def _ranges(path: Path) -> tuple[list[list[Any]], list[list[Any]], list[list[Any]]]:
    """Lots[#All], Prices[#All] and the Profile's names with values, as Office.js sends them."""
    wb = openpyxl.load_workbook(path)
    plain = _sent

    def table(name: str) -> list[list[Any]]:
        for ws in wb.worksheets:
            if name in ws.tables:
                return [[plain(c.value) for c in row] for row in ws[ws.tables[name].ref]]
        raise AssertionError(name)

    profile = []
    for f in PROFILE_FIELDS:
        ((sheet, coord),) = wb.defined_names[f.name].destinations
        profile.append([f.name, plain(wb[sheet][coord.replace("$", "")].value)])
    return table("Lots"), table("Prices"), profile


def _outcome(run: Any) -> Any:
    from tlh_xl.errors import TlhError

    try:
        return run()
    except TlhError as exc:
        return f"TLH: {exc}"


@pytest.mark.parametrize("variant", ["sample", "note", "no price"])
def test_fill_button_and_functions_give_the_headless_plan(tmp_path: Path, variant: str) -> None:
    from tlh_xl.workbook.fill import fill_workbook
    from tlh_xl.workbook.tables import summary_values

    source = _variant(tmp_path, variant)
    headless = _outcome(lambda: fill_workbook(source, tmp_path / "out.xlsx", progress=False).plan)
    book = xw.Book(json=_officejs_payload(source))
    button = _outcome(
        lambda: asyncio.run(
            custom_scripts_call(module, "TLH_FILL", typehint_to_value={xw.Book: book})
        )
    )
    lots, prices, profile = _ranges(source)
    suggest = call("TLH_SUGGEST", lots, prices, profile)
    savings = call("TLH_SAVINGS", lots, prices, profile)
    if variant == "no price":
        assert isinstance(headless, str) and "no price for 'NOPRICE'" in headless
        assert button == headless
        assert suggest == savings == [[headless.replace("Lots!B5", "Lots row 5")]]
        return
    assert not isinstance(button, str), button  # the script ran to the end
    if variant == "note":
        assert headless.messages and not headless.sale_records
    assert [r[0] for r in suggest[1:]] == [s.lot_id for s in headless.sale_records]
    assert [Decimal(str(r[9])) for r in suggest[1:]] == [s.gain_loss for s in headless.sale_records]
    pairs = [tuple(p) for p in savings]
    expected = summary_values(headless)
    names = [f.name for f in SUMMARY_FIELDS]
    assert [p[0] for p in pairs] == names + ["Note"] * len(headless.messages)
    assert [p[1] for p in pairs[len(names) :]] == headless.messages
    assert Decimal(str(dict(pairs)["NetBenefit"])) == expected["net_benefit"]
    # The Fill button wrote the notes where the headless Summary has them, as text.
    actions = book.json()["actions"]
    texts = [v for a in actions if a["func"] == "setValues" for row in a["values"] for v in row]
    for message in headless.messages:
        assert message in texts


def test_fill_button_builds_the_lots_from_the_transactions_as_fill_does(tmp_path: Path) -> None:
    """An empty Lots table and a filled Transactions table: the Fill button builds the
    lots from the transactions (Wallets, TimeZone), as ``tlh-xl fill`` does, and writes the
    year's disposals on a Realized sheet it adds."""
    from tlh_xl.workbook.fill import fill_workbook
    from tlh_xl.workbook.sample import build_ledger_sample_workbook

    source = tmp_path / "ledger.xlsx"
    build_ledger_sample_workbook(source)
    headless = fill_workbook(source, tmp_path / "out.xlsx", progress=False).plan
    assert headless.sale_records  # the sample's SOL lots are sold at a loss
    payload = _officejs_payload(source)
    book = xw.Book(json=payload)
    asyncio.run(custom_scripts_call(module, "TLH_FILL", typehint_to_value={xw.Book: book}))
    actions = book.json()["actions"]
    assert any(a["func"] == "addSheet" and a["args"][1] == "Realized" for a in actions)
    tables = [a["values"] for a in actions if a["func"] == "setValues" and a["start_row"] == 0]
    harvest = next(t for t in tables if t[0] == list(HARVEST_HEADERS))
    assert [r[0] for r in harvest[1:]] == [s.lot_id for s in headless.sale_records]
    assert [Decimal(str(r[9])) for r in harvest[1:]] == [s.gain_loss for s in headless.sale_records]
    realized = next(t for t in tables if t[0][:2] == ["Lot ID", "Asset"] and "Sold" in t[0])
    assert len(realized) == 4  # the header and the three 2026 disposals
    assert sum(Decimal(str(r[10])) for r in realized[1:]) == Decimal("11263.33")
    texts = [v for a in actions if a["func"] == "setValues" for row in a["values"] for v in row]
    assert headless.summary.lots_from in texts and headless.summary.realized_from in texts


def test_fill_button_writes_form_8949_and_never_a_formula_from_input(tmp_path: Path) -> None:
    """The Fill button adds the Form 8949 sheet (the rows, then Schedule D), as fill
    does; a wallet named like a formula (=1+1) is written as text, marked with Excel's
    apostrophe, in Positions, Harvest and Form 8949 alike."""
    from tlh_xl.workbook.fill import fill_workbook
    from tlh_xl.workbook.form_sheet import FORM_8949_HEADERS
    from tlh_xl.workbook.sample import build_sample_workbook
    from tlh_xl.workbook.sheets import set_text

    source = tmp_path / "sample.xlsx"
    build_sample_workbook(source)
    wb = openpyxl.load_workbook(source)
    ws = wb["Lots"]
    wallet_col = [c.value for c in ws[1]].index("Wallet") + 1
    for row in range(2, ws.max_row + 1):
        if ws.cell(row=row, column=wallet_col).value == "Binance.US":
            set_text(ws.cell(row=row, column=wallet_col), "=1+1")  # text, as typed '=1+1
    wb.save(source)
    headless = fill_workbook(source, tmp_path / "out.xlsx", progress=False)
    assert headless.forms is not None
    book = xw.Book(json=_officejs_payload(source))
    asyncio.run(custom_scripts_call(module, "TLH_FILL", typehint_to_value={xw.Book: book}))
    actions = book.json()["actions"]
    assert any(a["func"] == "addSheet" and a["args"][1] == "Form 8949" for a in actions)
    tables = [a["values"] for a in actions if a["func"] == "setValues" and a["start_row"] == 0]
    form = next(t for t in tables if t[0][: len(FORM_8949_HEADERS)] == list(FORM_8949_HEADERS))
    assert len([r for r in form[1:] if r[0] in ("Realized", "Planned")]) == len(headless.forms.rows)
    assert [r[9] for r in form[1 : len(headless.forms.rows) + 1]] == [
        float(r.gain_loss) for r in headless.forms.rows
    ]
    texts = [v for a in actions if a["func"] == "setValues" for row in a["values"] for v in row]
    assert "=1+1" not in texts and "'=1+1" in texts
