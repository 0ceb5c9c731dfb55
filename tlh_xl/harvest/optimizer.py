"""The exact loss-harvesting optimizer.

Problem
-------
Choose how much of each loss lot to sell to maximize

    F = G(Ls, Ll) − Cs(Ls) − Cl(Ll) − (cost of the NFTs sold)

where ``Ls`` and ``Ll`` are the short- and long-term losses harvested,
``G = −(regular tax + NIIT) + cv × (loss carried forward)`` and ``Cs``/``Cl`` are the
cheapest trading costs of harvesting that much loss. (Selling a *gain* lot never helps:
tax never falls, and the carryforward never grows, when gains rise.)

Method
------
1. **Costs are convex.** For a given amount of short-term loss the cheapest lots are those
   with the least trading cost per dollar of loss (fee × proceeds ÷ loss), taken in that
   order, the last one in part. So ``Cs`` is convex and piecewise linear, with a kink at
   each lot boundary; likewise ``Cl``. Both are prefix sums: O(log n) to evaluate.
2. **Tax is piecewise linear, with kinks on known lines.** The tax depends on the
   harvest only through the net short-term result ``a``, the net long-term result ``b``
   and their sum. Every kink of the worksheets (brackets, the 0/15/20% stack, the
   standard deduction, the loss limit, NIIT, the carryover worksheet) lies on a line
   ``a = k``, ``b = k`` or ``a + b = k`` for a constant ``k`` computed from the profile
   and the rule file (``_break_constants``). One exception is the worksheets' last line,
   the *smaller* of the stacked tax and the tax on all income at ordinary rates; that
   ``min`` bends along other lines, so we maximize with each branch separately
   (``F = max(F_stacked, F_ordinary)``, and the max of a max is the max of the maxes).
3. **The optimum is on a line we search.** The maximum of such a function lies either on
   one of those kink lines, or inside a region where ``G`` is linear with gradient
   ``(gs, gl)``; there, ``Ls`` is where ``Cs``'s slope crosses ``gs`` (all lots cheaper
   than ``gs`` per dollar of loss). We therefore solve exact one-dimensional problems
   along every kink line and along the vertical lines ``Ls = cross(gs)``, for every
   gradient found on the kink lines. On each line the tax is linear between consecutive
   kinks, and the best point of a linear function minus a convex one is found by binary
   search.
4. **NFTs are all or nothing: branch and bound.** Which NFTs to sell is a knapsack-like
   choice. Relaxing it (treating the undecided NFTs as divisible lots) gives a problem
   the steps above solve exactly, and its optimum bounds every plan that decides those
   NFTs either way. That optimum sells at most one lot per term in part; if no NFT is
   among them, the relaxation is a real plan and the best of its branch. Otherwise the
   search branches on that NFT (sold / kept; keeping it keeps its identical twins too),
   always expanding the branch with the highest bound, and closes the branches that
   cannot beat the best real plan by half a cent. NFTs that cost nothing to sell are
   always sold (more loss never raises the tax). After ``MAX_NFT_NODES`` relaxations
   or ``MAX_NFT_WORK`` tax evaluations the search stops with the best real plan found,
   tries selling a few more NFTs one at a time, and says how far from the optimum the
   plan can be (the highest open bound less the plan). Trial runs of 12 to 80 NFTs in a
   tight choice needed at most 269 relaxations.

Cost is about (number of kink constants)² tax evaluations plus O(log n) per search, so a
100,000-lot portfolio costs little more than sorting it. All arithmetic is ``Decimal``.
Optimality is tested against exhaustive search on small portfolios.
"""

from __future__ import annotations

import copy
import heapq
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from itertools import accumulate, pairwise
from operator import attrgetter, eq
from typing import Literal

from ..money import ZERO
from ..rulebook.model import Rules
from ..tax.compute import TaxInputs, evaluate

__all__ = ["Candidate", "Solution", "optimize"]

Term = Literal["short", "long"]
# The NFT search settles for a bound after this many relaxations, or tax evaluations
# (a relaxation takes from a few to thousands, with the number of brackets it spans).
MAX_NFT_NODES = 500
MAX_NFT_WORK = 40_000
IMPROVE_TRIES = 50  # after an early stop: NFTs tried one by one to improve the plan
TOLERANCE = Decimal("0.005")  # a branch that cannot beat the best plan by half a cent


