"""The committed template equals what the builder makes, and follows the contract."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl

from tlh_xl.workbook.contract import PROFILE_FIELDS, SHEETS, SUMMARY_FIELDS
from tlh_xl.workbook.template import template_path, write_template

FORBIDDEN = ("XLOOKUP", "LET(", "FILTER(", "SORT(", "UNIQUE(", "SEQUENCE(", "LAMBDA(")


def describe(path: Path) -> dict[str, Any]:
    """Everything reviewable about a workbook, without zip timestamps."""
    wb = openpyxl.load_workbook(path)
    out: dict[str, Any] = {"sheets": wb.sheetnames, "names": {}}
    for name, dn in wb.defined_names.items():
        out["names"][name] = dn.attr_text
    for ws in wb.worksheets:
        out[ws.title] = {
            "cells": {
                c.coordinate: (c.value, c.number_format, c.style)
                for row in ws.iter_rows()
                for c in row
                if c.value is not None
            },
            "tables": {t.name: (t.ref, t.tableStyleInfo.name) for t in ws.tables.values()},
            "validations": sorted(
                (str(dv.sqref), dv.type, dv.formula1) for dv in ws.data_validations.dataValidation
            ),
            "charts": len(ws._charts),
            "freeze": ws.freeze_panes,
        }
    return out


def test_committed_template_matches_the_builder(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.xlsx"
    write_template(fresh)
    assert describe(template_path()) == describe(fresh), (
        "regenerate: python -m tlh_xl.workbook.template"
    )


def test_template_follows_the_contract() -> None:
    info = describe(template_path())
    assert info["sheets"] == list(SHEETS)
    for f in (*PROFILE_FIELDS, *SUMMARY_FIELDS):
        assert f.name in info["names"], f.name
    assert "Lots" in info["Lots"]["tables"] and "Prices" in info["Prices"]["tables"]
    assert "Harvest" in info["Harvest"]["tables"] and "Positions" in info["Positions"]["tables"]
    assert info["Summary"]["charts"] == 2
    for sheet in ("Lots", "Prices", "Positions", "Harvest"):
        assert info[sheet]["freeze"] == "A2"
    assert any("Married filing jointly" in (v[2] or "") for v in info["Profile"]["validations"])
    formulas = [
        v[0]
        for s in SHEETS
        for v in info[s]["cells"].values()
        if isinstance(v[0], str) and v[0].startswith("=")
    ]
    assert formulas, "the template should carry formulas"
    for formula in formulas:
        assert not any(bad in formula.upper() for bad in FORBIDDEN), formula


def test_rows_a_user_types_are_formatted_like_the_first() -> None:
    """Each input column carries its format as the column's own style, which Excel and
    LibreOffice give every cell typed into it: a cost basis typed in row 30 shows as
    $8,800.00, not 8800; a price of 0.00006 keeps its digits."""
    from openpyxl.utils import get_column_letter

    from tlh_xl.workbook.contract import LOT_COLUMNS, PRICE_COLUMNS
    from tlh_xl.workbook.sheets import FORMATS

    wb = openpyxl.load_workbook(template_path())
    for sheet, columns in (("Lots", LOT_COLUMNS), ("Prices", PRICE_COLUMNS)):
        ws = wb[sheet]
        for i, column in enumerate(columns, start=1):
            letter = get_column_letter(i)
            assert ws.column_dimensions[letter].number_format == FORMATS[column.kind], (
                sheet,
                column.header,
            )
    assert FORMATS["price"].startswith('"$"#,##0.00#')
    assert wb["Prices"].column_dimensions["B"].number_format == FORMATS["price"]


def test_profile_state_is_a_dropdown_of_the_shipped_states() -> None:
    """Each shipped state's rule folder (rules/us-xx) is a choice; another code is let
    through after a warning, for a state in the user's own rules folder."""
    import openpyxl

    from tlh_xl.rulebook.store import shipped_rules_dir
    from tlh_xl.workbook.template import template_path

    wb = openpyxl.load_workbook(template_path())
    ((sheet, coord),) = wb.defined_names["State"].destinations
    cell = coord.replace("$", "")
    (dv,) = [v for v in wb[sheet].data_validations.dataValidation if cell in str(v.sqref)]
    shipped = sorted(
        d.name[3:].upper() for d in shipped_rules_dir().iterdir() if d.name.startswith("us-")
    )
    assert dv.formula1.strip('"').split(",") == shipped and "CA" in shipped
    assert dv.errorStyle == "warning"


def test_the_tax_chart_names_the_state_when_there_is_one(tmp_path: Path) -> None:
    import openpyxl

    from tlh_xl.workbook.fill import fill_workbook
    from tlh_xl.workbook.sample import build_sample_workbook

    def title(path: Path) -> str:
        chart = openpyxl.load_workbook(path)["Summary"]._charts[0]
        return "".join(r.t for p in chart.title.tx.rich.p for r in (p.r or []))

    source = tmp_path / "s.xlsx"
    build_sample_workbook(source)
    fill_workbook(source, tmp_path / "federal.xlsx", progress=False)
    assert title(tmp_path / "federal.xlsx") == "Federal tax: before and after harvesting"
    wb = openpyxl.load_workbook(source)
    ((sheet, coord),) = wb.defined_names["State"].destinations
    wb[sheet][coord.replace("$", "")] = "CA"
    wb.save(source)
    fill_workbook(source, tmp_path / "ca.xlsx", progress=False)
    assert title(tmp_path / "ca.xlsx") == "Federal + CA tax: before and after harvesting"
