"""State rule files (rules/us-<st>/<year>.yaml) through the same machinery as federal
ones: the strict loader and its file:line errors, the JSON Schema, ``extends``, the cache,
``tlh-xl rules list/show/check/diff/new`` and ``tlh-xl tax --state``; and every value they
hold is read by some code."""

from __future__ import annotations

import datetime as dt
import inspect
import json
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from pydantic import BaseModel

from tlh_xl import FILING_STATUSES, RulesError, load_rules
from tlh_xl.cli import main
from tlh_xl.harvest import plan_harvest
from tlh_xl.rulebook import StateRules, cache, parse_rules_file, parse_rules_text, state_model
from tlh_xl.rulebook.authoring import diff_rules, dump_extending, dump_rules, project
from tlh_xl.rulebook.schema import rules_json_schema
from tlh_xl.rulebook.store import load_state_rules
from tlh_xl.tax import compute_state_tax

from .conftest import RULES

STATE_FILES = sorted(RULES.glob("us-*/*.yaml"))
CA_2025 = RULES / "us-ca" / "2025.yaml"


def _plain(value: Any) -> Any:  # YAML dates → ISO text, as a JSON validator sees them
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


# The states with an income tax or an excise, and those that tax no income at all.
TAXING = ("us-ca", "us-il", "us-mn", "us-nj", "us-pa", "us-wa")
NO_INCOME_TAX = ("us-ak", "us-fl", "us-nh", "us-nv", "us-sd", "us-tn", "us-tx", "us-wy")


def test_the_shipped_states_and_years() -> None:
    assert {(p.parent.name, p.stem) for p in STATE_FILES} == {
        (s, y) for s in TAXING + NO_INCOME_TAX for y in ("2025", "2026")
    }
    for path in STATE_FILES:
        rules = parse_rules_file(path)
        assert isinstance(rules, StateRules)
        assert (rules.jurisdiction, rules.year) == (path.parent.name, int(path.stem))
        # Every file says how far its figures were checked.
        assert rules.status in ("official", "projected", "unverified")
        assert rules.notes and (rules.status == "official") == (rules.last_verified is not None)


