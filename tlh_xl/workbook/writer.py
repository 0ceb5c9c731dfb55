"""Writing the plan into a workbook: only Positions, Harvest and Summary are rebuilt.

Everything else in the workbook (other sheets, formulas, styles, defined names, data
validation, charts, a VBA project) is left as openpyxl loaded it, and the cells of the big
sheets ``tlh-xl fill`` kept from openpyxl are written back as the source had them
(``package.Carry``). The file is written to a temporary file beside the target and renamed
into place, so a failure never leaves a half-written workbook: an error, Ctrl-C or a
SIGTERM removes the temporary file (``write_atomic``), and a folder that cannot be written
is the user's error, naming the file.
"""

from __future__ import annotations

import errno
import os
import signal
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from openpyxl.workbook.properties import CalcProperties
from openpyxl.workbook.workbook import Workbook

from ..errors import WorkbookError
from ..harvest.plan import HarvestPlan
from .contract import HARVEST, POSITIONS, SUMMARY
from .fast_rows import save_with_fast_rows
from .package import Carry
from .sheets import build_harvest, build_positions, build_summary
from .sigterm import sigterm_raises
from .tables import asset_totals, position_rows, sale_rows, summary_values

__all__ = ["save_atomic", "write_atomic", "write_plan"]


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
    if wb.calculation is None:  # a workbook without the optional <calcPr>
        wb.calculation = CalcProperties()
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


class _Terminated(BaseException):
    """SIGTERM arrived while a file was being written."""


@contextmanager
def _terminate_cleanly() -> Iterator[None]:
    """While a file is written, SIGTERM raises (``sigterm_raises``), so that the
    temporary file is removed; then the signal is delivered again with the default
    handler back, and the process ends as SIGTERM ends it."""
    with sigterm_raises(_Terminated):
        try:
            yield
            return
        except _Terminated:
            pass
    signal.raise_signal(signal.SIGTERM)  # the default action: the process ends
    raise SystemExit(128 + signal.SIGTERM)  # (were the signal blocked)


# What the file system says when the user's file cannot be written where it was asked for
# (other errors while writing are bugs, and are not dressed up as the user's).
_CANNOT_WRITE = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


def _unwritable(target: Path, exc: OSError, creating: bool) -> WorkbookError:
    reason = (exc.strerror or str(exc)).lower()
    where = f" in the folder {target.parent}" if creating else ""
    return WorkbookError(f"{target}: cannot be written ({reason}{where})")


def write_atomic(target: Path, write: Callable[[Path], object]) -> None:
    """``write(tmp)`` writes the file to a temporary path beside ``target``, which is then
    renamed into place, with the permissions of the file it replaces (or the umask's).
    Whatever stops it (an error, Ctrl-C, SIGTERM) removes the temporary file, and a folder
    or file that cannot be written raises ``WorkbookError`` naming ``target``."""
    target = Path(target)
    with _terminate_cleanly():
        try:
            mode = _mode_for(target)
            fd, tmp_name = tempfile.mkstemp(
                prefix=".~tlh-", suffix=target.suffix, dir=target.parent
            )
        except OSError as exc:
            raise _unwritable(target, exc, creating=True) from None
        tmp = Path(tmp_name)
        try:
            os.close(fd)
            write(tmp)
            os.chmod(tmp, mode)  # mkstemp makes 0600 files
            os.replace(tmp, target)
        except BaseException as exc:
            tmp.unlink(missing_ok=True)
            if isinstance(exc, OSError) and exc.errno in _CANNOT_WRITE:
                raise _unwritable(target, exc, creating=False) from None
            raise


def save_atomic(wb: Workbook, target: Path, carry: Carry | None = None) -> None:
    """Save ``wb`` to ``target`` through a temporary file (``write_atomic``); ``carry``
    puts back the cells of sheets loaded without them (``package.CarryFailed`` if that
    cannot be done)."""
    write_atomic(target, lambda tmp: save_with_fast_rows(wb, tmp, carry))
