"""tlh-xl init / fill / demo."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from ..rulebook.model import Rules
    from ..workbook.batch import ClientResult

from .output import PROG, date_arg, money, warn_projected

__all__ = ["cmd_demo", "cmd_fill", "cmd_init", "date_arg", "print_plan"]


def _split_rows(plan: Any) -> list[tuple[str, str]]:
    """With a state, the federal and the state part of the tax figures."""
    s, state = plan.summary, plan.profile.state
    if state is None:
        return []
    return [
        (
            f"  of which {label}: without / with",
            f"{money(without)} / {money(with_)}",
        )
        for label, without, with_ in (
            ("federal", s.federal_tax_without_harvest, s.federal_tax_with_harvest),
            (state, s.state_tax_without_harvest, s.state_tax_with_harvest),
        )
    ]


def print_plan(plan: Any, rules: Rules, top: int = 10, forms: Any = None) -> None:
    """The summary, the top sales, the rules used and, with ``forms``, the Form 8949
    line."""
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
        *_split_rows(plan),
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
    if forms is not None:
        _print_forms(forms)


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


def cmd_fill(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..errors import WorkbookError
    from ..workbook.fill import fill_workbook

    if len(args.input) > 1 or args.dir or args.out_dir or args.summary:
        return _fill_batch(args)
    if not args.input:
        raise WorkbookError("give the workbook to fill (or several, or --dir FOLDER)")
    result = fill_workbook(
        Path(args.input[0]),
        Path(args.output) if args.output else None,
        in_place=args.in_place,
        as_of=args.as_of,
        year=args.year,
        rules_dir=args.rules_dir,
        lots_csv=Path(args.lots) if args.lots else None,
        prices_csv=Path(args.prices) if args.prices else None,
        on_rules=warn_projected,
        wallets_csv=Path(args.wallets) if args.wallets else None,
        needs_form_8949=bool(args.form_8949_out),
    )
    print(f"read {result.read}; wrote {result.output}\n")
    print_plan(result.plan, result.rules, forms=result.forms)
    if args.form_8949_out and result.forms is not None:  # refused by the fill without it
        from ..workbook.form_sheet import FORM_8949_HEADERS, form_8949_csv_rows
        from .ledger_cmd import write_csv

        out = Path(args.form_8949_out)
        write_csv(out, FORM_8949_HEADERS, form_8949_csv_rows(result.forms.rows))
        print(f"wrote {out}")
    return 0


def _print_forms(forms: Any) -> None:
    """A line on Form 8949 (rows per box) and Schedule D's net results."""
    from collections import Counter

    boxes = Counter(r.box for r in forms.rows)
    shown = ", ".join(f"{box} {n}" for box, n in sorted(boxes.items())) or "no rows"
    lines = {line.line: line.gain_loss for line in forms.schedule_d}
    print(
        f"Form 8949: {len(forms.rows)} rows by box ({shown}); Schedule D line 7 "
        f"{money(lines['7'])}, line 15 {money(lines['15'])}, line 16 {money(lines['16'])}"
    )
    if "?" in boxes:
        print(
            "  note: rows in box ? are from wallets with no Kind (Broker or Self-custody): "
            "give each its Kind on the Wallets sheet, or in a CSV with --wallets"
        )


# --- many clients at once: tlh-xl fill FILE... / --dir FOLDER -----------------------------

SUMMARY_SUFFIXES = (".csv", ".xlsx")


