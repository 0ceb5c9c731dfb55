"""Rule files: the typed models (federal ``Rules``, a state's ``StateRules``), the strict
loader, the search path and the cache.

Names load on first use: ``load_rules`` answered from the cache never imports the YAML
loader (PyYAML, pydantic's validators), and ``tlh-xl rules list`` finds files without it.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__all__ = [
    "RuleSource",
    "Rules",
    "StateRules",
    "find_rule_file",
    "list_rule_files",
    "load_rules",
    "load_state_rules",
    "parse_rules_file",
    "parse_rules_text",
    "shipped_rules_dir",
]

_LAZY = {
    "parse_rules_file": "loader",
    "parse_rules_text": "loader",
    "Rules": "model",
    "StateRules": "state_model",
    "RuleSource": "store",
    "find_rule_file": "store",
    "list_rule_files": "store",
    "load_rules": "store",
    "load_state_rules": "store",
    "shipped_rules_dir": "store",
}

if TYPE_CHECKING:
    from .loader import parse_rules_file, parse_rules_text
    from .model import Rules
    from .state_model import StateRules
    from .store import (
        RuleSource,
        find_rule_file,
        list_rule_files,
        load_rules,
        load_state_rules,
        shipped_rules_dir,
    )


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:  # a submodule (``from tlh_xl.rulebook import model``) is imported
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
