"""The ``tlh-xl`` command line.

Only argparse is imported at start-up; each command imports what it needs, so
``tlh-xl --help`` answers quickly. Exit codes: 0 ok, 2 bad input (one line on stderr,
naming the place), 1 an unexpected failure.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib import import_module
from typing import Any

from .ledger_args import add_parser as add_ledger_parser
from .output import PROG, date_arg, version

__all__ = ["main"]


def _command(module: str, name: str) -> Any:
    """The function ``name`` of ``cli.<module>``, imported when the command runs: the
    parser is built for every command, and each command's module imports its own
    dependencies (openpyxl, csv, the ledger) only then."""

    def run(args: argparse.Namespace) -> int:
        func = getattr(import_module(f"{__package__}.{module}"), name)
        result: int = func(args)
        return result

    run.__name__ = name
    return run


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of 1 or more, got {text!r}")
    return value


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Crypto tax-loss harvesting from YAML tax rules: plans, savings, workbooks.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
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
        help="one-off tax computation (federal, and a state's with --state)",
        description="Federal regular income tax plus NIIT for one year and filing status; "
        "with --state, plus that state's income tax.",
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
    tax.add_argument(
        "--qualified-dividends",
        default="0",
        metavar="AMOUNT",
        help="qualified dividends (Form 1040 line 3a), taxed at the capital gain rates",
    )
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
    tax.add_argument(
        "--st-carryforward",
        default="0",
        metavar="AMOUNT",
        help="short-term capital loss carried over from last year (a positive amount)",
    )
    tax.add_argument(
        "--lt-carryforward",
        default="0",
        metavar="AMOUNT",
        help="long-term capital loss carried over from last year (a positive amount)",
    )
    tax.add_argument(
        "--state-carryforward",
        default=None,
        metavar="AMOUNT",
        help="with --state, the state's own capital loss carryover from last year, for a "
        "state that keeps one (CA); default: the federal carryforwards",
    )
    tax.add_argument(
        "--state",
        default=None,
        metavar="ST",
        help="also the state's tax, e.g. CA, NJ, WA or TX (rules/us-<st>/YEAR.yaml; "
        "'tlh-xl rules list' shows them); it takes its own standard deduction, not "
        "--deduction",
    )
    tax.add_argument("--json", action="store_true", help="print the result as JSON")
    tax.set_defaults(func=_command("tax_cmd", "cmd_tax"))

    rules = sub.add_parser("rules", help="list, show, check, diff and project rule files")
    rsub = rules.add_subparsers(dest="rules_command", metavar="ACTION", required=True)
    rlist = rsub.add_parser("list", parents=[rules_dir], help="years available, and where from")
    rlist.set_defaults(func=_command("rules_cmd", "cmd_rules_list"))
    rshow = rsub.add_parser("show", parents=[rules_dir], help="every value of a year, with sources")
    rshow.add_argument("year", type=int, help="the tax year, e.g. 2026")
    rshow.add_argument(
        "--jurisdiction", default="us", help="the rules' jurisdiction folder (default: us)"
    )
    rshow.set_defaults(func=_command("rules_cmd", "cmd_rules_show"))
    rcheck = rsub.add_parser("check", help="validate rule files; exit 2 on the first defect each")
    rcheck.add_argument("files", nargs="+", metavar="FILE", help="rule files (.yaml) to check")
    rcheck.set_defaults(func=_command("rules_cmd", "cmd_rules_check"))
    rnew = rsub.add_parser(
        "new",
        parents=[rules_dir],
        help="project next year's rule file from an earlier one",
        description="Write DIR/us/YEAR.yaml (DIR: --rules-dir, else TLH_RULES_DIR, else your "
        "user rules folder) with inflation-indexed amounts grown by RATE and "
        "rounded down as the Code prescribes; marked projected until you check it.",
    )
    rnew.add_argument("year", type=int, metavar="YEAR", help="the year to write, e.g. 2027")
    rnew.add_argument(
        "--from",
        dest="source",
        type=int,
        required=True,
        metavar="YEAR",
        help="the year whose rule file is projected forward",
    )
    rnew.add_argument(
        "--inflation",
        default="0.025",
        metavar="RATE",
        help="expected inflation as a fraction (default 0.025)",
    )
    rnew.add_argument(
        "--extends",
        action="store_true",
        help="write only what changes, with 'extends: FROM'; the rest is inherited",
    )
    rnew.add_argument(
        "--jurisdiction", default="us", help="the rules' jurisdiction folder (default: us)"
    )
    rnew.add_argument("--force", action="store_true", help="replace an existing file")
    rnew.set_defaults(func=_command("rules_cmd", "cmd_rules_new"))
    rdiff = rsub.add_parser(
        "diff", parents=[rules_dir], help="changed values between two years or files"
    )
    rdiff.add_argument("a", metavar="A", help="a year (e.g. 2025) or a rule file")
    rdiff.add_argument("b", metavar="B", help="the year or rule file to compare A with")
    rdiff.add_argument("--sources", action="store_true", help="also compare references")
    rdiff.set_defaults(func=_command("rules_cmd", "cmd_rules_diff"))

    init = sub.add_parser(
        "init",
        help="copy the template workbook to FILE",
        description="Copy the blank template workbook (Read me, Profile, Lots, Prices, "
        "Positions, Harvest, Summary) to FILE, to fill in and then run `tlh-xl fill FILE`.",
    )
    init.add_argument("file", metavar="FILE", help="the workbook to create (.xlsx or .xlsm)")
    init.add_argument("--force", action="store_true", help="replace FILE if it exists")
    init.set_defaults(func=_command("workbook_cmd", "cmd_init"))

    fill = sub.add_parser(
        "fill",
        parents=[rules_dir],
        help="write the harvest plan into a workbook (or many clients' workbooks)",
        description="Read Profile, Lots and Prices; write Positions, Harvest and Summary. "
        "Without -o, writes INPUT-harvest.xlsx next to INPUT; the input is never "
        "changed unless --in-place is given. Several workbooks (or --dir FOLDER) are "
        "filled in parallel, one output next to each input (or in --out-dir), with a "
        "table of the clients; one client's bad input is listed and the others are "
        "filled (exit 2 if any failed).",
    )
    fill.add_argument(
        "input",
        nargs="*",
        metavar="INPUT",
        help="the workbook to read (.xlsx or .xlsm); give several to fill them all",
    )
    where = fill.add_mutually_exclusive_group()
    where.add_argument(
        "-o", "--output", metavar="OUTPUT", help="the workbook to write (default INPUT-harvest)"
    )
    where.add_argument("--in-place", action="store_true", help="rewrite INPUT itself")
    fill.add_argument(
        "--as-of",
        type=date_arg,
        metavar="DATE",
        help="planned sale date (overrides Profile AsOfDate)",
    )
    fill.add_argument("--year", type=int, help="tax year (overrides Profile TaxYear)")
    fill.add_argument("--lots", metavar="CSV", help="read lots from a CSV instead of Lots")
    fill.add_argument("--prices", metavar="CSV", help="read prices from a CSV instead of Prices")
    fill.add_argument(
        "--wallets",
        metavar="CSV",
        help="read the wallets (Wallet, Kind, Basis Reported From, Box) from a CSV instead "
        "of the Wallets table",
    )
    fill.add_argument(
        "--8949-out",
        dest="form_8949_out",
        metavar="CSV",
        help="also write the Form 8949 rows (Section, Box, Description, Date Acquired, "
        "Date Sold, Proceeds, Cost Basis, Code, Adjustment, Gain or Loss) to a CSV",
    )
    fill.add_argument(
        "--dir",
        metavar="FOLDER",
        help="also fill every .xlsx/.xlsm directly in FOLDER (not its subfolders; "
        "skips *-harvest outputs, hidden and Excel lock ~$ files)",
    )
    fill.add_argument(
        "--out-dir",
        metavar="DIR",
        help="write each client's INPUT-harvest file into DIR instead of next to INPUT",
    )
    fill.add_argument(
        "--jobs",
        type=_positive_int,
        metavar="N",
        help="workbooks filled at the same time (default: the number of CPUs)",
    )
    fill.add_argument(
        "--summary",
        action="append",
        metavar="FILE",
        help="write the batch summary, one row per client, to FILE (.csv or .xlsx); "
        "may be given twice",
    )
    fill.set_defaults(func=_command("workbook_cmd", "cmd_fill"))

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
    setup.set_defaults(func=_command("excel_cmd", "cmd_excel_setup"))

    add_ledger_parser(sub, date_arg, _command("ledger_cmd", "cmd_ledger"))

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
    demo.add_argument(
        "--ledger",
        action="store_true",
        help="start from the sample's transactions instead: the ledger builds the lots "
        "and the year's realized gains, then the plan is made from them",
    )
    demo.set_defaults(func=_command("workbook_cmd", "cmd_demo"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    from ..errors import TlhError

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
