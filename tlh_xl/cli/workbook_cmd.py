"""tlh-xl init / fill / demo."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..rulebook.model import Rules

from .output import PROG, money, warn_projected

__all__ = ["cmd_demo", "cmd_fill", "cmd_init", "date_arg", "print_plan"]


def print_plan(plan: Any, rules: Rules, top: int = 10) -> None:
    s = plan.summary
    # Tax actually saved this year first; the carryforward's assumed value apart, with
    # the rate it was valued at, so the two kinds of money are not mixed in one figure.
    rows = [
        ("Tax saved this year", money(s.tax_saved)),
        ("Trading costs", money(s.trading_costs)),
        (
            f"Extra carryforward {money(s.carryforward_added)} valued at "
            f"{s.carryforward_value * 100:.1f}%",
            money(s.carryforward_benefit),
        ),
        ("Net benefit", money(s.net_benefit)),
        (
            "Tax without / with harvesting",
            f"{money(s.tax_without_harvest)} / {money(s.tax_with_harvest)}",
        ),
        (
            "Loss harvested: short-term / long-term",
            f"{money(s.loss_harvested_short_term)} / {money(s.loss_harvested_long_term)}",
        ),
        ("Ordinary income offset", money(s.ordinary_income_offset)),
        (
            "Carryforward out: short-term / long-term",
            f"{money(s.carryforward_out_short_term)} / {money(s.carryforward_out_long_term)}",
        ),
        ("Deadline", f"{s.deadline} ({s.days_to_deadline} days left)"),
    ]
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"  {label:<{width}}  {value:>27}")
    for message in plan.messages:
        print(f"  note: {message}")
    from ..domain.terms import term_label

    sales = sorted(plan.sale_records, key=lambda x: x.gain_loss)
    if not sales:
        print("\nNo sales suggested.")
    else:
        shown = sales[:top]
        print(f"\nTop {len(shown)} of {len(sales)} suggested sales (by loss)")
        lot = min(24, max(6, *(len(x.lot_id) + 2 for x in shown)))  # IDs from a ledger are long
        print(
            f"  {'Lot':<{lot}}{'Asset':<18}{'Wallet':<12}{'Quantity':>16}{'Gain/Loss':>15}  "
            f"{'Term':<11}Rebuy on"
        )
        for x in shown:
            qty = f"{x.sell_quantity.normalize():f}"
            print(
                f"  {x.lot_id[: lot - 1]:<{lot}}{x.asset[:17]:<18}{x.wallet[:11]:<12}{qty:>16}"
                f"{money(x.gain_loss):>15}  {term_label(x.term):<11}{x.rebuy_on or 'no rebuy'}"
            )
    print(f"\nRules: {rules.describe()} ({rules.path})")


def cmd_init(args: argparse.Namespace) -> int:
    import shutil
    from pathlib import Path

    from ..errors import WorkbookError
    from ..workbook.template import template_path

    target = Path(args.file)
    if target.suffix.lower() not in (".xlsx", ".xlsm"):
        target = target.with_suffix(".xlsx")
    if target.exists() and not args.force:
        raise WorkbookError(f"{target}: already exists (use --force to replace it)")
    if not target.parent.is_dir():
        raise WorkbookError(f"{target.parent}: no such folder")
    shutil.copyfile(template_path(), target)
    print(f"wrote {target}: fill in Profile, Lots and Prices, then run: {PROG} fill {target}")
    return 0


def date_arg(text: str) -> Any:
    import datetime as dt

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


def cmd_fill(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..workbook.fill import fill_workbook

    result = fill_workbook(
        Path(args.input),
        Path(args.output) if args.output else None,
        in_place=args.in_place,
        as_of=args.as_of,
        year=args.year,
        rules_dir=args.rules_dir,
        lots_csv=Path(args.lots) if args.lots else None,
        prices_csv=Path(args.prices) if args.prices else None,
        on_rules=warn_projected,
    )
    print(f"read {result.read}; wrote {result.output}\n")
    print_plan(result.plan, result.rules)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    import tempfile
    from pathlib import Path

    from ..workbook.fill import fill_workbook
    from ..workbook.sample import build_sample_workbook

    output = Path(args.output)
    if args.ledger:
        return _demo_ledger(args, output)
    with tempfile.TemporaryDirectory() as tmp:
        sample = Path(tmp) / "tlh-sample.xlsx"
        build_sample_workbook(sample)
        result = fill_workbook(sample, output, rules_dir=args.rules_dir, on_rules=warn_projected)
    print("Sample portfolio: 40 lots (BTC, ETH, SOL across six wallets, collapsed coins, two")
    print("NFTs, a spot bitcoin ETF), married filing jointly, tax year 2026, sale on 2026-12-01.\n")
    print_plan(result.plan, result.rules)
    print(f"Wrote {result.output}: open it in Excel or LibreOffice (Harvest and Summary sheets).")
    return 0


def _demo_ledger(args: argparse.Namespace, output: Any) -> int:
    """The ledger, then the plan: the bundled sample transactions (three wallets, a
    transfer with a network fee, staking income, a trade) become the open lots and 2026's
    realized gains, and the plan is made from them with the sample's profile and prices."""
    import tempfile
    from decimal import Decimal
    from pathlib import Path

    from ..ledger import LedgerSettings, build_ledger
    from ..ledger.own_format import read_transactions_csv
    from ..workbook.fill import fill_workbook
    from ..workbook.ledger_book import write_ledger_workbook
    from ..workbook.sample import SAMPLES, apply_sample_profile_and_prices

    source = SAMPLES / "sample_transactions.csv"
    zone = "America/New_York"
    ledger = build_ledger(
        read_transactions_csv(source, zone), LedgerSettings(time_zone=zone, wallets=("Ledger",))
    )
    totals = ledger.realized_totals(2026)
    print(f"Sample ledger: {source.name}, 9 transactions across Coinbase, Kraken and Ledger")
    print(f"(a New Yorker's; per wallet from 2025, FIFO). Open lots: {len(ledger.lots)}.")
    income = sum((e.value_usd for e in ledger.income_in(2026)), Decimal(0))
    print(
        f"  Realized in 2026: short-term {money(totals['short'])}, long-term "
        f"{money(totals['long'])}; staking income {money(income)}\n"
    )
    with tempfile.TemporaryDirectory() as tmp:
        book = Path(tmp) / "ledger-sample.xlsx"
        write_ledger_workbook(ledger, 2026, book)
        apply_sample_profile_and_prices(book)
        result = fill_workbook(book, output, rules_dir=args.rules_dir, on_rules=warn_projected)
    print_plan(result.plan, result.rules)
    print(
        f"Wrote {result.output}: Lots and Realized come from the ledger. The staking income "
        "is ordinary income: add it to OrdinaryIncome on your own Profile."
    )
    return 0
