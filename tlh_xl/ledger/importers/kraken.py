"""Kraken ledger export (kraken.com → History → Export → Ledgers): ``ledgers.csv``.

What was verified, and where:

- Kraken's own field reference, "How to interpret Ledger history fields"
  (support.kraken.com/hc/en-us/articles/360001169383): the columns ``txid, refid, time,
  type, subtype, aclass, asset, amount, fee, balance``; ``time`` is UTC (written without a
  zone); ``amount`` is signed (credit +, debit -) and ``fee`` is separate, ``balance =
  old balance + amount - fee``; each entry is one asset; "to find what a currency was
  traded for, look for a matching refid" (also the article "Differences between ledger
  and trades history", 115000302707); the types trade, margin trade, rollover, deposit,
  withdrawal, transfer (airdrops, forks, OTC, Futures and staking moves by subtype such as
  ``spottostaking``), adjustment, spend / receive (the Buy Crypto button and app), settled,
  staking, earn (allocation, deallocation, rewards), invite bonus; subtypes
  ``spottofutures`` / ``spotfromfutures``.
- Asset suffixes, Kraken's "What is Asset.S and Asset.M?" (360039879471): ``.S`` on-chain
  staked, ``.M`` opt-in rewards, ``.P`` parachain; ``.F`` is the Auto Earn balance
  (infinity-grid PR #46, freqtrade issue #11118); ``.HOLD`` and ``NN.S`` bonded terms
  from BittyTax's parser, generated from Kraken's Assets API. ``.B`` is accepted as the
  brief lists it; it was not found in Kraken's documentation.
- Later columns ``wallet`` (``spot / main``, ``earn / ...``) and ``amountusd``, and a
  ``subclass`` column: header variants in CoinTaxman issue #170 (2024-08) and BittyTax's
  parser; one order can be filled from two wallets with one trade row per wallet, all
  sharing the refid (BittyTax PR #499, 2026-06).
- Rows with a blank ``txid`` and blank ``balance``: Kraken writes a deposit or withdrawal
  once when it is initiated and again, with a txid and the new balance, when it settles
  (CoinTaxman PR #9 citing Kraken's "duplicate entries for deposits/withdrawals" article,
  CoinTaxman issues #87 and #97 showing the rows). The unsettled row is skipped: the
  settled one carries the event. A blank txid *with* a balance is refused (an edited
  file: was the txid column cleared?).
- Legacy codes (``XXBT`` → BTC, ``XETH`` → ETH, ``XXDG`` → DOGE, ``ZUSD`` → USD, ...):
  Kraken's Assets API altnames as listed in BittyTax's parser; ``XBT`` and ``XDG`` are
  Kraken's own names for BTC and DOGE.

Every sub-balance (spot, staked, earn; the ``wallet`` column) is the one Kraken account:
the coins stay with the same custodian, so they are one wallet for §1.1012-1(j), named
``Kraken`` unless the caller names it. Moves between them are skipped (no lot changes
wallet). Kraken Futures is a separate account with its own export, so moves to and from it
are Transfers to and from the wallet ``Kraken Futures``.

USD values are never guessed. They come from the USD leg of a trade, from ``amountusd``
when the export has it, or from the trade's own exchange rate for a fee paid in one of its
two coins; an event that needs a value and has none is refused, naming the row.

Type mapping:

==========================================  =============================================
Kraken (type / subtype)                     Transaction
==========================================  =============================================
trade, spend + receive (rows sharing refid)  Buy (USD leg sent), Sell (USD leg received),
                                            else Trade; same-asset legs of one order are
                                            added up, fee rows (amount 0) join it
deposit / withdrawal (amount + / -)         the arriving / leaving half of a Transfer
                                            (see the Coinbase importer); USD skipped
staking; earn / reward, airdrop;            Income at ``amountusd`` (a reward paid in
transfer / airdrop, or no subtype (fork);   US dollars: at its amount)
invite bonus
transfer / spottofutures, spotfromfutures   Transfer Kraken ↔ Kraken Futures
==========================================  =============================================

Skipped, as no tax event: unsettled duplicates (above); US-dollar deposits and withdrawals
(cash in and out); ``transfer`` / ``spottostaking``, ``stakingfromspot``,
``stakingtospot``, ``spotfromstaking`` and ``earn`` / ``allocation``, ``deallocation``,
``autoallocation``, ``autoallocate``, ``migration`` (sub-balances of one account, above);
an order whose legs cancel out after suffixes are removed (``XETH`` → ``ETH2.S``, the same
coin relabelled).

Refused, naming the row: margin trading (``margin``, ``margin trade``, ``rollover``,
``settled``), ``adjustment`` and delisting conversions (their two sides are not linked by
refid), Kraken fee credits (``KFEE``), negative staking rows, ``earn`` without a known
subtype, and any type or subtype not listed here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from ..transactions import Transaction, TxType
from ._common import ExportFormat, ReadOptions, Row, Table, derived, number_rows, utc_time

__all__ = ["FORMAT", "normalize_asset", "read"]

DEFAULT_WALLET = "Kraken"
FUTURES_WALLET = "Kraken Futures"
USD = "USD"

_REQUIRED = ("txid", "refid", "time", "type", "subtype", "asset", "amount", "fee", "balance")
_ALIASES = {
    "XXBT": "BTC",
    "XBT": "BTC",
    "XETH": "ETH",
    "ETH2": "ETH",  # ETH staked on the beacon chain through Kraken: the same coin
    "XXDG": "DOGE",
    "XDG": "DOGE",
    "XLTC": "LTC",
    "XXRP": "XRP",
    "XXLM": "XLM",
    "XXMR": "XMR",
    "XETC": "ETC",
    "XZEC": "ZEC",
    "XMLN": "MLN",
    "XREP": "REP",
    "ZUSD": "USD",
    "ZEUR": "EUR",
    "ZGBP": "GBP",
    "ZCAD": "CAD",
    "ZJPY": "JPY",
    "ZAUD": "AUD",
    "ZCHF": "CHF",
}
# Sub-balance suffixes: DOT.S, XBT.M, ETH.F, USD.HOLD, DOT28.S (28-day bonded).
_SUFFIX = re.compile(r"(?P<base>[A-Z0-9]+?)(?:\d{2})?\.(?:S|M|P|F|B|HOLD)")
_TIME = re.compile(r"(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?")

_TRADE_TYPES = {"trade", "spend", "receive"}
_INTERNAL_TRANSFERS = {"spottostaking", "stakingfromspot", "stakingtospot", "spotfromstaking"}
_INTERNAL_EARN = {"allocation", "deallocation", "autoallocation", "autoallocate", "migration"}
_MARGIN = {"margin", "margin trade", "rollover", "settled"}


def normalize_asset(code: str) -> str:
    """Kraken's code for an asset as the ledger names it: ``XXBT`` → ``BTC``, ``DOT.S`` →
    ``DOT``, ``XBT.M`` → ``BTC``, ``ZUSD`` → ``USD``."""
    code = code.strip().upper()
    m = _SUFFIX.fullmatch(code)
    if m:
        code = m["base"]
    return _ALIASES.get(code, code)


def _matches(header: tuple[str, ...]) -> bool:
    return all(c in header for c in _REQUIRED)


def _near_miss(header: tuple[str, ...]) -> str | None:
    if {"txid", "ordertxid", "pair", "vol"} <= set(header):
        return (
            "this is Kraken's trades.csv; export Ledgers instead (History → Export → "
            "Ledgers): only the ledger has deposits, withdrawals, staking and exact fees"
        )
    return None


@dataclass
class _Leg:
    """One asset's part in an order: summed over the rows (one per Kraken wallet)."""

    amount: Decimal = Decimal(0)
    fee: Decimal = Decimal(0)
    usd: Decimal | None = Decimal(0)  # None once a row lacks amountusd
    rows: list[Row] = field(default_factory=list)


