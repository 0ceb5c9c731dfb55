"""Tax systems: pure computation, no I/O.

``compute`` is the federal engine (the forms, line by line); ``system`` is the seam the
optimizer sees (what is owed, where the tax bends); ``federal`` is the federal tax as such
a system, and ``combined`` adds systems up (federal plus state plus local).
"""

from .combined import CombinedTax
from .compute import Exact, TaxInputs, TaxResult, compute_tax, evaluate
from .federal import FederalTax, TaxSystemOrRules, as_tax_system
from .system import Bends, Owed, TaxSystem, net_results

__all__ = [
    "Bends",
    "CombinedTax",
    "Exact",
    "FederalTax",
    "Owed",
    "TaxInputs",
    "TaxResult",
    "TaxSystem",
    "TaxSystemOrRules",
    "as_tax_system",
    "compute_tax",
    "evaluate",
    "net_results",
]