@dataclass(slots=True)  # built once per lot: slots, not frozen, for speed
class Candidate:
    """A lot that can be sold at a loss: its whole loss and whole trading cost."""

    key: int
    term: Term
    loss: Decimal  # > 0
    cost: Decimal  # >= 0, including the rebuy side where there is one
    divisible: bool


@dataclass(frozen=True)
class Solution:
    fractions: dict[int, Decimal]  # candidate key → share of the lot to sell (0, 1]
    loss_short: Decimal
    loss_long: Decimal
    objective: Decimal  # F relative to harvesting nothing
    exact: bool
    gap: Decimal | None = None  # when not exact: how much better a plan could still be


class _Ladder:
    """Convex trading cost of harvesting L dollars of loss from divisible lots of one term."""

    items: list[Candidate]  # cheapest per dollar of loss first
    eff: list[Decimal]  # each lot's cost per dollar of loss
    loss: list[Decimal]  # loss[i]: the loss of the first i lots
    cost: list[Decimal]  # cost[i]: their trading cost
    added: tuple[Candidate, ...] = ()  # lots added by ``plus``
    q: tuple[int, ...] = ()  # where each added lot sits

    def __init__(self, items: Iterable[Candidate]):
        given = list(items)  # in key order
        eff = [c.cost / c.loss for c in given]
        order = sorted(range(len(given)), key=eff.__getitem__)
        ranked = [eff[i] for i in order]
        if any(map(eq, ranked, ranked[1:])):  # ties (as with no fees): larger loss first
            order.sort(key=lambda i: (eff[i], -given[i].loss))  # stable: then by key
        self.items = [given[i] for i in order]
        self.eff = [eff[i] for i in order]
        self.loss = [ZERO, *accumulate(map(attrgetter("loss"), self.items))]
        self.cost = [ZERO, *accumulate(map(attrgetter("cost"), self.items))]
        self.total = self.loss[-1]

    def plus(self, extra: Sequence[Candidate]) -> _Ladder:
        """This ladder with a few more lots (the open NFTs of a branch-and-bound node).

        Each goes after the lots no dearer than it. The lists are rebuilt by slicing the
        base ones (a memory copy) and shifting the prefix sums after each insertion with
        one C-level ``map``: no new sort, and no Python loop over the base lots.
        """
        if not extra:
            return self
        added = sorted(extra, key=lambda c: c.cost / c.loss)
        out = copy.copy(self)
        out.added = tuple(added)
        q: list[int] = []  # where each added lot sits in the merged ladder
        items: list[Candidate] = []
        eff: list[Decimal] = []
        loss, cost = [ZERO], [ZERO]
        shift_loss = shift_cost = ZERO
        done = 0  # base lots copied so far
        for c in added:
            e = c.cost / c.loss
            at = bisect_right(self.eff, e)
            self._copy(done, at, items, eff, loss, cost, shift_loss, shift_cost)
            q.append(len(items))
            items.append(c)
            eff.append(e)
            shift_loss += c.loss
            shift_cost += c.cost
            loss.append(self.loss[at] + shift_loss)
            cost.append(self.cost[at] + shift_cost)
            done = at
        self._copy(done, len(self.items), items, eff, loss, cost, shift_loss, shift_cost)
        out.items, out.eff, out.loss, out.cost, out.q = items, eff, loss, cost, tuple(q)
        out.total = loss[-1]
        return out

    def _copy(
        self,
        start: int,
        stop: int,
        items: list[Candidate],
        eff: list[Decimal],
        loss: list[Decimal],
        cost: list[Decimal],
        shift_loss: Decimal,
        shift_cost: Decimal,
    ) -> None:
        """Base lots start..stop-1 onto the merged lists, their sums shifted."""
        items += self.items[start:stop]
        eff += self.eff[start:stop]
        loss += map(shift_loss.__add__, self.loss[start + 1 : stop + 1])
        cost += map(shift_cost.__add__, self.cost[start + 1 : stop + 1])

    def cost_at(self, amount: Decimal) -> Decimal:
        if amount <= 0:
            return ZERO
        i = bisect_right(self.loss, amount) - 1
        if i >= len(self.items):
            return self.cost[-1]
        return self.cost[i] + (amount - self.loss[i]) * self.eff[i]

    def cross(self, slope: Decimal) -> Decimal:
        """Loss at which the cost slope reaches ``slope``: every lot cheaper is taken."""
        return self.loss[bisect_left(self.eff, slope)]

    def slope_right(self, amount: Decimal) -> Decimal | None:
        i = bisect_right(self.loss, amount) - 1
        return self.eff[i] if i < len(self.items) else None  # None: cannot go further

    def slope_left(self, amount: Decimal) -> Decimal | None:
        i = bisect_left(self.loss, amount)
        return self.eff[i - 1] if i > 0 else None  # None: nothing to give back

    def _cut(self, amount: Decimal) -> tuple[int, Decimal]:
        """How many lots ``amount`` takes whole, and what is left for the next one."""
        if amount <= 0:
            return 0, ZERO
        whole = bisect_right(self.loss, amount) - 1
        return whole, amount - self.loss[whole]

    def partial_at(self, amount: Decimal) -> Candidate | None:
        """The lot ``amount`` takes only in part, if any."""
        whole, left = self._cut(amount)
        return self.items[whole] if left > 0 and whole < len(self.items) else None

    def whole_extras(self, amount: Decimal) -> tuple[Candidate, ...]:
        """Of the lots added by ``plus``, those ``amount`` takes whole."""
        whole, _ = self._cut(amount)
        return tuple(c for c, at in zip(self.added, self.q) if at < whole)

    def allocate(self, amount: Decimal) -> dict[int, Decimal]:
        """Lot shares that harvest ``amount``: the cheapest lots whole, the next in part."""
        whole, left = self._cut(amount)
        out = dict.fromkeys((c.key for c in self.items[:whole]), Decimal(1))
        part = self.partial_at(amount)
        if part is not None:
            out[part.key] = left / part.loss
        return out


