"""The lot engine: transactions in, open lots per wallet, disposals, income and balances out.

``build_ledger(transactions, settings)`` runs the transactions in time order (ties by
row) and keeps, for each wallet and asset, the open lots in a ``Pool`` ordered by the
method in force that tax year. The rules it applies, with their sources, are in
``docs/LEDGER.md``; in short:

* **Per wallet from 2025** (Treas. Reg. §1.1012-1(j)): a sale or transfer from a wallet
  uses only lots in that wallet. **Before 2025, universal**: one pool per asset across
  all wallets. At the first moment of 2025 in the user's time zone the pooled lots are
  allocated to the wallets that hold the units (``allocation``: the user's own
  allocation first, then the documented rule; Rev. Proc. 2024-28). ``universal=True``
  pools every year (how RP2 and many tools count).
* **Methods** FIFO, LIFO, HIFO (highest basis per unit, fees included) and specific
  identification (the ``Lots`` of each row), per tax year as a standing order.
* **Amounts**: a Buy's basis is Value USD + Fee USD; a Sell's, Trade's or Spend's
  proceeds are Value USD − Fee USD (the fee is a selling cost); a Trade's received coin
  has basis Value USD (the fair market value received). A fee paid in a coin is also a
  disposal of that coin at Fee USD (Treas. Reg. §1.1001-7(b)(1)(ii)). Income is a lot at
  fair market value and an ordinary-income event. A Transfer moves lots with their basis
  and acquisition date. Gift Out and Lost remove units without a sale. Gift In is a lot
  whose basis is the Value USD given (the donor's basis: carryover, §1015(a)).
* **Dates**: the trade date, tax year and acquisition date of each row are its calendar
  day in the user's time zone; long-term is the day after the anniversary
  (``holding_period.long_term_date``), not 365 days.
* **Errors, not guesses**: selling more than a wallet holds, a sale or fee without its
  USD value, a transfer to a wallet that is not the user's, a lot named that is not in
  the wallet: each an ``InputError`` naming the row.

Cost: O(n log m) for n transactions and m open lots in the largest pool; nothing scans
a pool, a wallet or the ledger per row. Money is exact ``Decimal``: quantities are never
rounded; a lot's basis split between parts is rounded to cents with the remainder kept.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import (
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    localcontext,
)
from itertools import count, pairwise
from operator import attrgetter
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..domain.assets import AssetClass
from ..errors import InputError
from ..harvest.lot_table import LotTable
from ..holding_period import long_term_date
from ..money import CENT, ZERO
from .allocation import allocate_pooled, wallet_order
from .methods import Method, MethodSchedule
from .pools import Account, OpenLot, Part, Pool, order_kind
from .records import (
    Allocation,
    AllocationRecord,
    Balance,
    DisposalRow,
    IncomeEvent,
    Ledger,
    Removal,
)
from .transactions import LotPick, Transaction, TxType

__all__ = ["FIAT", "PER_WALLET_FROM", "LedgerSettings", "build_ledger", "time_zone"]

# Basis is tracked wallet by wallet for acquisitions and dispositions on or after this
# date (Treas. Reg. §1.1012-1(j)(6)); before it, universal accounting was accepted and
# Rev. Proc. 2024-28 allocates what is left to the wallets at this moment.
PER_WALLET_FROM = dt.date(2025, 1, 1)

# Currencies that are money, not property: no lots, no gain. A stablecoin is property.
FIAT: frozenset[str] = frozenset({"USD"})

# Decimal digits for the engine's arithmetic: quantities with 18 decimals times prices
# with 12 digits stay exact; the default 28 would round some products.
CONTEXT = Context(prec=60, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero])


@dataclass(frozen=True)
class LedgerSettings:
    """How to run the ledger.

    ``methods``: one method for every year (``"hifo"``) or a standing order by year
    (``{2021: "hifo", 2025: "fifo"}``); FIFO where none is set. ``time_zone``: an IANA
    name (``America/New_York``) for bare dates and for each row's trade date; blank is
    UTC. ``wallets``: the user's wallets besides those seen as ``Wallet`` in the data,
    in the order the 2025 allocation rule fills them. ``allocation``: the user's own
    2025 allocation. ``through``: ignore rows after this date (lots as of it).
    ``asset_classes``: asset → class (Crypto when not given).
    """

    methods: Mapping[int, Method | str] | Method | str | None = None
    time_zone: str = "UTC"
    universal: bool = False
    per_wallet_from: dt.date = PER_WALLET_FROM
    wallets: Sequence[str] = ()
    allocation: Sequence[Allocation] = ()
    through: dt.date | None = None
    asset_classes: Mapping[str, AssetClass] = field(default_factory=dict)
    fiat: frozenset[str] = FIAT


def time_zone(name: str | None, where: str = "time zone") -> ZoneInfo:
    """The IANA zone ``name`` (blank: UTC), or an ``InputError`` naming ``where``."""
    text = (name or "").strip() or "UTC"
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(
            f"{where}: unknown time zone {name!r} (expected an IANA name such as America/New_York)"
        ) from None


def build_ledger(
    transactions: Iterable[Transaction], settings: LedgerSettings | None = None
) -> Ledger:
    """Run ``transactions`` (any order; they are sorted by time, then row) into a Ledger."""
    engine = _Engine(settings or LedgerSettings())
    # A context of its own: whatever the caller's (another library may trap floats or
    # inexact results), the arithmetic here is the same.
    with localcontext(CONTEXT):
        return engine.run(list(transactions))


_by_time_row = attrgetter("time", "row")


def _in_time_order(transactions: list[Transaction]) -> list[Transaction]:
    """Sorted by time, then row (stable); most inputs already are, which costs one pass."""
    try:
        if all(
            a.time < b.time or (a.time == b.time and a.row <= b.row)
            for a, b in pairwise(transactions)
        ):
            return transactions
        return sorted(transactions, key=_by_time_row)
    except TypeError:  # a time without a zone cannot be ordered against one with
        for tx in transactions:
            if tx.time.utcoffset() is None:
                raise InputError(f"{_place(tx)} Time: {tx.time} has no time zone") from None
        raise


def _place(tx: Transaction) -> str:
    return tx.place or (f"transaction {tx.tx_id}" if tx.tx_id else f"row {tx.row}")


def _no_wallet(tx: Transaction) -> str:
    if tx.type == "Transfer":  # an importer's arriving half: the sender is not in the data
        return (
            f"{_place(tx)} Wallet: empty; a Transfer needs the wallet it came from (join it "
            "with the row where it left, or make it Income or a Gift In)"
        )
    return f"{_place(tx)} Wallet: empty"


def _amount(value: Decimal) -> str:
    """A quantity for a message, without an exponent."""
    return format(value.normalize(), "f") if value else "0"


class _Engine:
    def __init__(self, settings: LedgerSettings) -> None:
        self.settings = settings
        self.tz = time_zone(settings.time_zone)
        self.schedule = MethodSchedule(settings.methods)
        self.fiat = settings.fiat
        self.classes = settings.asset_classes
        self.accounts: dict[tuple[str, str], Account] = {}  # (wallet, asset)
        self.shared: dict[str, Pool] = {}  # asset → its pool while accounting is universal
        self.index: dict[str, OpenLot] = {}  # lot ID → open lot, for specific identification
        self.used_ids: set[str] = set()
        self.suffix: dict[str, int] = {}
        self.uids = count(1)
        self.long_from: dict[dt.date, dt.date] = {}
        self.disposals: list[DisposalRow] = []
        self.income: list[IncomeEvent] = []
        self.removals: list[Removal] = []
        self.allocations: list[AllocationRecord] = []
        self.per_wallet = False
        self.year = 0
        self.method: Method = self.schedule.default
        self.kind = order_kind(self.method)
        self.seq = 0
        self.known: set[str] = set()
        self.handlers: dict[TxType, Callable[[Transaction, dt.date], None]] = {
            "Buy": self._exchange,
            "Sell": self._exchange,
            "Trade": self._exchange,
            "Spend": self._exchange,
            "Income": self._receive,
            "Gift In": self._receive,
            "Gift Out": self._give,
            "Lost": self._give,
            "Fee": self._fee_only,
            "Transfer": self._transfer,
        }

    # --- the run ------------------------------------------------------------------

    def run(self, transactions: list[Transaction]) -> Ledger:
        ordered = _in_time_order(transactions)
        # The user's wallets: every Wallet in the data, and the ones listed.
        self.known = {tx.wallet for tx in ordered if tx.wallet}
        self.known.update(w for w in self.settings.wallets if w)
        settings = self.settings
        through = settings.through
        switch = None if settings.universal else settings.per_wallet_from
        # The same instants as the zone, but timezone.utc converts four times faster.
        tz: dt.tzinfo = dt.timezone.utc if self.tz.key == "UTC" else self.tz
        handlers = self.handlers
        for tx in ordered:
            moment = tx.time
            if moment.tzinfo is None:
                raise InputError(f"{_place(tx)} Time: {moment} has no time zone")
            day = (moment if moment.tzinfo is tz else moment.astimezone(tz)).date()
            if through is not None and day > through:
                break
            if switch is not None and day >= switch:
                self._start_per_wallet()
                switch = None
            if day.year != self.year:
                self.year = day.year
                self.method = self.schedule.method_for(day.year)
                self.kind = order_kind(self.method)
            self.seq += 1
            handler = handlers.get(tx.type)
            if handler is None:
                raise InputError(f"{_place(tx)} Type: unknown type {tx.type!r}")
            if not tx.wallet:
                raise InputError(_no_wallet(tx))
            handler(tx, day)
        # With no row on or after 2025-01-01, the lots as of today (or of `through`) are
        # per wallet all the same: the switch is a date, not an event.
        if switch is not None and (through is None or through >= switch):
            self._start_per_wallet()
        elif settings.allocation and not self.per_wallet:
            why = "universal accounting" if settings.universal else f"through {through}"
            raise InputError(f"allocation: given, but per-wallet accounting never starts ({why})")
        return self._result()

    def _start_per_wallet(self) -> None:
        """Rev. Proc. 2024-28: allocate what the pools hold to the wallets holding it."""
        kind = order_kind(self.schedule.method_for(self.settings.per_wallet_from.year))
        pools = {("", asset): pool for asset, pool in self.shared.items()}
        balances = {key: acct.balance for key, acct in self.accounts.items()}
        self.allocations = allocate_pooled(
            pools,
            balances,
            self.index,
            kind,
            wallet_order(self.settings.wallets, (w for (w, _a), q in balances.items() if q > 0)),
            self.settings.allocation,
            self._split_id,
            self._uid,
            f"the start of {self.settings.per_wallet_from}",
        )
        for key, acct in self.accounts.items():
            acct.pool = pools.get(key) or Pool(kind)
        self.shared = {}
        self.per_wallet = True

    # --- lots and accounts ------------------------------------------------------------

    def _uid(self) -> int:
        return next(self.uids)

    def _account(self, wallet: str, asset: str) -> Account:
        acct = self.accounts.get((wallet, asset))
        if acct is None:
            if self.per_wallet:
                pool = Pool(self.kind)
            else:
                found = self.shared.get(asset)
                pool = self.shared[asset] = found if found is not None else Pool(self.kind)
            acct = self.accounts[(wallet, asset)] = Account(wallet, asset, pool)
        return acct

    def _root_id(self, tx: Transaction) -> str:
        base = tx.tx_id or f"row{tx.row}"
        if base in self.used_ids:
            return self._next_id(base)
        self.used_ids.add(base)
        return base

    def _split_id(self, lot: OpenLot) -> str:
        return self._next_id(lot.lot_id.partition("#")[0])

    def _next_id(self, base: str) -> str:
        n = self.suffix.get(base, 1)
        while True:
            n += 1
            candidate = f"{base}#{n}"
            if candidate not in self.used_ids:
                break
        self.suffix[base] = n
        self.used_ids.add(candidate)
        return candidate

    def _acquire(
        self, tx: Transaction, day: dt.date, acct: Account, qty: Decimal, basis: Decimal
    ) -> OpenLot:
        long_from = self.long_from.get(day)
        if long_from is None:
            long_from = self.long_from[day] = long_term_date(day)
        lot = OpenLot(
            self._root_id(tx),
            tx.tx_id,
            acct.asset,
            acct.wallet if self.per_wallet else "",
            day,
            long_from,
            qty,
            basis,
            self.seq,
            next(self.uids),
        )
        pool = acct.pool
        if pool.kind != self.kind:
            pool.reorder(self.kind)
        pool.add_new(lot)
        self.index[lot.lot_id] = lot
        acct.balance += qty
        return lot

    def _check(self, tx: Transaction, acct: Account, need: Decimal, what: str) -> None:
        have = acct.balance
        if have < need:
            asset = acct.asset
            raise InputError(
                f"{_place(tx)}: {what} needs {_amount(need)} {asset} from {acct.wallet}, which "
                f"holds {_amount(have)} {asset} then: short by {_amount(need - have)} {asset}"
            )

    def _take(
        self, tx: Transaction, acct: Account, qty: Decimal, picks: Sequence[LotPick] = ()
    ) -> list[Part]:
        """Remove ``qty`` from the account (its balance already checked)."""
        parts: list[Part] = []
        if picks:
            self._take_picked(tx, acct, qty, picks, parts)
        else:
            pool = acct.pool
            if pool.kind != self.kind:
                pool.reorder(self.kind)
            short = pool.take(qty, parts)
            if short:  # the balance check makes this impossible; a bug if not
                raise RuntimeError(f"{_place(tx)}: pool of {acct.asset} short by {short}")
        index = self.index
        for lot, _q, _b in parts:
            if not lot.alive:
                del index[lot.lot_id]
        acct.balance -= qty
        return parts

    def _take_picked(
        self,
        tx: Transaction,
        acct: Account,
        qty: Decimal,
        picks: Sequence[LotPick],
        parts: list[Part],
    ) -> None:
        """Specific identification: the lots the row names, in the amounts it names."""
        where = f"{_place(tx)} Lots"
        asset, wallet = acct.asset, acct.wallet
        home = wallet if self.per_wallet else ""
        named: set[str] = set()
        plan: list[tuple[OpenLot, Decimal]] = []
        total = ZERO
        for pick in picks:
            lot = self.index.get(pick.lot_id)
            if pick.lot_id in named:
                raise InputError(f"{where}: lot {pick.lot_id} is named twice")
            named.add(pick.lot_id)
            if lot is None or not lot.alive:
                raise InputError(f"{where}: no open lot {pick.lot_id!r} at this row")
            if lot.asset != asset:
                raise InputError(f"{where}: lot {pick.lot_id} is {lot.asset}, not {asset}")
            if lot.wallet != home:
                raise InputError(
                    f"{where}: lot {pick.lot_id} is in {lot.wallet}, not {wallet}; from "
                    f"{self.settings.per_wallet_from.year} a wallet's sale uses only its "
                    "own lots (Treas. Reg. §1.1012-1(j))"
                )
            take = lot.quantity if pick.quantity is None else pick.quantity
            if take <= 0:
                raise InputError(f"{where}: the quantity of lot {pick.lot_id} must be over 0")
            if take > lot.quantity:
                raise InputError(
                    f"{where}: {_amount(take)} of lot {pick.lot_id} named, "
                    f"but it holds {_amount(lot.quantity)}"
                )
            plan.append((lot, take))
            total += take
        if total != qty:
            raise InputError(
                f"{where}: the lots named add up to {_amount(total)} {asset}, "
                f"but the row moves {_amount(qty)} {asset}"
            )
        for lot, take in plan:
            if take == lot.quantity:
                lot.alive = False  # left in its pool's structures, skipped when reached
                parts.append((lot, take, lot.basis))
            else:
                parts.append((lot, take, lot.shrink(take)))

    # --- recording ------------------------------------------------------------------

    def _dispose(
        self,
        tx: Transaction,
        day: dt.date,
        acct: Account,
        parts: list[Part],
        qty: Decimal,
        proceeds: Decimal,
        costs: Decimal,
    ) -> None:
        """One disposal row per lot used; proceeds and costs shared pro rata by quantity
        (running totals rounded to cents, so the parts sum to the whole)."""
        asset = acct.asset
        wallet = acct.wallet
        asset_class = self.classes.get(asset, "Crypto")
        out = self.disposals
        last = len(parts) - 1
        if not last:  # one lot: the usual case
            lot, q, basis = parts[0]
            out.append(
                (
                    lot.lot_id,
                    asset,
                    asset_class,
                    wallet,
                    tx.tx_id,
                    lot.acquired,
                    day,
                    q,
                    proceeds,
                    basis,
                    proceeds - basis,
                    "long" if day >= lot.long_from else "short",
                    costs,
                )
            )
            return
        done_q = ZERO
        done_p = ZERO
        done_c = ZERO
        for i, (lot, q, basis) in enumerate(parts):
            if i == last:
                p = proceeds - done_p
                c = costs - done_c
            else:
                done_q += q
                upto_p = (proceeds * done_q / qty).quantize(CENT, ROUND_HALF_UP)
                p = upto_p - done_p
                done_p = upto_p
                if costs:
                    upto_c = (costs * done_q / qty).quantize(CENT, ROUND_HALF_UP)
                    c = upto_c - done_c
                    done_c = upto_c
                else:
                    c = costs
            out.append(
                (
                    lot.lot_id,
                    asset,
                    asset_class,
                    wallet,
                    tx.tx_id,
                    lot.acquired,
                    day,
                    q,
                    p,
                    basis,
                    p - basis,
                    "long" if day >= lot.long_from else "short",
                    c,
                )
            )

    # --- row pieces -----------------------------------------------------------------

    def _leg(self, tx: Transaction, sent: bool) -> tuple[str, Decimal] | None:
        """(asset, quantity) sent or received, or None when blank or fiat."""
        if sent:
            asset, qty, side = tx.sent_asset, tx.sent_quantity, "Sent"
        else:
            asset, qty, side = tx.received_asset, tx.received_quantity, "Received"
        if not asset:
            if qty is None:
                return None
            raise InputError(f"{_place(tx)} {side} Asset: empty, but {side} Quantity is given")
        if asset in self.fiat:
            return None
        if qty is None:
            raise InputError(f"{_place(tx)} {side} Quantity: empty ({side} Asset is {asset})")
        if qty <= 0:
            raise InputError(
                f"{_place(tx)} {side} Quantity: must be greater than 0, got {_amount(qty)}"
            )
        return asset, qty

    def _value(self, tx: Transaction, what: str) -> Decimal:
        if tx.value_usd is None:
            raise InputError(f"{_place(tx)} Value USD: empty; {what}")
        return tx.value_usd

    def _fee(self, tx: Transaction) -> tuple[Decimal, tuple[str, Decimal] | None]:
        """(the fee's USD value, the coin paid and how much, if the fee was paid in one)."""
        asset, qty, usd = tx.fee_asset, tx.fee_quantity, tx.fee_usd
        if not asset or asset in self.fiat:
            if not asset and qty:
                raise InputError(f"{_place(tx)} Fee Asset: empty, but Fee Quantity is given")
            if usd is None:
                usd = qty if asset and qty is not None else ZERO
            return usd, None
        if qty is None:
            raise InputError(f"{_place(tx)} Fee Quantity: empty (Fee Asset is {asset})")
        if not qty:
            return usd or ZERO, None
        if qty < 0:
            raise InputError(f"{_place(tx)} Fee Quantity: must not be negative")
        if usd is None:
            raise InputError(
                f"{_place(tx)} Fee USD: empty; a fee paid in {asset} is a disposal of "
                f"{_amount(qty)} {asset} and needs its USD value"
            )
        return usd, (asset, qty)

    def _pay_fee(
        self, tx: Transaction, day: dt.date, coin: tuple[str, Decimal], usd: Decimal
    ) -> None:
        """A fee paid in a coin: a disposal of those units for the service, at Fee USD."""
        asset, qty = coin
        acct = self._account(tx.wallet, asset)
        self._check(tx, acct, qty, "the fee")
        self._dispose(tx, day, acct, self._take(tx, acct, qty), qty, usd, ZERO)

    def _needs_picks(self, tx: Transaction) -> None:
        if self.method == "specific" and not tx.lots:
            raise InputError(
                f"{_place(tx)} Lots: empty; the method for {self.year} is specific "
                f"identification, so a {tx.type} must name the lots it uses"
            )

    # --- one handler per type ---------------------------------------------------------

    def _exchange(self, tx: Transaction, day: dt.date) -> None:
        """Buy, Sell, Trade, Spend: what is sent is disposed of, what is received acquired,
        both at Value USD; the fee adds to a Buy's basis and is every other's selling cost."""
        kind = tx.type
        sent = self._leg(tx, True)
        received = self._leg(tx, False)
        if kind == "Buy":
            if received is None:
                raise InputError(f"{_place(tx)} Received Asset: a Buy needs what was bought")
        elif sent is None:
            raise InputError(f"{_place(tx)} Sent Asset: a {kind} needs what was sent")
        elif kind == "Trade" and received is None:
            raise InputError(f"{_place(tx)} Received Asset: a Trade needs what was received")
        value = tx.value_usd
        if value is None:
            raise InputError(f"{_place(tx)} Value USD: empty; a {kind} needs its value in USD")
        fee_usd, coin = self._fee(tx)
        if sent is not None:
            asset, qty = sent
            acct = self._account(tx.wallet, asset)
            self._check(tx, acct, qty + coin[1] if coin and coin[0] == asset else qty, kind)
            if self.method == "specific":
                self._needs_picks(tx)
            parts = self._take(tx, acct, qty, tx.lots)
            if kind == "Buy":  # paid in a coin: disposed of at the value bought
                self._dispose(tx, day, acct, parts, qty, value, ZERO)
            else:
                self._dispose(tx, day, acct, parts, qty, value - fee_usd, fee_usd)
        if received is not None:
            basis = value + fee_usd if kind == "Buy" else value
            self._acquire(tx, day, self._account(tx.wallet, received[0]), received[1], basis)
        if coin is not None:
            self._pay_fee(tx, day, coin, fee_usd)

    def _receive(self, tx: Transaction, day: dt.date) -> None:
        """Income: a lot at fair market value, and ordinary income of the year.
        Gift In: a lot whose basis is the Value USD given (the donor's basis)."""
        if self._leg(tx, True) is not None:
            raise InputError(f"{_place(tx)} Sent Asset: an {tx.type} row sends nothing")
        received = self._leg(tx, False)
        if received is None:
            raise InputError(f"{_place(tx)} Received Asset: an {tx.type} needs what arrived")
        if tx.type == "Income":
            value = self._value(tx, "income is its fair market value in USD")
        else:
            value = self._value(tx, "a Gift In's basis is the donor's basis in USD")
        fee_usd, coin = self._fee(tx)
        asset, qty = received
        lot = self._acquire(tx, day, self._account(tx.wallet, asset), qty, value)
        if tx.type == "Income":
            self.income.append(
                IncomeEvent(tx.tx_id, tx.wallet, asset, day, qty, value, lot.lot_id, tx.place)
            )
        if coin is not None:
            self._pay_fee(tx, day, coin, fee_usd)

    def _give(self, tx: Transaction, day: dt.date) -> None:
        """Gift Out, Lost: the units leave; no gain or loss is realized."""
        sent = self._leg(tx, True)
        if sent is None:
            raise InputError(f"{_place(tx)} Sent Asset: a {tx.type} needs what left")
        fee_usd, coin = self._fee(tx)
        asset, qty = sent
        acct = self._account(tx.wallet, asset)
        self._check(tx, acct, qty + coin[1] if coin and coin[0] == asset else qty, tx.type)
        self._needs_picks(tx)
        parts = self._take(tx, acct, qty, tx.lots)
        value = tx.value_usd
        last = len(parts) - 1
        done_q = ZERO
        done_v = ZERO
        for i, (lot, q, basis) in enumerate(parts):
            share: Decimal | None = None
            if value is not None:
                if i == last:
                    share = value - done_v
                else:
                    done_q += q
                    upto = (value * done_q / qty).quantize(CENT, ROUND_HALF_UP)
                    share, done_v = upto - done_v, upto
            self.removals.append(
                Removal(
                    lot.lot_id,
                    asset,
                    tx.wallet,
                    tx.tx_id,
                    tx.type,
                    lot.acquired,
                    day,
                    q,
                    basis,
                    share,
                )
            )
        if coin is not None:
            self._pay_fee(tx, day, coin, fee_usd)

    def _fee_only(self, tx: Transaction, day: dt.date) -> None:
        """A fee on its own: the coin paid is disposed of at the fee's value."""
        fee_usd, coin = self._fee(tx)
        if coin is None:
            sent = self._leg(tx, True)
            if sent is None:
                raise InputError(f"{_place(tx)} Fee Asset: a Fee row needs the coin paid")
            coin = sent
            fee_usd = self._value(tx, "a fee paid in a coin is a disposal at its USD value")
        elif self._leg(tx, True) is not None:
            raise InputError(f"{_place(tx)} Sent Asset: give a Fee row's coin once, as Fee Asset")
        self._pay_fee(tx, day, coin, fee_usd)

    def _transfer(self, tx: Transaction, day: dt.date) -> None:
        """Between the user's own wallets: lots move with their basis and acquisition
        date (per wallet), or only the balance moves (universal). A fee paid in a coin
        is a disposal of that coin from the sending wallet."""
        sent = self._leg(tx, True)
        if sent is None:
            raise InputError(f"{_place(tx)} Sent Asset: a Transfer needs what was sent")
        asset, qty = sent
        to = tx.to_wallet
        if not to:
            raise InputError(
                f"{_place(tx)} To Wallet: empty; a Transfer needs the wallet it went to (join "
                "it with the row where it arrived, or make it a Gift Out or a Spend)"
            )
        if to == tx.wallet:
            raise InputError(f"{_place(tx)} To Wallet: the same as Wallet ({to})")
        if to not in self.known:
            mine = ", ".join(sorted(self.known, key=str.casefold)) or "none"
            raise InputError(
                f"{_place(tx)} To Wallet: {to!r} is not one of your wallets ({mine}); "
                "a transfer to someone else is a Gift Out or a Spend"
            )
        fee_usd, coin = self._fee(tx)
        same_coin_fee = coin[1] if coin is not None and coin[0] == asset else None
        if tx.received_asset and tx.received_asset != asset:
            raise InputError(
                f"{_place(tx)} Received Asset: {tx.received_asset}, but {asset} was sent"
            )
        arrived = tx.received_quantity
        if arrived is not None and arrived != qty:
            # Sent Quantity excludes the fee; an export that counts the fee in it says so
            # by a Received Quantity that is exactly Sent − Fee.
            if same_coin_fee is not None and arrived + same_coin_fee == qty:
                qty = arrived
            else:
                raise InputError(
                    f"{_place(tx)} Received Quantity: {_amount(arrived)} arrived but "
                    f"{_amount(qty)} was sent; put the difference in Fee Quantity "
                    "(and its value in Fee USD)"
                )
        source = self._account(tx.wallet, asset)
        dest = self._account(to, asset)
        self._check(tx, source, qty + (same_coin_fee or ZERO), "Transfer")
        if self.per_wallet:
            pool = dest.pool
            if pool.kind != self.kind:
                pool.reorder(self.kind)
            index = self.index
            for lot, q, basis in self._take(tx, source, qty, tx.lots):
                if lot.alive:  # a part: the rest stays behind under the lot's ID
                    moved = lot.moved(to, self._split_id(lot), q, basis, self._uid())
                else:
                    moved = lot.moved(to, lot.lot_id, q, basis, lot.uid)
                pool.add_moved(moved)
                index[moved.lot_id] = moved
        else:
            source.balance -= qty
        dest.balance += qty
        if coin is not None:
            self._pay_fee(tx, day, coin, fee_usd)

    # --- the result -----------------------------------------------------------------

    def _result(self) -> Ledger:
        classes = self.classes
        if self.per_wallet:
            pools = {key: acct.pool for key, acct in self.accounts.items()}
        else:
            pools = {("", asset): pool for asset, pool in self.shared.items()}
        lots: list[OpenLot] = []
        for _key, pool in sorted(pools.items(), key=_wallet_then_asset):
            live = pool.live()
            live.sort(key=_acquisition_order)
            lots.extend(live)
        table = LotTable(
            [lot.lot_id for lot in lots],
            [lot.asset for lot in lots],
            [classes.get(lot.asset, "Crypto") for lot in lots],
            [lot.wallet for lot in lots],
            [lot.acquired for lot in lots],
            [lot.quantity for lot in lots],
            [lot.basis for lot in lots],
            [lot.tx_id for lot in lots],
            [None] * len(lots),
            [False] * len(lots),
        )
        balances = [
            Balance(wallet, asset, acct.balance)
            for (wallet, asset), acct in sorted(self.accounts.items(), key=_wallet_then_asset)
        ]
        return Ledger(
            table,
            self.disposals,
            self.income,
            self.removals,
            balances,
            self.allocations,
            self.per_wallet,
            self.tz.key,
        )


def _wallet_then_asset(item: tuple[tuple[str, str], object]) -> tuple[str, str, str]:
    (wallet, asset), _value = item
    return wallet.casefold(), wallet, asset


def _acquisition_order(lot: OpenLot) -> tuple[int, int]:
    return lot.seq, lot.uid
