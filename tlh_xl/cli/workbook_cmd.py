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
    if s.lots_from.startswith("Transactions"):  # say where the inputs came from
        for label, value in (
            ("Lots from", s.lots_from),
            ("Realized gains from", s.realized_from),
            ("Time zone used", s.time_zone_used),
        ):
            print(f"  {label:<{width}}  {value}")
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
    from ..workbook.writer import write_atomic

    target = Path(args.file)
    if target.suffix.lower() not in (".xlsx", ".xlsm"):
        target = target.with_suffix(".xlsx")
    try:
        exists, folder = target.exists(), target.parent.is_dir()
    except OSError as exc:  # a folder that cannot be looked into
        raise WorkbookError(f"{target}: cannot be written ({exc.strerror or exc})") from None
    if exists and not args.force:
        raise WorkbookError(f"{target}: already exists (use --force to replace it)")
    if not folder:
        raise WorkbookError(f"{target.parent}: no such folder")
    # Through a temporary file, as fill writes: an unwritable folder is named, and an
    # interrupted copy leaves nothing behind.
    write_atomic(target, lambda tmp: shutil.copyfile(template_path(), tmp))
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
    """The ledger, then the plan, as a user runs them: the bundled sample transactions
    (three wallets, a transfer with a network fee, staking income, a trade) typed into
    the Transactions table of a workbook whose Lots table is empty, and ``fill`` builds
    the open lots and 2026's realized gains from them, then plans."""
    import tempfile
    from pathlib import Path

    from ..workbook.fill import fill_workbook
    from ..workbook.sample import build_ledger_sample_workbook

    print("Sample ledger: 9 transactions across Coinbase, Kraken and a Ledger hardware wallet,")
    print("typed into the Transactions table; the Lots table is empty, so the lots are built")
    print("from the transactions (a New Yorker's: TimeZone America/New_York, FIFO).\n")
    with tempfile.TemporaryDirectory() as tmp:
        book = Path(tmp) / "ledger-sample.xlsx"
        build_ledger_sample_workbook(book)
        result = fill_workbook(book, output, rules_dir=args.rules_dir, on_rules=warn_projected)
    print(f"read {result.read}\n")
    print_plan(result.plan, result.rules)
    print(
        f"Wrote {result.output}: Positions lists the open lots built from the Transactions, "
        "and Realized this year's disposals."
    )
    return 0
