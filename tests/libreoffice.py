"""Headless LibreOffice helpers for tests: recalculate, render and check workbooks.

openpyxl writes formulas but no cached values, so ``load_workbook(data_only=True)`` on
its output reads ``None`` for every formula. :func:`recalculate` round-trips such a file
through headless LibreOffice (with a private, throwaway user profile configured to
always recalculate on load) so that the resulting .xlsx carries computed values.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import openpyxl

SOFFICE: str | None = shutil.which("soffice") or shutil.which("libreoffice")
PDFTOPPM: str | None = shutil.which("pdftoppm")

TIMEOUT = 180  # seconds for one LibreOffice conversion

ERROR_STRINGS = frozenset(
    {"#NAME?", "#REF!", "#VALUE!", "#DIV/0!", "#N/A", "#NUM!", "#NULL!", "#GETTING_DATA"}
)

# /org.openoffice.Office.Calc/Formula/Load: 0 = always recalculate, 1 = never, 2 = prompt.
# The default for OOXML is "never", which keeps whatever cached values the file has (none,
# for openpyxl output), so formulas would come back empty.
_REGISTRY = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" \
xmlns:xs="http://www.w3.org/2001/XMLSchema" \
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">\
<prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">\
<prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""

# Seconds taken by the most recent call to :func:`_convert` (for diagnostics).
last_duration: float = 0.0


def _profile(workdir: Path) -> Path:
    """Create (once) a private LibreOffice profile in ``workdir`` that always recalculates."""
    profile = workdir / "lo-profile"
    xcu = profile / "user" / "registrymodifications.xcu"
    if not xcu.exists():
        xcu.parent.mkdir(parents=True, exist_ok=True)
        xcu.write_text(_REGISTRY, encoding="utf-8")
    return profile


def _convert(src: Path, workdir: Path, target: str, outdir: Path) -> Path:
    """Run ``soffice --convert-to target`` on ``src`` and return the produced file."""
    global last_duration
    if SOFFICE is None:
        raise RuntimeError("LibreOffice (soffice) is not installed")
    src = Path(src).resolve()
    workdir = Path(workdir).resolve()
    if not src.is_file():
        raise FileNotFoundError(src)
    profile = _profile(workdir)
    outdir.mkdir(parents=True, exist_ok=True)
    expected = outdir / (src.stem + "." + target.split(":", 1)[0])
    if expected.exists():
        expected.unlink()
    cmd = [
        SOFFICE,
        f"-env:UserInstallation={profile.as_uri()}",
        "--headless",
        "--invisible",
        "--nologo",
        "--nodefault",
        "--nolockcheck",
        "--norestore",
        "--convert-to",
        target,
        "--outdir",
        str(outdir),
        str(src),
    ]
    started = time.monotonic()
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=TIMEOUT, cwd=workdir, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise RuntimeError(
            f"LibreOffice timed out after {TIMEOUT}s converting {src.name} to {target}\n"
            f"stderr: {exc.stderr!r}"
        ) from exc
    finally:
        last_duration = time.monotonic() - started
    if proc.returncode != 0 or not expected.is_file() or expected.stat().st_size == 0:
        raise RuntimeError(
            f"LibreOffice failed to convert {src} to {target} "
            f"(exit code {proc.returncode}; expected {expected})\n"
            f"command: {' '.join(cmd)}\nstdout: {proc.stdout.strip()}\n"
            f"stderr: {proc.stderr.strip()}"
        )
    return expected


def recalculate(src: Path, workdir: Path) -> Path:
    """Recalculate ``src`` (.xlsx/.xlsm) in LibreOffice; return a new .xlsx with values.

    The result lives in ``workdir/recalculated/`` and can be read with
    ``openpyxl.load_workbook(result, data_only=True)``.
    """
    workdir = Path(workdir).resolve()
    return _convert(src, workdir, "xlsx:Calc MS Excel 2007 XML", workdir / "recalculated")


def render(src: Path, workdir: Path) -> Path:
    """Render ``src`` to PDF; return a PNG of page 1 if ``pdftoppm`` exists, else the PDF."""
    workdir = Path(workdir).resolve()
    pdf = _convert(src, workdir, "pdf", workdir / "rendered")
    if PDFTOPPM is None:
        return pdf
    prefix = pdf.with_suffix("")
    proc = subprocess.run(
        [PDFTOPPM, "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(prefix)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    png = prefix.with_suffix(".png")
    if proc.returncode != 0 or not png.is_file():
        return pdf
    return png


def _is_error(value: object) -> bool:
    return isinstance(value, str) and (value in ERROR_STRINGS or value.startswith("Err:"))


def error_cells(path: Path) -> list[str]:
    """``Sheet!A1`` addresses of cells whose calculated value is an error."""
    wb = openpyxl.load_workbook(path, data_only=True)
    try:
        return [
            f"{ws.title}!{cell.coordinate}"
            for ws in wb.worksheets
            for row in ws.iter_rows()
            for cell in row
            if _is_error(cell.value)
        ]
    finally:
        wb.close()
