"""Open lots while the ledger runs, and the pool that holds one wallet's lots of one asset.

A pool is what a sale draws from: one per (wallet, asset) from 2025, one per asset (the
wallet left blank) while accounting is universal. It hands out lots in the order of the
method in force, without scanning:

* FIFO and LIFO keep a deque sorted by acquisition. New purchases always arrive last
  (the ledger runs in time order), so they are appended; FIFO takes from the left, LIFO
  from the right, each O(1).
* Lots that arrive out of order (moved in by a transfer, keeping their acquisition date)
  go to a small heap beside the deque; the next lot is the better of the two heads.
* HIFO keeps every lot in a heap keyed by basis per unit (fees included), highest first.

Ties break by acquisition time, then row, in the method's own direction: ``seq`` is the
acquiring transaction's place in the ledger's (time, row) order and ``uid`` tells apart
the pieces of one lot that a transfer split, so FIFO takes the smaller (seq, uid) first
and LIFO the larger.

A lot that leaves a pool (sold out, moved, or picked by specific identification) is
marked dead and skipped when it reaches a head: no O(n) removal. A lot that moves to
another pool is a fresh object there, so a stale entry can never come back to life.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from heapq import heapify, heappop, heappush
from typing import Any

from ..money import CENT, ZERO
from .methods import Method

__all__ = ["FIFO", "HIFO", "LIFO", "Account", "OpenLot", "Part", "Pool", "order_kind"]

FIFO, LIFO, HIFO = 0, 1, 2  # a pool's order; specific identification falls back to FIFO
_KINDS: dict[Method, int] = {"fifo": FIFO, "lifo": LIFO, "hifo": HIFO, "specific": FIFO}


def order_kind(method: Method) -> int:
    return _KINDS[method]


class OpenLot:
    """A lot while the ledger runs (mutable; the public record is ``harvest.Lot``).

    ``orig_quantity`` and ``orig_basis`` are the lot's figures when it was made (bought,
    or split off by a transfer): every part taken from it is priced from them, so the
    parts are each within a cent of their exact share and sum to the whole exactly.
    ``unit_cost`` (HIFO's key) is the first acquisition's basis per unit, inherited by
    the pieces a transfer splits off.
    """

    __slots__ = (
        "acquired",
        "alive",
        "asset",
        "basis",
        "long_from",
        "lot_id",
        "orig_basis",
        "orig_quantity",
        "quantity",
        "seq",
        "tx_id",
        "uid",
        "unit_cost",
        "wallet",
    )

    def __init__(
        self,
        lot_id: str,
        tx_id: str,
        asset: str,
        wallet: str,
        acquired: dt.date,
        long_from: dt.date,
        quantity: Decimal,
        basis: Decimal,
        seq: int,
        uid: int,
        unit_cost: Decimal | None = None,
    ) -> None:
        self.lot_id = lot_id
        self.tx_id = tx_id
        self.asset = asset
        self.wallet = wallet
        self.acquired = acquired
        self.long_from = long_from  # first sale date that is long-term
        self.quantity = quantity
        self.basis = basis
        self.orig_quantity = quantity
        self.orig_basis = basis
        self.seq = seq
        self.uid = uid
        self.unit_cost = unit_cost
        self.alive = True

    def cost_per_unit(self) -> Decimal:
        if self.unit_cost is None:
            self.unit_cost = self.orig_basis / self.orig_quantity
        return self.unit_cost

    def shrink(self, quantity: Decimal) -> Decimal:
        """Take ``quantity`` (less than all) out of this lot; return the basis taken.

        The basis taken so far is ``orig_basis × taken / orig_quantity`` rounded to cents,
        so each part is the difference of two rounded running totals: no drift however
        many times a lot is split, and the parts plus what remains are the whole.
        """
        left = self.quantity - quantity
        taken = (self.orig_basis * (self.orig_quantity - left) / self.orig_quantity).quantize(
            CENT, rounding=ROUND_HALF_UP
        )
        remaining = self.orig_basis - taken
        # A basis with fractions of a cent can round past itself; never below zero or up.
        if remaining < ZERO:
            remaining = ZERO
        elif remaining > self.basis:
            remaining = self.basis
        part = self.basis - remaining
        self.basis = remaining
        self.quantity = left
        return part

    def moved(
        self, wallet: str, lot_id: str, quantity: Decimal, basis: Decimal, uid: int
    ) -> OpenLot:
        """A new lot in ``wallet`` for ``quantity`` of this one (same acquisition)."""
        return OpenLot(
            lot_id,
            self.tx_id,
            self.asset,
            wallet,
            self.acquired,
            self.long_from,
            quantity,
            basis,
            self.seq,
            uid,
            self.cost_per_unit(),
        )

    def __repr__(self) -> str:
        state = "" if self.alive else ", dead"
        return (
            f"OpenLot({self.lot_id!r}, {self.asset} {self.quantity} in {self.wallet!r}, "
            f"basis {self.basis}, acquired {self.acquired}{state})"
        )


# (lot, quantity taken, basis taken); the lot is dead afterwards when all of it was taken.
Part = tuple[OpenLot, Decimal, Decimal]


class Pool:
    """One wallet's open lots of one asset (or one asset's, pooled), in a method's order."""

    __slots__ = ("extra", "kind", "order")

    def __init__(self, kind: int = FIFO) -> None:
        self.kind = kind
        self.order: deque[OpenLot] = deque()  # FIFO/LIFO: sorted by (seq, uid)
        self.extra: list[tuple[Any, ...]] = []  # heap: out-of-order arrivals; HIFO: all

    @classmethod
    def of(cls, lots: Iterable[OpenLot], kind: int) -> Pool:
        pool = cls(kind)
        pool._fill(sorted(lots, key=_acquisition))
        return pool

    # --- adding -------------------------------------------------------------------

    def add_new(self, lot: OpenLot) -> None:
        """A lot acquired by the transaction being processed: later than every lot here."""
        if self.kind == HIFO:
            heappush(self.extra, (-lot.cost_per_unit(), lot.seq, lot.uid, lot))
        else:
            self.order.append(lot)

    def add_moved(self, lot: OpenLot) -> None:
        """A lot moved in with its own, possibly earlier, acquisition."""
        kind = self.kind
        if kind == HIFO:
            heappush(self.extra, (-lot.cost_per_unit(), lot.seq, lot.uid, lot))
            return
        order = self.order
        if not order or (order[-1].seq, order[-1].uid) < (lot.seq, lot.uid):
            order.append(lot)
        elif kind == FIFO:
            heappush(self.extra, (lot.seq, lot.uid, lot))
        else:
            heappush(self.extra, (-lot.seq, -lot.uid, lot))

    # --- taking -------------------------------------------------------------------

    def take(self, quantity: Decimal, parts: list[Part]) -> Decimal:
        """Take ``quantity`` units in this pool's order, appending a part per lot used.

        Returns what could not be taken (zero when the pool held enough)."""
        while quantity > ZERO:
            lot = self._head()
            if lot is None:
                return quantity
            have = lot.quantity
            if have <= quantity:
                self._drop_head()
                lot.alive = False
                parts.append((lot, have, lot.basis))
                quantity -= have
            else:
                parts.append((lot, quantity, lot.shrink(quantity)))
                return ZERO
        return ZERO

    def reorder(self, kind: int) -> None:
        """Switch to another method's order (a new tax year's standing order)."""
        if kind != self.kind:
            lots = sorted(self.live(), key=_acquisition)
            self.kind = kind
            self.order = deque()
            self.extra = []
            self._fill(lots)

    # --- reading ------------------------------------------------------------------

    def live(self) -> list[OpenLot]:
        """The open lots, in no particular order."""
        lots = [lot for lot in self.order if lot.alive]
        lots.extend(entry[-1] for entry in self.extra if entry[-1].alive)
        return lots

    def in_order(self, kind: int) -> list[OpenLot]:
        """The open lots in the order ``kind`` would take them."""
        lots = sorted(self.live(), key=_acquisition)
        if kind == LIFO:
            lots.reverse()
        elif kind == HIFO:
            lots.sort(key=lambda lot: -lot.cost_per_unit())  # stable: ties stay earliest-first
        return lots

    # --- inside -------------------------------------------------------------------

    def _fill(self, lots: list[OpenLot]) -> None:
        """Load lots already sorted by acquisition (a sorted list is a valid heap)."""
        if self.kind == HIFO:
            self.extra = [(-lot.cost_per_unit(), lot.seq, lot.uid, lot) for lot in lots]
            heapify(self.extra)
        else:
            self.order.extend(lots)

    def _head(self) -> OpenLot | None:
        order, extra = self.order, self.extra
        while extra and not extra[0][-1].alive:
            heappop(extra)
        other: OpenLot | None = extra[0][-1] if extra else None
        kind = self.kind
        if kind == HIFO:
            return other
        if kind == FIFO:
            while order and not order[0].alive:
                order.popleft()
            if not order:
                return other
            lot = order[0]
            if other is not None and (other.seq, other.uid) < (lot.seq, lot.uid):
                return other
            return lot
        while order and not order[-1].alive:
            order.pop()
        if not order:
            return other
        lot = order[-1]
        if other is not None and (other.seq, other.uid) > (lot.seq, lot.uid):
            return other
        return lot

    def _drop_head(self) -> None:
        """Remove the lot ``_head`` just returned (dead heads were already dropped)."""
        order, extra = self.order, self.extra
        kind = self.kind
        if kind == HIFO:
            heappop(extra)
        elif kind == FIFO:
            if order and (
                not extra or (order[0].seq, order[0].uid) < (extra[0][-1].seq, extra[0][-1].uid)
            ):
                order.popleft()
            else:
                heappop(extra)
        elif order and (
            not extra or (order[-1].seq, order[-1].uid) > (extra[0][-1].seq, extra[0][-1].uid)
        ):
            order.pop()
        else:
            heappop(extra)


class Account:
    """One wallet's holding of one asset: the units it holds and the pool its sales and
    transfers draw from: its own from 2025, the asset's shared pool while accounting is
    universal. One dictionary lookup per row finds both."""

    __slots__ = ("asset", "balance", "pool", "wallet")

    def __init__(self, wallet: str, asset: str, pool: Pool) -> None:
        self.wallet = wallet
        self.asset = asset
        self.balance = ZERO
        self.pool = pool


def _acquisition(lot: OpenLot) -> tuple[int, int]:
    return lot.seq, lot.uid
