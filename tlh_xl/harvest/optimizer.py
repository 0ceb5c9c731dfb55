"""The exact loss-harvesting optimizer.

Problem
-------
Choose how much of each loss lot to sell to maximize the net benefit

    F = G(Ls, Ll) − Cs(Ls) − Cl(Ll) − (cost of the NFTs sold)

where ``Ls`` and ``Ll`` are the short- and long-term losses harvested,
``G = cv × (loss carried forward) − tax`` (``tax_values``) and ``Cs``/``Cl`` are the
cheapest trading costs of harvesting that much loss. (Selling a *gain* lot never helps:
tax never falls, and the carryforward never grows, when gains rise.) The tax is a
``TaxSystem`` (``tlh_xl.tax``): the optimizer knows no law, and asks the system what is
owed and where its tax bends.

Method
------
1. **Costs are convex.** For a given amount of short-term loss the cheapest lots are those
   with the least trading cost per dollar of loss (fee × proceeds ÷ loss), taken in that
   order, the last one in part. So ``Cs`` is convex and piecewise linear, bending at each
   lot boundary; likewise ``Cl``. Both are prefix sums: O(log n) to evaluate (``_Ladder``).
2. **Tax is piecewise linear, bending on lines the tax system lists.** The tax depends on
   the harvest only through the net short-term result ``a = a0 − Ls`` and the net
   long-term result ``b = b0 − Ll``. The system lists the constants ``k`` of the lines
   ``a = k``, ``b = k`` and ``a + b = k`` on which it can bend (``TaxSystem.bends``);
   in harvest amounts these are the *bend lines* ``Ls = x``, ``Ll = y`` and
   ``Ls + Ll = d`` (``_BendLines``). Between them each of the system's *branches* is
   linear; the tax is the least branch (the federal worksheets' last line is the
   smaller of the stacked tax and the tax on all income at ordinary rates), and that
   ``min`` bends along other lines, so we maximize with each branch separately
   (``G = max`` over branches, and the max of a max is the max of the maxes).
3. **The optimum is on a line we search.** The maximum of such a function lies either on
   a bend line, or inside a region where a branch of ``G`` is linear with gradient
   ``(gs, gl)``; there, ``Ls`` is where ``Cs``'s slope crosses ``gs`` (all lots cheaper
   than ``gs`` per dollar of loss). So we solve exact one-dimensional problems along
   every bend line and along the lines ``Ls = cross(gs)``, for every gradient seen on
   the bend lines. A line (``_Line``) is a start point and a direction in ``(Ls, Ll)``:
   ``(0, 1)`` where ``Ls`` is fixed, ``(1, 0)`` where ``Ll`` is, and ``(1, −1)`` where
   their sum is (short-term loss traded for long-term). ``_Search.along`` cuts a line
   where it crosses the other bend lines; between cuts each branch is linear in the
   distance ``t`` along it, and the best point of a linear function less a convex cost
   is where the cost's slope along the line reaches the tax's, found by binary search
   over the lot boundaries the line crosses (``_Search.peak``). A region with no edge
   where ``Ll`` is fixed shows ``gl`` on a ``(0, 1)`` edge and ``gs − gl`` on a
   ``(1, −1)`` one, so every region's ``gs`` is seen.
4. **NFTs are all or nothing: branch and bound.** Which NFTs to sell is a knapsack-like
   choice. Relaxing it (treating the undecided NFTs as divisible lots) gives a problem
   the steps above solve exactly, and its optimum bounds every plan that decides those
   NFTs either way. That optimum sells at most one lot per term in part; if no NFT is
   among them, the relaxation is a real plan and the best of its branch. Otherwise the
   search branches on that NFT (sold / kept; keeping it keeps its identical twins too),
   always expanding the branch with the highest bound, and closes the branches that
   cannot beat the best real plan by half a cent. NFTs that cost nothing to sell are
   always sold (more loss never raises the tax). Selling NFTs moves only the gains, so
   the bends, given in ``(a, b)``, are asked for once; except collectibles. When the
   profile has 28% rate gain to lose (realized collectibles gain above the long-term
   carryover), a long-term loss on an NFT that is a collectible lowers that gain too,
   which no ladder can relax. The search branches on those NFTs first, bounding a node
   by selling all its open ones at no cost (more loss never raises the tax, so nothing
   below the node can do better), and asks the system for the bends of each
   collectibles gain a node reaches. After ``MAX_NFT_NODES``
   relaxations or ``MAX_NFT_WORK`` of work (tax evaluations, and lots copied into the
   nodes' ladders) the search stops with the best real plan found, tries selling a few
   more NFTs one at a time, and says how far from the optimum the plan can be (the
   highest open bound less the plan). Trial runs of 12 to 80 NFTs in a tight choice
   needed at most 269 relaxations.

Cost is about (number of bend lines)² tax evaluations plus O(log n) per line crossed,
so a 100,000-lot portfolio costs little more than sorting it. All arithmetic is
``Decimal``. Optimality is tested against exhaustive search on small portfolios, and
the systems' bends by ``tests/test_tax_bends.py``; ``docs/OPTIMIZER.md`` works an example.
"""

