"""The pipeline's first step when the lots come from transactions.

A workbook whose Lots table is empty and whose Transactions table is not is planned from
its transactions: the ledger (``tlh_xl.ledger``) runs them, per wallet from 2025, by the
Profile's ``LotMethod`` and in its ``TimeZone``, into the open lots as of the planned sale
date and the tax year's disposals. The open lots become the Lots the plan reads, each
named by the transaction row it came from; the year's realized gain or loss fills the
Profile's realized figures when the Profile leaves all three blank (a figure typed there
wins, since it may include sales made elsewhere). What was used is said in words for the
Summary, so a user can see where every input came from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .domain.disposition import Disposition
from .errors import InputError
from .holding_period import as_date
from .money import format_usd
from .workbook.contract import LOT_COLUMNS, TRANSACTION_TABLE_COLUMNS, WALLET_KINDS
from .workbook.reader import Grid

if TYPE_CHECKING:
    from .forms import WalletReporting
    from .harvest.inputs import Profile
    from .ledger import Ledger, LedgerSettings

__all__ = ["LedgerLots", "ledger_lots", "ledger_settings", "wallet_names", "wallet_reporting"]

# The Profile's realized figures: the ledger fills them only when all are blank.
_REALIZED_FIELDS = ("realized_short_term", "realized_long_term", "realized_collectibles")


@dataclass(frozen=True)
class LedgerLots:
    """The ledger's part of a plan: its lots as a Grid, the Profile with the ledger's
    realized figures where it had none, and what was used, in words."""

    ledger: Ledger
    year: int  # the tax year whose disposals are the realized figures
    lots: Grid
    profile: Profile
    realized: list[Disposition]
    lots_from: str
    realized_from: str
    time_zone_used: str
    messages: tuple[str, ...] = ()
    origin: dict[str, str] | None = None  # acquiring transaction → the wallet it came into
    realized_used: bool = True  # the year's disposals are the plan's realized figures


def ledger_settings(
    profile: Profile, where: Callable[[str], str], wallets: Sequence[str] = ()
) -> LedgerSettings:
    """The ledger's settings from the Profile's TimeZone and LotMethod, each checked and
    refused naming its cell (``Profile!B22 TimeZone: unknown time zone 'EST5'``), and the
    user's own ``wallets`` (the Wallets table's, ``wallet_reporting``)."""
    from .ledger import LedgerSettings, parse_standing_order, time_zone

    zone = _text(profile.time_zone) or "UTC"
    time_zone(zone, where("time_zone"))
    method = _text(profile.lot_method)
    methods = parse_standing_order(method, where("lot_method")) if method else None
    return LedgerSettings(methods=methods, time_zone=zone, wallets=tuple(wallets))


def wallet_names(wallets: Grid) -> tuple[str, ...]:
    """The Wallets table's wallet names, in order; a row without a name, an unknown Kind
    or a wallet listed twice is refused naming its cell."""
    return tuple(wallet_reporting(wallets))


def wallet_reporting(wallets: Grid) -> dict[str, WalletReporting]:
    """Each wallet of the Wallets table (in order) with how its sales are reported: Kind,
    Basis Reported From and a Box override, each checked and refused naming its cell."""
    from .forms import LONG_BOXES, SHORT_BOXES, WalletReporting

    kinds = {k.casefold().replace(" ", "-"): k for k in WALLET_KINDS}
    out: dict[str, WalletReporting] = {}
    seen: dict[str, str] = {}
    for i, record in enumerate(wallets.records):
        name = _text(record.get("wallet"))
        if not name:
            raise InputError(f"{wallets.place(i, '', 'wallet')}: empty (name the wallet)")
        kind = _text(record.get("kind"))
        if kind and kind.casefold().replace(" ", "-") not in kinds:
            raise InputError(
                f"{wallets.place(i, '', 'kind')}: {kind!r} is not a kind of wallet "
                f"(expected {' or '.join(WALLET_KINDS)}, or blank)"
            )
        if name in seen:
            raise InputError(
                f"{wallets.place(i, '', 'wallet')}: {name!r} is listed twice (also {seen[name]})"
            )
        since = record.get("basis_reported_from")
        if since is not None and not isinstance(since, dt.date):
            since = as_date(since, wallets.place(i, "", "basis_reported_from"))
        box = _text(record.get("box")).upper()
        if box and box not in (*SHORT_BOXES, *LONG_BOXES):
            raise InputError(
                f"{wallets.place(i, '', 'box')}: {box!r} is not a Form 8949 box (A to L)"
            )
        seen[name] = wallets.places[i].get("wallet", f"{wallets.name} row {i + 2}")
        out[name] = WalletReporting(
            kinds[kind.casefold().replace(" ", "-")] if kind else None,  # type: ignore[arg-type]
            since,
            box or None,
            seen[name],
        )
    return out


def ledger_lots(
    profile: Profile,
    settings: LedgerSettings,
    transactions: Grid,
    year: int,
    as_of: dt.date,
) -> LedgerLots:
    """Run ``transactions`` (a Transactions table read as a Grid) into the plan's lots,
    with ``settings`` from ``ledger_settings``.

    Transactions after ``as_of`` are left out (the lots are those open on the planned
    sale date), and a message says how many."""
    from .ledger import build_ledger, parse_transaction_rows, time_zone

    settings = replace(settings, through=as_of)
    headers = {c.field: c.header for c in TRANSACTION_TABLE_COLUMNS}
    by_header = {c.header: c.field for c in TRANSACTION_TABLE_COLUMNS}
    rows = [{headers[f]: record.get(f) for f in headers} for record in transactions.records]

    def place(i: int, column: str) -> str:
        cells = transactions.places[i]
        cell = cells.get(by_header.get(column, ""), "")
        if not cell:  # the row as a whole: its first cell
            cell = cells.get("tx_id") or next(iter(cells.values()), "")
            return cell or f"{transactions.name} row {i + 2}"
        shown = transactions.headers.get(by_header[column], column)
        return f"{cell} {shown}"

    parsed = parse_transaction_rows(rows, place, settings.time_zone, transactions.name)
    zone = time_zone(settings.time_zone)
    later = sum(1 for t in parsed if t.time.astimezone(zone).date() > as_of)
    ledger = build_ledger(parsed, settings)
    lots = _lots_grid(ledger, {t.tx_id: t.place for t in parsed}, transactions.name)
    # The wallet each lot came into: a lot later moved is not a broker's covered security.
    came_into = {t.tx_id: t.wallet for t in parsed if t.type != "Transfer"}

    realized = ledger.realized(year)
    totals = ledger.realized_totals(year)
    collectibles = sum((d.gain_loss for d in realized if d.collectible), Decimal(0))
    short, long = totals["short"], totals["long"] - collectibles
    typed = [f for f in _REALIZED_FIELDS if getattr(profile, f) not in (None, "")]
    count = f"{len(realized):,} disposal{'s' * (len(realized) != 1)} in {year}"
    if typed:
        used = profile
        realized_from = (
            f"Profile (the Transactions' {count}: short-term {format_usd(short)}, "
            f"long-term {format_usd(long)}, not used)"
        )
    else:
        used = replace(
            profile,
            realized_short_term=short,
            realized_long_term=long,
            realized_collectibles=collectibles,
        )
        realized_from = (
            f"Transactions ({count}: short-term {format_usd(short)}, long-term {format_usd(long)})"
        )
    schedule = settings.methods if settings.methods is not None else "fifo"
    method = (
        schedule.upper()
        if isinstance(schedule, str)
        else "; ".join(f"{y}: {m.upper()}" for y, m in sorted(dict(schedule).items()))
    )
    lots_from = (
        f"Transactions ({len(parsed):,} rows; {len(lots.records):,} open lots on "
        f"{as_of.isoformat()}, per wallet from 2025, {method})"
    )
    zone_text = _text(profile.time_zone)
    zone_used = zone_text if zone_text else "UTC (Profile TimeZone is blank)"
    messages: list[str] = []
    if later:
        messages.append(
            f"{later:,} transaction{'s' * (later != 1)} dated after the planned sale date "
            f"({as_of.isoformat()}) {'were' if later != 1 else 'was'} left out of the lots."
        )
    income = ledger.income_in(year)
    if income:
        total = sum((e.value_usd for e in income), Decimal(0))
        messages.append(
            f"The Transactions show {format_usd(total)} of income in {year} (staking, "
            "airdrops, mining: ordinary income). Make sure Profile OrdinaryIncome includes it."
        )
    return LedgerLots(
        ledger,
        year,
        lots,
        used,
        realized,
        lots_from,
        realized_from,
        zone_used,
        tuple(messages),
        came_into,
        not typed,
    )


def _lots_grid(ledger: Ledger, origin: dict[str, str], name: str) -> Grid:
    """The open lots as the Lots table would give them; each value is named by the
    transaction row that made the lot (``Transactions!A7``)."""
    from .workbook.ledger_book import lot_rows

    records = lot_rows(ledger)
    places = []
    for record in records:
        cell = origin.get(str(record.get("tx_id") or ""), "")
        places.append({c.field: cell for c in LOT_COLUMNS} if cell else {})
    headers = {c.field: c.header for c in LOT_COLUMNS}
    return Grid(name, records, places, headers)


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()
