"""tlh-xl tax: a one-off federal tax computation."""

from __future__ import annotations

import argparse
from decimal import Decimal

from .output import money, rate, warn_projected

__all__ = ["cmd_tax"]


def cmd_tax(args: argparse.Namespace) -> int:
    from ..rulebook import load_rules
    from ..tax import compute_tax

    rules = load_rules(args.year, rules_dir=args.rules_dir)
    warn_projected(rules)
    result = compute_tax(
        rules,
        filing_status=args.status,
        ordinary_income=args.income,
        st_gain=args.st,
        lt_gain=args.lt,
        qualified_dividends=args.qualified_dividends,
        collectibles_gain=args.collectibles,
        deduction=args.deduction,
        st_carryforward=args.st_carryforward,
        lt_carryforward=args.lt_carryforward,
    )
    if args.json:
        import json

        data = {k: (str(v) if isinstance(v, Decimal) else v) for k, v in vars(result).items()}
        print(json.dumps(data, indent=2))
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
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")
    return 0
