"""The engine's vocabulary, declared once: asset classes, terms, filing statuses, and
the disposition record that plans, ledgers and forms share."""

from ..filing_status import FILING_STATUSES, FilingStatus, parse_filing_status
from .assets import (
    ASSET_CLASSES,
    COLLECTIBLE_CLASSES,
    NFT_CLASSES,
    RULE_KEYS,
    AssetClass,
    parse_asset_class,
)
from .disposition import Adjustment, Disposition
from .terms import TERM_LABELS, Term, term_label

__all__ = [
    "ASSET_CLASSES",
    "COLLECTIBLE_CLASSES",
    "FILING_STATUSES",
    "NFT_CLASSES",
    "RULE_KEYS",
    "TERM_LABELS",
    "Adjustment",
    "AssetClass",
    "Disposition",
    "FilingStatus",
    "Term",
    "parse_asset_class",
    "parse_filing_status",
    "term_label",
]
