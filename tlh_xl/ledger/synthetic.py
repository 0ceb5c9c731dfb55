"""Generated ledgers for the tests and the benchmark: consistent by construction.

Every quantity is a whole number of milli-units (0.001 of a coin) and every price and
fee a whole number of cents per milli-unit, so each lot's basis per unit is an exact
number of cents: any part of a lot, and any share of a sale's proceeds, is exact to the
cent. That lets a comparison with another calculator (RP2) check results to the cent
without either side's rounding getting in the way. No wallet is ever overdrawn.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from .transactions import Transaction

__all__ = ["FeeStyle", "SyntheticSpec", "synthetic_ledger"]

# proportional: each buy's and sale's fee is 1% of its price (floored to a cent per
#   milli-unit), so a lot's basis per unit ranks lots exactly as its price does;
# random: fees vary from lot to lot, so basis with fees and price can rank differently;
# none: no fees at all.
FeeStyle = Literal["proportional", "random", "none"]

_UTC = dt.timezone.utc


@dataclass(frozen=True)
class SyntheticSpec:
    transactions: int = 1000
    wallets: int = 5
    assets: int = 50
    seed: int = 1
    start: dt.datetime = dt.datetime(2019, 1, 1, tzinfo=_UTC)
    end: dt.datetime = dt.datetime(2024, 12, 31, 23, 0, tzinfo=_UTC)
    fees: FeeStyle = "proportional"
    transfers: float = 0.12  # shares of the rows that are not buys (when possible)
    sells: float = 0.30
    income: float = 0.06
    same_instant: int = 50  # every this many rows, two buys at one instant (0: never)


def _money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def _units(milli: int) -> Decimal:
    return Decimal(milli).scaleb(-3)


def synthetic_ledger(spec: SyntheticSpec = SyntheticSpec()) -> list[Transaction]:
    """Buys, sells, transfers with a fee in the coin moved, and income, in time order."""
    rnd = random.Random(spec.seed)
    wallets = [f"W{i + 1}" for i in range(spec.wallets)]
    assets = [f"C{i + 1:02d}" for i in range(spec.assets)]
    price = {a: rnd.randint(200, 400_000) for a in assets}  # cents per milli-unit
    held: dict[tuple[str, str], int] = {}  # milli-units
    holdings: list[tuple[str, str]] = []  # the (wallet, asset) pairs ever held, to draw from
    span = (spec.end - spec.start).total_seconds()
    step = max(1, int(span / max(1, spec.transactions)))
    moment = spec.start
    out: list[Transaction] = []
    i = 0

    def fee_cents(p: int) -> int:
        if spec.fees == "proportional":
            return p // 100
        if spec.fees == "random":
            return rnd.randint(0, p // 20)
        return 0

    while i < spec.transactions:
        moment += dt.timedelta(seconds=rnd.randint(1, 2 * step - 1) if step > 1 else 1)
        asset = rnd.choice(assets)
        p = price[asset] = max(
            50, price[asset] + rnd.randint(-price[asset] // 25, price[asset] // 24)
        )
        roll = rnd.random()
        tx_id = f"T{i}"
        pick = holdings[rnd.randrange(len(holdings))] if holdings else None
        if pick is not None and held[pick] > 0 and roll < spec.sells:
            wallet, asset = pick
            p = price[asset]
            q = rnd.randint(1, held[pick])
            held[pick] -= q
            f = fee_cents(p)
            out.append(
                Transaction(
                    tx_id,
                    moment,
                    "Sell",
                    wallet,
                    sent_asset=asset,
                    sent_quantity=_units(q),
                    received_asset="USD",
                    value_usd=_money(q * p),
                    fee_asset="USD" if f else "",
                    fee_usd=_money(q * f) if f else None,
                    row=i,
                )
            )
        elif pick is not None and held[pick] > 3 and roll < spec.sells + spec.transfers:
            wallet, asset = pick
            p = price[asset]
            to = rnd.choice([w for w in wallets if w != wallet])
            fee = rnd.randint(1, 3)
            q = rnd.randint(1, held[pick] - fee)
            held[pick] -= q + fee
            key = (to, asset)
            if key not in held:
                held[key] = 0
                holdings.append(key)
            held[key] += q
            out.append(
                Transaction(
                    tx_id,
                    moment,
                    "Transfer",
                    wallet,
                    to_wallet=to,
                    sent_asset=asset,
                    sent_quantity=_units(q),
                    fee_asset=asset,
                    fee_quantity=_units(fee),
                    fee_usd=_money(fee * p),
                    row=i,
                )
            )
        else:
            wallet = rnd.choice(wallets)
            key = (wallet, asset)
            if key not in held:
                held[key] = 0
                holdings.append(key)
            income = roll > 1 - spec.income
            pairs = 2 if spec.same_instant and not income and i % spec.same_instant == 7 else 1
            for _ in range(min(pairs, spec.transactions - i)):
                q = rnd.randint(1, 5000)
                held[key] += q
                f = 0 if income else fee_cents(p)
                out.append(
                    Transaction(
                        f"T{i}",
                        moment,
                        "Income" if income else "Buy",
                        wallet,
                        sent_asset="" if income else "USD",
                        received_asset=asset,
                        received_quantity=_units(q),
                        value_usd=_money(q * p),
                        fee_asset="USD" if f else "",
                        fee_usd=_money(q * f) if f else None,
                        row=i,
                    )
                )
                i += 1
            continue
        i += 1
    return out
