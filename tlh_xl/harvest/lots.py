"""Tax lots: validated and typed, column by column.

``parse_lots`` first tries a columnar pass. It looks at each column's Python types at
once (``set(map(type, column))``) and, when they are the plain ones a workbook or a
DataFrame gives (text, numbers, dates, blanks), converts the whole column with built-in
``map`` calls and checks its bounds with ``min``/``max``. That costs a small fraction of
a loop of per-row checks on 100,000 lots.

Anything else (a number typed as text, a bad value, a duplicate ID) sends the input
to the careful row-by-row pass, which accepts every spelling the product accepts and
raises the first error in row order, named by its place (``Lots!F14`` from the
workbook, ``lot L7: quantity`` otherwise). The columnar pass accepts only what the
careful pass would accept, and converts it the same way; a property test holds them
to that.

Both passes are driven by the declaration of the Lots columns (``lot_columns``): each
column's kind picks its pair of converters here (``_KINDS``), the columnar pass's for a
whole column and the careful pass's for one value, so a new column needs no code here
unless it brings a new kind.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from decimal import Decimal
from functools import partial
from itertools import repeat
from typing import Any

from ..domain.assets import CLASS_SPELLINGS, AssetClass, parse_asset_class
from ..domain.lot_columns import (
    BLANK_REFUSED,
    LOT_DECLARATION,
    LotColumn,
    LotKind,
    check_declaration,
)
from ..errors import InputError
from ..holding_period import as_date
from ..money import MAX_AMOUNT, to_decimal
from .inputs import is_blank, parse_flag
from .lot_table import COLUMN_NAMES, Lot, LotTable

__all__ = [
    "LOT_COLUMNS",
    "OPTIONAL_LOT_COLUMNS",
    "Locator",
    "Lot",
    "LotTable",
    "parse_lot_table",
    "parse_lots",
]


# The Lots columns' fields (declared in lot_columns): those the workbook must have, and
# the others.
LOT_COLUMNS = tuple(c.field for c in LOT_DECLARATION if c.required)
OPTIONAL_LOT_COLUMNS = tuple(c.field for c in LOT_DECLARATION if not c.required)

Locator = Callable[[int, str, str], str]


def parse_lot_table(
    lots: Any, as_of: dt.date | None = None, place: Locator | None = None
) -> LotTable:
    """Validate lots given as a DataFrame or a list of dicts with snake_case keys, into
    the engine's columns.

    ``place(row, lot_id, column)`` names where a bad value is (the workbook reader
    passes one that gives ``Lots!F14``); by default errors name the lot ID and field.
    """
    if not _is_frame(lots) and not isinstance(lots, list):
        lots = list(lots)
    try:
        return _parse_columns(_columns(lots), as_of)
    except _Unusual:
        return LotTable.from_lots(_parse_rows(_records(lots), as_of, place or _default_place))


def parse_lots(lots: Any, as_of: dt.date | None = None, place: Locator | None = None) -> list[Lot]:
    """``parse_lot_table``, as one ``Lot`` record per lot."""
    return parse_lot_table(lots, as_of, place).records()


# --- the columnar pass ---------------------------------------------------------------


class _Unusual(Exception):
    """A column the columnar pass does not handle; the careful pass decides."""


_NONE = type(None)
_FLAGS = {
    text: parse_flag(text, "flag", False)
    for text in ("yes", "Yes", "YES", "no", "No", "NO", "TRUE", "FALSE", "true", "false")
}

# A whole column's values → their typed values, or _Unusual.
_Fast = Callable[[list[Any], LotColumn, dt.date | None], list[Any]]


def _is_frame(lots: Any) -> bool:
    return hasattr(lots, "to_dict") and hasattr(lots, "columns")


def _types(column: Sequence[Any]) -> set[type]:
    return set(map(type, column))


def _stripped(column: list[Any]) -> list[str]:
    """Non-blank text, stripped."""
    if not _types(column) <= {str}:
        raise _Unusual
    out = list(map(str.strip, column))
    if not all(out) or _UNWRITABLE.search("\n".join(out)):
        raise _Unusual
    return out


def _numbers(column: list[Any]) -> list[Decimal]:
    """Finite Decimals from Decimals, ints and floats (floats through ``repr``, as
    ``to_decimal`` does, so 0.1 is 0.1)."""
    types = _types(column)
    if types <= {Decimal}:
        out = column
    elif types <= {int, float, Decimal}:
        out = [v if type(v) is Decimal else Decimal(repr(v)) for v in column]
    else:
        raise _Unusual
    if not all(map(Decimal.is_finite, out)):
        raise _Unusual
    if out and (max(out) >= MAX_AMOUNT or min(out) <= -MAX_AMOUNT):
        raise _Unusual  # the careful pass names it
    return out


def _fast_id(column: list[Any], spec: LotColumn, as_of: dt.date | None) -> list[str]:
    out = _stripped(column)
    if len(set(out)) != len(out):
        raise _Unusual
    return out


def _fast_required_text(column: list[Any], spec: LotColumn, as_of: dt.date | None) -> list[str]:
    return _stripped(column)


def _fast_text(column: list[Any], spec: LotColumn, as_of: dt.date | None) -> list[Any]:
    default = spec.default
    types = _types(column)
    if types <= {str}:
        out: list[Any] = list(map(str.strip, column))
    elif types <= {str, _NONE}:
        out = [default if v is None else v.strip() for v in column]
    else:
        raise _Unusual
    if default != "" and not all(out):  # blank text takes the default: the careful pass
        raise _Unusual
    if _UNWRITABLE.search("\n".join(v for v in out if v)):
        raise _Unusual
    return out


def _fast_asset_class(column: list[Any], spec: LotColumn, as_of: dt.date | None) -> list[Any]:
    try:
        return list(map(CLASS_SPELLINGS.__getitem__, column))
    except (KeyError, TypeError):
        raise _Unusual from None


def _fast_date(column: list[Any], spec: LotColumn, as_of: dt.date | None) -> list[dt.date]:
    types = _types(column)
    if types <= {dt.date}:
        out = column
    elif all(issubclass(t, dt.date) for t in types):
        # openpyxl reads date cells as datetimes, pandas gives Timestamps: the day counts.
        out = [v.date() if isinstance(v, dt.datetime) else v for v in column]
    else:
        raise _Unusual
    if out and as_of is not None and max(out) > as_of:
        raise _Unusual
    return out


def _fast_positive(column: list[Any], spec: LotColumn, as_of: dt.date | None) -> list[Decimal]:
    out = _numbers(column)
    if out and min(out) <= 0:
        raise _Unusual
    return out


def _fast_money(column: list[Any], spec: LotColumn, as_of: dt.date | None) -> list[Decimal]:
    out = _numbers(column)
    if out and min(out) < 0:
        raise _Unusual
    return out


def _fast_optional_money(column: list[Any], spec: LotColumn, as_of: dt.date | None) -> list[Any]:
    default = spec.default
    types = _types(column)
    if types <= {_NONE}:
        return column if default is None else [default] * len(column)
    if not types <= {_NONE, int, float, Decimal}:
        raise _Unusual
    blank = [v is None or (type(v) is float and v != v) for v in column]  # NaN: pandas'
    values = _numbers([v for v, b in zip(column, blank) if not b])
    if values and min(values) < 0:
        raise _Unusual
    it = iter(values)
    return [default if b else next(it) for b in blank]


def _fast_flag(column: list[Any], spec: LotColumn, as_of: dt.date | None) -> list[Any]:
    default = spec.default
    types = _types(column)
    if types <= {_NONE}:
        return [default] * len(column)
    if not types <= {_NONE, bool, str}:
        raise _Unusual
    try:
        return [default if v is None else v if type(v) is bool else _FLAGS[v] for v in column]
    except KeyError:
        raise _Unusual from None


def _columns(lots: Any, schema: _Schema | None = None) -> dict[str, list[Any]]:
    names = (schema or _LOTS).fields
    if _is_frame(lots):
        n = len(lots)
        return {k: lots[k].tolist() if k in lots.columns else [None] * n for k in names}
    if not all(isinstance(r, dict) for r in lots):
        raise _Unusual
    return {k: list(map(dict.get, lots, repeat(k))) for k in names}


def _parse_columns(cols: dict[str, list[Any]], as_of: dt.date | None) -> LotTable:
    typed = {field: fast(cols[field], spec, as_of) for field, fast, spec in _LOTS.fast}
    return LotTable(*map(typed.__getitem__, COLUMN_NAMES))


def _parse_records(cols: dict[str, list[Any]], as_of: dt.date | None, schema: _Schema) -> list[Any]:
    """The columnar pass for another declaration's records (the property tests')."""
    typed: dict[str, Sequence[Any]] = {
        field: fast(cols[field], spec, as_of) for field, fast, spec in schema.fast
    }
    typed["row"] = range(len(cols[schema.id_step[0]]))
    return list(map(schema.record, *map(typed.__getitem__, schema.positions)))


# --- the careful pass ----------------------------------------------------------------

# One value (blank only for kinds that take blanks) → its typed value, or InputError
# naming its place, ``at(field)``.
_Careful = Callable[[Any, Callable[[str], str], LotColumn, dt.date | None], Any]


def _records(lots: Any) -> list[dict[str, Any]]:
    if _is_frame(lots):
        records: list[dict[str, Any]] = lots.to_dict(orient="records")
        return records
    return [dict(r) for r in lots]


def _default_place(row: int, lot_id: str, column: str) -> str:
    return f"lot {lot_id}: {column}" if lot_id else f"lot in row {row + 1}: {column}"


def _careful_id(
    value: Any, at: Callable[[str], str], spec: LotColumn, as_of: dt.date | None
) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return _writable(str(value).strip(), at, spec)


def _careful_required_text(
    value: Any, at: Callable[[str], str], spec: LotColumn, as_of: dt.date | None
) -> str:
    return _writable(str(value).strip(), at, spec)


def _careful_text(
    value: Any, at: Callable[[str], str], spec: LotColumn, as_of: dt.date | None
) -> Any:
    return spec.default if is_blank(value) else _writable(str(value).strip(), at, spec)


# Characters XML 1.0 cannot hold (control characters but tab and newline, lone
# surrogates, U+FFFE and U+FFFF): text with one would make a workbook that no spreadsheet
# opens, or make openpyxl fail half way through writing it.
_UNWRITABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _writable(text: str, at: Callable[[str], str], spec: LotColumn) -> str:
    bad = _UNWRITABLE.search(text)
    if bad:
        raise InputError(
            f"{at(spec.field)}: contains U+{ord(bad.group()):04X}, a character a workbook "
            "cannot hold; remove it"
        )
    return text


def _careful_asset_class(
    value: Any, at: Callable[[str], str], spec: LotColumn, as_of: dt.date | None
) -> AssetClass:
    return parse_asset_class(value, at(spec.field))


def _careful_date(
    value: Any, at: Callable[[str], str], spec: LotColumn, as_of: dt.date | None
) -> dt.date:
    where = at(spec.field)
    day = as_date(value, where)
    if as_of is not None and day > as_of:
        raise InputError(f"{where}: {day} is after the as-of date {as_of}")
    return day


def _careful_positive(
    value: Any, at: Callable[[str], str], spec: LotColumn, as_of: dt.date | None
) -> Decimal:
    where = at(spec.field)
    amount = to_decimal(value, where)
    if amount <= 0:
        raise InputError(f"{where}: must be greater than 0, got {amount}")
    return amount


def _careful_money(
    value: Any, at: Callable[[str], str], spec: LotColumn, as_of: dt.date | None
) -> Decimal:
    where = at(spec.field)
    amount = to_decimal(value, where)
    if amount < 0:
        raise InputError(f"{where}: must be zero or more, got {amount}")
    return amount


def _careful_optional_money(
    value: Any, at: Callable[[str], str], spec: LotColumn, as_of: dt.date | None
) -> Any:
    if is_blank(value):
        return spec.default
    where = at(spec.field)
    amount = to_decimal(value, where)
    if amount < 0:
        raise InputError(f"{where}: must be zero or more")
    return amount


def _careful_flag(
    value: Any, at: Callable[[str], str], spec: LotColumn, as_of: dt.date | None
) -> Any:
    if is_blank(value):
        return spec.default
    return parse_flag(value, at(spec.field), spec.default is True)


def _parse_rows(
    records: list[dict[str, Any]],
    as_of: dt.date | None,
    where: Locator,
    schema: _Schema | None = None,
) -> list[Lot]:
    """Row by row, raising the first error found, by its place: the lot ID first (it
    names the lot in the other errors), then the blanks a column refuses, then each
    value, in declaration order."""
    schema = schema or _LOTS
    id_field, read_id, id_spec = schema.id_step
    make, steps, must_have, reorder = (
        schema.record,
        schema.careful,
        schema.must_have,
        schema.reorder,
    )
    out: list[Lot] = []
    seen: dict[str, int] = {}
    for row, rec in enumerate(records):
        raw_id = rec.get(id_field)
        if is_blank(raw_id):
            raise InputError(f"{where(row, '', id_field)}: is empty")
        lot_id = read_id(raw_id, partial(where, row, ""), id_spec, as_of)

        def at(column: str, _row: int = row, _id: str = lot_id) -> str:
            return where(_row, _id, column)

        if lot_id in seen:
            first = where(seen[lot_id], lot_id, id_field)
            raise InputError(f"{at(id_field)}: duplicate lot ID {lot_id!r} (first at {first})")
        seen[lot_id] = row
        for field in must_have:
            if is_blank(rec.get(field)):
                raise InputError(f"{at(field)}: is empty")
        get = rec.get
        args = [lot_id, *[parse(get(f), at, spec, as_of) for f, parse, spec in steps], row]
        out.append(make(*args) if reorder is None else make(*map(args.__getitem__, reorder)))
    return out


# --- the declaration, compiled -------------------------------------------------------

# Each kind's pair of converters: the columnar pass's, the careful pass's.
_KINDS: dict[LotKind, tuple[_Fast, _Careful]] = {
    "id": (_fast_id, _careful_id),
    "required text": (_fast_required_text, _careful_required_text),
    "text": (_fast_text, _careful_text),
    "asset class": (_fast_asset_class, _careful_asset_class),
    "date": (_fast_date, _careful_date),
    "positive number": (_fast_positive, _careful_positive),
    "money": (_fast_money, _careful_money),
    "optional money": (_fast_optional_money, _careful_optional_money),
    "flag": (_fast_flag, _careful_flag),
}


@dataclass(frozen=True)
class _Schema:
    """A declaration of Lots columns, ready for the two passes."""

    record: type[Any]  # a dataclass with a field per stored column, and ``row``
    fields: tuple[str, ...]  # the stored columns, in declaration order
    fast: tuple[tuple[str, _Fast, LotColumn], ...]  # per stored column
    id_step: tuple[str, _Careful, LotColumn]
    careful: tuple[tuple[str, _Careful, LotColumn], ...]  # per stored column but the ID
    must_have: tuple[str, ...]  # blank refused, in declaration order (the ID aside)
    positions: tuple[str, ...]  # ``record``'s fields, in its order
    reorder: tuple[int, ...] | None  # (ID, careful's fields, row) → positions; None: same


def _compile(declaration: Sequence[LotColumn], record: type[Any] = Lot) -> _Schema:
    check_declaration(declaration)
    stored = [c for c in declaration if c.stored]
    positions = tuple(f.name for f in dataclass_fields(record))
    names = tuple(c.field for c in stored)
    if sorted(positions) != sorted((*names, "row")):
        raise ValueError(
            f"{record.__name__} has fields {positions}; the Lots columns stored are {names}"
        )
    id_column = next(c for c in stored if c.kind == "id")
    others = [c for c in stored if c is not id_column]
    careful_order = (id_column.field, *(c.field for c in others), "row")
    return _Schema(
        record=record,
        fields=names,
        fast=tuple((c.field, _KINDS[c.kind][0], c) for c in stored),
        id_step=(id_column.field, _KINDS["id"][1], id_column),
        careful=tuple((c.field, _KINDS[c.kind][1], c) for c in others),
        must_have=tuple(c.field for c in others if c.kind in BLANK_REFUSED),
        positions=positions,
        reorder=None if careful_order == positions else tuple(map(careful_order.index, positions)),
    )


_LOTS = _compile(LOT_DECLARATION)
