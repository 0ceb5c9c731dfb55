"""The Lots columns, declared once.

Each column says its engine field (snake_case, the ``Lot`` attribute), its workbook
header, its kind (how a value is checked and converted), whether the workbook must have
the column, the value a blank cell takes, and its width on the Lots sheet. The lot
parser (``lots``: both its columnar and its careful pass) and the workbook contract
(``workbook.contract.LOT_COLUMNS``: the reader, the template, the sample) are built
from this declaration, so a new Lots column is one line here (and a ``Lot`` field, when
it is stored; a new kind also needs its two converters in ``lots``).

The order is the workbook's, left to right; the careful pass checks a row's values in
this order, after the lot ID, which names the lot in every other error.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from ..output_tables import Kind

__all__ = [
    "BLANK_REFUSED",
    "CELL_KINDS",
    "LOT_DECLARATION",
    "LotColumn",
    "LotKind",
    "check_declaration",
]

LotKind = Literal[
    "id",  # text, required, unique; an integral number is its integer ("7", not "7.0")
    "required text",  # stripped; blank refused
    "text",  # stripped; blank: the default
    "asset class",  # one of domain.assets' classes, in any spelling it accepts
    "date",  # a date, a datetime (its day) or ISO text; not after the as-of date
    "positive number",  # a finite number greater than 0
    "money",  # a finite number, zero or more
    "optional money",  # as money; blank: the default
    "flag",  # yes/no, true/false, 1/0; blank: the default
]

# How each kind is shown and read in the workbook (number format, the reader's conversion).
CELL_KINDS: dict[LotKind, Kind] = {
    "id": "text",
    "required text": "text",
    "text": "text",
    "asset class": "text",
    "date": "date",
    "positive number": "number",
    "money": "money",
    "optional money": "money",
    "flag": "flag",
}

# Kinds whose blank cell is an error ("is empty"); blanks of the others take the default.
BLANK_REFUSED: frozenset[LotKind] = frozenset(
    {"id", "required text", "asset class", "date", "positive number", "money"}
)


@dataclass(frozen=True)
class LotColumn:
    field: str  # the Lot attribute, and the key in a dict or DataFrame of lots
    header: str  # as the workbook shows it; users' formulas refer to it
    kind: LotKind
    required: bool = True  # the workbook must have the column (its cells may be blank)
    default: str | bool | Decimal | None = None  # a blank cell's value (blank-taking kinds)
    width: int = 14  # on the Lots sheet
    stored: bool = True  # False: the workbook has it, the Lot does not (notes)
    shown: Kind | None = None  # the cell's format, when not the kind's (a price's digits)

    @property
    def cell_kind(self) -> Kind:
        return self.shown or CELL_KINDS[self.kind]


LOT_DECLARATION: tuple[LotColumn, ...] = (
    LotColumn("lot_id", "Lot ID", "id", width=10),
    LotColumn("asset", "Asset", "required text", width=12),
    LotColumn("asset_class", "Asset Class", "asset class", width=18),
    LotColumn("wallet", "Wallet", "text", default="", width=16),
    LotColumn("acquired", "Acquired", "date", width=12),
    LotColumn("quantity", "Quantity", "positive number", width=16),
    LotColumn("cost_basis", "Cost Basis", "money", width=16),
    LotColumn("tx_id", "Tx ID", "text", required=False, default="", width=18),
    LotColumn(
        "price_override",
        "Price Override",
        "optional money",
        required=False,
        width=15,
        shown="price",  # $0.00006 must not show as $0.00
    ),
    LotColumn("exclude", "Exclude", "flag", required=False, default=False, width=10),
    LotColumn("notes", "Notes", "text", required=False, default="", width=28, stored=False),
)

_DEFAULT_TYPES: dict[LotKind, tuple[type, ...]] = {
    "text": (str,),
    "optional money": (Decimal, type(None)),
    "flag": (bool,),
}


def check_declaration(columns: Iterable[LotColumn]) -> None:
    """Raise ``ValueError`` unless the columns make a declaration the parser can use."""
    columns = tuple(columns)
    for what in ("field", "header"):
        names = [getattr(c, what) for c in columns]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"Lots columns: {what} declared twice: {', '.join(repeated)}")
    ids = [c.field for c in columns if c.kind == "id" and c.stored]
    if len(ids) != 1 or sum(c.kind == "id" for c in columns) != 1:
        raise ValueError(f"Lots columns: need exactly one stored 'id' column, got {ids}")
    for c in columns:
        if c.kind not in CELL_KINDS:
            raise ValueError(f"Lots column {c.field}: unknown kind {c.kind!r}")
        if c.kind in BLANK_REFUSED:
            if c.default is not None:
                raise ValueError(f"Lots column {c.field}: a {c.kind} column takes no default")
            continue
        fits = isinstance(c.default, _DEFAULT_TYPES.get(c.kind, (object,)))
        if isinstance(c.default, Decimal) and not (c.default.is_finite() and c.default >= 0):
            fits = False
        if not fits:
            raise ValueError(f"Lots column {c.field}: default {c.default!r} is not a {c.kind}")


check_declaration(LOT_DECLARATION)
