"""Coinbase transaction history CSV (coinbase.com → Statements → Transaction history).

What was verified, and where (no Coinbase specification of the file is public; these are
the export's columns and quirks as seen in real files quoted by users and parsers):

- Current header ``ID, Timestamp, Transaction Type, Asset, Quantity Transacted, Price
  Currency, Price at Transaction, Subtotal, Total (inclusive of fees and/or spread), Fees
  and/or Spread, Notes``: BittyTax issue #390 (2024-09) and #450 (2025-09), CoinTaxman
  PR #172 (2025-01: the new ID column, currency symbols in money cells, negative
  Quantity/Subtotal/Total for outflows, the changed UTC format), GhostfolioSidekick
  issue #226 (ID column added, 2024-05).
- Timestamps ``2025-04-07 14:14:41 UTC``, and cells such as ``€3.45458485545`` with a
  fee on Staking Income rows: rotki issue #10244 (2025-07). Older ISO ``...Z`` stamps:
  BittyTax issues #175, #269.
- Older headers: ``Spot Price Currency, Spot Price at Transaction, ... Total (inclusive
  of fees and/or spread), Fees and/or Spread`` and ``... Total (inclusive of fees),
  Fees`` (CoinTaxman issue #83, 2021-11; BittyTax #175); the oldest puts the currency in
  the names (``EUR Spot Price at Transaction, EUR Subtotal, ...``, tresor-import #3569).
- Preamble before the header: ``"You can use this transaction report ..."``, blank lines,
  ``Transactions``, ``User,<email>,<id>`` (BittyTax #175, ledger-autosync #38); newer
  files keep only some of these lines (CoinTaxman PR #172).
- Notes carry the counter-asset: ``Bought 0.0030091 BTC for €30.00 EUR``, ``Sold 10.7000
  MATIC for £5.01 GBP on MATIC-GBP``, ``... on BTC-USDC at 50,000.00 USDC/BTC``,
  ``Converted 0.00093652 BTC to 0.02823531 ETH`` (BittyTax #269, #304, tresor-import
  #2293, and the note patterns in BittyTax's parser); transaction type names from the
  same sources and BittyTax's parser (commits through 2026-03).

Money is read only from a USD export: every valued row must say ``USD`` as its price
currency, and tlh-xl never converts currencies. In a USD export the cells and notes use US
digit grouping (``$1,234.56``), so grouping commas in groups of three are accepted there;
any other comma (``1,2.5``) is refused.

Quantities are positive in the records; the direction is the type's. As everywhere in the
ledger, a quantity excludes its fee and the fee is its own field: a buy sends
``Subtotal`` dollars and pays ``Fees`` dollars on top (Total = Subtotal + Fees), a sale
receives ``Subtotal`` and pays ``Fees`` out of it. ``Value USD`` is ``Subtotal``, the gross
value before fees. A Convert is the exception: Coinbase takes its spread in the rate, so
the coin received is already net of it; its value is ``Total``, what arrived, and the
spread is only noted (as a fee too it would be counted twice: off the proceeds and in the
new coin's basis).

Type mapping (anything else is refused, naming the type):

=================================================  =======================================
Coinbase                                           Transaction
=================================================  =======================================
Buy, Advanced Trade Buy (Advance Trade Buy)        Buy (USD → coin); Trade when the notes
                                                   show a coin paid (``on BTC-USDC at``)
Sell, Advanced Trade Sell (Advance Trade Sell)     Sell (coin → USD); Trade likewise
Convert                                            Trade (counter-asset from the notes)
                                                   at Total, what arrived; Sell when
                                                   converted to USD
Rewards Income, Reward Income, Staking Income,     Income at Subtotal (else Quantity ×
Inflation Reward, Learning Reward, Coinbase Earn,  Price at Transaction)
Interest payout
Receive                                            Income when the notes name Coinbase
                                                   Earn / Rewards / Referral; otherwise the
                                                   arriving half of a Transfer
Send                                               the leaving half of a Transfer
Exchange Deposit, Pro Deposit / Prime Deposit      Transfer Coinbase → Coinbase Pro / Prime
Exchange Withdrawal, Pro Withdrawal                Transfer Coinbase Pro → Coinbase
Card Spend                                         Spend
Donation                                           Gift Out
=================================================  =======================================

A *half transfer* is a coin leaving to, or arriving from, somewhere this file does not
know: ``Transfer`` with ``to_wallet=""`` (leaving) or ``wallet=""`` (arriving), and the
counterparty (an address) in the notes. It is the user's or the lot engine's to pair with
the other half, or to retype as Gift Out or Spend; nothing here guesses which.

Skipped, because they carry no tax event: ``Deposit``/``Withdrawal`` of US dollars (cash
moving between a bank and Coinbase; any other asset is refused), and moves inside the same
Coinbase account (``Retail Staking Transfer``, ``Retail Unstaking Transfer``, ``Vault
Withdrawal``, ``Cash to Savings``, ``Savings to Cash``): the coins stay with the same
custodian and owner, so no lot changes wallet.

Fees on reward rows (Coinbase's staking commission) are not recorded: the commission was
kept out of the reward, so the quantity received is already net of it and no coin of the
user's was spent. A Send's network fee is given in USD only; it is recorded as ``fee_usd``
with no fee quantity, because the export does not say how much of the coin it was.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from ..transactions import Transaction
from ._common import (
    ExportFormat,
    ReadOptions,
    Row,
    RowFields,
    Table,
    derived,
    number,
    number_rows,
    utc_time,
)

__all__ = ["FORMAT", "read"]

DEFAULT_WALLET = "Coinbase"
USD = "USD"

# The money columns under each header generation: (currency, price, subtotal, total, fees).
_GENERATIONS: tuple[tuple[str, str, str, str, str], ...] = (
    (
        "Price Currency",
        "Price at Transaction",
        "Subtotal",
        "Total (inclusive of fees and/or spread)",
        "Fees and/or Spread",
    ),
    (
        "Spot Price Currency",
        "Spot Price at Transaction",
        "Subtotal",
        "Total (inclusive of fees and/or spread)",
        "Fees and/or Spread",
    ),
    (
        "Spot Price Currency",
        "Spot Price at Transaction",
        "Subtotal",
        "Total (inclusive of fees)",
        "Fees",
    ),
)
_BASE = ("Timestamp", "Transaction Type", "Asset", "Quantity Transacted", "Notes")
# The oldest header names the currency in each money column: "EUR Spot Price at Transaction".
_OLDEST = re.compile(r"([A-Z]{3}) Spot Price at Transaction")

_BUY = {"Buy", "Advanced Trade Buy", "Advance Trade Buy"}
_SELL = {"Sell", "Advanced Trade Sell", "Advance Trade Sell"}
_INCOME = {
    "Rewards Income",
    "Reward Income",
    "Staking Income",
    "Inflation Reward",
    "Learning Reward",
    "Coinbase Earn",
    "Interest payout",
}
# Moves between Coinbase and its sibling venues, which export their own files.
_SIBLINGS = {
    "Exchange Deposit": ("out", "Coinbase Pro"),
    "Pro Deposit": ("out", "Coinbase Pro"),
    "Prime Deposit": ("out", "Coinbase Prime"),
    "Exchange Withdrawal": ("in", "Coinbase Pro"),
    "Pro Withdrawal": ("in", "Coinbase Pro"),
}
_INTERNAL = {
    "Retail Staking Transfer",
    "Retail Unstaking Transfer",
    "Vault Withdrawal",
    "Cash to Savings",
    "Savings to Cash",
}
_CASH = {"Deposit", "Withdrawal"}
_KNOWN = (
    _BUY
    | _SELL
    | _INCOME
    | set(_SIBLINGS)
    | _INTERNAL
    | _CASH
    | {"Convert", "Send", "Receive", "Card Spend", "Donation"}
)

_NUM = r"[0-9][0-9,]*(?:\.[0-9]+)?|\.[0-9]+"
_TRADE_NOTE = re.compile(
    rf"(?P<verb>Bought|Sold) (?P<base_qty>{_NUM}) (?P<base>\w+) for [$€£]?(?P<quote_qty>{_NUM})"
    rf" (?P<quote>\w+)(?: on (?P<pair>\w+)-(?P<pair_quote>\w+))?"
    rf"(?: at [$€£]?(?P<rate>{_NUM}) (?P<rate_unit>\w+)/\w+)?\b.*"
)
_CONVERT_NOTE = re.compile(
    rf"Converted (?P<sent_qty>{_NUM}) (?P<sent>\w+) to (?P<recv_qty>{_NUM}) (?P<recv>\w+)\s*"
)
_REWARD_RECEIVE = re.compile(r"\bCoinbase (?:Earn|Rewards|Referral)\b")
_TIME = re.compile(r"(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(?: ?UTC|Z)")


class _Columns:
    """Where this file's money columns are, by header generation."""

    def __init__(self, header: tuple[str, ...]) -> None:
        for names in _GENERATIONS:
            if all(n in header for n in names):
                self.currency_column: str | None = names[0]
                self.fixed_currency = ""
                self.price, self.subtotal, self.total, self.fees = names[1:]
                return
        oldest = next(m for c in header if (m := _OLDEST.fullmatch(c)))
        ccy = oldest.group(1)
        self.currency_column = None
        self.fixed_currency = ccy
        self.price = oldest.group(0)
        self.subtotal = f"{ccy} Subtotal"
        self.total = f"{ccy} Total (inclusive of fees)"
        self.fees = f"{ccy} Fees"


