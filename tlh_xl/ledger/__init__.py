"""The transaction ledger: exchange and tool exports in, open lots per wallet and this
year's disposals out.

``build_ledger(transactions, LedgerSettings(...))`` is the lot engine; tlh-xl's own
format is read by ``read_transactions_csv`` (a file) and ``parse_transaction_rows`` (a
workbook table's rows). The rules chosen, with their sources: ``docs/LEDGER.md``.
"""

from .engine import FIAT, PER_WALLET_FROM, LedgerSettings, build_ledger, time_zone
from .methods import (
    DEFAULT_METHOD,
    METHODS,
    Method,
    MethodSchedule,
    parse_method,
    parse_standing_order,
)
from .own_format import (
    MAX_ROWS,
    TRANSACTION_COLUMNS,
    parse_lot_picks,
    parse_transaction_rows,
    read_transactions_csv,
)
from .records import (
    Allocation,
    AllocationRecord,
    Balance,
    DisposalRow,
    IncomeEvent,
    Ledger,
    Removal,
)
from .transactions import TX_TYPES, LotPick, Transaction, TxType

__all__ = [
    "DEFAULT_METHOD",
    "FIAT",
    "MAX_ROWS",
    "METHODS",
    "PER_WALLET_FROM",
    "TRANSACTION_COLUMNS",
    "TX_TYPES",
    "Allocation",
    "AllocationRecord",
    "Balance",
    "DisposalRow",
    "IncomeEvent",
    "Ledger",
    "LedgerSettings",
    "LotPick",
    "Method",
    "MethodSchedule",
    "Removal",
    "Transaction",
    "TxType",
    "build_ledger",
    "parse_lot_picks",
    "parse_method",
    "parse_standing_order",
    "parse_transaction_rows",
    "read_transactions_csv",
    "time_zone",
]
