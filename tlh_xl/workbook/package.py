"""The source workbook as a zip package: the XML gate, and big sheets carried verbatim.

openpyxl builds a Python object for every cell it loads and writes every one of them back
on save. For a 100,000-lot workbook that is nearly all of a fill's time (load 46%, save
44%), spent on a Lots sheet the fill reads but never changes. So ``tlh-xl fill`` handles
the file as the zip package it is, and has openpyxl load only what it must keep editable:

1. **The gate** (``read_package``). Every XML part is searched for a markup declaration
   (``<!DOCTYPE``, ``<!ENTITY``: the way in for entity-expansion attacks) before any parser,
   openpyxl's or calamine's, sees the file, and a workbook that has one is refused. Excel
   never writes one. (openpyxl still parses with defusedxml, behind the gate; a DTD that
   declares no entity, which defusedxml lets through, is refused here too.) The gate also
   holds the package to limits no real workbook reaches (``MAX_EXPANSION`` and the
   counts below it): from the zip directory before anything is decompressed, then by
   byte counts over each part, since a small file of millions of empty strings or rows
   would otherwise cost openpyxl minutes and gigabytes.
2. **Stripping** (``SourcePackage.strip_plan``, ``stripped``). A worksheet whose
   ``<sheetData>`` is big (at least ``BIG_SHEET`` bytes) and can be carried (below) has it
   replaced, in an in-memory copy of the package, by one marker cell. openpyxl loads the
   copy at the cost of a small workbook: columns, views, validation, conditional formats,
   tables and drawings of the stripped sheet are loaded as usual, its cells are not. Each
   marker names its sheet, so after loading we know that openpyxl built each worksheet
   from the part we stripped (``take_markers``).
3. **Reading.** The input tables on a stripped sheet are read by python-calamine
   (``fast_read``), which checks that it reads exactly what openpyxl would.
4. **Carrying** (``fast_rows.FastRowsWriter``). On save, each stripped sheet's original
   ``<sheetData>`` goes back, byte for byte, between openpyxl's own start and end of that
   sheet. A stripped output sheet (Positions, Harvest, Summary) is not carried: the fill
   replaces it.

Why verbatim cells stay correct. Inside ``<sheetData>`` a cell refers to three things
outside its sheet:

* its style, ``s="7"``: an index into ``cellXfs``, which openpyxl reads into a list and
  writes back in the same order, only appending the styles it adds;
* a shared string, ``t="s"``: an index into the source's shared-string table, which openpyxl
  does not write (it writes every string inline). The source's table is added to the output
  as it is (``Carry.shared_strings``; its optional ``count`` is dropped, since openpyxl's
  sheets no longer use it);
* cell metadata, ``cm``/``vm`` (dynamic arrays, pictures in cells), whose parts openpyxl
  drops: a sheet that uses them is not carried.

openpyxl's output declares only the main namespace, so namespaced attributes other than
``x14ac:dyDescent`` (a row's font descent, which openpyxl drops too and Excel recomputes)
keep a sheet from being carried. So do hyperlinks, merged cells and comments: openpyxl binds
them to cells, and a stripped sheet has none.

Anything unexpected before loading means the sheet is loaded by openpyxl as before. A
problem found later (a marker not where expected, openpyxl's output not of the expected
shape) means the whole workbook is loaded and saved the plain way: slower, never different.

Why this design, as measured on ``bench/fill.py``'s 100,000-lot workbook (2 cores):
openpyxl alone loads and saves it in 26-32 s, nearly all of it on the Lots sheet (the rest
of the workbook loads in 0.02 s). Reading Lots with calamine does not help by itself: the
fill keeps the workbook, so openpyxl would still load and save Lots. Copying the
whole sheet part instead of its ``<sheetData>`` would need its relationships, table and
drawing parts renumbered by hand, which openpyxl does when it writes the sheet's head and
tail. Rewriting carried shared-string cells as inline strings would cost a pass over every
cell; adding the source's table costs nothing per cell. The fill now takes 8-9 s: reading
the package and the checks 1.5 s, calamine 0.9 s, the Grid
0.6 s, the plan 1.3 s, the output tables' XML 1.1 s and deflating 1.2 s.
"""

from __future__ import annotations

import io
import posixpath
import re
import secrets
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

from openpyxl.utils.cell import coordinate_to_tuple, get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.xml.constants import SHARED_STRINGS, XLSM, XLSX, XLTM, XLTX
from openpyxl.xml.functions import fromstring, iterparse  # defusedxml's, which openpyxl uses

