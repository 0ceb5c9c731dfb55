"""Exhaustive search for the harvest optimum, independent of the optimizer's method.

Every lot is tried unsold or sold whole. Partial sales of fungible lots are tried at the
kinks of the tax: found numerically along each lot's own range by recursive bisection
with exact arithmetic (no knowledge of where the worksheets bend). Two lots may be
partial at once: kinks along one lot's range are searched at every kink of the other's,
in both orders.

It takes a rule file (then it reads the forms' total tax, ``evaluate``, and not the
optimizer's tax system) or any ``TaxSystem`` (then the least of its branches).
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from itertools import product

from tlh_xl.harvest.optimizer import Candidate
from tlh_xl.rulebook import Rules
from tlh_xl.tax import TaxInputs, TaxSystem, evaluate

ONE = Decimal(1)
WIDTH = Decimal("1e-9")
PROBES = (Decimal("0.2113"), Decimal("0.5"), Decimal("0.7887"))


class Brute:
    def __init__(self, tax: Rules | TaxSystem, base: TaxInputs, cv: Decimal, lots: list[Candidate]):
        self.tax, self.base, self.cv, self.lots = tax, base, cv, lots
        self.cache: dict[tuple[Decimal, ...], Decimal] = {}
        self.origin = self._g(tuple(Decimal(0) for _ in lots))

    def _g(self, fr: tuple[Decimal, ...]) -> Decimal:
        ls = sum((c.loss * f for c, f in zip(self.lots, fr) if c.term == "short"), Decimal(0))
        ll = sum(
            (c.loss * f for c, f in zip(self.lots, fr) if c.term == "long" and not c.collectible),
            Decimal(0),
        )
        # A collectible's long-term loss is collectibles loss: Schedule D's line 15 and the
        # 28% Rate Gain Worksheet's line 1 both take it (TaxInputs.collectibles_gain).
        lc = sum((c.loss * f for c, f in zip(self.lots, fr) if c.collectible), Decimal(0))
        x = replace(
            self.base,
            st_gain=self.base.st_gain - ls,
            lt_gain=self.base.lt_gain - ll,
            collectibles_gain=self.base.collectibles_gain - lc,
        )
        if isinstance(self.tax, Rules):
            e = evaluate(self.tax, x)
            return self.cv * e.carryforward_out - e.total_tax
        owed = self.tax.owed(x)
        return self.cv * owed.carryforward - owed.tax

    def f(self, fr: tuple[Decimal, ...]) -> Decimal:
        hit = self.cache.get(fr)
        if hit is None:
            cost = sum((c.cost * x for c, x in zip(self.lots, fr)), Decimal(0))
            hit = self._g(fr) - self.origin - cost
            self.cache[fr] = hit
        return hit

    def kinks(self, fr: tuple[Decimal, ...], i: int) -> set[Decimal]:
        """Fractions of lot i (others fixed) at which F bends, to within 1e-9 of the lot.

        An interval is linear when three interior points (at unrelated fractions of it)
        lie on its chord; otherwise it is halved, down to a width of 1e-9, and the bend
        is recorded there. A bend exactly at a midpoint (a loss limit that is a dyadic
        fraction of the lot, found by hypothesis) leaves both halves linear: the midpoint
        itself is recorded then. 1e-9 of a lot moves the loss by well under a cent.
        """

        def at(t: Decimal) -> Decimal:
            return self.f(fr[:i] + (t,) + fr[i + 1 :])

        found: set[Decimal] = set()

        def linear(u: Decimal, v: Decimal) -> bool:
            fu, fv = at(u), at(v)
            for w in PROBES:
                t = u + (v - u) * w
                if abs(at(t) - (fu + (fv - fu) * w)) > Decimal("1e-9"):
                    return False
            return True

        def search(u: Decimal, v: Decimal) -> None:
            if linear(u, v):
                return
            if v - u < WIDTH:
                found.update((u, (u + v) / 2, v))
                return
            mid = (u + v) / 2
            if linear(u, mid) and linear(mid, v):  # the bend is exactly at the midpoint
                found.add(mid)
                return
            search(u, mid)
            search(mid, v)

        search(Decimal(0), ONE)
        return found

    def best(self) -> Decimal:
        n = len(self.lots)
        best = Decimal(0)
        divisible = [i for i, c in enumerate(self.lots) if c.divisible]
        for whole in product((Decimal(0), ONE), repeat=n):
            best = max(best, self.f(whole))
            for i in divisible:
                for t in self.kinks(whole, i):
                    fr = whole[:i] + (t,) + whole[i + 1 :]
                    best = max(best, self.f(fr))
                    for j in divisible:
                        # Both orders: a vertex where lot i's kink line meets a diagonal
                        # one is found only by searching j at each of i's kinks, and
                        # vice versa.
                        if j == i:
                            continue
                        for u in self.kinks(fr, j):
                            best = max(best, self.f(fr[:j] + (u,) + fr[j + 1 :]))
        return best