def _break_constants(rules: Rules, base: TaxInputs) -> set[Decimal]:
    """Values of a, b and a+b at which the tax can bend (a superset is harmless)."""
    status = base.filing_status
    oi, qd = base.ordinary_income, base.qualified_dividends
    ded = (
        base.deduction if base.deduction is not None else rules.standard_deduction.amount.of(status)
    )
    limit = rules.capital_loss.limit.of(status)
    levels = set(rules.ordinary_income.thresholds.of(status))
    levels |= set(rules.capital_gains.thresholds.of(status))
    levels.add(rules.niit.thresholds.of(status))
    bases = {oi - ded, oi + qd - ded, oi + qd, oi, qd, ZERO}
    line3 = max(ZERO, oi + qd - ded)  # carryover worksheet line 3 in the loss zone
    out = {ZERO, -limit, -line3, -qd, -line3 - limit}
    out |= {h - b for h in levels for b in bases}
    return out


class _Search:
    def __init__(
        self,
        rules: Rules,
        base: TaxInputs,
        cv: Decimal,
        short: _Ladder,
        long: _Ladder,
    ):
        self.rules, self.base, self.cv = rules, base, cv
        self.short, self.long = short, long
        self.cache: dict[tuple[Decimal, Decimal], tuple[Decimal, Decimal]] = {}

    def g(self, ls: Decimal, ll: Decimal) -> tuple[Decimal, Decimal]:
        """G under each branch of the worksheets' final min: (stacked, all ordinary)."""
        key = (ls, ll)
        hit = self.cache.get(key)
        if hit is None:
            x = replace(self.base, st_gain=self.base.st_gain - ls, lt_gain=self.base.lt_gain - ll)
            e = evaluate(self.rules, x)
            carry = self.cv * e.carryforward_out
            hit = (carry - e.worksheet.stacked - e.niit, carry - e.worksheet.all_ordinary - e.niit)
            self.cache[key] = hit
        return hit

    def f(self, ls: Decimal, ll: Decimal) -> Decimal:
        return max(self.g(ls, ll)) - self.short.cost_at(ls) - self.long.cost_at(ll)

    # One-dimensional searches. Each returns candidate points and the slopes of G seen.
    def along_long(
        self, ls: Decimal, breaks: Iterable[Decimal]
    ) -> tuple[set[tuple[Decimal, Decimal]], set[Decimal]]:
        """Ls fixed; Ll varies over [0, total long-term loss]."""
        ys = sorted({y for y in breaks if 0 < y < self.long.total} | {ZERO, self.long.total})
        points: set[tuple[Decimal, Decimal]] = {(ls, y) for y in ys}
        slopes: set[Decimal] = set()
        for y0, y1 in pairwise(ys):
            g0, g1 = self.g(ls, y0), self.g(ls, y1)
            for branch in (0, 1):
                slope = (g1[branch] - g0[branch]) / (y1 - y0)
                slopes.add(slope)
                points.add((ls, min(max(self.long.cross(slope), y0), y1)))
        return points, slopes

    def along_short(
        self, ll: Decimal, breaks: Iterable[Decimal]
    ) -> tuple[set[tuple[Decimal, Decimal]], set[Decimal]]:
        """Ll fixed; Ls varies over [0, total short-term loss]."""
        xs = sorted({x for x in breaks if 0 < x < self.short.total} | {ZERO, self.short.total})
        points: set[tuple[Decimal, Decimal]] = {(x, ll) for x in xs}
        slopes: set[Decimal] = set()
        for x0, x1 in pairwise(xs):
            g0, g1 = self.g(x0, ll), self.g(x1, ll)
            for branch in (0, 1):
                slope = (g1[branch] - g0[branch]) / (x1 - x0)
                slopes.add(slope)
                points.add((min(max(self.short.cross(slope), x0), x1), ll))
        return points, slopes

    def along_diagonal(
        self, total: Decimal, breaks: Iterable[Decimal]
    ) -> tuple[set[tuple[Decimal, Decimal]], set[Decimal]]:
        """Ls + Ll = total; t = Ls varies."""
        lo, hi = max(ZERO, total - self.long.total), min(self.short.total, total)
        if lo > hi:
            return set(), set()
        ts = sorted({t for t in breaks if lo < t < hi} | {lo, hi})
        points: set[tuple[Decimal, Decimal]] = {(t, total - t) for t in ts}
        slopes: set[Decimal] = set()
        for t0, t1 in pairwise(ts):
            g0, g1 = self.g(t0, total - t0), self.g(t1, total - t1)
            for branch in (0, 1):
                slope = (g1[branch] - g0[branch]) / (t1 - t0)
                slopes.add(slope)
                t = self._diagonal_peak(total, slope, t0, t1)
                points.add((t, total - t))
        return points, slopes

    def _diagonal_peak(self, total: Decimal, slope: Decimal, t0: Decimal, t1: Decimal) -> Decimal:
        """First t in [t0, t1] where slope·t − Cs(t) − Cl(total − t) stops rising."""

        def stops(t: Decimal) -> bool:
            up = self.short.slope_right(t)  # cost of one more dollar of short-term loss
            down = self.long.slope_left(total - t)  # cost saved by one less long-term dollar
            if up is None:
                return True
            return slope - up + (down if down is not None else ZERO) <= 0

        if stops(t0):
            return t0
        best = t1
        # Kinks of the cost come from short-term lot boundaries ...
        pts = self.short.loss
        i, j = bisect_left(pts, t0), bisect_right(pts, t1)
        k = _first_true(i, j, lambda m: stops(pts[m]))
        if k < j:
            best = min(best, pts[k])
        # ... and from long-term lot boundaries, seen backwards along t.
        qs = self.long.loss
        lo_q, hi_q = bisect_left(qs, total - t1), bisect_right(qs, total - t0)
        # t = total − q increases as q decreases; search q from high to low.
        k2 = _first_true(0, hi_q - lo_q, lambda m: stops(total - qs[hi_q - 1 - m]))
        if k2 < hi_q - lo_q:
            best = min(best, total - qs[hi_q - 1 - k2])
        return best


