"""The validated-rules cache (``tlh_xl/rulebook/cache.py``).

A hit gives rules equal to a fresh load, field types, defaults and paths included; any
change to a rule file, or to a file it extends, is seen; a corrupt, foreign or stale entry,
a disabled cache or a folder that cannot be written only means the file is parsed again.
Each test gets its own cache folder, and "another process" is an empty memory tier.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from tlh_xl.rulebook import cache, load_rules, loader, parse_rules_file
from tlh_xl.rulebook.model import Rules

from .conftest import REPO, RULES

SHIPPED = sorted((RULES / "us").glob("*.yaml"))

# A year written as changes to 2026 (``extends``); its parent is found next to it, or on
# the search path when there is none.
EXTENDING = """\
extends: 2026
year: 2027
status: projected
last_verified: null

capital_loss:
  reference:
    - title: a test figure for the cache
  limit:
    single: 3_100
"""


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("TLH_CACHE_DIR", str(folder))
    monkeypatch.delenv("TLH_NO_CACHE", raising=False)
    monkeypatch.delenv("TLH_RULES_DIR", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))  # no user rules
    monkeypatch.setenv("APPDATA", str(tmp_path / "config"))
    monkeypatch.setattr(cache, "_memory", {})
    return folder


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The files the YAML loader parsed (the cache imports it on each miss)."""
    seen: list[Path] = []
    real = loader.parse_rules_file

    def counting(path: Path | str, *args: Any, **kwargs: Any) -> Rules:
        seen.append(Path(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(loader, "parse_rules_file", counting)
    return seen


def another_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forget the memory tier, as a new process starts without it."""
    monkeypatch.setattr(cache, "_memory", {})


def on_search_path(jurisdiction: str, year: int) -> Path:
    from tlh_xl.rulebook.store import find_rule_file

    return find_rule_file(year, jurisdiction).path


def models(model: BaseModel) -> Iterator[BaseModel]:
    yield model
    for value in model.__dict__.values():
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, BaseModel):
                yield from models(item)


def assert_same(hit: Rules, fresh: Rules) -> None:
    assert hit == fresh
    # repr shows Decimal('0.10') apart from Decimal('0.1'), and an int apart from a Decimal
    assert repr(hit) == repr(fresh)
    assert hit.model_dump(mode="json") == fresh.model_dump(mode="json")
    assert [m.model_fields_set for m in models(hit)] == [m.model_fields_set for m in models(fresh)]
    assert (hit.path, hit.inherits_from) == (fresh.path, fresh.inherits_from)


def folder_with(tmp_path: Path, *years: int) -> Path:
    """A rules folder (``<tmp>/rules``) holding copies of the shipped ``years``."""
    (tmp_path / "rules" / "us").mkdir(parents=True)
    for year in years:
        shutil.copy(RULES / "us" / f"{year}.yaml", tmp_path / "rules" / "us" / f"{year}.yaml")
    return tmp_path / "rules"


def edit_keeping_time_and_size(path: Path, old: str, new: str) -> None:
    """Change the content but neither the size nor the modification time."""
    assert len(old) == len(new)
    before = path.stat()
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)


def entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("rules-*.json"))


# --- a hit is the same rules ------------------------------------------------------------


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_a_hit_equals_a_fresh_load_for_every_shipped_file(
    path: Path, cache_dir: Path, parses: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh = parse_rules_file(path)
    assert cache.load_rule_file(path, on_search_path).rules == fresh  # a miss: parsed
    assert len(entries(cache_dir)) == 1
    another_process(monkeypatch)
    parses.clear()

    hit = cache.load_rule_file(path, on_search_path)

    assert parses == []
    assert_same(hit.rules, fresh)
    assert (hit.jurisdiction, hit.year) == (fresh.jurisdiction, fresh.year)
    assert cache.load_rule_file(path, on_search_path).rules is hit.rules  # the memory tier


@pytest.mark.parametrize("year", [int(p.stem) for p in SHIPPED])
def test_load_rules_reads_the_cache_for_every_shipped_year(
    year: int, cache_dir: Path, parses: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh = load_rules(year)
    another_process(monkeypatch)
    parses.clear()
    assert_same(load_rules(year), fresh)
    assert parses == []


@pytest.mark.parametrize("year", [2027, 2028], ids=["extends 2026", "extends 2027, 2026"])
def test_a_hit_on_a_file_that_extends_others_equals_a_fresh_load(
    year: int,
    tmp_path: Path,
    cache_dir: Path,
    parses: list[Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rules_dir = folder_with(tmp_path, 2026)
    (rules_dir / "us" / "2027.yaml").write_text(EXTENDING, encoding="utf-8")
    (rules_dir / "us" / "2028.yaml").write_text(
        EXTENDING.replace("extends: 2026", "extends: 2027").replace("year: 2027", "year: 2028"),
        encoding="utf-8",
    )
    fresh = load_rules(year, rules_dir=rules_dir)
    parents = [rules_dir / "us" / f"{y}.yaml" for y in range(year - 1, 2025, -1)]
    assert fresh.inherits_from == tuple(parents)
    another_process(monkeypatch)
    parses.clear()

    hit = load_rules(year, rules_dir=rules_dir)

    assert parses == []
    assert_same(hit, fresh)
    assert hit.capital_loss.limit.single == 3_100


def test_a_file_named_another_way_shares_the_entry_and_keeps_its_own_name(
    tmp_path: Path, cache_dir: Path, parses: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    rules_dir = folder_with(tmp_path, 2026)
    load_rules(2026, rules_dir=rules_dir)
    another_process(monkeypatch)
    parses.clear()
    monkeypatch.chdir(tmp_path)

    hit = load_rules(2026, rules_dir="rules")

    assert parses == [] and len(entries(cache_dir)) == 1
    assert hit.path == Path("rules/us/2026.yaml")  # as a fresh load names it


# --- a change is always seen ------------------------------------------------------------

TIERS = ["same process", "new process"]


@pytest.mark.parametrize("tier", TIERS)
def test_a_newer_modification_time_reloads(
    tier: str, tmp_path: Path, cache_dir: Path, parses: list[Path], monkeypatch
) -> None:
    rules_dir = folder_with(tmp_path, 2026)
    path = rules_dir / "us" / "2026.yaml"
    first = load_rules(2026, rules_dir=rules_dir)
    later = path.stat().st_mtime_ns + 5_000_000_000
    os.utime(path, ns=(later, later))
    if tier == "new process":
        another_process(monkeypatch)
    parses.clear()

    again = load_rules(2026, rules_dir=rules_dir)

    assert parses == [path]
    assert_same(again, first)


@pytest.mark.parametrize("tier", TIERS)
def test_a_change_of_size_is_seen(
    tier: str, tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules_dir = folder_with(tmp_path, 2026)
    path = rules_dir / "us" / "2026.yaml"
    assert load_rules(2026, rules_dir=rules_dir).capital_loss.limit.single == 3_000
    before = path.stat()
    text = path.read_text(encoding="utf-8").replace("single: 3_000", "single: 30_000", 1)
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # only the size tells
    if tier == "new process":
        another_process(monkeypatch)

    assert load_rules(2026, rules_dir=rules_dir).capital_loss.limit.single == 30_000


@pytest.mark.parametrize("tier", TIERS)
def test_a_change_of_content_alone_is_seen(
    tier: str, tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules_dir = folder_with(tmp_path, 2026)
    assert load_rules(2026, rules_dir=rules_dir).capital_loss.limit.single == 3_000
    edit_keeping_time_and_size(rules_dir / "us" / "2026.yaml", "single: 3_000", "single: 3_500")
    if tier == "new process":
        another_process(monkeypatch)

    assert load_rules(2026, rules_dir=rules_dir).capital_loss.limit.single == 3_500


@pytest.mark.parametrize("tier", TIERS)
def test_a_change_to_the_parent_is_seen(
    tier: str, tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules_dir = folder_with(tmp_path, 2026)
    (rules_dir / "us" / "2027.yaml").write_text(EXTENDING, encoding="utf-8")
    assert load_rules(2027, rules_dir=rules_dir).niit.thresholds.single == 200_000
    edit_keeping_time_and_size(
        rules_dir / "us" / "2026.yaml", "    single: 200_000", "    single: 210_000"
    )
    if tier == "new process":
        another_process(monkeypatch)

    assert load_rules(2027, rules_dir=rules_dir).niit.thresholds.single == 210_000


@pytest.mark.parametrize("tier", TIERS)
def test_a_parent_put_next_to_the_child_takes_over(
    tier: str, tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules_dir = tmp_path / "rules"
    (rules_dir / "us").mkdir(parents=True)
    (rules_dir / "us" / "2027.yaml").write_text(EXTENDING, encoding="utf-8")
    first = load_rules(2027, rules_dir=rules_dir)
    assert first.inherits_from == (RULES / "us" / "2026.yaml",)  # the shipped one
    text = (RULES / "us" / "2026.yaml").read_text(encoding="utf-8")
    (rules_dir / "us" / "2026.yaml").write_text(
        text.replace("    single: 200_000", "    single: 220_000", 1), encoding="utf-8"
    )
    if tier == "new process":
        another_process(monkeypatch)

    again = load_rules(2027, rules_dir=rules_dir)

    assert again.inherits_from == (rules_dir / "us" / "2026.yaml",)
    assert again.niit.thresholds.single == 220_000


def test_an_edited_file_changes_the_next_command(tmp_path: Path, run_cli) -> None:
    """End to end, across processes: `tlh-xl tax` after an edit prints the new tax."""
    rules_dir = folder_with(tmp_path, 2026)
    env = {**os.environ, "TLH_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("TLH_NO_CACHE", None)
    args = ("tax", "--year", "2026", "--status", "single", "--income", "90000", "--json")
    tax = lambda: json.loads(run_cli(*args, "--rules-dir", str(rules_dir), env=env).stdout)
    before = tax()
    assert before == tax() and entries(tmp_path / "cache")  # the second ran from the cache
    edit_keeping_time_and_size(
        rules_dir / "us" / "2026.yaml", "    single: 16_100", "    single: 26_100"
    )

    after = tax()

    assert after["deduction"] == "26100.00" != before["deduction"]


# --- nothing about the cache is an error ------------------------------------------------


def _entry_file(cache_dir: Path) -> Path:
    (entry,) = entries(cache_dir)
    return entry


def _rewritten_body(change: Callable[[dict[str, Any]], None]) -> Callable[[bytes], bytes]:
    """Change the rules in an entry and give it a matching digest: only the rebuilding
    can tell that it does not fit the model."""

    def rewrite(data: bytes) -> bytes:
        head_line, _, body = data.partition(b"\n")
        head, rules = json.loads(head_line), json.loads(body)
        change(rules)
        new_body = json.dumps(rules).encode()
        head["sha256"] = cache._digest(new_body)
        return json.dumps(head).encode() + b"\n" + new_body

    return rewrite


def _set(path: tuple[str, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(rules: dict[str, Any]) -> None:
        node = rules
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value

    return change


def _drop(key: str) -> Callable[[dict[str, Any]], None]:
    return lambda rules: rules.pop(key)


CORRUPTIONS: dict[str, Callable[[bytes], bytes]] = {
    "empty": lambda data: b"",
    "cut short": lambda data: data[: len(data) // 2],
    "not JSON": lambda data: b"\x80\x81 not json\n{",
    "no second line": lambda data: data.partition(b"\n")[0],
    "a digit changed": lambda data: data.replace(b'"3000"', b'"3001"', 1),
    "an older format": lambda data: data.replace(b'"format":1', b'"format":0', 1),
    "another version": lambda data: data.replace(b'"tlh_xl":"', b'"tlh_xl":"0.0.0-', 1),
    "head not a mapping": lambda data: b"[1, 2]\n" + data.partition(b"\n")[2],
    "a number, not its text": _rewritten_body(_set(("niit", "rate"), 0.038)),
    "text for a year": _rewritten_body(_set(("year",), "2026")),
    "true for a count": _rewritten_body(_set(("rebuy", "wait_hours"), True)),
    "an unknown key": _rewritten_body(_set(("niit", "colour"), "red")),
    "a required key gone": _rewritten_body(_drop("niit")),
    "not a status": _rewritten_body(_set(("status",), "guessed")),
    "a bad date": _rewritten_body(_set(("last_verified",), "2026-13-01")),
    "a bad decimal": _rewritten_body(_set(("niit", "rate"), "three percent")),
}


@pytest.mark.parametrize("corrupt", CORRUPTIONS.values(), ids=CORRUPTIONS.keys())
def test_a_corrupt_entry_is_ignored_and_rewritten(
    corrupt: Callable[[bytes], bytes],
    cache_dir: Path,
    parses: list[Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = RULES / "us" / "2026.yaml"
    fresh = load_rules(2026)
    entry = _entry_file(cache_dir)
    entry.write_bytes(corrupt(entry.read_bytes()))
    another_process(monkeypatch)
    parses.clear()

    assert_same(load_rules(2026), fresh)

    assert parses == [path]
    another_process(monkeypatch)
    parses.clear()
    assert_same(load_rules(2026), fresh)  # from the entry written again
    assert parses == []


def test_an_entry_that_is_a_folder_is_ignored(cache_dir: Path, monkeypatch) -> None:
    fresh = load_rules(2026)
    entry = _entry_file(cache_dir)
    entry.unlink()
    entry.mkdir()
    another_process(monkeypatch)
    assert_same(load_rules(2026), fresh)


def test_an_entry_from_other_code_is_not_read(
    cache_dir: Path, parses: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A changed model.py, loader.py or cache.py in a checkout (same version) invalidates."""
    load_rules(2026)
    another_process(monkeypatch)
    parses.clear()
    monkeypatch.setattr(cache, "_key_memo", {**cache._key(), "code": "an older model"})
    load_rules(2026)
    assert parses == [RULES / "us" / "2026.yaml"]


def test_the_cache_can_be_turned_off(
    cache_dir: Path, parses: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TLH_NO_CACHE", "1")
    assert cache.cache_dir() is None
    fresh = load_rules(2026)
    another_process(monkeypatch)
    assert_same(load_rules(2026), fresh)
    assert len(parses) == 2
    assert not cache_dir.exists()


@pytest.mark.parametrize("blocked_by", ["a file", "a file above it"])
def test_a_cache_folder_that_cannot_be_written_is_fine(
    blocked_by: str, tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A plain file where the folder (or a folder above it) should be: even root cannot
    # write there, unlike a folder whose permissions forbid it.
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder", encoding="utf-8")
    folder = blocker if blocked_by == "a file" else blocker / "cache"
    monkeypatch.setenv("TLH_CACHE_DIR", str(folder))
    fresh = parse_rules_file(RULES / "us" / "2026.yaml")
    assert_same(load_rules(2026), fresh)
    another_process(monkeypatch)
    assert_same(load_rules(2026), fresh)
    assert blocker.read_text(encoding="utf-8") == "not a folder"


def test_writes_leave_no_temporary_files(cache_dir: Path) -> None:
    for path in SHIPPED:
        load_rules(int(path.stem))
    assert {p.name for p in cache_dir.iterdir()} == {p.name for p in entries(cache_dir)}
    assert len(entries(cache_dir)) == len(SHIPPED)


def test_an_error_in_a_rule_file_is_the_loaders_and_is_not_cached(
    tmp_path: Path, cache_dir: Path
) -> None:
    rules_dir = folder_with(tmp_path, 2026)
    path = rules_dir / "us" / "2026.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\nsurprise: 1\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(Exception, match="surprise: unknown key"):
            load_rules(2026, rules_dir=rules_dir)
    assert entries(cache_dir) == []


# --- where the cache lives --------------------------------------------------------------


def test_where_the_cache_lives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if os.name == "nt":
        pytest.skip("the Windows folder is LOCALAPPDATA's")
    monkeypatch.delenv("TLH_NO_CACHE", raising=False)
    monkeypatch.setenv("TLH_CACHE_DIR", str(tmp_path / "mine"))
    assert cache.cache_dir() == tmp_path / "mine"
    monkeypatch.delenv("TLH_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.cache_dir() == tmp_path / "xdg" / "tlh-xl"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")  # the XDG spec: ignore it
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache.cache_dir() == tmp_path / "home" / ".cache" / "tlh-xl"
    monkeypatch.setenv("TLH_NO_CACHE", "0")  # as good as unset
    assert cache.cache_dir() == tmp_path / "home" / ".cache" / "tlh-xl"


# --- what start-up imports --------------------------------------------------------------

HEAVY = ("pandas", "openpyxl", "numpy", "xlwings")
PROBE = """\
import sys
from tlh_xl.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:  # --help
    code = exc.code
loaded = [m for m in {names!r} if m in sys.modules]
print("LOADED", ",".join(loaded), file=sys.stderr)
"""


def _loaded(env: dict[str, str], *args: str) -> set[str]:
    probe = PROBE.format(names=(*HEAVY, "yaml", "tlh_xl.rulebook.loader"))
    done = subprocess.run(
        [sys.executable, "-c", probe, *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=120,
        check=True,
    )
    (line,) = [x for x in done.stderr.splitlines() if x.startswith("LOADED")]
    return set(filter(None, line.removeprefix("LOADED").strip().split(",")))


def test_start_up_imports_no_heavy_library(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("TLH_RULES_DIR", "TLH_NO_CACHE")}
    env["TLH_CACHE_DIR"] = str(tmp_path / "cache")
    tax = ("tax", "--year", "2026", "--status", "single", "--income", "90000")

    cold = _loaded(env, *tax)
    warm = _loaded(env, *tax)

    assert cold.isdisjoint(HEAVY) and "yaml" in cold  # the cold start parsed the file
    assert warm.isdisjoint(HEAVY) and not warm & {"yaml", "tlh_xl.rulebook.loader"}
    assert _loaded(env, "--help").isdisjoint(HEAVY)
    assert _loaded(env, "rules", "list").isdisjoint(HEAVY)
