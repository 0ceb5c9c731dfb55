"""The transaction ledger: exchange and tool exports in, open lots per wallet and this
year's disposals out."""

from .transactions import TX_TYPES, LotPick, Transaction, TxType

__all__ = ["TX_TYPES", "LotPick", "Transaction", "TxType"]
