"""Positions: every lot valued at today's price, with its term and its flags."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..domain.assets import ASSET_CLASSES, NFT_CLASSES, RULE_KEYS
from ..domain.terms import Term
from ..errors import InputError
from ..holding_period import long_term_date
from ..money import MAX_AMOUNT, cents_each, format_usd
from ..rulebook.model import Rules, WashSaleClass
from .inputs import DEFAULT_MIN_TRADE
from .lot_table import Lot, LotTable

__all__ = ["Position", "PositionTable", "value_positions", "value_table"]


@dataclass(slots=True)  # the public record; the engine keeps positions as columns
class Position:
    lot: Lot
    price: Decimal | None
    market_value: Decimal | None  # cents; None without a price
    unrealized: Decimal | None  # market value − cost basis, cents
    term: Term  # for a sale on the as-of date
    long_term_on: dt.date
    days_to_long_term: int
    wash_sale_until: dt.date | None = None  # a loss sale now would be a wash sale
    wash_sale_reason: str = ""
    flags: tuple[str, ...] = ()

    @property
    def harvestable_loss(self) -> bool:
        return (
            self.unrealized is not None
            and self.unrealized < 0
            and self.wash_sale_until is None
            and not self.lot.exclude
        )


def _group_of(identical: Sequence[Iterable[str]]) -> dict[str, str]:
    """Map each asset (upper case) to a group label; assets not listed are their own group.

    Groups that share an asset are one group: if the rules make IBIT and FBTC identical
    and you make IBIT and BITB identical, FBTC and BITB are identical too.
    """
    parent: dict[str, str] = {}

    def root(asset: str) -> str:
        while parent.setdefault(asset, asset) != asset:
            asset = parent[asset]
        return asset

    for group in identical:
        members = [m.strip().upper() for m in group if m.strip()]
        for m in members[1:]:
            parent[root(m)] = root(members[0])
    return {asset: root(asset) for asset in parent}


@dataclass(frozen=True, slots=True)
class PositionTable:
    """Every lot valued, as columns beside the lots' own (``lots``): row ``i`` is lot
    ``i``. Wash-sale ends, reasons and flags are kept only for the few rows that have
    them (``noted``); ``Position`` records are made when a caller asks for them."""

    lots: LotTable
    price: list[Decimal | None]
    market_value: list[Decimal | None]  # cents; None without a price
    unrealized: list[Decimal | None]  # market value − cost basis, cents
    term: list[Term]  # for a sale on the as-of date
    long_term_on: list[dt.date]
    days_to_long_term: list[int]
    noted: dict[int, tuple[dt.date | None, str, tuple[str, ...]]]  # row → until, why, flags
    # Rows worth less than the smallest trade: sold for their loss, never bought back.
    dust: frozenset[int] = frozenset()

    def __len__(self) -> int:
        return len(self.price)

    def wash_sale_until(self, i: int) -> dt.date | None:
        hit = self.noted.get(i)
        return None if hit is None else hit[0]

    def flags(self) -> list[tuple[str, ...]]:
        """Each row's flags (most have none)."""
        out: list[tuple[str, ...]] = [()] * len(self)
        for i, (_, _, flags) in self.noted.items():
            out[i] = flags
        return out

    def harvestable(self) -> list[int]:
        """The rows that can be sold at a loss now: priced below basis, not excluded,
        and not inside a wash-sale window."""
        exclude, noted = self.lots.exclude, self.noted
        return [
            i
            for i, u in enumerate(self.unrealized)
            if u is not None
            and u < 0
            and not exclude[i]
            and (i not in noted or noted[i][0] is None)
        ]

    def position(self, i: int) -> Position:
        until, reason, flags = self.noted.get(i, (None, "", ()))
        return Position(
            self.lots.lot(i),
            self.price[i],
            self.market_value[i],
            self.unrealized[i],
            self.term[i],
            self.long_term_on[i],
            self.days_to_long_term[i],
            until,
            reason,
            flags,
        )

    def records(self) -> list[Position]:
        noted = self.noted
        return [
            Position(lot, price, mv, u, term, long_on, days, *noted.get(i, _UNNOTED))
            for i, (lot, price, mv, u, term, long_on, days) in enumerate(
                zip(
                    self.lots.records(),
                    self.price,
                    self.market_value,
                    self.unrealized,
                    self.term,
                    self.long_term_on,
                    self.days_to_long_term,
                )
            )
        ]

    def column(self, source: str) -> list[Any]:
        """The values of an output column's ``source`` (``lot.asset``, ``price``, ...)."""
        if source.startswith("lot."):
            values: list[Any] = getattr(self.lots, source[4:])
            return values
        if source == "flags":
            return self.flags()
        if source in ("wash_sale_until", "wash_sale_reason"):
            at = 0 if source == "wash_sale_until" else 1
            blank = None if at == 0 else ""
            out: list[Any] = [blank] * len(self)
            for i, hit in self.noted.items():
                out[i] = hit[at]
            return out
        values = getattr(self, source)
        return values


