"""Several tax systems owed together: federal, state and local taxes add up."""

from __future__ import annotations

from functools import reduce
from itertools import product

from ..money import ZERO
from .compute import TaxInputs
from .system import Bends, Owed, TaxSystem

__all__ = ["CombinedTax"]


class CombinedTax:
    """The sum of tax systems, itself a tax system.

    Each system's tax is the least of its branches, and ``min f_i + min s_j`` is the
    least of ``f_i + s_j`` over every pair: so the branches of the sum are the sums over
    every choice of one branch per system. A sum of linear pieces bends only where one of
    its terms does: the bends are the union. The loss carried forward is the first
    system's (the federal one, whose value the carryforward value prices).
    """

    def __init__(self, first: TaxSystem, *others: TaxSystem):
        self.systems: tuple[TaxSystem, ...] = (first, *others)

    def owed(self, inputs: TaxInputs) -> Owed:
        parts = [system.owed(inputs) for system in self.systems]
        branches = tuple(sum(choice, ZERO) for choice in product(*(p.branches for p in parts)))
        return Owed(branches, parts[0].carryforward)

    def bends(self, inputs: TaxInputs) -> Bends:
        return reduce(Bends.__or__, (system.bends(inputs) for system in self.systems))
