"""``plan_harvest``: from a profile, lots and prices to the sales, positions and summary.

Data flows one way: inputs are validated (``inputs``, ``lots``), lots valued
(``positions``), the optimizer picks amounts (``optimizer``), and this module turns its
fractions into sale records rounded to cents (``sales``, ``notes``). The summary is then
recomputed from those records with ``compute_tax``, so it reconciles with them exactly.

With a state of residence (Profile ``State``) the tax the optimizer minimizes is federal
plus that state's (``CombinedTax`` of ``FederalTax`` and ``StateTax``), and the
Summary's tax figures are the sum, the state's part on lines of its own. The loss
carried forward is the federal one; the value of a dollar of it (``CarryforwardValue``,
by default the long-term marginal rate) counts the state's rate too when the state's tax
will fall with it next year (CA's carryover, IL through federal AGI; not PA, which
carries nothing). docs/STATE_TAX.md says why.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any, cast

from ..domain.disposition import is_collectible
from ..domain.terms import Term
from ..errors import InputError, RulesError
from ..money import ZERO, cents, format_usd
from ..output_tables import HARVEST_COLUMNS, frame
from ..output_tables import POSITION_COLUMNS as POSITION_TABLE
from ..rulebook.model import Rules
from ..rulebook.state_model import StateRules
from ..tax.combined import CombinedTax
from ..tax.compute import TaxInputs, compute_tax
from ..tax.federal import FederalTax
from ..tax.state import StateTax, check_state_carryforward
from ..tax.system import TaxSystem
from .gains import harvest_gains
from .inputs import Profile, ResolvedProfile, parse_prices, resolve_profile
from .lot_table import Lot, LotTable
from .lots import parse_lot_table
from .notes import RunningReturn, shifted
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
    # The federal part of the tax figures above (all of them without a state) and the
    # state's part (zero, and no rules, without a state).
    federal_tax_without_harvest: Decimal = ZERO
    federal_tax_with_harvest: Decimal = ZERO
    federal_tax_saved: Decimal = ZERO
    state_tax_without_harvest: Decimal = ZERO
    state_tax_with_harvest: Decimal = ZERO
    state_tax_saved: Decimal = ZERO
    # The state's own capital loss carryover to next year, with harvesting, where it
    # keeps one (CA's worksheet line 8); zero elsewhere.
    state_carryforward_out: Decimal = ZERO
    state_used: str = "none"  # the state's rule file, or "none" (Profile State is blank)
    # Where the inputs came from, in words (set by the pipeline, ``app.run_plan``, when
    # the lots are built from transactions).
    lots_from: str = "the lots given"
    realized_from: str = "the profile"
    time_zone_used: str = ""


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


def _default_carryforward_value(
    rules: Rules, rp: ResolvedProfile, state: StateTax | None = None
) -> Decimal:
    """The long-term marginal rate (regular + NIIT) on the same income with no gains;
    plus the state's, where a dollar carried forward lowers its tax too."""
    clean = compute_tax(
        rules,
        filing_status=rp.filing_status,
        ordinary_income=rp.ordinary_income,
        qualified_dividends=rp.qualified_dividends,
        deduction=rp.deduction,
    )
    rate = clean.marginal_long_term_rate
    if state is not None and state.carries_forward:
        no_gains = TaxInputs(
            rp.filing_status, rp.ordinary_income, qualified_dividends=rp.qualified_dividends
        )
        rate += state.long_term_rate(no_gains)
    return rate


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
        state_carryforward=rp.state_carryforward,
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
    state_rules: StateRules | None = None,
    rules_dir: str | os.PathLike[str] | None = None,
) -> HarvestPlan:
    """The harvest plan that maximizes net benefit (PRODUCT.md §3).

    ``lots`` is a DataFrame or a list of dicts with the Lots columns in snake_case;
    ``prices`` maps asset to USD price. ``exclude`` lists lot IDs that must not be sold;
    ``identical`` adds groups of substantially identical assets to the rules' own.
    ``place`` and ``profile_place`` name where a bad value sits (the workbook passes
    functions that give ``Lots!F14``); by default errors name the lot ID and field.

    A profile with a ``state`` plans federal plus that state's tax: ``state_rules`` are
    its rules, or else they are found for the tax year on the rules search path
    (``rules_dir`` first, then beside ``rules``' own folder when that is not on the
    default path, then the usual folders).
    """
    # The cyclic garbage collector is left alone: inside Excel this process is the
    # user's whole Python session (it once was paused here for the length of a plan).
    return _plan(
        rules,
        profile,
        lots,
        prices,
        exclude,
        identical,
        today,
        place,
        profile_place,
        state_rules,
        rules_dir,
    )


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
    state_rules: StateRules | None,
    rules_dir: str | os.PathLike[str] | None,
) -> HarvestPlan:
    """The boundary: friendly inputs parsed once, by the one parser of each, then the
    typed engine (``build_plan``)."""
    if not isinstance(profile, Profile):
        profile = Profile.from_mapping(profile)
    rp = resolve_profile(profile, today, profile_place)
    where = profile_place or (lambda name: f"profile: {name}")
    _check_dates(rules, rp, where)
    state = _state_rules(rules, rp, state_rules, rules_dir, where)
    _check_state_carryforward(rp, state, where)
    table = parse_lot_table(lots, rp.as_of_date, place)
    excluded = {str(x) for x in exclude}
    unknown = excluded - set(table.lot_id)
    if unknown:
        raise InputError(f"exclude: no lot with ID {', '.join(sorted(unknown))}")
    return build_plan(rules, rp, table.excluding(excluded), parse_prices(prices), identical, state)


