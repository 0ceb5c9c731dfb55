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
from ..harvest.positions import Position, PositionTable
from ..output_tables import HARVEST_COLUMNS, POSITION_COLUMNS, rows

__all__ = ["asset_totals", "position_rows", "sale_rows", "summary_values"]


def position_rows(positions: PositionTable | Sequence[Position]) -> list[tuple[Any, ...]]:
    return rows(positions, POSITION_COLUMNS)


def sale_rows(plan: HarvestPlan) -> list[tuple[Any, ...]]:
    return rows(plan.sale_table, HARVEST_COLUMNS)


def summary_values(plan: HarvestPlan) -> dict[str, Any]:
    """Summary dataclass field → value."""
    return dict(vars(plan.summary))


def asset_totals(plan: HarvestPlan) -> list[tuple[str, Decimal]]:
    """Unrealized gain/loss by asset, largest loss first (the Summary chart's data)."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    table = plan.position_table
    for asset, unrealized in zip(table.lots.asset, table.unrealized):
        if unrealized is not None:
            totals[asset] += unrealized
    return sorted(totals.items(), key=lambda kv: kv[1])