from __future__ import annotations

import copy
import heapq
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from itertools import accumulate, pairwise, repeat
from operator import attrgetter, eq
from typing import Literal

from ..money import ZERO
from ..tax import Bends, TaxInputs, TaxSystem, TaxSystemOrRules, as_tax_system, net_results

__all__ = ["Candidate", "LossColumns", "Solution", "optimize"]

Term = Literal["short", "long"]
SHORT: Term = "short"
LONG: Term = "long"
Point = tuple[Decimal, Decimal]  # (short-term loss, long-term loss) harvested
# The NFT search settles for a bound after this many relaxations, or this much work:
# tax evaluations (a relaxation takes from a few to hundreds, with the number of brackets
# it spans), and lots copied into a node's ladders, LOTS_PER_EVALUATION of them counting
# as one (they take about as long): with 100,000 lots, copying is most of the work.
MAX_NFT_NODES = 500
MAX_NFT_WORK = 40_000
LOTS_PER_EVALUATION = 100
IMPROVE_TRIES = 50  # after an early stop: NFTs tried one by one to improve the plan
TOLERANCE = Decimal("0.005")  # a branch that cannot beat the best plan by half a cent

# The directions of the lines searched, in (Ls, Ll):
MORE_LONG = (0, 1)  # more long-term loss, the short-term loss fixed;
MORE_SHORT = (1, 0)  # more short-term loss, the long-term loss fixed;
SHORT_FOR_LONG = (1, -1)  # short-term loss in place of long-term, their total fixed.


@dataclass(slots=True)  # built once per lot: slots, not frozen, for speed
class Candidate:
    """A lot that can be sold at a loss: its whole loss and whole trading cost."""

    key: int
    term: Term
    loss: Decimal  # > 0
    cost: Decimal  # >= 0, including the rebuy side where there is one
    divisible: bool
    # A long-term loss in the 28% collectibles group (an NFT marked a collectible): it
    # lowers the collectibles gain as well as the long-term result.
    collectible: bool = False


@dataclass(frozen=True)
class Solution:
    fractions: dict[int, Decimal]  # candidate key → share of the lot to sell (0, 1]
    loss_short: Decimal
    loss_long: Decimal
    objective: Decimal  # F relative to harvesting nothing
    exact: bool
    gap: Decimal | None = None  # when not exact: how much better a plan could still be


@dataclass(frozen=True, slots=True)
class LossColumns:
    """Divisible loss lots of one term, as columns in ascending key order: the engine's
    form of a ladder's lots (no object per lot)."""

    keys: list[int]
    loss: list[Decimal]  # > 0
    cost: list[Decimal]  # >= 0

    @classmethod
    def of(cls, items: Iterable[Candidate]) -> LossColumns:
        given = list(items)
        return cls([c.key for c in given], [c.loss for c in given], [c.cost for c in given])


