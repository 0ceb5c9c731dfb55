"""The ``tlh-xl`` command line.

Only argparse is imported at start-up; each command imports what it needs, so
``tlh-xl --help`` answers quickly. Exit codes: 0 ok, 2 bad input (one line on stderr,
naming the place), 1 an unexpected failure.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .rulebook.model import Rules

__all__ = ["main"]

PROG = "tlh-xl"


def _money(value: Decimal) -> str:
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.2f}"


def _rate(value: Decimal) -> str:
    return f"{value * 100:.1f}%"


def _warn_projected(rules: Rules) -> None:
    if rules.status == "projected":
        print(
            f"{PROG}: note: {rules.path or rules.describe()} holds projected figures, "
            "not yet checked against the IRS's Revenue Procedure",
            file=sys.stderr,
        )


# --- tax ---------------------------------------------------------------------------


def _cmd_tax(args: argparse.Namespace) -> int:
    from .rulebook import load_rules
    from .tax import compute_tax

    rules = load_rules(args.year, rules_dir=args.rules_dir)
    _warn_projected(rules)
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
        data = {k: (str(v) if isinstance(v, Decimal) else v) for k, v in vars(result).items()}
        print(json.dumps(data, indent=2))
        return 0
    rows: list[tuple[str, str]] = [
        ("Tax year / status", f"{result.year} / {result.filing_status}"),
        ("Adjusted gross income", _money(result.agi)),
        ("Deduction", _money(result.deduction)),
        ("Taxable income", _money(result.taxable_income)),
        ("Net short-term gain (loss)", _money(result.net_short_term)),
        ("Net long-term gain (loss)", _money(result.net_long_term)),
        ("Capital loss deduction", _money(result.capital_loss_deduction)),
        ("Regular income tax", _money(result.regular_tax)),
        ("Net investment income tax", _money(result.niit)),
        ("Total federal tax", _money(result.total_tax)),
        ("Short-term carryforward out", _money(result.st_carryforward_out)),
        ("Long-term carryforward out", _money(result.lt_carryforward_out)),
        ("Marginal rate: ordinary", _rate(result.marginal_ordinary_rate)),
        ("Marginal rate: short-term", _rate(result.marginal_short_term_rate)),
        ("Marginal rate: long-term", _rate(result.marginal_long_term_rate)),
        ("Computed with", result.method),
        ("Rules", str(rules.path)),
    ]
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")
    return 0


# --- rules -------------------------------------------------------------------------


def _cmd_rules_list(args: argparse.Namespace) -> int:
    from .rulebook import list_rule_files, parse_rules_file

    sources = list_rule_files(args.rules_dir)
    if not sources:
        print("no rule files found")
        return 0
    print(f"{'year':<6}{'jur.':<6}{'status':<11}{'verified':<12}{'from':<15}file")
    for s in sources:
        try:
            rules = parse_rules_file(s.path)
            status: str = rules.status
            verified = str(rules.last_verified or "-")
        except Exception:  # a broken file is still listed; 'rules check' explains it
            status, verified = "INVALID", "-"
        print(f"{s.year:<6}{s.jurisdiction:<6}{status:<11}{verified:<12}{s.origin:<15}{s.path}")
    return 0


def _flatten(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        out: list[tuple[str, Any]] = []
        for key, item in value.items():
            out += _flatten(item, f"{prefix}.{key}" if prefix else str(key))
        return out
    return [(prefix, value)]


def _show_value(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_show_value(v) for v in value) + "]"
    if isinstance(value, Decimal):
        return f"{value:,}" if value >= 1 else str(value)
    if value is None:
        return "null"
    return str(value)


def _cmd_rules_show(args: argparse.Namespace) -> int:
    from .rulebook import load_rules

    rules = load_rules(args.year, args.jurisdiction, rules_dir=args.rules_dir)
    _warn_projected(rules)
    print(f"# {rules.describe()}  {rules.path}")
    data = rules.model_dump(exclude={"notes"})
    for section, body in data.items():
        if not isinstance(body, dict):
            print(f"{section}: {_show_value(body)}")
            continue
        refs = body.pop("reference", [])
        for path, value in _flatten(body, section):
            print(f"{path}: {_show_value(value)}")
        for ref in refs:
            link = f" <{ref['href']}>" if ref.get("href") else ""
            print(f"  source: {ref['title']}{link}")
    return 0


def _cmd_rules_check(args: argparse.Namespace) -> int:
    from .errors import RulesError
    from .rulebook import parse_rules_file

    failed = 0
    for name in args.files:
        try:
            rules = parse_rules_file(name)
        except RulesError as exc:
            print(exc, file=sys.stderr)
            failed += 1
            continue
        if rules.status == "projected":
            print(
                f"{name}: ok, but projected: verify against the Revenue Procedure, then set "
                "status: official and last_verified"
            )
        else:
            print(f"{name}: ok ({rules.describe()}, verified {rules.last_verified})")
    return 2 if failed else 0


# --- demo (until the workbook lands: the article's Jane example, planned) -------------


def _cmd_demo(args: argparse.Namespace) -> int:
    from .harvest import plan_harvest
    from .rulebook import load_rules
    from .samples import JANE_LOTS, JANE_PRICES, JANE_PROFILE

    rules = load_rules(2025, rules_dir=args.rules_dir)
    print("The article's Jane: single, $1,000,000 of wages, $10,000 of short-term gains")
    print("realized in 2025, and $287,000 of unrealized losses in four wallets.\n")
    plan = plan_harvest(rules, JANE_PROFILE, JANE_LOTS, JANE_PRICES)
    s = plan.summary
    rows = [
        ("Tax without harvesting", _money(s.tax_without_harvest)),
        ("Tax with harvesting", _money(s.tax_with_harvest)),
        ("Tax saved this year", _money(s.tax_saved)),
        ("Trading costs", _money(s.trading_costs)),
        (f"Net benefit (carryforward at {s.carryforward_value})", _money(s.net_benefit)),
        ("Deducted from ordinary income", _money(s.ordinary_income_offset)),
        ("Carried forward (short-term)", _money(s.carryforward_out_short_term)),
        ("Deadline", f"{s.deadline} ({s.days_to_deadline} days left)"),
    ]
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"  {label:<{width}}  {value:>22}")
    print("\nSuggested sales")
    for sale in plan.sale_records:
        print(
            f"  {sale.lot_id:<4}{sale.asset:<6}{sale.wallet:<10}{_money(sale.gain_loss):>15}  "
            f"{sale.term}, rebuy on {sale.rebuy_on or '-'}"
        )
        print(f"      {sale.note}")
    print(f"\nRules: {rules.describe()} from {rules.path}")
    return 0


# --- parser ------------------------------------------------------------------------


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Crypto tax-loss harvesting from YAML tax rules: plans, savings, workbooks.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    rules_dir = argparse.ArgumentParser(add_help=False)
    rules_dir.add_argument(
        "--rules-dir",
        metavar="DIR",
        help="your own rules folder; its files override the shipped ones (also TLH_RULES_DIR)",
    )

    tax = sub.add_parser(
        "tax",
        parents=[rules_dir],
        help="one-off federal tax computation",
        description="Federal regular income tax plus NIIT for one year and filing status.",
    )
    tax.add_argument("--year", type=int, required=True, help="tax year, e.g. 2025")
    tax.add_argument(
        "--status",
        required=True,
        help="filing status: single, married_joint (or 'Married filing jointly'), "
        "married_separate, head_of_household, qualifying_surviving_spouse",
    )
    tax.add_argument("--income", required=True, help="ordinary income before the deduction")
    tax.add_argument("--st", default="0", help="net short-term gain (negative for a loss)")
    tax.add_argument("--lt", default="0", help="net long-term gain (negative for a loss)")
    tax.add_argument("--qualified-dividends", default="0", metavar="AMOUNT")
    tax.add_argument(
        "--collectibles",
        default="0",
        metavar="AMOUNT",
        help="long-term collectibles gain (28%% group), besides --lt",
    )
    tax.add_argument(
        "--deduction",
        default=None,
        metavar="AMOUNT",
        help="itemized deduction (default: the standard deduction)",
    )
    tax.add_argument("--st-carryforward", default="0", metavar="AMOUNT")
    tax.add_argument("--lt-carryforward", default="0", metavar="AMOUNT")
    tax.add_argument("--json", action="store_true", help="print the result as JSON")
    tax.set_defaults(func=_cmd_tax)

    rules = sub.add_parser("rules", help="list, show and check rule files")
    rsub = rules.add_subparsers(dest="rules_command", metavar="ACTION", required=True)
    rlist = rsub.add_parser("list", parents=[rules_dir], help="years available, and where from")
    rlist.set_defaults(func=_cmd_rules_list)
    rshow = rsub.add_parser("show", parents=[rules_dir], help="every value of a year, with sources")
    rshow.add_argument("year", type=int)
    rshow.add_argument("--jurisdiction", default="us")
    rshow.set_defaults(func=_cmd_rules_show)
    rcheck = rsub.add_parser("check", help="validate rule files; exit 2 on the first defect each")
    rcheck.add_argument("files", nargs="+", metavar="FILE")
    rcheck.set_defaults(func=_cmd_rules_check)

    demo = sub.add_parser("demo", parents=[rules_dir], help="run the bundled example")
    demo.set_defaults(func=_cmd_demo)
    return parser


def _version() -> str:
    from . import __version__

    return __version__


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    from .errors import TlhError

    try:
        result: int = args.func(args)
        return result
    except TlhError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head` and closed early: not an error
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 1
    except Exception as exc:  # a bug: say so briefly; TLH_DEBUG=1 shows the traceback
        import os

        if os.environ.get("TLH_DEBUG"):
            raise
        print(
            f"{PROG}: unexpected error ({type(exc).__name__}: {exc}); "
            "rerun with TLH_DEBUG=1 and report it",
            file=sys.stderr,
        )
        return 1
