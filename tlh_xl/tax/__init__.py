"""The federal tax engine: pure computation, no I/O."""

from .compute import TaxInputs, TaxResult, compute_tax, evaluate

__all__ = ["TaxInputs", "TaxResult", "compute_tax", "evaluate"]
