"""A wheel built from the checkout works from another folder: rules ship inside it."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from .conftest import REPO


@pytest.mark.slow
def test_wheel_installs_and_runs_from_elsewhere(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(wheels),
            str(REPO),
        ],
        capture_output=True,
        text=True,
    )
    if build.returncode != 0 and "hatchling" in build.stderr:
        build = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(REPO)],
            capture_output=True,
            text=True,
        )
    assert build.returncode == 0, build.stderr
    (wheel,) = wheels.glob("tlh_xl-*.whl")

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    py = venv / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    # Install the wheel alone; borrow its dependencies from this environment (no network).
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
    )
    deps = sysconfig.get_paths()["purelib"]
    (site / "_deps.pth").write_text(deps + "\n")

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    run = lambda *a: subprocess.run(
        [str(py), "-m", "tlh_xl", *a],
        cwd=elsewhere,
        capture_output=True,
        text=True,
    )
    listed = run("rules", "list")
    assert listed.returncode == 0, listed.stderr
    assert "_shipped/rules/us/2026.yaml" in listed.stdout
    assert str(REPO) not in listed.stdout  # really from the wheel, not the checkout
    taxed = run("tax", "--year", "2026", "--status", "single", "--income", "100000")
    assert taxed.returncode == 0, taxed.stderr
    assert "Total federal tax" in taxed.stdout
    # The ledger demo reads the bundled samples (transactions, wallets) from the wheel and
    # writes the Form 8949 sheet: every data file the package needs was shipped.
    demo = run("demo", "--ledger", "-o", "ledger-demo.xlsx")
    assert demo.returncode == 0, demo.stderr
    assert "3 disposals in 2026" in demo.stdout
    import openpyxl

    assert "Form 8949" in openpyxl.load_workbook(elsewhere / "ledger-demo.xlsx").sheetnames
