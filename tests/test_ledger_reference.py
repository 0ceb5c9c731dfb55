"""The engine against a reference written for clarity, not speed, on generated ledgers:
per wallet from the first row, universal throughout, and universal until the 2025
allocation then per wallet; FIFO, LIFO, HIFO and a standing order that changes by year.

The reference keeps each pool as a plain dict (acquisition → quantity) and finds the
next lot by looking at all of them: min or max of a key, no deques, heaps or dead
entries. It knows nothing of lot IDs: pieces of one acquisition in one wallet are one
entry, and results are compared per (sale, acquiring transaction) and per (wallet,
acquiring transaction). The generated amounts are exact in cents (``ledger.synthetic``),
so shares of basis and proceeds are exact and compare with ``==``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pytest

from tlh_xl.holding_period import term
from tlh_xl.ledger import LedgerSettings, MethodSchedule, Transaction, build_ledger
from tlh_xl.ledger.synthetic import SyntheticSpec, synthetic_ledger

ZERO = Decimal(0)
UTC = dt.timezone.utc


class Entry:
    """One acquisition's units in one pool."""

    def __init__(self, seq: int, tx_id: str, day: dt.date, unit: Decimal, qty: Decimal) -> None:
        self.seq, self.tx_id, self.day, self.unit, self.qty = seq, tx_id, day, unit, qty


def reference(rows: list[Transaction], methods: MethodSchedule, switch: dt.date | None):
    """(sold, open): sold[(sale tx, acquiring tx)] = [quantity, basis, proceeds, term];
    open[(wallet, acquiring tx)] = [quantity, basis]. ``switch``: when per-wallet
    accounting starts (None: never)."""
    per_wallet = switch is not None and rows[0].time.date() >= switch
    pools: dict[tuple[str, str], dict[int, Entry]] = defaultdict(dict)
    held: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    sold: dict[tuple[str, str], list] = {}

    def home(wallet: str) -> str:
        return wallet if per_wallet else ""

    def order(pool: dict[int, Entry], method: str) -> list[Entry]:
        entries = sorted(pool.values(), key=lambda e: e.seq)
        if method == "lifo":
            entries.reverse()
        elif method == "hifo":
            entries.sort(key=lambda e: -e.unit)
        return entries

    def take(pool: dict[int, Entry], qty: Decimal, method: str) -> list[tuple[Entry, Decimal]]:
        out = []
        while qty:
            entry = order(pool, method)[0]  # the whole pool looked at, every time
            q = min(qty, entry.qty)
            entry.qty -= q
            qty -= q
            if not entry.qty:
                del pool[entry.seq]
            out.append((entry, q))
        return out

    def record(tx: Transaction, day: dt.date, parts, total: Decimal, proceeds: Decimal) -> None:
        for entry, q in parts:
            row = sold.setdefault((tx.tx_id, entry.tx_id), [ZERO, ZERO, ZERO, term(entry.day, day)])
            row[0] += q
            row[1] += q * entry.unit
            row[2] += proceeds * q / total

    def allocate(method: str) -> None:
        wallets = sorted(
            {w for (w, _a), q in held.items() if q > 0}, key=lambda w: (w.casefold(), w)
        )
        for (_blank, asset), pool in list(pools.items()):
            del pools[("", asset)]
            for wallet in wallets:
                room = held[(wallet, asset)]
                for entry, q in take(pool, room, method) if room else []:
                    moved = pools[(wallet, asset)].setdefault(
                        entry.seq, Entry(entry.seq, entry.tx_id, entry.day, entry.unit, ZERO)
                    )
                    moved.qty += q

    for seq, tx in enumerate(rows):
        day = tx.time.astimezone(UTC).date()
        if switch is not None and not per_wallet and day >= switch:
            allocate(methods.method_for(switch.year))
            per_wallet = True
        method = methods.method_for(day.year)
        if tx.type in ("Buy", "Income"):
            asset, qty = tx.received_asset, tx.received_quantity
            basis = tx.value_usd + (tx.fee_usd or ZERO)
            pools[(home(tx.wallet), asset)][seq] = Entry(seq, tx.tx_id, day, basis / qty, qty)
            held[(tx.wallet, asset)] += qty
        elif tx.type == "Sell":
            asset, qty = tx.sent_asset, tx.sent_quantity
            parts = take(pools[(home(tx.wallet), asset)], qty, method)
            record(tx, day, parts, qty, tx.value_usd - (tx.fee_usd or ZERO))
            held[(tx.wallet, asset)] -= qty
        else:  # a Transfer, with its fee in the coin moved
            asset, qty, fee = tx.sent_asset, tx.sent_quantity, tx.fee_quantity
            source = pools[(home(tx.wallet), asset)]
            if per_wallet:
                dest = pools[(tx.to_wallet, asset)]
                for entry, q in take(source, qty, method):
                    moved = dest.setdefault(
                        entry.seq, Entry(entry.seq, entry.tx_id, entry.day, entry.unit, ZERO)
                    )
                    moved.qty += q
            record(tx, day, take(source, fee, method), fee, tx.fee_usd)
            held[(tx.wallet, asset)] -= qty + fee
            held[(tx.to_wallet, asset)] += qty
    if switch is not None and not per_wallet:
        allocate(methods.method_for(switch.year))
    still: dict[tuple[str, str], list[Decimal]] = {}
    for (wallet, _asset), pool in pools.items():
        for entry in pool.values():
            row = still.setdefault((wallet, entry.tx_id), [ZERO, ZERO])
            row[0] += entry.qty
            row[1] += entry.qty * entry.unit
    return sold, still


