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
    from .money import format_usd

    return format_usd(value)


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


def _load_rules_arg(spec: str, rules_dir: str | None) -> Rules:
    """A year (found on the search path) or the path of a rule file."""
    from pathlib import Path

    from .rulebook import load_rules, parse_rules_file

    if spec.isdigit():
        return load_rules(int(spec), rules_dir=rules_dir)
    return parse_rules_file(Path(spec))


def _cmd_rules_new(args: argparse.Namespace) -> int:
    from decimal import Decimal, InvalidOperation

    from .errors import InputError, RulesError
    from .rulebook.authoring import dump_rules, project
    from .rulebook.store import load_rules, writable_rules_dir

    try:
        inflation = Decimal(args.inflation)
    except InvalidOperation:
        raise InputError(
            f"--inflation: expected a rate such as 0.025, got {args.inflation!r}"
        ) from None
    if not Decimal("-0.5") < inflation < Decimal("0.5"):
        raise InputError(f"--inflation: {inflation} is a rate (0.025 means 2.5%)")
    if args.year <= args.source:
        raise InputError(f"YEAR {args.year} must come after --from {args.source}")
    source = load_rules(args.source, args.jurisdiction, rules_dir=args.rules_dir)
    projected = project(source, args.year, inflation)
    target = writable_rules_dir(args.rules_dir) / args.jurisdiction / f"{args.year}.yaml"
    if target.exists() and not args.force:
        raise RulesError(f"{target}: already exists (use --force to replace it)")
    target.parent.mkdir(parents=True, exist_ok=True)
    schema = target.parent.parent / "schema.json"
    if not schema.exists():  # so the file's $schema comment resolves in the editor
        from .rulebook.schema import rules_json_schema_text

        schema.write_text(rules_json_schema_text(), encoding="utf-8")
    target.write_text(dump_rules(projected), encoding="utf-8")
    print(f"wrote {target}")
    rate = format((inflation * 100).normalize(), "f")
    print(f"  projected from {source.path} with {rate}% inflation; status: projected")
    print(f"  next: replace the indexed amounts with the IRS Revenue Procedure for {args.year},")
    print(f"  run '{PROG} rules check {target}' and '{PROG} rules diff {args.source} {target}',")
    print("  then set status: official and last_verified to the date you checked.")
    return 0


def _cmd_rules_diff(args: argparse.Namespace) -> int:
    from .rulebook.authoring import diff_rules

    a = _load_rules_arg(args.a, args.rules_dir)
    b = _load_rules_arg(args.b, args.rules_dir)
    changes = diff_rules(a, b, with_sources=args.sources)
    if not changes:
        print(f"no differences between {a.describe()} and {b.describe()}")
        return 0
    width = max(len(k) for k, _, _ in changes)
    left = max(len(_show_value(v)) for _, v, _ in changes)
    print(f"{'key':<{width}}  {a.describe():>{left}}    {b.describe()}")
    for key, old, new in changes:
        print(f"{key:<{width}}  {_show_value(old):>{left}} -> {_show_value(new)}")
    return 0


# --- excel setup --------------------------------------------------------------------

XLWINGS_CONF = """"UDF Modules","tlh_xl.udfs"
"Interpreter_Win","{python}"
"""
LITE_MAIN = """# xlwings Lite: main.py. The functions appear as TLH.TERM, TLH.SUGGEST, ...
# and the script TLH_FILL fills Positions, Harvest and Summary.
from tlh_xl.udfs import *  # noqa: F403
"""
LITE_REQUIREMENTS = """# xlwings Lite: requirements.txt. tlh-xl is not on PyPI yet: build a wheel
# with `pip wheel --no-deps .` and host it where Lite can download it (a GitHub release).
xlwings
pydantic
pyyaml
openpyxl
pandas
tlh-xl @ https://example.invalid/REPLACE-WITH-YOUR-URL/tlh_xl-{version}-py3-none-any.whl
"""