class _Reader:
    def __init__(self, table: Table, options: ReadOptions) -> None:
        self.wallet = options.wallet or DEFAULT_WALLET
        self.has_usd = "amountusd" in table.header

    # -- cells -------------------------------------------------------------------------

    def time(self, row: Row) -> dt.datetime:
        # Kraken: "in UTC time zone"
        return utc_time(row, "time", _TIME, "expected a time like '2025-03-01 14:05:09'")

    def asset(self, row: Row) -> str:
        code = row.required("asset", "an asset code")
        if code.upper() == "KFEE":
            raise row.error(
                "asset",
                "Kraken fee credits (KFEE) are not supported; enter the fee in tlh-xl's "
                "Transactions format",
            )
        return normalize_asset(code)

    def usd(self, row: Row) -> Decimal | None:
        if not self.has_usd:
            return None
        value = row.number("amountusd")
        return None if value is None else abs(value)

    def need_usd(self, row: Row, what: str) -> Decimal:
        value = self.usd(row)
        if value is None:
            raise row.error(
                "amountusd",
                f"no USD value for {what}; export the ledger with the amountusd column, or "
                "enter the value in tlh-xl's Transactions format",
            )
        return value

    def fee_usd(self, row: Row, asset: str, amount: Decimal, fee: Decimal) -> Decimal | None:
        """The value of a fee charged on a single-row event, at the row's own price."""
        if not fee:
            return None
        if asset == USD:
            return fee
        usd = self.need_usd(row, f"the fee of {fee} {asset}")
        if not amount:
            raise row.error("amountusd", f"no price for the fee of {fee} {asset}")
        return derived(lambda: fee * usd / abs(amount))

    # -- rows --------------------------------------------------------------------------

    def single(self, row: Row) -> Transaction | None:
        kind = row.text("type").lower()
        subtype = row.text("subtype").lower()
        if kind in _MARGIN:
            raise row.error("type", f"{kind!r}: margin trading is not supported")
        if kind in ("deposit", "withdrawal"):
            return self.movement(row)
        if kind == "transfer":
            if subtype in _INTERNAL_TRANSFERS:
                return None
            if subtype in ("spottofutures", "spotfromfutures"):
                return self.futures(row, subtype)
            if subtype in ("", "airdrop"):
                return self.income(row, "an airdrop or fork")
            raise row.error("subtype", f"unknown transfer subtype {subtype!r}")
        if kind == "staking":
            return self.income(row, "a staking reward")
        if kind == "earn":
            if subtype in _INTERNAL_EARN:
                return None
            if subtype in ("reward", "airdrop"):
                return self.income(row, f"an earn {subtype}")
            raise row.error(
                "subtype",
                f"earn with subtype {subtype!r}: cannot tell a reward from a move; "
                "enter it in tlh-xl's Transactions format",
            )
        if kind == "invite bonus":
            return self.income(row, "an invite bonus")
        if kind == "adjustment" or subtype == "delistingconversion":
            raise row.error(
                "type",
                f"{kind!r}: a conversion outside trading has no linked other side; "
                "enter it as a Trade in tlh-xl's Transactions format",
            )
        raise row.error("type", f"unknown ledger type {kind!r}")

    def movement(self, row: Row) -> Transaction | None:
        asset = self.asset(row)
        if asset == USD:
            return None  # dollars between a bank and Kraken
        amount = row.required_number("amount")
        fee = abs(row.number("fee") or Decimal(0))
        if not amount:
            raise row.error("amount", "expected a nonzero amount, got 0")
        kind = row.text("type").lower()
        # A withdrawal credited back (failed) or a deposit reversed runs the other way;
        # the sign says where the coins went.
        arriving = amount > 0
        note = f"Kraken {kind} {row.text('refid')}"
        if (kind == "deposit") != arriving:
            note += " (reversal)"
        return Transaction(
            tx_id=row.text("txid"),
            time=self.time(row),
            type="Transfer",
            wallet="" if arriving else self.wallet,
            to_wallet=self.wallet if arriving else "",
            sent_asset="" if arriving else asset,
            sent_quantity=None if arriving else abs(amount),
            received_asset=asset if arriving else "",
            received_quantity=abs(amount) if arriving else None,
            fee_asset=asset if fee else "",
            fee_quantity=fee or None,
            fee_usd=self.fee_usd(row, asset, amount, fee),
            notes=note,
            place=row.place,
        )

    def futures(self, row: Row, subtype: str) -> Transaction:
        asset = self.asset(row)
        amount = abs(row.required_number("amount"))
        fee = abs(row.number("fee") or Decimal(0))
        to_futures = subtype == "spottofutures"
        return Transaction(
            tx_id=row.text("txid"),
            time=self.time(row),
            type="Transfer",
            wallet=self.wallet if to_futures else FUTURES_WALLET,
            to_wallet=FUTURES_WALLET if to_futures else self.wallet,
            sent_asset=asset,
            sent_quantity=amount,
            received_asset=asset,
            received_quantity=amount,
            fee_asset=asset if fee else "",
            fee_quantity=fee or None,
            fee_usd=self.fee_usd(row, asset, amount, fee),
            notes=f"Kraken transfer {subtype} {row.text('refid')}",
            place=row.place,
        )

    def income(self, row: Row, what: str) -> Transaction:
        asset = self.asset(row)
        amount = row.required_number("amount")
        if amount <= 0:
            raise row.error("amount", f"expected a credit for {what}, got {amount}")
        fee = abs(row.number("fee") or Decimal(0))
        value = amount if asset == USD else self.need_usd(row, f"{what} of {amount} {asset}")
        return Transaction(
            tx_id=row.text("txid"),
            time=self.time(row),
            type="Income",
            wallet=self.wallet,
            received_asset=asset,
            received_quantity=amount,
            value_usd=value,
            fee_asset=asset if fee else "",
            fee_quantity=fee or None,
            fee_usd=self.fee_usd(row, asset, amount, fee),
            notes=f"Kraken {row.text('type')} {row.text('subtype')}".rstrip(),
            place=row.place,
        )

    def order(self, rows: list[Row]) -> Transaction | None:
        """The rows sharing one refid: one asset leaves, another arrives."""
        first = rows[0]
        refid = first.text("refid")
        legs: dict[str, _Leg] = defaultdict(_Leg)
        for row in rows:
            asset = self.asset(row)
            leg = legs[asset]
            leg.amount += row.required_number("amount")
            leg.fee += abs(row.number("fee") or Decimal(0))
            usd = self.usd(row)
            if row.number("amount") and leg.usd is not None:
                leg.usd = None if usd is None else leg.usd + usd
            leg.rows.append(row)
        sent = [(a, leg) for a, leg in legs.items() if leg.amount < 0]
        received = [(a, leg) for a, leg in legs.items() if leg.amount > 0]
        fees = [(a, leg) for a, leg in legs.items() if leg.fee]
        if not sent and not received:
            if fees:
                raise first.error("refid", f"{refid}: a fee with no trade")
            return None  # the same coin relabelled (XETH -> ETH2.S): nothing changed
        if len(sent) != 1 or len(received) != 1:
            raise first.error(
                "refid",
                f"{refid}: a trade needs one asset sent and one received; found sent "
                f"{[a for a, _ in sent]} and received {[a for a, _ in received]}",
            )
        if len(fees) > 1:
            raise first.error(
                "refid", f"{refid}: fees in {[a for a, _ in fees]}; one fee asset is supported"
            )
        (s_asset, s_leg), (r_asset, r_leg) = sent[0], received[0]
        s_qty, r_qty = -s_leg.amount, r_leg.amount
        kind: TxType
        if s_asset == USD:
            kind, value = "Buy", s_qty
        elif r_asset == USD:
            kind, value = "Sell", r_qty
        else:
            kind = "Trade"
            # Either side's amountusd values the exchange; a zero is no value.
            known = r_leg.usd or s_leg.usd
            if not known:
                raise first.error(
                    "amountusd",
                    f"{refid}: no USD value for the trade of {s_qty} {s_asset} for "
                    f"{r_qty} {r_asset}; export the ledger with the amountusd column, or "
                    "enter it in tlh-xl's Transactions format",
                )
            value = known
        fee_asset = ""
        fee_qty: Decimal | None = None
        fee_usd: Decimal | None = None
        if fees:
            fee_asset, f_leg = fees[0]
            paid = fee_qty = f_leg.fee
            if fee_asset == USD:
                fee_usd = paid
            elif fee_asset in (s_asset, r_asset):
                # At the trade's own rate: the value exchanged over that side's quantity.
                side_qty = s_qty if fee_asset == s_asset else r_qty
                fee_usd = derived(lambda: paid * value / side_qty)
            else:
                # amountusd values a row's amount, not its fee, so a fee in a third asset
                # has no price in the file.
                raise f_leg.rows[0].error(
                    "amountusd", f"{refid}: no USD value for the fee of {paid} {fee_asset}"
                )
        times = [self.time(r) for r in rows]
        return Transaction(
            tx_id=refid,
            time=min(times),
            type=kind,
            wallet=self.wallet,
            sent_asset=s_asset,
            sent_quantity=s_qty,
            received_asset=r_asset,
            received_quantity=r_qty,
            value_usd=value,
            fee_asset=fee_asset,
            fee_quantity=fee_qty,
            fee_usd=fee_usd,
            notes=f"Kraken {first.text('type')} {refid} (lines "
            + ", ".join(str(r.line) for r in rows)
            + ")",
            place=first.place,
        )


def read(table: Table, options: ReadOptions) -> list[Transaction]:
    """Convert a Kraken ledger table to ledger transactions (one per event, in file order
    of each event's first row)."""
    reader = _Reader(table, options)
    live: list[Row] = []
    for row in table.rows:
        if not row.text("txid"):
            if row.text("balance"):
                raise row.error(
                    "txid",
                    "blank on a row that changed the balance; Kraken leaves it blank only "
                    "on unsettled duplicates (was the txid column cleared?)",
                )
            continue
        live.append(row)
    orders: dict[str, list[Row]] = defaultdict(list)
    for row in live:
        if row.text("type").lower() in _TRADE_TYPES:
            orders[row.required("refid", "a refid")].append(row)
    out: list[Transaction] = []
    done: set[str] = set()
    for row in live:
        if row.text("type").lower() in _TRADE_TYPES:
            refid = row.text("refid")
            if refid in done:
                continue
            done.add(refid)
            t = reader.order(orders[refid])
        else:
            t = reader.single(row)
        if t is not None:
            out.append(t)
    return number_rows(out)


FORMAT = ExportFormat(
    name="kraken",
    title="Kraken ledgers.csv",
    matches=_matches,
    read=read,
    near_miss=_near_miss,
)
