"""Reading one rule value by its key path, as ``TLH_RULE`` and scripts do."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from ..errors import InputError
from ..filing_status import FILING_STATUSES, parse_filing_status
from .model import Rules

__all__ = ["rule_value"]


def _fields(node: Any) -> dict[str, Any] | None:
    """A model's fields by name, read from its ``__dict__`` as ``model_dump`` reads them.

    Not ``model_dump`` itself: rules from the cache come without pydantic's serializer,
    and building it for one value costs more than the rest of a ``TLH_RULE`` call."""
    if not isinstance(node, BaseModel):
        return None
    values = node.__dict__
    return {name: values[name] for name in type(node).model_fields}


def _plain(value: Any) -> Any:
    """``value`` as ``model_dump(mode="python")`` gives it: models as dicts."""
    fields = _fields(value)
    if fields is not None:
        return {name: _plain(v) for name, v in fields.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def rule_value(rules: Rules, key: str, filing_status: str | None = None) -> Any:
    """The value at a dotted key path, e.g. ``standard_deduction.amount`` with a filing
    status, ``capital_gains.thresholds.single``, ``niit.rate`` or
    ``wash_sale.asset_classes.security.window_days``."""
    path = [part for part in str(key).strip().split(".") if part]
    if not path:
        raise InputError("rule key: empty; for example standard_deduction.amount")
    node: Any = rules
    walked: list[str] = []
    for part in path:
        children = _fields(node)
        if children is not None and not walked:
            children.pop("notes")  # prose for the reader, not a value for a cell
        if children is None or part not in children:
            options = ", ".join(sorted(children)) if children is not None else "none"
            where = ".".join(walked) or "the top level"
            raise InputError(f"rule key {key!r}: no {part!r} under {where} (have: {options})")
        node = children[part]
        walked.append(part)
    node = _plain(node)
    if isinstance(node, dict) and set(FILING_STATUSES) <= set(node):
        if filing_status in (None, ""):
            raise InputError(f"rule key {key!r}: differs by filing status; give one")
        node = node[parse_filing_status(filing_status)]
    if isinstance(node, dict):
        raise InputError(f"rule key {key!r}: a section; ask for one of {', '.join(node)}")
    return node