def _cmd_excel_setup(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .errors import InputError

    files = {
        "xlwings.conf": XLWINGS_CONF.format(python=sys.executable),
        "main.py": LITE_MAIN,
        "requirements.txt": LITE_REQUIREMENTS.format(version=_version()),
    }
    if args.write:
        folder = Path(args.write)
        if not folder.is_dir():
            raise InputError(f"{folder}: no such folder")
        for name in files:
            target = folder / name
            if target.exists() and not args.force:
                raise InputError(f"{target}: already exists (use --force to replace it)")
        for name, text in files.items():
            (folder / name).write_text(text, encoding="utf-8")
            print(f"wrote {folder / name}")
        return 0
    print("Classic xlwings (Windows Excel with the xlwings add-in)")
    print("  1. pip install xlwings and tlh-xl into the Python the add-in uses, then run:")
    print("     xlwings addin install")
    print("  2. In the xlwings ribbon tab set UDF Modules to tlh_xl.udfs, or put this in")
    print("     xlwings.conf next to your workbook (or in %USERPROFILE%\\.xlwings\\xlwings.conf):")
    for line in files["xlwings.conf"].splitlines():
        print(f"       {line}")
    print("  3. Click Import Functions. Use =TLH_SUGGEST(Lots[#All],Prices[#All],Profile!A4:B18).")
    print(
        '  4. Fill button: a macro that calls RunPython "import tlh_xl.udfs; '
        'tlh_xl.udfs.fill_this_workbook()"'
    )
    print()
    print("xlwings Lite (Excel on Windows, Mac and the web): paste into the editor's main.py")
    for line in files["main.py"].splitlines():
        print(f"       {line}")
    print("  and into requirements.txt")
    for line in files["requirements.txt"].splitlines():
        print(f"       {line}")
    print("  Then use =TLH.SUGGEST(...) and run the TLH_FILL script.")
    print()
    print(f"Write these files into a folder with: {PROG} excel setup --write FOLDER")
    return 0


# --- workbook commands ----------------------------------------------------------------


def _print_plan(plan: Any, rules: Rules, top: int = 10) -> None:
    s = plan.summary
    rows = [
        ("Tax without harvesting", _money(s.tax_without_harvest)),
        ("Tax with harvesting", _money(s.tax_with_harvest)),
        ("Tax saved this year", _money(s.tax_saved)),
        ("Trading costs", _money(s.trading_costs)),
        (f"Net benefit (carryforward valued at {s.carryforward_value:.3f})", _money(s.net_benefit)),
        (
            "Loss harvested: short-term / long-term",
            f"{_money(s.loss_harvested_short_term)} / {_money(s.loss_harvested_long_term)}",
        ),
        ("Ordinary income offset", _money(s.ordinary_income_offset)),
        (
            "Carryforward out: short-term / long-term",
            f"{_money(s.carryforward_out_short_term)} / {_money(s.carryforward_out_long_term)}",
        ),
        ("Deadline", f"{s.deadline} ({s.days_to_deadline} days left)"),
    ]
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"  {label:<{width}}  {value:>27}")
    for message in plan.messages:
        print(f"  note: {message}")
    sales = sorted(plan.sale_records, key=lambda x: x.gain_loss)
    if not sales:
        print("\nNo sales suggested.")
    else:
        shown = sales[:top]
        print(f"\nTop {len(shown)} of {len(sales)} suggested sales (by loss)")
        print(
            f"  {'Lot':<6}{'Asset':<18}{'Wallet':<12}{'Quantity':>16}{'Gain/Loss':>15}  "
            f"{'Term':<11}Rebuy on"
        )
        for x in shown:
            qty = f"{x.sell_quantity.normalize():f}"
            print(
                f"  {x.lot_id:<6}{x.asset[:17]:<18}{x.wallet[:11]:<12}{qty:>16}"
                f"{_money(x.gain_loss):>15}  {x.term:<11}{x.rebuy_on or 'no rebuy'}"
            )
    print(f"\nRules: {rules.describe()} ({rules.path})")


def _cmd_init(args: argparse.Namespace) -> int:
    import shutil
    from pathlib import Path

    from .errors import WorkbookError
    from .workbook.template import template_path

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


def _date_arg(text: str) -> Any:
    import datetime as dt

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


