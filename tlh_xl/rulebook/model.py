"""The typed model of a rule file (``rules/<jurisdiction>/<year>.yaml``).

Pydantic does the validation: unknown keys are refused (``extra="forbid"``), text is
refused where a number belongs, rates must lie in 0–1 and thresholds must increase. The
loader (``loader.py``) turns pydantic's errors into one line naming file, line and key.
``rules/schema.json`` is generated from this model (``tlh-xl rules schema``).

Whatever validates, the engine runs on. So each value has bounds no real rule file
reaches, and past them a value is refused here rather than crashing a computation:
amounts below 10^15 (``money.MAX_AMOUNT``, the bound on every amount the engine reads),
at most ``MAX_BRACKETS`` rates in a schedule, rounding multiples of at least $1, a
holding period of at most ``MAX_HOLDING_YEARS`` years, a wash-sale window and a rebuy
wait of at most a year, and a deadline that is a day of every year (the JSON Schema
states each bound but the last).

Each section carries ``reference``: the legal sources its values come from.

Every value here is read by some code (``tests/test_rules_all_read.py`` checks it). A
mechanic the code hard-codes and no law could change by a number (the indefinite loss
carryover, anniversary counting, trade-date deadlines) is not a setting: the rule files
say it in a comment, with its citation, and the model has no key for it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from ..filing_status import FilingStatus
from ..money import MAX_AMOUNT

__all__ = [
    "ASSET_CLASS_KEYS",
    "MAX_BRACKETS",
    "MAX_HOLDING_YEARS",
    "MAX_REBUY_HOURS",
    "MAX_WINDOW_DAYS",
    "Amount",
    "ByStatus",
    "CapitalGains",
    "CapitalLoss",
    "Deadline",
    "HoldingPeriod",
    "Indexing",
    "Multiples",
    "Niit",
    "OrdinaryIncome",
    "Rate",
    "Rebuy",
    "Reference",
    "Rules",
    "StandardDeduction",
    "Thresholds",
    "WashSale",
    "WashSaleClass",
]


def _number(value: Any) -> Any:
    # YAML gives int for 15_750 and (through our loader) Decimal for 0.22. Refuse text and
    # booleans, which pydantic would otherwise coerce: "15750" in a rule file is a typo.
    if isinstance(value, bool) or isinstance(value, str):
        raise ValueError("expected a number, not text")
    if isinstance(value, float):
        return Decimal(repr(value))
    return value


def _whole(value: Any) -> Any:
    # As for numbers: true is not 1, and "30" in a rule file is a typo.
    if isinstance(value, bool):
        raise ValueError("expected a whole number, not true/false")
    if isinstance(value, str):
        raise ValueError("expected a whole number, not text")
    return value


def _increasing(values: list[Decimal]) -> list[Decimal]:
    if not values or values[0] != 0:
        raise ValueError("the first threshold must be 0 (where the lowest rate starts)")
    for lower, upper in pairwise(values):
        if upper <= lower:
            raise ValueError(f"values must increase ({upper} follows {lower})")
    return values


# The bounds, each far past what a law has set (the law's value in brackets).
MAX_BRACKETS = 20  # rates in one schedule (federal 7, California 9, Hawaii 12)
MAX_HOLDING_YEARS = 10  # held more than this many years is long-term (1; §1061: 3)
MAX_WINDOW_DAYS = 366  # a wash-sale window, each side of the sale (30)
MAX_REBUY_HOURS = 366 * 24  # the wait before buying back (24)

# In the JSON Schema these are plain numbers: the loader refuses quoted ones.
Amount = Annotated[
    Decimal,
    Field(ge=0, lt=MAX_AMOUNT),
    BeforeValidator(_number),
    WithJsonSchema({"type": "number", "minimum": 0, "exclusiveMaximum": int(MAX_AMOUNT)}),
]
Rate = Annotated[
    Decimal,
    Field(ge=0, le=1),
    BeforeValidator(_number),
    WithJsonSchema({"type": "number", "minimum": 0, "maximum": 1}),
]
# A rounding multiple (``Indexing``): $1 or more, since ``rules new`` divides by it.
Multiple = Annotated[
    Decimal,
    Field(ge=1, lt=MAX_AMOUNT),
    BeforeValidator(_number),
    WithJsonSchema({"type": "number", "minimum": 1, "exclusiveMaximum": int(MAX_AMOUNT)}),
]
Thresholds = Annotated[list[Amount], Field(max_length=MAX_BRACKETS), AfterValidator(_increasing)]
Rates = Annotated[list[Rate], Field(min_length=1, max_length=MAX_BRACKETS)]

# On a whole number (a year, a count of days), after its bounds so that the JSON Schema
# keeps them: never text or true/false.
WHOLE = BeforeValidator(_whole)

ASSET_CLASS_KEYS = ("crypto", "nft", "nft_collectible", "security")


class _Strict(BaseModel):
    # defer_build: pydantic builds a model's validator when it first validates, not when
    # the class is defined. Rules read from the cache (``cache.py``) are rebuilt without
    # validation, so a process that only reads them never pays for building it.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Reference(_Strict):
    """A legal source: a title, and a link or citation."""

    title: str = Field(min_length=1)
    href: str | None = None


References = Annotated[list[Reference], Field(min_length=1)]


class ByStatus(_Strict):
    """One amount per filing status; every status must be present."""

    single: Amount
    married_joint: Amount
    married_separate: Amount
    head_of_household: Amount
    qualifying_surviving_spouse: Amount

    def of(self, status: FilingStatus) -> Decimal:
        value: Decimal = getattr(self, status)
        return value


class ThresholdsByStatus(_Strict):
    """Where each rate starts, per filing status; the first entry is 0."""

    single: Thresholds
    married_joint: Thresholds
    married_separate: Thresholds
    head_of_household: Thresholds
    qualifying_surviving_spouse: Thresholds

    def of(self, status: FilingStatus) -> list[Decimal]:
        value: list[Decimal] = getattr(self, status)
        return value


class Multiples(_Strict):
    """A rounding multiple per filing status ($25, $50): $1 or more."""

    single: Multiple
    married_joint: Multiple
    married_separate: Multiple
    head_of_household: Multiple
    qualifying_surviving_spouse: Multiple

    def of(self, status: FilingStatus) -> Decimal:
        value: Decimal = getattr(self, status)
        return value


class Indexing(_Strict):
    """How ``tlh-xl rules new`` projects an inflation-indexed amount to the next year.

    Each amount grows by the inflation rate and the increase is rounded *down* to the
    next lowest multiple given here for the filing status, as the cited Code section
    prescribes. A section is indexed exactly when it carries ``indexing``; its class
    names the amounts it applies to (``INDEXED``).
    """

    multiple: Multiples
    reference: str = Field(min_length=1)


class _RateSchedule(_Strict):
    INDEXED: ClassVar[str] = "thresholds"

    reference: References
    rates: Rates
    thresholds: ThresholdsByStatus
    indexing: Indexing

    @model_validator(mode="after")
    def _one_threshold_per_rate(self) -> _RateSchedule:
        for status in ThresholdsByStatus.model_fields:
            count = len(getattr(self.thresholds, status))
            if count != len(self.rates):
                raise ValueError(
                    f"thresholds.{status} has {count} values but there are "
                    f"{len(self.rates)} rates; give one threshold per rate"
                )
        for lower, upper in pairwise(self.rates):
            if upper <= lower:
                raise ValueError(f"rates must increase ({upper} follows {lower})")
        return self


class OrdinaryIncome(_RateSchedule):
    """The ordinary rate schedules (IRC §1(j)); thresholds are taxable income."""


class CapitalGains(_RateSchedule):
    """0/15/20% on net capital gain and qualified dividends (IRC §1(h), §1(j)(5)).

    ``thresholds`` are taxable income at which each rate starts: the IRS's "maximum zero
    rate amount" and "maximum 15-percent rate amount".
    """

    rates: Annotated[list[Rate], Field(min_length=3, max_length=3)]
    collectibles_rate: Rate


class StandardDeduction(_Strict):
    INDEXED: ClassVar[str] = "amount"

    reference: References
    amount: ByStatus
    indexing: Indexing


class CapitalLoss(_Strict):
    """IRC §1211(b) limit on losses against ordinary income.

    The §1212(b) carryover of the rest is not a setting: it is indefinite and keeps its
    short- or long-term character, as ``tax/schedule_d.py`` computes it.
    """

    reference: References
    limit: ByStatus


class Niit(_Strict):
    """Net investment income tax (IRC §1411).

    ``indexing`` is null: §1411(b) does not index the thresholds, so ``tlh-xl rules new``
    copies them. A law that indexes them would be written as ``indexing``, as in the
    other sections, and ``rules new`` would then project them.
    """

    INDEXED: ClassVar[str] = "thresholds"

    reference: References
    rate: Rate
    thresholds: ByStatus
    indexing: Indexing | None = None


class HoldingPeriod(_Strict):
    """Long-term means held *more than* this many years.

    Always counted by the anniversary rule (``holding_period.py``; Rev. Rul. 66-7), which
    is how the Code's "more than 1 year" is read, not a setting.
    """

    reference: References
    more_than_years: Annotated[int, Field(ge=1, le=MAX_HOLDING_YEARS), WHOLE]


class WashSaleClass(_Strict):
    applies: bool
    window_days: Annotated[int, Field(ge=0, le=MAX_WINDOW_DAYS), WHOLE]


class WashSaleClasses(_Strict):
    crypto: WashSaleClass
    nft: WashSaleClass
    nft_collectible: WashSaleClass
    security: WashSaleClass


class WashSale(_Strict):
    """IRC §1091: which asset classes it covers, and groups of substantially identical assets."""

    reference: References
    asset_classes: WashSaleClasses
    substantially_identical: list[Annotated[list[str], Field(min_length=2)]] = Field(
        default_factory=list
    )


class Rebuy(_Strict):
    """How long to wait before buying back when no wash-sale rule applies."""

    reference: References
    wait_hours: Annotated[int, Field(ge=0, le=MAX_REBUY_HOURS), WHOLE]


class Deadline(_Strict):
    """The last day a sale counts for the tax year. Sales always count by trade date (a
    sale on the last day settling after it still counts), not a setting."""

    reference: References
    month: Annotated[int, Field(ge=1, le=12), WHOLE]
    day: Annotated[int, Field(ge=1, le=31), WHOLE]

    @field_validator("day")
    @classmethod
    def _a_day_of_every_year(cls, day: int, info: ValidationInfo) -> int:
        month = info.data.get("month")
        if month is None:  # refused already
            return day
        name = f"{dt.date(2001, month, 1):%B}"
        try:
            dt.date(2000, month, day)
        except ValueError:
            raise ValueError(f"there is no {name} {day}") from None
        try:
            dt.date(2001, month, day)
        except ValueError:
            raise ValueError(
                f"{name} {day} is not in every year; give a day every year has"
            ) from None
        return day


BoxLetter = Annotated[str, Field(pattern=r"^[A-L]$")]


class Form8949Boxes(_Strict):
    """The box of one part (short- or long-term) for each way a sale can be reported."""

    basis_reported: BoxLetter  # a Form 1099-B/1099-DA showing basis reported to the IRS
    basis_not_reported: BoxLetter  # a form without basis, or basis not reported to the IRS
    no_statement: BoxLetter  # no Form 1099-B or 1099-DA


class Form8949Parts(_Strict):
    short: Form8949Boxes
    long: Form8949Boxes


class Form8949Kinds(_Strict):
    digital: Form8949Parts  # digital assets (crypto, NFTs): boxes G-L from 2025
    security: Form8949Parts  # securities (the spot ETFs): boxes A-F


class Form8949(_Strict):
    """Which Form 8949 box each sale goes in: by kind of asset, term and how a broker
    reported it. A broker reports the basis of a digital asset acquired in the account
    from ``broker_basis_reported_from`` on (a covered security); before that date, or
    for a lot moved into the account, basis is not reported."""

    reference: References
    boxes: Form8949Kinds
    broker_basis_reported_from: dt.date


class RuleFile(_Strict):
    """What the loader records of any rule file, federal or a state's: the file it came
    from and the files it extends (set by ``loader`` and ``cache``, not read from YAML)."""

    _path: Path | None = PrivateAttr(default=None)
    _inherits_from: tuple[Path, ...] = PrivateAttr(default=())

    @property
    def path(self) -> Path | None:
        """The file these rules were loaded from, if any."""
        return self._path

    @property
    def inherits_from(self) -> tuple[Path, ...]:
        """The files this one extends (``extends: 2025``), nearest first."""
        return self._inherits_from


class Rules(RuleFile):
    """One jurisdiction's rules for one tax year."""

    jurisdiction: Annotated[str, Field(pattern=r"^[a-z]{2}(-[a-z]{2})?$")]
    year: Annotated[int, Field(ge=2000, le=2100), WHOLE]
    status: Literal["official", "projected"]
    last_verified: dt.date | None
    notes: str | None = None
    ordinary_income: OrdinaryIncome
    capital_gains: CapitalGains
    standard_deduction: StandardDeduction
    capital_loss: CapitalLoss
    niit: Niit
    holding_period: HoldingPeriod
    wash_sale: WashSale
    rebuy: Rebuy
    deadline: Deadline
    form_8949: Form8949 | None = None  # from tax year 2025 (boxes G-L)
    # No ``cost_basis`` section: basis per wallet or account from 2025 (Treas. Reg.
    # §1.1012-1(j), Rev. Proc. 2024-28) belongs to a transaction ledger, which adds it
    # back with the code that reads it.

    @property
    def deadline_date(self) -> dt.date:
        return dt.date(self.year, self.deadline.month, self.deadline.day)

    def describe(self) -> str:
        """Short label such as ``us 2025 (official)`` for messages and the workbook."""
        return f"{self.jurisdiction} {self.year} ({self.status})"