def _matches(header: tuple[str, ...]) -> bool:
    if not all(c in header for c in _BASE):
        return False
    if any(all(n in header for n in names) for names in _GENERATIONS):
        return True
    oldest = next((m for c in header if (m := _OLDEST.fullmatch(c))), None)
    if oldest is None:
        return False
    ccy = oldest.group(1)
    return f"{ccy} Subtotal" in header and f"{ccy} Total (inclusive of fees)" in header


def _time(row: Row) -> dt.datetime:
    return utc_time(row, "Timestamp", _TIME, "expected a UTC time like '2025-03-01 14:05:09 UTC'")


def _note_number(row: Row, text: str) -> Decimal:
    try:
        return number(text, grouping=True)
    except ValueError:
        raise row.error("Notes", f"expected a number, got {text!r}") from None


class _Reader:
    def __init__(self, table: Table, options: ReadOptions) -> None:
        self.cols = _Columns(table.header)
        self.wallet = options.wallet or DEFAULT_WALLET
        self.has_id = "ID" in table.header

    # -- cells -------------------------------------------------------------------------

    def currency(self, row: Row) -> str:
        if self.cols.currency_column is None:
            ccy, column = self.cols.fixed_currency, self.cols.price
        else:
            column = self.cols.currency_column
            ccy = row.text(column)
        if ccy != USD:
            raise row.error(
                column,
                f"expected USD, got {ccy!r}: tlh-xl values everything in US dollars; "
                "export the history with USD as the native currency",
            )
        return ccy

    def money(self, row: Row, column: str) -> Decimal | None:
        value = row.number(column, money=True)
        if value is None:
            return None
        self.currency(row)  # a dollar amount only counts in a USD export
        return abs(value)

    def required_money(self, row: Row, column: str) -> Decimal:
        value = self.money(row, column)
        if value is None:
            raise row.error(column, "expected a dollar amount, got ''")
        return value

    def fee(self, row: Row) -> Decimal | None:
        value = self.money(row, self.cols.fees)
        return value if value else None  # a zero fee is no fee

    def quantity(self, row: Row) -> Decimal:
        value = abs(row.required_number("Quantity Transacted"))
        if not value:
            raise row.error("Quantity Transacted", "expected a nonzero quantity, got 0")
        return value

    def base(self, row: Row) -> RowFields:
        tx_id = row.text("ID") if self.has_id else ""
        return RowFields(
            tx_id=tx_id or row.place, time=_time(row), place=row.place, notes=row.text("Notes")
        )

    # -- rows --------------------------------------------------------------------------

    def read(self, row: Row) -> Transaction | None:
        kind = row.text("Transaction Type")
        if kind not in _KNOWN:
            raise row.error(
                "Transaction Type",
                f"unknown type {kind!r}; enter this event in tlh-xl's Transactions format",
            )
        asset = row.required("Asset", "an asset")
        if kind in _INTERNAL:
            return None
        if kind in _CASH:
            if asset == USD:
                return None
            raise row.error(
                "Asset", f"a {kind} of {asset!r}: only US-dollar deposits/withdrawals are known"
            )
        if kind in _BUY or kind in _SELL:
            return self.trade(row, kind, asset)
        if kind == "Convert":
            return self.convert(row, asset)
        if kind in _INCOME:
            return self.income(row, asset)
        if kind == "Receive":
            if _REWARD_RECEIVE.search(row.text("Notes")):
                return self.income(row, asset)
            return Transaction(
                **self.base(row),
                type="Transfer",
                wallet="",
                to_wallet=self.wallet,
                received_asset=asset,
                received_quantity=self.quantity(row),
            )
        if kind == "Send":
            fee = self.fee(row)
            return Transaction(
                **self.base(row),
                type="Transfer",
                wallet=self.wallet,
                to_wallet="",
                sent_asset=asset,
                sent_quantity=self.quantity(row),
                fee_usd=fee,
            )
        if kind in _SIBLINGS:
            if asset == USD:
                return None  # dollars moving between Coinbase venues
            direction, other = _SIBLINGS[kind]
            source, dest = (self.wallet, other) if direction == "out" else (other, self.wallet)
            qty = self.quantity(row)
            return Transaction(
                **self.base(row),
                type="Transfer",
                wallet=source,
                to_wallet=dest,
                sent_asset=asset,
                sent_quantity=qty,
                received_asset=asset,
                received_quantity=qty,
            )
        # Card Spend and Donation: a coin leaves, valued by Coinbase.
        value = self.required_money(row, self.cols.subtotal)
        fee = self.fee(row)
        return Transaction(
            **self.base(row),
            type="Spend" if kind == "Card Spend" else "Gift Out",
            wallet=self.wallet,
            sent_asset=asset,
            sent_quantity=self.quantity(row),
            value_usd=value,
            fee_asset=USD if fee else "",
            fee_quantity=fee,
            fee_usd=fee,
        )

    def income(self, row: Row, asset: str) -> Transaction:
        qty = self.quantity(row)
        value = self.money(row, self.cols.subtotal)
        if value is None:
            price = self.required_money(row, self.cols.price)
            value = derived(lambda: qty * price)
        return Transaction(
            **self.base(row),
            type="Income",
            wallet=self.wallet,
            received_asset=asset,
            received_quantity=qty,
            value_usd=value,
        )

    def trade(self, row: Row, kind: str, asset: str) -> Transaction:
        buying = kind in _BUY
        qty = self.quantity(row)
        value = self.required_money(row, self.cols.subtotal)
        fee = self.fee(row)
        notes = row.text("Notes")
        m = _TRADE_NOTE.fullmatch(notes)
        counter = USD
        counter_qty = value
        counter_fee: Decimal | None = fee
        if m is not None and (m["base"] != asset or (m["verb"] == "Bought") != buying):
            raise row.error("Notes", f"does not describe this {kind} of {asset}: {notes!r}")
        if m is None:
            # A plain Buy or Sell without a readable note is one of Coinbase's simple
            # trades, always against the account's cash. Advanced trades can be against a
            # coin, and only the note says which.
            if kind not in ("Buy", "Sell"):
                raise row.error(
                    "Notes",
                    f"cannot tell what {kind!r} was paid with from {notes!r} "
                    "(expected 'Bought|Sold <qty> <asset> for <qty> <asset> on <pair>')",
                )
        else:
            pair_quote = m["pair_quote"]
            quote = m["quote"]
            if pair_quote and pair_quote != USD:
                # Traded against a coin: its quantity comes from the note's own rate.
                if quote != pair_quote or not m["rate"] or m["rate_unit"] != pair_quote:
                    raise row.error(
                        "Notes",
                        f"a trade on {m['pair']}-{pair_quote} without the {pair_quote} "
                        f"quantity and rate: {notes!r}",
                    )
                base_qty = _note_number(row, m["base_qty"])
                rate = _note_number(row, m["rate"])
                quote_qty = _note_number(row, m["quote_qty"])
                counter = pair_quote
                counter_qty = derived(lambda: base_qty * rate)
                # A buy pays gross + fee; a sale receives gross - fee. Either way the
                # fee in the coin is the gap between the gross and the note's amount.
                coin_fee = abs(quote_qty - counter_qty)
                counter_fee = coin_fee if coin_fee else None
            elif quote != USD:
                raise row.error("Notes", f"a trade priced in {quote!r}, not USD: {notes!r}")
        base = self.base(row)
        if counter == USD:
            if buying:
                return Transaction(
                    **base,
                    type="Buy",
                    wallet=self.wallet,
                    sent_asset=USD,
                    sent_quantity=value,
                    received_asset=asset,
                    received_quantity=qty,
                    value_usd=value,
                    fee_asset=USD if fee else "",
                    fee_quantity=fee,
                    fee_usd=fee,
                )
            return Transaction(
                **base,
                type="Sell",
                wallet=self.wallet,
                sent_asset=asset,
                sent_quantity=qty,
                received_asset=USD,
                received_quantity=value,
                value_usd=value,
                fee_asset=USD if fee else "",
                fee_quantity=fee,
                fee_usd=fee,
            )
        sent, sent_qty, received, received_qty = (
            (counter, counter_qty, asset, qty) if buying else (asset, qty, counter, counter_qty)
        )
        return Transaction(
            **base,
            type="Trade",
            wallet=self.wallet,
            sent_asset=sent,
            sent_quantity=sent_qty,
            received_asset=received,
            received_quantity=received_qty,
            value_usd=value,
            fee_asset=counter if counter_fee else "",
            fee_quantity=counter_fee,
            fee_usd=fee,
        )

    def convert(self, row: Row, asset: str) -> Transaction:
        notes = row.text("Notes")
        m = _CONVERT_NOTE.fullmatch(notes)
        if m is None:
            raise row.error(
                "Notes",
                f"expected 'Converted <qty> <asset> to <qty> <asset>', got {notes!r}",
            )
        if m["sent"] != asset:
            raise row.error("Notes", f"converts {m['sent']!r}, but the row's Asset is {asset!r}")
        qty = self.quantity(row)
        received = m["recv"]
        received_qty = _note_number(row, m["recv_qty"])
        if not received_qty:
            raise row.error("Notes", f"converted to nothing: {notes!r}")
        # Coinbase takes its spread in the rate: the coin received is already net of it,
        # so the exchange is worth what arrived (Total = Subtotal - spread). Recording the
        # spread as a fee as well would take it off the proceeds and leave it in the new
        # coin's basis, counting it twice.
        value = self.money(row, self.cols.total)
        spread = self.fee(row)
        if value is None:
            gross = self.required_money(row, self.cols.subtotal)
            value = gross - (spread or 0)
        base = self.base(row)
        if spread:
            base["notes"] = f"{base['notes']} (spread ${spread})"
        return Transaction(
            **base,
            type="Sell" if received == USD else "Trade",
            wallet=self.wallet,
            sent_asset=asset,
            sent_quantity=qty,
            received_asset=received,
            received_quantity=received_qty,
            value_usd=value,
        )


def read(table: Table, options: ReadOptions) -> list[Transaction]:
    """Convert a Coinbase transaction history table to ledger transactions."""
    reader = _Reader(table, options)
    out = [t for row in table.rows if (t := reader.read(row)) is not None]
    return number_rows(out)


FORMAT = ExportFormat(
    name="coinbase",
    title="Coinbase transaction history",
    matches=_matches,
    read=read,
)
