"""The plan as rows and values for the output sheets, whoever writes them.

The headless writer (openpyxl) and the Excel button (xlwings) both lay out Positions,
Harvest and Summary from these, so a filled workbook looks the same either way.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from ..harvest.plan import HarvestPlan
from ..harvest.positions import Position

__all__ = ["asset_totals", "position_rows", "sale_rows", "summary_values"]


def _term(term: str) -> str:
    return "Long-term" if term == "long" else "Short-term"


def position_rows(positions: Sequence[Position]) -> list[tuple[Any, ...]]:
    return [
        (
            p.lot.lot_id,
            p.lot.asset,
            p.lot.asset_class,
            p.lot.wallet,
            p.lot.tx_id,
            p.lot.acquired,
            p.lot.quantity,
            p.lot.cost_basis,
            p.price,
            p.market_value,
            p.unrealized,
            _term(p.term),
            p.long_term_on,
            p.days_to_long_term,
            "; ".join(p.flags),
        )
        for p in positions
    ]


def sale_rows(plan: HarvestPlan) -> list[tuple[Any, ...]]:
    return [
        (
            s.lot_id,
            s.asset,
            s.wallet,
            s.tx_id,
            s.acquired,
            s.sell_date,
            s.sell_quantity,
            s.proceeds,
            s.cost_basis,
            s.gain_loss,
            s.term,
            s.fees,
            s.rebuy_on,
            s.note,
        )
        for s in plan.sale_records
    ]


def summary_values(plan: HarvestPlan) -> dict[str, Any]:
    """Summary dataclass field → value."""
    return dict(vars(plan.summary))


def asset_totals(plan: HarvestPlan) -> list[tuple[str, Decimal]]:
    """Unrealized gain/loss by asset, largest loss first (the Summary chart's data)."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for p in plan.position_records:
        if p.unrealized is not None:
            totals[p.lot.asset] += p.unrealized
    return sorted(totals.items(), key=lambda kv: kv[1])
