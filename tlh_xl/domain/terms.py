"""Holding-period terms: the engine's values and the one label each shows as."""

from __future__ import annotations

from typing import Literal

__all__ = ["TERM_LABELS", "Term", "term_label"]

Term = Literal["short", "long"]

# What the workbook, the Excel functions and the notes show. The Harvest table's Term
# column and the Summary's SUMIFS checks rely on these exact words.
TERM_LABELS: dict[Term, str] = {"short": "Short-term", "long": "Long-term"}


def term_label(term: Term) -> str:
    return TERM_LABELS[term]