class _Ladder:
    """Convex trading cost of harvesting L dollars of loss from divisible lots of one term."""

    keys: list[int]  # the lots' keys, cheapest per dollar of loss first
    loss_of: dict[int, Decimal]  # key → the lot's whole loss, for the base lots
    unit_cost: list[Decimal]  # each lot's cost per dollar of loss
    loss: list[Decimal]  # loss[i]: the loss of the first i lots
    cost: list[Decimal]  # cost[i]: their trading cost
    added: tuple[Candidate, ...] = ()  # lots added by ``plus``
    added_at: tuple[int, ...] = ()  # where each added lot sits

    def __init__(self, lots: LossColumns):
        keys, losses, costs = lots.keys, lots.loss, lots.cost
        unit_cost = list(map(Decimal.__truediv__, costs, losses))
        order = sorted(range(len(keys)), key=unit_cost.__getitem__)
        ranked = [unit_cost[i] for i in order]
        if any(map(eq, ranked, ranked[1:])):  # ties (as with no fees): larger loss first
            order.sort(key=lambda i: (unit_cost[i], -losses[i]))  # stable: then by key
        self.keys = [keys[i] for i in order]
        self.loss_of = dict(zip(keys, losses))  # shared by the spliced copies
        self.unit_cost = [unit_cost[i] for i in order]
        self.loss = [ZERO, *accumulate(losses[i] for i in order)]
        self.cost = [ZERO, *accumulate(costs[i] for i in order)]
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
        added_at: list[int] = []  # where each added lot sits in the merged ladder
        merged = _Merged([], [], [ZERO], [ZERO])
        shift_loss = shift_cost = ZERO
        done = 0  # base lots copied so far
        for lot in added:
            price = lot.cost / lot.loss
            at = bisect_right(self.unit_cost, price)
            self._copy(done, at, merged, shift_loss, shift_cost)
            added_at.append(len(merged.keys))
            merged.keys.append(lot.key)
            merged.unit_cost.append(price)
            shift_loss += lot.loss
            shift_cost += lot.cost
            merged.loss.append(self.loss[at] + shift_loss)
            merged.cost.append(self.cost[at] + shift_cost)
            done = at
        self._copy(done, len(self.keys), merged, shift_loss, shift_cost)
        out.keys, out.unit_cost = merged.keys, merged.unit_cost
        out.loss, out.cost = merged.loss, merged.cost
        out.added_at = tuple(added_at)
        out.total = merged.loss[-1]
        return out

    def _copy(
        self, start: int, stop: int, merged: _Merged, shift_loss: Decimal, shift_cost: Decimal
    ) -> None:
        """Base lots start..stop-1 onto the merged lists, their sums shifted."""
        merged.keys.extend(self.keys[start:stop])
        merged.unit_cost.extend(self.unit_cost[start:stop])
        merged.loss.extend(map(shift_loss.__add__, self.loss[start + 1 : stop + 1]))
        merged.cost.extend(map(shift_cost.__add__, self.cost[start + 1 : stop + 1]))

    def cost_at(self, amount: Decimal) -> Decimal:
        if amount <= 0:
            return ZERO
        i = bisect_right(self.loss, amount) - 1
        if i >= len(self.keys):
            return self.cost[-1]
        return self.cost[i] + (amount - self.loss[i]) * self.unit_cost[i]

    def cross(self, slope: Decimal) -> Decimal:
        """Loss at which the cost slope reaches ``slope``: every lot cheaper is taken."""
        return self.loss[bisect_left(self.unit_cost, slope)]

    def slope_right(self, amount: Decimal) -> Decimal | None:
        i = bisect_right(self.loss, amount) - 1
        return self.unit_cost[i] if i < len(self.keys) else None  # None: cannot go further

    def slope_left(self, amount: Decimal) -> Decimal | None:
        i = bisect_left(self.loss, amount)
        return self.unit_cost[i - 1] if i > 0 else None  # None: nothing to give back

    def _cut(self, amount: Decimal) -> tuple[int, Decimal]:
        """How many lots ``amount`` takes whole, and what is left for the next one."""
        if amount <= 0:
            return 0, ZERO
        whole = bisect_right(self.loss, amount) - 1
        return whole, amount - self.loss[whole]

    def partial_at(self, amount: Decimal) -> int | None:
        """Where the lot ``amount`` takes only in part sits, if there is one."""
        whole, left = self._cut(amount)
        return whole if left > 0 and whole < len(self.keys) else None

    def partial_added(self, amount: Decimal) -> Candidate | None:
        """The lot added by ``plus`` that ``amount`` takes only in part, if any."""
        at = self.partial_at(amount)
        if at is None or at not in self.added_at:
            return None
        return self.added[self.added_at.index(at)]

    def whole_extras(self, amount: Decimal) -> tuple[Candidate, ...]:
        """Of the lots added by ``plus``, those ``amount`` takes whole."""
        whole, _ = self._cut(amount)
        return tuple(c for c, at in zip(self.added, self.added_at) if at < whole)

    def allocate(self, amount: Decimal) -> dict[int, Decimal]:
        """Lot shares that harvest ``amount``: the cheapest lots whole, the next in part."""
        whole, left = self._cut(amount)
        out = dict.fromkeys(self.keys[:whole], Decimal(1))
        if left > 0 and whole < len(self.keys):
            out[self.keys[whole]] = left / self._own_loss(whole)
        return out

    def harvested(self, amount: Decimal) -> Decimal:
        """The loss ``allocate(amount)`` harvests, summed as its shares give it."""
        whole, left = self._cut(amount)
        if left > 0 and whole < len(self.keys):
            part = self._own_loss(whole)
            return self.loss[whole] + part * (left / part)
        return self.loss[whole]

    def _own_loss(self, at: int) -> Decimal:
        """The whole loss of the lot at ``at``: a base lot's, or one added by ``plus``."""
        if at in self.added_at:
            return self.added[self.added_at.index(at)].loss
        return self.loss_of[self.keys[at]]


