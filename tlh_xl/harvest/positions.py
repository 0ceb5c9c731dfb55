"""Positions: every lot valued at today's price, with its term and its flags."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from ..domain.assets import ASSET_CLASSES, NFT_CLASSES, RULE_KEYS
from ..domain.terms import Term
from ..holding_period import long_term_date
from ..money import cents
from ..rulebook.model import Rules, WashSaleClass
from .lots import Lot

__all__ = ["Position", "value_positions"]


@dataclass(slots=True)  # built once per lot: slots, not frozen, for speed
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


def value_positions(
    rules: Rules,
    lots: Sequence[Lot],
    prices: dict[str, Decimal],
    as_of: dt.date,
    identical: Sequence[Iterable[str]] = (),
) -> list[Position]:
    """Every lot valued at ``prices`` (or its own price override) on ``as_of``."""
    washing: dict[str, WashSaleClass] = {
        klass: rule
        for klass in ASSET_CLASSES
        if (rule := getattr(rules.wash_sale.asset_classes, RULE_KEYS[klass])).applies
    }
    flagged = set(washing) | NFT_CLASSES  # classes that always get a look
    recent = _recent_purchases(rules, lots, as_of, identical, washing)
    # Lots share acquisition dates: work out each date's term once.
    terms: dict[dt.date, tuple[Term, dt.date, int]] = {}
    out: list[Position] = []
    for lot in lots:
        price = lot.price_override if lot.price_override is not None else prices.get(lot.asset)
        if price is None:
            mv = unrealized = None
        else:
            mv = cents(lot.quantity * price)
            unrealized = mv - lot.cost_basis
        when = terms.get(lot.acquired)
        if when is None:
            long_on = long_term_date(lot.acquired, rules)
            when = terms[lot.acquired] = (
                "long" if as_of >= long_on else "short",
                long_on,
                max(0, (long_on - as_of).days),
            )
        if not price or lot.exclude or lot.asset_class in flagged:  # the few with flags
            until, reason, flags = _flags(lot, price, unrealized, as_of, washing, recent)
            out.append(Position(lot, price, mv, unrealized, *when, until, reason, flags))
        else:
            out.append(Position(lot, price, mv, unrealized, *when))
    return out


# Identical-asset group → its latest two purchases, latest first (a lot's own purchase
# is not a replacement for it, so the runner-up answers for the latest lot itself).
Purchases = dict[str, list[Lot]]


def _group_label(groups: dict[str, str], asset: str) -> str:
    return groups.get(asset.upper(), asset.upper())


def _recent_purchases(
    rules: Rules,
    lots: Sequence[Lot],
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
        for lot in lots:
            if as_of - longest <= lot.acquired <= as_of:
                latest = by_group[_group_label(groups, lot.asset)]
                if not latest or lot.acquired > latest[0].acquired:
                    latest.insert(0, lot)
                elif len(latest) < 2 or lot.acquired > latest[1].acquired:
                    latest[1:] = [lot]
                del latest[2:]
    return groups, by_group


def _flags(
    lot: Lot,
    price: Decimal | None,
    unrealized: Decimal | None,
    as_of: dt.date,
    washing: dict[str, WashSaleClass],
    recent: tuple[dict[str, str], Purchases],
) -> tuple[dt.date | None, str, tuple[str, ...]]:
    """(wash-sale end, its reason, flags) for a lot with something to say about it."""
    flags: list[str] = []
    if price is None:
        flags.append(f"no price for {lot.asset}")
    elif price == 0:
        flags.append("zero price: sell for a token amount to realize the loss")
    if lot.is_nft:
        flags.append("NFT: cannot be bought back")
    until: dt.date | None = None
    reason = ""
    wash = washing.get(lot.asset_class)
    if wash is not None:
        window = dt.timedelta(days=wash.window_days)
        if as_of - lot.acquired <= window:
            flags.append(
                f"bought within {wash.window_days} days: wash-sale window "
                f"until {lot.acquired + window}"
            )
        groups, by_group = recent
        latest = by_group.get(_group_label(groups, lot.asset), [])
        last = next((o for o in latest if o is not lot), None)
        if last is not None and as_of - window <= last.acquired and (unrealized or 0) < 0:
            until = last.acquired + window
            reason = (
                f"wash sale: {last.asset} bought {last.acquired} (lot {last.lot_id}); "
                f"a loss sale before {until + dt.timedelta(days=1)} would be disallowed"
            )
            flags.append(reason)
    if lot.exclude:
        flags.append("excluded by you")
    return until, reason, tuple(flags)
