"""Adding a tax year: rules new / diff / check, user rules folders, the YAML writer."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from tlh_xl import compute_tax, load_rules
from tlh_xl.rulebook import parse_rules_file
from tlh_xl.rulebook.authoring import diff_rules, dump_rules, project
from tlh_xl.rulebook.loader import parse_rules_text

from .conftest import RULES


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "TLH_RULES_DIR"}
    env.update(extra)
    return env


def test_rules_new_writes_a_projected_year_that_checks_loads_and_computes(
    tmp_path: Path, run_cli
) -> None:
    r = run_cli(
        "rules",
        "new",
        "2027",
        "--from",
        "2026",
        "--inflation",
        "0.025",
        "--rules-dir",
        str(tmp_path),
    )
    assert r.returncode == 0, r.stderr
    path = tmp_path / "us" / "2027.yaml"
    assert path.is_file() and (tmp_path / "schema.json").is_file()
    check = run_cli("rules", "check", str(path))
    assert check.returncode == 0 and "projected" in check.stdout

    rules = load_rules(2027, rules_dir=tmp_path)
    assert rules.status == "projected" and rules.last_verified is None
    old = load_rules(2026)
    # 16,100 × 2.5% = 402.50, rounded down to a multiple of $50: +400 → 16,500.
    assert rules.standard_deduction.amount.single == 16_500
    # 24,800 × 2.5% = 620 → +600 (multiple of $50) → 25,400; single 12,400 → +300 ($25) → 12,700.
    assert rules.ordinary_income.thresholds.married_joint[1] == 25_400
    assert rules.ordinary_income.thresholds.single[1] == 12_700
    # Not indexed by the Code: copied as they are (niit.indexing: null says so for NIIT).
    assert rules.niit.thresholds == old.niit.thresholds
    assert rules.capital_loss.limit == old.capital_loss.limit
    assert rules.ordinary_income.rates == old.ordinary_income.rates
    assert any("PROJECTED for 2027" in ref.title for ref in rules.ordinary_income.reference)

    result = compute_tax(rules, filing_status="single", ordinary_income=100_000)
    assert result.total_tax > 0
    taxed = run_cli(
        "tax",
        "--year",
        "2027",
        "--status",
        "single",
        "--income",
        "100000",
        "--rules-dir",
        str(tmp_path),
    )
    assert taxed.returncode == 0, taxed.stderr
    assert taxed.stderr.count("projected figures") == 1  # said once


def test_rules_new_defaults_to_the_user_rules_folder(tmp_path: Path, run_cli) -> None:
    env = _env(XDG_CONFIG_HOME=str(tmp_path), APPDATA=str(tmp_path))
    r = run_cli("rules", "new", "2027", "--from", "2026", env=env)
    assert r.returncode == 0, r.stderr
    written = tmp_path / "tlh-xl" / "rules" / "us" / "2027.yaml"
    assert written.is_file()
    listed = run_cli("rules", "list", env=env)
    assert "2027  us    projected  -           user" in listed.stdout
    again = run_cli("rules", "new", "2027", "--from", "2026", env=env)
    assert again.returncode == 2 and "already exists" in again.stderr


def test_the_rule_file_says_what_rules_new_indexes() -> None:
    """The NIIT thresholds are copied because the file says niit.indexing: null
    (§1411(b)); a file that gives niit.indexing has them projected like the others."""
    rules = load_rules(2026)
    assert rules.niit.indexing is None
    copied = project(rules, 2027, Decimal("0.025"))
    assert copied.niit.thresholds == rules.niit.thresholds
    assert not any("PROJECTED" in ref.title for ref in copied.niit.reference)

    text = (RULES / "us" / "2026.yaml").read_text(encoding="utf-8")
    indexed = text.replace(
        "  indexing: null\n",
        "  indexing:\n"
        "    multiple: {single: 50, married_joint: 50, married_separate: 25, "
        "head_of_household: 50, qualifying_surviving_spouse: 50}\n"
        "    reference: a law indexing the §1411(b) thresholds (test)\n",
    )
    assert indexed != text
    as_if = parse_rules_text(indexed)
    projected = project(as_if, 2027, Decimal("0.025"))
    # 250,000 × 2.5% = 6,250 → +6,250 ($50); 125,000 × 2.5% = 3,125 → +3,125 ($25).
    assert projected.niit.thresholds.married_joint == 256_250
    assert projected.niit.thresholds.married_separate == 128_125
    assert projected.niit.thresholds.single == 205_000
    assert any("PROJECTED for 2027" in ref.title for ref in projected.niit.reference)
    assert projected.niit.indexing == as_if.niit.indexing
    assert parse_rules_text(dump_rules(projected)).model_dump() == projected.model_dump()


@pytest.mark.parametrize("year", [2023, 2024, 2025, 2026])
def test_written_yaml_loads_back_equal(year: int) -> None:
    rules = load_rules(year)
    again = parse_rules_text(dump_rules(rules))
    assert again.model_dump() == rules.model_dump()


# Projecting 2026 from 2025 with the 2.28% the IRS's own 2026 figures imply, and every
# way the projection differs from Rev. Proc. 2025-32 (README, "Adding a new tax year").
PLB = "P.L. 119-21 sec. 70101 gave the 10% and 12% brackets an extra inflation adjustment"
DRIFT = (
    "the IRS indexes the base-year amount once; chaining from last year's rounded "
    "figure drifts one rounding step"
)
HALF = "the married-separate 15% breakpoint is half the joint one, not separately rounded"
HOH = (
    "the 2025 head-of-household amount (23,625) was set by statute; indexing it drifts "
    "from the IRS's figure"
)
EXPECTED_DIFFERENCES = {
    **{
        f"ordinary_income.thresholds.{s}[{i}]": PLB
        for s in (
            "single",
            "married_joint",
            "married_separate",
            "head_of_household",
            "qualifying_surviving_spouse",
        )
        for i in (1, 2)
    },
    "ordinary_income.thresholds.single[6]": DRIFT,
    "capital_gains.thresholds.single[2]": DRIFT,
    "capital_gains.thresholds.married_separate[2]": HALF,
    "standard_deduction.amount.head_of_household": HOH,
}


def test_projecting_2026_from_2025_matches_rev_proc_2025_32_except_the_explained() -> None:
    projected = project(load_rules(2025), 2026, Decimal("0.0228"))
    official = load_rules(2026)
    differences = {key for key, _, _ in diff_rules(projected, official)}
    assert differences - {"status", "last_verified"} == set(EXPECTED_DIFFERENCES)


def test_rules_diff_shows_the_standard_deduction_change(run_cli) -> None:
    r = run_cli("rules", "diff", "2025", "2026")
    assert r.returncode == 0, r.stderr
    line = next(
        x for x in r.stdout.splitlines() if x.startswith("standard_deduction.amount.single ")
    )
    assert "15,750 -> 16,100" in line
    assert "niit" not in r.stdout  # unchanged values are not listed


def test_rules_diff_accepts_files(tmp_path: Path, run_cli) -> None:
    edited = tmp_path / "2026.yaml"
    edited.write_text(
        (RULES / "us" / "2026.yaml")
        .read_text(encoding="utf-8")
        .replace("    single: 16_100", "    single: 16_200"),
        encoding="utf-8",
    )
    r = run_cli("rules", "diff", str(RULES / "us" / "2026.yaml"), str(edited))
    assert r.returncode == 0
    assert r.stdout.splitlines()[1:] == [
        next(x for x in r.stdout.splitlines() if "16,100 -> 16,200" in x)
    ]


def _user_folder_with_bigger_deduction(tmp_path: Path) -> Path:
    folder = tmp_path / "my-rules"
    (folder / "us").mkdir(parents=True)
    text = (RULES / "us" / "2026.yaml").read_text(encoding="utf-8")
    (folder / "us" / "2026.yaml").write_text(
        text.replace("    married_joint: 32_200", "    married_joint: 60_000"), encoding="utf-8"
    )
    assert (
        parse_rules_file(folder / "us" / "2026.yaml").standard_deduction.amount.married_joint
        == 60_000
    )
    return folder


def test_a_users_edited_rule_file_is_used_by_tax_and_fill(tmp_path: Path, run_cli) -> None:
    folder = _user_folder_with_bigger_deduction(tmp_path)
    args = ("tax", "--year", "2026", "--status", "mfj", "--income", "100000")
    shipped = run_cli(*args)
    mine = run_cli(*args, "--rules-dir", str(folder))
    by_env = run_cli(*args, env=_env(TLH_RULES_DIR=str(folder)))
    assert "Deduction                    $32,200.00" in shipped.stdout
    assert "Deduction                    $60,000.00" in mine.stdout
    assert "Deduction                    $60,000.00" in by_env.stdout

    from tlh_xl.workbook.sample import build_sample_workbook

    source = tmp_path / "sample.xlsx"
    build_sample_workbook(source)
    outputs = {}
    for name, extra in (("shipped", ()), ("mine", ("--rules-dir", str(folder)))):
        out = tmp_path / f"{name}.xlsx"
        r = run_cli("fill", str(source), "-o", str(out), *extra)
        assert r.returncode == 0, r.stderr
        wb = openpyxl.load_workbook(out)
        ((sheet, coord),) = wb.defined_names["TaxWithoutHarvest"].destinations
        outputs[name] = Decimal(str(wb[sheet][coord.replace("$", "")].value))
    expected = compute_tax(
        load_rules(2026, rules_dir=folder),
        filing_status="mfj",
        ordinary_income=285_000,
        qualified_dividends=4_200,
        st_gain=18_500,
        lt_gain=42_000,
        lt_carryforward=3_500,
    )
    assert outputs["mine"] == expected.total_tax
    assert outputs["mine"] < outputs["shipped"]


def test_missing_year_suggests_a_command_that_exists(tmp_path: Path, run_cli) -> None:
    r = run_cli(
        "tax", "--year", "2031", "--status", "single", "--income", "1", "--rules-dir", str(tmp_path)
    )
    assert r.returncode == 2
    suggestion = r.stderr.split("'")[1]  # e.g. tlh-xl rules new 2031 --from 2026
    assert suggestion == "tlh-xl rules new 2031 --from 2026"
    made = run_cli(*suggestion.split()[1:], "--rules-dir", str(tmp_path))
    assert made.returncode == 0, made.stderr
    assert load_rules(2031, rules_dir=tmp_path).year == 2031