def engine(rows: list[Transaction], methods: dict[int, str], switch: dt.date | None):
    settings = LedgerSettings(
        methods=methods,
        universal=switch is None,
        per_wallet_from=switch or dt.date(2025, 1, 1),
    )
    ledger = build_ledger(rows, settings)
    sold: dict[tuple[str, str], list] = {}
    for d in ledger.disposals:
        acquiring = d.lot_id.partition("#")[0]  # IDs are the acquiring Tx ID (+ #n)
        row = sold.setdefault((d.tx_id, acquiring), [ZERO, ZERO, ZERO, d.term])
        row[0] += d.quantity
        row[1] += d.cost_basis
        row[2] += d.proceeds
        assert row[3] == d.term
    still: dict[tuple[str, str], list[Decimal]] = {}
    for x in ledger.lot_records():
        row = still.setdefault((x.wallet, x.tx_id), [ZERO, ZERO])
        row[0] += x.quantity
        row[1] += x.cost_basis
    return sold, still, ledger


CASES = [
    # (seed, methods by year, when per-wallet accounting starts)
    (21, {1970: "fifo"}, dt.date(1900, 1, 1)),
    (22, {1970: "lifo"}, dt.date(1900, 1, 1)),
    (23, {1970: "hifo"}, dt.date(1900, 1, 1)),
    (24, {1970: "fifo", 2021: "hifo", 2023: "lifo"}, None),
    (25, {1970: "fifo"}, dt.date(2025, 1, 1)),
    (26, {1970: "lifo", 2025: "hifo"}, dt.date(2025, 1, 1)),
    (27, {1970: "hifo", 2025: "fifo"}, dt.date(2025, 1, 1)),
]


@pytest.mark.parametrize(("seed", "methods", "switch"), CASES)
def test_engine_matches_the_reference(seed: int, methods: dict[int, str], switch) -> None:
    spec = SyntheticSpec(
        transactions=1200,
        wallets=4,
        assets=3,
        seed=seed,
        fees="random",
        end=dt.datetime(2026, 6, 30, tzinfo=UTC),
    )
    rows = synthetic_ledger(spec)
    expected_sold, expected_open = reference(rows, MethodSchedule(methods), switch)
    sold, still, ledger = engine(rows, methods, switch)
    assert sold == expected_sold
    assert still == expected_open
    assert ledger.per_wallet == (switch is not None)
    # Every unit is accounted for: bought = sold + open, and basis likewise.
    bought = sum((r.received_quantity for r in rows if r.received_quantity), ZERO)
    fees = sum((r.fee_quantity for r in rows if r.fee_quantity), ZERO)
    sent = sum((r.sent_quantity for r in rows if r.type == "Sell"), ZERO)
    assert bought == sent + fees + sum(x.quantity for x in ledger.lot_records())
    paid = sum(
        (r.value_usd + (r.fee_usd or ZERO) for r in rows if r.type in ("Buy", "Income")), ZERO
    )
    assert paid == sum(d.cost_basis for d in ledger.disposals) + sum(
        x.cost_basis for x in ledger.lot_records()
    )
    # Balances per wallet are the open lots' quantities per wallet (once per wallet).
    if ledger.per_wallet:
        per_wallet: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        for x in ledger.lot_records():
            per_wallet[(x.wallet, x.asset)] += x.quantity
        assert {(b.wallet, b.asset): b.quantity for b in ledger.balances if b.quantity} == dict(
            per_wallet
        )
