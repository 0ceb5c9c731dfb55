"""The start of per-wallet accounting: the pooled lots allocated to the wallets.

Until 2024 a taxpayer could treat all units of an asset as one pool (the "universal"
approach). From January 1, 2025 basis is tracked wallet by wallet (Treas. Reg.
§1.1012-1(j), applicable to acquisitions and dispositions on or after that date,
§1.1012-1(j)(6)). Rev. Proc. 2024-28 gives a safe harbor for the switch: the basis
still unused at the start of 2025 is allocated to the units each wallet then holds,
either unit by unit (specific unit allocation) or by a rule written down in advance
(global allocation); a wallet receives exactly as many units as it holds, of the same
asset.

This module does the allocation, in two steps:

1. **Yours first.** Each ``Allocation`` the user gives (lot, wallet, quantity) is
   applied as written; a wallet may not receive more units than it holds.
2. **Then the rule, for what is left:** the remaining pooled lots of each asset, in the
   order of the method in force for 2025 (FIFO oldest first, LIFO newest first, HIFO
   highest basis per unit first; specific identification uses FIFO), fill the wallets
   that hold the asset one after another, each up to its balance. Wallets are taken
   in the order of the user's wallet list, then the others by name.

A lot that straddles two wallets is split: the part that moves on gets a new lot ID
(``L7#2``), the last part keeps ``L7``; basis is shared pro rata to the cent with the
remainder kept, so the parts sum to the whole. Acquisition dates never change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Literal

from ..errors import InputError
from ..money import ZERO
from .pools import OpenLot, Pool
from .records import Allocation, AllocationRecord

__all__ = ["allocate_pooled", "wallet_order"]

Rule = Literal["yours", "default"]


def wallet_order(listed: Sequence[str], seen: Iterable[str]) -> list[str]:
    """The user's wallets in the order the default rule fills them: the listed ones
    first, as listed, then the others by name (ignoring case)."""
    first = list(dict.fromkeys(w for w in listed if w))
    rest = sorted({w for w in seen if w and w not in first}, key=lambda w: (w.casefold(), w))
    return first + rest


def allocate_pooled(
    pools: dict[tuple[str, str], Pool],
    balances: dict[tuple[str, str], Decimal],
    index: dict[str, OpenLot],
    kind: int,
    wallets: Sequence[str],
    given: Sequence[Allocation],
    new_id: Callable[[OpenLot], str],
    new_uid: Callable[[], int],
    when: str,
) -> list[AllocationRecord]:
    """Replace the pooled pools (wallet ``""``) by per-wallet ones, in place.

    ``index`` (lot ID → open lot) is updated to the allocated lots; ``kind`` is the
    order of the method in force when per-wallet accounting starts; ``when`` names that
    moment in messages."""
    records: list[AllocationRecord] = []
    pooled = {asset: pool for (wallet, asset), pool in pools.items() if wallet == ""}
    by_asset: dict[str, list[tuple[Allocation, OpenLot]]] = {}
    for alloc in given:
        where = alloc.place or f"allocation of lot {alloc.lot_id}"
        lot = index.get(alloc.lot_id)
        if lot is None or not lot.alive or lot.wallet != "":
            raise InputError(f"{where}: {alloc.lot_id!r} is not an open pooled lot at {when}")
        by_asset.setdefault(lot.asset, []).append((alloc, lot))
    placed: dict[tuple[str, str], list[OpenLot]] = {}

    def place(
        lot: OpenLot, wallet: str, quantity: Decimal, rule: Rule, room: dict[str, Decimal]
    ) -> None:
        moved = _move(lot, wallet, quantity, new_id, new_uid)
        room[wallet] -= quantity
        index[moved.lot_id] = moved
        placed.setdefault((wallet, moved.asset), []).append(moved)
        records.append(
            AllocationRecord(
                moved.lot_id,
                lot.lot_id,
                moved.asset,
                wallet,
                moved.acquired,
                quantity,
                moved.orig_basis,
                rule,
            )
        )

    for asset, pool in pooled.items():
        del pools[("", asset)]
        capacity = {w: balances[(w, asset)] for w in wallets if balances.get((w, asset), ZERO) > 0}

        for alloc, lot in by_asset.get(asset, []):
            where = alloc.place or f"allocation of lot {alloc.lot_id}"
            if not lot.alive:
                raise InputError(f"{where}: lot {alloc.lot_id} was already allocated in full")
            quantity = lot.quantity if alloc.quantity is None else alloc.quantity
            if quantity <= 0:
                raise InputError(f"{where}: the quantity must be greater than 0")
            if quantity > lot.quantity:
                raise InputError(
                    f"{where}: {quantity} {asset} asked of lot {lot.lot_id}, "
                    f"which has {lot.quantity} left to allocate"
                )
            room = capacity.get(alloc.wallet, ZERO)
            if quantity > room:
                held = balances.get((alloc.wallet, asset), ZERO)
                raise InputError(
                    f"{where}: {quantity} {asset} to {alloc.wallet}, which holds {held} "
                    f"{asset} at {when} ({room} not yet allocated)"
                )
            place(lot, alloc.wallet, quantity, "yours", capacity)

        # The rule, for what is left: lots in the method's order fill wallets in order.
        queue = [w for w in wallets if capacity.get(w, ZERO) > 0]
        at = 0
        for lot in pool.in_order(kind):
            while lot.alive and lot.quantity > 0:
                if at == len(queue):
                    raise RuntimeError(f"pooled {asset} exceeds the wallets' balances at {when}")
                wallet = queue[at]
                room = capacity[wallet]
                if room <= 0:
                    at += 1
                    continue
                place(lot, wallet, min(room, lot.quantity), "default", capacity)
        if any(capacity[w] > 0 for w in queue):
            raise RuntimeError(f"wallets hold more {asset} than the pooled lots at {when}")

    for key, lots in placed.items():
        pools[key] = Pool.of(lots, kind)
    return records


def _move(
    lot: OpenLot,
    wallet: str,
    quantity: Decimal,
    new_id: Callable[[OpenLot], str],
    new_uid: Callable[[], int],
) -> OpenLot:
    """``quantity`` of a pooled lot as a lot of ``wallet``: all of it keeps the lot's ID;
    a part gets a new one, and the rest stays pooled under the old."""
    if quantity == lot.quantity:
        lot.alive = False
        return lot.moved(wallet, lot.lot_id, quantity, lot.basis, lot.uid)
    basis = lot.shrink(quantity)
    return lot.moved(wallet, new_id(lot), quantity, basis, new_uid())
