"""Positions: every lot valued at today's price, with its term and its flags."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from ..holding_period import long_term_date
from ..money import cents
from ..rulebook.model import Rules
from .inputs import RULE_KEYS
from .lots import Lot

__all__ = ["Position", "value_positions"]


@dataclass(slots=True)  # built once per lot: slots, not frozen, for speed
class Position:
    lot: Lot
    price: Decimal | None
    market_value: Decimal | None  # cents; None without a price
    unrealized: Decimal | None  # market value − cost basis, cents
    term: str  # "short" or "long" for a sale on the as-of date
    long_term_on: dt.date
    days_to_long_term: int
    wash_sale_until: dt.date | None = None  # a loss sale now would be a wash sale
    wash_sale_reason: str = ""
    flags: list[str] = field(default_factory=list)

    @property
    def harvestable_loss(self) -> bool:
        return (
            self.unrealized is not None
            and self.unrealized < 0
            and self.wash_sale_until is None
            and not self.lot.exclude
        )


def _group_of(identical: Sequence[Iterable[str]]) -> dict[str, str]:
    """Map each asset (upper case) to a group label; assets not listed are their own group."""
    out: dict[str, str] = {}
    for group in identical:
        members = [m.strip().upper() for m in group]
        label = "|".join(sorted(members))
        for m in members:
            out[m] = label
    return out


def value_positions(
    rules: Rules,
    lots: Sequence[Lot],
    prices: dict[str, Decimal],
    as_of: dt.date,
    identical: Sequence[Iterable[str]] = (),
) -> list[Position]:
    groups = _group_of([*rules.wash_sale.substantially_identical, *identical])
    by_group: dict[str, list[Lot]] = defaultdict(list)
    for lot in lots:
        by_group[groups.get(lot.asset.upper(), lot.asset.upper())].append(lot)

    out: list[Position] = []
    for lot in lots:
        price = lot.price_override if lot.price_override is not None else prices.get(lot.asset)
        flags: list[str] = []
        if price is None:
            mv = unrealized = None
            flags.append(f"no price for {lot.asset}")
        else:
            mv = cents(lot.quantity * price)
            unrealized = mv - lot.cost_basis
            if price == 0:
                flags.append("zero price: sell for a token amount to realize the loss")
        if lot.is_nft:
            flags.append("NFT: cannot be bought back")
        wash = getattr(rules.wash_sale.asset_classes, RULE_KEYS[lot.asset_class])
        until: dt.date | None = None
        reason = ""
        if wash.applies:
            window = dt.timedelta(days=wash.window_days)
            if as_of - lot.acquired <= window:
                flags.append(
                    f"bought within {wash.window_days} days: wash-sale window "
                    f"until {lot.acquired + window}"
                )
            group = by_group[groups.get(lot.asset.upper(), lot.asset.upper())]
            recent = [o for o in group if o is not lot and as_of - window <= o.acquired <= as_of]
            if recent and unrealized is not None and unrealized < 0:
                last = max(recent, key=lambda o: o.acquired)
                until = last.acquired + window
                reason = (
                    f"wash sale: {last.asset} bought {last.acquired} (lot {last.lot_id}); "
                    f"a loss sale before {until + dt.timedelta(days=1)} would be disallowed"
                )
                flags.append(reason)
        if lot.exclude:
            flags.append("excluded by you")
        long_on = long_term_date(lot.acquired, rules)
        out.append(
            Position(
                lot=lot,
                price=price,
                market_value=mv,
                unrealized=unrealized,
                term="long" if as_of >= long_on else "short",
                long_term_on=long_on,
                days_to_long_term=max(0, (long_on - as_of).days),
                wash_sale_until=until,
                wash_sale_reason=reason,
                flags=flags,
            )
        )
    return out
