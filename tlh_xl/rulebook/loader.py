"""Reading rule files: safe YAML, exact decimals, line numbers, one-line errors.

YAML is parsed with PyYAML's ``SafeLoader`` (no arbitrary objects). We compose the node
tree first so that we know the line of every key, refuse duplicate keys (PyYAML would
silently keep the last), and turn every float literal into a ``Decimal`` built from its
text, so ``0.22`` is exactly 0.22. Pydantic then validates the data against
``model.Rules``; each of its errors is mapped back to ``file:line key.path: message``.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ..errors import RulesError
from .model import Rules

__all__ = ["parse_rules_file", "parse_rules_text", "read_yaml_with_lines"]

KeyPath = tuple[str | int, ...]


class _DecimalSafeLoader(yaml.SafeLoader):
    """SafeLoader that reads floats as Decimal."""


def _construct_decimal(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    text = str(loader.construct_scalar(node)).replace("_", "")
    try:
        return Decimal(text)
    except ArithmeticError:  # .inf, .nan: let validation reject them
        return float(loader.construct_yaml_float(node))


_DecimalSafeLoader.add_constructor("tag:yaml.org,2002:float", _construct_decimal)


def _where(path: Path | str) -> str:
    return str(path)


def _walk(node: yaml.Node, path: KeyPath, lines: dict[KeyPath, int], where: str) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            line = key_node.start_mark.line + 1
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
    """Parse YAML safely; return the data and the line of every key path."""
    try:
        loader = _DecimalSafeLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                raise RulesError(f"{where}:1 (top level): the file is empty")
            lines: dict[KeyPath, int] = {}
            _walk(node, (), lines, where)
            data = loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.context_mark is not None and exc.context_mark.line + 1 != line:
            # e.g. "while parsing a flow sequence": point at where the construct began too
            what = exc.context.removeprefix("while parsing ")
            problem += f" (in {what} started on line {exc.context_mark.line + 1})"
        raise RulesError(f"{where}:{line} YAML syntax error: {problem}") from None
    except yaml.YAMLError as exc:
        raise RulesError(f"{where}: YAML error: {exc}") from None
    return data, lines


def _line_for(loc: KeyPath, lines: dict[KeyPath, int]) -> int:
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return 1


def _message(error: dict[str, Any]) -> str:
    kind = error["type"]
    if kind == "missing":
        return "missing (this key is required)"
    if kind == "extra_forbidden":
        return "unknown key (check the spelling; see rules/schema.json)"
    msg = str(error["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        msg = msg.removeprefix(prefix)
    if kind in ("decimal_parsing", "decimal_type", "int_parsing", "int_type"):
        msg = f"expected a number, got {error.get('input')!r}"
    return msg


def _clean_loc(loc: tuple[Any, ...]) -> KeyPath:
    # Pydantic puts validator names such as 'function-after[...]' into locations.
    return tuple(p for p in loc if isinstance(p, int) or not str(p).startswith("function-"))


def parse_rules_text(text: str, where: str = "<rules>", path: Path | None = None) -> Rules:
    """Validate rule-file text. Raises ``RulesError`` with ``where:line key.path: message``."""
    data, lines = read_yaml_with_lines(text, where)
    if not isinstance(data, dict):
        raise RulesError(f"{where}:1 (top level): expected a mapping of rule sections")
    try:
        rules = Rules.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = _clean_loc(tuple(first["loc"]))
        line = _line_for(loc, lines)
        raise RulesError(f"{where}:{line} {_dotted(loc)}: {_message(dict(first))}") from None
    rules._path = path
    return rules


def parse_rules_file(path: Path | str) -> Rules:
    """Read and validate one rule file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RulesError(f"{path}: no such rule file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesError(f"{path}: cannot read: {exc}") from None
    return parse_rules_text(text, _where(path), path)
