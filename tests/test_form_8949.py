"""Form 8949 rows and Schedule D totals, worked by hand from the 2025 instructions.

Boxes (Instructions for Form 8949 (2025), Part I and Part II): digital assets short-term
G (Form 1099-DA, basis reported), H (basis not reported), I (no 1099-DA); long-term J,
K, L; securities A-F. A broker reports basis for a digital asset acquired in the account
from 2026-01-01 and held there (Form 1099-DA instructions, "covered security"); 2025
forms show gross proceeds only.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from tlh_xl import compute_tax, load_rules
from tlh_xl.domain.disposition import Adjustment, Disposition
from tlh_xl.errors import InputError
from tlh_xl.forms import WalletReporting, box_for, form_8949_rows, schedule_d
from tlh_xl.workbook.fill import fill_workbook
from tlh_xl.workbook.sample import build_ledger_sample_workbook, build_sample_workbook

D = Decimal
FORM_2026 = load_rules(2026).form_8949
FORM_2025 = load_rules(2025).form_8949
BROKER = WalletReporting("Broker")
SELF = WalletReporting("Self-custody")


def sale(
    acquired: str,
    sold: str,
    term: str,
    asset_class: str = "Crypto",
    wallet: str = "Coinbase",
    proceeds: str = "1000",
    basis: str = "1500",
    adjustments: tuple[Adjustment, ...] = (),
) -> Disposition:
    p, b = D(proceeds), D(basis)
    return Disposition(
        "L1",
        "ETH",
        asset_class,  # type: ignore[arg-type]
        wallet,
        "T1",
        dt.date.fromisoformat(acquired),
        dt.date.fromisoformat(sold),
        D("0.5"),
        p,
        b,
        p - b,
        term,  # type: ignore[arg-type]
        D(0),
        adjustments,
    )


@pytest.mark.parametrize(
    ("case", "reporting", "moved", "box"),
    [
        # G: at a broker, bought 2026-02-01 in the account, sold short-term 2026-06-01.
        (sale("2026-02-01", "2026-06-01", "short"), BROKER, False, "G"),
        # H: at a broker, bought 2025-09-01 (before 2026: a noncovered security).
        (sale("2025-09-01", "2026-06-01", "short"), BROKER, False, "H"),
        # H: bought 2026-02-01 elsewhere and moved into the account: not covered.
        (sale("2026-02-01", "2026-06-01", "short"), BROKER, True, "H"),
        # I: sold from self-custody, no 1099-DA.
        (sale("2026-02-01", "2026-06-01", "short", wallet="Ledger"), SELF, False, "I"),
        # J: long-term at a broker that reports basis from 2020 on (the Wallets row's own
        # Basis Reported From), bought 2024-01-10.
        (
            sale("2024-01-10", "2026-06-01", "long"),
            WalletReporting("Broker", dt.date(2020, 1, 1)),
            False,
            "J",
        ),
        # K: long-term at a broker, bought 2024-01-10: basis not reported.
        (sale("2024-01-10", "2026-06-01", "long"), BROKER, False, "K"),
        # L: long-term from self-custody.
        (sale("2024-01-10", "2026-06-01", "long", wallet="Ledger"), SELF, False, "L"),
        # A and D: a spot bitcoin ETF at a broker, short- and long-term: covered.
        (sale("2026-02-01", "2026-06-01", "short", "Security"), BROKER, False, "A"),
        (sale("2024-03-01", "2026-06-01", "long", "Security"), BROKER, False, "D"),
        # An override on the Wallets sheet: H given for a long-term sale is K's row.
        (sale("2024-01-10", "2026-06-01", "long"), WalletReporting("Broker", box="G"), False, "J"),
        # No Kind on the Wallets sheet: no box is guessed.
        (sale("2024-01-10", "2026-06-01", "long"), None, False, "?"),
    ],
)
def test_the_box_of_each_kind_of_sale(
    case: Disposition, reporting: WalletReporting | None, moved: bool, box: str
) -> None:
    assert FORM_2026 is not None
    assert box_for(FORM_2026, case, reporting, moved)[0] == box


def test_a_2025_sale_at_a_broker_is_h_or_k_whatever_the_broker_says() -> None:
    """2025 Forms 1099-DA report gross proceeds only: even a broker whose Wallets row says
    it reports basis from 2020 puts a 2025 sale in H (short) or K (long)."""
    assert FORM_2025 is not None
    early = WalletReporting("Broker", dt.date(2020, 1, 1))
    assert box_for(FORM_2025, sale("2025-02-01", "2025-06-01", "short"), early)[0] == "H"
    assert box_for(FORM_2025, sale("2023-02-01", "2025-06-01", "long"), early)[0] == "K"
    assert box_for(FORM_2025, sale("2023-02-01", "2025-06-01", "long", wallet="L"), SELF)[0] == "L"


def test_a_box_override_from_the_wrong_kind_of_asset_is_refused() -> None:
    assert FORM_2026 is not None
    bad = WalletReporting("Broker", box="A", place="Wallets!A3")
    with pytest.raises(InputError, match=r"Wallets!A3 Box: 'A' is not a box for this kind"):
        box_for(FORM_2026, sale("2024-01-10", "2026-06-01", "long"), bad)


def test_columns_add_up_and_schedule_d_totals_by_box() -> None:
    """Three sales, worked by hand:

    * H: proceeds $1,000.00, basis $1,500.00, no adjustment: (h) = 1,000 − 1,500 = −$500.00;
    * H: proceeds $2,000.00, basis $1,200.00, code E, adjustment −$25.00 (a fee not on the
      1099-DA): (h) = 2,000 − 1,200 − 25 = $775.00;
    * L: proceeds $3,000.00, basis $4,000.00: (h) = −$1,000.00.

    Schedule D: line 2 (box B/H) proceeds $3,000.00, basis $2,700.00, adjustment −$25.00,
    gain $275.00; line 6 carryover −$100.00; line 7 = 275 − 100 = $175.00. Line 10 (F/L)
    −$1,000.00; line 14 −$0; line 15 −$1,000.00; line 16 = 175 − 1,000 = −$825.00.
    """
    assert FORM_2026 is not None
    sales = [
        sale("2025-09-01", "2026-06-01", "short"),
        sale(
            "2025-10-01",
            "2026-07-01",
            "short",
            proceeds="2000",
            basis="1200",
            adjustments=(Adjustment("E", D("-25")),),
        ),
        sale("2024-01-10", "2026-06-01", "long", wallet="Ledger", proceeds="3000", basis="4000"),
    ]
    rows = form_8949_rows(FORM_2026, sales, [], {"Coinbase": BROKER, "Ledger": SELF})
    assert [(r.box, r.code, r.adjustment, r.gain_loss) for r in rows] == [
        ("H", "", D("0.00"), D("-500.00")),
        ("H", "E", D("-25.00"), D("775.00")),
        ("L", "", D("0.00"), D("-1000.00")),
    ]
    lines = {line.line: line for line in schedule_d(rows, carryover_short=D(100))}
    assert (lines["2"].proceeds, lines["2"].cost_basis, lines["2"].adjustment) == (
        D("3000.00"),
        D("2700.00"),
        D("-25.00"),
    )
    assert lines["2"].gain_loss == D("275.00") and lines["6"].gain_loss == D("-100")
    assert lines["7"].gain_loss == D("175.00")
    assert lines["10"].gain_loss == lines["15"].gain_loss == D("-1000.00")
    assert lines["16"].gain_loss == D("-825.00")


def _named(wb: Any, name: str) -> Any:
    ((sheet, coord),) = wb.defined_names[name].destinations
    return wb[sheet][coord.replace("$", "")].value


def test_the_ledger_sample_on_form_8949_reconciles_with_the_tax_engine(tmp_path: Path) -> None:
    """The ledger sample: its 2026 disposals at Coinbase and Kraken were of lots bought
    before 2026 (box K), the planned SOL sales are 40 SOL bought 2024-11-20 (K) and 14 SOL
    received in the 2026-03-10 trade at Kraken (G: acquired in 2026 in the account).
    Schedule D's lines 7 and 15 equal compute_tax's netting of the same figures."""
    source = tmp_path / "in.xlsx"
    build_ledger_sample_workbook(source)
    result = fill_workbook(source, tmp_path / "out.xlsx", progress=False)
    forms = result.forms
    assert forms is not None
    assert [(r.section, r.box) for r in forms.rows] == [
        ("Realized", "K"),
        ("Realized", "K"),
        ("Realized", "K"),
        ("Planned", "G"),
        ("Planned", "K"),
    ]
    planned = {r.description: r for r in forms.rows if r.section == "Planned"}
    assert planned["14 SOL (lot KR-2026-0310, planned)"].gain_loss == D("-908.20")
    lines = {line.line: line.gain_loss for line in forms.schedule_d}
    # Realized long-term 11,263.33; planned −4,504.56 (K) and −908.20 (G, short-term);
    # carryforward LT 3,500: line 15 = 11,263.33 − 4,504.56 − 3,500 = 3,258.77.
    assert lines["9"] == D("11263.33") - D("4504.56") == D("6758.77")
    assert lines["7"] == D("-908.20") and lines["15"] == D("3258.77")
    rp = result.plan.profile
    tax = compute_tax(
        result.rules,
        filing_status=rp.filing_status,
        ordinary_income=rp.ordinary_income,
        qualified_dividends=rp.qualified_dividends,
        st_gain=rp.realized_short_term + D("-908.20"),
        lt_gain=rp.realized_long_term + D("-4504.56"),
        lt_carryforward=rp.carryforward_long_term,
    )
    assert (tax.net_short_term, tax.net_long_term) == (lines["7"], lines["15"])
    assert tax.total_tax == result.plan.summary.tax_with_harvest

    wb = openpyxl.load_workbook(tmp_path / "out.xlsx")
    assert "Form 8949" in wb.sheetnames
    assert _named(wb, "SchD15") == 3258.77 and _named(wb, "SchD9_Proceeds") == float(
        sum(r.proceeds for r in forms.rows if r.box == "K")
    )
    ws = wb["Form 8949"]
    assert len(ws.row_breaks.brk) == 3  # Realized K, Planned G, Planned K: a page each
    texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert (
        "Planned: Part I, box G: short-term, digital assets, Form 1099-DA with basis "
        "reported to the IRS" in texts
    )
    sums = [c.value for row in ws.iter_rows() for c in row if str(c.value).startswith("=SUM(")]
    assert len(sums) == 3 * 4


def test_wallets_without_a_kind_give_no_box_and_the_totals_say_so(tmp_path: Path) -> None:
    """The 40-lot sample with its Wallets rows removed: every sale is in box '?',
    Schedule D counts them on lines of their own, and the Profile's typed realized figures
    (short-term $18,500, long-term $42,000) go on the 'typed on the Profile' lines."""
    from tlh_xl.workbook.sheets import build_wallets

    source = tmp_path / "in.xlsx"
    build_sample_workbook(source)
    wb = openpyxl.load_workbook(source)
    index = wb.sheetnames.index("Wallets")
    wb.remove(wb["Wallets"])
    build_wallets(wb.create_sheet("Wallets", index))
    wb.save(source)
    result = fill_workbook(source, tmp_path / "out.xlsx", progress=False)
    assert result.forms is not None
    assert {r.box for r in result.forms.rows} == {"?"}
    lines = {line.line: line.gain_loss for line in result.forms.schedule_d}
    assert lines["ST+"] == D("18500") and lines["LT+"] == D("42000")
    planned_st = sum(s.gain_loss for s in result.plan.sale_records if s.term == "short")
    assert lines["ST?"] == planned_st
    assert lines["7"] == D("18500") + planned_st


def test_no_form_8949_before_2025(tmp_path: Path) -> None:
    assert load_rules(2024).form_8949 is None


def test_the_samples_wallets_put_every_sale_in_a_box(tmp_path: Path) -> None:
    """The 40-lot sample lists its eight wallets: the ETF sales at Fidelity/Schwab go in
    A-F, self-custody ones in I/L, the exchanges' in G/H/K."""
    source = tmp_path / "in.xlsx"
    build_sample_workbook(source)
    result = fill_workbook(source, tmp_path / "out.xlsx", progress=False)
    assert result.forms is not None
    boxes = {(r.wallet, r.box) for r in result.forms.rows}
    assert "?" not in {box for _, box in boxes}
    for wallet, box in boxes:
        if wallet in ("Ledger", "MetaMask", "Phantom"):
            assert box in ("I", "L"), (wallet, box)
        elif wallet in ("Fidelity", "Schwab"):
            assert box in ("A", "B", "D", "E"), (wallet, box)
        else:
            assert box in ("G", "H", "K"), (wallet, box)


