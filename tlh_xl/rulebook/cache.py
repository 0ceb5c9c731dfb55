"""Validated rules kept between runs, so a new process reads them without parsing YAML.

Why: parsing YAML and building pydantic's validators for ``model.Rules`` were a large
part of the start-up of ``tlh-xl tax`` and of the Excel functions' first call (importing
pydantic itself remains: the rules are pydantic models). A rule file is read far more
often than it changes, so its validated rules are kept

* in memory, for the life of the process (the Excel functions load rules on every call);
* on disk, one small JSON file per rule file, for the next process.

**Format.** JSON of ``Rules.model_dump(mode="json", exclude_unset=True)`` (or of
``StateRules``, for a state's file: the entry's jurisdiction says which), rebuilt with
``model_construct`` from the model's own field types (a ``Decimal`` from its exact text, a
date from ISO text), so nothing is validated twice and pydantic never builds the
validators. JSON rather than pickle: unpickling a file from a writable folder can run any
code. The entry's first line holds its key, the files it was built from and the SHA-256
of the rules on the second line; a digest that does not match, or a value that does not
fit the model's types, makes the entry a miss.

**Freshness.** An entry is named after the rule file's resolved path and lists every
file the rules came from (the rule file, then each file it extends, nearest first) with
its modification time in ns, its size and the SHA-256 of the very bytes the loader
parsed. Each time it is used, each ``extends`` is looked up again, as the loader would
(a file put next to the child, or earlier on the search path, is the parent now), and
every file found must still have that time, size and content. The key also holds the
entry format, tlh-xl's and pydantic's versions and a digest of the code that turns a
file into rules, so an upgrade, or an edit of the model in a checkout, invalidates every
entry.

**Location.** ``TLH_CACHE_DIR``; else ``$XDG_CACHE_HOME/tlh-xl``, else ``~/.cache/tlh-xl``
(``%LOCALAPPDATA%\\tlh-xl\\cache`` on Windows). ``TLH_NO_CACHE=1`` turns the disk cache
off. Nothing about the cache is ever an error: a folder that cannot be read or written,
or an entry that is corrupt or stale, only means the file is parsed again. An entry is
written to a temporary file and renamed into place, so a reader sees all of it or none.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import types
import typing
from dataclasses import asdict, dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from pydantic import BaseModel
from pydantic.version import VERSION as PYDANTIC_VERSION

from .. import __version__
from ..errors import RulesError
from .model import Rules
from .store import ParentFinder, parent_rule_file

if TYPE_CHECKING:
    from .state_model import AnyRules, StateRules

__all__ = ["Loaded", "cache_dir", "load_rule_file"]

FORMAT = 1  # the entry layout; bump it when the layout changes
MAX_ENTRY_BYTES = 1 << 20  # an entry is a few KB: a far larger file is not one of ours
# The code that decides what a rule file's text becomes: editing any of it (in a checkout,
# where the version stays the same) must not leave entries made by the old code in use.
_CODE = ("model.py", "state_model.py", "loader.py", "cache.py")
# Anything a damaged or foreign entry can raise while being read and rebuilt.
_UNUSABLE = (OSError, ValueError, TypeError, KeyError, ArithmeticError, RecursionError)


def cache_dir() -> Path | None:
    """The folder that keeps validated rules between runs; None when it is turned off."""
    if os.environ.get("TLH_NO_CACHE", "") not in ("", "0"):
        return None
    override = os.environ.get("TLH_CACHE_DIR")
    if override:
        return Path(override)
    try:
        if os.name == "nt":
            local = os.environ.get("LOCALAPPDATA")
            base = Path(local) if local else Path.home() / "AppData" / "Local"
            return base / "tlh-xl" / "cache"
        xdg = os.environ.get("XDG_CACHE_HOME")
        # The XDG spec says a relative XDG_CACHE_HOME is invalid and is to be ignored.
        base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    except RuntimeError:  # no home folder to be found: run without the disk cache
        return None
    return base / "tlh-xl"


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


_key_memo: dict[str, Any] = {}


def _key() -> dict[str, Any]:
    """What must be equal for an entry to be read: the format and the code that made it."""
    if not _key_memo:
        code = hashlib.sha256()
        for name in _CODE:
            try:
                code.update(Path(__file__).with_name(name).read_bytes())
            except OSError:  # installed without sources: the versions alone must do
                code.update(name.encode())
        _key_memo.update(
            format=FORMAT, tlh_xl=__version__, pydantic=PYDANTIC_VERSION, code=code.hexdigest()
        )
    return _key_memo


@dataclass(frozen=True)
class _Stamp:
    """One file an entry was built from, as it was when the loader read it.

    No path: the files are found again on every use, as a fresh load finds them, and
    what matters is that each found holds the bytes that were parsed."""

    mtime_ns: int
    size: int
    sha256: str
    extends: int | None  # the year its ``extends`` names (the next file's), if any


class _RecordingReader:
    """Reads rule files for the loader, and stamps the very bytes it hands over.

    Stamping what was parsed, rather than stat-ing the files afterwards, means a file
    edited while it was being loaded leaves an entry that is stale, never one that wrongly
    looks fresh: the time and size are taken before the bytes are read.
    """

    def __init__(self) -> None:
        self.stamps: dict[Path, tuple[int, int, str]] = {}  # by the path the loader gave

    def __call__(self, path: Path) -> str:
        from .loader import MAX_FILE_BYTES, decode_rule_file  # loaded: this is a miss

        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            # No further than the loader's limit: a larger file is refused (and so never
            # cached) whatever its size, without reading all of it.
            data = f.read(MAX_FILE_BYTES + 1)
        text = decode_rule_file(data, str(path))  # the loader's decoding, and its limit
        self.stamps[path] = (st.st_mtime_ns, st.st_size, _digest(data))
        return text


def _unchanged(path: Path, stamp: _Stamp) -> bool:
    try:
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            if (st.st_mtime_ns, st.st_size) != (stamp.mtime_ns, stamp.size):
                return False
            # The time and size can stay the same across an edit (a coarse clock, a tool
            # that restores the time), the content cannot.
            return _digest(f.read()) == stamp.sha256
    except OSError:
        return False


def _current_chain(
    path: Path, stamps: tuple[_Stamp, ...], jurisdiction: str, find: ParentFinder
) -> tuple[Path, ...] | None:
    """The files, named as a fresh load would name them, if each is as stamped."""
    chain = [path]
    for i, stamp in enumerate(stamps):
        if not _unchanged(chain[i], stamp):
            return None
        last = i == len(stamps) - 1
        if stamp.extends is None:
            return tuple(chain) if last else None
        if last:
            return None
        try:
            chain.append(parent_rule_file(chain[i], jurisdiction, stamp.extends, find))
        except RulesError:  # the parent is gone: a fresh load says so
            return None
    return None


# --- rebuilding the model from JSON, without validation --------------------------------


def _rebuild(kind: Any, value: Any) -> Any:
    """``value``, as the JSON dump gave it, turned back into the field type ``kind``.

    The entry was validated when it was made and its digest matched; this only restores
    the Python types JSON does not have, and refuses anything that does not fit the model
    (an entry written for another model is not read as this one)."""
    origin = typing.get_origin(kind)
    if origin is typing.Annotated:  # constraints were checked when the entry was made
        return _rebuild(typing.get_args(kind)[0], value)
    if origin is typing.Union or origin is types.UnionType:
        options = [o for o in typing.get_args(kind) if o is not type(None)]
        if value is None and len(options) < len(typing.get_args(kind)):
            return None
        (only,) = options  # ValueError for a union the model does not use
        return _rebuild(only, value)
    if origin is list:
        (item,) = typing.get_args(kind)
        return [_rebuild(item, v) for v in _expect(value, list)]
    if origin is typing.Literal:
        if isinstance(value, str) and value in typing.get_args(kind):
            return value
        raise ValueError(f"{value!r} is not one of {typing.get_args(kind)}")
    if isinstance(kind, type) and issubclass(kind, BaseModel):
        return _construct(kind, value)
    if kind is Decimal:  # dumped as its exact text, so 0.10 keeps its two places
        return Decimal(_expect(value, str))
    if kind is dt.date:
        return dt.date.fromisoformat(_expect(value, str))
    if kind is bool:
        return _expect(value, bool)
    if kind is int:
        if isinstance(value, bool):  # JSON true is not a year or a count of days
            raise TypeError("expected int, got bool")
        return _expect(value, int)
    if kind is str:
        return _expect(value, str)
    raise TypeError(f"cannot rebuild {kind!r} from {value!r}")


def _expect(value: Any, kind: type) -> Any:
    if not isinstance(value, kind):
        raise TypeError(f"expected {kind.__name__}, got {type(value).__name__}")
    return value


def _construct(model: type[BaseModel], data: Any) -> Any:
    fields = model.model_fields
    if not isinstance(data, dict) or not data.keys() <= fields.keys():
        raise ValueError(f"not the fields of {model.__name__}")
    missing = [n for n, f in fields.items() if f.is_required() and n not in data]
    if missing:
        raise ValueError(f"{model.__name__}: missing {missing}")
    # Only the fields the file gave are passed, so the defaults (and the model's
    # fields_set) come out as a validated load gives them.
    return model.model_construct(**{n: _rebuild(fields[n].annotation, v) for n, v in data.items()})


# --- the entries on disk ----------------------------------------------------------------


class Loaded(NamedTuple):
    """Validated rules, with the jurisdiction and year the file gives.

    The cache knows those two from its own records, so checking a file against its name on
    every load does not read the rules' fields (``tests/test_rules_all_read.py`` counts
    every read of a field as the use of a value)."""

    rules: AnyRules
    jurisdiction: str
    year: int


@dataclass(frozen=True)
class _Held:
    stamps: tuple[_Stamp, ...]
    loaded: Loaded


def _entry_path(path: Path) -> Path | None:
    """Where the entry of a rule file lives: named after its resolved path, so each way
    of naming the file (relative, through a link) finds the same entry."""
    folder = cache_dir()
    if folder is None:
        return None
    try:
        resolved = str(path.resolve())
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop; the loader says so
        return None
    return folder / f"rules-{_digest(resolved.encode())[:32]}.json"


def _entry_bytes(held: _Held) -> bytes:
    dumped = held.loaded.rules.model_dump(mode="json", exclude_unset=True)
    body = json.dumps(dumped, ensure_ascii=False, separators=(",", ":")).encode()
    head = {
        "key": _key(),
        "jurisdiction": held.loaded.jurisdiction,
        "year": held.loaded.year,
        "files": [asdict(s) for s in held.stamps],
        "sha256": _digest(body),
    }
    # json.dumps escapes every newline inside strings: the first line is the head.
    return json.dumps(head, separators=(",", ":")).encode() + b"\n" + body


def _read_entry(entry: Path, path: Path, find: ParentFinder) -> _Held | None:
    try:
        with open(entry, "rb") as f:
            data = f.read(MAX_ENTRY_BYTES + 1)
        if len(data) > MAX_ENTRY_BYTES:
            return None
        head_line, _, body = data.partition(b"\n")
        head = json.loads(head_line)
        if head["key"] != _key() or head["sha256"] != _digest(body):
            return None
        jurisdiction = _expect(head["jurisdiction"], str)
        year = _rebuild(int, head["year"])
        stamps = tuple(_Stamp(**f) for f in _expect(head["files"], list))
        chain = _current_chain(path, stamps, jurisdiction, find)
        if chain is None:
            return None
        # The entry's own record of the jurisdiction picks the model, as the loader's
        # reading of the file did; a body that does not fit that model is a miss.
        model = _model_for(jurisdiction)
        rules = _construct(model, json.loads(body))
    except _UNUSABLE:
        return None
    if not isinstance(rules, model):
        return None
    rules._path = chain[0]
    rules._inherits_from = chain[1:]
    return _Held(stamps, Loaded(rules, jurisdiction, year))


def _model_for(jurisdiction: str) -> type[Rules] | type[StateRules]:
    """``state_model.model_for``, without importing the state models for federal rules
    (``tlh-xl tax`` starts faster)."""
    if not jurisdiction.startswith("us-"):
        return Rules
    from .state_model import model_for

    return model_for(jurisdiction)


def _write_entry(entry: Path, data: bytes) -> None:
    import tempfile  # only when writing: a warm start never needs it

    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=entry.parent, prefix=".rules-", suffix=".tmp")
    except OSError:  # a folder we cannot write to: run without the disk cache
        return
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        # Atomic: a concurrent reader sees the old entry or the new one, never half of
        # one. Without an fsync a crash may leave an empty file, which reads as corrupt.
        os.replace(temporary, entry)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)


# --- loading ----------------------------------------------------------------------------

# rule file, as the caller named it → what was loaded from it. Keyed without resolving
# the path (that costs more than the rest of a check); the content check makes that
# safe. The Rules object is shared: every model in it is frozen.
_memory: dict[Path, _Held] = {}


def _parse(path: Path, find: ParentFinder) -> tuple[Loaded, tuple[_Stamp, ...]]:
    from .loader import parse_rules_file  # PyYAML and pydantic's validators: only on a miss

    reader = _RecordingReader()
    rules = parse_rules_file(path, find, read=reader)
    loaded = Loaded(rules, rules.jurisdiction, rules.year)
    files = (path, *rules.inherits_from)
    stamps: list[_Stamp] = []
    for i, file in enumerate(files):
        parent = files[i + 1] if i + 1 < len(files) else None
        if parent is not None and not parent.stem.isdigit():
            return loaded, ()  # a finder that does not name files by year: not cached
        recorded = reader.stamps.get(file)
        if recorded is None:
            return loaded, ()
        extends = int(parent.stem) if parent is not None else None
        stamps.append(_Stamp(*recorded, extends=extends))
    return loaded, tuple(stamps)


def load_rule_file(path: Path, find: ParentFinder) -> Loaded:
    """``loader.parse_rules_file(path, find)``, from the cache while the file and the files
    it extends are unchanged. Errors are the loader's: a cache hit is a file that loaded."""
    held = _memory.get(path)
    if held is not None:
        rules = held.loaded.rules
        chain = _current_chain(path, held.stamps, held.loaded.jurisdiction, find)
        if chain is not None and chain == (rules.path, *rules.inherits_from):
            return held.loaded
    entry = _entry_path(path)
    if entry is not None:
        held = _read_entry(entry, path, find)
        if held is not None:
            _memory[path] = held
            return held.loaded
    loaded, stamps = _parse(path, find)
    if stamps:
        held = _Held(stamps, loaded)
        _memory[path] = held
        if entry is not None:
            _write_entry(entry, _entry_bytes(held))
    return loaded
