"""``plan_harvest``: from a profile, lots and prices to the sales, positions and summary.

Data flows one way: inputs are validated (``inputs``), lots valued (``positions``), the
optimizer picks amounts (``optimizer``), and this module turns its fractions into sale
records rounded to cents. The summary is then recomputed from those records with
``compute_tax``, so it reconciles with them exactly.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from decimal import ROUND_CEILING, Decimal
from typing import TYPE_CHECKING, Any

from ..errors import InputError
from ..money import ZERO, cents, format_usd
from ..rulebook.model import Rules
from ..tax.compute import TaxInputs, compute_tax, evaluate
from ..tax.schedule_d import net_capital
from .inputs import (
    RULE_KEYS,
    Lot,
    Profile,
    ResolvedProfile,
    parse_lots,
    parse_prices,
    resolve_profile,
)
from .optimizer import Candidate, optimize
from .positions import Position, value_positions

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["POSITION_COLUMNS", "SALE_COLUMNS", "HarvestPlan", "Sale", "Summary", "plan_harvest"]

QUANTUM = Decimal("0.00000001")  # quantities to 8 decimals (one satoshi)

SALE_COLUMNS = (
    "lot_id",
    "asset",
    "wallet",
    "tx_id",
    "acquired",
    "sell_date",
    "sell_quantity",
    "proceeds",
    "cost_basis",
    "gain_loss",
    "term",
    "fees",
    "rebuy_on",
    "note",
)
POSITION_COLUMNS = (
    "lot_id",
    "asset",
    "asset_class",
    "wallet",
    "tx_id",
    "acquired",
    "quantity",
    "cost_basis",
    "price",
    "market_value",
    "unrealized_gain_loss",
    "term",
    "long_term_on",
    "days_to_long_term",
    "flags",
)


@dataclass(slots=True)  # built once per lot: slots, not frozen, for speed
class Sale:
    lot_id: str
    asset: str
    wallet: str
    tx_id: str
    acquired: dt.date
    sell_date: dt.date
    sell_quantity: Decimal
    proceeds: Decimal
    cost_basis: Decimal
    gain_loss: Decimal
    term: str  # "Short-term" / "Long-term"
    fees: Decimal
    rebuy_on: dt.date | None
    note: str


@dataclass(frozen=True)
class Summary:
    tax_without_harvest: Decimal
    tax_with_harvest: Decimal
    tax_saved: Decimal
    trading_costs: Decimal
    net_benefit: Decimal
    loss_harvested_short_term: Decimal
    loss_harvested_long_term: Decimal
    ordinary_income_offset: Decimal
    carryforward_out_short_term: Decimal
    carryforward_out_long_term: Decimal
    deadline: dt.date
    days_to_deadline: int
    carryforward_value: Decimal
    carryforward_added: Decimal
    gain_harvested_long_term: Decimal
    rules_used: str


@dataclass(frozen=True)
class HarvestPlan:
    """The plan: ``sales`` and ``positions`` as DataFrames, ``summary`` as figures."""

    sale_records: list[Sale]
    position_records: list[Position]
    summary: Summary
    profile: ResolvedProfile
    objective: Decimal = ZERO  # the optimizer's exact net benefit, before cent rounding
    exact: bool = True
    messages: list[str] = field(default_factory=list)

    @property
    def sales(self) -> pd.DataFrame:
        import pandas as pd

        frame: pd.DataFrame = pd.DataFrame(
            [asdict(s) for s in self.sale_records], columns=list(SALE_COLUMNS)
        )
        return frame

    @property
    def positions(self) -> pd.DataFrame:
        import pandas as pd

        frame: pd.DataFrame = pd.DataFrame(
            [_position_row(p) for p in self.position_records], columns=list(POSITION_COLUMNS)
        )
        return frame


def _position_row(p: Position) -> dict[str, Any]:
    lot = p.lot
    return {
        "lot_id": lot.lot_id,
        "asset": lot.asset,
        "asset_class": lot.asset_class,
        "wallet": lot.wallet,
        "tx_id": lot.tx_id,
        "acquired": lot.acquired,
        "quantity": lot.quantity,
        "cost_basis": lot.cost_basis,
        "price": p.price,
        "market_value": p.market_value,
        "unrealized_gain_loss": p.unrealized,
        "term": "Long-term" if p.term == "long" else "Short-term",
        "long_term_on": p.long_term_on,
        "days_to_long_term": p.days_to_long_term,
        "flags": "; ".join(p.flags),
    }


def _default_carryforward_value(rules: Rules, rp: ResolvedProfile) -> Decimal:
    """The long-term marginal rate (regular + NIIT) on the same income with no gains."""
    clean = compute_tax(
        rules,
        filing_status=rp.filing_status,
        ordinary_income=rp.ordinary_income,
        qualified_dividends=rp.qualified_dividends,
        deduction=rp.deduction,
    )
    return clean.marginal_long_term_rate


def _rebuy_on(rules: Rules, lot: Lot, rp: ResolvedProfile) -> tuple[dt.date | None, str]:
    if lot.is_nft:
        return None, "NFT: cannot be bought back"
    if not rp.rebuy:
        return None, ""
    wash = getattr(rules.wash_sale.asset_classes, RULE_KEYS[lot.asset_class])
    if wash.applies:
        until = rp.as_of_date + dt.timedelta(days=wash.window_days)
        return until + dt.timedelta(days=1), (
            f"{lot.asset_class}: wash-sale window until {until}; do not buy {lot.asset} "
            "or a substantially identical asset before then"
        )
    wait = dt.timedelta(hours=rules.rebuy.wait_hours)
    days = wait.days + (1 if wait.seconds else 0)
    return rp.as_of_date + dt.timedelta(days=days), ""


def _base_inputs(rp: ResolvedProfile) -> TaxInputs:
    return TaxInputs(
        filing_status=rp.filing_status,
        ordinary_income=rp.ordinary_income,
        st_gain=rp.realized_short_term,
        lt_gain=rp.realized_long_term,
        qualified_dividends=rp.qualified_dividends,
        deduction=rp.deduction,
        st_carryforward=rp.carryforward_short_term,
        lt_carryforward=rp.carryforward_long_term,
    )


def _check_dates(rules: Rules, rp: ResolvedProfile, where: Callable[[str], str]) -> None:
    if rp.tax_year != rules.year:
        raise InputError(
            f"{where('tax_year')}: tax year {rp.tax_year} does not match the rules for {rules.year}"
        )
    deadline = rules.deadline_date
    if rp.as_of_date > deadline:
        raise InputError(
            f"{where('as_of_date')}: the deadline for tax year {rules.year} "
            f"({deadline:%b %d, %Y}, trade date) has passed: a sale on {rp.as_of_date} "
            f"counts for {rp.as_of_date.year}"
        )
    if rp.as_of_date.year < rules.year:
        raise InputError(
            f"{where('as_of_date')}: {rp.as_of_date} is before tax year {rules.year}: "
            f"a sale then counts for {rp.as_of_date.year}"
        )


def _sell(lot: Lot, price: Decimal, fraction: Decimal) -> tuple[Decimal, Decimal, Decimal]:
    """(quantity, proceeds, basis) for selling a share of a lot, in satoshis and cents."""
    if fraction >= 1:
        qty = lot.quantity
    else:
        # Round the quantity up so the loss reached is at least the optimizer's amount.
        qty = min(lot.quantity, (lot.quantity * fraction).quantize(QUANTUM, ROUND_CEILING))
    if qty == lot.quantity:
        return qty, cents(qty * price), lot.cost_basis
    return qty, cents(qty * price), cents(lot.cost_basis * qty / lot.quantity)


def _describe(
    rules: Rules,
    before: TaxInputs,
    after: TaxInputs,
    short: bool,
    amount: Decimal,
) -> str:
    """What a sale's gain or loss does to this year's return, in words."""
    label = "short-term loss" if short else "long-term loss"
    if amount < 0:
        netted = net_capital(
            before.st_gain,
            before.lt_gain,
            before.collectibles_gain,
            before.st_carryforward,
            before.lt_carryforward,
            rules.capital_loss.limit.of(before.filing_status),
        )
        if netted.combined <= -netted.loss_deduction and netted.loss_deduction == (
            rules.capital_loss.limit.of(before.filing_status)
        ):
            # Already past the loss limit: more loss changes nothing this year (no need to
            # run the worksheets again for each of thousands of lots).
            return f"{label} carries {format_usd(-amount)} forward; no tax saved this year"
    e0, e1 = evaluate(rules, before), evaluate(rules, after)
    saved = e0.total_tax - e1.total_tax
    if amount > 0:  # a gain (gain harvesting)
        extra = format_usd(cents(-saved))
        return f"long-term gain taxed at 0%: resets the basis; tax this year {extra}"
    loss = -amount
    n0, n1 = e0.netting, e1.netting
    gains_offset = max(ZERO, n0.combined) - max(ZERO, n1.combined)
    deducted = n1.loss_deduction - n0.loss_deduction
    carried = e1.carryforward_out - e0.carryforward_out
    first = max(ZERO, n0.net_short_term if short else n0.net_long_term)
    own, other = min(gains_offset, first), gains_offset - min(gains_offset, first)
    own_name, other_name = ("short-term", "long-term") if short else ("long-term", "short-term")
    parts = []
    if own > 0:
        parts.append(f"offsets {format_usd(cents(own))} of {own_name} gains")
    if other > 0:
        parts.append(f"offsets {format_usd(cents(other))} of {other_name} gains")
    if deducted > 0:
        parts.append(f"deducts {format_usd(cents(deducted))} from ordinary income")
    if carried > 0:
        parts.append(f"carries {format_usd(cents(carried))} forward")
    rate = saved / loss * 100 if loss else ZERO
    what = ", ".join(parts) if parts else "no effect this year"
    return f"{label} {what}; saves {format_usd(cents(saved))} this year ({rate:.1f}% of the loss)"


def plan_harvest(
    rules: Rules,
    profile: Profile | Mapping[str, Any],
    lots: Any,
    prices: Mapping[str, Any] | Iterable[tuple[str, Any]],
    *,
    exclude: Iterable[str] = (),
    identical: Sequence[Iterable[str]] = (),
    today: dt.date | None = None,
    place: Callable[[int, str, str], str] | None = None,
    profile_place: Callable[[str], str] | None = None,
) -> HarvestPlan:
    """The harvest plan that maximizes net benefit (PRODUCT.md §3).

    ``lots`` is a DataFrame or a list of dicts with the Lots columns in snake_case;
    ``prices`` maps asset to USD price. ``exclude`` lists lot IDs that must not be sold;
    ``identical`` adds groups of substantially identical assets to the rules' own.
    ``place`` and ``profile_place`` name where a bad value sits (the workbook passes
    functions that give ``Lots!F14``); by default errors name the lot ID and field.
    """
    with _gc_paused():
        return _plan(rules, profile, lots, prices, exclude, identical, today, place, profile_place)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Planning builds a few objects per lot and frees none until the end; the cyclic
    garbage collector would rescan them again and again (a fifth of the time at 100k
    lots) for nothing. Reference counting still frees memory as usual."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _plan(
    rules: Rules,
    profile: Profile | Mapping[str, Any],
    lots: Any,
    prices: Mapping[str, Any] | Iterable[tuple[str, Any]],
    exclude: Iterable[str],
    identical: Sequence[Iterable[str]],
    today: dt.date | None,
    place: Callable[[int, str, str], str] | None,
    profile_place: Callable[[str], str] | None,
) -> HarvestPlan:
    if not isinstance(profile, Profile):
        profile = Profile.from_mapping(profile)
    rp = resolve_profile(profile, today, profile_place)
    _check_dates(rules, rp, profile_place or (lambda name: f"profile: {name}"))
    lot_list = parse_lots(lots, rp.as_of_date, place)
    excluded = {str(x) for x in exclude}
    unknown = excluded - {lot.lot_id for lot in lot_list}
    if unknown:
        raise InputError(f"exclude: no lot with ID {', '.join(sorted(unknown))}")
    lot_list = [replace(lot, exclude=True) if lot.lot_id in excluded else lot for lot in lot_list]
    price_map = parse_prices(prices)
    positions = value_positions(rules, lot_list, price_map, rp.as_of_date, identical)

    cv = rp.carryforward_value
    if cv is None:
        cv = _default_carryforward_value(rules, rp)
    base = _base_inputs(rp)

    candidates: list[Candidate] = []
    for index, p in enumerate(positions):
        if not p.harvestable_loss:
            continue
        assert p.market_value is not None and p.unrealized is not None
        rebought = rp.rebuy and not p.lot.is_nft
        cost = rp.fee_rate * p.market_value * (2 if rebought else 1)
        candidates.append(
            Candidate(
                index,
                "short" if p.term == "short" else "long",
                -p.unrealized,
                cost,
                not p.lot.is_nft,
            )
        )
    solution = optimize(rules, base, cv, candidates)
    messages: list[str] = []
    fractions = solution.fractions
    if solution.objective <= 0 or solution.objective < rp.min_benefit:
        if candidates and solution.objective > 0:
            messages.append(
                f"best net benefit {format_usd(cents(solution.objective))} is below "
                f"your minimum {format_usd(rp.min_benefit)}: no sales suggested"
            )
        fractions = {}
    if not solution.exact:
        messages.append(
            "more NFTs at a loss than can be searched exhaustively; "
            "the NFT choice is the best of the cheapest ten"
        )

    chosen = [(positions[k], f) for k, f in fractions.items() if f > 0]
    # Short-term first, then by size of loss: the order the notes are written in.
    chosen.sort(key=lambda pf: (pf[0].term != "short", pf[0].unrealized or ZERO))
    sales: list[Sale] = []
    running = base
    for p, fraction in chosen:
        sale, running = _make_sale(rules, rp, p, fraction, running)
        sales.append(sale)
    if rp.harvest_gains:
        sales += _harvest_gains(rules, rp, positions, {p.lot.lot_id for p, _ in chosen}, running)

    summary = _summarize(rules, rp, base, cv, sales)
    objective = solution.objective if fractions else ZERO
    return HarvestPlan(sales, positions, summary, rp, objective, solution.exact, messages)


def _shifted(x: TaxInputs, st: Decimal, lt: Decimal) -> TaxInputs:
    # Built directly: dataclasses.replace costs more than the rest of a sale record.
    return TaxInputs(
        x.filing_status,
        x.ordinary_income,
        x.st_gain + st,
        x.lt_gain + lt,
        x.qualified_dividends,
        x.collectibles_gain,
        x.deduction,
        x.st_carryforward,
        x.lt_carryforward,
    )


def _make_sale(
    rules: Rules, rp: ResolvedProfile, p: Position, fraction: Decimal, running: TaxInputs
) -> tuple[Sale, TaxInputs]:
    """The sale record, and the running tax inputs with its gain or loss added."""
    lot = p.lot
    assert p.price is not None
    qty, proceeds, basis = _sell(lot, p.price, fraction)
    rebuy_on, rebuy_note = _rebuy_on(rules, lot, rp)
    rebought = rebuy_on is not None
    fees = cents(rp.fee_rate * proceeds * (2 if rebought else 1))
    gain = proceeds - basis
    short = p.term == "short"
    after = _shifted(running, gain, ZERO) if short else _shifted(running, ZERO, gain)
    notes = [_describe(rules, running, after, short, gain)]
    if qty < lot.quantity:
        notes.append(f"sell {qty.normalize():f} of {lot.quantity.normalize():f}")
    if short:
        notes.append(f"turns long-term on {p.long_term_on}")
    if p.price == 0:
        notes.append(
            "worthless: sell or exchange it for a token amount; abandoning it gives no deduction"
        )
    if rebuy_note:
        notes.append(rebuy_note)
    sale = Sale(
        lot_id=lot.lot_id,
        asset=lot.asset,
        wallet=lot.wallet,
        tx_id=lot.tx_id,
        acquired=lot.acquired,
        sell_date=rp.as_of_date,
        sell_quantity=qty,
        proceeds=proceeds,
        cost_basis=basis,
        gain_loss=gain,
        term="Short-term" if short else "Long-term",
        fees=fees,
        rebuy_on=rebuy_on,
        note="; ".join(notes),
    )
    return sale, after


def _harvest_gains(
    rules: Rules,
    rp: ResolvedProfile,
    positions: Sequence[Position],
    sold: set[str],
    running: TaxInputs,
) -> list[Sale]:
    """Realize long-term gains while they add no tax and use up no carryforward."""
    pool = [
        p
        for p in positions
        if p.lot.lot_id not in sold
        and not p.lot.exclude
        and not p.lot.is_nft
        and p.term == "long"
        and p.unrealized is not None
        and p.unrealized > 0
    ]
    if not pool:
        return []
    e0 = evaluate(rules, running)

    def free(gain: Decimal) -> bool:
        e = evaluate(rules, replace(running, lt_gain=running.lt_gain + gain))
        return e.total_tax <= e0.total_tax and e.carryforward_out >= e0.carryforward_out

    total = sum((p.unrealized for p in pool if p.unrealized is not None), ZERO)
    lo, hi = 0, int(total * 100)  # cents
    while lo < hi:  # largest amount that is still free
        mid = (lo + hi + 1) // 2
        if free(Decimal(mid) / 100):
            lo = mid
        else:
            hi = mid - 1
    room = Decimal(lo) / 100
    out: list[Sale] = []
    realized = ZERO
    # Least proceeds (so least fees) per dollar of gain first.
    for p in sorted(pool, key=lambda p: (p.market_value or ZERO) / (p.unrealized or Decimal(1))):
        if realized >= room:
            break
        assert p.unrealized is not None
        fraction = min(Decimal(1), (room - realized) / p.unrealized)
        # Round the quantity down, so the gain stays inside the free room.
        qty = p.lot.quantity if fraction >= 1 else (p.lot.quantity * fraction).quantize(QUANTUM)
        if qty <= 0:
            break
        sale, after = _make_sale(rules, rp, p, qty / p.lot.quantity, running)
        if not free(realized + sale.gain_loss):  # cent rounding pushed it over: stop here
            break
        out.append(sale)
        running = after
        realized += sale.gain_loss
    return out


def _summarize(
    rules: Rules, rp: ResolvedProfile, base: TaxInputs, cv: Decimal, sales: Sequence[Sale]
) -> Summary:
    st = sum((s.gain_loss for s in sales if s.term == "Short-term"), ZERO)
    lt = sum((s.gain_loss for s in sales if s.term == "Long-term"), ZERO)
    args: dict[str, Any] = dict(
        filing_status=rp.filing_status,
        ordinary_income=rp.ordinary_income,
        qualified_dividends=rp.qualified_dividends,
        deduction=rp.deduction,
        st_carryforward=rp.carryforward_short_term,
        lt_carryforward=rp.carryforward_long_term,
    )
    without = compute_tax(rules, st_gain=base.st_gain, lt_gain=base.lt_gain, **args)
    with_ = compute_tax(rules, st_gain=base.st_gain + st, lt_gain=base.lt_gain + lt, **args)
    costs = sum((s.fees for s in sales), ZERO)
    carried_before = without.st_carryforward_out + without.lt_carryforward_out
    carried_after = with_.st_carryforward_out + with_.lt_carryforward_out
    added = carried_after - carried_before
    saved = without.total_tax - with_.total_tax
    deadline = rules.deadline_date
    return Summary(
        tax_without_harvest=without.total_tax,
        tax_with_harvest=with_.total_tax,
        tax_saved=saved,
        trading_costs=costs,
        net_benefit=saved - costs + cents(cv * added),
        loss_harvested_short_term=-sum(
            (s.gain_loss for s in sales if s.term == "Short-term" and s.gain_loss < 0), ZERO
        ),
        loss_harvested_long_term=-sum(
            (s.gain_loss for s in sales if s.term == "Long-term" and s.gain_loss < 0), ZERO
        ),
        ordinary_income_offset=with_.capital_loss_deduction,
        carryforward_out_short_term=with_.st_carryforward_out,
        carryforward_out_long_term=with_.lt_carryforward_out,
        deadline=deadline,
        days_to_deadline=(deadline - rp.as_of_date).days,
        carryforward_value=cv,
        carryforward_added=added,
        gain_harvested_long_term=sum((s.gain_loss for s in sales if s.gain_loss > 0), ZERO),
        rules_used=f"{rules.describe()} {rules.path.name if rules.path else ''}".strip(),
    )
