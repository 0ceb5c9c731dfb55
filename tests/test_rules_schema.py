"""rules/schema.json stays in step with the loader's model and accepts the shipped files."""

from __future__ import annotations

import datetime as dt
import json

import jsonschema
import pytest
import yaml

from tlh_xl.rulebook.schema import rules_json_schema, rules_json_schema_text

from .conftest import RULES


def test_schema_file_is_generated_from_the_model() -> None:
    assert (RULES / "schema.json").read_text(encoding="utf-8") == rules_json_schema_text(), (
        "regenerate: python -m tlh_xl.rulebook.schema > rules/schema.json"
    )


def _plain(value):  # YAML dates → ISO text, as a JSON validator sees them
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


@pytest.mark.parametrize("path", sorted((RULES / "us").glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_files_validate_against_the_schema(path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=../schema.json")
    jsonschema.validate(_plain(yaml.safe_load(text)), rules_json_schema())


def test_schema_rejects_what_the_loader_rejects() -> None:
    data = _plain(yaml.safe_load((RULES / "us" / "2025.yaml").read_text(encoding="utf-8")))
    data["capital_gains"]["colectibles_rate"] = 0.28
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, rules_json_schema())
    json.dumps(rules_json_schema())  # serializable
