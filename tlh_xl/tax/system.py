"""The seam between tax law and the optimizer: a tax system says what it owes and where
its tax bends.

The optimizer knows no law. It moves only this year's short- and long-term gains, so it
sees a tax system in two coordinates (``net_results``):

* ``a``, the net short-term result: ``st_gain − st_carryforward`` (Schedule D line 7);
* ``b``, the net long-term result: ``lt_gain + collectibles_gain − lt_carryforward``
  (Schedule D line 15).

A system answers two questions about one set of ``TaxInputs``:

* ``owed``: what it owes, as *branches* whose least is the tax (a worksheet whose last
  line is "the smaller of" two figures has two), and the capital loss it carries to next
  year, all exact;
* ``bends``: the constants ``k`` of the lines ``a = k``, ``b = k`` and ``a + b = k`` on
  which any branch, or the carryforward, can bend. Between those lines each branch and
  the carryforward are linear in ``(a, b)``. Listing a line that is not a bend is
  harmless (a little more work); leaving out one that is makes the optimizer inexact,
  which ``tests/test_tax_bends.py`` checks on random profiles.

What the optimizer also relies on: the bends depend on everything in the inputs *except*
``st_gain`` and ``lt_gain`` (they are given in ``(a, b)``, not in the gains); the tax
never falls, and the carryforward never grows, when ``a`` or ``b`` rises. Systems add up
(``CombinedTax``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple, Protocol

from .compute import TaxInputs

__all__ = ["Bends", "Owed", "TaxSystem", "net_results"]


class Owed(NamedTuple):
    """What one tax system owes for one set of inputs, exactly (not rounded)."""

    branches: tuple[Decimal, ...]  # the tax is the least of these
    carryforward: Decimal  # capital loss carried to next year, short- plus long-term

    @property
    def tax(self) -> Decimal:
        return min(self.branches)


@dataclass(frozen=True)
class Bends:
    """Where a tax can bend: the constants k of the lines ``a = k`` (``short``),
    ``b = k`` (``long``) and ``a + b = k`` (``total``)."""

    short: frozenset[Decimal] = frozenset()
    long: frozenset[Decimal] = frozenset()
    total: frozenset[Decimal] = frozenset()

    def __or__(self, other: Bends) -> Bends:
        return Bends(self.short | other.short, self.long | other.long, self.total | other.total)


class TaxSystem(Protocol):
    """A tax the optimizer can minimize: see the module docstring for the contract."""

    def owed(self, inputs: TaxInputs) -> Owed:
        """The branches whose least is the tax, and the loss carried forward."""
        ...

    def bends(self, inputs: TaxInputs) -> Bends:
        """The lines on which ``owed`` can bend (not depending on the two gains)."""
        ...


def net_results(inputs: TaxInputs) -> tuple[Decimal, Decimal]:
    """``(a, b)``: the net short-term and net long-term results, carryovers included."""
    a = inputs.st_gain - inputs.st_carryforward
    b = inputs.lt_gain + inputs.collectibles_gain - inputs.lt_carryforward
    return a, b
