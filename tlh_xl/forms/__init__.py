"""Tax forms from disposition records: Form 8949 rows and Schedule D totals."""

from .form8949 import (
    LONG_BOXES,
    SCHEDULE_D_LINES,
    SHORT_BOXES,
    Form8949Row,
    ScheduleDLine,
    WalletReporting,
    box_for,
    form_8949_rows,
    schedule_d,
)

__all__ = [
    "LONG_BOXES",
    "SCHEDULE_D_LINES",
    "SHORT_BOXES",
    "Form8949Row",
    "ScheduleDLine",
    "WalletReporting",
    "box_for",
    "form_8949_rows",
    "schedule_d",
]