_UNNOTED: tuple[None, str, tuple[str, ...]] = (None, "", ())


def _check_values(lots: LotTable, values: list[Decimal | None]) -> None:
    """Refuse a lot whose quantity × price is beyond any real amount: each is below
    10^15, but their product need not be, and cents of it would overflow."""
    known = [v for v in values if v is not None]
    if known and max(known) >= MAX_AMOUNT:
        i = next(i for i, v in enumerate(values) if v is not None and v >= MAX_AMOUNT)
        raise InputError(
            f"lot {lots.lot_id[i]}: its market value, {lots.quantity[i]} × the price, "
            "is beyond any real amount (at most 10^15 dollars)"
        )


def value_positions(
    rules: Rules,
    lots: Sequence[Lot],
    prices: dict[str, Decimal],
    as_of: dt.date,
    identical: Sequence[Iterable[str]] = (),
) -> list[Position]:
    """Every lot valued at ``prices`` (or its own price override) on ``as_of``."""
    return value_table(rules, LotTable.from_lots(lots), prices, as_of, identical).records()


def value_table(
    rules: Rules,
    lots: LotTable,
    prices: dict[str, Decimal],
    as_of: dt.date,
    identical: Sequence[Iterable[str]] = (),
    min_trade: Decimal = DEFAULT_MIN_TRADE,
) -> PositionTable:
    """Every lot valued at ``prices`` (or its own price override) on ``as_of``, column by
    column: a few list comprehensions over 100,000 lots rather than an object per lot."""
    washing: dict[str, WashSaleClass] = {
        klass: rule
        for klass in ASSET_CLASSES
        if (rule := getattr(rules.wash_sale.asset_classes, RULE_KEYS[klass])).applies
    }
    flagged = set(washing) | NFT_CLASSES  # classes that always get a look
    recent = _recent_purchases(rules, lots, as_of, identical, washing)
    get = prices.get
    price = [
        get(asset) if override is None else override
        for asset, override in zip(lots.asset, lots.price_override)
    ]
    gross = [None if p is None else q * p for q, p in zip(lots.quantity, price)]
    _check_values(lots, gross)
    mv = cents_each(gross)
    unrealized = [None if m is None else m - b for m, b in zip(mv, lots.cost_basis)]
    # Lots share acquisition dates: each date's term is worked out once.
    when: dict[dt.date, tuple[Term, dt.date, int]] = {}
    for day in set(lots.acquired):
        long_on = long_term_date(day, rules)
        when[day] = (
            "long" if as_of >= long_on else "short",
            long_on,
            max(0, (long_on - as_of).days),
        )
    terms = list(map(when.__getitem__, lots.acquired))
    # Dust: worth something, but less than the smallest trade (LUNC at $0.00006, $0.03 of
    # it). Its loss is real; buying $0.03 back is not a trade anyone makes. (An NFT is
    # never bought back anyway, and says so.)
    dust = frozenset(
        i
        for i, m in enumerate(mv)
        if m is not None and 0 < m < min_trade and lots.asset_class[i] not in NFT_CLASSES
    )
    noted = {
        i: _flags(lots, i, price[i], unrealized[i], as_of, washing, recent, dust, min_trade)
        for i, (p, x, klass) in enumerate(zip(price, lots.exclude, lots.asset_class))
        if not p or x or klass in flagged or i in dust  # the few with something to say
    }
    return PositionTable(
        lots,
        price,
        mv,
        unrealized,
        [t[0] for t in terms],
        [t[1] for t in terms],
        [t[2] for t in terms],
        noted,
        dust,
    )


