"""Fill benchmark: time of `fill` on an N-lot workbook ÷ time openpyxl alone takes to load
and save that same workbook. Target: at most 1.5 at 10k lots, at most 2 at 100k."""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import openpyxl

from tlh_xl.workbook.fill import fill_workbook
from tlh_xl.workbook.sheets import build_lots, build_prices
from tlh_xl.workbook.template import template_path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import synthetic


def make_workbook(n: int, path: Path) -> None:
    lots, prices = synthetic(n)
    wb = openpyxl.load_workbook(template_path())
    for name, value in {
        "TaxYear": 2025,
        "FilingStatus": "Married filing jointly",
        "OrdinaryIncome": 400_000,
        "RealizedShortTerm": 80_000,
        "RealizedLongTerm": 250_000,
        "AsOfDate": dt.date(2025, 12, 1),
        "FeeRate": Decimal("0.005"),
    }.items():
        ((sheet, coord),) = wb.defined_names[name].destinations
        wb[sheet][coord.replace("$", "")].value = value
    for title, builder, rows in (
        ("Lots", build_lots, lots),
        ("Prices", build_prices, [{"asset": a, "price": p} for a, p in prices.items()]),
    ):
        index = wb.sheetnames.index(title)
        wb.remove(wb[title])
        builder(wb.create_sheet(title, index), rows)
    wb.save(path)


def ratio(n: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "lots.xlsx"
        make_workbook(n, src)
        t0 = time.perf_counter()
        wb = openpyxl.load_workbook(src)
        wb.save(Path(tmp) / "copy.xlsx")
        base = time.perf_counter() - t0
        t0 = time.perf_counter()
        fill_workbook(src, Path(tmp) / "out.xlsx", progress=False)
        filled = time.perf_counter() - t0
    return base, filled


def main() -> None:
    sizes = [10_000] + ([100_000] if "--large" in sys.argv else [])
    print("fill vs openpyxl load+save of the same workbook")
    for n in sizes:
        base, filled = ratio(n)
        print(
            f"  {n:>7,} lots  openpyxl {base:6.2f} s  fill {filled:6.2f} s  "
            f"ratio {filled / base:.2f} (target {'1.5' if n <= 10_000 else '2'})"
        )


if __name__ == "__main__":
    main()
