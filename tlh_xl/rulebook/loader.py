"""Reading rule files: safe YAML, exact decimals, line numbers, one-line errors.

YAML is parsed with PyYAML's ``SafeLoader`` (no arbitrary objects). We compose the node
tree first so that we know the line of every key, refuse duplicate keys (PyYAML would
silently keep the last), and turn every float literal into a ``Decimal`` built from its
text, so ``0.22`` is exactly 0.22. Pydantic then validates the data against
``model.Rules``, or ``state_model.StateRules`` for a state's folder (``jurisdiction:
us-ca``); each of its errors is mapped back to ``file:line key.path: message``.

A file may say ``extends: 2025`` and give only what changed. The file it extends is the
same jurisdiction's ``2025.yaml`` next to it, or else the one on the rules search path.
Mappings merge key by key, and anything else a file gives (a list of thresholds, a
number) replaces the inherited value whole. The merged data is then validated like a
fully written file, so the two load equal, and an error in an inherited value names the
file and line it came from. A file that extends another still states its own ``year``,
``status`` and ``last_verified``, and each section it changes restates its
``reference``: the source of the new figures.

**Limits.** A rule file is a few KB of plain YAML, so the loader refuses, with the file
and line, what no rule file needs and a hostile one would use to take unbounded time or
memory: a file over ``MAX_FILE_BYTES`` (read no further than that), nesting deeper than
``MAX_DEPTH``, more than ``MAX_NODES`` values, a number written with more than
``MAX_NUMBER_CHARS`` characters, and YAML aliases and merge keys altogether (an alias
bomb, "billion laughs", expands a few lines into billions of values; a recursive alias
has no end). No shipped file uses an alias; ``extends`` is how one file reuses
another's values. The bounds on the values themselves are the model's (``model.py``).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ..errors import RulesError
from .state_model import AnyRules, model_for
from .store import ParentFinder, find_rule_file, parent_rule_file

__all__ = [
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "MAX_NODES",
    "MAX_NUMBER_CHARS",
    "TextReader",
    "decode_rule_file",
    "parse_rules_file",
    "parse_rules_text",
    "read_yaml_with_lines",
]

KeyPath = tuple[str | int, ...]
Origins = dict[KeyPath, tuple[str, int]]  # key path → (file, line) it was given on
TextReader = Callable[[Path], str]  # reads a rule file's text; the cache's also records it


# The largest shipped rule file is 7.3 KB, 347 YAML values (keys included), nested 5
# deep; each limit is far above what a real file reaches, and low enough that a file at
# the limit loads in a fraction of a second and a few MB.
MAX_FILE_BYTES = 256 * 1024
MAX_DEPTH = 16  # mappings and lists inside each other, the file's own mapping included
MAX_NODES = 10_000  # keys, values and list items
# 15_750, 0.0307: no rule value is written with more. (Python refuses to turn more than
# 4,300 digits into an int, with a ValueError that would name no line.)
MAX_NUMBER_CHARS = 100


def decode_rule_file(data: bytes, where: str) -> str:
    """The text of a rule file's bytes, read no further than ``MAX_FILE_BYTES`` + 1:
    decoded as ``Path.read_text`` decodes (UTF-8, universal newlines), so a file parses
    the same, line numbers in errors included, whoever read it. A file longer than the
    limit is refused with the line the limit falls on."""
    _check_size(data, where)
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8").read()


def _check_size(data: bytes, where: str) -> None:
    if len(data) > MAX_FILE_BYTES:
        line = data[:MAX_FILE_BYTES].count(b"\n") + 1
        raise RulesError(
            f"{where}:{line} the file is larger than {MAX_FILE_BYTES // 1024} KiB "
            f"({MAX_FILE_BYTES:,} bytes), the most a rule file may hold (one is a few KB)"
        )


def _read_text(path: Path) -> str:
    with open(path, "rb") as f:
        data = f.read(MAX_FILE_BYTES + 1)  # a file of any size costs no more than this
    return decode_rule_file(data, _where(path))


class _Refused(Exception):
    """A part of the YAML the loader will not read: the line, and why."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line, self.message = line, message


def _short(value: object, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 4] + "..." + text[-1]