def _first_true(lo: int, hi: int, pred: Callable[[int], bool]) -> int:
    """Smallest m in [lo, hi) with pred(m) true, for pred false…false true…true; else hi."""
    while lo < hi:
        mid = (lo + hi) // 2
        if pred(mid):
            hi = mid
        else:
            lo = mid + 1
    return lo


def _solve_divisible(
    rules: Rules, base: TaxInputs, cv: Decimal, short: _Ladder, long: _Ladder
) -> tuple[Decimal, Decimal, Decimal, int]:
    """Best (Ls, Ll, F) for divisible lots, and the number of tax evaluations it took
    (the NFT search budgets its work by them). F is G there less the trading cost;
    harvesting nothing gives G at (0, 0)."""
    s = _Search(rules, base, cv, short, long)
    consts = _break_constants(rules, base)
    a0 = base.st_gain - base.st_carryforward
    b0 = base.lt_gain + base.collectibles_gain - base.lt_carryforward
    xs = {a0 - k for k in consts}  # Ls where a = k
    ys = {b0 - k for k in consts}  # Ll where b = k
    sums = {a0 + b0 - k for k in consts}  # Ls + Ll where a + b = k
    xs = {x for x in xs if 0 <= x <= short.total} | {ZERO, short.total}
    ys = {y for y in ys if 0 <= y <= long.total} | {ZERO, long.total}
    sums = {d for d in sums if 0 <= d <= short.total + long.total}

    points: set[tuple[Decimal, Decimal]] = set()
    slopes_s: set[Decimal] = set()
    slopes_l: set[Decimal] = set()
    slopes_d: set[Decimal] = set()
    for x in xs:
        p, sl = s.along_long(x, ys | {d - x for d in sums})
        points |= p
        slopes_l |= sl
    for y in ys:
        p, sl = s.along_short(y, xs | {d - y for d in sums})
        points |= p
        slopes_s |= sl
    for d in sums:
        p, sl = s.along_diagonal(d, xs | {d - y for y in ys})
        points |= p
        slopes_d |= sl
    # Regions where G is linear: Ls sits where the cost slope crosses the region's gs.
    # Every region's gs is seen on a horizontal kink line, or is gl + (gs − gl) from a
    # vertical and a diagonal one.
    gradients = slopes_s | {v + dd for v in slopes_l for dd in slopes_d}
    for x in {short.cross(g) for g in gradients} - xs:
        p, _ = s.along_long(x, ys | {d - x for d in sums})
        points |= p

    origin = max(s.g(ZERO, ZERO))
    best = (ZERO, ZERO, ZERO)
    for ls, ll in points:
        value = s.f(ls, ll) - origin
        # Prefer more benefit; on a tie, less trading (smaller total harvest).
        if value > best[2] or (value == best[2] and ls + ll < best[0] + best[1]):
            best = (ls, ll, value)
    return best[0], best[1], best[2] + origin, len(s.cache)


