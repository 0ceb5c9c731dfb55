"""Koinly's transaction report (Koinly → Tax Reports → Transaction report, CSV).

What was verified, and where:

- The report exists and is "a file in CSV format that includes all your transactions for
  the year ... transaction types, transaction date/time and received/sent amounts"; it is
  not a backup Koinly can re-import: Koinly's "Koinly tax reports" article
  (support.koinly.io/en/articles/9490074).
- Its timestamps are UTC whatever the account's report time zone: Koinly's "Settings >
  Beginning of tax year, Timezone for reports" (support.koinly.io/en/articles/9489993:
  "Transaction History report ... generated in UTC timezone regardless of this setting").
- Its header, ``Date, Type, Tag, Sending Wallet, Sent Amount, Sent Currency, Sent Cost
  Basis, Receiving Wallet, Received Amount, Received Currency, Received Cost Basis, Fee
  Amount, Fee Currency, Gain (USD), Net Value (USD), Fee Value (USD), TxSrc, TxDest,
  TxHash, Description`` (``Label`` instead of ``Tag`` in other countries' exports, and
  the report currency in the value columns' names): BittyTax issues #228 and #353 (the
  US header, 2024-03) and BittyTax's parser; the types buy, sell, exchange, transfer,
  fiat_deposit, crypto_deposit, fiat_withdrawal, crypto_withdrawal from the same parser.
- What the tags mean: Koinly's "What are tags" (support.koinly.io/en/articles/9490023)
  and "What are labels" (help.koinly.io/en/articles/3663453): "without any tags, deposits
  are considered acquisitions of an asset (equivalent to 'bought at market price')" and
  "without any tags, withdrawals are considered disposals"; Airdrop, Fork, Mining, Reward,
  Salary, Income, Lending interest are income; Cashback and Fee refund "remain an
  acquisition"; Gift and Lost "will result in the withdrawal not generating any gains";
  Cost, Tax, Margin fee, Loan fee, Interest payment are expenses that remain disposals;
  "Ignored ... is essentially the same as deleting the transaction". Tag spellings in the
  file (``reward`` or ``Reward``, ``lending_interest`` or ``Lending interest``) from
  BittyTax's parser; both are accepted.

Not verified (no public example with numbers): that ``Net Value`` is the gross market
value before fees and ``Fee Value`` the fee's value, and that ``Sent Amount`` excludes the
fee. That is how Koinly's own import templates use the same names, and how they are read
here. The cost-basis and gain columns are Koinly's lot accounting; tlh-xl redoes it, so
they are not read.

Only a USD report is accepted (the value columns must say ``(USD)``). Koinly's other
export, "Bulk edit in Excel" (``ID (read-only), ... From Wallet (read-only), ...``), is
recognised and refused with directions to the transaction report.

Type mapping (Tag in brackets; anything else is refused, naming the tag or type):

===========================================  ============================================
Koinly                                       Transaction
===========================================  ============================================
buy / sell / exchange                        Buy (USD sent), Sell (USD received), Trade
transfer                                     Transfer Sending Wallet → Receiving Wallet
crypto_deposit [none, cashback, fee refund]  Buy at Net Value: Koinly's "bought at market
                                             price", with nothing recorded as sent
crypto_deposit [airdrop, fork, mining,       Income at Net Value
reward, income, other income, salary,
lending interest, loan interest, staking]
crypto_withdrawal [none, cost, tax,          Spend at Net Value
margin fee, loan fee, interest payment]
crypto_withdrawal [gift, donation]           Gift Out
crypto_withdrawal [lost, stolen]             Lost
fiat_deposit / fiat_withdrawal of USD        skipped: dollars moving in or out are no event
fiat_deposit / fiat_withdrawal, other cash   arriving / leaving half of a Transfer
any type [ignored]                           skipped: Koinly left it out of every report
===========================================  ============================================
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from ..transactions import Transaction, TxType
from ._common import (
    ExportFormat,
    FeeFields,
    ReadOptions,
    Row,
    RowFields,
    Table,
    number_rows,
    utc_time,
)

__all__ = ["FORMAT", "read"]

USD = "USD"

_REQUIRED = (
    "Date",
    "Type",
    "Sending Wallet",
    "Sent Amount",
    "Sent Currency",
    "Receiving Wallet",
    "Received Amount",
    "Received Currency",
    "Fee Amount",
    "Fee Currency",
)
_NET_VALUE = re.compile(r"Net Value \((\w+)\)")
_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?(?: ?UTC|Z)?"
)

_INCOME_TAGS = {
    "airdrop",
    "fork",
    "mining",
    "reward",
    "staking",
    "income",
    "other income",
    "salary",
    "lending interest",
    "loan interest",
}
_ACQUIRED_TAGS = {"", "cashback", "fee refund"}
_SPEND_TAGS = {"", "cost", "tax", "margin fee", "loan fee", "interest payment"}
_GIFT_TAGS = {"gift", "donation"}
_LOST_TAGS = {"lost", "stolen"}


def _tag_key(text: str) -> str:
    # "Lending interest", "lending_interest" and "Lending Interest" are one tag.
    return " ".join(text.replace("_", " ").lower().split())


def _matches(header: tuple[str, ...]) -> bool:
    return (
        all(c in header for c in _REQUIRED)
        and ("Tag" in header or "Label" in header)
        and any(_NET_VALUE.fullmatch(c) for c in header)
    )


def _near_miss(header: tuple[str, ...]) -> str | None:
    if "ID (read-only)" in header and "From Wallet (read-only)" in header:
        return (
            "this is Koinly's bulk-edit export; use the transaction report instead "
            "(Tax Reports → Transaction report, CSV)"
        )
    return None


def _time(row: Row) -> dt.datetime:
    # Koinly writes this report in UTC.
    return utc_time(row, "Date", _TIME, "expected a UTC time like '2025-03-01 14:05 UTC'")


class _Reader:
    def __init__(self, table: Table) -> None:
        value = next(m for c in table.header if (m := _NET_VALUE.fullmatch(c)))
        currency = value.group(1)
        self.currency = currency
        self.net_value = value.group(0)
        self.fee_value = f"Fee Value ({currency})"
        self.tag = "Tag" if "Tag" in table.header else "Label"

    def amount(self, row: Row, column: str) -> Decimal | None:
        value = row.number(column)
        if value is not None and value < 0:
            raise row.error(column, f"expected a positive amount, got {row.text(column)!r}")
        return value or None

    def side(self, row: Row, which: str) -> tuple[str, Decimal | None]:
        qty = self.amount(row, f"{which} Amount")
        asset = row.text(f"{which} Currency")
        if qty is not None and not asset:
            raise row.error(f"{which} Currency", f"expected the currency of {qty}, got ''")
        return (asset if qty is not None else ""), qty

    def need(self, row: Row, what: str) -> Decimal:
        value = row.number(self.net_value)
        if value is None:
            raise row.error(self.net_value, f"no USD value for {what}")
        return abs(value)

    def read(self, row: Row) -> Transaction | None:
        if self.currency != USD:
            # Every value and fee value is in the report's currency; none can be used.
            raise row.error(
                self.net_value,
                f"values are in {self.currency}; tlh-xl needs a report in USD (set Koinly's "
                "base currency to USD and export again)",
            )
        kind = _tag_key(row.text("Type"))
        tag = _tag_key(row.text(self.tag))
        if tag == "ignored":
            return None
        sent, sent_qty = self.side(row, "Sent")
        received, received_qty = self.side(row, "Received")
        fee_asset, fee_qty = self.side(row, "Fee")
        fee_usd = row.number(self.fee_value) if fee_qty else None
        tx_hash = row.text("TxHash")
        base = RowFields(
            tx_id=row.place,
            time=_time(row),
            place=row.place,
            notes=" ".join(p for p in (row.text("Description"), tx_hash and f"tx {tx_hash}") if p),
        )
        sending, receiving = row.text("Sending Wallet"), row.text("Receiving Wallet")
        fee_fields = FeeFields(
            fee_asset=fee_asset,
            fee_quantity=fee_qty,
            fee_usd=None if fee_usd is None else abs(fee_usd),
        )

        if kind in ("buy", "sell", "exchange"):
            if sent_qty is None or received_qty is None:
                raise row.error(
                    "Sent Amount" if sent_qty is None else "Received Amount",
                    f"a {kind} needs an amount sent and an amount received",
                )
            if sending and receiving and sending != receiving:
                raise row.error(
                    "Receiving Wallet",
                    f"{kind!r} between two wallets ({sending!r}, {receiving!r})",
                )
            trade_type: TxType = "Buy" if sent == USD else "Sell" if received == USD else "Trade"
            trade_value = (
                sent_qty
                if sent == USD
                else received_qty
                if received == USD
                else self.need(row, f"the {kind} of {sent_qty} {sent}")
            )
            return Transaction(
                type=trade_type,
                wallet=sending or receiving,
                sent_asset=sent,
                sent_quantity=sent_qty,
                received_asset=received,
                received_quantity=received_qty,
                value_usd=trade_value,
                **fee_fields,
                **base,
            )
        if kind == "transfer":
            if sent_qty is None or received_qty is None:
                raise row.error(
                    "Sent Amount" if sent_qty is None else "Received Amount",
                    "a transfer needs an amount sent and an amount received",
                )
            if sent != received:
                raise row.error(
                    "Received Currency", f"a transfer of {sent!r} that arrives as {received!r}"
                )
            return Transaction(
                type="Transfer",
                wallet=row.required("Sending Wallet", "a wallet"),
                to_wallet=row.required("Receiving Wallet", "a wallet"),
                sent_asset=sent,
                sent_quantity=sent_qty,
                received_asset=received,
                received_quantity=received_qty,
                **fee_fields,
                **base,
            )
        if kind in ("fiat deposit", "fiat withdrawal"):
            depositing = kind == "fiat deposit"
            asset, qty = (received, received_qty) if depositing else (sent, sent_qty)
            if qty is None:
                column = "Received Amount" if depositing else "Sent Amount"
                raise row.error(column, f"a {kind} needs an amount")
            if asset == USD:
                return None
            return Transaction(
                type="Transfer",
                wallet="" if depositing else row.required("Sending Wallet", "a wallet"),
                to_wallet=row.required("Receiving Wallet", "a wallet") if depositing else "",
                sent_asset="" if depositing else asset,
                sent_quantity=None if depositing else qty,
                received_asset=asset if depositing else "",
                received_quantity=qty if depositing else None,
                **fee_fields,
                **base,
            )
        if kind == "crypto deposit":
            if received_qty is None:
                raise row.error("Received Amount", "a deposit needs an amount")
            if tag in _INCOME_TAGS:
                deposit_type: TxType = "Income"
            elif tag in _ACQUIRED_TAGS:
                deposit_type = "Buy"
            else:
                raise row.error(self.tag, f"unknown deposit tag {row.text(self.tag)!r}")
            return Transaction(
                type=deposit_type,
                wallet=row.required("Receiving Wallet", "a wallet"),
                received_asset=received,
                received_quantity=received_qty,
                value_usd=self.need(row, f"the deposit of {received_qty} {received}"),
                **fee_fields,
                **base,
            )
        if kind == "crypto withdrawal":
            if sent_qty is None:
                raise row.error("Sent Amount", "a withdrawal needs an amount")
            if tag in _SPEND_TAGS:
                out_type: TxType = "Spend"
                value: Decimal | None = self.need(row, f"the withdrawal of {sent_qty} {sent}")
            elif tag in _GIFT_TAGS or tag in _LOST_TAGS:
                out_type = "Gift Out" if tag in _GIFT_TAGS else "Lost"
                net = row.number(self.net_value)
                value = None if net is None else abs(net)
            else:
                raise row.error(self.tag, f"unknown withdrawal tag {row.text(self.tag)!r}")
            return Transaction(
                type=out_type,
                wallet=row.required("Sending Wallet", "a wallet"),
                sent_asset=sent,
                sent_quantity=sent_qty,
                value_usd=value,
                **fee_fields,
                **base,
            )
        raise row.error("Type", f"unknown type {row.text('Type')!r}")


def read(table: Table, options: ReadOptions) -> list[Transaction]:
    """Convert a Koinly transaction report to ledger transactions. Wallets come from the
    file, so ``options.wallet`` is not used; times are UTC, so neither is ``options.tz``."""
    reader = _Reader(table)
    out = [t for row in table.rows if (t := reader.read(row)) is not None]
    return number_rows(out)


FORMAT = ExportFormat(
    name="koinly",
    title="Koinly transaction report",
    matches=_matches,
    read=read,
    near_miss=_near_miss,
)