class _DecimalSafeLoader(yaml.SafeLoader):
    """SafeLoader that reads floats as Decimal, within the loader's limits."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._nodes = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event: yaml.Event = self.peek_event()  # type: ignore[no-untyped-call]
        line = event.start_mark.line + 1 if event.start_mark is not None else 1
        if isinstance(event, yaml.AliasEvent):
            raise _Refused(
                line,
                f"YAML alias *{event.anchor}: rule files do not use anchors and aliases; "
                "write the value out (a file reuses another year's with extends: YEAR)",
            )
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise _Refused(
                line,
                f"the file holds more than {MAX_NODES:,} values (keys, numbers, texts), "
                "the most a rule file may hold (one holds a few hundred)",
            )
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _Refused(
                    line,
                    f"nested more than {MAX_DEPTH} levels deep, the most a rule file may "
                    "be (one is 5)",
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, TypeError, ArithmeticError) as exc:
            # e.g. a date that does not exist (last_verified: 2026-02-31)
            line = node.start_mark.line + 1
            if node.tag == "tag:yaml.org,2002:timestamp":
                raise _Refused(line, f"{_short(node.value)} is not a date: {exc}") from None
            raise _Refused(line, f"{_short(node.value)} cannot be read: {exc}") from None


def _number_text(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> str:
    text = str(loader.construct_scalar(node))
    if len(text) > MAX_NUMBER_CHARS:
        raise _Refused(
            node.start_mark.line + 1,
            f"a number written with {len(text):,} characters; no rule value needs more "
            f"than {MAX_NUMBER_CHARS}",
        )
    return text


def _construct_decimal(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    text = _number_text(loader, node).replace("_", "")
    try:
        return Decimal(text)
    except ArithmeticError:  # .inf, .nan: let validation reject them
        return float(loader.construct_yaml_float(node))


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    _number_text(loader, node)
    return loader.construct_yaml_int(node)


_DecimalSafeLoader.add_constructor("tag:yaml.org,2002:float", _construct_decimal)
_DecimalSafeLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)


def _where(path: Path | str) -> str:
    return str(path)


def _walk(node: yaml.Node, path: KeyPath, lines: dict[KeyPath, int], where: str) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                raise RulesError(
                    f"{where}:{line} {_dotted(path)}: a key must be a name, not a list or mapping"
                )
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise RulesError(
                    f"{where}:{line} {_dotted(path)}: YAML merge keys (<<) are not used in "
                    "rule files; write each key out"
                )
            key = key_node.value
            if key in seen:
                dotted = _dotted((*path, key))
                raise RulesError(
                    f"{where}:{line} {dotted}: duplicate key (first given on line {seen[key]})"
                )
            seen[key] = line
            child = (*path, key)
            _walk(value_node, child, lines, where)
            lines[child] = line
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), lines, where)


def _dotted(path: KeyPath) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def read_yaml_with_lines(text: str, where: str) -> tuple[Any, dict[KeyPath, int]]:
    """Parse YAML safely, within the loader's limits; return the data and the line of
    every key path."""
    if len(text) > MAX_FILE_BYTES // 4:  # else its UTF-8 cannot be over the limit
        _check_size(text[: MAX_FILE_BYTES + 1].encode("utf-8", "replace"), where)
    lines: dict[KeyPath, int] = {}
    try:
        loader = _DecimalSafeLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                raise RulesError(f"{where}:1 (top level): the file is empty")
            _walk(node, (), lines, where)
            data = loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.context == "expected a single document in the stream":
            raise RulesError(
                f"{where}:{line} a second YAML document (after ---): a rule file is one"
            ) from None
        if exc.context and exc.context_mark is not None and exc.context_mark.line + 1 != line:
            # e.g. "while parsing a flow sequence": point at where the construct began too
            what = exc.context.removeprefix("while parsing ")
            problem += f" (in {what} started on line {exc.context_mark.line + 1})"
        raise RulesError(f"{where}:{line} YAML syntax error: {problem}") from None
    except _Refused as exc:
        # While composing, the key is not known yet; once composed (a value that cannot
        # be constructed), it is the deepest key given on that line.
        on_line = [p for p, n in lines.items() if n == exc.line and p]
        key = f"{_dotted(max(on_line, key=len))}: " if on_line else ""
        raise RulesError(f"{where}:{exc.line} {key}{exc.message}") from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (NUL, ESC)
        line = text[: exc.position].count("\n") + 1
        code = exc.character if isinstance(exc.character, int) else 0
        raise RulesError(f"{where}:{line} a character YAML does not allow: U+{code:04X}") from None
    except yaml.YAMLError as exc:
        raise RulesError(f"{where}: YAML error: {exc}") from None
    return data, lines


def _origin(loc: KeyPath, origins: Origins) -> tuple[str, int]:
    for end in range(len(loc), -1, -1):
        if loc[:end] in origins:
            return origins[loc[:end]]
    return origins.get((), ("<rules>", 1))


# Keys rule files once held that no code read (a value nobody reads is a trap: editing
# it changes nothing). Files written before they went, e.g. by an older 'rules new', are
# told why each went rather than to check its spelling.
RETIRED: dict[KeyPath, str] = {
    ("capital_loss", "carryforward_years"): (
        "a capital loss carries forward indefinitely (IRC §1212(b)); it is not a setting"
    ),
    ("capital_loss", "carryforward_keeps_character"): (
        "a carried-over loss keeps its short- or long-term character (IRC §1212(b)(1)); "
        "it is not a setting"
    ),
    ("niit", "indexed"): (
        "'rules new' indexes the NIIT thresholds only if the file gives niit.indexing "
        "(null, or absent: not indexed)"
    ),
    ("holding_period", "counting"): (
        "the holding period is always counted by the anniversary rule (Rev. Rul. 66-7)"
    ),
    ("deadline", "basis"): "a sale always counts in the year of its trade date",
    ("cost_basis",): "no code tracks basis per wallet or account yet",
}


def _message(error: dict[str, Any], loc: KeyPath = ()) -> str:
    kind = error["type"]
    if kind == "missing":
        return "missing (this key is required)"
    if kind == "extra_forbidden" and loc in RETIRED:
        return f"no longer a rule-file key, delete it: {RETIRED[loc]}"
    if kind == "extra_forbidden":
        return "unknown key (check the spelling; see rules/schema.json)"
    msg = str(error["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        msg = msg.removeprefix(prefix)
    if kind in ("decimal_parsing", "decimal_type", "int_parsing", "int_type"):
        msg = f"expected a number, got {_short(error.get('input'))}"
    bound = _BOUNDS.get(kind)
    if bound is not None:  # pydantic writes the bound as Decimal('1000000000000000')
        words, key = bound
        limit: object = error.get("ctx", {}).get(key)
        if isinstance(limit, (int, Decimal)):
            number = Decimal(limit)
            shown = f"{number:,}" if abs(number) >= 10_000 else str(number)  # not 2,100
            msg = f"Input should be {words} {shown}, got {_short_number(error.get('input'))}"
    return msg


_BOUNDS = {
    "less_than": ("less than", "lt"),
    "less_than_equal": ("less than or equal to", "le"),
    "greater_than": ("greater than", "gt"),
    "greater_than_equal": ("greater than or equal to", "ge"),
}


def _short_number(value: object) -> str:
    if isinstance(value, (int, Decimal)):
        text = str(value)
        return text if len(text) <= 40 else f"{Decimal(value):.3E}"
    return _short(value)


def _clean_loc(loc: tuple[Any, ...]) -> KeyPath:
    # Pydantic puts validator names such as 'function-after[...]' into locations.
    return tuple(p for p in loc if isinstance(p, int) or not str(p).startswith("function-"))


# --- extends ---------------------------------------------------------------------------

OWN_KEYS = ("year", "status", "last_verified")  # never inherited


@dataclass(frozen=True)
class _Source:
    data: dict[str, Any]
    origins: Origins
    files: tuple[Path, ...]  # the files it inherits from, nearest first


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _check_extending(data: dict[str, Any], lines: dict[KeyPath, int], where: str) -> int:
    """The year a file extends, after checking what such a file must still state."""
    line = lines.get(("extends",), 1)
    base = data["extends"]
    if isinstance(base, bool) or not isinstance(base, int):
        raise RulesError(
            f"{where}:{line} extends: expected the tax year this file builds on, "
            f"such as 2025, got {_short(base)}"
        )
    for key in OWN_KEYS:
        if key not in data:
            raise RulesError(
                f"{where}:1 {key}: missing (a file that extends another states its own {key})"
            )
    year = data["year"]
    if isinstance(year, int) and not isinstance(year, bool) and base >= year:
        raise RulesError(f"{where}:{line} extends: {base} is not before {year}")
    for section, body in data.items():
        if isinstance(body, dict) and set(body) - {"reference"} and "reference" not in body:
            raise RulesError(
                f"{where}:{lines.get((section,), 1)} {section}.reference: missing (this file "
                f"changes {section}, so it cites the source of its new figures)"
            )
    return base


def _search_path_finder(jurisdiction: str, year: int) -> Path:
    return find_rule_file(year, jurisdiction).path


def _parent_file(
    path: Path | None, jurisdiction: str, year: int, find: ParentFinder, at: str
) -> Path:
    try:
        return parent_rule_file(path, jurisdiction, year, find)
    except RulesError:
        raise RulesError(
            f"{at} extends: no rule file {jurisdiction}/{year}.yaml next to this file "
            "or on the rules search path"
        ) from None


def _read_source(
    text: str,
    where: str,
    path: Path | None,
    parent: AnyRules | None,
    find: ParentFinder,
    chain: tuple[Path, ...] = (),
    read: TextReader = _read_text,
) -> _Source:
    data, lines = read_yaml_with_lines(text, where)
    if not isinstance(data, dict):
        raise RulesError(f"{where}:1 (top level): expected a mapping of rule sections")
    origins: Origins = {key: (where, line) for key, line in lines.items()}
    if "extends" not in data:
        return _Source(data, origins, ())
    year = _check_extending(data, lines, where)
    at = f"{where}:{lines.get(('extends',), 1)}"
    jurisdiction = str(data.get("jurisdiction") or (path.parent.name if path else "us"))
    if parent is not None:
        base = _Source(parent.model_dump(mode="python"), {}, parent.inherits_from)
        base_files: tuple[Path, ...] = (parent.path,) if parent.path else ()
    else:
        parent_path = _parent_file(path, jurisdiction, year, find, at)
        if parent_path.resolve() in chain:  # files whose own years disagree with their names
            raise RulesError(f"{at} extends: {parent_path} leads back to this file")
        base = _read_file(parent_path, find, chain, read)
        base_files = (parent_path,)
    if base.data.get("year") != year:
        raise RulesError(f"{at} extends: {base_files[0] if base_files else year} is not {year}")
    if base.data.get("jurisdiction") != jurisdiction:
        raise RulesError(
            f"{at} extends: {base.data.get('jurisdiction')} rules, not {jurisdiction} ones"
        )
    merged = _merge(base.data, {k: v for k, v in data.items() if k != "extends"})
    return _Source(merged, {**base.origins, **origins}, base_files + base.files)


def _read_file(
    path: Path, find: ParentFinder, chain: tuple[Path, ...] = (), read: TextReader = _read_text
) -> _Source:
    try:
        text = read(path)
    except FileNotFoundError:
        raise RulesError(f"{path}: no such rule file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesError(f"{path}: cannot read: {exc}") from None
    return _read_source(text, _where(path), path, None, find, (*chain, path.resolve()), read)


def _named_key(loc: KeyPath, message: str, origins: Origins) -> tuple[KeyPath, str]:
    """A check across keys (a model validator: pydantic gives it the location of the
    section, or none) starts its message with the key it is about, ``base: ...`` or
    ``rate: ...``; point at that key's line when the file has it."""
    key, sep, rest = message.partition(": ")
    if not sep or (*loc, key) not in origins:
        return loc, message  # a key the file lacks: the message names it, where it goes
    return (*loc, key), rest


