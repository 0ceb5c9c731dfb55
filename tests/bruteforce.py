"""Exhaustive search for the harvest optimum, independent of the optimizer's method.

Every lot is tried unsold or sold whole. Partial sales of fungible lots are tried at the
kinks of the tax: found numerically along each lot's own range by recursive bisection
with exact arithmetic (no knowledge of where the worksheets bend). Two lots may be
partial at once: kinks along one lot's range are searched at every kink of the other's.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from itertools import product

from tlh_xl.harvest.optimizer import Candidate
from tlh_xl.rulebook import Rules
from tlh_xl.tax import TaxInputs, evaluate

ONE = Decimal(1)
EPS = Decimal("0.000001")


class Brute:
    def __init__(self, rules: Rules, base: TaxInputs, cv: Decimal, lots: list[Candidate]):
        self.rules, self.base, self.cv, self.lots = rules, base, cv, lots
        self.cache: dict[tuple[Decimal, ...], Decimal] = {}
        self.origin = self._g(tuple(Decimal(0) for _ in lots))

    def _g(self, fr: tuple[Decimal, ...]) -> Decimal:
        ls = sum((c.loss * f for c, f in zip(self.lots, fr) if c.term == "short"), Decimal(0))
        ll = sum((c.loss * f for c, f in zip(self.lots, fr) if c.term == "long"), Decimal(0))
        x = replace(self.base, st_gain=self.base.st_gain - ls, lt_gain=self.base.lt_gain - ll)
        e = evaluate(self.rules, x)
        return self.cv * e.carryforward_out - e.total_tax

    def f(self, fr: tuple[Decimal, ...]) -> Decimal:
        hit = self.cache.get(fr)
        if hit is None:
            cost = sum((c.cost * x for c, x in zip(self.lots, fr)), Decimal(0))
            hit = self._g(fr) - self.origin - cost
            self.cache[fr] = hit
        return hit

    def kinks(self, fr: tuple[Decimal, ...], i: int) -> set[Decimal]:
        """Fractions of lot i (others fixed) where F bends."""

        def at(t: Decimal) -> Decimal:
            return self.f(fr[:i] + (t,) + fr[i + 1 :])

        found: set[Decimal] = set()

        def search(u: Decimal, v: Decimal, depth: int) -> None:
            if v - u < EPS * 4 or depth > 60:
                return
            su = (at(u + EPS) - at(u)) / EPS
            sv = (at(v) - at(v - EPS)) / EPS
            fu, fv = at(u), at(v)
            if su == sv:
                mid = (u + v) / 2
                if at(mid) == fu + su * (mid - u) and fv == fu + su * (v - u):
                    return
            elif su != sv:
                # Where the two end lines meet; if F is on both lines there, one kink.
                t = (fv - fu + su * u - sv * v) / (su - sv)
                if u < t < v:
                    ft = at(t)
                    line = fu + su * (t - u)
                    if (
                        abs(ft - line) < Decimal("1e-12")
                        and self._linear(at, u, t, su)
                        and self._linear(at, t, v, sv)
                    ):
                        found.add(t)
                        return
            mid = (u + v) / 2
            search(u, mid, depth + 1)
            search(mid, v, depth + 1)
            # The midpoint itself may be a kink.
            sl = (at(mid) - at(mid - EPS)) / EPS
            sr = (at(mid + EPS) - at(mid)) / EPS
            if sl != sr:
                found.add(mid)

        search(Decimal(0), ONE, 0)
        return found

    @staticmethod
    def _linear(at, u: Decimal, v: Decimal, slope: Decimal) -> bool:
        for k in (1, 2, 3):
            t = u + (v - u) * k / 4
            if abs(at(t) - (at(u) + slope * (t - u))) > Decimal("1e-12"):
                return False
        return True

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
                        if j <= i:
                            continue
                        for u in self.kinks(fr, j):
                            best = max(best, self.f(fr[:j] + (u,) + fr[j + 1 :]))
        return best
