"""tlh-xl tax: a one-off tax computation, federal and (with --state) a state's."""

from __future__ import annotations

import argparse
import sys
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .output import PROG, money, rate, warn_projected

if TYPE_CHECKING:
    from ..rulebook.state_model import StateRules
    from ..tax import StateTaxResult, TaxResult

__all__ = ["cmd_tax"]


def cmd_tax(args: argparse.Namespace) -> int:
    from ..rulebook import load_rules
    from ..tax import compute_tax

    rules = load_rules(args.year, rules_dir=args.rules_dir)
    warn_projected(rules)
    amounts: dict[str, Any] = dict(
        filing_status=args.status,
        ordinary_income=args.income,
        st_gain=args.st,
        lt_gain=args.lt,
        qualified_dividends=args.qualified_dividends,
        collectibles_gain=args.collectibles,
        st_carryforward=args.st_carryforward,
        lt_carryforward=args.lt_carryforward,
    )
    result = compute_tax(rules, deduction=args.deduction, **amounts)
    if args.state_carryforward is not None and args.state is None:
        from ..errors import InputError

        raise InputError("--state-carryforward: goes with --state (a state's own carryover)")
    state = None
    if args.state is not None:
        from ..rulebook.store import load_state_rules
        from ..tax import compute_state_tax

        state_rules = load_state_rules(args.state, args.year, args.rules_dir, beside=rules)
        _warn_unofficial(state_rules)
        if args.state_carryforward is not None:  # named as the option, not the argument
            from ..tax.state import check_state_carryforward

            check_state_carryforward(state_rules, args.state_carryforward, "--state-carryforward")
        state = compute_state_tax(
            state_rules, rules, state_carryforward=args.state_carryforward, **amounts
        )
    if args.json:
        print(_json(result, state))
        return 0
    rows: list[tuple[str, str]] = [
        ("Tax year / status", f"{result.year} / {result.filing_status}"),
        ("Adjusted gross income", money(result.agi)),
        ("Deduction", money(result.deduction)),
        ("Taxable income", money(result.taxable_income)),
        ("Net short-term gain (loss)", money(result.net_short_term)),
        ("Net long-term gain (loss)", money(result.net_long_term)),
        ("Capital loss deduction", money(result.capital_loss_deduction)),
        ("Regular income tax", money(result.regular_tax)),
        ("Net investment income tax", money(result.niit)),
        ("Total federal tax", money(result.total_tax)),
        ("Short-term carryforward out", money(result.st_carryforward_out)),
        ("Long-term carryforward out", money(result.lt_carryforward_out)),
        ("Marginal rate: ordinary", rate(result.marginal_ordinary_rate)),
        ("Marginal rate: short-term", rate(result.marginal_short_term_rate)),
        ("Marginal rate: long-term", rate(result.marginal_long_term_rate)),
        ("Computed with", result.method),
        ("Rules", str(rules.path)),
    ]
    if state is not None:
        rows += _state_rows(result, state)
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")
    return 0


def _state_rows(federal: TaxResult, state: StateTaxResult) -> list[tuple[str, str]]:
    st = state.state
    rows: list[tuple[str, str]] = []
    if state.has_income_tax:
        rows += [
            (f"{st} income", money(state.income)),
            (f"{st} deduction", money(state.deduction)),
        ]
        if state.exemption:
            rows.append((f"{st} exemption allowance", money(state.exemption)))
        rows += [
            (f"{st} taxable income", money(state.taxable_income)),
            (f"{st} tax before credits", money(state.tax)),
            (f"{st} exemption credits", money(state.credits)),
        ]
        if state.surtax_name:
            rows.append((f"{st} {state.surtax_name}", money(state.surtax)))
    else:
        rows.append((f"{st} income tax", "none (the state taxes no income)"))
    if state.excise_name:
        rows.append((f"{st} {state.excise_name}", money(state.excise)))
    rows += [
        (f"Total {st} tax", money(state.total_tax)),
        (f"{st} carryforward out", money(state.carryforward_out)),
        (f"Total federal + {st} tax", money(federal.total_tax + state.total_tax)),
    ]
    for label, fed, own in (
        ("ordinary", federal.marginal_ordinary_rate, state.marginal_ordinary_rate),
        ("short-term", federal.marginal_short_term_rate, state.marginal_short_term_rate),
        ("long-term", federal.marginal_long_term_rate, state.marginal_long_term_rate),
    ):
        rows.append((f"Marginal rate: {label}, federal + {st}", rate(fed + own)))
    rows.append((f"{st} rules", state.rules))
    return rows


def _json(federal: TaxResult, state: StateTaxResult | None) -> str:
    import json

    def plain(values: dict[str, Any]) -> dict[str, Any]:
        return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in values.items()}

    data = plain(vars(federal))
    if state is not None:
        # total_tax is what every tax given adds up to; federal_tax keeps the federal part.
        data["federal_tax"] = str(federal.total_tax)
        data["state_tax"] = str(state.total_tax)
        data["total_tax"] = str(federal.total_tax + state.total_tax)
        data["state"] = plain(vars(state))
    return json.dumps(data, indent=2)


def _warn_unofficial(rules: StateRules) -> None:
    if rules.status != "official":
        print(
            f"{PROG}: note: {rules.path or rules.describe()} holds {rules.status} figures; "
            "its notes say what was checked",
            file=sys.stderr,
        )
