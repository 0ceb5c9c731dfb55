"""Rule files: the typed model, the strict loader and the search path."""

from .loader import parse_rules_file, parse_rules_text
from .model import Rules
from .store import RuleSource, find_rule_file, list_rule_files, load_rules, shipped_rules_dir

__all__ = [
    "RuleSource",
    "Rules",
    "find_rule_file",
    "list_rule_files",
    "load_rules",
    "parse_rules_file",
    "parse_rules_text",
    "shipped_rules_dir",
]