from ..errors import WorkbookError
from .contract import OUTPUT_SHEETS, PROFILE

__all__ = [
    "BIG_SHEET",
    "MAX_EXPANSION",
    "MAX_SHARED_STRINGS",
    "MAX_SHEET_CELLS",
    "MAX_SHEET_ROWS",
    "CarriedSheet",
    "Carry",
    "CarryFailed",
    "SheetEntry",
    "SheetSplit",
    "SourcePackage",
    "declares_markup",
    "formula_calculated",
    "read_package",
    "refused",
    "uncalculated_cells",
]

BIG_SHEET = 256 * 1024  # bytes of <sheetData> (about 500 lots) worth keeping from openpyxl
MAX_PACKAGE = 1 << 30  # uncompressed bytes read into memory; a bigger package: plain openpyxl
MAX_SMALL_PART = 16 << 20  # workbook.xml, relationships, content types: parsed whole
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
WORKSHEET_REL = f"{REL_NS}/worksheet"
SHARED_STRINGS_REL = f"{REL_NS}/sharedStrings"
STYLES_REL = f"{REL_NS}/styles"
STYLES_PART = "xl/styles.xml"  # where openpyxl reads the styles, whatever the relationships say
WORKBOOK_TYPES = (XLTM, XLTX, XLSM, XLSX)  # in the order openpyxl looks for them
EMPTY_SHEET_DATA = b"<sheetData></sheetData>"  # what openpyxl 3.1 writes for no cells

# Limits no real workbook reaches, so that a small hostile file cannot cost minutes and
# gigabytes (openpyxl builds a Python object for every string, row and cell: 5,000,000
# empty shared strings in a 230 KB file took it 57 s and 620 MB). Checked by the gate,
# before any parser: the sizes from the zip directory, the counts by byte searches.
MAX_EXPANSION = 100  # uncompressed / compressed size of a part, or of the package: sheets
# Excel or tlh-xl write deflate 7-13 times, the most repetitive real XML (formatted empty
# rows) about 40 times; a zip bomb 400-1,000 times. Parts under EXPANSION_FROM are exempt.
EXPANSION_FROM = 1 << 20
MAX_SHARED_STRINGS = 4_000_000  # <si> in a part: a 1,000,000-lot Lots table with a
# distinct lot ID, transaction ID and note on every row has 3,000,000 distinct strings
MAX_SHEET_ROWS = 1_048_576  # <row> elements in a part: Excel's own limit for a sheet
MAX_SHEET_CELLS = 16 * MAX_SHEET_ROWS  # <c> elements in a part: Excel's every row across
# 16 columns (Lots has 11, Positions and Harvest 14); openpyxl needs ~0.5 KB a cell

