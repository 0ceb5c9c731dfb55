"""Reading one rule value by its key path, as ``TLH_RULE`` and scripts do."""

from __future__ import annotations

from typing import Any

from ..errors import InputError
from ..filing_status import FILING_STATUSES, parse_filing_status
from .model import Rules

__all__ = ["rule_value"]


def rule_value(rules: Rules, key: str, filing_status: str | None = None) -> Any:
    """The value at a dotted key path, e.g. ``standard_deduction.amount`` with a filing
    status, ``capital_gains.thresholds.single``, ``niit.rate`` or
    ``wash_sale.asset_classes.security.window_days``."""
    node: Any = rules.model_dump(mode="python", exclude={"notes"})
    path = [part for part in str(key).strip().split(".") if part]
    if not path:
        raise InputError("rule key: empty; for example standard_deduction.amount")
    walked: list[str] = []
    for part in path:
        if not isinstance(node, dict) or part not in node:
            options = ", ".join(sorted(node)) if isinstance(node, dict) else "none"
            where = ".".join(walked) or "the top level"
            raise InputError(f"rule key {key!r}: no {part!r} under {where} (have: {options})")
        node = node[part]
        walked.append(part)
    if isinstance(node, dict) and set(FILING_STATUSES) <= set(node):
        if filing_status in (None, ""):
            raise InputError(f"rule key {key!r}: differs by filing status; give one")
        node = node[parse_filing_status(filing_status)]
    if isinstance(node, dict):
        raise InputError(f"rule key {key!r}: a section; ask for one of {', '.join(node)}")
    return node