@dataclass(slots=True)
class _Merged:
    """The lists of a ladder being merged with added lots (``_Ladder.plus``)."""

    keys: list[int]
    unit_cost: list[Decimal]
    loss: list[Decimal]
    cost: list[Decimal]


@dataclass(frozen=True, slots=True)
class _Line:
    """The points ``start + t × direction`` in (Ls, Ll), for t in [lo, hi]."""

    start: Point
    direction: tuple[int, int]  # MORE_LONG, MORE_SHORT or SHORT_FOR_LONG
    lo: Decimal
    hi: Decimal

    def at(self, t: Decimal) -> Point:
        (short_loss, long_loss), (along_short, along_long) = self.start, self.direction
        return short_loss + along_short * t, long_loss + along_long * t


class _BendLines:
    """The tax system's bend lines in harvest amounts, clipped to what can be harvested:
    ``Ls`` in ``short``, ``Ll`` in ``long`` or ``Ls + Ll`` in ``total``. The edges of
    the box (none or all of each term's loss) count as bend lines."""

    def __init__(self, bends: Bends, base: TaxInputs, short: _Ladder, long: _Ladder):
        a0, b0 = net_results(base)  # a = a0 − Ls, b = b0 − Ll
        self.short_available, self.long_available = short.total, long.total
        self.short = _inside({a0 - k for k in bends.short}, short.total) | {ZERO, short.total}
        self.long = _inside({b0 - k for k in bends.long}, long.total) | {ZERO, long.total}
        self.total = _inside({a0 + b0 - k for k in bends.total}, short.total + long.total)

    def lines(self) -> list[_Line]:
        """Every bend line, as the part of it inside the box."""
        out = [self.at_short(short_loss) for short_loss in self.short]
        out += [self.at_long(long_loss) for long_loss in self.long]
        for total in self.total:
            lo, hi = max(ZERO, total - self.long_available), min(self.short_available, total)
            if lo <= hi:
                out.append(_Line((ZERO, total), SHORT_FOR_LONG, lo, hi))
        return out

    def at_short(self, short_loss: Decimal) -> _Line:
        """The line on which the short-term loss is ``short_loss``."""
        return _Line((short_loss, ZERO), MORE_LONG, ZERO, self.long_available)

    def at_long(self, long_loss: Decimal) -> _Line:
        """The line on which the long-term loss is ``long_loss``."""
        return _Line((ZERO, long_loss), MORE_SHORT, ZERO, self.short_available)

    def cuts(self, line: _Line) -> list[Decimal]:
        """Where ``line`` crosses the other bend lines, in t along it, and its ends."""
        (short_loss, long_loss), (along_short, along_long) = line.start, line.direction
        ts = {line.lo, line.hi}
        if along_short:
            ts |= {(bend - short_loss) / along_short for bend in self.short}
        if along_long:
            ts |= {(bend - long_loss) / along_long for bend in self.long}
        if along_short + along_long:
            total = short_loss + long_loss
            ts |= {(bend - total) / (along_short + along_long) for bend in self.total}
        return sorted(t for t in ts if line.lo <= t <= line.hi)


