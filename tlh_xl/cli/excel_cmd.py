"""tlh-xl excel setup: what classic xlwings and xlwings Lite need."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    pass

from .output import PROG, version

__all__ = ["cmd_excel_setup"]


XLWINGS_CONF = """"UDF Modules","tlh_xl.udfs"
"Interpreter_Win","{python}"
"""
LITE_MAIN = """# xlwings Lite: main.py. The functions appear as TLH.TERM, TLH.SUGGEST, ...
# and the script TLH_FILL fills Positions, Harvest and Summary.
from tlh_xl.udfs import *  # noqa: F403
"""
LITE_REQUIREMENTS = """# xlwings Lite: requirements.txt. tlh-xl is not on PyPI yet: build a wheel
# with `pip wheel --no-deps .` and host it where Lite can download it (a GitHub release).
xlwings
pydantic
pyyaml
openpyxl
pandas
tlh-xl @ https://example.invalid/REPLACE-WITH-YOUR-URL/tlh_xl-{version}-py3-none-any.whl
"""


def cmd_excel_setup(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..errors import InputError

    files = {
        "xlwings.conf": XLWINGS_CONF.format(python=sys.executable),
        "main.py": LITE_MAIN,
        "requirements.txt": LITE_REQUIREMENTS.format(version=version()),
    }
    if args.write:
        folder = Path(args.write)
        if not folder.is_dir():
            raise InputError(f"{folder}: no such folder")
        for name in files:
            target = folder / name
            if target.exists() and not args.force:
                raise InputError(f"{target}: already exists (use --force to replace it)")
        for name, text in files.items():
            (folder / name).write_text(text, encoding="utf-8")
            print(f"wrote {folder / name}")
        return 0
    print("Classic xlwings (Windows Excel with the xlwings add-in)")
    print("  1. pip install xlwings and tlh-xl into the Python the add-in uses, then run:")
    print("     xlwings addin install")
    print("  2. In the xlwings ribbon tab set UDF Modules to tlh_xl.udfs, or put this in")
    print("     xlwings.conf next to your workbook (or in %USERPROFILE%\\.xlwings\\xlwings.conf):")
    for line in files["xlwings.conf"].splitlines():
        print(f"       {line}")
    print("  3. Click Import Functions. Use =TLH_SUGGEST(Lots[#All],Prices[#All],Profile!A4:B24).")
    print(
        '  4. Fill button: a macro that calls RunPython "import tlh_xl.udfs; '
        'tlh_xl.udfs.fill_this_workbook()"'
    )
    print()
    print("xlwings Lite (Excel on Windows, Mac and the web): paste into the editor's main.py")
    for line in files["main.py"].splitlines():
        print(f"       {line}")
    print("  and into requirements.txt")
    for line in files["requirements.txt"].splitlines():
        print(f"       {line}")
    print("  Then use =TLH.SUGGEST(...) and run the TLH_FILL script.")
    print()
    print(f"Write these files into a folder with: {PROG} excel setup --write FOLDER")
    return 0
