"""The Excel-facing conversions, called as plain Python (no xlwings runtime)."""

from __future__ import annotations

import datetime as dt

import pytest

import tlh_xl.udfs as udfs
from tlh_xl import InputError, load_rules
from tlh_xl.rulebook.lookup import rule_value
from tlh_xl.workbook.ranges import excel_date, profile_from_pairs


def test_excel_dates_from_every_runtime() -> None:
    assert excel_date(dt.datetime(2025, 3, 1, 12, 30), "x") == dt.date(2025, 3, 1)  # classic
    assert excel_date(45717.0, "x") == dt.date(2025, 3, 1)  # Lite/Server serial number
    assert excel_date("2025-03-01", "x") == dt.date(2025, 3, 1)
    assert excel_date(None, "x") is None and excel_date("  ", "x") is None
    with pytest.raises(InputError, match="when: expected a date"):
        excel_date("soon", "when")


def test_profile_by_names_or_labels() -> None:
    profile, places = profile_from_pairs(
        [
            ["Profile", None],  # a title row is ignored
            ["FilingStatus", "Single"],
            ["Ordinary income", 120000.0],
            ["Planned sale date", 46357.0],
            ["Tax year", 2026.0],
        ]
    )
    assert profile.filing_status == "Single" and profile.ordinary_income == 120000.0
    assert profile.as_of_date == dt.date(2026, 12, 1) and profile.tax_year == 2026
    assert places["ordinary_income"] == "Profile row 3 OrdinaryIncome"
    with pytest.raises(InputError, match="FilingStatus is missing"):
        profile_from_pairs([["OrdinaryIncome", 1.0]])


def test_rule_value_paths() -> None:
    rules = load_rules(2026)
    assert rule_value(rules, "standard_deduction.amount", "Married filing jointly") == 32_200
    assert rule_value(rules, "wash_sale.asset_classes.security.window_days") == 30
    with pytest.raises(InputError, match="no 'amont' under standard_deduction"):
        rule_value(rules, "standard_deduction.amont", "single")


def test_functions_never_raise() -> None:
    assert udfs.TLH_TERM(None) == "TLH: acquired: is empty"
    assert udfs.TLH_TAX(None, "single", 1.0).startswith("TLH: year")
    assert udfs.TLH_SUGGEST(None, None, None).startswith("TLH: ")


@pytest.mark.parametrize("blank", [None, ""], ids=["None", "empty cell"])
def test_a_blank_ordinary_income_is_refused_as_on_the_profile(blank: object) -> None:
    """The same rule as the Profile and compute_tax: ordinary income is required (0 for
    none), not read as 0 when the cell is empty."""
    refused = "TLH: ordinary income: is empty (ordinary_income is required; give 0 for none)"
    assert udfs.TLH_TAX(2026, "single", blank) == refused
    assert udfs.TLH_MARGINAL_RATES(2026, "single", blank) == refused
    assert udfs.TLH_TAX(2026, "single", 0.0) == 0


def test_an_identical_group_in_the_prices_range_flags_a_wash_sale() -> None:
    """TLH_POSITIONS reads the optional Identical Group column like `tlh-xl fill` does."""
    lots = [
        ["Lot ID", "Asset", "Asset Class", "Wallet", "Acquired", "Quantity", "Cost Basis"],
        ["F1", "SPY", "Security", "Schwab", dt.datetime(2024, 6, 3), 10.0, 7000.0],
        ["F2", "VOO", "Security", "Fidelity", dt.datetime(2025, 11, 21), 5.0, 3000.0],
    ]
    prices = [
        ["Asset", "Price", "Identical Group"],
        ["SPY", 600.0, "S&P 500"],
        ["VOO", 560.0, "S&P 500"],
    ]
    table = udfs.TLH_POSITIONS(lots, prices, dt.datetime(2025, 12, 1))
    flags = {row[0]: row[-1] for row in table[1:]}
    assert "wash sale: VOO bought 2025-11-21 (lot F2)" in flags["F1"]
    unrelated = udfs.TLH_POSITIONS(lots, [row[:2] for row in prices], dt.datetime(2025, 12, 1))
    assert "wash sale" not in str({row[0]: row[-1] for row in unrelated[1:]}["F1"])


def test_savings_carry_the_plans_notes() -> None:
    """A plan whose best net benefit is below MinBenefit suggests nothing, and says why."""
    lots = [
        ["Lot ID", "Asset", "Asset Class", "Wallet", "Acquired", "Quantity", "Cost Basis"],
        ["J1", "ETH", "Crypto", "Coinbase", dt.datetime(2025, 3, 1), 1.0, 1100.0],
    ]
    prices = [["Asset", "Price"], ["ETH", 1000.0]]
    profile = [
        ["FilingStatus", "Single"],
        ["OrdinaryIncome", 100000.0],
        ["RealizedShortTerm", 5000.0],
        ["AsOfDate", dt.datetime(2025, 12, 1)],
        ["FeeRate", 0.0],
    ]
    plain = dict(udfs.TLH_SAVINGS(lots, prices, profile))
    assert plain["TaxSaved"] > 0 and "Note" not in plain
    noted = udfs.TLH_SAVINGS(lots, prices, [*profile, ["MinBenefit", 1000.0]])
    notes = [value for name, value in noted if name == "Note"]
    assert len(notes) == 1 and "below your minimum $1,000.00" in notes[0]
