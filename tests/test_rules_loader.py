"""The strict rule loader: each defect gives exit 2 and one line naming file, line and key."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from tlh_xl import RulesError, load_rules
from tlh_xl.rulebook import list_rule_files, parse_rules_file

from .conftest import RULES

GOOD = (RULES / "us" / "2025.yaml").read_text(encoding="utf-8")


def _line_of(text: str, needle: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


def _broken(tmp_path: Path, old: str, new: str) -> tuple[Path, int]:
    assert old in GOOD, old
    text = GOOD.replace(old, new, 1)
    path = tmp_path / "us" / "2025.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    # The defect is on the last line of the replacement text.
    return path, (_line_of(text, new.splitlines()[-1]) if new else 0)


DEFECTS = {
    "unknown key": (
        "  collectibles_rate: 0.28",
        "  collectibles_rate: 0.28\n  colectibles_rate: 0.28",
        "capital_gains.colectibles_rate: unknown key",
    ),
    "yaml syntax": (
        "  rates: [0.00, 0.15, 0.20]",
        "  rates: [0.00, 0.15, 0.20",
        "YAML syntax error",
    ),
    "text for a number": (
        "    single: 15_750",
        "    single: fifteen thousand",
        "standard_deduction.amount.single: expected a number",
    ),
    "quoted number": (
        "    single: 15_750",
        '    single: "15750"',
        "standard_deduction.amount.single: expected a number",
    ),
    "thresholds out of order": (
        "    single: [0, 48_350, 533_400]",
        "    single: [0, 533_400, 48_350]",
        "capital_gains.thresholds.single: values must increase",
    ),
    "missing filing status": (
        "    head_of_household: [0, 64_750, 566_700]\n",
        "",
        "capital_gains.thresholds.head_of_household: missing",
    ),
    "duplicate key": (
        "  collectibles_rate: 0.28",
        "  collectibles_rate: 0.28\n  collectibles_rate: 0.29",
        "capital_gains.collectibles_rate: duplicate key",
    ),
    "rate above one": (
        "  rate: 0.038",
        "  rate: 3.8",
        "niit.rate: Input should be less than or equal to 1",
    ),
    "a key that is no longer read": (
        "  day: 31",
        "  day: 31\n  basis: trade_date",
        "deadline.basis: no longer a rule-file key, delete it: a sale always counts in the "
        "year of its trade date",
    ),
    "wrong count of thresholds": (
        "    single: [0, 11_925, 48_475, 103_350, 197_300, 250_525, 626_350]",
        "    single: [0, 11_925, 48_475, 103_350, 197_300, 250_525]",
        "thresholds.single has 6 values but there are 7 rates",
    ),
}


@pytest.mark.parametrize("defect", sorted(DEFECTS))
def test_malformed_rule_file_exits_2_with_one_line(tmp_path: Path, run_cli, defect: str) -> None:
    old, new, expected = DEFECTS[defect]
    path, line = _broken(tmp_path, old, new)
    result = run_cli("rules", "check", str(path))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert lines[0].startswith(f"{path}:"), lines[0]
    assert expected in lines[0]
    if defect == "missing filing status":  # reported at the parent mapping's line
        assert re.match(rf"{re.escape(str(path))}:\d+ ", lines[0])
    elif defect == "yaml syntax":  # PyYAML notices on the next line; the message says where
        assert lines[0].startswith(f"{path}:{line + 1} "), lines[0]
        assert f"started on line {line}" in lines[0]
    elif defect != "wrong count of thresholds":
        assert lines[0].startswith(f"{path}:{line} "), (lines[0], line)


def test_shipped_files_pass_check(run_cli) -> None:
    files = sorted(str(p) for p in (RULES / "us").glob("*.yaml"))
    result = run_cli("rules", "check", *files)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count(": ok") == 4


# A full file an older 'tlh-xl rules new' wrote still holds keys no code read.
RETIRED_KEYS = {
    "capital_loss.carryforward_years": (
        "    qualifying_surviving_spouse: 3_000\n",
        "  carryforward_years: null\n",
    ),
    "capital_loss.carryforward_keeps_character": (
        "    qualifying_surviving_spouse: 3_000\n",
        "  carryforward_keeps_character: true\n",
    ),
    "niit.indexed": ("  indexing: null\n", "  indexed: false\n"),
    "holding_period.counting": ("  more_than_years: 1\n", "  counting: anniversary\n"),
    "cost_basis": ("", "\ncost_basis:\n  per_wallet: true\n  per_wallet_since: 2025-01-01\n"),
}


@pytest.mark.parametrize("key", sorted(RETIRED_KEYS))
def test_a_key_no_code_reads_is_refused_saying_why(tmp_path: Path, key: str) -> None:
    after, added = RETIRED_KEYS[key]
    text = GOOD.replace(after, after + added, 1) if after else GOOD + added
    assert added in text
    path = tmp_path / "2025.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RulesError, match=rf"{re.escape(key)}: no longer a rule-file key"):
        parse_rules_file(path)


def test_floats_are_exact_decimals() -> None:
    rules = load_rules(2025)
    assert rules.ordinary_income.rates[2] == Decimal("0.22")
    assert rules.niit.rate == Decimal("0.038")
    assert rules.standard_deduction.amount.of("married_joint") == Decimal(31_500)


def test_yaml_is_loaded_safely(tmp_path: Path) -> None:
    path = tmp_path / "evil.yaml"
    path.write_text("!!python/object/apply:os.system ['echo pwned']\n", encoding="utf-8")
    with pytest.raises(RulesError, match="evil.yaml:1"):
        parse_rules_file(path)


def test_user_rules_dir_takes_precedence(tmp_path: Path, monkeypatch) -> None:
    path, _ = _broken(tmp_path, "    single: 15_750", "    single: 20_000")
    assert load_rules(2025, rules_dir=tmp_path).standard_deduction.amount.single == 20_000
    assert load_rules(2025).standard_deduction.amount.single == 15_750
    monkeypatch.setenv("TLH_RULES_DIR", str(tmp_path))
    assert load_rules(2025).standard_deduction.amount.single == 20_000
    origins = {(s.year, s.origin) for s in list_rule_files()}
    assert (2025, "TLH_RULES_DIR") in origins and (2024, "shipped") in origins


def test_missing_year_says_which_file_to_create(tmp_path: Path) -> None:
    with pytest.raises(RulesError) as info:
        load_rules(2031, rules_dir=tmp_path)
    message = str(info.value)
    assert str(tmp_path / "us" / "2031.yaml") in message
    assert "tlh-xl rules new 2031 --from 2026" in message


def test_file_year_must_match_its_name(tmp_path: Path) -> None:
    path = tmp_path / "us" / "2027.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(GOOD, encoding="utf-8")
    with pytest.raises(RulesError, match="2027.yaml:1 year"):
        load_rules(2027, rules_dir=tmp_path)


# Published figures that the rule files must hold, checked here one by one against the
# Revenue Procedures (and P.L. 119-21 for the 2025 standard deduction).
PUBLISHED = [
    (2023, "standard_deduction.amount.single", 13_850),
    (2023, "capital_gains.thresholds.married_joint", [0, 89_250, 553_850]),
    (2024, "standard_deduction.amount.head_of_household", 21_900),
    (
        2024,
        "ordinary_income.thresholds.single",
        [0, 11_600, 47_150, 100_525, 191_950, 243_725, 609_350],
    ),
    (2025, "standard_deduction.amount.single", 15_750),
    (2025, "standard_deduction.amount.married_joint", 31_500),
    (2025, "standard_deduction.amount.head_of_household", 23_625),
    (2025, "capital_gains.thresholds.single", [0, 48_350, 533_400]),
    (2026, "standard_deduction.amount.single", 16_100),
    (
        2026,
        "ordinary_income.thresholds.married_joint",
        [0, 24_800, 100_800, 211_400, 403_550, 512_450, 768_700],
    ),
    (2026, "capital_gains.thresholds.head_of_household", [0, 66_200, 579_600]),
]


@pytest.mark.parametrize(("year", "key", "value"), PUBLISHED)
def test_published_figures(year: int, key: str, value: object) -> None:
    node: object = load_rules(year)
    for part in key.split("."):
        node = getattr(node, part)
    assert node == value


@pytest.mark.parametrize("year", [2023, 2024, 2025, 2026])
def test_statutory_values(year: int) -> None:
    rules = load_rules(year)
    assert rules.capital_loss.limit.of("married_separate") == 1_500
    assert rules.capital_loss.limit.of("single") == 3_000
    assert rules.niit.thresholds.of("married_joint") == 250_000
    assert rules.niit.thresholds.of("married_separate") == 125_000
    assert rules.capital_gains.collectibles_rate == Decimal("0.28")
    assert rules.wash_sale.asset_classes.crypto.applies is False
    assert rules.wash_sale.asset_classes.security.applies is True
    assert rules.wash_sale.asset_classes.security.window_days == 30
    assert rules.rebuy.wait_hours == 24
    assert (rules.deadline.month, rules.deadline.day) == (12, 31)
    assert rules.niit.indexing is None  # §1411(b): 'rules new' copies the thresholds
    # Every section cites at least one source.
    for name in type(rules).model_fields:
        section = getattr(rules, name)
        if hasattr(section, "reference"):
            assert section.reference, name