# --- recalculated and printed by LibreOffice ---------------------------------------------


def test_the_form_8949_sheet_recalculates_and_prints_one_box_per_page(tmp_path: Path) -> None:
    """LibreOffice recalculates the sheet with no error cell, and each box's totals row
    equals Schedule D's line for that box; printed, every block of rows starts a page of
    Letter paper, the form's column headers on it, at a readable size."""
    import statistics

    from .libreoffice import SOFFICE, error_cells, recalculate, render
    from .test_workbook_render import LETTER, PDFTOTEXT, pages_of

    if SOFFICE is None or PDFTOTEXT is None:
        pytest.skip("LibreOffice (soffice) and poppler (pdftotext) are not installed")
    source = tmp_path / "in.xlsx"
    build_ledger_sample_workbook(source)
    result = fill_workbook(source, tmp_path / "out.xlsx", progress=False)
    assert result.forms is not None
    values = recalculate(tmp_path / "out.xlsx", tmp_path)
    assert [c for c in error_cells(values) if c.startswith("Form 8949!")] == []
    ws = openpyxl.load_workbook(values, data_only=True)["Form 8949"]
    totals = [
        row[7].value for row in ws.iter_rows() if str(row[0].value or "").startswith("Totals")
    ]
    realized_k = sum(
        r.gain_loss for r in result.forms.rows if (r.section, r.box) == ("Realized", "K")
    )
    assert totals[0] == pytest.approx(float(realized_k)) and len(totals) == 3

    pages = [
        p
        for p in pages_of(render(tmp_path / "out.xlsx", tmp_path).with_suffix(".pdf"))
        if p.has("(a) Description")
    ]
    assert len(pages) == 3  # Realized K, Planned G, Planned K
    for page in pages:
        assert sorted((round(page.width), round(page.height))) == sorted(LETTER)
        assert page.has("(d) Proceeds") and page.has("(e) Cost or other basis")
        assert statistics.median(h for _, h in page.words) >= 8.0
    assert pages[1].has("box G")