def _state_rules(
    rules: Rules,
    rp: ResolvedProfile,
    given: StateRules | None,
    rules_dir: str | os.PathLike[str] | None,
    where: Callable[[str], str],
) -> StateRules | None:
    """The profile's state's rules for the tax year: those given, or found."""
    if rp.state is None:
        return None
    if given is not None:
        return given
    from ..rulebook.store import load_state_rules  # reads files: only at the boundary

    try:
        return load_state_rules(rp.state, rp.tax_year, rules_dir, beside=rules)
    except RulesError as exc:
        raise RulesError(f"{where('state')}: {exc}") from None


def build_plan(
    rules: Rules,
    rp: ResolvedProfile,
    lots: LotTable | Sequence[Lot],
    prices: Mapping[str, Decimal],
    identical: Sequence[Iterable[str]] = (),
    state: StateRules | None = None,
) -> HarvestPlan:
    """The typed engine: settings with every default applied, validated lots (as a
    ``LotTable``, or ``Lot`` records) and prices in ``Decimal``. It returns the plan's
    tables; ``plan_harvest`` is its friendly door. ``state``: the rules of ``rp.state``
    for the same tax year (required when the profile has a state)."""
    state_tax = _state_tax(rules, rp, state)
    _check_state_carryforward(rp, state, lambda name: f"profile: {name}")
    table = lots if isinstance(lots, LotTable) else LotTable.from_lots(lots)
    positions = value_table(rules, table, dict(prices), rp.as_of_date, identical, rp.min_trade)

    cv = rp.carryforward_value
    if cv is None:
        cv = _default_carryforward_value(rules, rp, state_tax)
    base = _base_inputs(rp)

    system: TaxSystem = FederalTax(rules)
    if state_tax is not None:
        system = CombinedTax(system, state_tax)
    short, long, nfts = _candidates(positions, rp)
    solution = optimize(system, base, cv, nfts, short=short, long=long)
    any_candidates = bool(short.keys or long.keys or nfts)
    del short, long, nfts
    messages: list[str] = []
    if state is not None and state.income_tax is None:
        # Said so that a blank state line is not read as a state the plan forgot.
        excise = state.capital_gains_excise
        messages.append(
            f"{state.state} levies no income tax"
            + (
                f"; its {excise.name} on long-term gains over its deduction is counted"
                if excise is not None
                else ": the plan's tax is federal tax only"
            )
        )
    if state is not None and state_tax is not None and state.taxes_gains:
        messages.append(_marginal_note(FederalTax(rules), state_tax, base))
    if state is not None and state.status != "official":
        # Said where the plan is read: the state's figures are not (yet) checked.
        messages.append(
            f"{state.state} rules for {state.year} hold {state.status} figures, not yet "
            "checked against the state's own publications (the rule file's notes say "
            "what was checked)"
        )
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
    # The notes' return with the state's tax in it: the saving a note gives is the
    # saving the plan counts.
    writer.running = RunningReturn(rules, base, state_tax)
    sales = writer.sell_all(positions, sold, fractions)
    if rp.harvest_gains and (state is None or not state.taxes_gains):
        # No state, or one that taxes no gain (TX, FL, ...): a gain taxed at 0% federally
        # is free, and the gain search's federal tax is the whole tax.
        sales += harvest_gains(rules, rp, positions, set(sold), writer)
    elif rp.harvest_gains:
        assert state is not None
        # A gain taxed at 0% federally is taxed by the state (as ordinary income, or by
        # an excise over its deduction), so harvesting it is not free; the gain search
        # knows only federal tax.
        excise = state.capital_gains_excise
        how = (
            f"taxes long-term gains by its {excise.name}"
            if state.income_tax is None and excise is not None
            else "taxes long-term gains as other income"
        )
        messages.append(
            f"gain harvesting skipped: {state.state} {how}, so a gain taxed at 0% "
            "federally may still cost state tax this year"
        )

    sale_table = SaleTable(sales)
    summary = _summarize(rules, rp, base, cv, sale_table, state_tax)
    objective = solution.objective if fractions else ZERO
    return HarvestPlan(sale_table, positions, summary, rp, objective, solution.exact, messages)


