"""Plain-language notes on what each sale does to this year's return.

Sales are described in order, each against the return as the sales before it left it.
``RunningReturn`` keeps that return. It evaluates the tax once per sale (the return
after one sale is the return before the next), and not at all once losses are past the
annual limit: from there every further loss is carried forward in full and saves no tax
this year, which is what the note says.

With a state (``state``: its ``StateTax``), "saves" is federal plus state tax, and the
note says how much of it is the state's. What a loss offsets, deducts and carries is the
federal return's (Schedule D); the state's own netting can differ (PA nets without the
federal carryovers and deducts nothing), so a loss past the federal limit is "no tax
saved" only once the state's capital result is at its floor as well.
"""

from __future__ import annotations

from decimal import Decimal

from ..domain.terms import Term
from ..money import ZERO, cents, format_usd
from ..rulebook.model import Rules
from ..tax.compute import Exact, TaxInputs, evaluate
from ..tax.state import StateTax

__all__ = ["RunningReturn", "shifted"]


def shifted(x: TaxInputs, st: Decimal, lt: Decimal, collectibles: Decimal = ZERO) -> TaxInputs:
    """``x`` with ``st``, ``lt`` and ``collectibles`` added to this year's short-term,
    long-term and (long-term) collectibles results."""
    # Built directly: dataclasses.replace costs more than the rest of a sale record.
    return TaxInputs(
        x.filing_status,
        x.ordinary_income,
        x.st_gain + st,
        x.lt_gain + lt,
        x.qualified_dividends,
        x.collectibles_gain + collectibles,
        x.deduction,
        x.st_carryforward,
        x.lt_carryforward,
        x.state_carryforward,
    )


class RunningReturn:
    """This year's tax inputs as sales are added in order, and each sale's note."""

    def __init__(self, rules: Rules, start: TaxInputs, state: StateTax | None = None):
        self.rules = rules
        self.state = state
        self._start = start
        self._st = ZERO  # short-term result of the sales so far
        self._lt = ZERO
        self._collectibles = ZERO  # long-term collectibles (28% group), apart from _lt
        self._now: Exact | None = None  # the return as it stands, when evaluated
        self._state_now = ZERO  # the state's tax as the return stands, when evaluated
        self._capped = False  # losses already past the limit: more loss only carries

    @property
    def inputs(self) -> TaxInputs:
        return shifted(self._start, self._st, self._lt, self._collectibles)

    def add(self, term: Term, amount: Decimal, collectible: bool = False) -> str:
        """Add a sale's gain (+) or loss (−); return what it does, in words.
        ``collectible``: a long-term result in the 28% collectibles group."""
        short = term == "short"
        label = "short-term loss" if short else "long-term loss"
        if self._now is None and not self._capped:
            self._now = self._evaluate()
        if amount < 0 and self._capped:
            self._add(short, amount, collectible)
            self._now = None
            return f"{label} carries {format_usd(-amount)} forward; no tax saved this year"
        e0 = self._now or self._evaluate()
        state0 = self._state_now
        self._add(short, amount, collectible)
        e1 = self._now = self._evaluate()
        # Worked out once: a plan notes 66,000 sales.
        state_saved = state0 - self._state_now
        saved = e0.total_tax - e1.total_tax + state_saved
        if amount > 0:  # a gain (gain harvesting)
            extra = format_usd(cents(-saved))
            return f"long-term gain taxed at 0%: resets the basis; tax this year {extra}"
        share = ""
        if self.state is not None and state_saved:
            share = f"; {format_usd(cents(state_saved))} of it {self.state.rules.state} tax"
        return _loss_note(label, short, -amount, saved, e0, e1, share)

    def _evaluate(self) -> Exact:
        inputs = self.inputs
        e = evaluate(self.rules, inputs)
        n = e.netting
        limit = self.rules.capital_loss.limit.of(self._start.filing_status)
        self._capped = n.combined <= -n.loss_deduction and n.loss_deduction == limit
        if self.state is not None:
            self._state_now = self.state.owed(inputs).tax
            self._capped = self._capped and self.state.floored(inputs)
        return e

    def _add(self, short: bool, amount: Decimal, collectible: bool) -> None:
        if short:
            self._st += amount
        elif collectible:
            self._collectibles += amount
        else:
            self._lt += amount


def _loss_note(
    label: str,
    short: bool,
    loss: Decimal,
    saved: Decimal,
    e0: Exact,
    e1: Exact,
    share: str = "",
) -> str:
    """What a loss does on the federal return, and what it saves (federal plus any
    state: ``share`` says the state's part)."""
    n0, n1 = e0.netting, e1.netting
    gains_offset = max(ZERO, n0.combined) - max(ZERO, n1.combined)
    deducted = n1.loss_deduction - n0.loss_deduction
    carried = e1.carryforward_out - e0.carryforward_out
    first = max(ZERO, n0.net_short_term if short else n0.net_long_term)
    own, other = min(gains_offset, first), gains_offset - min(gains_offset, first)
    own_name, other_name = ("short-term", "long-term") if short else ("long-term", "short-term")
    parts = []
    if own > 0:
        parts.append(f"offsets {format_usd(cents(own))} of {own_name} gains")
    if other > 0:
        parts.append(f"offsets {format_usd(cents(other))} of {other_name} gains")
    if deducted > 0:
        parts.append(f"deducts {format_usd(cents(deducted))} from ordinary income")
    if carried > 0:
        parts.append(f"carries {format_usd(cents(carried))} forward")
    rate = saved / loss * 100 if loss else ZERO
    what = ", ".join(parts) if parts else "no effect this year"
    saves = f"saves {format_usd(cents(saved))} this year ({rate:.1f}% of the loss{share})"
    return f"{label} {what}; {saves}"
