"""Hand-worked federal tax cases (tests/cases/us_federal_tax.yaml) checked to the cent."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from tlh_xl import FILING_STATUSES, compute_tax, load_rules

CASES_FILE = Path(__file__).parent / "cases" / "us_federal_tax.yaml"


def _money(value: object) -> Decimal:
    """Money is written as quoted strings so it reaches Decimal without passing through float."""
    if not isinstance(value, str):
        raise TypeError(f"money must be a quoted string in the YAML, got {value!r}")
    return Decimal(value)


def _load() -> list[dict[str, Any]]:
    with CASES_FILE.open(encoding="utf-8") as f:
        cases = yaml.safe_load(f)
    assert isinstance(cases, list)
    return cases


CASES = _load()


def test_cases_cover_every_year_and_filing_status() -> None:
    names = [case["name"] for case in CASES]
    assert len(names) == len(set(names)) >= 20
    covered = {(case["year"], case["input"]["filing_status"]) for case in CASES}
    assert covered >= {(y, s) for y in (2023, 2024, 2025, 2026) for s in FILING_STATUSES}


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_tax_case(case: dict[str, Any]) -> None:
    kwargs: dict[str, Any] = {
        key: value if key == "filing_status" or value is None else _money(value)
        for key, value in case["input"].items()
    }
    result = compute_tax(load_rules(case["year"]), **kwargs)
    got = {field: getattr(result, field) for field in case["expect"]}
    want = {field: _money(value) for field, value in case["expect"].items()}
    assert got == want