def _inside(amounts: Iterable[Decimal], most: Decimal) -> set[Decimal]:
    return {amount for amount in amounts if 0 <= amount <= most}


def _after_harvest(base: TaxInputs, short_loss: Decimal, long_loss: Decimal) -> TaxInputs:
    return replace(base, st_gain=base.st_gain - short_loss, lt_gain=base.lt_gain - long_loss)


def _tax_values(tax: TaxSystem, inputs: TaxInputs, cv: Decimal) -> tuple[Decimal, ...]:
    """G under each of the system's branches: the carryforward's value less the tax."""
    owed = tax.owed(inputs)
    carried = cv * owed.carryforward
    return tuple(carried - branch for branch in owed.branches)


class _Search:
    """The divisible problem: G, the net benefit F, and the one-dimensional searches."""

    def __init__(
        self,
        tax: TaxSystem,
        bends: Bends,
        base: TaxInputs,
        cv: Decimal,
        short: _Ladder,
        long: _Ladder,
    ):
        self.tax, self.base, self.cv = tax, base, cv
        self.short, self.long = short, long
        self.bend_lines = _BendLines(bends, base, short, long)
        self.cache: dict[Point, tuple[Decimal, ...]] = {}

    def tax_values(self, point: Point) -> tuple[Decimal, ...]:
        """G at ``point``, under each branch of what is owed."""
        hit = self.cache.get(point)
        if hit is None:
            hit = _tax_values(self.tax, _after_harvest(self.base, *point), self.cv)
            self.cache[point] = hit
        return hit

    def net_benefit(self, point: Point) -> Decimal:
        """F at ``point`` (the better branch of G, less the trading cost)."""
        short_loss, long_loss = point
        trading = self.short.cost_at(short_loss) + self.long.cost_at(long_loss)
        return max(self.tax_values(point)) - trading

    def along(self, line: _Line) -> tuple[set[Point], set[Decimal]]:
        """Candidate optima on ``line``, and the slopes of G along it (every branch)."""
        ts = self.bend_lines.cuts(line)
        ends = [line.at(t) for t in ts]
        points = set(ends)
        slopes: set[Decimal] = set()
        values = [self.tax_values(p) for p in ends]
        for (t0, t1), (before, after) in zip(pairwise(ts), pairwise(values)):
            seen = {(v1 - v0) / (t1 - t0) for v0, v1 in zip(before, after)}
            slopes |= seen
            points |= {line.at(self.peak(line, slope, t0, t1)) for slope in seen}
        return points, slopes

    def peak(self, line: _Line, slope: Decimal, t0: Decimal, t1: Decimal) -> Decimal:
        """First t in [t0, t1] where ``slope × t`` less the trading cost stops rising.

        That is linear less convex, so it rises until the cost's slope along the line
        reaches ``slope``; the cost's slope changes only where the line crosses a lot
        boundary of a term it moves, so the peak is t0, t1 or such a crossing, and
        binary search over each term's boundaries finds the first that stops. Where only
        one term moves, that search has a closed form: the loss at which the term's own
        cost per dollar reaches ``slope`` (``_Ladder.cross``), held to [t0, t1].
        """
        (short_loss, long_loss), (along_short, along_long) = line.start, line.direction
        if not along_long:  # MORE_SHORT
            return min(max(self.short.cross(slope) - short_loss, t0), t1)
        if not along_short:  # MORE_LONG
            return min(max(self.long.cross(slope) - long_loss, t0), t1)

        def stops(t: Decimal) -> bool:
            cost_slope = self._cost_slope(line, t)
            return cost_slope is None or cost_slope >= slope

        if stops(t0):
            return t0
        crossings = (
            _first_crossing(ladder.loss, start, step, t0, t1, stops)
            for ladder, start, step in (
                (self.short, short_loss, along_short),
                (self.long, long_loss, along_long),
            )
            if step
        )
        return min((t for t in crossings if t is not None), default=t1)

    def _cost_slope(self, line: _Line, t: Decimal) -> Decimal | None:
        """The trading cost's slope along ``line`` just past t (None: cannot go on)."""
        short_loss, long_loss = line.at(t)
        total = ZERO
        for ladder, amount, step in (
            (self.short, short_loss, line.direction[0]),
            (self.long, long_loss, line.direction[1]),
        ):
            if step > 0:
                more = ladder.slope_right(amount)  # one more dollar of loss costs this
                if more is None:
                    return None
                total += step * more
            elif step < 0:
                less = ladder.slope_left(amount)  # one dollar less saves this
                if less is not None:
                    total += step * less
        return total


