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

**A tax that jumps.** Some state rules are steps, not slopes: California cuts each
exemption credit by $6 for each $2,500 *or fraction thereof* of AGI over a threshold,
Illinois drops the whole exemption once AGI is a dollar over $250,000. No branch that is
linear on each piece can jump, and the optimizer reads a branch's slope from its values
at the two ends of a piece. So such a system gives a branch for each side of a step
and lets a branch *stop applying*: there its value is ``NOT_APPLICABLE``, a tax larger
than any real one (the inputs are refused past 10^15), so it is never the least. The
rule is that on each piece between listed lines a branch either applies on the whole
closed piece (both ends included) and is linear there, or applies nowhere inside it;
it may stop applying only on a listed line. The least branch is then the tax at every
point, a step's own line included, and every branch the optimizer takes a slope of
where it is the least is linear on that piece; the slopes it reads from a branch that
stops applying at one end are wild, and only add candidate points it evaluates and
rejects. ``tests/test_tax_bends.py`` checks the rule on random profiles.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple, Protocol

from .compute import TaxInputs

__all__ = ["NOT_APPLICABLE", "Bends", "Owed", "TaxSystem", "net_results"]

# The value of a branch where it does not apply (see "A tax that jumps" above): more than
# any tax on amounts the inputs accept (each is under 10^15). It is never the least, so
# the digits a sum with it loses to Decimal's 28 never matter.
NOT_APPLICABLE = Decimal(10) ** 18


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
