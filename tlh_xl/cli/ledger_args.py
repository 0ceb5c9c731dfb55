"""The ``ledger`` subcommand's arguments, apart from ``ledger_cmd``.

Why apart: the parser is built for every command, even ``--help``; ``ledger_cmd``, with
the csv and tempfile modules it needs, is imported only when ``tlh-xl ledger`` runs.
"""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["OWN_FORMAT", "add_parser"]

OWN_FORMAT = "tlh-xl"


def _method_arg(text: str) -> Any:
    from ..errors import InputError
    from ..ledger import parse_standing_order

    try:
        return parse_standing_order(text, "--method")
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--method: ")) from None


def add_parser(sub: Any, date_arg: Any, func: Any) -> None:
    """The ``ledger`` subcommand's arguments; ``func`` runs it."""
    p = sub.add_parser(
        "ledger",
        help="build open lots and this year's disposals from transaction exports",
        description="Read transaction exports (tlh-xl's own Transactions CSV, Coinbase, "
        "Kraken ledgers, Koinly, CoinTracker), work out the open lots per wallet (from "
        "2025; all wallets pooled before) by the method chosen, and this tax year's "
        "disposals and realized gains.",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="the exports to read (CSV)")
    p.add_argument(
        "--format",
        choices=[OWN_FORMAT, "coinbase", "kraken", "koinly", "cointracker"],
        help="the files' format (default: found from each file's header)",
    )
    p.add_argument(
        "--method",
        type=_method_arg,
        metavar="METHOD",
        help="which lots a sale takes: fifo (the default the regulations give), lifo, "
        "hifo (highest basis per unit) or specific (each sale names its lots); or one "
        "per year from then on, a standing order: '2021:hifo,2025:fifo'",
    )
    p.add_argument(
        "--universal",
        action="store_true",
        help="pool all wallets in every year (the rule before 2025), not per wallet",
    )
    p.add_argument(
        "--through",
        type=date_arg,
        metavar="DATE",
        help="read transactions up to this date; the open lots are as of it",
    )
    p.add_argument("--year", type=int, help="the tax year of the disposals (default: this year)")
    p.add_argument(
        "--tz",
        metavar="ZONE",
        help="your time zone, an IANA name such as America/New_York, for bare dates and "
        "for each sale's tax year (default UTC)",
    )
    p.add_argument(
        "--wallet",
        metavar="NAME",
        help="the account name for a single-account export (default Coinbase, Kraken)",
    )
    p.add_argument(
        "--own-wallet",
        action="append",
        metavar="NAME",
        help="a wallet of yours that no row names as its Wallet (repeatable)",
    )
    p.add_argument("--lots-out", metavar="CSV", help="write the open lots as a Lots CSV")
    p.add_argument(
        "--realized-out", metavar="CSV", help="write the year's disposals as a Realized CSV"
    )
    p.add_argument(
        "-o",
        "--output",
        metavar="WORKBOOK",
        help="write a workbook: the template with these Lots, a Realized sheet and the "
        "year's realized gains on Profile",
    )
    p.set_defaults(func=func)
