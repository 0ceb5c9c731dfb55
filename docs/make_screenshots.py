"""Render the filled demo workbook's Summary page to PNG for the README.

Needs LibreOffice (soffice) and poppler (pdftotext, pdftoppm). Run from the repository:

    .venv/bin/python docs/make_screenshots.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.libreoffice import render  # noqa: E402
from tlh_xl.workbook.fill import fill_workbook  # noqa: E402
from tlh_xl.workbook.sample import build_sample_workbook  # noqa: E402


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        build_sample_workbook(work / "sample.xlsx")
        result = fill_workbook(work / "sample.xlsx", work / "tlh-xl-demo.xlsx", progress=False)
        pdf = render(result.output, work).with_suffix(".pdf")
        pages = int(next(line.split()[-1] for line in subprocess.run(
            ["pdfinfo", str(pdf)], capture_output=True, text=True, check=True
        ).stdout.splitlines() if line.startswith("Pages:")))
        for page in range(1, pages + 1):
            text = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-"],
                                  capture_output=True, text=True, check=True).stdout
            if text.lstrip().startswith("Summary"):
                out = ROOT / "docs" / "demo-summary"
                subprocess.run(["pdftoppm", "-png", "-r", "80", "-singlefile", "-f", str(page),
                                "-l", str(page), str(pdf), str(out)], check=True)
                print(f"wrote {out}.png (page {page})")
                return
        raise SystemExit("no Summary page found in the rendered PDF")


if __name__ == "__main__":
    main()
