"""Form 8949 rows and Schedule D totals from disposition records.

Each disposal (the ledger's realized ones, and the plan's suggested sales as a section of
their own) becomes a Form 8949 row with the form's columns: (a) description, (b) date
acquired, (c) date sold, (d) proceeds, (e) cost or other basis, (f) code, (g) adjustment,
(h) gain or loss, where (h) = (d) − (e) + (g) (Instructions for Form 8949 (2025),
"Column (h)—Gain (or Loss)").

**The box** (Instructions for Form 8949 (2025), Part I and Part II, and What's New): a
digital asset goes in G, H or I when short-term and J, K or L when long-term; a security
(a spot ETF) in A–C or D–F. Within the part, by how the sale was reported:

* ``basis_reported`` (A/D/G/J): a Form 1099-B or 1099-DA showing basis reported to the
  IRS. A broker reports basis for a *covered security*: a digital asset acquired in the
  account on or after the rule file's ``broker_basis_reported_from`` (2026-01-01: "a
  digital asset acquired after 2025 ... held in that account until the broker effects
  the disposition", Instructions for Form 1099-DA, General Instructions);
* ``basis_not_reported`` (B/E/H/K): a form without basis (every 2025 sale at a broker:
  brokers reported gross proceeds only), or a lot acquired before that date, or moved
  into the account after it was acquired;
* ``no_statement`` (C/F/I/L): no form, a sale from self-custody.

Which wallets are brokers comes from the Wallets table (``Kind``), with the user's own
``Basis Reported From`` date and a ``Box`` override; the defaults live in the rule file
(``form_8949``), not here. A wallet without a Kind gets box ``?`` and a reason, so
nothing is put in a box on a guess.

**Columns (d) and (e)** are the records' own: proceeds net of selling costs (as a
digital-asset broker reports them: gross proceeds "after reduction for the allocable
digital asset transaction costs", Instructions for Form 1099-DA) and basis with purchase
costs. Codes (f) and amounts (g) are the disposition's own adjustments (none today): tlh-xl
does not see the figures on the 1099-DA, so a code ``B`` (basis reported wrong) or ``E``
(selling costs not reflected) is for the preparer to add where the form differs.

**Schedule D** (Instructions for Schedule D (2025)): lines 1b, 2, 3 total the short-term
boxes (A/G, B/H, C/I), lines 8b, 9, 10 the long-term ones (D/J, E/K, F/L); line 6 and 14
are the carryovers (entered as losses); line 7 and 15 the net short- and long-term
results; line 16 their sum.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from ..domain.disposition import Disposition
from ..errors import InputError
from ..money import ZERO, cents
from ..rulebook.model import Form8949, Form8949Boxes

__all__ = [
    "LONG_BOXES",
    "SCHEDULE_D_LINES",
    "SHORT_BOXES",
    "Form8949Row",
    "ScheduleDLine",
    "WalletReporting",
    "box_for",
    "form_8949_rows",
    "schedule_d",
]

Section = Literal["Realized", "Planned"]
WalletKind = Literal["Broker", "Self-custody"]
SHORT_BOXES = ("A", "B", "C", "G", "H", "I")
LONG_BOXES = ("D", "E", "F", "J", "K", "L")
UNBOXED = "?"  # a wallet whose Kind is not known: no box is guessed


@dataclass(frozen=True)
class WalletReporting:
    """How a wallet's sales are reported, from the Wallets table."""

    kind: WalletKind | None = None
    basis_reported_from: dt.date | None = None  # the broker's own date, if not the rules'
    box: str | None = None  # an override: a box letter of either part (G means G or J)
    place: str = ""  # where the row is, for messages ("Wallets!A3")


@dataclass(frozen=True)
class Form8949Row:
    section: Section
    box: str
    description: str  # (a)
    acquired: dt.date | str  # (b): a date, or "VARIOUS"
    sold: dt.date  # (c)
    proceeds: Decimal  # (d)
    cost_basis: Decimal  # (e)
    code: str  # (f)
    adjustment: Decimal  # (g)
    gain_loss: Decimal  # (h) = (d) − (e) + (g)
    term: Literal["short", "long"]
    wallet: str
    why: str  # why this box, in words


def _part(form: Form8949, asset_class: str, term: str) -> Form8949Boxes:
    kind = form.boxes.security if asset_class == "Security" else form.boxes.digital
    return kind.short if term == "short" else kind.long