@pytest.mark.parametrize("path", STATE_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_state_files_validate_against_the_schema(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=../schema.json")
    jsonschema.validate(_plain(yaml.safe_load(text)), rules_json_schema())


def test_the_schema_tells_a_state_file_from_a_federal_one() -> None:
    data = _plain(yaml.safe_load(CA_2025.read_text(encoding="utf-8")))
    data["surtax"]["treshold"] = 1
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, rules_json_schema())
    federal = _plain(yaml.safe_load((RULES / "us" / "2025.yaml").read_text(encoding="utf-8")))
    federal["base"] = {"start": "federal_agi"}  # a state's section is not a federal key
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(federal, rules_json_schema())


# --- the strict loader -------------------------------------------------------------------


def _broken(tmp_path: Path, old: str, new: str, source: Path = CA_2025) -> Path:
    text = source.read_text(encoding="utf-8")
    assert old in text, old
    folder = tmp_path / source.parent.name
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / source.name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


@pytest.mark.parametrize(
    ("old", "new", "key", "message"),
    [
        ("  netting: one_class", "  netting: one_clas", "capital_loss.netting", "Input should be"),
        ("  indexing: null", "  indexin: null", "income_tax.indexin", "unknown key"),
        ("  threshold: 1_000_000", "  threshold: '1_000_000'", "surtax.threshold", "a number"),
        ("11_079, 26_264", "26_264, 11_079", "income_tax.thresholds.single", "must increase"),
        ("status: unverified", "status: verified", "status", "Input should be"),
        ("    reduction: 6", "    reduction: -6", "exemption_credit.phase_out.reduction", "0"),
    ],
)
def test_a_defect_is_named_by_file_line_and_key(
    tmp_path: Path, old: str, new: str, key: str, message: str
) -> None:
    path = _broken(tmp_path, old, new)
    with pytest.raises(RulesError) as info:
        parse_rules_file(path)
    text = str(info.value)
    line = _line_of(path, new.strip())
    assert text.startswith(f"{path}:{line} {key}: "), text
    assert message in text


MN_2025 = RULES / "us-mn" / "2025.yaml"


@pytest.mark.parametrize(
    ("old", "new", "key", "message"),
    [
        ("    rate: 0.03", "    rate: 0", "standard_deduction.reduction.rate", "must be more"),
        ("    most: 0.80", "    most: 1.5", "standard_deduction.reduction.most", "1"),
        (
            "  base: net_investment_income",
            "  base: net_investment_incom",
            "surtax.base",
            "'taxable_income' or 'net_investment_income'",
        ),
        (
            "      married_separate: 119_475",
            "      married_separate: -1",
            "standard_deduction.reduction.agi_over.married_separate",
            "0",
        ),
    ],
)
def test_a_defect_in_minnesotas_mechanics_is_named(
    tmp_path: Path, old: str, new: str, key: str, message: str
) -> None:
    """The shrinking deduction and the surtax on net investment income are read as
    strictly as the rest: the file, the line and the key."""
    path = _broken(tmp_path, old, new, MN_2025)
    with pytest.raises(RulesError) as info:
        parse_rules_file(path)
    text = str(info.value)
    line = _line_of(path, new.strip())
    assert text.startswith(f"{path}:{line} "), text
    assert key in text and message in text, text


def test_mechanics_that_do_not_fit_together_are_refused(tmp_path: Path) -> None:
    text = CA_2025.read_text(encoding="utf-8")
    path = tmp_path / "us-ca" / "2025.yaml"
    path.parent.mkdir()
    no_limit = text[: text.index("  limit:")] + text[text.index("  carryforward: true") :]
    both = text.replace("  rates: [", "  flat_rate: 0.05\n  rates: [")
    per_status = text.replace("  same_for_all_statuses: true", "  same_for_all_statuses: false")
    no_tax = text.replace("\nbase:", "\nno_income_tax:\n  reference: [{title: none}]\nbase:")
    base_at = text.index("\nbase:")
    no_base = text[:base_at] + text[text.index("\ncapital_loss:") :]
    for changed, message in (
        (no_limit, r"2025.yaml:\d+ capital_loss: limit: missing \(netting one_class"),
        (both, r"2025.yaml:\d+ income_tax: give one of flat_rate, rates or rates_by_status"),
        (per_status, r"2025.yaml:\d+ surtax: give threshold_by_status"),
        (no_tax, r"2025.yaml:\d+ base: a state with no_income_tax has no income tax sections"),
        (no_base, r"2025.yaml:\d+ base: missing \(give income_tax with base and capital_loss"),
    ):
        path.write_text(changed, encoding="utf-8")
        with pytest.raises(RulesError, match=message):
            parse_rules_file(path)


def test_extends_round_trips() -> None:
    """The shipped 2026 files extend 2025: each loads equal to the fully written year,
    and a file written to extend its parent loads back equal."""
    for state in ("us-ca", "us-pa", "us-il"):
        full, child = load_rules(2025, state), load_rules(2026, state)
        assert child.inherits_from == (RULES / state / "2025.yaml",)
        differs = {k for k, _, _ in diff_rules(full, child, with_sources=True)}
        assert differs <= {"year", "status", "last_verified", "notes"}
        again = parse_rules_text(dump_rules(child), "<dumped>")
        assert again.model_dump() == child.model_dump()
        text = dump_extending(full, child)
        assert text.splitlines()[2:4] == ["extends: 2025", f"jurisdiction: {state}"]
        assert parse_rules_text(text, "<extending>", parent=full).model_dump() == (
            child.model_dump()
        )


def test_project_copies_what_is_not_indexed_and_marks_it_projected() -> None:
    ca = load_rules(2025, "us-ca")
    projected = project(ca, 2026, Decimal("0.03"))
    assert isinstance(projected, StateRules)
    assert projected.status == "projected" and projected.last_verified is None
    assert "state's own published figures" in (projected.notes or "")
    assert projected.income_tax == ca.income_tax  # indexing: null, so copied
    # A section that gives indexing is indexed, as federal ones are.
    data = ca.model_dump(mode="python")
    data["standard_deduction"]["indexing"] = {
        "multiple": dict.fromkeys(FILING_STATUSES, 1),
        "reference": "test",
    }
    indexed = project(StateRules.model_validate(data), 2026, Decimal("0.03"))
    assert indexed.standard_deduction is not None
    assert indexed.standard_deduction.amount.single == 5_706 + 171  # 171.18 rounded down


# --- the search path and the cache --------------------------------------------------------


def test_a_state_is_found_beside_a_rules_dirs_federal_rules(tmp_path: Path) -> None:
    """A plan whose federal rules came from a --rules-dir folder reads the state's from
    the same folder (app.run_plan passes only the federal rules on)."""
    mine = tmp_path / "mine"
    shutil.copytree(RULES / "us", mine / "us")
    _broken(mine, "  threshold: 1_000_000", "  threshold: 2_000_000")
    federal = load_rules(2025, rules_dir=mine)
    beside, shipped = load_state_rules("ca", 2025, beside=federal), load_state_rules("CA", 2025)
    assert beside.surtax is not None and beside.surtax.threshold == 2_000_000
    assert shipped.surtax is not None and shipped.surtax.threshold == 1_000_000
    with pytest.raises(RulesError, match=r"no rules for 'OH' for tax year 2025 \(states with"):
        load_state_rules("OH", 2025)


def test_the_cache_rebuilds_state_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TLH_CACHE_DIR", str(tmp_path / "cache"))
    path = RULES / "us-ca" / "2026.yaml"  # it extends 2025: both files are stamped
    find = lambda j, y: RULES / j / f"{y}.yaml"
    cache._memory.clear()
    fresh = cache.load_rule_file(path, find)
    cache._memory.clear()
    again = cache.load_rule_file(path, find)  # from the disk entry: no YAML parsed
    assert isinstance(again.rules, StateRules) and again.rules is not fresh.rules
    assert again.rules.model_dump() == fresh.rules.model_dump()
    assert again.rules.inherits_from == (RULES / "us-ca" / "2025.yaml",)
    assert len(list((tmp_path / "cache").glob("rules-*.json"))) == 1
    cache._memory.clear()


# --- the commands ---------------------------------------------------------------------------


def test_rules_commands_work_for_states(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TLH_RULES_DIR", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    assert main(["rules", "list"]) == 0
    listed = capsys.readouterr().out
    assert "2025  us-ca unverified -" in listed and "2026  us-pa official   2026-12-02" in listed
    assert main(["rules", "show", "2025", "--jurisdiction", "us-pa"]) == 0
    shown = capsys.readouterr().out
    assert "income_tax.flat_rate: 0.0307" in shown and "source: 61 Pa. Code 121.13" in shown
    assert main(["rules", "check", *map(str, STATE_FILES)]) == 0
    capsys.readouterr()
    a, b = RULES / "us-il" / "2025.yaml", RULES / "us-il" / "2026.yaml"
    assert main(["rules", "diff", str(a), str(b)]) == 0
    assert "status" in capsys.readouterr().out
    mine = tmp_path / "mine"
    new = ["rules", "new", "2027", "--from", "2026", "--jurisdiction", "us-ca"]
    assert main([*new, "--rules-dir", str(mine), "--extends"]) == 0
    capsys.readouterr()
    written = mine / "us-ca" / "2027.yaml"
    projected = parse_rules_file(written)
    assert isinstance(projected, StateRules) and projected.status == "projected"
    assert (mine / "schema.json").is_file()
    assert main(["rules", "check", str(written)]) == 0


def test_tax_with_a_state(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["tax", "--year", "2025", "--status", "single", "--income", "1200000"]
    assert main([*args, "--lt", "50000", "--state", "CA", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    # Federal: see tests/cases/us_federal_tax.yaml; CA: ca2025_single_one_percent_over_a_million.
    assert data["state_tax"] == "136327.71"
    assert Decimal(data["total_tax"]) == Decimal(data["federal_tax"]) + Decimal("136327.71")
    assert data["state"]["surtax"] == "2442.94"
    assert main([*args, "--state", "PA"]) == 0
    out = capsys.readouterr().out
    assert "Total PA tax" in out and "$36,840.00" in out  # 3.07% x 1,200,000
    assert main([*args, "--state", "Texas"]) == 2


# --- every value is read ---------------------------------------------------------------------

MODEL_CLASSES = tuple(
    cls
    for _, cls in inspect.getmembers(state_model, inspect.isclass)
    if issubclass(cls, BaseModel) and cls.__module__ == state_model.__name__
)
FIELDS = {cls: frozenset(cls.model_fields) for cls in MODEL_CLASSES}
CITATIONS = frozenset({"reference", "notes"})


def _children(obj: BaseModel, prefix: str) -> Iterator[tuple[str, Any]]:
    """The fields the file gives (a default it leaves alone is no value it holds)."""
    values = object.__getattribute__(obj, "__dict__")
    given = object.__getattribute__(obj, "__pydantic_fields_set__")
    for name in FIELDS[type(obj)] & given:
        yield (f"{prefix}.{name}" if prefix else name), values[name]


def _leaves(obj: BaseModel, prefix: str = "") -> Iterator[tuple[str, Any]]:
    for path, value in _children(obj, prefix):
        if isinstance(value, BaseModel) and type(value) in FIELDS:
            yield from _leaves(value, path)
        else:
            yield path, value


def test_every_value_in_a_state_file_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """As tests/test_rules_all_read.py does for federal files: every value a state file
    holds is read by what the product does with it (its tax for every filing status,
    near and past its steps; a plan; 'rules new' and 'rules show'). A section a file
    gives as null is read when the code asks whether it is there."""
    monkeypatch.delenv("TLH_RULES_DIR", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    prefix: dict[int, str] = {}
    keep: list[BaseModel] = []
    read: set[str] = set()

    def register(obj: BaseModel, at: str = "") -> None:
        prefix[id(obj)] = at
        keep.append(obj)
        for path, value in _children(obj, at):
            if isinstance(value, BaseModel) and type(value) in FIELDS:
                register(value, path)

    def hook(obj: Any, name: str) -> Any:
        value = object.__getattribute__(obj, name)
        if name in FIELDS[type(obj)] and id(obj) in prefix:
            at = prefix[id(obj)]
            read.add(f"{at}.{name}" if at else name)
        return value

    federal = load_rules(2025)
    for code in (*(s.removeprefix("us-").upper() for s in TAXING), "TX"):
        rules = load_rules(2025, f"us-{code.lower()}")
        prefix.clear()
        keep.clear()
        read.clear()
        register(rules)
        with monkeypatch.context() as patch:
            for cls in MODEL_CLASSES:
                patch.setattr(cls, "__getattribute__", hook)
            for status in FILING_STATUSES:
                for income in (20_000, 251_000, 260_000, 505_000, 1_300_000):
                    for st_gain, lt_gain in ((-9_000, 0), (0, 300_000), (4_000, 1_500_000)):
                        compute_state_tax(
                            rules,
                            federal,
                            filing_status=status,
                            ordinary_income=income,
                            st_gain=st_gain,
                            lt_gain=lt_gain,
                            st_carryforward=1_000,
                        )
            profile = {
                "tax_year": 2025,
                "filing_status": "single",
                "ordinary_income": 90_000,
                "as_of_date": dt.date(2025, 12, 1),
                "state": code,
            }
            plan_harvest(federal, profile, [], {}, state_rules=rules)
            project(rules, 2026, Decimal("0.025"))
            rules.describe()
            print(rules.last_verified)  # 'rules list' and 'rules check' print it
        capsys.readouterr()
        assert main(["rules", "show", "2025", "--jurisdiction", f"us-{code.lower()}"]) == 0
        shown = capsys.readouterr().out
        held = dict(_leaves(rules))
        is_citation = lambda p: any(part in CITATIONS for part in p.split("."))
        unread = sorted(p for p in held if not is_citation(p) and p not in read)
        assert not unread, f"us-{code.lower()} 2025 holds values no code reads: {unread}"
        for path, value in held.items():
            if not is_citation(path) or value is None:
                continue
            texts = [r.title for r in value] if isinstance(value, list) else [value]
            for text in texts:
                assert str(text) in shown, path
