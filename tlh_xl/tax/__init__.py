"""The federal tax engine: pure computation, no I/O."""

from .compute import Exact, TaxInputs, TaxResult, compute_tax, evaluate

__all__ = ["Exact", "TaxInputs", "TaxResult", "compute_tax", "evaluate"]