def _fill_batch(args: argparse.Namespace) -> int:
    """Fill every workbook given (and every one in --dir) in parallel; print a table of
    the clients, one error line per client that failed, and write --summary files.
    Exit 2 if any client failed."""
    import os
    import signal
    import sys
    from pathlib import Path

    from ..errors import WorkbookError
    from ..workbook.batch import BatchInterrupted, FillOptions, discover, plan_clients, run_batch

    for flag, given in (
        ("-o/--output", args.output),
        ("--in-place", args.in_place),
        ("--lots", args.lots),
        ("--prices", args.prices),
        ("--wallets", args.wallets),
        ("--8949-out", args.form_8949_out),
    ):
        if given:
            raise WorkbookError(
                f"{flag} applies to one workbook; with several (or --dir, --out-dir, "
                "--summary) each output goes next to its input, or into --out-dir"
            )
    summaries = [Path(s) for s in args.summary or ()]
    for path in summaries:
        if path.suffix.lower() not in SUMMARY_SUFFIXES:
            raise WorkbookError(f"{path}: --summary writes a .csv or an .xlsx file")
        if path.is_dir():
            raise WorkbookError(f"{path}: is a folder; give a file name for the summary")
        if not path.parent.is_dir():
            raise WorkbookError(f"{path.parent}: no such folder for the summary")
    sources = [Path(f) for f in args.input]
    if args.dir:
        sources += discover(Path(args.dir), skip=summaries)
    if not sources:
        raise WorkbookError(
            f"{args.dir}: no workbooks to fill (.xlsx or .xlsm, other than tlh-xl's own "
            "*-harvest outputs)"
            if args.dir
            else "give the workbooks to fill (FILE... or --dir FOLDER)"
        )
    out_dir = Path(args.out_dir) if args.out_dir else None
    clients = plan_clients(sources, out_dir)
    for path in summaries:
        if path.resolve() in {p.resolve() for c in clients for p in (c.source, c.output)}:
            raise WorkbookError(f"{path}: is a client's workbook; name the summary otherwise")
    if out_dir is not None:
        _make_out_dir(out_dir)

    jobs = min(args.jobs or os.cpu_count() or 1, len(clients))
    bar = _BatchProgress(sys.stderr.isatty())
    bar.start(len(clients), jobs)
    options = FillOptions(as_of=args.as_of, year=args.year, rules_dir=args.rules_dir)
    try:
        results = run_batch(clients, options, jobs=jobs, on_done=bar.step)
    except BatchInterrupted as stop:
        bar.abandon()
        filled = sum(r.ok for r in stop.results)
        failed = len(stop.results) - filled
        print(
            f"{PROG}: interrupted: {filled} of {stop.total} workbooks filled (each output "
            f"complete){f', {failed} failed' if failed else ''}, "
            f"{stop.total - len(stop.results)} not written",
            file=sys.stderr,
        )
        sys.stderr.flush()
        if stop.signum == signal.SIGTERM:
            _end_as_sigterm()
        return 1
    _print_batch(results, out_dir)
    for path in summaries:
        _write_summary(path, results)
        print(f"wrote {path}")
    return 0 if all(r.ok for r in results) else 2


def _end_as_sigterm() -> None:
    """End the process as SIGTERM ends it (as a single fill does), now that no output is
    partial."""
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.raise_signal(signal.SIGTERM)
    raise SystemExit(128 + signal.SIGTERM)  # were the signal blocked


def _make_out_dir(out_dir: Path) -> None:
    from ..errors import WorkbookError

    if out_dir.exists() and not out_dir.is_dir():
        raise WorkbookError(f"{out_dir}: is a file; --out-dir takes a folder")
    if not out_dir.parent.is_dir():
        raise WorkbookError(f"{out_dir.parent}: no such folder for --out-dir")
    try:
        out_dir.mkdir(exist_ok=True)
    except OSError as exc:
        raise WorkbookError(f"{out_dir}: cannot be created ({exc.strerror or exc})") from None


class _BatchProgress:
    """A one-line progress bar on stderr while it is a terminal, as a single fill shows."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.open = False

    def _draw(self, done: int, total: int, label: str) -> None:
        import sys

        width = 24
        filled = width * done // total
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {label[:48]:<48}")
        if done == total:
            sys.stderr.write("\n")
        self.open = done < total
        sys.stderr.flush()

    def start(self, total: int, jobs: int) -> None:
        if self.enabled:
            cores = f"{jobs} worker{'s' * (jobs != 1)}"
            self._draw(0, total, f"0/{total} workbooks, {cores}")

    def step(self, done: int, total: int, result: ClientResult) -> None:
        if self.enabled:
            self._draw(done, total, f"{done}/{total} {result.client.source.name}")

    def abandon(self) -> None:
        """End the bar's line, so that what follows starts on its own."""
        import sys

        if self.enabled and self.open:
            sys.stderr.write("\n")
            sys.stderr.flush()
            self.open = False


