"""tlh-xl: rules-driven crypto tax-loss harvesting for Excel.

The public API is listed in ``__all__`` and pinned by a test. Heavy modules (pandas,
openpyxl, pydantic) load on first use, so ``tlh-xl --help`` stays fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "FILING_STATUSES",
    "HarvestPlan",
    "InputError",
    "Profile",
    "Rules",
    "RulesError",
    "TaxResult",
    "TlhError",
    "WorkbookError",
    "__version__",
    "compute_tax",
    "days_to_long_term",
    "list_rule_files",
    "load_rules",
    "long_term_date",
    "parse_filing_status",
    "plan_harvest",
    "term",
]

_LAZY = {
    "FILING_STATUSES": "tlh_xl.filing_status",
    "parse_filing_status": "tlh_xl.filing_status",
    "InputError": "tlh_xl.errors",
    "RulesError": "tlh_xl.errors",
    "TlhError": "tlh_xl.errors",
    "WorkbookError": "tlh_xl.errors",
    "Rules": "tlh_xl.rulebook",
    "list_rule_files": "tlh_xl.rulebook",
    "load_rules": "tlh_xl.rulebook",
    "TaxResult": "tlh_xl.tax",
    "compute_tax": "tlh_xl.tax",
    "days_to_long_term": "tlh_xl.holding_period",
    "long_term_date": "tlh_xl.holding_period",
    "term": "tlh_xl.holding_period",
    "HarvestPlan": "tlh_xl.harvest",
    "Profile": "tlh_xl.harvest",
    "plan_harvest": "tlh_xl.harvest",
}

if TYPE_CHECKING:
    from .errors import InputError, RulesError, TlhError, WorkbookError
    from .filing_status import FILING_STATUSES, parse_filing_status
    from .harvest import HarvestPlan, Profile, plan_harvest
    from .holding_period import days_to_long_term, long_term_date, term
    from .rulebook import Rules, list_rule_files, load_rules
    from .tax import TaxResult, compute_tax


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'tlh_xl' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
