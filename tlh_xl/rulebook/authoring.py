"""Authoring rule files: project next year, write YAML, compare two years.

``project`` indexes the amounts of every section whose ``indexing`` the rule file gives
(ordinary brackets, capital-gain breakpoints, the standard deduction): the increase
``amount × inflation`` is rounded *down* to the multiple the section names for each
filing status, as IRC §1(f)(7) prescribes. The file is the only source of what is
indexed: the NIIT thresholds are copied because the file says ``niit.indexing: null``
(§1411(b)), and would be projected if it gave ``indexing``. Amounts with no ``indexing``
in the model (the $3,000 loss limit of §1211(b), the rates) are copied. The result is
marked ``projected`` with no ``last_verified`` date until someone checks it against the
new Revenue Procedure.

A state's file (``StateRules``) is projected the same way: its sections that give
``indexing`` are indexed, the rest copied, and the notes say to replace the figures with
the state's own for the new year. The shipped state files index nothing (the states'
rounding rules are not verified; see ``docs/STATE_TAX.md``), so their projection is the
last published figures, marked projected.
"""

from __future__ import annotations

import json
import re
import types
import typing
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from pydantic import BaseModel, ValidationError

from ..errors import RulesError
from ..filing_status import FILING_STATUSES
from .loader import _message, parse_rules_text
from .model import Indexing, Rules
from .state_model import AnyRules, StateRules

__all__ = ["diff_rules", "dump_extending", "dump_rules", "project"]

SCHEMA_LINE = "# yaml-language-server: $schema=../schema.json"


def _indexed(amount: Decimal, inflation: Decimal, multiple: Decimal) -> Decimal:
    increase = amount * inflation
    steps = (increase / multiple).to_integral_value(rounding=ROUND_FLOOR)
    return amount + steps * multiple


def _index_by_status(values: dict[str, Any], indexing: Indexing, inflation: Decimal) -> None:
    for status in FILING_STATUSES:
        multiple = indexing.multiple.of(status)
        current = values[status]
        if isinstance(current, list):
            values[status] = [
                _indexed(Decimal(v), inflation, multiple) if v else v for v in current
            ]
        else:
            values[status] = _indexed(Decimal(current), inflation, multiple)


def _section_model(kind: Any) -> type[BaseModel] | None:
    """The model of a section's field type: ``X``, or ``X`` in an optional ``X | None``."""
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        models = [k for k in typing.get_args(kind) if k is not type(None)]
        kind = models[0] if len(models) == 1 else None
    return kind if isinstance(kind, type) and issubclass(kind, BaseModel) else None


def _indexable_sections(model: type[BaseModel]) -> tuple[str, ...]:
    """The sections whose model has ``indexing`` (required, or null when not indexed)."""
    out = []
    for name, info in model.model_fields.items():
        section = _section_model(info.annotation)
        if section is not None and "indexing" in section.model_fields:
            out.append(name)
    return tuple(out)


INDEXABLE_SECTIONS = _indexable_sections(Rules)
STATE_INDEXABLE_SECTIONS = _indexable_sections(StateRules)


def project(rules: AnyRules, year: int, inflation: Decimal) -> AnyRules:
    """Next year's rules from this year's, with indexed amounts grown by ``inflation``."""
    data = rules.model_dump(mode="python")
    data["year"] = year
    data["status"] = "projected"
    data["last_verified"] = None
    state = isinstance(rules, StateRules)
    if state:
        source = "the state's own published figures"
        data["notes"] = (
            f"Projected by 'tlh-xl rules new {year} --from {rules.year} --inflation "
            f"{inflation}'. Sections without indexing are copied. Replace every amount with "
            f"{source} for {year}, update the references, then set status: official and "
            "last_verified."
        )
    else:
        source = f"the Revenue Procedure for {year}"
        data["notes"] = (
            f"Projected by 'tlh-xl rules new {year} --from {rules.year} --inflation "
            f"{inflation}'. Replace every indexed amount with the figures of the IRS "
            f"Revenue Procedure for {year}, update the references, then set status: "
            "official and last_verified."
        )
    for name in STATE_INDEXABLE_SECTIONS if state else INDEXABLE_SECTIONS:
        section = getattr(rules, name)
        if section is None:  # a state without this mechanic
            continue
        indexing: Indexing | None = section.indexing
        if indexing is None:  # niit: §1411(b) does not index its thresholds
            continue
        _index_by_status(data[name][type(section).INDEXED], indexing, inflation)
        data[name]["reference"] = [
            *data[name]["reference"],
            {"title": f"PROJECTED for {year}: replace with {source}", "href": None},
        ]
    try:
        return type(rules).model_validate(data)
    except ValidationError as exc:  # an amount grown past the bounds a rule file keeps
        first = exc.errors()[0]
        key = ".".join(str(part) for part in first["loc"] if not str(part).startswith("function-"))
        raise RulesError(
            f"rules new {year}: the projected {key} is not a value a rule file may hold "
            f"({_message(dict(first), tuple(first['loc']))}); check --inflation and the "
            f"{rules.year} figures"
        ) from None


# --- YAML writing ------------------------------------------------------------------------

_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_ .,()/§'-]*$")


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        if value == value.to_integral_value() and abs(value) >= 1000:
            return f"{int(value):_}"
        if value == value.to_integral_value():
            return str(int(value))
        text = format(value.normalize(), "f")
        return text if "." in text else text + ".0"
    if isinstance(value, int):  # years, days, hours: no digit separators
        return str(value)
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    text = str(value)
    reserved = text.lower() in ("null", "true", "false", "yes", "no", "on", "off", "~")
    if _PLAIN.match(text) and not reserved and ": " not in text and not text.endswith(":"):
        return text
    return json.dumps(text, ensure_ascii=False)