def _client_error(result: ClientResult) -> str:
    """``FILE: <the one-line error>``; an error that already starts with the file's
    name (``x.xlsx: no such file``) is not prefixed again."""
    name = result.client.name
    return result.error if result.error.startswith(f"{name}:") else f"{name}: {result.error}"


def _print_batch(results: Sequence[ClientResult], out_dir: Path | None) -> None:
    """The batch as a table, then a total line; each failed client's error on stderr,
    with its traceback when TLH_DEBUG is set; projected rules named once."""
    import os
    import sys
    from decimal import Decimal

    def cash(value: Decimal | None) -> str:
        return "-" if value is None else money(value)

    headers = ("Client", "Tax without", "Tax with", "Saved", "Trading costs", "Deadline")
    rows = [
        (
            r.client.name,
            cash(r.tax_without_harvest),
            cash(r.tax_with_harvest),
            cash(r.tax_saved),
            cash(r.trading_costs),
            str(r.deadline) if r.deadline else "-",
            "filled" if r.ok else f"failed: {r.error}",
        )
        for r in results
    ]
    first = min(40, max(len(headers[0]), *(len(row[0]) for row in rows)))
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(headers) if i > 0]
    line = f"{headers[0]:<{first}}" + "".join(f"  {h:>{w}}" for h, w in zip(headers[1:], widths))
    print(f"{line}  Status")
    for row in rows:
        client = row[0] if len(row[0]) <= first else "..." + row[0][-(first - 3) :]
        cells = "".join(f"  {v:>{w}}" for v, w in zip(row[1:6], widths))
        print(f"{client:<{first}}{cells}  {row[6]}")
    filled = [r for r in results if r.ok]
    failed = len(results) - len(filled)
    saved = sum((r.tax_saved or Decimal(0) for r in filled), start=Decimal(0))
    costs = sum((r.trading_costs or Decimal(0) for r in filled), start=Decimal(0))
    where = f"into {out_dir}" if out_dir is not None else "each next to its input"
    print(
        f"\n{len(results)} workbook{'s' * (len(results) != 1)}: {len(filled)} filled ({where})"
        f"{f', {failed} failed' if failed else ''}; tax saved {money(saved)} in all, "
        f"trading costs {money(costs)}"
    )
    for note in sorted({n for r in filled for n in r.messages}):
        clients = [r.client.name for r in filled if note in r.messages]
        named = ", ".join(clients) if len(clients) <= 3 else f"{len(clients)} workbooks"
        print(f"  note ({named}): {note}")
    for rules in sorted({p for r in filled for p in r.projected}):
        print(
            f"{PROG}: note: {rules} holds projected figures, "
            "not yet checked against the IRS's Revenue Procedure",
            file=sys.stderr,
        )
    debug = bool(os.environ.get("TLH_DEBUG"))
    for r in results:
        if not r.ok:
            if debug and r.debug:
                sys.stderr.write(r.debug)
            print(f"{PROG}: error: {_client_error(r)}", file=sys.stderr)


def _write_summary(path: Path, results: Sequence[ClientResult]) -> None:
    """The batch summary: a formula-safe CSV (``ledger_cmd.write_csv``) or a workbook."""
    from ..errors import WorkbookError
    from ..workbook.batch import SUMMARY_HEADERS, summary_rows, write_summary_xlsx
    from .ledger_cmd import write_csv

    if path.suffix.lower() == ".xlsx":
        write_summary_xlsx(path, results)
        return
    try:
        write_csv(path, SUMMARY_HEADERS, summary_rows(results))
    except OSError as exc:
        raise WorkbookError(f"{path}: cannot be written ({exc.strerror or exc})") from None


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
    print_plan(result.plan, result.rules, forms=result.forms)
    print(
        f"Wrote {result.output}: open it in Excel or LibreOffice (Harvest, Summary and "
        "Form 8949 sheets)."
    )
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
    print_plan(result.plan, result.rules, forms=result.forms)
    print(
        f"Wrote {result.output}: Positions lists the open lots built from the Transactions, "
        "and Realized this year's disposals."
    )
    return 0