def _first_crossing(
    bounds: list[Decimal],
    start: Decimal,
    step: int,
    t0: Decimal,
    t1: Decimal,
    stops: Callable[[Decimal], bool],
) -> Decimal | None:
    """The first t in [t0, t1] at which ``start + step × t`` is one of ``bounds`` (a
    ladder's lot boundaries) and ``stops`` holds, if any (``stops`` turns true once)."""
    x0, x1 = sorted((start + step * t0, start + step * t1))
    first, stop = bisect_left(bounds, x0), bisect_right(bounds, x1)

    def crossing(m: int) -> Decimal:
        """t at the m-th boundary crossed, in order of t."""
        return (bounds[first + m if step > 0 else stop - 1 - m] - start) / step

    m = _first_true(0, stop - first, lambda m: stops(crossing(m)))
    return crossing(m) if m < stop - first else None


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
    tax: TaxSystem, bends: Bends, base: TaxInputs, cv: Decimal, short: _Ladder, long: _Ladder
) -> tuple[Decimal, Decimal, Decimal, int]:
    """Best (Ls, Ll, F) for divisible lots, and the number of tax evaluations it took
    (the NFT search budgets its work by them). F is G there less the trading cost;
    harvesting nothing gives G at (0, 0)."""
    search = _Search(tax, bends, base, cv, short, long)
    bend_lines = search.bend_lines
    points: set[Point] = set()
    slopes: dict[tuple[int, int], set[Decimal]] = {
        direction: set() for direction in (MORE_LONG, MORE_SHORT, SHORT_FOR_LONG)
    }
    for line in bend_lines.lines():
        found, seen = search.along(line)
        points |= found
        slopes[line.direction] |= seen
    # Regions where G is linear: Ls sits where the cost slope crosses the region's gs,
    # seen along a line of more short-term loss, or as gl + (gs − gl) from the other two.
    gradients = slopes[MORE_SHORT] | {
        gl + traded for gl in slopes[MORE_LONG] for traded in slopes[SHORT_FOR_LONG]
    }
    for short_loss in {short.cross(gs) for gs in gradients} - bend_lines.short:
        found, _ = search.along(bend_lines.at_short(short_loss))
        points |= found

    origin = max(search.tax_values((ZERO, ZERO)))
    best, best_value = (ZERO, ZERO), ZERO
    for point in points:
        value = search.net_benefit(point) - origin
        # Prefer more benefit; on a tie, less trading (smaller total harvest).
        if value > best_value or (value == best_value and sum(point) < sum(best)):
            best, best_value = point, value
    return best[0], best[1], best_value + origin, len(search.cache)


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
    short_loss: Decimal  # ladder amounts (divisible lots and the open NFTs)
    long_loss: Decimal
    short: _Ladder
    long: _Ladder
    partial: Candidate | None  # an open NFT the relaxation sells only in part

    def taken(self) -> tuple[Candidate, ...]:
        """The open NFTs the relaxation sells whole."""
        return self.short.whole_extras(self.short_loss) + self.long.whole_extras(self.long_loss)

    def fractions(self) -> dict[int, Decimal]:
        return self.short.allocate(self.short_loss) | self.long.allocate(self.long_loss)


