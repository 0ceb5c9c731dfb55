"""Rule files that ``extends`` an earlier year and give only what changed."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import jsonschema
import pytest
import yaml

from tlh_xl import RulesError, compute_tax, load_rules
from tlh_xl.rulebook import parse_rules_file
from tlh_xl.rulebook.authoring import dump_extending
from tlh_xl.rulebook.schema import rules_json_schema

from .conftest import RULES
from .test_rules_schema import _plain

# Sibling files resolve first, so these tests never reach the user's own rules folder.
DELTA_2027 = """\
extends: 2026
year: 2027
status: projected
last_verified: null

standard_deduction:
  reference:
    - title: Rev. Proc. 2026-XX, standard deduction (test figures)
  amount:
    single: 16_500
"""


def _folder(tmp_path: Path, *years: int) -> Path:
    """A rules folder holding copies of the shipped files for ``years``."""
    (tmp_path / "us").mkdir(parents=True, exist_ok=True)
    for year in years:
        shutil.copy(RULES / "us" / f"{year}.yaml", tmp_path / "us" / f"{year}.yaml")
    return tmp_path / "us"


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_a_year_written_as_changes_loads_equal_to_the_full_file(tmp_path: Path, year) -> None:
    full = load_rules(year)
    text = dump_extending(load_rules(year - 1), full)
    folder = _folder(tmp_path, year - 1)
    (folder / f"{year}.yaml").write_text(text, encoding="utf-8")
    loaded = parse_rules_file(folder / f"{year}.yaml")
    assert loaded.model_dump() == full.model_dump()
    assert loaded.inherits_from == (folder / f"{year - 1}.yaml",)
    # Only what changed is written: far shorter than the full file.
    shipped = (RULES / "us" / f"{year}.yaml").read_text(encoding="utf-8")
    assert len(text.splitlines()) < len(shipped.splitlines()) / 2


def test_2026_as_changes_lists_brackets_breakpoints_and_deductions_only() -> None:
    data = yaml.safe_load(dump_extending(load_rules(2025), load_rules(2026)))
    sections = {k for k, v in data.items() if isinstance(v, dict)}
    assert sections == {"ordinary_income", "capital_gains", "standard_deduction"}
    assert set(data["ordinary_income"]) == {"reference", "thresholds"}  # rates unchanged
    assert data["extends"] == 2025 and data["year"] == 2026


def test_a_chain_of_years(tmp_path: Path) -> None:
    folder = _folder(tmp_path, 2024)
    for year in (2025, 2026):
        parent = parse_rules_file(folder / f"{year - 1}.yaml")
        text = dump_extending(parent, load_rules(year))
        (folder / f"{year}.yaml").write_text(text, encoding="utf-8")
    rules = load_rules(2026, rules_dir=tmp_path)
    assert rules.model_dump() == load_rules(2026).model_dump()
    assert rules.inherits_from == (folder / "2025.yaml", folder / "2024.yaml")


def test_a_change_merges_by_key_and_the_rest_is_inherited(tmp_path: Path) -> None:
    folder = _folder(tmp_path, 2026)
    (folder / "2027.yaml").write_text(DELTA_2027, encoding="utf-8")
    rules = load_rules(2027, rules_dir=tmp_path)
    old = load_rules(2026)
    assert rules.standard_deduction.amount.single == 16_500
    # The other statuses of the same mapping are inherited, and so is every other section.
    assert (
        rules.standard_deduction.amount.married_joint == old.standard_deduction.amount.married_joint
    )
    assert rules.ordinary_income == old.ordinary_income
    assert rules.standard_deduction.reference[0].title.startswith("Rev. Proc. 2026-XX")
    # 100,000 − 16,500 = 83,500 taxable: 10% × 12,400 + 12% × 38,000 + 22% × 33,100
    # = 1,240 + 4,560 + 7,282 = 13,082.
    tax = compute_tax(rules, filing_status="single", ordinary_income=100_000)
    assert tax.total_tax == 13_082


def test_the_parent_can_come_from_the_search_path(tmp_path: Path, monkeypatch) -> None:
    """A user's 2027 file extends the shipped 2026 one."""
    (tmp_path / "us").mkdir()
    (tmp_path / "us" / "2027.yaml").write_text(DELTA_2027, encoding="utf-8")
    monkeypatch.setenv("TLH_RULES_DIR", str(tmp_path))
    rules = load_rules(2027)
    assert rules.inherits_from == (RULES / "us" / "2026.yaml",)
    assert rules.niit == load_rules(2026).niit


def test_a_cached_load_sees_a_change_to_the_parent(tmp_path: Path) -> None:
    folder = _folder(tmp_path, 2026)
    (folder / "2027.yaml").write_text(DELTA_2027, encoding="utf-8")
    assert load_rules(2027, rules_dir=tmp_path).capital_loss.limit.single == 3_000
    parent = folder / "2026.yaml"
    parent.write_text(
        parent.read_text(encoding="utf-8").replace("single: 3_000", "single: 3_500"),
        encoding="utf-8",
    )
    later = parent.stat().st_mtime + 5
    os.utime(parent, (later, later))
    assert load_rules(2027, rules_dir=tmp_path).capital_loss.limit.single == 3_500


