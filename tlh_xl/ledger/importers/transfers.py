"""Joining the two halves of a transfer found in two exports.

An exchange's export shows only its own side of a move: Coinbase says 0.005 BTC was sent
to an address, Kraken that 0.005 BTC arrived. The importers write each side as a *half
transfer* (``Transfer`` with ``to_wallet=""`` or ``wallet=""``), which the lot engine
cannot use. ``pair_transfers`` joins a leaving half and an arriving half into one
``Transfer`` only when nothing else could be meant:

- the same asset, and exactly the quantity that left arrived (a fee the sender recorded
  on its own stays the sender's fee, as the lot engine expects);
- the arrival no earlier than the departure and within ``window`` of it;
- different wallets;
- and the pairing is unique both ways: the leaving half has exactly one such arriving
  half, and that one exactly one such leaving half.

Anything else is left as it was, so the lot engine's refusal names the row for the user
to complete: no tolerance on quantities, no nearest-in-time choice among several.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

from ..transactions import Transaction

__all__ = ["DEFAULT_WINDOW", "pair_transfers"]

# Deposits can take hours to be credited (confirmations, an exchange's review); three days
# covers that without reaching across unrelated moves of the same round amount.
DEFAULT_WINDOW = dt.timedelta(days=3)


def _leaving(t: Transaction) -> bool:
    return (
        t.type == "Transfer"
        and bool(t.wallet)
        and not t.to_wallet
        and bool(t.sent_asset)
        and t.sent_quantity is not None
    )


def _arriving(t: Transaction) -> bool:
    return (
        t.type == "Transfer"
        and not t.wallet
        and bool(t.to_wallet)
        and bool(t.received_asset)
        and t.received_quantity is not None
        and not t.sent_asset
        and not t.fee_asset  # a fee charged on arrival has no place in one joined record
    )


def _fits(out: Transaction, arrival: Transaction, window: dt.timedelta) -> bool:
    return (
        out.sent_asset == arrival.received_asset
        and out.sent_quantity == arrival.received_quantity
        and out.wallet != arrival.to_wallet
        and dt.timedelta(0) <= arrival.time - out.time <= window
    )


def pair_transfers(
    transactions: Sequence[Transaction], window: dt.timedelta = DEFAULT_WINDOW
) -> list[Transaction]:
    """``transactions`` with each unambiguous pair of half transfers joined into one
    ``Transfer`` (at the leaving half's place in the list); all else unchanged."""
    outs = [i for i, t in enumerate(transactions) if _leaving(t)]
    ins = [i for i, t in enumerate(transactions) if _arriving(t)]
    by_asset: dict[str, list[int]] = defaultdict(list)
    for i in ins:
        by_asset[transactions[i].received_asset].append(i)
    candidates: dict[int, list[int]] = {}
    claimed: dict[int, list[int]] = defaultdict(list)
    for o in outs:
        out = transactions[o]
        fits = [i for i in by_asset[out.sent_asset] if _fits(out, transactions[i], window)]
        candidates[o] = fits
        for i in fits:
            claimed[i].append(o)
    # Unique both ways: one arrival fits this departure, and no other departure fits it.
    joined = {o: f[0] for o, f in candidates.items() if len(f) == 1 and len(claimed[f[0]]) == 1}
    used = set(joined.values())
    result: list[Transaction] = []
    for index, t in enumerate(transactions):
        if index in used:
            continue
        if index in joined:
            arrival = transactions[joined[index]]
            note = f"arrived {arrival.place}" + (f": {arrival.notes}" if arrival.notes else "")
            t = dataclasses.replace(
                t,
                to_wallet=arrival.to_wallet,
                received_asset=arrival.received_asset,
                received_quantity=arrival.received_quantity,
                notes=f"{t.notes}; {note}" if t.notes else note,
            )
        result.append(t)
    return result
