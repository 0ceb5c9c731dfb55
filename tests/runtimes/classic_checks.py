"""Run only in its own process (tests/test_udfs_runtimes.py): classic xlwings on "Windows".

The functions are imported after xlwings' classic machinery is bound (see
pywin32_standin), then driven through ``xlwings.udfs.call_udf`` with the raw values COM
delivers: floats, ``pywintypes`` dates, ``None`` for empty cells, the "missing" marker
for omitted optional arguments and tuples of tuples for ranges.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal
from typing import Any

from .pywin32_standin import TimeType, classic_xlwings

udfs = classic_xlwings()

import tlh_xl.udfs as module
from tlh_xl import compute_tax, load_rules, plan_harvest
from tlh_xl.samples import JANE_LOTS, JANE_PRICES, JANE_PROFILE

from .shapes import jane_ranges

MISSING = -2147352572  # what COM passes for an omitted optional argument
FUNCTIONS = [n for n in module.__all__ if n.startswith("TLH_") and n != "TLH_FILL"]


def com_date(day: dt.date) -> TimeType:
    return TimeType(day.year, day.month, day.day)


def as_com(rows: list[list[Any]]) -> tuple[tuple[Any, ...], ...]:
    return tuple(tuple(r) for r in rows)


def call(name: str, *args: Any) -> Any:
    return udfs.call_udf("tlh_xl.udfs", name, args, None, None)


def test_decorated_by_classic_xlwings() -> None:
    for name in FUNCTIONS:
        info = getattr(module, name).__xlfunc__
        assert info["name"] == name
        assert not info["ret"]["options"].get("expand")  # no legacy dynamic arrays
        assert "caller" not in [a["name"] for a in info["args"]]


def test_holding_period_functions() -> None:
    assert call("TLH_TERM", com_date(dt.date(2024, 3, 15)), com_date(dt.date(2025, 3, 15))) == [
        ["Short-term"]
    ]
    assert call("TLH_TERM", com_date(dt.date(2024, 3, 15)), com_date(dt.date(2025, 3, 16))) == [
        ["Long-term"]
    ]
    ((first,),) = call("TLH_LONG_TERM_DATE", com_date(dt.date(2024, 2, 29)))
    assert first.date() == dt.date(2025, 3, 1)
    assert call(
        "TLH_DAYS_TO_LONG", com_date(dt.date(2024, 3, 15)), com_date(dt.date(2025, 3, 6))
    ) == [[10]]
    ((today,),) = call("TLH_TERM", com_date(dt.date.today()), MISSING)  # as_of omitted
    assert today == "Short-term"


def test_tax_functions_equal_the_engine() -> None:
    rules = load_rules(2025)
    expected = compute_tax(
        rules, filing_status="married_joint", ordinary_income=1_000_000, lt_gain=600_000
    )
    assert call(
        "TLH_TAX", 2025.0, "Married filing jointly", 1_000_000.0, MISSING, 600_000.0, MISSING
    ) == [[float(expected.total_tax)]]
    assert call("TLH_TAX", 2025.0, "single", 50_000.0, None, None, None) == [
        [float(compute_tax(rules, filing_status="single", ordinary_income=50_000).total_tax)]
    ]
    rates = call(
        "TLH_MARGINAL_RATES", 2025.0, "Married filing jointly", 1_000_000.0, MISSING, 600_000.0
    )
    assert rates == [
        ["Ordinary", float(expected.marginal_ordinary_rate)],
        ["Short-term", float(expected.marginal_short_term_rate)],
        ["Long-term", float(expected.marginal_long_term_rate)],
    ]
    assert call("TLH_LOSS_LIMIT", 2025.0, "Married filing separately") == [[1500.0]]
    assert call("TLH_RULE", 2025.0, "standard_deduction.amount", "Head of household") == [[23625.0]]
    assert call("TLH_RULE", 2026.0, "capital_gains.thresholds", "single") == [
        [0.0, 49450.0, 545500.0]
    ]
    assert call("TLH_RULE", 2025.0, "niit.rate", MISSING) == [[0.038]]


def test_bad_input_shows_a_short_message() -> None:
    ((msg,),) = call("TLH_TAX", 2025.0, "Married", 1.0, MISSING, MISSING, MISSING)
    assert msg.startswith("TLH: ") and "unknown filing status 'Married'" in msg
    ((msg,),) = call("TLH_TAX", 2031.0, "single", 1.0, MISSING, MISSING, MISSING)
    assert msg.startswith("TLH: no rules for tax year 2031")
    lots, prices, profile = jane_ranges(com_date)
    lots[3][5] = None  # J3's Quantity emptied: Lots row 4 counting the header
    ((msg,),) = call("TLH_SUGGEST", as_com(lots), as_com(prices), as_com(profile))
    assert msg == "TLH: Lots row 4 Quantity: is empty"
    assert "\n" not in msg and "Traceback" not in msg


def test_jane_through_tlh_suggest_gives_the_four_sales_of_plan_harvest() -> None:
    lots, prices, profile = jane_ranges(com_date)
    table = call("TLH_SUGGEST", as_com(lots), as_com(prices), as_com(profile))
    from tlh_xl.workbook.contract import HARVEST_HEADERS

    assert table[0] == list(HARVEST_HEADERS)
    plan = plan_harvest(load_rules(2025), JANE_PROFILE, JANE_LOTS, JANE_PRICES)
    assert [row[0] for row in table[1:]] == list(plan.sales.lot_id)
    for row, sale in zip(table[1:], plan.sale_records):
        assert Decimal(str(row[9])) == sale.gain_loss  # Gain/Loss
        assert row[2] == sale.wallet and row[3] == sale.tx_id
        assert row[12].date() == sale.rebuy_on  # Rebuy On, a real date
    savings = dict(
        (k, v) for k, v in call("TLH_SAVINGS", as_com(lots), as_com(prices), as_com(profile))
    )
    assert savings["TaxSaved"] == 5190.0
    assert savings["CarryforwardOutShortTerm"] == 274000.0
    positions = call("TLH_POSITIONS", as_com(lots), as_com(prices), com_date(dt.date(2025, 12, 1)))
    assert positions[0][0] == "Lot ID" and len(positions) == 5


def test_user_rules_folder_is_used(tmp_path, monkeypatch) -> None:
    text = (load_rules(2025).path).read_text(encoding="utf-8")
    (tmp_path / "us").mkdir()
    (tmp_path / "us" / "2025.yaml").write_text(
        text.replace("    single: 15_750", "    single: 40_000"), encoding="utf-8"
    )
    monkeypatch.setenv("TLH_RULES_DIR", str(tmp_path))
    assert call("TLH_RULE", 2025.0, "standard_deduction.amount", "single") == [[40000.0]]
    assert call("TLH_TAX", 2025.0, "single", 40_000.0, MISSING, MISSING, MISSING) == [[0.0]]


def test_every_function_gets_a_valid_vba_wrapper() -> None:
    class Workbook:
        Name = "tlh-template.xlsm"

    out = io.StringIO()
    udfs.generate_vba_wrapper("tlh_xl.udfs", module, out, Workbook())
    vba = out.getvalue()
    for name in FUNCTIONS:
        info = getattr(module, name).__xlfunc__
        params = []
        for a in info["args"]:
            params.append(("Optional " if "optional" in a else "") + a["name"])
        signature = f"Function {name}({', '.join(params)})"
        assert signature in vba, signature
        body = vba.split(signature, 1)[1].split("End Function", 1)[0]
        assert f'XLPy.CallUDF("tlh_xl.udfs", "{name}", Array(' in body
        assert f"{name} = Err.Description" in body
    # Every block that opens is closed, and each conditional compiles both ways.
    assert len(re.findall(r"^Function ", vba, re.M)) == len(FUNCTIONS)
    assert len(re.findall(r"^End Function", vba, re.M)) == len(FUNCTIONS)
    assert len(re.findall(r"^Sub ", vba, re.M)) == len(re.findall(r"^End Sub", vba, re.M))
    opened = len(re.findall(r"^\s*#If ", vba, re.M))
    assert opened == len(re.findall(r"^\s*#Else", vba, re.M))
    assert opened == len(re.findall(r"^\s*#End If", vba, re.M))


def test_lots_from_a_transactions_range() -> None:
    """TLH_LOTS through xlwings' own conversion: COM dates, floats, empty cells."""
    header = (
        "Tx ID", "Time", "Type", "Wallet", "To Wallet", "Sent Asset", "Sent Quantity",
        "Received Asset", "Received Quantity", "Fee Asset", "Fee Quantity", "Value USD",
        "Fee USD", "Lots", "Notes",
    )  # fmt: skip
    empty = [None] * 2
    rows = (
        header,
        ("B1", "2025-02-01T10:00:00Z", "Buy", "Coinbase", None, "USD", None, "ETH", 4.0,
         *empty, 10000.0, 20.0, None, None),
        ("S1", com_date(dt.date(2025, 6, 1)), "Sell", "Coinbase", None, "ETH", 1.0, "USD",
         None, *empty, 3000.0, 6.0, None, None),
    )  # fmt: skip
    table = call("TLH_LOTS", rows, MISSING, MISSING, "America/New_York")
    assert table[0][:4] == ["Lot ID", "Asset", "Asset Class", "Wallet"]
    (lot,) = table[1:]
    # 4 ETH for $10,000 + $20 fee; one sold: 3 left with three quarters of the basis.
    assert lot[1] == "ETH" and lot[3] == "Coinbase" and lot[5] == 3.0 and lot[6] == 7515.0
    bad = call("TLH_LOTS", (header, ("S2", com_date(dt.date(2025, 6, 1)), "Sell", "Ledger",
                                     None, "BTC", 1.0, "USD", None, *empty, 5.0, None, None,
                                     None)), MISSING, MISSING, MISSING)  # fmt: skip
    assert bad[0][0].startswith("TLH: Transactions row 2")
