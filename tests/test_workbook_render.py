"""What a user sees: the filled demo and the blank template, printed by LibreOffice.

Rendered to PDF, then read back with poppler's ``pdftotext`` (words and their boxes):
every page on US Letter, every header and asset name whole (a column too narrow cuts
its text), no cell showing ``###``, and each table one page wide with its header on
every page. (Not yet checked: the size of the printed text. Harvest's notes and
Positions' flags are long, so fitting those sheets to one page wide shrinks them to
about 4.4 pt; they need wrapped, taller rows.)
"""

from __future__ import annotations

import re
import shutil
import subprocess
from html import unescape
from pathlib import Path

import pytest

from tlh_xl.output_tables import HARVEST_COLUMNS, POSITION_COLUMNS
from tlh_xl.workbook.contract import LOT_COLUMNS, PRICE_COLUMNS
from tlh_xl.workbook.fill import fill_workbook
from tlh_xl.workbook.sample import build_sample_workbook
from tlh_xl.workbook.template import template_path

from .libreoffice import SOFFICE, render

PDFTOTEXT = shutil.which("pdftotext")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        SOFFICE is None or PDFTOTEXT is None,
        reason="needs LibreOffice and poppler-utils; .ci/run installs both",
    ),
]

LETTER = (612, 792)  # points, either way up


class Page:
    def __init__(self, number: int, width: float, height: float, words: list[tuple[str, float]]):
        self.number, self.width, self.height = number, width, height
        self.words = words  # (text, height in points)
        self.text = " ".join(w for w, _ in words)

    def has(self, phrase: str) -> bool:
        """The phrase on the page, in one run of words, or each of its words whole (a
        header of two lines is read line by line, its words apart)."""
        if phrase in self.text:
            return True
        tokens = {w for w, _ in self.words}
        return all(word in tokens for word in phrase.split())


def pages_of(pdf: Path) -> list[Page]:
    """Each page's size and words, from ``pdftotext -bbox``."""
    html = subprocess.run(
        [PDFTOTEXT or "pdftotext", "-bbox", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    out = []
    for n, page in enumerate(re.findall(r"<page (.*?)</page>", html, re.S), start=1):
        width = float(re.search(r'width="([\d.]+)"', page).group(1))  # type: ignore[union-attr]
        height = float(re.search(r'height="([\d.]+)"', page).group(1))  # type: ignore[union-attr]
        words = [
            (unescape(text), float(y1) - float(y0))
            for y0, y1, text in re.findall(
                r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">(.*?)</word>',
                page,
            )
        ]
        out.append(Page(n, width, height, words))
    return out


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Page]]:
    tmp = tmp_path_factory.mktemp("render")
    source = tmp / "sample.xlsx"
    build_sample_workbook(source)
    demo = fill_workbook(source, tmp / "demo.xlsx", progress=False).output
    blank = tmp / "template.xlsx"
    shutil.copyfile(template_path(), blank)
    return {
        "demo": pages_of(render(demo, tmp).with_suffix(".pdf")),
        "template": pages_of(render(blank, tmp).with_suffix(".pdf")),
    }


# Each table: two headers that together mark its pages (no other sheet, the Read me
# included, shows both), and its first and last headers.
TABLES = {
    "Lots": (("Asset Class", "Price Override"), LOT_COLUMNS[0].header, LOT_COLUMNS[-1].header),
    "Prices": (("As Of", "Identical Group"), PRICE_COLUMNS[0].header, PRICE_COLUMNS[-1].header),
    "Positions": (
        ("Unrealized Gain/Loss", "Days To Long-Term"),
        POSITION_COLUMNS[0].header,
        POSITION_COLUMNS[-1].header,
    ),
    "Harvest": (
        ("Sell Quantity", "Rebuy On"),
        HARVEST_COLUMNS[0].header,
        HARVEST_COLUMNS[-1].header,
    ),
}


def table_pages(pages: list[Page], table: str) -> list[Page]:
    return [p for p in pages if all(map(p.has, TABLES[table][0]))]


@pytest.mark.parametrize("book", ["demo", "template"])
def test_every_page_is_letter_and_nothing_shows_hashes(printed, book: str) -> None:
    for page in printed[book]:
        assert sorted((round(page.width), round(page.height))) == sorted(LETTER), page.number
        assert "###" not in page.text, f"{book} page {page.number}: a cell shows ###"


@pytest.mark.parametrize("book", ["demo", "template"])
def test_every_header_is_whole_and_each_table_is_one_page_wide(printed, book: str) -> None:
    for table, (_, first, last) in TABLES.items():
        pages = table_pages(printed[book], table)
        assert pages, f"{book}: no page shows the {table} table"
        for page in pages:  # the header row repeats on every page, all of it
            assert page.has(first) and page.has(last), f"{book} {table} page {page.number}"
        headers = {
            "Lots": [c.header for c in LOT_COLUMNS],
            "Prices": [c.header for c in PRICE_COLUMNS],
            "Positions": [c.header for c in POSITION_COLUMNS],
            "Harvest": [c.header for c in HARVEST_COLUMNS],
        }[table]
        for header in headers:
            assert pages[0].has(header), f"{book} {table}: header {header!r} is cut"


def test_asset_names_are_whole(printed) -> None:
    import csv

    from tlh_xl.workbook.sample import SAMPLES

    with (SAMPLES / "sample_lots.csv").open(newline="", encoding="utf-8") as handle:
        assets = {row["Asset"] for row in csv.DictReader(handle)}
    positions = table_pages(printed["demo"], "Positions")
    text = " ".join(p.text for p in positions)
    for asset in assets:
        assert asset in text, f"asset {asset!r} is cut in Positions"


# The median height of a printed word, in points, on the pages of a table printed one
# page wide. Measured with LibreOffice's DejaVu Sans standing in for Calibri (the widest
# case; with Calibri or Carlito the text prints larger): before the long text wrapped and
# the headers took two lines, Harvest printed at 4.0 and Positions at 4.4, unreadable.
LEGIBLE = 6.0


@pytest.mark.parametrize("table", ["Harvest", "Positions"])
def test_the_output_tables_print_at_a_readable_size(printed, table: str) -> None:
    import statistics

    pages = table_pages(printed["demo"], table)
    heights = [h for page in pages for _, h in page.words]
    assert statistics.median(heights) >= LEGIBLE, (
        f"{table} prints at {statistics.median(heights):.2f}"
    )
