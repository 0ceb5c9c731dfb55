"""Errors tlh-xl raises on purpose.

Every error a user can cause is a ``TlhError``; its message is one line that names the
place (a rule file and line, a workbook cell, a lot ID). The command line prints it and
exits 2; an Excel function shows it in the cell. Anything else is a bug and exits 1.

    TlhError
    ├── RulesError      a rule file is missing, malformed or inconsistent
    ├── InputError      a value passed to the engine is unusable (bad number, status, date)
    └── WorkbookError   a workbook or CSV cannot be read or written as the contract says

The library never calls ``sys.exit``: it runs inside Excel too.
"""

from __future__ import annotations

__all__ = ["InputError", "RulesError", "TlhError", "WorkbookError"]


class TlhError(Exception):
    """Base class: a problem the user can fix, described in one line."""


class RulesError(TlhError):
    """A rule file is missing, malformed or inconsistent."""


class InputError(TlhError):
    """A value given to the engine cannot be used."""


class WorkbookError(TlhError):
    """A workbook or CSV does not follow the workbook contract."""
