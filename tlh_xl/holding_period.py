"""Holding period: when a lot becomes long-term.

A lot is long-term when held *more than one year*, counted from the day after
acquisition through the day of sale (Rev. Rul. 66-7; IRS Pub. 544). Equivalently the sale
date must fall strictly after the anniversary of the acquisition date. A Feb 29
acquisition has its anniversary on Feb 28 in a common year, so it turns long-term on
Mar 1. Counting 365 days is wrong across leap days and is deliberately not used.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import TYPE_CHECKING

from .domain.terms import Term
from .errors import InputError

if TYPE_CHECKING:
    from .rulebook.model import Rules

__all__ = ["Term", "as_date", "days_to_long_term", "long_term_date", "term"]


def as_date(value: object, what: str = "date") -> dt.date:
    """Accept a date, a datetime (its calendar day) or ISO text ``YYYY-MM-DD``."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            # The whole text must be a date (or a date and time): "2026-03-015" is not
            # 2026-03-01 with junk after it, it is a typo to show the user.
            if len(text) == 10:
                return dt.date.fromisoformat(text)
            if len(text) > 10 and text[10] in "T ":
                return dt.datetime.fromisoformat(text).date()
        except ValueError:
            pass
    raise InputError(f"{what}: expected a date (YYYY-MM-DD), got {value!r}")


@lru_cache(maxsize=65536)
def _first_long_term_day(day: dt.date, years: int) -> dt.date:
    return _add_years(day, years) + dt.timedelta(days=1)


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # Feb 29 in a year that has none: the anniversary is Feb 28
        return day.replace(year=day.year + years, day=28)


def long_term_date(acquired: dt.date | dt.datetime | str, rules: Rules | None = None) -> dt.date:
    """First sale date on which a lot bought on ``acquired`` is long-term.

    >>> long_term_date(dt.date(2024, 3, 15))
    datetime.date(2025, 3, 16)
    >>> long_term_date(dt.date(2024, 2, 29))
    datetime.date(2025, 3, 1)
    """
    years = rules.holding_period.more_than_years if rules is not None else 1
    return _first_long_term_day(as_date(acquired, "acquired"), years)


def term(
    acquired: dt.date | dt.datetime | str,
    sold: dt.date | dt.datetime | str,
    rules: Rules | None = None,
) -> Term:
    """``"long"`` if a sale on ``sold`` of a lot bought on ``acquired`` is long-term."""
    return "long" if as_date(sold, "sale date") >= long_term_date(acquired, rules) else "short"


def days_to_long_term(
    acquired: dt.date | dt.datetime | str,
    as_of: dt.date | dt.datetime | str,
    rules: Rules | None = None,
) -> int:
    """Days from ``as_of`` until the lot is long-term; 0 if it already is."""
    delta = (long_term_date(acquired, rules) - as_date(as_of, "as-of date")).days
    return max(0, delta)
