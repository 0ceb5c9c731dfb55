"""The JSON Schema of a rule file, generated from ``model.Rules``.

Shipped as ``rules/schema.json``; every rule file's first line points editors at it
(``# yaml-language-server: $schema=../schema.json``), so VS Code's YAML extension
validates and completes as you type. Regenerate after changing the model:

    python -m tlh_xl.rulebook.schema > rules/schema.json
"""

from __future__ import annotations

import json
from typing import Any

from .model import Rules

__all__ = ["rules_json_schema", "rules_json_schema_text"]


def rules_json_schema() -> dict[str, Any]:
    schema = Rules.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "tlh-xl rule file"
    schema["description"] = (
        "One jurisdiction's tax rules for one year (rules/<jurisdiction>/<year>.yaml). "
        "Every section cites its legal source under 'reference'."
    )
    return schema


def rules_json_schema_text() -> str:
    return json.dumps(rules_json_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    print(rules_json_schema_text(), end="")
