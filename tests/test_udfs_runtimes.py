"""The Excel functions through xlwings' own code, one runtime per process.

Classic xlwings (Windows COM) and the Office.js runtimes (xlwings Lite and Server) bind
``xlwings.func`` differently at import, so each runs in its own pytest process:

* ``runtimes/classic_checks.py``: ``xlwings.udfs.call_udf`` and ``generate_vba_wrapper``
  with a stand-in for pywin32;
* ``runtimes/officejs_checks.py``: ``custom_functions_meta``, ``custom_functions_call`` and
  ``custom_scripts_call`` with ``XLWINGS_ON_SERVER=true``. xlwings' Office.js code path is
  licensed; the tests use the noncommercial key.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def _run(checks: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("XLWINGS_ON_SERVER", "XLWINGS_LICENSE_KEY", "TLH_RULES_DIR")
    }
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            str(HERE / "runtimes" / checks),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**base, **env},
        timeout=600,
    )


@pytest.mark.parametrize(
    ("checks", "env"),
    [
        ("classic_checks.py", {}),
        (
            "officejs_checks.py",
            {"XLWINGS_ON_SERVER": "true", "XLWINGS_LICENSE_KEY": "noncommercial"},
        ),
    ],
    ids=["classic", "officejs"],
)
def test_runtime(checks: str, env: dict[str, str]) -> None:
    result = _run(checks, **env)
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in summary and "failed" not in summary and "skipped" not in summary
