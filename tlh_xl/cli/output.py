"""Terminal output shared by the commands: money, rates, notes about projected rules."""

from __future__ import annotations

import sys
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..rulebook.model import Rules

from ..money import format_usd as money

__all__ = [
    "PROG",
    "date_arg",
    "flatten",
    "money",
    "rate",
    "show_value",
    "version",
    "warn_projected",
]

PROG = "tlh-xl"


def date_arg(text: str) -> Any:
    """An argparse type: a date as YYYY-MM-DD."""
    import argparse
    import datetime as dt

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


def rate(value: Decimal) -> str:
    return f"{value * 100:.1f}%"


def warn_projected(rules: Rules) -> None:
    if rules.status == "projected":
        print(
            f"{PROG}: note: {rules.path or rules.describe()} holds projected figures, "
            "not yet checked against the IRS's Revenue Procedure",
            file=sys.stderr,
        )


def flatten(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        out: list[tuple[str, Any]] = []
        for key, item in value.items():
            out += flatten(item, f"{prefix}.{key}" if prefix else str(key))
        return out
    return [(prefix, value)]


def show_value(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(show_value(v) for v in value) + "]"
    if isinstance(value, Decimal):
        return f"{value:,}" if value >= 1 else str(value)
    if value is None:
        return "null"
    return str(value)


def version() -> str:
    from .. import __version__

    return __version__