BAD = {
    "extends is not a year": (
        ("extends: 2026", "extends: last year"),
        "2027.yaml:1 extends: expected the tax year this file builds on",
    ),
    "extends a later year": (("extends: 2026", "extends: 2028"), "extends: 2028 is not before"),
    "no status of its own": (("status: projected\n", ""), "2027.yaml:1 status: missing"),
    "no year of its own": (("year: 2027\n", ""), "2027.yaml:1 year: missing"),
    "a change without its source": (
        ("  reference:\n    - title: Rev. Proc. 2026-XX, standard deduction (test figures)\n", ""),
        "2027.yaml:6 standard_deduction.reference: missing (this file changes",
    ),
    "no such parent": (("extends: 2026", "extends: 2019"), "extends: no rule file us/2019.yaml"),
    "a bad changed value": (
        ("    single: 16_500", "    single: -5"),
        "2027.yaml:10 standard_deduction.amount.single:",
    ),
}


@pytest.mark.parametrize("defect", sorted(BAD))
def test_bad_extending_files_exit_2_with_one_line(tmp_path: Path, run_cli, defect) -> None:
    (old, new), expected = BAD[defect]
    folder = _folder(tmp_path, 2026)
    assert old in DELTA_2027
    path = folder / "2027.yaml"
    path.write_text(DELTA_2027.replace(old, new), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "TLH_RULES_DIR"}
    env["XDG_CONFIG_HOME"] = env["APPDATA"] = str(tmp_path / "no-user-rules")
    result = run_cli("rules", "check", str(path), env=env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert expected in lines[0], lines[0]


def test_an_error_in_an_inherited_value_names_the_parents_line(tmp_path: Path) -> None:
    folder = _folder(tmp_path, 2026)
    parent = folder / "2026.yaml"
    text = parent.read_text(encoding="utf-8")
    assert "  rate: 0.038" in text
    parent.write_text(text.replace("  rate: 0.038", "  rate: 3.8"), encoding="utf-8")
    line = text.splitlines().index("  rate: 0.038") + 1
    (folder / "2027.yaml").write_text(DELTA_2027, encoding="utf-8")
    with pytest.raises(RulesError, match=rf"^{parent}:{line} niit\.rate: "):
        parse_rules_file(folder / "2027.yaml")


def test_the_schema_accepts_a_file_of_changes_and_keeps_its_rules() -> None:
    schema = rules_json_schema()
    changes = _plain(yaml.safe_load(dump_extending(load_rules(2025), load_rules(2026))))
    jsonschema.validate(changes, schema)
    jsonschema.validate(_plain(yaml.safe_load(DELTA_2027)), schema)
    without_year = {k: v for k, v in changes.items() if k != "year"}
    without_source = {**changes, "standard_deduction": {"amount": {"single": 1}}}
    misspelt = {**changes, "niit": {"reference": [{"title": "x"}], "rat": 0.038}}
    for bad in (without_year, without_source, misspelt):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema)
    # A file without 'extends' must still be whole.
    whole = _plain(yaml.safe_load((RULES / "us" / "2026.yaml").read_text(encoding="utf-8")))
    del whole["niit"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(whole, schema)


def test_rules_new_extends_writes_only_the_changes(tmp_path: Path, run_cli) -> None:
    env = {k: v for k, v in os.environ.items() if k != "TLH_RULES_DIR"}
    r = run_cli(
        "rules", "new", "2027", "--from", "2026", "--extends", "--rules-dir", str(tmp_path), env=env
    )
    assert r.returncode == 0, r.stderr
    path = tmp_path / "us" / "2027.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["extends"] == 2026 and "niit" not in data and "capital_loss" not in data
    check = run_cli("rules", "check", str(path), env=env)
    assert check.returncode == 0, check.stderr
    show = run_cli("rules", "show", "2027", "--rules-dir", str(tmp_path), env=env)
    assert show.returncode == 0 and f"extends {RULES / 'us' / '2026.yaml'}" in show.stdout
    listed = run_cli("rules", "list", "--rules-dir", str(tmp_path), env=env)
    assert f"2027  us    projected  -           --rules-dir    2026     {path}" in listed.stdout
    # The same projection written whole loads equal.
    whole = run_cli(
        "rules", "new", "2027", "--from", "2026", "--rules-dir", str(tmp_path / "w"), env=env
    )
    assert whole.returncode == 0, whole.stderr
    assert (
        load_rules(2027, rules_dir=tmp_path).model_dump()
        == load_rules(2027, rules_dir=tmp_path / "w").model_dump()
    )


def test_files_that_extend_each_other_in_a_circle_are_refused(tmp_path: Path) -> None:
    """Each file's year disagrees with its name, so 'an earlier year' alone cannot stop
    the circle: 2025.yaml says 2030 and extends 2026; 2026.yaml says 2027 and extends 2025."""
    folder = tmp_path / "us"
    folder.mkdir()
    body = "status: projected\nlast_verified: null\n"
    (folder / "2025.yaml").write_text(f"extends: 2026\nyear: 2030\n{body}", encoding="utf-8")
    (folder / "2026.yaml").write_text(f"extends: 2025\nyear: 2027\n{body}", encoding="utf-8")
    with pytest.raises(RulesError, match="extends: .*2025.yaml leads back to this file"):
        parse_rules_file(folder / "2025.yaml")
