from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
RULES = REPO / "rules"


_cache_env = pytest.MonkeyPatch()
_CACHE_DIR = pytest.StashKey[str]()


def pytest_configure(config: pytest.Config) -> None:
    """Validated rules are cached on disk (tlh_xl/rulebook/cache.py): keep the tests' cache,
    their subprocesses' too, out of the real home folder. A hook, not a fixture: some test
    modules load rules when they are imported, before any fixture runs."""
    config.stash[_CACHE_DIR] = tempfile.mkdtemp(prefix="tlh-rules-cache-")
    _cache_env.setenv("TLH_CACHE_DIR", config.stash[_CACHE_DIR])


def pytest_unconfigure(config: pytest.Config) -> None:
    _cache_env.undo()
    shutil.rmtree(config.stash.get(_CACHE_DIR, ""), ignore_errors=True)


@pytest.fixture
def run_cli():
    """Run ``python -m tlh_xl ...`` in a subprocess, as a user would run the command."""

    def run(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None):
        return subprocess.run(
            [sys.executable, "-m", "tlh_xl", *args],
            capture_output=True,
            text=True,
            cwd=cwd,
            env=env,
            timeout=120,
        )

    return run
