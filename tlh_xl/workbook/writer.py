"""Writing the plan into a workbook: only Positions, Harvest and Summary are rebuilt.

Everything else in the workbook (other sheets, formulas, styles, defined names, data
validation, charts, a VBA project) is left as openpyxl loaded it, and the cells of the big
sheets ``tlh-xl fill`` kept from openpyxl are written back as the source had them
(``package.Carry``). The file is written to a temporary file beside the target and renamed
into place, so a failure never leaves a half-written workbook.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path
from typing import Any

from openpyxl.workbook.workbook import Workbook

from ..harvest.plan import HarvestPlan
from .contract import HARVEST, POSITIONS, SUMMARY
from .fast_rows import save_with_fast_rows
from .package import Carry
from .sheets import build_harvest, build_positions, build_summary
from .tables import asset_totals, position_rows, sale_rows, summary_values

__all__ = ["save_atomic", "write_plan"]


def _fresh_sheet(wb: Workbook, title: str) -> Any:
    """Remove our output sheet (with its tables and charts) and recreate it in place."""
    if title in wb.sheetnames:
        index = wb.sheetnames.index(title)
        wb.remove(wb[title])
        return wb.create_sheet(title, index)
    return wb.create_sheet(title)


def write_plan(wb: Workbook, plan: HarvestPlan) -> None:
    build_positions(_fresh_sheet(wb, POSITIONS), position_rows(plan.position_records))
    build_harvest(_fresh_sheet(wb, HARVEST), sale_rows(plan))
    build_summary(
        _fresh_sheet(wb, SUMMARY), wb, summary_values(plan), asset_totals(plan), plan.messages
    )
    wb.calculation.fullCalcOnLoad = True  # Excel and LibreOffice recalculate on open
    wb.active = wb.sheetnames.index(SUMMARY)
    for ws in wb.worksheets:
        ws.sheet_view.tabSelected = ws.title == SUMMARY


def _mode_for(target: Path) -> int:
    """Keep a replaced file's permissions; give a new one what the umask allows."""
    if target.exists():
        return stat.S_IMODE(target.stat().st_mode)
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def save_atomic(wb: Workbook, target: Path, carry: Carry | None = None) -> None:
    """Save ``wb`` to ``target`` through a temporary file; ``carry`` puts back the cells of
    sheets loaded without them (``package.CarryFailed`` if that cannot be done)."""
    target = Path(target)
    mode = _mode_for(target)
    fd, tmp_name = tempfile.mkstemp(prefix=".~tlh-", suffix=target.suffix, dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        save_with_fast_rows(wb, tmp, carry)
        os.chmod(tmp, mode)  # mkstemp makes 0600 files
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