def _is_flat(value: Any) -> bool:
    return isinstance(value, list) and all(not isinstance(v, (dict, list)) for v in value)


def _lines(value: Any, indent: int) -> list[str]:
    pad = " " * indent
    out: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if item is None and key in ("href",):
                continue
            if (
                isinstance(item, dict)
                and item
                and all(not isinstance(v, (dict, list)) for v in item.values())
                and key in ("crypto", "nft", "nft_collectible", "security", "multiple", "count")
            ):
                inner = ", ".join(f"{k}: {_scalar(v)}" for k, v in item.items())
                out.append(f"{pad}{key}: {{{inner}}}")
            elif isinstance(item, dict):
                out.append(f"{pad}{key}:")
                out += _lines(item, indent + 2)
            elif _is_flat(item):
                out.append(f"{pad}{key}: [{', '.join(_scalar(v) for v in item)}]")
            elif isinstance(item, list):
                out.append(f"{pad}{key}:")
                out += _lines(item, indent + 2)
            else:
                out.append(f"{pad}{key}: {_scalar(item)}")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict):
                nested = _lines(item, indent + 2)
                out.append(f"{pad}- {nested[0].strip()}")
                out += nested[1:]
            elif _is_flat(item):
                out.append(f"{pad}- [{', '.join(_scalar(v) for v in item)}]")
            else:
                out.append(f"{pad}- {_scalar(item)}")
    return out


def _yaml_text(head: list[str], data: dict[str, Any]) -> str:
    body: list[str] = []
    for key, value in data.items():
        if isinstance(value, dict):
            body.append("")
        body += _lines({key: value}, 0)
    return "\n".join(head + body) + "\n"


def _kind(rules: AnyRules) -> str:
    return "state" if isinstance(rules, StateRules) else "federal"


def dump_rules(rules: AnyRules) -> str:
    """The rule file as YAML, laid out like the shipped ones; it loads back equal."""
    head = [
        SCHEMA_LINE,
        f"# {rules.jurisdiction.upper()} {_kind(rules)} rules for tax year {rules.year} "
        f"({rules.status}). Thresholds are taxable income at which each rate starts.",
    ]
    text = _yaml_text(head, rules.model_dump(mode="python"))
    parse_rules_text(text, "<generated>")  # never write a file the loader would refuse
    return text


_SAME = object()


def _changes(base: Any, new: Any) -> Any:
    """The part of ``new`` that differs from ``base`` (``_SAME`` if nothing does)."""
    if isinstance(base, dict) and isinstance(new, dict):
        out = {k: c for k, v in new.items() if (c := _changes(base.get(k), v)) is not _SAME}
        return out or _SAME
    return _SAME if base == new else new


def dump_extending(parent: AnyRules, rules: AnyRules) -> str:
    """``rules`` as a file that ``extends`` ``parent`` and lists only what differs.

    Each section that changes restates its ``reference``. The text is checked to load
    back equal to ``rules`` before it is returned.
    """
    base, full = parent.model_dump(mode="python"), rules.model_dump(mode="python")
    data: dict[str, Any] = {"extends": parent.year}
    # A state's file names its jurisdiction even when it extends: an editor picks the
    # state's schema by it (rules/schema.json).
    own = ("jurisdiction",) if isinstance(rules, StateRules) else ()
    data |= {key: full[key] for key in (*own, "year", "status", "last_verified")}
    for key, value in full.items():
        if key in data:
            continue
        changed = _changes(base[key], value)
        if changed is _SAME:
            continue
        if isinstance(changed, dict) and "reference" in value:
            changed = {"reference": value["reference"], **changed}
        data[key] = changed
    head = [
        SCHEMA_LINE,
        f"# {rules.jurisdiction.upper()} {_kind(rules)} rules for tax year {rules.year} "
        f"({rules.status}): what changed from {parent.year}; the rest is {parent.year}'s.",
    ]
    text = _yaml_text(head, data)
    again = parse_rules_text(text, "<generated>", parent=parent)
    if again.model_dump() != full:
        raise AssertionError("the file written would not load back equal")  # a bug here
    return text


# --- comparing --------------------------------------------------------------------------


def _flatten(value: Any, prefix: str, out: dict[str, Any], with_sources: bool) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if not with_sources and key in ("reference", "notes"):
                continue
            _flatten(item, f"{prefix}.{key}" if prefix else key, out, with_sources)
    elif isinstance(value, list) and value and not isinstance(value[0], (dict, list)):
        for i, item in enumerate(value):
            out[f"{prefix}[{i}]"] = item
    else:
        out[prefix] = value


def diff_rules(a: AnyRules, b: AnyRules, with_sources: bool = False) -> list[tuple[str, Any, Any]]:
    """(key path, value in a, value in b) for every value that differs."""
    fa: dict[str, Any] = {}
    fb: dict[str, Any] = {}
    _flatten(a.model_dump(mode="python"), "", fa, with_sources)
    _flatten(b.model_dump(mode="python"), "", fb, with_sources)
    keys = list(fa) + [k for k in fb if k not in fa]
    return [(k, fa.get(k), fb.get(k)) for k in keys if fa.get(k) != fb.get(k)]
