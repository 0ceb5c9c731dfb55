"""Lot-identification methods and the standing order that picks one per tax year.

From 2025 the regulations let a taxpayer identify the units sold by specific
identification, including a standing order (a rule written down in advance), and
otherwise prescribe first in, first out (Treas. Reg. §1.1012-1(j)(1)-(3)). LIFO and HIFO
are such standing orders; ``specific`` means each disposal names its lots (``Lots``).

A method is set per tax year and stands until changed: ``{2021: "hifo", 2025: "fifo"}``
uses HIFO for 2021 through 2024 and FIFO from 2025 on; years before the first one use
the default (FIFO).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, get_args

from ..errors import InputError

__all__ = [
    "DEFAULT_METHOD",
    "METHODS",
    "Method",
    "MethodSchedule",
    "parse_method",
    "parse_standing_order",
]

Method = Literal["fifo", "lifo", "hifo", "specific"]
METHODS: tuple[Method, ...] = get_args(Method)
DEFAULT_METHOD: Method = "fifo"  # what §1.1012-1(j) prescribes absent an identification

_SPELLINGS: dict[str, Method] = {
    "fifo": "fifo",
    "firstinfirstout": "fifo",
    "lifo": "lifo",
    "lastinfirstout": "lifo",
    "hifo": "hifo",
    "highestinfirstout": "hifo",
    "specific": "specific",
    "specificid": "specific",
    "specificidentification": "specific",
    "spec": "specific",
    "specid": "specific",
}


def parse_method(value: object, where: str = "method") -> Method:
    """``FIFO``, ``lifo``, ``Specific ID``, ... → the method's name; anything else refused."""
    text = "".join(ch for ch in str(value or "") if ch.isalnum()).casefold()
    try:
        return _SPELLINGS[text]
    except KeyError:
        raise InputError(
            f"{where}: {value!r} is not a method (expected one of {', '.join(METHODS)})"
        ) from None


def parse_standing_order(value: object, where: str = "method") -> Method | dict[int, Method]:
    """One method (``HIFO``) or a standing order by year (``2021: HIFO; 2025: FIFO``,
    commas or semicolons between the years) as ``MethodSchedule`` takes it; anything else
    refused naming ``where``."""
    text = str(value or "").strip()
    if not any(ch == ":" or ch.isdigit() for ch in text):  # a year means an order
        return parse_method(text, where)
    order: dict[int, Method] = {}
    for part in text.replace(",", ";").split(";"):
        if not part.strip():
            continue
        year_text, colon, name = part.partition(":")
        year_text = year_text.strip()
        if not colon or not year_text.isdigit() or not 1900 <= int(year_text) <= 2200:
            raise InputError(
                f"{where}: {part.strip()!r} is not 'YEAR: METHOD' (e.g. '2021: HIFO; 2025: FIFO')"
            )
        year = int(year_text)
        if year in order:
            raise InputError(f"{where}: {year} is given twice")
        order[year] = parse_method(name.strip(), f"{where} for {year}")
    if not order:
        raise InputError(f"{where}: {text!r} names no method")
    return order


class MethodSchedule:
    """The method in force in each tax year: a standing order that lasts until changed."""

    __slots__ = ("_cache", "_changes", "default")

    def __init__(
        self,
        methods: Mapping[int, Method | str] | Method | str | None = None,
        default: Method = DEFAULT_METHOD,
    ) -> None:
        self.default: Method = default
        if methods is None:
            changes: dict[int, Method] = {}
        elif isinstance(methods, str):
            self.default = parse_method(methods)
            changes = {}
        else:
            changes = {}
            for year, name in methods.items():
                if isinstance(year, bool) or not isinstance(year, int):
                    raise InputError(f"method year {year!r}: expected a year such as 2025")
                changes[year] = parse_method(name, f"method for {year}")
        self._changes = sorted(changes.items())
        self._cache: dict[int, Method] = {}

    def method_for(self, year: int) -> Method:
        found = self._cache.get(year)
        if found is None:
            found = self.default
            for since, name in self._changes:
                if since > year:
                    break
                found = name
            self._cache[year] = found
        return found

    def __repr__(self) -> str:
        return f"MethodSchedule({dict(self._changes)!r}, default={self.default!r})"
