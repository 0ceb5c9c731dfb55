"""``plan_harvest``: from a profile, lots and prices to the sales, positions and summary.

Data flows one way: inputs are validated (``inputs``, ``lots``), lots valued
(``positions``), the optimizer picks amounts (``optimizer``), and this module turns its
fractions into sale records rounded to cents (``sales``, ``notes``). The summary is then
recomputed from those records with ``compute_tax``, so it reconciles with them exactly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any, cast

from ..domain.disposition import is_collectible
from ..domain.terms import Term
from ..errors import InputError
from ..money import ZERO, cents, format_usd
from ..output_tables import HARVEST_COLUMNS, frame
from ..output_tables import POSITION_COLUMNS as POSITION_TABLE
from ..rulebook.model import Rules
from ..tax.compute import TaxInputs, compute_tax
from ..tax.federal import FederalTax
from .gains import harvest_gains
from .inputs import Profile, ResolvedProfile, parse_prices, resolve_profile
from .lot_table import Lot, LotTable
from .lots import parse_lot_table
from .optimizer import Candidate, LossColumns, optimize
from .positions import Position, PositionTable, value_table
from .sales import Sale, SaleTable, SaleWriter

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "POSITION_COLUMNS",
    "SALE_COLUMNS",
    "HarvestPlan",
    "Sale",
    "Summary",
    "build_plan",
    "plan_harvest",
]

# The plan's DataFrame columns (``plan.sales``, ``plan.positions``), from the one
# declaration of the output tables.
SALE_COLUMNS = tuple(c.key for c in HARVEST_COLUMNS)
POSITION_COLUMNS = tuple(c.key for c in POSITION_TABLE)


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
    carryforward_value: Decimal  # what $1 carried forward is assumed to be worth
    carryforward_added: Decimal
    carryforward_benefit: Decimal  # carryforward_added × carryforward_value, in cents
    gain_harvested_long_term: Decimal
    rules_used: str


@dataclass(frozen=True)
class HarvestPlan:
    """The plan: its sales and positions, kept as tables, and the summary's figures.

    ``sale_records`` and ``position_records`` give them as records (made on first use),
    ``sales`` and ``positions`` as DataFrames (built column by column from the tables).
    """

    sale_table: SaleTable
    position_table: PositionTable
    summary: Summary
    profile: ResolvedProfile
    objective: Decimal = ZERO  # the optimizer's exact net benefit, before cent rounding
    exact: bool = True
    messages: list[str] = field(default_factory=list)

    @cached_property
    def sale_records(self) -> list[Sale]:
        return self.sale_table.records()

    @cached_property
    def position_records(self) -> list[Position]:
        return self.position_table.records()

    @property
    def sales(self) -> pd.DataFrame:
        return frame(self.sale_table, HARVEST_COLUMNS)

    @property
    def positions(self) -> pd.DataFrame:
        return frame(self.position_table, POSITION_TABLE)


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


def _base_inputs(rp: ResolvedProfile) -> TaxInputs:
    return TaxInputs(
        filing_status=rp.filing_status,
        ordinary_income=rp.ordinary_income,
        st_gain=rp.realized_short_term,
        lt_gain=rp.realized_long_term,
        collectibles_gain=rp.realized_collectibles,
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
    # The cyclic garbage collector is left alone: inside Excel this process is the
    # user's whole Python session (it once was paused here for the length of a plan).
    return _plan(rules, profile, lots, prices, exclude, identical, today, place, profile_place)


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
    """The boundary: friendly inputs parsed once, by the one parser of each, then the
    typed engine (``build_plan``)."""
    if not isinstance(profile, Profile):
        profile = Profile.from_mapping(profile)
    rp = resolve_profile(profile, today, profile_place)
    _check_dates(rules, rp, profile_place or (lambda name: f"profile: {name}"))
    table = parse_lot_table(lots, rp.as_of_date, place)
    excluded = {str(x) for x in exclude}
    unknown = excluded - set(table.lot_id)
    if unknown:
        raise InputError(f"exclude: no lot with ID {', '.join(sorted(unknown))}")
    return build_plan(rules, rp, table.excluding(excluded), parse_prices(prices), identical)


def build_plan(
    rules: Rules,
    rp: ResolvedProfile,
    lots: LotTable | Sequence[Lot],
    prices: Mapping[str, Decimal],
    identical: Sequence[Iterable[str]] = (),
) -> HarvestPlan:
    """The typed engine: settings with every default applied, validated lots (as a
    ``LotTable``, or ``Lot`` records) and prices in ``Decimal``. It returns the plan's
    tables; ``plan_harvest`` is its friendly door."""
    table = lots if isinstance(lots, LotTable) else LotTable.from_lots(lots)
    positions = value_table(rules, table, dict(prices), rp.as_of_date, identical, rp.min_trade)

    cv = rp.carryforward_value
    if cv is None:
        cv = _default_carryforward_value(rules, rp)
    base = _base_inputs(rp)

    short, long, nfts = _candidates(positions, rp)
    solution = optimize(FederalTax(rules), base, cv, nfts, short=short, long=long)
    any_candidates = bool(short.keys or long.keys or nfts)
    del short, long, nfts
    messages: list[str] = []
    fractions = solution.fractions
    if solution.objective <= 0 or solution.objective < rp.min_benefit:
        if any_candidates and solution.objective > 0:
            messages.append(
                f"best net benefit {format_usd(cents(solution.objective))} is below "
                f"your minimum {format_usd(rp.min_benefit)}: no sales suggested"
            )
        fractions = {}
    if not solution.exact:
        assert solution.gap is not None
        messages.append(
            "so many NFTs at a loss that the search for the best set of them stopped early: "
            f"no plan can beat this one by more than {format_usd(cents(solution.gap))}"
        )

    # The positions sold, by row (a candidate's key): short-term first, then by size of
    # loss, the order the notes are written in (ties as the optimizer took them, the
    # sorts being stable). Every row sold has a price, so an unrealized loss.
    unrealized, term = cast(list[Decimal], positions.unrealized), positions.term
    taken = [k for k, f in fractions.items() if f > 0]
    sold = sorted((k for k in taken if term[k] == "short"), key=unrealized.__getitem__)
    sold += sorted((k for k in taken if term[k] != "short"), key=unrealized.__getitem__)
    writer = SaleWriter(rules, rp, base)
    sales = writer.sell_all(positions, sold, fractions)
    if rp.harvest_gains:
        sales += harvest_gains(rules, rp, positions, set(sold), writer)

    sale_table = SaleTable(sales)
    summary = _summarize(rules, rp, base, cv, sale_table)
    objective = solution.objective if fractions else ZERO
    return HarvestPlan(sale_table, positions, summary, rp, objective, solution.exact, messages)


def _candidates(
    positions: PositionTable, rp: ResolvedProfile
) -> tuple[LossColumns, LossColumns, list[Candidate]]:
    """The lots that can be sold at a loss now, with their whole loss and trading cost:
    the divisible ones as columns per term, the NFTs (never bought back, and sold
    whole) as records."""
    one_side = rp.fee_rate
    both_sides = rp.fee_rate * 2 if rp.rebuy else one_side  # sold, then bought back
    lots, term = positions.lots, positions.term
    rows = positions.harvestable()
    # Every harvestable row has a price, so a market value and an unrealized result.
    mv = cast(list[Decimal], positions.market_value)
    unrealized = cast(list[Decimal], positions.unrealized)
    nft_rows = [i for i in rows if lots.is_nft(i)]
    nfts = [
        Candidate(
            i,
            term[i],
            one_side * mv[i] - unrealized[i],
            one_side * mv[i],
            False,
            is_collectible(term[i], lots.asset_class[i]),
        )
        for i in nft_rows
    ]
    if nft_rows:
        rows = sorted(set(rows) - set(nft_rows))

    def of_term(wanted: Term) -> LossColumns:
        keys = [i for i in rows if term[i] == wanted]
        # The selling fee reduces the amount realized, so it adds to the loss; the whole
        # cost of the trade (selling fee, and the rebuy fee) is still paid in cash.
        dust = positions.dust  # sold, never bought back: one side of fees
        return LossColumns(
            keys,
            [one_side * mv[i] - unrealized[i] for i in keys],
            [(one_side if i in dust else both_sides) * mv[i] for i in keys],
        )

    return of_term("short"), of_term("long"), nfts


def _summarize(
    rules: Rules, rp: ResolvedProfile, base: TaxInputs, cv: Decimal, sales: SaleTable
) -> Summary:
    gains, terms = sales.column("gain_loss"), sales.column("term")
    collectible = list(map(is_collectible, terms, sales.column("asset_class")))
    st = sum((g for g, t in zip(gains, terms) if t == "short"), ZERO)
    lt = sum((g for g, t, c in zip(gains, terms, collectible) if t == "long" and not c), ZERO)
    collectibles = sum((g for g, c in zip(gains, collectible) if c), ZERO)
    args: dict[str, Any] = dict(
        filing_status=base.filing_status,
        ordinary_income=base.ordinary_income,
        qualified_dividends=base.qualified_dividends,
        deduction=base.deduction,
        st_carryforward=base.st_carryforward,
        lt_carryforward=base.lt_carryforward,
    )
    without = compute_tax(
        rules,
        st_gain=base.st_gain,
        lt_gain=base.lt_gain,
        collectibles_gain=base.collectibles_gain,
        **args,
    )
    with_ = compute_tax(
        rules,
        st_gain=base.st_gain + st,
        lt_gain=base.lt_gain + lt,
        collectibles_gain=base.collectibles_gain + collectibles,
        **args,
    )
    costs = sum(sales.column("fees"), ZERO)
    carried_before = without.st_carryforward_out + without.lt_carryforward_out
    carried_after = with_.st_carryforward_out + with_.lt_carryforward_out
    added = carried_after - carried_before
    saved = without.total_tax - with_.total_tax
    benefit = cents(cv * added)  # the carryforward's assumed value, on a line of its own
    deadline = rules.deadline_date
    return Summary(
        tax_without_harvest=without.total_tax,
        tax_with_harvest=with_.total_tax,
        tax_saved=saved,
        trading_costs=costs,
        net_benefit=saved - costs + benefit,
        carryforward_benefit=benefit,
        loss_harvested_short_term=-sum(
            (g for g, t in zip(gains, terms) if t == "short" and g < 0), ZERO
        ),
        loss_harvested_long_term=-sum(
            (g for g, t in zip(gains, terms) if t == "long" and g < 0), ZERO
        ),
        ordinary_income_offset=with_.capital_loss_deduction,
        carryforward_out_short_term=with_.st_carryforward_out,
        carryforward_out_long_term=with_.lt_carryforward_out,
        deadline=deadline,
        days_to_deadline=(deadline - rp.as_of_date).days,
        carryforward_value=cv,
        carryforward_added=added,
        gain_harvested_long_term=sum((g for g in gains if g > 0), ZERO),
        rules_used=f"{rules.describe()} {rules.path.name if rules.path else ''}".strip(),
    )
