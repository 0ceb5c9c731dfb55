"""Where rule files live, and loading a year's rules.

Lookup order for ``<jurisdiction>/<year>.yaml``:

1. the ``rules_dir`` argument (``--rules-dir`` on the command line);
2. the ``TLH_RULES_DIR`` environment variable;
3. the user's own rules folder (``~/.config/tlh-xl/rules``, or ``%APPDATA%\\tlh-xl\\rules``
   on Windows), where ``tlh-xl rules new`` writes by default;
4. the rules shipped with the package.

A user's folder therefore overrides a shipped year file by file. A state's rules live
beside the federal ones, in ``us-<st>/<year>.yaml`` (``load_state_rules``).

``load_rules`` goes through ``cache``: validated rules are kept in memory and on disk, so
a new process reads them without parsing YAML or building pydantic's validators. Neither
this module nor ``cache`` imports the YAML loader until a file must be parsed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, overload

from ..errors import RulesError

if TYPE_CHECKING:
    from .model import Rules
    from .state_model import AnyRules, StateRules

__all__ = [
    "ParentFinder",
    "RuleSource",
    "find_rule_file",
    "list_rule_files",
    "load_rules",
    "load_state_rules",
    "parent_rule_file",
    "shipped_rules_dir",
    "state_jurisdiction",
    "states_with_rules",
    "user_rules_dir",
    "writable_rules_dir",
]

ParentFinder = Callable[[str, int], Path]  # (jurisdiction, year) → rule file

_PACKAGE_DIR = Path(__file__).resolve().parent.parent


def shipped_rules_dir() -> Path:
    """The rules that come with tlh-xl (inside the wheel, or the repository checkout)."""
    inside_wheel = _PACKAGE_DIR / "_shipped" / "rules"
    return inside_wheel if inside_wheel.is_dir() else _PACKAGE_DIR.parent / "rules"


def user_rules_dir() -> Path:
    """The per-user rules folder (it may not exist yet)."""
    if os.name == "nt":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "tlh-xl" / "rules"


def _search_dirs(rules_dir: str | os.PathLike[str] | None) -> list[tuple[str, Path]]:
    dirs: list[tuple[str, Path]] = []
    if rules_dir is not None:
        dirs.append(("--rules-dir", Path(rules_dir)))
    env = os.environ.get("TLH_RULES_DIR")
    if env:
        dirs.append(("TLH_RULES_DIR", Path(env)))
    dirs.append(("user", user_rules_dir()))
    dirs.append(("shipped", shipped_rules_dir()))
    return dirs


def writable_rules_dir(rules_dir: str | os.PathLike[str] | None = None) -> Path:
    """Where new rule files go: --rules-dir, else TLH_RULES_DIR, else the user folder."""
    return _search_dirs(rules_dir)[0][1]


@dataclass(frozen=True)
class RuleSource:
    """A rule file found on the search path, and which folder it came from."""

    jurisdiction: str
    year: int
    path: Path
    origin: str  # "--rules-dir", "TLH_RULES_DIR", "user" or "shipped"


def find_rule_file(
    year: int, jurisdiction: str = "us", rules_dir: str | os.PathLike[str] | None = None
) -> RuleSource:
    for origin, folder in _search_dirs(rules_dir):
        candidate = folder / jurisdiction / f"{year}.yaml"
        if candidate.is_file():
            return RuleSource(jurisdiction, year, candidate, origin)
    known = sorted({s.year for s in list_rule_files(rules_dir) if s.jurisdiction == jurisdiction})
    target = _search_dirs(rules_dir)[0][1] / jurisdiction / f"{year}.yaml"
    hint = f"tlh-xl rules new {year} --from {known[-1]}" if known else "tlh-xl rules new"
    have = f" (have: {', '.join(map(str, known))})" if known else ""
    raise RulesError(
        f"no rules for tax year {year} ({jurisdiction}){have}: create {target}, "
        f"for example with '{hint}'"
    )


def list_rule_files(rules_dir: str | os.PathLike[str] | None = None) -> list[RuleSource]:
    """Every year file on the search path; where two folders have a year, the first wins."""
    found: dict[tuple[str, int], RuleSource] = {}
    for origin, folder in _search_dirs(rules_dir):
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*/*.yaml")):
            if not path.stem.isdigit():
                continue
            key = (path.parent.name, int(path.stem))
            found.setdefault(key, RuleSource(key[0], key[1], path, origin))
    return sorted(found.values(), key=lambda s: (s.jurisdiction, s.year))


def parent_rule_file(path: Path | None, jurisdiction: str, year: int, find: ParentFinder) -> Path:
    """The file that ``extends: YEAR`` in ``path`` refers to: ``YEAR.yaml`` next to it,
    else the one ``find`` gives (the search path). Raises ``RulesError`` if there is none."""
    if path is not None:
        sibling = path.parent / f"{year}.yaml"
        if sibling.is_file():
            return sibling
    return find(jurisdiction, year)


@overload
def load_rules(
    year: int | str,
    jurisdiction: Literal["us"] = "us",
    rules_dir: str | os.PathLike[str] | None = None,
) -> Rules: ...


@overload
def load_rules(
    year: int | str,
    jurisdiction: str,
    rules_dir: str | os.PathLike[str] | None = None,
) -> AnyRules: ...


def load_rules(
    year: int | str,
    jurisdiction: str = "us",
    rules_dir: str | os.PathLike[str] | None = None,
) -> AnyRules:
    """The validated rules for a tax year. A user ``rules_dir`` overrides shipped files.

    ``jurisdiction`` ``us`` (the default) gives the federal ``Rules``; a state's folder
    (``us-ca``) gives its ``StateRules``."""
    try:
        year_int = int(str(year).strip().split(".")[0])
    except ValueError:
        raise RulesError(f"tax year: expected a year such as 2025, got {year!r}") from None
    source = find_rule_file(year_int, jurisdiction, rules_dir)
    from .cache import load_rule_file

    loaded = load_rule_file(source.path, lambda j, y: find_rule_file(y, j, rules_dir).path)
    if loaded.year != year_int or loaded.jurisdiction != jurisdiction:
        raise RulesError(
            f"{source.path}:1 year: the file says {loaded.jurisdiction} {loaded.year} "
            f"but its name says {jurisdiction} {year_int}"
        )
    return loaded.rules


_STATE_CODE = re.compile(r"^[A-Za-z]{2}$")


def state_jurisdiction(state: str) -> str:
    """The rules folder of a two-letter state code: ``CA`` → ``us-ca``."""
    code = state.strip()
    if not _STATE_CODE.match(code):
        raise RulesError(f"expected a two-letter state code such as CA, got {state!r}")
    return f"us-{code.lower()}"


def states_with_rules(rules_dir: str | os.PathLike[str] | None = None) -> list[str]:
    """The states with at least one rule file on the search path, as codes (``CA``)."""
    found = {s.jurisdiction for s in list_rule_files(rules_dir) if s.jurisdiction != "us"}
    return sorted(j.removeprefix("us-").upper() for j in found if j.startswith("us-"))


def load_state_rules(
    state: str,
    year: int | str,
    rules_dir: str | os.PathLike[str] | None = None,
    beside: Rules | None = None,
) -> StateRules:
    """A state's rules for a tax year, found on the search path as the federal ones are.

    ``beside``: the federal rules of the plan. When they came from a folder that is not
    on the default search path (a ``--rules-dir`` the caller did not pass on), that
    folder is searched first, so a plan reads both from the same place.
    """
    from .state_model import StateRules

    jurisdiction = state_jurisdiction(state)
    code = jurisdiction.removeprefix("us-").upper()
    folder = rules_dir if rules_dir is not None else _own_folder(beside)
    try:
        rules = load_rules(year, jurisdiction, folder)
    except RulesError as exc:
        if not str(exc).startswith("no rules for tax year"):
            raise  # a file that is there but broken: the loader's file:line message
        have = ", ".join(states_with_rules(folder)) or "none"
        raise RulesError(
            f"no rules for {code!r} for tax year {year} (states with rules: {have}); "
            "leave State blank for federal tax only"
        ) from None
    if not isinstance(rules, StateRules):
        raise RulesError(f"{rules.path}: not a state's rule file (jurisdiction: us-..)")
    return rules


def _own_folder(rules: Rules | None) -> Path | None:
    """The rules folder ``rules`` came from, if it is not one the search path has anyway."""
    if rules is None or rules.path is None:
        return None
    root = rules.path.resolve().parent.parent
    defaults = {folder.resolve() for _, folder in _search_dirs(None) if folder.is_dir()}
    return None if root in defaults else root