# --- the command line: --8949-out and --wallets ----------------------------------------------


def test_8949_out_writes_the_rows_as_csv(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import csv

    from tlh_xl.cli import main

    source = tmp_path / "in.xlsx"
    build_ledger_sample_workbook(source)
    out = tmp_path / "form8949.csv"
    assert main(["fill", str(source), "--8949-out", str(out)]) == 0
    assert "Form 8949: 5 rows by box (G 1, K 4)" in capsys.readouterr().out
    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["Box"] for r in rows] == ["K", "K", "K", "G", "K"]
    planned = rows[3]
    assert planned == {
        "Section": "Planned",
        "Box": "G",
        "Description": "14 SOL (lot KR-2026-0310, planned)",
        "Date Acquired": "2026-03-10",
        "Date Sold": "2026-12-01",
        "Proceeds": "1791.80",
        "Cost Basis": "2700.00",
        "Code": "",
        "Adjustment": "0.00",
        "Gain or Loss": "-908.20",
    }


def test_wallets_from_a_csv_decide_the_boxes(tmp_path: Path) -> None:
    """The same workbook with Kraken declared self-custody in a CSV: its sales move from
    G/K to I/L."""
    from tlh_xl.cli import main

    source = tmp_path / "in.xlsx"
    build_ledger_sample_workbook(source)
    wallets = tmp_path / "wallets.csv"
    wallets.write_text(
        "Wallet,Kind\nLedger,Self-custody\nCoinbase,Broker\nKraken,Self-custody\n",
        encoding="utf-8",
    )
    out = tmp_path / "f.csv"
    assert main(["fill", str(source), "--wallets", str(wallets), "--8949-out", str(out)]) == 0
    boxes = [line.split(",")[1] for line in out.read_text(encoding="utf-8").splitlines()[1:]]
    assert boxes == ["K", "K", "L", "I", "L"]