class _NftSearch:
    """Branch and bound over the NFTs (all or nothing), with exact relaxations as bounds."""

    def __init__(
        self,
        tax: TaxSystem,
        bends: Bends,
        base: TaxInputs,
        cv: Decimal,
        short: _Ladder,
        long: _Ladder,
    ):
        self.tax, self.bends, self.base, self.cv = tax, bends, base, cv
        self.short, self.long = short, long
        self.origin = max(_tax_values(tax, base, cv))
        self._bends_by_collectibles: dict[Decimal, Bends] = {}
        self.work = 0  # so far, in tax evaluations (see MAX_NFT_WORK)

    def solve(self, node: _Node) -> _Relaxed:
        sold_short = _loss(c for c in node.sold if c.term == "short")
        sold_long = _loss(c for c in node.sold if c.term == "long" and not c.collectible)
        sold_collectibles = _loss(c for c in node.sold if c.collectible)
        cost = sum((c.cost for c in node.sold), ZERO)
        # Open collectibles cannot be relaxed into the long-term ladder: their loss also
        # lowers the 28% gain, another function of the harvest. The bound takes them all
        # as sold, at no cost: more loss never raises the tax nor shrinks the
        # carryforward, so no choice among them can do better. A node with any open is
        # no real plan, and the search branches on them first.
        open_collectibles = [c for c in node.open if c.collectible]
        shifted = _after_harvest(self.base, sold_short, sold_long)
        if sold_collectibles or open_collectibles:
            lowered = sold_collectibles + _loss(open_collectibles)
            shifted = replace(shifted, collectibles_gain=shifted.collectibles_gain - lowered)
        relaxed = [c for c in node.open if not c.collectible]
        short = self.short.plus([c for c in relaxed if c.term == "short"])
        long = self.long.plus([c for c in relaxed if c.term == "long"])
        short_loss, long_loss, value, evaluations = _solve_divisible(
            self.tax, self._bends(shifted), shifted, self.cv, short, long
        )
        copied = sum(
            len(spliced.keys)
            for spliced, given in ((short, self.short), (long, self.long))
            if spliced is not given
        )
        self.work += evaluations + copied // LOTS_PER_EVALUATION
        partial = short.partial_added(short_loss) or long.partial_added(long_loss)
        if open_collectibles:  # branch on the largest first: it moves the bound most
            partial = max(open_collectibles, key=lambda c: (c.loss, -c.key))
        return _Relaxed(value - self.origin - cost, short_loss, long_loss, short, long, partial)

    def _bends(self, inputs: TaxInputs) -> Bends:
        """The system's bends for a node's inputs. Selling NFTs moves only the gains, on
        which the bends do not depend, unless it lowers the collectibles gain."""
        if inputs.collectibles_gain == self.base.collectibles_gain:
            return self.bends
        hit = self._bends_by_collectibles.get(inputs.collectibles_gain)
        if hit is None:
            hit = self._bends_by_collectibles[inputs.collectibles_gain] = self.tax.bends(inputs)
        return hit

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
            nft = relaxed.partial
            rest = tuple(c for c in node.open if c is not nft)
            push(_Node(node.sold + (nft,), rest))
            # Keeping the NFT keeps its twins too (same term, loss and cost): a plan that
            # sold one of them instead is the same plan, and lies in the other branch.
            # Without this, k identical NFTs would be tried in 2^k orders.
            twins = (nft.term, nft.loss, nft.cost, nft.collectible)
            push(
                _Node(
                    node.sold,
                    tuple(c for c in rest if (c.term, c.loss, c.cost, c.collectible) != twins),
                )
            )
        assert best is not None
        return (*best, None)

    def _improved(
        self, best: tuple[_Node, _Relaxed], nfts: tuple[Candidate, ...]
    ) -> tuple[_Node, _Relaxed]:
        """A search stopped early: try selling one more NFT, cheapest per dollar of loss
        first, while that adds value (a few relaxations more, to narrow the gap)."""
        node, relaxed = best
        unsold = sorted((c for c in nfts if c not in node.sold), key=lambda c: c.cost / c.loss)
        for nft in unsold[:IMPROVE_TRIES]:
            if self.work >= MAX_NFT_WORK * 5 // 4:
                break
            trial = _Node(node.sold + (nft,), ())
            tried = self.solve(trial)
            if tried.value > relaxed.value:
                node, relaxed = trial, tried
        return node, relaxed

    def _rounded(self, node: _Node, relaxed: _Relaxed) -> tuple[_Node, _Relaxed]:
        """A real plan near a relaxation: its part-sold NFTs left unsold."""
        fixed = _Node(node.sold + relaxed.taken(), ())
        return fixed, self.solve(fixed)


