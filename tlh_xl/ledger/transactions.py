"""The transaction record every importer produces, and the lot engine consumes.

One row of a ledger: tlh-xl's own ``Transactions`` table (its column names are a
contract, like the workbook's), or one event from an exchange's or another tool's
export, converted by that format's importer (``ledger/importers``). Quantities are
positive; which way they move is the ``type``'s meaning. Money is ``Decimal`` USD.

``place`` says where the row came from (``coinbase.csv:57``, ``Transactions!A12``), so
an error found later, in the lot engine (selling more than a wallet holds), names the
row the user must fix.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, get_args

__all__ = ["TX_TYPES", "LotPick", "Transaction", "TxType"]

# Buy: USD (or a stablecoin valued in USD) for a coin. Sell: a coin for USD. Trade: a
# coin for another coin. Transfer: between two of the user's own wallets. Income:
# staking, airdrops, mining, interest (a new lot at fair market value, and ordinary
# income). Spend: a coin paid for goods or services (a disposal at its value). Gift Out:
# given away (not a sale). Gift In: received as a gift (carryover basis). Fee: a fee
# paid on its own (a disposal of the coin paid). Lost: lost or stolen (no sale).
TxType = Literal[
    "Buy", "Sell", "Trade", "Transfer", "Income", "Spend", "Gift Out", "Gift In", "Fee", "Lost"
]
TX_TYPES: tuple[TxType, ...] = get_args(TxType)


@dataclass(frozen=True, slots=True)
class LotPick:
    """Specific identification: sell from lot ``lot_id`` (all that is left of it when
    ``quantity`` is ``None``). Written ``L12:0.5; L13`` in the ``Lots`` column."""

    lot_id: str
    quantity: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Transaction:
    tx_id: str
    time: dt.datetime  # timezone-aware; a bare date is midnight in the user's time zone
    type: TxType
    wallet: str
    to_wallet: str = ""  # Transfer only
    sent_asset: str = ""
    sent_quantity: Decimal | None = None
    received_asset: str = ""
    received_quantity: Decimal | None = None
    fee_asset: str = ""
    fee_quantity: Decimal | None = None
    value_usd: Decimal | None = None  # gross fair market value, before fees
    fee_usd: Decimal | None = None  # the fee's value
    lots: tuple[LotPick, ...] = ()  # specific identification, if any
    notes: str = ""
    place: str = ""  # where the row came from: "coinbase.csv:57"
    row: int = 0  # its order in the input, for ties at the same instant