def _override(part: Form8949Boxes, box: str, place: str) -> str:
    """A Box override for this part: the letter itself, or the same row of the other
    part's letters (G given for a long-term sale is J)."""
    letter = box.strip().upper()
    rows = ("basis_reported", "basis_not_reported", "no_statement")
    pairs = {**dict(zip(SHORT_BOXES, LONG_BOXES)), **dict(zip(LONG_BOXES, SHORT_BOXES))}
    for row in rows:
        if getattr(part, row) in (letter, pairs.get(letter)):
            return str(getattr(part, row))
    raise InputError(
        f"{place} Box: {box!r} is not a box for this kind of asset "
        f"({part.basis_reported}, {part.basis_not_reported} or {part.no_statement})"
    )


def box_for(
    form: Form8949,
    disposition: Disposition,
    reporting: WalletReporting | None,
    moved_in: bool = False,
) -> tuple[str, str]:
    """(box, why) for one disposition."""
    part = _part(form, disposition.asset_class, disposition.term)
    wallet = disposition.wallet or "(pooled)"
    if reporting is not None and reporting.box:
        return _override(part, reporting.box, reporting.place), f"{wallet}: Box on Wallets"
    if reporting is None or reporting.kind is None:
        return UNBOXED, f"{wallet}: no Kind on the Wallets sheet (Broker or Self-custody)"
    if reporting.kind == "Self-custody":
        return part.no_statement, f"{wallet}: self-custody, no Form 1099"
    if disposition.asset_class == "Security":
        # A fund bought at a broker is a covered security (basis reported), unless the
        # user gives the date from which this broker reports basis.
        since = reporting.basis_reported_from
        if since is None or disposition.acquired >= since:
            return part.basis_reported, f"{wallet}: broker, basis reported"
        return part.basis_not_reported, f"{wallet}: broker, acquired before {since}"
    since = reporting.basis_reported_from or form.broker_basis_reported_from
    if disposition.sold < form.broker_basis_reported_from:
        # Sales before the first year of basis reporting: gross proceeds only.
        return part.basis_not_reported, f"{wallet}: broker, gross proceeds only"
    if moved_in:
        return part.basis_not_reported, f"{wallet}: broker, lot moved into the account"
    if disposition.acquired < since:
        return part.basis_not_reported, f"{wallet}: broker, acquired before {since}"
    return part.basis_reported, f"{wallet}: broker, acquired from {since}: basis reported"


def _description(d: Disposition, section: Section) -> str:
    units = f"{d.quantity.normalize():f}"
    where = f"tx {d.tx_id}" if section == "Realized" else f"lot {d.lot_id}, planned"
    return f"{units} {d.asset} ({where})"


def form_8949_rows(
    form: Form8949,
    realized: Iterable[Disposition],
    planned: Iterable[Disposition],
    wallets: Mapping[str, WalletReporting],
    origin_wallet: Callable[[Disposition, Section], str | None] = lambda _d, _s: None,
) -> list[Form8949Row]:
    """The rows, realized first then planned, each section in box order, then by date
    sold, acquired and description (the order of the printed form)."""
    out: list[Form8949Row] = []
    for section, records in (("Realized", realized), ("Planned", planned)):
        rows = []
        for d in records:
            origin = origin_wallet(d, section)  # type: ignore[arg-type]
            moved = origin is not None and bool(d.wallet) and origin != d.wallet
            box, why = box_for(form, d, wallets.get(d.wallet), moved)
            code = ",".join(a.code for a in d.adjustments)
            # Each column to the cent, and (h) from the columns as shown, so every row
            # adds up on the form: (h) = (d) − (e) + (g).
            adjustment = cents(sum((a.amount for a in d.adjustments), ZERO))
            proceeds, basis = cents(d.proceeds), cents(d.cost_basis)
            rows.append(
                Form8949Row(
                    section,  # type: ignore[arg-type]
                    box,
                    _description(d, section),  # type: ignore[arg-type]
                    d.acquired,
                    d.sold,
                    proceeds,
                    basis,
                    code,
                    adjustment,
                    proceeds - basis + adjustment,
                    d.term,
                    d.wallet,
                    why,
                )
            )
        order = {b: i for i, b in enumerate((*SHORT_BOXES, *LONG_BOXES, UNBOXED))}
        rows.sort(key=lambda r: (order[r.box], r.sold, str(r.acquired), r.description))
        out.extend(rows)
    return out


