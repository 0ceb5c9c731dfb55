"""The command line as a user runs it: output, exit codes, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


def test_tax_prints_a_readable_table(run_cli) -> None:
    r = run_cli(
        "tax",
        "--year",
        "2025",
        "--status",
        "Married filing jointly",
        "--income",
        "1000000",
        "--lt",
        "600000",
    )
    assert r.returncode == 0, r.stderr
    assert "Total federal tax            $425,207.50" in r.stdout
    assert "Net investment income tax    $22,800.00" in r.stdout


def test_tax_json_matches_the_engine(run_cli) -> None:
    from tlh_xl import compute_tax, load_rules

    r = run_cli(
        "tax",
        "--year",
        "2024",
        "--status",
        "hoh",
        "--income",
        "85000",
        "--st",
        "-5000",
        "--lt",
        "12000.50",
        "--json",
    )
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    expected = compute_tax(
        load_rules(2024),
        filing_status="head_of_household",
        ordinary_income=85000,
        st_gain=-5000,
        lt_gain="12000.50",
    )
    assert data["total_tax"] == str(expected.total_tax)
    assert data["filing_status"] == "head_of_household"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--status", "married", "--income", "1"], "unknown filing status 'married'"),
        (["--status", "single", "--income", "lots"], "ordinary income: expected a number"),
        (
            ["--status", "single", "--income", "1", "--st-carryforward", "-5"],
            "short-term carryforward: must be zero or more",
        ),
    ],
)
def test_bad_tax_input_exits_2_with_one_line(run_cli, args: list[str], message: str) -> None:
    r = run_cli("tax", "--year", "2025", *args)
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and message in r.stderr
    assert "Traceback" not in r.stderr


def test_year_without_rules(run_cli, tmp_path: Path) -> None:
    r = run_cli(
        "tax", "--year", "2031", "--status", "single", "--income", "1", "--rules-dir", str(tmp_path)
    )
    assert r.returncode == 2
    assert "no rules for tax year 2031" in r.stderr and "tlh-xl rules new" in r.stderr


def test_rules_list_and_show(run_cli) -> None:
    r = run_cli("rules", "list")
    assert r.returncode == 0
    for year in (2023, 2024, 2025, 2026):
        assert f"{year}  us    official" in r.stdout
    r = run_cli("rules", "show", "2025")
    assert r.returncode == 0
    assert "standard_deduction.amount.single: 15,750" in r.stdout
    assert "source: Pub. L. 119-21" in r.stdout
    assert "notes: Figures transcribed from Rev. Proc. 2024-40" in r.stdout


def test_help_for_every_command(run_cli) -> None:
    for args in (
        [],
        ["tax"],
        ["rules"],
        ["rules", "check"],
        ["demo"],
        ["init"],
        ["fill"],
        ["excel", "setup"],
    ):
        r = run_cli(*args, "--help")
        assert r.returncode == 0 and "usage: tlh-xl" in r.stdout


def test_demo_fills_the_sample_and_prints_the_summary(run_cli, tmp_path: Path) -> None:
    r = run_cli("demo", "-o", "demo.xlsx", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "demo.xlsx").is_file()
    for label in (
        "Tax saved this year",
        "Net benefit",
        "Tax without / with harvesting",
        "suggested sales",
    ):
        assert label in r.stdout


def test_help_does_not_import_heavy_modules() -> None:
    import subprocess
    import sys

    code = (
        "import sys, tlh_xl.cli as c\n"
        "try:\n    c.main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = ('pandas','openpyxl','pydantic','yaml','csv','tempfile')\n"
        "commands = [m for m in sys.modules if m.startswith('tlh_xl.cli.')"
        " and m.endswith('_cmd')]\n"
        "print(sorted(m for m in heavy if m in sys.modules) + sorted(commands))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # Nor any command's own module: each is imported when its command runs.
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_excel_setup_prints_and_writes_the_snippets(run_cli, tmp_path: Path) -> None:
    r = run_cli("excel", "setup")
    assert r.returncode == 0, r.stderr
    assert '"UDF Modules","tlh_xl.udfs"' in r.stdout
    assert "from tlh_xl.udfs import *" in r.stdout
    assert "tlh_xl.udfs.fill_this_workbook()" in r.stdout
    w = run_cli("excel", "setup", "--write", str(tmp_path))
    assert w.returncode == 0, w.stderr
    assert (tmp_path / "xlwings.conf").read_text().startswith('"UDF Modules","tlh_xl.udfs"')
    main = (tmp_path / "main.py").read_text()
    compile(main, "main.py", "exec")  # valid Python for the Lite editor
    assert "tlh-xl @ " in (tmp_path / "requirements.txt").read_text()
    again = run_cli("excel", "setup", "--write", str(tmp_path))
    assert again.returncode == 2 and "already exists" in again.stderr


def test_every_option_and_argument_has_help_text() -> None:
    """`tlh-xl CMD --help` explains every flag and argument, not just lists them."""
    import argparse

    from tlh_xl.cli import _build_parser

    def walk(parser: argparse.ArgumentParser, path: str) -> list[str]:
        missing = []
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    missing += walk(sub, f"{path} {name}")
            elif not isinstance(action, argparse._HelpAction) and not action.help:
                missing.append(f"{path} {'/'.join(action.option_strings) or action.dest}")
        return missing

    assert walk(_build_parser(), "tlh-xl") == []


def test_rules_diff_finds_a_new_year_in_the_same_rules_dir(tmp_path: Path) -> None:
    """`rules new --rules-dir DIR` then `rules diff 2026 2027 --rules-dir DIR`: the diff
    reads the new file from DIR, not from the user folder."""
    from tlh_xl.cli import main

    folder = tmp_path / "my-rules"
    assert main(["rules", "new", "2027", "--from", "2026", "--rules-dir", str(folder)]) == 0
    assert (folder / "us" / "2027.yaml").is_file()
    assert main(["rules", "diff", "2026", "2027", "--rules-dir", str(folder)]) == 0


def test_fill_says_how_many_lots_and_prices_it_read(tmp_path: Path, capsys) -> None:
    """A fill that read fewer rows than the user typed would plan without a word; it
    says what it read, so a table that stopped short shows."""
    from tlh_xl.cli import main
    from tlh_xl.workbook.sample import build_sample_workbook

    build_sample_workbook(tmp_path / "sample.xlsx")
    assert main(["fill", str(tmp_path / "sample.xlsx"), "-o", str(tmp_path / "out.xlsx")]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("read 40 lots from Lots, 15 prices from Prices; wrote ")
