"""The JSON Schema of a rule file, generated from ``model.Rules`` and
``state_model.StateRules``.

Shipped as ``rules/schema.json``; every rule file's first line points editors at it
(``# yaml-language-server: $schema=../schema.json``), so VS Code's YAML extension
validates and completes as you type. Regenerate after changing the model:

    python -m tlh_xl.rulebook.schema > rules/schema.json
"""

from __future__ import annotations

import copy
import json
from typing import Any

from pydantic import BaseModel

from .loader import OWN_KEYS
from .model import Rules
from .state_model import StateRules

__all__ = ["rules_json_schema", "rules_json_schema_text"]

_REF = "#/$defs/"


def _partial_ref(node: dict[str, Any]) -> dict[str, Any]:
    """A property's schema in a file that extends another: mappings may be partial."""
    if "$ref" in node:
        return {**node, "$ref": _REF + "Partial" + node["$ref"].removeprefix(_REF)}
    if "anyOf" in node:
        return {**node, "anyOf": [_partial_ref(n) for n in node["anyOf"]]}
    return node  # lists and scalars replace the inherited value whole: full schema


def _partial(node: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(node)
    out.pop("required", None)
    if "properties" in out:
        out["properties"] = {k: _partial_ref(v) for k, v in out["properties"].items()}
    return out


def _kind_schema(model: type[BaseModel]) -> tuple[dict[str, Any], dict[str, Any], str | None]:
    """One model's definitions, the schema of its files (full, or partial when the file
    says ``extends``), and its description."""
    full = model.model_json_schema()
    defs: dict[str, Any] = full.pop("$defs")
    description = full.pop("description", None)
    partial_defs = {"Partial" + name: _partial(body) for name, body in defs.items()}
    # Sections (their schema has a ``reference``) a file changes restate their sources.
    sections = {
        key
        for key, value in full["properties"].items()
        if "reference" in defs.get(_section_ref(value).removeprefix(_REF), {}).get("properties", {})
    }
    restated = {"anyOf": [{"required": ["reference"]}, {"maxProperties": 0}]}
    extending = _partial(full)
    extending["properties"] = {
        "extends": {
            "type": "integer",
            "description": "The tax year this file builds on; what it does not give is "
            "inherited from that year's file.",
        },
        **{
            key: {"allOf": [value, restated]} if key in sections else value
            for key, value in extending["properties"].items()
        },
    }
    extending["required"] = ["extends", *OWN_KEYS]
    schema = {"if": {"required": ["extends"]}, "then": extending, "else": full}
    return {**defs, **partial_defs}, schema, description


def _section_ref(node: dict[str, Any]) -> str:
    """The definition a section's schema points at; an optional section (``X | None``,
    a state's ``surtax``) points at it from inside ``anyOf``."""
    if "$ref" in node:
        return str(node["$ref"])
    refs = [n["$ref"] for n in node.get("anyOf", []) if "$ref" in n]
    return str(refs[0]) if refs else ""


def rules_json_schema() -> dict[str, Any]:
    """The schema of a rule file: a federal one (``model.Rules``), or a state's
    (``state_model.StateRules``) when its ``jurisdiction`` is a state's folder
    (``us-ca``); either full, or, when the file says ``extends``, giving only what
    changed (see ``loader``). An extending state file states its ``jurisdiction`` so
    that an editor can tell which schema applies."""
    federal_defs, federal, description = _kind_schema(Rules)
    state_defs, state, _ = _kind_schema(StateRules)
    for name in federal_defs.keys() & state_defs.keys():  # shared models: the same schema
        assert federal_defs[name] == state_defs[name], f"two different models named {name}"
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "tlh-xl rule file",
        "description": (
            "One jurisdiction's tax rules for one year (rules/<jurisdiction>/<year>.yaml): "
            "federal (rules/us/), or a state's (rules/us-<st>/, jurisdiction: us-<st>). "
            "Every section cites its legal source under 'reference'. A file with "
            "'extends: YEAR' gives only what changed from that year."
            + (f" {description}" if description else "")
        ),
        "$defs": {**federal_defs, **state_defs},
        "if": {
            "required": ["jurisdiction"],
            "properties": {"jurisdiction": {"type": "string", "pattern": "^us-"}},
        },
        "then": state,
        "else": federal,
    }


def rules_json_schema_text() -> str:
    return json.dumps(rules_json_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    print(rules_json_schema_text(), end="")
