"""Holding period by the anniversary rule (Rev. Rul. 66-7; Pub. 544), never by 365 days."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tlh_xl import InputError, days_to_long_term, load_rules, long_term_date, term

D = dt.date


@pytest.mark.parametrize(
    ("acquired", "first_long_term"),
    [
        (D(2024, 3, 15), D(2025, 3, 16)),  # PRODUCT.md §1.2 example
        (D(2024, 2, 29), D(2025, 3, 1)),  # leap day: anniversary is Feb 28
        (D(2023, 3, 1), D(2024, 3, 2)),  # span crosses Feb 29, 2024: 367 days, not 366
        (D(2023, 2, 28), D(2024, 2, 29)),  # the day after the anniversary is the leap day
        (D(2024, 12, 31), D(2026, 1, 1)),
        (D(2024, 1, 1), D(2025, 1, 2)),
    ],
)
def test_long_term_date(acquired: D, first_long_term: D) -> None:
    assert long_term_date(acquired) == first_long_term
    anniversary = first_long_term - dt.timedelta(days=1)
    assert term(acquired, anniversary) == "short"
    assert term(acquired, first_long_term) == "long"


def test_365_day_count_would_be_wrong_across_a_leap_day() -> None:
    bought = D(2023, 3, 1)
    naive = bought + dt.timedelta(days=366)  # "more than 365 days" → 2024-03-01
    assert term(bought, naive) == "short"  # it is the anniversary itself: still short-term


def test_accepts_datetime_and_iso_text_and_uses_rules() -> None:
    rules = load_rules(2025)
    assert long_term_date(dt.datetime(2024, 3, 15, 23, 59), rules) == D(2025, 3, 16)
    assert long_term_date("2024-03-15") == D(2025, 3, 16)
    assert days_to_long_term(D(2024, 3, 15), D(2025, 3, 6)) == 10
    assert days_to_long_term(D(2024, 3, 15), D(2025, 6, 1)) == 0


def test_bad_date_is_an_input_error() -> None:
    with pytest.raises(InputError, match="acquired"):
        long_term_date("15/03/2024")


@given(st.dates(min_value=D(1990, 1, 1), max_value=D(2090, 12, 31)))
def test_boundary_is_the_day_after_the_anniversary(bought: D) -> None:
    first = long_term_date(bought)
    anniversary = first - dt.timedelta(days=1)
    assert anniversary.year == bought.year + 1
    assert (anniversary.month, anniversary.day) in ((bought.month, bought.day), (2, 28))
    assert term(bought, first - dt.timedelta(days=1)) == "short"
    assert term(bought, first) == "long"
    assert (first - bought).days in (366, 367)


@pytest.mark.parametrize(
    "text", ["2026-03-015", "2026-03-01x", "2026-3-1", "20260301", "2026-03-01T"]
)
def test_a_date_with_junk_is_refused_not_cut(text: str) -> None:
    from tlh_xl.errors import InputError
    from tlh_xl.holding_period import as_date

    with pytest.raises(InputError, match="expected a date"):
        as_date(text, "Lots!E7 Acquired")


@pytest.mark.parametrize(
    "text, day",
    [
        ("2026-03-01", dt.date(2026, 3, 1)),
        (" 2026-03-01 ", dt.date(2026, 3, 1)),
        ("2026-03-01T10:30:00", dt.date(2026, 3, 1)),
        ("2026-03-01 23:59", dt.date(2026, 3, 1)),
    ],
)
def test_iso_dates_and_datetimes_are_read(text: str, day: dt.date) -> None:
    from tlh_xl.holding_period import as_date

    assert as_date(text) == day