# Identical-asset group → its latest two purchases (rows), latest first (a lot's own
# purchase is not a replacement for it, so the runner-up answers for the latest lot).
Purchases = dict[str, list[int]]


def _group_label(groups: dict[str, str], asset: str) -> str:
    return groups.get(asset.upper(), asset.upper())


def _recent_purchases(
    rules: Rules,
    lots: LotTable,
    as_of: dt.date,
    identical: Sequence[Iterable[str]],
    washing: dict[str, WashSaleClass],
) -> tuple[dict[str, str], Purchases]:
    """The latest two lots bought inside the longest wash-sale window, by identical-asset
    group: enough to find any lot's latest replacement in one step, however many lots
    a group holds. On equal dates the earlier row wins."""
    groups = _group_of([*rules.wash_sale.substantially_identical, *identical])
    by_group: Purchases = defaultdict(list)
    if washing:
        longest = dt.timedelta(days=max(w.window_days for w in washing.values()))
        acquired = lots.acquired
        for i, day in enumerate(acquired):
            if as_of - longest <= day <= as_of:
                latest = by_group[_group_label(groups, lots.asset[i])]
                if not latest or day > acquired[latest[0]]:
                    latest.insert(0, i)
                elif len(latest) < 2 or day > acquired[latest[1]]:
                    latest[1:] = [i]
                del latest[2:]
    return groups, by_group


def _flags(
    lots: LotTable,
    i: int,
    price: Decimal | None,
    unrealized: Decimal | None,
    as_of: dt.date,
    washing: dict[str, WashSaleClass],
    recent: tuple[dict[str, str], Purchases],
    dust: frozenset[int] = frozenset(),
    min_trade: Decimal = DEFAULT_MIN_TRADE,
) -> tuple[dt.date | None, str, tuple[str, ...]]:
    """(wash-sale end, its reason, flags) for a lot with something to say about it."""
    flags: list[str] = []
    asset, acquired = lots.asset[i], lots.acquired[i]
    if price is None:
        flags.append(f"no price for {asset}")
    elif price == 0:
        flags.append("zero price: sell for a token amount to realize the loss")
    elif i in dust:
        flags.append(
            f"dust: worth less than the smallest trade ({format_usd(min_trade)}); "
            "selling it still realizes the loss, buying it back is pointless"
        )
    if lots.is_nft(i):
        flags.append("NFT: cannot be bought back")
    until: dt.date | None = None
    reason = ""
    wash = washing.get(lots.asset_class[i])
    if wash is not None:
        window = dt.timedelta(days=wash.window_days)
        if as_of - acquired <= window:
            flags.append(
                f"bought within {wash.window_days} days: wash-sale window until {acquired + window}"
            )
        groups, by_group = recent
        latest = by_group.get(_group_label(groups, asset), [])
        last = next((o for o in latest if o != i), None)
        if last is not None and as_of - window <= lots.acquired[last] and (unrealized or 0) < 0:
            until = lots.acquired[last] + window
            reason = (
                f"wash sale: {lots.asset[last]} bought {lots.acquired[last]} "
                f"(lot {lots.lot_id[last]}); "
                f"a loss sale before {until + dt.timedelta(days=1)} would be disallowed"
            )
            flags.append(reason)
    if lots.exclude[i]:
        flags.append("excluded by you")
    return until, reason, tuple(flags)