# "<!" in UTF-8 (and ASCII-compatible encodings), UTF-16 and UTF-32, either byte order.
_DECLARATION_OPENERS = (b"<!", b"<\x00!", b"<\x00\x00\x00!")
_XML_SUFFIXES = (".xml", ".rels", ".vml")
_ENCODING = re.compile(rb"""encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_PREFIXES = re.compile(rb'xmlns:([A-Za-z_][\w.-]*)="')
_DIMENSION = re.compile(rb'<dimension ref="([^"]*)"')
_DY_DESCENT = re.compile(rb' x14ac:dyDescent="[^"]*"')
_SST_COUNT = re.compile(rb'\scount="\d*"')


def _element(name: bytes) -> re.Pattern[bytes]:
    """Start tags of the element ``name``, with any namespace prefix (``<c ``, ``<x:c>``)."""
    return re.compile(rb"<(?:[A-Za-z_][\w.-]{0,31}:)?" + name + rb"[\s/>]")


_LONGEST_TAG = 40  # what _element matches is at most this long (for chunked counting)


@dataclass(frozen=True)
class _Counted:
    """An element a limit counts."""

    pattern: re.Pattern[bytes]
    hint: bytes  # a text every one of its tags contains: its count bounds theirs cheaply
    shortest: int  # the fewest bytes one can take (``<row/>``): a smaller part has fewer
    limit_name: str  # the module constant, read when used (a test may lower it)
    what: str
    strings: bool = False  # counted only in a part openpyxl may read as the string table

    @property
    def limit(self) -> int:
        limit: int = globals()[self.limit_name]
        return limit


_COUNTED = (
    _Counted(_element(b"si"), b"si", 5, "MAX_SHARED_STRINGS", "shared strings", True),
    _Counted(_element(b"row"), b"row", 6, "MAX_SHEET_ROWS", "rows"),
    _Counted(_element(b"c"), b"<", 4, "MAX_SHEET_CELLS", "cells"),
)


class CarryFailed(Exception):
    """A stripped sheet cannot be written back: load and save the workbook the plain way."""


class _NotFast(Exception):
    """The package is not one this module understands: leave it to openpyxl."""


def refused(path: Path) -> WorkbookError:
    return WorkbookError(
        f"{path}: refused: the workbook's XML declares entities or a DTD "
        "(a known XML attack); re-save it from Excel"
    )


def declares_markup(data: bytes) -> bool:
    """Whether XML text has a markup declaration: a ``<!`` that opens neither a comment
    nor a CDATA section (``<!DOCTYPE``, ``<!ENTITY``, ``<!ELEMENT``, ...)."""
    at = data.find(b"<!")
    while at >= 0:
        for opening, closing in ((b"<!--", b"-->"), (b"<![CDATA[", b"]]>")):
            if data.startswith(opening, at):
                end = data.find(closing, at + len(opening))
                if end < 0:
                    return True  # unterminated: not XML we can vouch for
                at = data.find(b"<!", end + len(closing))
                break
        else:
            return True
    # UTF-16 or UTF-32 text has NUL bytes (a one-byte search, fast, for the common case).
    return b"\x00" in data and _opens_declaration(data, len(data), _DECLARATION_OPENERS[1:])


def _opens_declaration(data: bytes, limit: int, openers: Sequence[bytes]) -> bool:
    """Whether a ``<!`` before ``limit`` opens anything but a comment or CDATA section,
    in any width; ``<!`` inside comments counts too (this does not skip them)."""
    for opener in openers:
        at = data.find(opener, 0, limit)
        while at >= 0:
            after = data[at + len(opener) : at + len(opener) + 40].replace(b"\x00", b"")
            if not after.startswith((b"--", b"[CDATA[")):
                return True
            at = data.find(opener, at + 1, limit)
    return False


def _looks_like_xml(name: str, head: bytes) -> bool:
    if name.lower().endswith(_XML_SUFFIXES):
        return True
    # A part of any name that starts like XML (after a byte-order mark, in any width).
    return head.lstrip(b"\xef\xbb\xbf\xff\xfe\x00 \t\r\n").startswith(b"<")


def _too_many(path: Path, part: str, what: str, limit: int, title: str | None) -> WorkbookError:
    where = f"sheet {title!r} ({part})" if title else part
    excel = ", Excel's own limit" if what == "rows" else ", more than any real workbook has"
    return WorkbookError(f"{path}: refused: {where} has more than {limit:,} {what}{excel}")


def _expansion_problem(path: Path, infos: Sequence[zipfile.ZipInfo]) -> WorkbookError | None:
    """A part, or the package, that would expand past ``MAX_EXPANSION`` times its
    compressed size (from the zip directory: nothing is decompressed). zipfile holds each
    part to its declared size as it reads it, so the declared sizes can be trusted."""
    whole = ("the workbook", sum(i.file_size for i in infos), sum(i.compress_size for i in infos))
    for name, size, packed in [(i.filename, i.file_size, i.compress_size) for i in infos] + [whole]:
        if size >= EXPANSION_FROM and size > MAX_EXPANSION * max(packed, 1):
            return WorkbookError(
                f"{path}: refused: {name} expands from {packed:,} to {size:,} bytes "
                f"({size // max(packed, 1):,} times; real workbooks stay under "
                f"{MAX_EXPANSION}), the mark of a zip bomb"
            )
    return None


def _as_utf8(data: bytes) -> bytes:
    """XML text in UTF-8 for the byte counts (openpyxl reads UTF-16 and UTF-32 too)."""
    head = data[:4]
    if b"\x00" not in head:
        return data  # UTF-8, or an encoding in which "<row" is these bytes too
    for encoding, marks in (
        ("utf-32", (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")),
        ("utf-32-le", (b"<\x00\x00\x00",)),
        ("utf-32-be", (b"\x00\x00\x00<",)),
        ("utf-16", (b"\xff\xfe", b"\xfe\xff")),
        ("utf-16-le", (b"<\x00",)),
        ("utf-16-be", (b"\x00<",)),
    ):
        if head.startswith(marks):
            try:
                return data.decode(encoding).encode("utf-8")
            except UnicodeDecodeError:
                return data
    return data


def _strings_parts(path: Path, archive: zipfile.ZipFile) -> set[str] | None:
    """The parts openpyxl may read as the shared-string table (the content types say), or
    None when that cannot be told: then every part may be."""
    try:
        info = archive.getinfo("[Content_Types].xml")
        if info.file_size > MAX_SMALL_PART:
            return None
        data = archive.read(info)
    except Exception:  # missing or damaged: openpyxl will say so
        return None
    if declares_markup(data):
        raise refused(path)
    try:
        root = fromstring(data)
    except Exception:
        return None
    return {
        o.get("PartName", "").lstrip("/")
        for o in root.iter(f"{{{CT_NS}}}Override")
        if o.get("ContentType") == SHARED_STRINGS
    }


def _counted_problem(data: bytes, strings: bool) -> tuple[str, int] | None:
    """(what, limit) of the first counted limit a part's XML exceeds, or None; ``strings``:
    the part may be read as the shared-string table. Each count is bounded by a cheaper one
    first (the part's size, a byte count), so that a real part costs a byte count or two,
    and only a part near a limit the exact search."""
    if len(data) <= min(c.shortest * c.limit for c in _COUNTED):
        return None
    data = _as_utf8(data)
    for counted in _COUNTED:
        limit = counted.limit
        if len(data) <= counted.shortest * limit or (counted.strings and not strings):
            continue
        if data.count(counted.hint) <= limit:
            continue
        for n, _ in enumerate(counted.pattern.finditer(data), 1):
            if n > limit:
                return counted.what, limit
    return None


def _gate_streaming(path: Path, archive: zipfile.ZipFile) -> None:
    """The gate for a package too big to hold in memory: each XML part read a chunk at a
    time, every ``<!`` looked at with the 48 bytes that follow it, and the elements the
    limits count counted as they go by."""
    for info in archive.infolist():
        with archive.open(info) as member:
            buffer = member.read(1 << 20)
            if not _looks_like_xml(info.filename, buffer[:16]):
                continue
            counted = [c for c in _COUNTED if info.file_size > c.shortest * c.limit]
            counts = [0] * len(counted)
            while True:
                chunk = member.read(1 << 20)
                buffer += chunk
                limit = len(buffer) if not chunk else len(buffer) - 48
                if _opens_declaration(buffer, limit, _DECLARATION_OPENERS):
                    raise refused(path)
                # The tags that start before ``limit``; those after, with the next chunk.
                end = min(len(buffer), limit + _LONGEST_TAG)
                for i, element in enumerate(counted):
                    found = element.pattern.finditer(buffer, 0, end)
                    counts[i] += sum(1 for m in found if m.start() < limit)
                    if counts[i] > element.limit:
                        raise _too_many(path, info.filename, element.what, element.limit, None)
                if not chunk:
                    break
                buffer = buffer[limit:]


def _sheet_titles(archive: zipfile.ZipFile) -> dict[str, str]:
    """Part → sheet title, as far as the workbook's small parts say (for a message)."""
    try:
        parts = {
            name: archive.read(name)
            for name in ("[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels")
            if archive.getinfo(name).file_size <= MAX_SMALL_PART
        }
        source = SourcePackage(Path(), b"", [], parts)
        return {entry.part: entry.title for entry in source.sheets()}
    except Exception:  # a message without the title, then
        return {}


def read_package(path: Path) -> SourcePackage | None:
    """The workbook's parts, past the gate; None when it is not a zip archive we can hold
    (openpyxl then loads it, and names the problem as it always has).

    Raises ``WorkbookError`` for a workbook whose XML declares entities or a DTD.
    """
    try:
        data = path.read_bytes()
        archive = zipfile.ZipFile(io.BytesIO(data))
    except Exception:  # not a zip archive, or not one zipfile reads: openpyxl will say
        return None
    with archive:
        infos = [info for info in archive.infolist() if not info.is_dir()]
        expands = _expansion_problem(path, infos)
        if expands is not None:
            raise expands
        if sum(info.file_size for info in infos) > MAX_PACKAGE:
            _gate_streaming(path, archive)
            return None
        parts: dict[str, bytes] = {}
        damaged = False
        strings = _strings_parts(path, archive)
        for info in infos:
            try:
                part = archive.read(info)
            except (OSError, zipfile.BadZipFile, ValueError, NotImplementedError, RuntimeError):
                damaged = True  # encrypted, or compressed in a way zipfile cannot read
                continue
            if _looks_like_xml(info.filename, part[:16]):
                if declares_markup(part):
                    raise refused(path)
                problem = _counted_problem(part, strings is None or info.filename in strings)
                if problem is not None:
                    title = _sheet_titles(archive).get(info.filename)
                    raise _too_many(path, info.filename, *problem, title)
            parts[info.filename] = part
    if damaged or len(parts) != len(infos):
        return None  # a damaged part, or two of one name: openpyxl decides what they mean
    return SourcePackage(path, data, infos, parts)


@dataclass(frozen=True)
class SheetEntry:
    title: str
    part: str  # its path in the package
    rel_type: str


@dataclass(frozen=True)
class SheetSplit:
    """A worksheet part cut around its ``<sheetData>``: ``head + sheet_data + tail``."""

    entry: SheetEntry
    head: bytes  # up to <sheetData>
    sheet_data: bytes  # <sheetData>...</sheetData>
    tail: bytes
    root: bytes  # the <worksheet ...> start tag, with its namespace declarations

    @property
    def rows(self) -> bytes:
        """What is inside ``<sheetData>``."""
        return self.sheet_data[len(b"<sheetData>") : -len(b"</sheetData>")]


@dataclass(frozen=True)
class CarriedSheet:
    sheet_data: bytes  # as the source has it, without x14ac:dyDescent
    dimension: bytes | None  # the source's <dimension ref>, which openpyxl cannot know


@dataclass
class Carry:
    """What ``fast_rows`` writes back from the source into openpyxl's output."""

    sheets: list[tuple[Worksheet, CarriedSheet]] = field(default_factory=list)
    dropped: list[Worksheet] = field(default_factory=list)  # stripped sheets the fill replaces
    shared_strings: bytes | None = None  # the source's table, when a carried cell uses it

    def sheet_for(self, ws: Any) -> CarriedSheet | None:
        for sheet, carried in self.sheets:
            if sheet is ws:
                return carried
        return None


def get_rels_path(part: str) -> str:
    """A part's relationships part, as openpyxl names it: ``xl/_rels/workbook.xml.rels``."""
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", f"{name}.rels")


def at_least(n: int) -> bytes:
    """A regex for the decimal numbers ``>= n`` (unsigned, as spreadsheet files write them)."""
    digits = str(n)
    options = [rf"\d{{{len(digits) + 1},}}", digits]
    for i, d in enumerate(digits):
        if d != "9":
            rest = len(digits) - i - 1
            options.append(f"{digits[:i]}[{int(d) + 1}-9]" + (rf"\d{{{rest}}}" if rest else ""))
    return ("(?:" + "|".join(options) + ")").encode("ascii")


def _in_tag(data: bytes, at: int) -> bool:
    """Whether position ``at`` is inside a tag (between a ``<`` and its ``>``)."""
    return data.rfind(b"<", 0, at) > data.rfind(b">", 0, at)


def _names_with(data: bytes, prefix: bytes) -> bool:
    """Whether a tag in ``data`` has an element or attribute name with ``prefix`` (as
    ``b"x14ac:"``), not merely text that contains it."""
    at = data.find(prefix)
    while at >= 0:
        if data[at - 1 : at] in (b"<", b"/", b" ") and _in_tag(data, at):
            return True
        at = data.find(prefix, at + 1)
    return False


def plain_tags(data: bytes) -> bool:
    """Whether every tag in ``data`` separates its attributes by spaces and writes them
    ``name="value"``, so that a search for ``' t="e"'`` finds every error cell: no tab,
    line break or single quote, and no space around ``=``, inside a tag."""
    needles = [byte for byte in (b"\n", b"\t", b"\r", b"'") if byte in data]  # one-byte: fast
    if data.count(b"=") != data.count(b'="'):  # an "=" that opens no quoted value
        needles.append(b"= ")
    needles.append(b" =")
    for needle in needles:
        at = data.find(needle)
        while at >= 0:
            if _in_tag(data, at):
                return False
            at = data.find(needle, at + 1)
    return True


def formula_calculated(kind: str | None, value: str | None) -> bool:
    """Whether a formula cell of type ``kind`` (its ``t``) whose ``<v>`` holds ``value``
    (None: no ``<v>``) carries a value that Excel or LibreOffice calculated.

    A program that writes formulas without calculating them (openpyxl, and pandas through
    it) writes no value, or an empty one: ``<c><f>A1*2</f><v></v></c>``. A calculated
    number, date or yes/no is never empty, and a formula whose result is the empty string
    is written as a string, ``t="str"`` (with ``<v></v>``), which is calculated.
    """
    return kind in ("str", "inlineStr") or (value is not None and value.strip() != "")


def uncalculated_cells(xml: bytes) -> frozenset[str]:
    """The cells of a worksheet part, as ``B6``, that hold a formula no one calculated,
    numbered as openpyxl numbers them (a row or cell without ``r`` follows the last)."""
    if b"<f" not in xml and b":f" not in xml:
        return frozenset()
    cell_tag, row_tag = f"{{{MAIN_NS}}}c", f"{{{MAIN_NS}}}row"
    formula_tag, value_tag = f"{{{MAIN_NS}}}f", f"{{{MAIN_NS}}}v"
    found: set[str] = set()
    row = column = 0
    try:
        for event, element in iterparse(io.BytesIO(xml), events=("start", "end")):
            if event == "start":
                if element.tag == row_tag:
                    number = element.get("r")
                    row = int(float(number)) if number else row + 1
                    column = 0
                continue
            if element.tag == cell_tag:
                ref = element.get("r")
                if ref:
                    row, column = coordinate_to_tuple(ref)
                else:
                    column += 1
                if element.find(formula_tag) is not None:
                    value = element.find(value_tag)
                    text = None if value is None else value.text or ""
                    if not formula_calculated(element.get("t"), text):
                        found.add(f"{get_column_letter(column)}{row}")
                element.clear()
            elif element.tag == row_tag:
                element.clear()
    except Exception:  # not a sheet openpyxl could have loaded: it has said so already
        return frozenset(found)
    return frozenset(found)


@dataclass
class SourcePackage:
    path: Path
    data: bytes  # the file as read, once: every later step works on these bytes
    infos: Sequence[zipfile.ZipInfo]
    parts: dict[str, bytes]
    _uncalculated: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)

    def uncalculated(self, title: str) -> frozenset[str]:
        """The cells of sheet ``title`` (as ``B6``) holding a formula that no one
        calculated (``formula_calculated``); empty when the package cannot say."""
        if title not in self._uncalculated:
            try:
                part = next((e.part for e in self.sheets() if e.title == title), None)
            except _NotFast:
                part = None
            xml = self.parts.get(part or "")
            self._uncalculated[title] = uncalculated_cells(xml) if xml else frozenset()
        return self._uncalculated[title]

    # --- the package's structure, as openpyxl resolves it ----------------------------------

    def _parse(self, name: str) -> Element:
        part = self.parts.get(name)
        if part is None or len(part) > MAX_SMALL_PART:
            raise _NotFast(f"{name} is missing or too big")
        try:
            return fromstring(part)
        except Exception as exc:  # malformed: openpyxl will say so
            raise _NotFast(f"{name}: {exc}") from None

    def _relationships(self, rels_path: str) -> dict[str, tuple[str, str]]:
        """Id → (type, target part), targets resolved as openpyxl's get_dependents does."""
        if rels_path not in self.parts:
            return {}
        parent = posixpath.split(posixpath.dirname(rels_path))[0]
        out: dict[str, tuple[str, str]] = {}
        for rel in self._parse(rels_path).iter(f"{{{PKG_REL_NS}}}Relationship"):
            target = rel.get("Target", "")
            if rel.get("TargetMode") == "External":
                continue
            if target.startswith("/"):
                target = target[1:]
            else:
                target = posixpath.normpath(posixpath.join(parent, target))
            out[rel.get("Id", "")] = (rel.get("Type", ""), target)
        return out

    def _content_types(self) -> tuple[list[tuple[str, str]], set[str]]:
        root = self._parse("[Content_Types].xml")
        overrides = [
            (o.get("PartName", ""), o.get("ContentType", ""))
            for o in root.iter(f"{{{CT_NS}}}Override")
        ]
        defaults = {d.get("ContentType", "") for d in root.iter(f"{{{CT_NS}}}Default")}
        return overrides, defaults

    def _workbook_part(self) -> str:
        overrides, defaults = self._content_types()
        for wanted in WORKBOOK_TYPES:
            for name, content_type in overrides:
                if content_type == wanted:
                    return name.lstrip("/")
        if defaults & set(WORKBOOK_TYPES):
            return "xl/workbook.xml"
        raise _NotFast("no workbook part")

    def shared_strings_part(self) -> str | None:
        """The shared-string table openpyxl reads (the first named in the content types)."""
        overrides, _ = self._content_types()
        for name, content_type in overrides:
            if content_type == SHARED_STRINGS:
                return name.lstrip("/")
        return None

    def sheets(self) -> list[SheetEntry]:
        book = self._workbook_part()
        rels = self._relationships(get_rels_path(book))
        out: list[SheetEntry] = []
        for sheet in self._parse(book).iter(f"{{{MAIN_NS}}}sheet"):
            rel = rels.get(sheet.get(f"{{{REL_NS}}}id", ""))
            if rel is not None:
                out.append(SheetEntry(sheet.get("name", ""), rel[1], rel[0]))
        return out

    def _consistent(self) -> str | None:
        """Why Excel and openpyxl might read different styles or strings, or None.

        openpyxl reads styles from xl/styles.xml and strings from the part the content
        types name; Excel follows the workbook's relationships. Carried cells keep their
        meaning only where both agree.
        """
        book = self._workbook_part()
        rels = self._relationships(get_rels_path(book)).values()
        strings = {target for kind, target in rels if kind == SHARED_STRINGS_REL}
        styles = {target for kind, target in rels if kind == STYLES_REL}
        if styles and styles != {STYLES_PART}:
            return f"the styles are in {sorted(styles)}, not {STYLES_PART}"
        table = self.shared_strings_part()
        if strings != ({table} if table else set()):
            return "the relationships and the content types name different string tables"
        return None

    # --- stripping ---------------------------------------------------------------------

    def split(self, entry: SheetEntry) -> SheetSplit | str:
        """The sheet cut around its ``<sheetData>``, or why it is not cut."""
        data = self.parts.get(entry.part)
        if data is None:
            return "its part is missing"
        body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
        if body.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00")) or b"\x00" in body[:64]:
            return "not UTF-8"
        if body.startswith(b"<?xml"):
            declaration = body[: body.find(b"?>")]
            encoding = _ENCODING.search(declaration)
            if encoding is not None and encoding[1].lower() not in (b"utf-8", b"utf8"):
                return f"encoded in {encoding[1].decode('ascii')}"
        start = data.find(b"<worksheet")
        end = data.find(b">", start)
        if start < 0 or end < 0 or data[start + len(b"<worksheet")] not in b" >":
            return "no <worksheet> root"
        root = data[start : end + 1]
        if f' xmlns="{MAIN_NS}"'.encode() not in root or data.find(b"<", 0, start) not in (
            -1,
            data.find(b"<?xml"),
        ):
            return "not a plain spreadsheetml root"
        # The first <sheetData> is near the top and the last </sheetData> near the end: found
        # from either end, and not repeated in the head or tail, without reading the rows
        # (where a second one would make the sheet invalid for openpyxl as for Excel).
        first = data.find(b"<sheetData")
        last = data.rfind(b"</sheetData>")
        if first < end or last < first or not data.startswith(b"<sheetData>", first):
            return "no <sheetData>...</sheetData> under the root"
        last += len(b"</sheetData>")
        head, tail = data[:first], data[last:]
        if b"sheetData" in head or b"sheetData" in tail:
            return "more than one <sheetData>"
        return SheetSplit(entry, head, data[first:last], tail, root)

    def _carry_problem(self, split: SheetSplit) -> str | None:
        """Why the sheet's cells cannot be written back verbatim (see the module docstring)."""
        rows = split.rows
        if b"xmlns" in rows:
            return "a namespace declared inside <sheetData>"
        # "!", "?" and 'm="' are rare in cells (no cell or row attribute but these ends in
        # m): a short search for them first spares the longer ones.
        if b"!" in rows and b"<!" in rows:
            return "a comment or CDATA section"
        if b"?" in rows and b"<?" in rows:
            return "a processing instruction"
        if b'm="' in rows:
            if b' cm="' in rows:
                return "cell metadata (a dynamic array)"
            if b' vm="' in rows:
                return "value metadata (a picture in a cell)"
        for needle, why in (
            (b"<hyperlinks", "hyperlinks"),
            (b"<mergeCells", "merged cells"),
            (b"<legacyDrawing", "comments or form controls"),
        ):
            if needle in split.head or needle in split.tail:
                return why
        rels = self.parts.get(get_rels_path(split.entry.part), b"")
        if f"{REL_NS}/comments".encode() in rels:
            return "comments"
        if not plain_tags(rows):
            return "tags written with line breaks, tabs or quotes openpyxl would not write"
        for prefix in _PREFIXES.findall(split.root):
            needle = prefix + b":"
            if needle not in rows:
                continue
            if prefix == b"x14ac" and rows.count(needle) == rows.count(b' x14ac:dyDescent="'):
                continue  # Excel's row attribute, and nothing else: dropped when carried
            if _names_with(rows, needle):
                return f"names in the {prefix.decode('ascii')}: namespace"
        return None

    def strip_plan(self) -> tuple[list[SheetSplit], dict[str, str]]:
        """The sheets worth stripping, and why each other big sheet is not stripped."""
        try:
            inconsistent = self._consistent()
            entries = self.sheets()
        except _NotFast as exc:
            return [], {"*": str(exc)}
        plan: list[SheetSplit] = []
        skipped: dict[str, str] = {}
        for entry in entries:
            size = len(self.parts.get(entry.part, b""))
            if entry.rel_type != WORKSHEET_REL or size < BIG_SHEET:
                continue
            if inconsistent is not None:
                skipped[entry.title] = inconsistent
                continue
            if entry.title.casefold() == PROFILE.casefold():
                continue  # read cell by cell through defined names: openpyxl keeps it
            split = self.split(entry)
            if isinstance(split, str):
                skipped[entry.title] = split
                continue
            if len(split.sheet_data) < BIG_SHEET:
                continue
            problem = self._carry_problem(split)
            if problem is not None:
                skipped[entry.title] = problem
                continue
            plan.append(split)
        return plan, skipped

    def stripped(self, plan: Sequence[SheetSplit]) -> tuple[bytes, dict[str, SheetSplit]]:
        """A copy of the package with each planned sheet's cells replaced by a marker cell,
        and the markers (their text → the sheet)."""
        nonce = secrets.token_hex(8)
        markers: dict[str, SheetSplit] = {}
        replaced: dict[str, bytes] = {}
        for i, split in enumerate(plan):
            marker = f"tlh-xl carried sheet {nonce}-{i}"
            markers[marker] = split
            cell = f'<row r="1"><c r="A1" t="inlineStr"><is><t>{marker}</t></is></c></row>'
            replaced[split.entry.part] = (
                split.head + b"<sheetData>" + cell.encode("ascii") + b"</sheetData>" + split.tail
            )
        buffer = io.BytesIO()
        # Stored, not deflated: the copy is read once, from memory, by openpyxl.
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
            for info in self.infos:
                archive.writestr(
                    zipfile.ZipInfo(info.filename),
                    replaced.get(info.filename, self.parts[info.filename]),
                )
        return buffer.getvalue(), markers

    def carry(self, found: Sequence[tuple[Worksheet, SheetSplit]], styles: int) -> Carry:
        """What to write back for the stripped sheets openpyxl loaded, ``styles`` being how
        many cell styles it loaded (the carried cells' ``s`` must index one of them)."""
        carry = Carry()
        output = {title.casefold() for title in OUTPUT_SHEETS}
        beyond = re.compile(rb' s="' + at_least(styles) + b'"')
        for ws, split in found:
            if ws.title.casefold() in output:
                carry.dropped.append(ws)
                continue
            if beyond.search(split.sheet_data):
                raise CarryFailed(f"{ws.title}: a cell's style is not in the workbook's styles")
            dimension = _DIMENSION.search(split.head)
            carry.sheets.append(
                (
                    ws,
                    CarriedSheet(
                        _DY_DESCENT.sub(b"", split.sheet_data),
                        dimension[1] if dimension else None,
                    ),
                )
            )
        if any(b' t="s"' in carried.sheet_data for _, carried in carry.sheets):
            table = self.shared_strings_part()
            if table is None or table not in self.parts:
                raise CarryFailed("a carried cell uses the shared strings, and there are none")
            sst = self.parts[table]
            start = sst.find(b"<sst")
            end = sst.find(b">", start)
            if start < 0 or end < 0:
                raise CarryFailed("the shared-string table has no <sst> root")
            carry.shared_strings = sst[:start] + _SST_COUNT.sub(b"", sst[start:end]) + sst[end:]
        return carry


def take_markers(
    worksheets: Sequence[Any], markers: dict[str, SheetSplit]
) -> list[tuple[Worksheet, SheetSplit]] | None:
    """Each stripped sheet as openpyxl loaded it, its marker cell removed; None unless every
    marker is alone on the sheet of the title it was put on."""
    found: list[tuple[Worksheet, SheetSplit]] = []
    for ws in worksheets:
        cells: dict[tuple[int, int], Any] = getattr(ws, "_cells", {})
        cell = cells.get((1, 1))
        value = getattr(cell, "value", None)
        if isinstance(value, str) and value in markers:
            split = markers[value]
            if len(cells) != 1 or ws.title != split.entry.title or ws.row_dimensions:
                return None
            found.append((ws, split))
    if len(found) != len(markers):
        return None
    for ws, _ in found:
        del ws._cells[(1, 1)]
    return found