@dataclass(frozen=True)
class _Node:
    """NFT choices made so far (``sold``), and those still open."""

    sold: tuple[Candidate, ...]
    open: tuple[Candidate, ...]


@dataclass(frozen=True)
class _Relaxed:
    """A node solved with its open NFTs treated as divisible: an upper bound on every
    plan below it, and that plan itself when no open NFT comes out in part."""

    value: Decimal  # F relative to harvesting nothing
    ls: Decimal  # ladder amounts (divisible lots and the open NFTs)
    ll: Decimal
    short: _Ladder
    long: _Ladder
    partial: Candidate | None  # an open NFT the relaxation sells only in part

    def taken(self) -> tuple[Candidate, ...]:
        """The open NFTs the relaxation sells whole."""
        return self.short.whole_extras(self.ls) + self.long.whole_extras(self.ll)

    def fractions(self) -> dict[int, Decimal]:
        return self.short.allocate(self.ls) | self.long.allocate(self.ll)


class _NftSearch:
    """Branch and bound over the NFTs (all or nothing), with exact relaxations as bounds."""

    def __init__(self, rules: Rules, base: TaxInputs, cv: Decimal, short: _Ladder, long: _Ladder):
        self.rules, self.base, self.cv = rules, base, cv
        self.short, self.long = short, long
        self.origin = max(_Search(rules, base, cv, _Ladder([]), _Ladder([])).g(ZERO, ZERO))
        self.work = 0  # tax evaluations so far

    def solve(self, node: _Node) -> _Relaxed:
        ns = _loss(c for c in node.sold if c.term == "short")
        nl = _loss(c for c in node.sold if c.term == "long")
        cost = sum((c.cost for c in node.sold), ZERO)
        shifted = replace(self.base, st_gain=self.base.st_gain - ns, lt_gain=self.base.lt_gain - nl)
        short = self.short.plus([c for c in node.open if c.term == "short"])
        long = self.long.plus([c for c in node.open if c.term == "long"])
        ls, ll, value, work = _solve_divisible(self.rules, shifted, self.cv, short, long)
        self.work += work
        parts = (short.partial_at(ls), long.partial_at(ll))
        partial = next((c for c in parts if c is not None and not c.divisible), None)
        return _Relaxed(value - self.origin - cost, ls, ll, short, long, partial)

    def run(
        self, sold: tuple[Candidate, ...], open_: tuple[Candidate, ...]
    ) -> tuple[_Node, _Relaxed, Decimal | None]:
        """The best node and its plan, and, if the search stopped early, how much better
        the best plan could still be (``None``: proven optimal)."""
        root = _Node(sold, open_)
        best: tuple[_Node, _Relaxed] | None = None
        heap: list[tuple[Decimal, int, _Node, _Relaxed]] = []
        count = 0

        def push(node: _Node) -> None:
            nonlocal count
            relaxed = self.solve(node)
            count += 1
            heapq.heappush(heap, (-relaxed.value, count, node, relaxed))

        push(root)
        while heap:
            bound = -heap[0][0]
            if best is not None and bound - best[1].value < TOLERANCE:
                return (*best, None)  # nothing left can beat it by half a cent
            if count >= MAX_NFT_NODES or self.work >= MAX_NFT_WORK:
                assert best is not None or heap
                if best is None:  # keep the relaxation's choice, rounded down
                    _, _, node, relaxed = heap[0]
                    best = self._rounded(node, relaxed)
                best = self._improved(best, root.open)
                return (*best, max(ZERO, bound - best[1].value))
            _, _, node, relaxed = heapq.heappop(heap)
            if relaxed.partial is None:  # every open NFT whole or not at all: a real plan
                best = (_Node(node.sold + relaxed.taken(), ()), relaxed)
                continue
            p = relaxed.partial
            rest = tuple(c for c in node.open if c is not p)
            push(_Node(node.sold + (p,), rest))
            # Keeping p keeps its twins too (same term, loss and cost): a plan that sold
            # one of them instead of p is the same plan, and lies in the other branch.
            # Without this, k identical NFTs would be tried in 2^k orders.
            twins = (p.term, p.loss, p.cost)
            push(_Node(node.sold, tuple(c for c in rest if (c.term, c.loss, c.cost) != twins)))
        assert best is not None
        return (*best, None)

    def _improved(
        self, best: tuple[_Node, _Relaxed], nfts: tuple[Candidate, ...]
    ) -> tuple[_Node, _Relaxed]:
        """A search stopped early: try selling one more NFT, cheapest per dollar of loss
        first, while that adds value (a few relaxations more, to narrow the gap)."""
        node, relaxed = best
        unsold = sorted((c for c in nfts if c not in node.sold), key=lambda c: c.cost / c.loss)
        for c in unsold[:IMPROVE_TRIES]:
            if self.work >= MAX_NFT_WORK * 5 // 4:
                break
            trial = _Node(node.sold + (c,), ())
            tried = self.solve(trial)
            if tried.value > relaxed.value:
                node, relaxed = trial, tried
        return node, relaxed

    def _rounded(self, node: _Node, relaxed: _Relaxed) -> tuple[_Node, _Relaxed]:
        """A real plan near a relaxation: its part-sold NFTs left unsold."""
        fixed = _Node(node.sold + relaxed.taken(), ())
        return fixed, self.solve(fixed)


