"""Numbers beyond any real amount are refused where they are read, naming the place.

Each amount is below 10^15 (``money.MAX_AMOUNT``); past it, cents of a product or a sum
would outgrow the 28 digits Decimal keeps, and the engine failed with a bare
``InvalidOperation`` or ``Overflow`` (exit 1, no place named).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tlh_xl import InputError, compute_tax, load_rules
from tlh_xl.harvest import Profile, plan_harvest
from tlh_xl.harvest.lots import parse_lots

R2025 = load_rules(2025)
AS_OF = dt.date(2025, 12, 1)


def _lot(**kw: object) -> dict[str, object]:
    row: dict[str, object] = dict(
        lot_id="L1",
        asset="ETH",
        asset_class="Crypto",
        wallet="Coinbase",
        acquired=dt.date(2025, 3, 1),
        quantity=Decimal(2),
        cost_basis=Decimal(5000),
    )
    return {**row, **kw}


@pytest.mark.parametrize(
    "field, value",
    [
        ("quantity", 1e308),
        ("quantity", Decimal("1E+999999")),
        ("quantity", "1e20"),
        ("cost_basis", Decimal("1e30")),
        ("price_override", 1e16),
    ],
)
def test_a_lot_beyond_any_real_amount_is_refused_by_its_field(field: str, value: object) -> None:
    with pytest.raises(InputError, match=f"^lot L1: {field}: .* is beyond any real amount"):
        parse_lots([_lot(**{field: value})], AS_OF)


def test_just_below_the_limit_is_read() -> None:
    (lot,) = parse_lots([_lot(quantity=Decimal("999999999999999"))], AS_OF)
    assert lot.quantity == Decimal("999999999999999")


def test_a_market_value_beyond_any_real_amount_names_the_lot() -> None:
    profile = Profile(tax_year=2025, filing_status="single", ordinary_income=1, as_of_date=AS_OF)
    lots = [_lot(quantity=Decimal("9e14"))]  # 9 × 10^14 units at $2 each: $1.8 × 10^15
    with pytest.raises(InputError, match="^lot L1: its market value, .* beyond any real"):
        plan_harvest(R2025, profile, lots, {"ETH": 2})


def test_profile_and_tax_figures_beyond_any_real_amount_are_refused() -> None:
    with pytest.raises(InputError, match="ordinary income: .* beyond any real amount"):
        compute_tax(R2025, filing_status="single", ordinary_income=Decimal("1e26"))
    profile = Profile(
        tax_year=2025, filing_status="single", ordinary_income="1e26", as_of_date=AS_OF
    )
    with pytest.raises(InputError, match="beyond any real amount"):
        plan_harvest(R2025, profile, [_lot()], {"ETH": 2000})


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\ufffe", "\uffff", "\ud800"])
@pytest.mark.parametrize("field", ["lot_id", "asset", "wallet", "tx_id"])
def test_text_a_workbook_cannot_hold_is_refused_by_its_field(char: str, field: str) -> None:
    """Control characters, U+FFFE/U+FFFF and lone surrogates cannot go into a cell: a
    workbook with one does not reopen. Refused before anything is written."""
    lot = _lot(**{field: f"X{char}Y"})
    where = "lot in row 1" if field == "lot_id" else "lot L1"
    with pytest.raises(InputError, match=f"^{where}: {field}: contains U\\+{ord(char):04X}"):
        parse_lots([lot], AS_OF)


def test_tabs_and_newlines_inside_text_are_kept() -> None:
    (lot,) = parse_lots([_lot(wallet="Cold\tstorage\nvault")], AS_OF)
    assert lot.wallet == "Cold\tstorage\nvault"