def _cmd_fill(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .workbook.fill import fill_workbook

    result = fill_workbook(
        Path(args.input),
        Path(args.output) if args.output else None,
        in_place=args.in_place,
        as_of=args.as_of,
        year=args.year,
        rules_dir=args.rules_dir,
        lots_csv=Path(args.lots) if args.lots else None,
        prices_csv=Path(args.prices) if args.prices else None,
        on_rules=_warn_projected,
    )
    print(f"wrote {result.output}\n")
    _print_plan(result.plan, result.rules)
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    import tempfile
    from pathlib import Path

    from .workbook.fill import fill_workbook
    from .workbook.sample import build_sample_workbook

    output = Path(args.output)
    with tempfile.TemporaryDirectory() as tmp:
        sample = Path(tmp) / "tlh-sample.xlsx"
        build_sample_workbook(sample)
        result = fill_workbook(sample, output, rules_dir=args.rules_dir, on_rules=_warn_projected)
    print("Sample portfolio: 40 lots (BTC, ETH, SOL across six wallets, collapsed coins, two")
    print("NFTs, a spot bitcoin ETF), married filing jointly, tax year 2026, sale on 2026-12-01.\n")
    _print_plan(result.plan, result.rules)
    print(f"Wrote {result.output}: open it in Excel or LibreOffice (Harvest and Summary sheets).")
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

    rules = sub.add_parser("rules", help="list, show, check, diff and project rule files")
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
    rnew = rsub.add_parser(
        "new",
        parents=[rules_dir],
        help="project next year's rule file from an earlier one",
        description="Write DIR/us/YEAR.yaml (DIR: --rules-dir, else TLH_RULES_DIR, else your "
        "user rules folder) with inflation-indexed amounts grown by RATE and "
        "rounded down as the Code prescribes; marked projected until you check it.",
    )
    rnew.add_argument("year", type=int, metavar="YEAR")
    rnew.add_argument("--from", dest="source", type=int, required=True, metavar="YEAR")
    rnew.add_argument(
        "--inflation",
        default="0.025",
        metavar="RATE",
        help="expected inflation as a fraction (default 0.025)",
    )
    rnew.add_argument("--jurisdiction", default="us")
    rnew.add_argument("--force", action="store_true", help="replace an existing file")
    rnew.set_defaults(func=_cmd_rules_new)
    rdiff = rsub.add_parser(
        "diff", parents=[rules_dir], help="changed values between two years or files"
    )
    rdiff.add_argument("a", metavar="A", help="a year (e.g. 2025) or a rule file")
    rdiff.add_argument("b", metavar="B")
    rdiff.add_argument("--sources", action="store_true", help="also compare references")
    rdiff.set_defaults(func=_cmd_rules_diff)

    init = sub.add_parser("init", help="copy the template workbook to FILE")
    init.add_argument("file", metavar="FILE")
    init.add_argument("--force", action="store_true", help="replace FILE if it exists")
    init.set_defaults(func=_cmd_init)

    fill = sub.add_parser(
        "fill",
        parents=[rules_dir],
        help="write the harvest plan into a workbook",
        description="Read Profile, Lots and Prices; write Positions, Harvest and Summary. "
        "Without -o, writes INPUT-harvest.xlsx next to INPUT; the input is never "
        "changed unless --in-place is given.",
    )
    fill.add_argument("input", metavar="INPUT")
    where = fill.add_mutually_exclusive_group()
    where.add_argument("-o", "--output", metavar="OUTPUT")
    where.add_argument("--in-place", action="store_true", help="rewrite INPUT itself")
    fill.add_argument(
        "--as-of",
        type=_date_arg,
        metavar="DATE",
        help="planned sale date (overrides Profile AsOfDate)",
    )
    fill.add_argument("--year", type=int, help="tax year (overrides Profile TaxYear)")
    fill.add_argument("--lots", metavar="CSV", help="read lots from a CSV instead of Lots")
    fill.add_argument("--prices", metavar="CSV", help="read prices from a CSV instead of Prices")
    fill.set_defaults(func=_cmd_fill)

    excel = sub.add_parser("excel", help="set up the Excel functions (xlwings)")
    esub = excel.add_subparsers(dest="excel_command", metavar="ACTION", required=True)
    setup = esub.add_parser(
        "setup", help="print (or write) the xlwings.conf and xlwings Lite snippets"
    )
    setup.add_argument(
        "--write",
        metavar="FOLDER",
        help="write xlwings.conf, main.py and requirements.txt into FOLDER",
    )
    setup.add_argument("--force", action="store_true", help="replace existing files")
    setup.set_defaults(func=_cmd_excel_setup)

    demo = sub.add_parser(
        "demo", parents=[rules_dir], help="fill the bundled sample portfolio and print the plan"
    )
    demo.add_argument(
        "-o",
        "--output",
        default="tlh-xl-demo.xlsx",
        metavar="FILE",
        help="where to write the filled sample (default: tlh-xl-demo.xlsx)",
    )
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