def optimize(
    tax: TaxSystemOrRules,
    base: TaxInputs,
    cv: Decimal,
    candidates: Sequence[Candidate] = (),
    *,
    short: LossColumns | None = None,
    long: LossColumns | None = None,
) -> Solution:
    """The plan that maximizes net benefit (see the module docstring).

    ``tax`` is a ``TaxSystem``; a rule file (``Rules``) means its federal tax. The lots
    are ``candidates``, and the divisible ones may come instead as columns per term
    (``short``, ``long``), which is how the plan passes 100,000 of them.
    """
    system = as_tax_system(tax)
    if base.collectibles_gain <= base.lt_carryforward:
        # No 28% rate gain can arise (its worksheet starts from collectibles gain less
        # the long-term carryover), so a collectible's loss acts as any long-term loss.
        candidates = [replace(c, collectible=False) if c.collectible else c for c in candidates]
    divisible = [c for c in candidates if c.divisible]
    nfts = [c for c in candidates if not c.divisible]
    assert not any(c.collectible for c in divisible), "collectibles are sold whole (NFTs)"
    ladders = {
        term: _Ladder(_joined(term, given, [c for c in divisible if c.term == term]))
        for term, given in ((SHORT, short), (LONG, long))
    }
    # An NFT that costs nothing to sell is always sold: more loss never raises the tax
    # nor shrinks the carryforward (a collectible's too).
    free = tuple(c for c in nfts if c.cost == 0)
    costly = tuple(c for c in nfts if c.cost > 0)
    search = _NftSearch(system, system.bends(base), base, cv, ladders["short"], ladders["long"])
    node, relaxed, gap = search.run(free, costly)
    fractions = {k: f for k, f in relaxed.fractions().items() if f > 0}
    harvested = {
        "short": relaxed.short.harvested(relaxed.short_loss),
        "long": relaxed.long.harvested(relaxed.long_loss),
    }
    for nft in node.sold:
        if nft.key not in fractions:  # sold whole, and not through the ladders
            harvested[nft.term] += nft.loss
        fractions[nft.key] = Decimal(1)
    return Solution(
        fractions, harvested["short"], harvested["long"], relaxed.value, gap is None, gap
    )


def _joined(term: Term, columns: LossColumns | None, more: Sequence[Candidate]) -> LossColumns:
    """A term's divisible lots: the columns given and the candidates, in key order."""
    if columns is None:
        return LossColumns.of(more)
    if not more:
        return columns
    return LossColumns.of(
        sorted(
            [
                *map(
                    Candidate, columns.keys, repeat(term), columns.loss, columns.cost, repeat(True)
                ),
                *more,
            ],
            key=attrgetter("key"),
        )
    )


def _loss(subset: Iterable[Candidate]) -> Decimal:
    return sum((c.loss for c in subset), ZERO)
