"""The harvest engine's inputs: the profile, the lots and the prices, validated.

Every value is converted to ``Decimal`` or ``date`` here, once. Errors name the lot ID
and the field (``lot L7: quantity: must be greater than 0``); the workbook layer adds
the cell address before it calls in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any, Literal

from ..errors import InputError
from ..filing_status import FilingStatus, parse_filing_status
from ..holding_period import as_date
from ..money import ZERO, Number, to_decimal

__all__ = [
    "ASSET_CLASSES",
    "AssetClass",
    "Lot",
    "Profile",
    "ResolvedProfile",
    "parse_asset_class",
    "parse_lots",
    "parse_prices",
]

AssetClass = Literal["Crypto", "NFT", "NFT (collectible)", "Security"]
ASSET_CLASSES: tuple[AssetClass, ...] = ("Crypto", "NFT", "NFT (collectible)", "Security")
# Keys used for these classes in the rule files (wash_sale.asset_classes).
RULE_KEYS: dict[AssetClass, str] = {
    "Crypto": "crypto",
    "NFT": "nft",
    "NFT (collectible)": "nft_collectible",
    "Security": "security",
}


def parse_asset_class(value: object, where: str = "asset class") -> AssetClass:
    known = _CLASS_CACHE.get(value) if isinstance(value, str) else None
    if known is not None:
        return known
    text = " ".join(str(value or "").replace("_", " ").split()).lower()
    aliases: dict[str, AssetClass] = {
        "crypto": "Crypto",
        "cryptocurrency": "Crypto",
        "coin": "Crypto",
        "token": "Crypto",
        "nft": "NFT",
        "nft (collectible)": "NFT (collectible)",
        "nft collectible": "NFT (collectible)",
        "collectible": "NFT (collectible)",
        "security": "Security",
        "etf": "Security",
        "etp": "Security",
        "stock": "Security",
    }
    try:
        found = aliases[text]
    except KeyError:
        raise InputError(f"{where}: {value!r} is not one of {', '.join(ASSET_CLASSES)}") from None
    if isinstance(value, str):
        _CLASS_CACHE[value] = found
    return found


_CLASS_CACHE: dict[str, AssetClass] = {}


@dataclass(frozen=True)
class Profile:
    """The workbook's Profile sheet, in snake_case. ``None`` means "use the default".

    Defaults (see the README, "The objective and its defaults"):

    * ``tax_year``: the year of ``as_of_date``.
    * ``qualified_dividends``, realized gains and carryforwards: 0.
    * ``deduction``: the standard deduction for the year and filing status.
    * ``as_of_date``: today.
    * ``fee_rate``: 0.005 (0.5% per side: a typical exchange fee plus spread).
    * ``carryforward_value``: the long-term marginal rate (regular tax plus NIIT) on the
      same income with no gains realized. A dollar carried forward will usually offset a
      future long-term gain, so it is worth about that rate; it is not discounted.
    * ``min_benefit``: 0 (any positive net benefit is worth a trade).
    * ``rebuy``: True (buy back after the rules' wait, as the article advises).
    * ``harvest_gains``: False.
    """

    filing_status: str
    ordinary_income: Number
    tax_year: int | str | None = None
    qualified_dividends: Number | None = None
    deduction: Number | None = None
    realized_short_term: Number | None = None
    realized_long_term: Number | None = None
    carryforward_short_term: Number | None = None
    carryforward_long_term: Number | None = None
    as_of_date: dt.date | dt.datetime | str | None = None
    fee_rate: Number | None = None
    carryforward_value: Number | None = None
    min_benefit: Number | None = None
    rebuy: bool | str | None = None
    harvest_gains: bool | str | None = None

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> Profile:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise InputError(f"profile: unknown field(s) {', '.join(unknown)}")
        for required in ("filing_status", "ordinary_income"):
            if values.get(required) in (None, ""):
                raise InputError(f"profile: {required} is required")
        return cls(**dict(values))


DEFAULT_FEE_RATE = Decimal("0.005")


@dataclass(frozen=True)
class ResolvedProfile:
    """A ``Profile`` with defaults applied and every value typed."""

    tax_year: int
    filing_status: FilingStatus
    ordinary_income: Decimal
    qualified_dividends: Decimal
    deduction: Decimal | None
    realized_short_term: Decimal
    realized_long_term: Decimal
    carryforward_short_term: Decimal
    carryforward_long_term: Decimal
    as_of_date: dt.date
    fee_rate: Decimal
    carryforward_value: Decimal | None  # None: derived from the rules by the planner
    min_benefit: Decimal
    rebuy: bool
    harvest_gains: bool


def _flag(value: object, what: str, default: bool) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower()
    if text in ("yes", "y", "true", "1", "on"):
        return True
    if text in ("no", "n", "false", "0", "off"):
        return False
    raise InputError(f"{what}: expected yes or no, got {value!r}")


def resolve_profile(
    profile: Profile, today: dt.date | None = None, place: Callable[[str], str] | None = None
) -> ResolvedProfile:
    """Apply the defaults and type every value. ``place(field)`` names a field's cell."""
    where = place or (lambda name: f"profile: {name}")

    def number(name: str, default: Decimal | None = ZERO, nonneg: bool = False) -> Decimal | None:
        value = getattr(profile, name)
        if value is None or value == "":
            return default
        amount = to_decimal(value, where(name))
        if nonneg and amount < 0:
            raise InputError(f"{where(name)}: must be zero or more")
        return amount

    def money(name: str, nonneg: bool = False) -> Decimal:
        value = number(name, ZERO, nonneg)
        assert value is not None
        return value

    if profile.as_of_date in (None, ""):
        as_of = today or dt.date.today()
    else:
        as_of = as_date(profile.as_of_date, where("as_of_date"))
    year_value: object = profile.tax_year
    if year_value is None or year_value == "":
        year = as_of.year
    else:
        try:
            year = int(str(year_value).split(".")[0])
        except ValueError:
            raise InputError(f"{where('tax_year')}: expected a year, got {year_value!r}") from None
    fee_rate = number("fee_rate", DEFAULT_FEE_RATE, nonneg=True)
    assert fee_rate is not None
    if fee_rate >= 1:
        raise InputError(f"{where('fee_rate')}: a share of proceeds, such as 0.005 for 0.5%")
    cv = number("carryforward_value", None)
    if cv is not None and not 0 <= cv <= 1:
        raise InputError(f"{where('carryforward_value')}: dollars of value per $1 carried, 0 to 1")
    if profile.ordinary_income is None or profile.ordinary_income == "":
        raise InputError(f"{where('ordinary_income')}: is empty")
    try:
        status = parse_filing_status(profile.filing_status)
    except InputError as exc:
        raise InputError(f"{where('filing_status')}: {exc}") from None
    return ResolvedProfile(
        tax_year=year,
        filing_status=status,
        ordinary_income=money("ordinary_income"),
        qualified_dividends=money("qualified_dividends", nonneg=True),
        deduction=number("deduction", None, nonneg=True),
        realized_short_term=money("realized_short_term"),
        realized_long_term=money("realized_long_term"),
        carryforward_short_term=money("carryforward_short_term", nonneg=True),
        carryforward_long_term=money("carryforward_long_term", nonneg=True),
        as_of_date=as_of,
        fee_rate=fee_rate,
        carryforward_value=cv,
        min_benefit=money("min_benefit", nonneg=True),
        rebuy=_flag(profile.rebuy, where("rebuy"), True),
        harvest_gains=_flag(profile.harvest_gains, where("harvest_gains"), False),
    )


@dataclass(slots=True)  # built once per lot: slots, not frozen, for speed
class Lot:
    """One open tax lot, typed. ``row`` is its position in the input (0-based)."""

    lot_id: str
    asset: str
    asset_class: AssetClass
    wallet: str
    acquired: dt.date
    quantity: Decimal
    cost_basis: Decimal
    tx_id: str
    price_override: Decimal | None = None
    exclude: bool = False
    row: int = 0

    @property
    def is_nft(self) -> bool:
        return self.asset_class in ("NFT", "NFT (collectible)")


LOT_COLUMNS = (
    "lot_id",
    "asset",
    "asset_class",
    "wallet",
    "acquired",
    "quantity",
    "cost_basis",
    "tx_id",
)
OPTIONAL_LOT_COLUMNS = ("price_override", "exclude", "notes")


def _records(lots: Any) -> list[dict[str, Any]]:
    if hasattr(lots, "to_dict") and hasattr(lots, "columns"):  # a pandas DataFrame
        records: list[dict[str, Any]] = lots.to_dict(orient="records")
        return records
    return [dict(r) for r in lots]


def _blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and value != value:  # NaN from pandas
        return True
    return isinstance(value, str) and not value.strip()


Locator = Callable[[int, str, str], str]


def _default_place(row: int, lot_id: str, column: str) -> str:
    return f"lot {lot_id}: {column}" if lot_id else f"lot in row {row + 1}: {column}"


def _fast_decimal(value: object) -> Decimal | None:
    """The common, always-valid cases, without building an error location."""
    if type(value) is float:
        return Decimal(repr(value)) if value == value and value not in (_INF, -_INF) else None
    if type(value) is int:
        return Decimal(value)
    if type(value) is Decimal and value.is_finite():
        return value
    return None


_INF = float("inf")


def _text(value: object) -> str:
    return "" if _blank(value) else str(value).strip()


def parse_lots(lots: Any, as_of: dt.date | None = None, place: Locator | None = None) -> list[Lot]:
    """Validate lots given as a DataFrame or a list of dicts with snake_case keys.

    ``place(row, lot_id, column)`` names where a bad value is (the workbook reader
    passes one that gives ``Lots!F14``); by default errors name the lot ID and field.
    The location is only worked out when something is wrong: this runs once per lot.
    """
    where = place or _default_place
    out: list[Lot] = []
    seen: dict[str, int] = {}
    for row, rec in enumerate(_records(lots)):
        raw_id = rec.get("lot_id")
        if _blank(raw_id):
            raise InputError(f"{where(row, '', 'lot_id')}: is empty")
        lot_id = str(raw_id).strip()
        if isinstance(raw_id, float) and raw_id.is_integer():
            lot_id = str(int(raw_id))

        def at(column: str, _row: int = row, _id: str = lot_id) -> str:
            return where(_row, _id, column)

        if lot_id in seen:
            first = where(seen[lot_id], lot_id, "lot_id")
            raise InputError(f"{at('lot_id')}: duplicate lot ID {lot_id!r} (first at {first})")
        seen[lot_id] = row
        asset, klass = rec.get("asset"), rec.get("asset_class")
        bought, raw_qty, raw_basis = rec.get("acquired"), rec.get("quantity"), rec.get("cost_basis")
        for col, value in (
            ("asset", asset),
            ("asset_class", klass),
            ("acquired", bought),
            ("quantity", raw_qty),
            ("cost_basis", raw_basis),
        ):
            if value is None or _blank(value):
                raise InputError(f"{at(col)}: is empty")
        if type(bought) is dt.date:
            acquired = bought
        else:
            acquired = as_date(bought, at("acquired"))
        if as_of is not None and acquired > as_of:
            raise InputError(f"{at('acquired')}: {acquired} is after the as-of date {as_of}")
        quantity = _fast_decimal(raw_qty)
        if quantity is None:
            quantity = to_decimal(raw_qty, at("quantity"))
        if quantity <= 0:
            raise InputError(f"{at('quantity')}: must be greater than 0, got {quantity}")
        basis = _fast_decimal(raw_basis)
        if basis is None:
            basis = to_decimal(raw_basis, at("cost_basis"))
        if basis < 0:
            raise InputError(f"{at('cost_basis')}: must be zero or more, got {basis}")
        override = rec.get("price_override")
        price_override = None
        if override is not None and not _blank(override):
            price_override = to_decimal(override, at("price_override"))
            if price_override < 0:
                raise InputError(f"{at('price_override')}: must be zero or more")
        exclude = rec.get("exclude")
        is_excluded = False
        if exclude is not None and not _blank(exclude):
            is_excluded = _flag(exclude, at("exclude"), False)
        known_class = _CLASS_CACHE.get(klass) if type(klass) is str else None
        out.append(
            Lot(
                lot_id=lot_id,
                asset=str(asset).strip(),
                asset_class=known_class or parse_asset_class(klass, at("asset_class")),
                wallet=_text(rec.get("wallet")),
                acquired=acquired,
                quantity=quantity,
                cost_basis=basis,
                tx_id=_text(rec.get("tx_id")),
                price_override=price_override,
                exclude=is_excluded,
                row=row,
            )
        )
    return out


def parse_prices(prices: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> dict[str, Decimal]:
    """Asset → price per unit. Blank prices are left out (the lot is flagged, not planned)."""
    items = prices.items() if isinstance(prices, Mapping) else prices
    out: dict[str, Decimal] = {}
    for asset, price in items:
        name = str(asset).strip()
        if not name or _blank(price):
            continue
        value = to_decimal(price, f"price of {name}")
        if value < 0:
            raise InputError(f"price of {name}: must be zero or more, got {value}")
        out[name] = value
    return out