@dataclass(frozen=True)
class ScheduleDLine:
    line: str  # "1b", "2", ..., "16"
    name: str  # the defined name's stem: SchD1b
    label: str
    proceeds: Decimal | None
    cost_basis: Decimal | None
    adjustment: Decimal | None
    gain_loss: Decimal


# Schedule D lines from Form 8949 boxes (Instructions for Schedule D (2025), lines 1b-3
# and 8b-10: "from Form(s) 8949 with box A or G checked", ...).
SCHEDULE_D_LINES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("1b", "Short-term, box A or G (basis reported)", ("A", "G")),
    ("2", "Short-term, box B or H (basis not reported)", ("B", "H")),
    ("3", "Short-term, box C or I (no 1099)", ("C", "I")),
    ("8b", "Long-term, box D or J (basis reported)", ("D", "J")),
    ("9", "Long-term, box E or K (basis not reported)", ("E", "K")),
    ("10", "Long-term, box F or L (no 1099)", ("F", "L")),
)


def schedule_d(
    rows: Sequence[Form8949Row],
    carryover_short: Decimal = ZERO,
    carryover_long: Decimal = ZERO,
    other_short: Decimal = ZERO,
    other_long: Decimal = ZERO,
) -> list[ScheduleDLine]:
    """Schedule D's lines for ``rows`` (both sections: the return if the planned sales
    are made). ``carryover_*`` are last year's carryovers, positive (lines 6 and 14 show
    them as losses); ``other_*`` gains or losses with no Form 8949 row (realized figures
    typed on the Profile) go on a line of their own so the totals still reconcile.
    Rows without a box are counted on a line of their own too: the totals must say what
    is not yet placed."""
    out: list[ScheduleDLine] = []

    def total(boxes: Iterable[str]) -> tuple[Decimal, Decimal, Decimal, Decimal]:
        chosen = [r for r in rows if r.box in boxes]
        return (
            sum((r.proceeds for r in chosen), ZERO),
            sum((r.cost_basis for r in chosen), ZERO),
            sum((r.adjustment for r in chosen), ZERO),
            sum((r.gain_loss for r in chosen), ZERO),
        )

    net = {"short": ZERO, "long": ZERO}
    for line, label, boxes in SCHEDULE_D_LINES:
        d, e, g, h = total(boxes)
        out.append(ScheduleDLine(line, f"SchD{line}", label, d, e, g, h))
        net["short" if boxes[0] in SHORT_BOXES else "long"] += h
    for term, line, label in (
        ("short", "ST?", "Short-term rows without a box (see Wallets)"),
        ("long", "LT?", "Long-term rows without a box (see Wallets)"),
    ):
        unboxed = [r for r in rows if r.box == UNBOXED and r.term == term]
        if unboxed:
            h = sum((r.gain_loss for r in unboxed), ZERO)
            d = sum((r.proceeds for r in unboxed), ZERO)
            e = sum((r.cost_basis for r in unboxed), ZERO)
            a = sum((r.adjustment for r in unboxed), ZERO)
            name = f"SchDUnboxed{term.title()}"
            out.append(ScheduleDLine(line, name, label, d, e, a, h))
            net[term] += h
    for term, line, label, other in (
        ("short", "ST+", "Short-term gain/loss typed on the Profile (no rows)", other_short),
        ("long", "LT+", "Long-term gain/loss typed on the Profile (no rows)", other_long),
    ):
        if other:
            name = f"SchDOther{term.title()}"
            out.append(ScheduleDLine(line, name, label, None, None, None, other))
            net[term] += other
    out.append(
        ScheduleDLine(
            "6", "SchD6", "Short-term capital loss carryover", None, None, None, -carryover_short
        )
    )
    net["short"] -= carryover_short
    out.append(
        ScheduleDLine(
            "7", "SchD7", "Net short-term capital gain or (loss)", None, None, None, net["short"]
        )
    )
    out.append(
        ScheduleDLine(
            "14", "SchD14", "Long-term capital loss carryover", None, None, None, -carryover_long
        )
    )
    net["long"] -= carryover_long
    out.append(
        ScheduleDLine(
            "15", "SchD15", "Net long-term capital gain or (loss)", None, None, None, net["long"]
        )
    )
    out.append(
        ScheduleDLine(
            "16",
            "SchD16",
            "Net capital gain or (loss): line 7 + line 15",
            None,
            None,
            None,
            net["short"] + net["long"],
        )
    )
    return out