def _check_state_carryforward(
    rp: ResolvedProfile, state: StateRules | None, where: Callable[[str], str]
) -> None:
    """A state carryforward goes with a state that keeps its own carryover."""
    if rp.state_carryforward is None:
        return
    if state is None:
        raise InputError(
            f"{where('state_carryforward')}: a state's own carryover needs Profile State; "
            "leave it blank for federal tax only"
        )
    check_state_carryforward(state, rp.state_carryforward, where("state_carryforward"))


def _state_tax(rules: Rules, rp: ResolvedProfile, state: StateRules | None) -> StateTax | None:
    if state is None and rp.state is None:
        return None
    if state is None or state.state != rp.state or state.year != rules.year:
        given = "none" if state is None else state.describe()
        raise InputError(
            f"profile: state {rp.state or '(blank)'}, tax year {rules.year}: the state "
            f"rules given ({given}) are not that state's for that year"
        )
    return StateTax(state, rules)


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
    rules: Rules,
    rp: ResolvedProfile,
    base: TaxInputs,
    cv: Decimal,
    sales: SaleTable,
    state: StateTax | None = None,
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
    state_without = state_with = state_carried = ZERO
    state_used = "none"
    if state is not None:
        after = state.evaluate(shifted(base, st, lt, collectibles))
        state_without, state_with = state.evaluate(base).total_in_cents(), after.total_in_cents()
        state_carried = cents(after.carryforward_out)
        path = state.rules.path
        state_used = f"{state.rules.describe()} {path.name if path else ''}".strip()
    tax_without = without.total_tax + state_without
    tax_with = with_.total_tax + state_with
    saved = tax_without - tax_with
    benefit = cents(cv * added)  # the carryforward's assumed value, on a line of its own
    deadline = rules.deadline_date
    return Summary(
        tax_without_harvest=tax_without,
        tax_with_harvest=tax_with,
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
        federal_tax_without_harvest=without.total_tax,
        federal_tax_with_harvest=with_.total_tax,
        federal_tax_saved=without.total_tax - with_.total_tax,
        state_tax_without_harvest=state_without,
        state_tax_with_harvest=state_with,
        state_tax_saved=state_without - state_with,
        state_carryforward_out=state_carried,
        state_used=state_used,
    )


def _marginal_note(federal: FederalTax, state: StateTax, base: TaxInputs) -> str:
    """The combined marginal rate a dollar of loss saves before the harvest, and its
    federal and state parts (the issue's "combined marginal rate a loss saves")."""

    def saves(system: TaxSystem, term: str) -> Decimal:
        field = "st_gain" if term == "short" else "lt_gain"
        less = replace(base, **{field: getattr(base, field) - 1})
        return system.owed(base).tax - system.owed(less).tax

    code = state.rules.state
    parts = []
    for term in ("short", "long"):
        f, t = saves(federal, term), saves(state, term)
        parts.append(f"{_percent(f + t)} {term}-term ({_percent(f)} federal, {_percent(t)} {code})")
    return (
        f"before the harvest a dollar of loss saves {parts[0]} and {parts[1]}: the "
        "combined marginal rates"
    )


def _percent(rate: Decimal) -> str:
    """A rate as a percentage to the hundredth, without trailing zeros: 9.85%, 40.8%."""
    shown = (rate * 100).quantize(Decimal("0.01"), ROUND_HALF_UP).normalize()
    return f"{shown:f}%"