def test_8949_out_for_a_year_without_boxes_is_refused_before_anything_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tlh_xl.cli import main

    source = tmp_path / "in.xlsx"
    build_ledger_sample_workbook(source)  # its lots as of 2024, from the ledger
    code = main(
        [
            "fill",
            str(source),
            "--year",
            "2024",
            "--as-of",
            "2024-12-31",
            "--8949-out",
            str(tmp_path / "f.csv"),
        ]
    )
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--8949-out: the 2024 rules give no Form 8949 boxes" in err[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.xlsx"]


def test_8949_out_and_wallets_are_for_one_workbook(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tlh_xl.cli import main

    for name in ("a.xlsx", "b.xlsx"):
        build_sample_workbook(tmp_path / name)
    args = ["fill", str(tmp_path / "a.xlsx"), str(tmp_path / "b.xlsx")]
    assert main([*args, "--8949-out", str(tmp_path / "f.csv")]) == 2
    assert "--8949-out applies to one workbook" in capsys.readouterr().err


def test_the_sheet_holds_each_row_cell_by_cell_and_repeats_headers_on_each_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With two rows to a page, Realized K's three rows take two pages, each with the
    block's title and the form's headers; every row's cells are the row's figures, and the
    block's totals formula spans both pages."""
    from tlh_xl.workbook import form_sheet

    monkeypatch.setattr(form_sheet, "ROWS_PER_PAGE", 2)
    source = tmp_path / "in.xlsx"
    build_ledger_sample_workbook(source)
    result = fill_workbook(source, tmp_path / "out.xlsx", progress=False)
    assert result.forms is not None
    ws = openpyxl.load_workbook(tmp_path / "out.xlsx")["Form 8949"]
    cells = [[c.value for c in row] for row in ws.iter_rows(max_col=10)]
    titles = [
        r[0] for r in cells if str(r[0] or "").startswith(("Realized: Part", "Planned: Part"))
    ]
    assert titles == [
        "Realized: Part II, box K: long-term, digital assets, Form 1099-DA, basis not reported "
        "to the IRS",
        "Realized: Part II, box K: long-term, digital assets, Form 1099-DA, basis not reported "
        "to the IRS (continued)",
        "Planned: Part I, box G: short-term, digital assets, Form 1099-DA with basis reported "
        "to the IRS",
        "Planned: Part II, box K: long-term, digital assets, Form 1099-DA, basis not reported "
        "to the IRS",
    ]
    assert sum(1 for r in cells if r[0] == "(a) Description") == 4
    assert len(ws.row_breaks.brk) == 4
    written = [r for r in cells if isinstance(r[2], dt.datetime)]  # (c) date sold
    assert len(written) == len(result.forms.rows)
    for got, row in zip(written, result.forms.rows):
        assert got[0] == row.description
        assert got[1].date() == row.acquired and got[2].date() == row.sold
        assert [D(str(v)) for v in (got[3], got[4], got[7])] == [
            row.proceeds,
            row.cost_basis,
            row.gain_loss,
        ]
        assert got[5] is None and got[6] is None  # no code, no adjustment
        assert (got[8], got[9]) == (row.wallet, row.why)
    totals = [r for r in cells if str(r[0] or "").startswith("Totals")]
    first_total = str(totals[0][7])
    assert first_total.startswith("=SUM(H") and totals[0][0] == "Totals (3 rows)"


def test_the_fast_and_the_plain_path_write_the_same_form_8949(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The rows of each page go straight to the sheet's XML from the page's first row
    (``fast_rows.BLOCKS``); with the fast path unavailable (a future openpyxl) they are
    written as cells like that row. Both give the same cells, values, types and formats,
    pages of two rows included, and neither writes a formula but the totals'."""
    import logging

    from tlh_xl.workbook import fast_rows, form_sheet

    monkeypatch.setattr(form_sheet, "ROWS_PER_PAGE", 2)
    source = tmp_path / "in.xlsx"
    build_ledger_sample_workbook(source)
    outputs = {}
    for path_kind in ("fast", "plain"):
        with monkeypatch.context() as patch:
            if path_kind == "plain":
                patch.setattr(openpyxl, "__version__", "3.2.0")
            caplog.clear()
            with caplog.at_level(logging.INFO, logger=fast_rows.__name__):
                fill_workbook(source, tmp_path / f"{path_kind}.xlsx", progress=False)
            fell_back = [r for r in caplog.records if r.name == fast_rows.__name__]
            assert bool(fell_back) == (path_kind == "plain"), fell_back
        ws = openpyxl.load_workbook(tmp_path / f"{path_kind}.xlsx")["Form 8949"]
        outputs[path_kind] = {
            c.coordinate: (c.value, c.data_type, c.number_format)
            for row in ws.iter_rows()
            for c in row
            if c.value is not None
        }
    assert outputs["fast"] == outputs["plain"]
    formulas = [v for v, t, _ in outputs["fast"].values() if t == "f"]
    assert formulas and all(str(v).startswith("=SUM(") for v in formulas)
    dated = [v for v, _, fmt in outputs["fast"].values() if isinstance(v, dt.datetime)]
    assert dated  # the rows' dates came through as dates, with the date format
