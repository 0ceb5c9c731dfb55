"""Plain-language notes on what a sale does to this year's return."""

from __future__ import annotations

from decimal import Decimal

from ..money import ZERO, cents, format_usd
from ..rulebook.model import Rules
from ..tax.compute import TaxInputs, evaluate
from ..tax.schedule_d import net_capital

__all__ = ["describe_sale"]


def describe_sale(
    rules: Rules,
    before: TaxInputs,
    after: TaxInputs,
    short: bool,
    amount: Decimal,
) -> str:
    """What a sale's gain or loss does to this year's return, in words."""
    label = "short-term loss" if short else "long-term loss"
    if amount < 0:
        netted = net_capital(
            before.st_gain,
            before.lt_gain,
            before.collectibles_gain,
            before.st_carryforward,
            before.lt_carryforward,
            rules.capital_loss.limit.of(before.filing_status),
        )
        if netted.combined <= -netted.loss_deduction and netted.loss_deduction == (
            rules.capital_loss.limit.of(before.filing_status)
        ):
            # Already past the loss limit: more loss changes nothing this year (no need to
            # run the worksheets again for each of thousands of lots).
            return f"{label} carries {format_usd(-amount)} forward; no tax saved this year"
    e0, e1 = evaluate(rules, before), evaluate(rules, after)
    saved = e0.total_tax - e1.total_tax
    if amount > 0:  # a gain (gain harvesting)
        extra = format_usd(cents(-saved))
        return f"long-term gain taxed at 0%: resets the basis; tax this year {extra}"
    loss = -amount
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
    return f"{label} {what}; saves {format_usd(cents(saved))} this year ({rate:.1f}% of the loss)"
