"""The harvest engine's inputs: the profile and prices, validated.

Every value is converted to ``Decimal`` or ``date`` here, once; the lots are parsed in
``lots``. Errors name the field; the workbook layer passes locators that add the cell.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any

from ..errors import InputError
from ..filing_status import FilingStatus, parse_filing_status
from ..holding_period import as_date
from ..money import ZERO, Number, to_decimal

__all__ = [
    "Profile",
    "ResolvedProfile",
    "is_blank",
    "parse_flag",
    "parse_prices",
    "parse_state",
    "resolve_profile",
]


@dataclass(frozen=True)
class Profile:
    """The workbook's Profile sheet, in snake_case. ``None`` means "use the default".

    Defaults (see the README, "The objective and its defaults"):

    * ``tax_year``: the year of ``as_of_date``.
    * ``qualified_dividends``, realized gains and carryforwards: 0.
    * ``realized_collectibles``: long-term collectibles gain (or loss) already realized
      this year, taxed at up to 28%; it is *not* included in ``realized_long_term``.
    * ``deduction``: the standard deduction for the year and filing status.
    * ``as_of_date``: today.
    * ``fee_rate``: 0.005 (0.5% per side: a typical exchange fee plus spread).
    * ``carryforward_value``: the long-term marginal rate (regular tax plus NIIT) on the
      same income with no gains realized. A dollar carried forward will usually offset a
      future long-term gain, so it is worth about that rate; it is not discounted.
    * ``min_benefit``: 0 (any positive net benefit is worth a trade).
    * ``rebuy``: True (buy back after the rules' wait, as the article advises).
    * ``harvest_gains``: False.
    * ``min_trade``: $1.00, about the smallest order an exchange takes. A position worth
      less is dust: selling it still realizes its loss, but buying it back is pointless,
      so the plan does not.
    * ``state``: none: federal tax only. A two-letter code (``CA``) adds that state's
      income tax, by its rule file, to the tax the plan minimizes.
    * ``time_zone`` and ``lot_method``: how lots are built from transactions, when they
      are (``tlh-xl fill`` on a workbook whose Lots table is empty and whose Transactions
      table is not): the IANA zone for bare dates and each sale's tax year (blank: UTC),
      and the method or standing order by year (blank: FIFO). The plan itself does not
      read them.
    * ``state_carryforward``: the state's own capital loss carryover from last year, for
      a state that keeps one apart from the federal carryforwards (California's Capital
      Loss Carryover Worksheet); blank: the federal carryforwards are taken as the
      state's. Refused for a state that keeps none of its own.
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
    realized_collectibles: Number | None = None
    min_trade: Number | None = None
    state: str | None = None
    time_zone: str | None = None
    lot_method: str | None = None
    state_carryforward: Number | None = None

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
DEFAULT_MIN_TRADE = Decimal("1.00")


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
    realized_collectibles: Decimal = ZERO
    min_trade: Decimal = DEFAULT_MIN_TRADE
    state: str | None = None  # two-letter code (CA); None: federal tax only
    # The state's own loss carryover in, where it keeps one (CA); None: the federal ones.
    state_carryforward: Decimal | None = None


def parse_flag(value: object, what: str, default: bool) -> bool:
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


def parse_state(value: object, what: str) -> str | None:
    """A state of residence as a two-letter code in capitals (``ca`` → ``CA``), or None
    for a blank cell (federal tax only). Whether the state has rules is for the rule
    files to say (``rulebook.load_state_rules``)."""
    if is_blank(value):
        return None
    code = str(value).strip()
    if len(code) != 2 or not code.isascii() or not code.isalpha():
        raise InputError(
            f"{what}: expected a two-letter state code such as CA, NJ or TX "
            f"(blank for federal tax only), got {value!r}"
        )
    return code.upper()


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
        rebuy=parse_flag(profile.rebuy, where("rebuy"), True),
        harvest_gains=parse_flag(profile.harvest_gains, where("harvest_gains"), False),
        realized_collectibles=money("realized_collectibles"),
        min_trade=number("min_trade", DEFAULT_MIN_TRADE, nonneg=True) or ZERO,
        state=parse_state(profile.state, where("state")),
        state_carryforward=number("state_carryforward", None, nonneg=True),
    )


def is_blank(value: object) -> bool:
    """None, NaN (pandas' empty cell) or whitespace."""
    if value is None:
        return True
    if isinstance(value, float) and value != value:  # NaN from pandas
        return True
    return isinstance(value, str) and not value.strip()


def parse_prices(prices: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> dict[str, Decimal]:
    """Asset → price per unit. Blank prices are left out (the lot is flagged, not planned)."""
    items = prices.items() if isinstance(prices, Mapping) else prices
    out: dict[str, Decimal] = {}
    for asset, price in items:
        name = str(asset).strip()
        if not name or is_blank(price):
            continue
        value = to_decimal(price, f"price of {name}")
        if value < 0:
            raise InputError(f"price of {name}: must be zero or more, got {value}")
        out[name] = value
    return out
