"""Filing statuses: fixed key names, and the labels people type for them."""

from __future__ import annotations

import re
from typing import Literal

from .errors import InputError

__all__ = ["FILING_STATUSES", "FILING_STATUS_LABELS", "FilingStatus", "parse_filing_status"]

FilingStatus = Literal[
    "single",
    "married_joint",
    "married_separate",
    "head_of_household",
    "qualifying_surviving_spouse",
]

FILING_STATUSES: tuple[FilingStatus, ...] = (
    "single",
    "married_joint",
    "married_separate",
    "head_of_household",
    "qualifying_surviving_spouse",
)

# The labels on Form 1040, used in the workbook's dropdown.
FILING_STATUS_LABELS: dict[FilingStatus, str] = {
    "single": "Single",
    "married_joint": "Married filing jointly",
    "married_separate": "Married filing separately",
    "head_of_household": "Head of household",
    "qualifying_surviving_spouse": "Qualifying surviving spouse",
}

_ALIASES: dict[str, FilingStatus] = {
    "single": "single",
    "s": "single",
    "married joint": "married_joint",
    "married filing jointly": "married_joint",
    "married filing joint": "married_joint",
    "joint": "married_joint",
    "mfj": "married_joint",
    "married separate": "married_separate",
    "married filing separately": "married_separate",
    "married filing separate": "married_separate",
    "separate": "married_separate",
    "mfs": "married_separate",
    "head of household": "head_of_household",
    "hoh": "head_of_household",
    "qualifying surviving spouse": "qualifying_surviving_spouse",
    "qualifying widow": "qualifying_surviving_spouse",
    "qualifying widower": "qualifying_surviving_spouse",
    "qualifying widow er": "qualifying_surviving_spouse",
    "surviving spouse": "qualifying_surviving_spouse",
    "qss": "qualifying_surviving_spouse",
    "qw": "qualifying_surviving_spouse",
}


def parse_filing_status(value: object) -> FilingStatus:
    """Return the key name for a filing status given as a key or a label, in any case."""
    if not isinstance(value, str) or not value.strip():
        raise InputError(
            f"filing status: expected one of {', '.join(FILING_STATUSES)}, got {value!r}"
        )
    norm = re.sub(r"[^a-z]+", " ", value.lower()).strip()
    try:
        return _ALIASES[norm]
    except KeyError:
        choices = ", ".join(FILING_STATUS_LABELS.values())
        raise InputError(f"unknown filing status {value!r}; use one of: {choices}") from None
