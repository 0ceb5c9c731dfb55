"""Tax systems: pure computation, no I/O.

``compute`` is the federal engine (the forms, line by line); ``system`` is the seam the
optimizer sees (what is owed, where the tax bends); ``federal`` is the federal tax as such
a system, ``state`` a state's income tax by its rule file, and ``combined`` adds systems
up (federal plus state plus local).
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .combined import CombinedTax
from .compute import Exact, TaxInputs, TaxResult, compute_tax, evaluate, tax_inputs
from .federal import FederalTax, TaxSystemOrRules, as_tax_system
from .system import NOT_APPLICABLE, Bends, Owed, TaxSystem, net_results

if TYPE_CHECKING:
    from .state import StateExact, StateTax, StateTaxResult, compute_state_tax

# The state system loads on first use: 'tlh-xl tax' without --state never needs it (nor
# the state rule models it imports).
_LAZY = {
    name: "state" for name in ("StateExact", "StateTax", "StateTaxResult", "compute_state_tax")
}

__all__ = [
    "NOT_APPLICABLE",
    "Bends",
    "CombinedTax",
    "Exact",
    "FederalTax",
    "Owed",
    "StateExact",
    "StateTax",
    "StateTaxResult",
    "TaxInputs",
    "TaxResult",
    "TaxSystem",
    "TaxSystemOrRules",
    "as_tax_system",
    "compute_state_tax",
    "compute_tax",
    "evaluate",
    "net_results",
    "tax_inputs",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