def optimize(
    rules: Rules, base: TaxInputs, cv: Decimal, candidates: Sequence[Candidate]
) -> Solution:
    """The plan that maximizes net benefit (see the module docstring)."""
    divisible = [c for c in candidates if c.divisible]
    nfts = [c for c in candidates if not c.divisible]
    short = _Ladder(c for c in divisible if c.term == "short")
    long = _Ladder(c for c in divisible if c.term == "long")
    # An NFT that costs nothing to sell is always sold: more loss never raises the tax
    # nor shrinks the carryforward.
    free = tuple(c for c in nfts if c.cost == 0)
    costly = tuple(c for c in nfts if c.cost > 0)
    node, relaxed, gap = _NftSearch(rules, base, cv, short, long).run(free, costly)
    fractions = {k: f for k, f in relaxed.fractions().items() if f > 0}
    for c in node.sold:
        fractions[c.key] = Decimal(1)
    by_key = {c.key: c for c in candidates}
    harvested = {"short": ZERO, "long": ZERO}
    for key, share in fractions.items():
        harvested[by_key[key].term] += by_key[key].loss * share
    return Solution(
        fractions, harvested["short"], harvested["long"], relaxed.value, gap is None, gap
    )


def _loss(subset: Iterable[Candidate]) -> Decimal:
    return sum((c.loss for c in subset), ZERO)