def _validate(source: _Source, path: Path | None) -> AnyRules:
    try:
        rules = model_for(source.data.get("jurisdiction")).model_validate(source.data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = _clean_loc(tuple(first["loc"]))
        message = _message(dict(first), loc)
        loc, message = _named_key(loc, message, source.origins)
        where, line = _origin(loc, source.origins)
        label = f"{_dotted(loc)}: " if loc or ": " not in message else ""
        raise RulesError(f"{where}:{line} {label}{message}") from None
    rules._path = path
    rules._inherits_from = source.files
    return rules


def parse_rules_text(
    text: str,
    where: str = "<rules>",
    path: Path | None = None,
    parent: AnyRules | None = None,
) -> AnyRules:
    """Validate rule-file text (federal rules, or a state's: ``StateRules``). Raises
    ``RulesError`` with ``where:line key.path: message``.

    ``parent`` is the rules an ``extends`` refers to, for text not (yet) in a folder;
    otherwise the file is looked up next to ``path``, then on the rules search path.
    """
    return _validate(_read_source(text, where, path, parent, _search_path_finder), path)


def parse_rules_file(
    path: Path | str, find_parent: ParentFinder | None = None, read: TextReader | None = None
) -> AnyRules:
    """Read and validate one rule file (and any file it extends): ``Rules``, or
    ``StateRules`` for a state's file.

    ``read`` reads each file's text (``rulebook.cache`` passes one that also records what
    it read, so a cache entry describes exactly the bytes that were validated).
    """
    path = Path(path)
    source = _read_file(path, find_parent or _search_path_finder, (), read or _read_text)
    return _validate(source, path)
