"""The one pipeline: read → validate → plan → present, whoever asks.

``tlh-xl fill`` (openpyxl), the Fill button (an xlwings Book) and the Excel functions
(``TLH_SUGGEST``, ``TLH_SAVINGS``) each *read* their inputs their own way: cells,
Office.js values, spilled ranges. From there on they share this path. Each hands
``run_plan`` the same three things (the Profile with a function naming its cells, and
the Lots and Prices as ``Grid``\\ s that know where each value came from), and the plan
comes back the same for all of them, refused with the same one-line error when the
inputs are bad. What each then shows is built from ``workbook.tables``, so the
Harvest rows, Positions rows and Summary values are laid out once as well.

When the Lots are empty and a Transactions table is given, the lots come from the
ledger (``lots_from_ledger``): the same step for every front end that reads one.

Nothing about the plan is decided in a caller: a bug like "the function skips a lot
without a price while the command refuses it" cannot exist in only one of them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from .domain.disposition import Disposition
from .errors import InputError, RulesError
from .forms import Form8949Row, ScheduleDLine, WalletReporting, form_8949_rows, schedule_d
from .harvest.inputs import Profile, parse_prices, resolve_profile
from .harvest.plan import HarvestPlan, plan_harvest
from .lots_from_ledger import LedgerLots, ledger_lots, ledger_settings, wallet_reporting
from .money import ZERO
from .rulebook import Rules, load_rules
from .workbook.reader import Grid, identical_groups, price_pairs

__all__ = ["Forms", "PlanInputs", "PlanResult", "check_prices", "run_plan"]


@dataclass(frozen=True)
class PlanInputs:
    """What every front end reads: the profile, the lots and the prices, with places."""

    profile: Profile
    profile_place: Callable[[str], str]  # Profile field → "Profile!B6 OrdinaryIncome"
    lots: Grid
    prices: Grid
    transactions: Grid | None = None  # read when the Lots are empty: the lots come from it
    wallets: Grid | None = None  # the user's wallets, for transfers in the transactions


@dataclass(frozen=True)
class Forms:
    """Form 8949's rows (realized, then planned) and Schedule D's lines."""

    rows: list[Form8949Row]
    schedule_d: list[ScheduleDLine]


@dataclass(frozen=True)
class PlanResult:
    plan: HarvestPlan
    rules: Rules
    ledger: LedgerLots | None = None  # when the lots were built from transactions
    forms: Forms | None = None  # for a tax year whose rules give the Form 8949 boxes


def run_plan(
    inputs: PlanInputs,
    *,
    rules_dir: str | os.PathLike[str] | None = None,
    on_rules: Callable[[Rules], None] | None = None,
) -> PlanResult:
    """Validate the inputs, load the year's rules and plan. Raises ``TlhError`` with one
    line that names the place of the first bad value."""
    where = inputs.profile_place
    resolved = resolve_profile(inputs.profile, place=where)
    try:
        rules = load_rules(resolved.tax_year, rules_dir=rules_dir)
    except RulesError as exc:
        raise RulesError(f"{where('tax_year')}: {exc}") from None
    if on_rules is not None:
        on_rules(rules)
    settings = ledger_settings(inputs.profile, where)  # TimeZone, LotMethod: checked always
    lots, profile, from_ledger = inputs.lots, inputs.profile, None
    transactions = inputs.transactions
    building = bool(not lots.records and transactions is not None and transactions.records)
    # The Wallets table, read once, where something uses it: the ledger (the user's own
    # wallets) and Form 8949 (each wallet's reporting).
    reporting = (
        wallet_reporting(inputs.wallets)
        if inputs.wallets is not None and (building or rules.form_8949 is not None)
        else {}
    )
    if building:
        assert transactions is not None
        from_ledger = ledger_lots(
            profile,
            replace(settings, wallets=tuple(reporting)),
            transactions,
            resolved.tax_year,
            resolved.as_of_date,
        )
        lots, profile = from_ledger.lots, from_ledger.profile
    check_prices(lots, inputs.prices)
    plan = plan_harvest(
        rules,
        profile,
        lots.records,
        price_pairs(inputs.prices),
        identical=identical_groups(inputs.prices),
        place=lots.place,
        profile_place=where,
        rules_dir=rules_dir,  # a state's file in the user's folder overrides the shipped one
    )
    forms = _forms(rules, plan, from_ledger, reporting)
    if from_ledger is None:
        count = len(lots.records)
        said = replace(
            plan.summary,
            lots_from=f"{lots.name} ({count:,} lot{'s' * (count != 1)})",
            realized_from="Profile",
            time_zone_used="not used (no transactions)",
        )
        return PlanResult(replace(plan, summary=said), rules, None, forms)
    said = replace(
        plan.summary,
        lots_from=from_ledger.lots_from,
        realized_from=from_ledger.realized_from,
        time_zone_used=from_ledger.time_zone_used,
    )
    messages = [*plan.messages, *from_ledger.messages]
    return PlanResult(replace(plan, summary=said, messages=messages), rules, from_ledger, forms)


def _forms(
    rules: Rules,
    plan: HarvestPlan,
    ledger: LedgerLots | None,
    reporting: Mapping[str, WalletReporting],
) -> Forms | None:
    """Form 8949 and Schedule D for the plan: the ledger's disposals of the year when the
    plan used them as its realized figures (else the Profile's figures, which have no
    rows, go on lines of their own), then the planned sales."""
    form = rules.form_8949
    if form is None:
        return None
    realized = ledger.realized if ledger is not None and ledger.realized_used else []
    origin = (ledger.origin if ledger is not None else None) or {}

    def came_into(d: Disposition, section: str) -> str | None:
        # A realized lot's ID starts with its acquiring transaction's; a planned sale
        # names the lot's transaction.
        return origin.get(d.lot_id.partition("#")[0] if section == "Realized" else d.tx_id)

    rows = form_8949_rows(form, realized, plan.sale_records, reporting, came_into)
    rp = plan.profile
    typed = not realized
    lines = schedule_d(
        rows,
        rp.carryforward_short_term,
        rp.carryforward_long_term,
        rp.realized_short_term if typed else ZERO,
        rp.realized_long_term + rp.realized_collectibles if typed else ZERO,
    )
    return Forms(rows, lines)


def check_prices(lots: Grid, prices: Grid) -> None:
    """Every lot needs a price (or a Price Override), and every price must be a number.

    A lot without a price cannot be valued, so no plan can be exact about it: it is
    refused, naming its Asset cell, rather than left out of the plan without a word.
    """
    priced: set[str] = set()
    for i, record in enumerate(prices.records):
        asset = record.get("asset")
        if asset is None:
            continue
        place = prices.places[i].get("price", prices.name)
        header = prices.headers.get("price", "Price")
        try:
            parse_prices([(asset, record.get("price"))])
        except InputError as exc:
            raise InputError(f"{place} {header}: {str(exc).split(': ', 1)[-1]}") from None
        if record.get("price") is not None:
            priced.add(str(asset).strip())
    for i, record in enumerate(lots.records):
        asset = record.get("asset")
        if asset is None or record.get("price_override") is not None:
            continue
        if str(asset).strip() not in priced:
            raise InputError(
                f"{lots.place(i, '', 'asset')}: no price for {str(asset).strip()!r} in Prices "
                "(add a row there, or a Price Override on the lot)"
            )
