"""tlh-xl rules list / show / check / new / diff."""

from __future__ import annotations

import argparse
import sys
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..rulebook.state_model import AnyRules

from .output import PROG, flatten, show_value, warn_projected

__all__ = ["cmd_rules_check", "cmd_rules_diff", "cmd_rules_list", "cmd_rules_new", "cmd_rules_show"]


def cmd_rules_list(args: argparse.Namespace) -> int:
    from ..rulebook.cache import load_rule_file
    from ..rulebook.store import find_rule_file, list_rule_files

    # Through the cache. Parents are found as parse_rules_file finds them by default: on
    # the search path without --rules-dir.
    def on_search_path(jurisdiction: str, year: int) -> Path:
        return find_rule_file(year, jurisdiction).path

    sources = list_rule_files(args.rules_dir)
    if not sources:
        print("no rule files found")
        return 0
    print(f"{'year':<6}{'jur.':<6}{'status':<11}{'verified':<12}{'from':<15}{'extends':<9}file")
    for s in sources:
        extends = ""
        try:
            rules = load_rule_file(s.path, on_search_path).rules
            status: str = rules.status
            verified = str(rules.last_verified or "-")
            if rules.inherits_from:
                extends = rules.inherits_from[0].stem
        except Exception:  # a broken file is still listed; 'rules check' explains it
            status, verified = "INVALID", "-"
        print(
            f"{s.year:<6}{s.jurisdiction:<6}{status:<11}{verified:<12}{s.origin:<15}"
            f"{extends:<9}{s.path}"
        )
    return 0


def cmd_rules_show(args: argparse.Namespace) -> int:
    from ..rulebook import load_rules

    rules = load_rules(args.year, args.jurisdiction, rules_dir=args.rules_dir)
    warn_projected(rules)
    print(f"# {rules.describe()}  {rules.path}")
    for parent in rules.inherits_from:
        print(f"#   extends {parent}")
    # Everything the file holds, notes and sources included: they are there for the reader.
    data = rules.model_dump()
    for section, body in data.items():
        if not isinstance(body, dict):
            print(f"{section}: {show_value(body)}".replace("\n", "\n  "))
            continue
        refs = body.pop("reference", [])
        for path, value in flatten(body, section):
            print(f"{path}: {show_value(value)}")
        for ref in refs:
            link = f" <{ref['href']}>" if ref.get("href") else ""
            print(f"  source: {ref['title']}{link}")
    return 0


def cmd_rules_check(args: argparse.Namespace) -> int:
    from ..errors import RulesError
    from ..rulebook import parse_rules_file

    failed = 0
    for name in args.files:
        try:
            rules = parse_rules_file(name)
        except RulesError as exc:
            print(exc, file=sys.stderr)
            failed += 1
            continue
        if rules.status == "projected":
            # A state's figures come from its own forms, not from a Revenue Procedure.
            source = "the Revenue Procedure" if rules.jurisdiction == "us" else "the state's forms"
            print(
                f"{name}: ok, but projected: verify against {source}, then set "
                "status: official and last_verified"
            )
        else:
            extends = "".join(f", extends {p}" for p in rules.inherits_from)
            print(f"{name}: ok ({rules.describe()}, verified {rules.last_verified}{extends})")
    return 2 if failed else 0


def _load_rules_arg(spec: str, rules_dir: str | None) -> AnyRules:
    """A year (found on the search path) or the path of a rule file (a state's too)."""
    from ..rulebook import load_rules, parse_rules_file

    if spec.isdigit():
        return load_rules(int(spec), rules_dir=rules_dir)
    return parse_rules_file(Path(spec))


def cmd_rules_new(args: argparse.Namespace) -> int:
    from decimal import InvalidOperation

    from ..errors import InputError, RulesError
    from ..rulebook.authoring import dump_extending, dump_rules, project
    from ..rulebook.store import load_rules, writable_rules_dir

    try:
        inflation = Decimal(args.inflation)
    except InvalidOperation:
        raise InputError(
            f"--inflation: expected a rate such as 0.025, got {args.inflation!r}"
        ) from None
    if not Decimal("-0.5") < inflation < Decimal("0.5"):
        raise InputError(f"--inflation: {inflation} is a rate (0.025 means 2.5%)")
    if args.year <= args.source:
        raise InputError(f"YEAR {args.year} must come after --from {args.source}")
    source = load_rules(args.source, args.jurisdiction, rules_dir=args.rules_dir)
    projected = project(source, args.year, inflation)
    target = writable_rules_dir(args.rules_dir) / args.jurisdiction / f"{args.year}.yaml"
    if target.exists() and not args.force:
        raise RulesError(f"{target}: already exists (use --force to replace it)")
    target.parent.mkdir(parents=True, exist_ok=True)
    schema = target.parent.parent / "schema.json"
    if not schema.exists():  # so the file's $schema comment resolves in the editor
        from ..rulebook.schema import rules_json_schema_text

        schema.write_text(rules_json_schema_text(), encoding="utf-8")
    text = dump_extending(source, projected) if args.extends else dump_rules(projected)
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target}")
    rate = format((inflation * 100).normalize(), "f")
    print(f"  projected from {source.path} with {rate}% inflation; status: projected")
    if args.extends:
        print(f"  it lists only what changes and inherits the rest (extends: {args.source})")
    source_of = (
        f"the IRS Revenue Procedure for {args.year}"
        if args.jurisdiction == "us"
        else f"the state's own figures for {args.year}"
    )
    print(f"  next: replace the indexed amounts with {source_of},")
    print(f"  run '{PROG} rules check {target}' and '{PROG} rules diff {args.source} {target}',")
    print("  then set status: official and last_verified to the date you checked.")
    return 0


def cmd_rules_diff(args: argparse.Namespace) -> int:
    from ..rulebook.authoring import diff_rules

    a = _load_rules_arg(args.a, args.rules_dir)
    b = _load_rules_arg(args.b, args.rules_dir)
    changes = diff_rules(a, b, with_sources=args.sources)
    if not changes:
        print(f"no differences between {a.describe()} and {b.describe()}")
        return 0
    width = max(len(k) for k, _, _ in changes)
    left = max(len(show_value(v)) for _, v, _ in changes)
    print(f"{'key':<{width}}  {a.describe():>{left}}    {b.describe()}")
    for key, old, new in changes:
        print(f"{key:<{width}}  {show_value(old):>{left}} -> {show_value(new)}")
    return 0
