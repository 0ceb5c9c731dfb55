"""Conversion of user numbers to ``Decimal`` at the boundary, and rounding to cents.

Inside the engine all money is ``Decimal``. Floats arrive from Excel and from Python
callers; they are converted through ``repr`` so that ``0.1`` becomes ``Decimal("0.1")``,
not the binary expansion of the float.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from .errors import InputError

__all__ = [
    "CENT",
    "MAX_AMOUNT",
    "ZERO",
    "Number",
    "cents",
    "cents_each",
    "format_usd",
    "to_decimal",
]

Number = int | float | str | Decimal

ZERO = Decimal(0)
CENT = Decimal("0.01")
# No real quantity, price or amount of money reaches 10^15 (a quadrillion: more units
# than any token's whole supply, more dollars than the world's yearly output). Past it,
# products and sums would outgrow the 28 digits Decimal keeps exactly, so such a number
# is refused where it is read, naming its place, instead of failing deep in the engine.
MAX_AMOUNT = Decimal(10) ** 15


def to_decimal(value: object, what: str = "value") -> Decimal:
    """Convert an int, float, numeric str or Decimal to a finite Decimal.

    ``what`` names the value in the error message.
    """
    if isinstance(value, bool):
        raise InputError(f"{what}: expected a number, got {value!r}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        result = Decimal(repr(value))
    elif isinstance(value, str):
        text = value.strip().replace(",", "").replace("_", "")
        if text.startswith("$"):
            text = text[1:]
        try:
            result = Decimal(text)
        except InvalidOperation:
            raise InputError(f"{what}: expected a number, got {value!r}") from None
    else:
        raise InputError(f"{what}: expected a number, got {value!r}")
    if not result.is_finite():
        raise InputError(f"{what}: expected a finite number, got {value!r}")
    if abs(result) >= MAX_AMOUNT:
        raise InputError(f"{what}: {value!r} is beyond any real amount (at most 10^15)")
    return result


def cents(value: Decimal) -> Decimal:
    """Round to whole cents, half away from zero (the usual rounding of money)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def cents_each(values: Iterable[Decimal | None]) -> list[Decimal | None]:
    """``cents`` of each value (``None`` stays ``None``), without a Python call per value:
    the engine rounds 100,000 market values at once."""
    return [None if v is None else v.quantize(CENT, rounding=ROUND_HALF_UP) for v in values]


def format_usd(value: Decimal) -> str:
    """``-$1,234.50`` style, for messages, notes and the terminal."""
    return f"-${-value:,.2f}" if value < 0 else f"${value:,.2f}"
