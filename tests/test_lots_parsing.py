"""Lot parsing: the columnar pass agrees with the careful row-by-row pass, and the
shapes users give (dicts, DataFrames, the workbook reader's records) take it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from tlh_xl import InputError
from tlh_xl.harvest import lots as lots_module
from tlh_xl.harvest.lots import (
    Lot,
    _columns,
    _default_place,
    _parse_columns,
    _parse_records,
    _parse_rows,
    _Unusual,
    parse_lots,
)

AS_OF = dt.date(2025, 12, 1)
NAN = float("nan")

# Values a column can hold: plain ones the columnar pass takes, and odd or bad ones
# (text numbers, NaN, bools, blanks, wrong types) it must leave to the careful pass.
IDS = st.sampled_from(["L1", " L2 ", "L3", "L1", "", "  ", None, 7, 7.0, NAN])
ASSETS = st.sampled_from(["BTC", " ETH", "SOL ", "", None, 5, NAN])
CLASSES = st.sampled_from(
    ["Crypto", "NFT", "NFT (collectible)", "Security", "crypto", " ETF ", "coin", "Gold", None, 1]
)
DATES = st.sampled_from(
    [
        dt.date(2024, 2, 29),
        dt.date(2025, 11, 30),
        dt.date(2025, 12, 2),  # after the as-of date
        dt.datetime(2025, 3, 1, 15, 30),
        pd.Timestamp("2025-03-01 15:30"),
        "2025-03-01",
        "March 1",
        None,
        45000,
    ]
)
NUMBERS = st.sampled_from(
    [
        Decimal("1.5"),
        Decimal("0"),
        Decimal("-2"),
        Decimal("NaN"),
        Decimal("Infinity"),
        3,
        0,
        -1,
        0.1,
        1e-9,
        2.5e12,
        NAN,
        float("inf"),
        True,
        "12.50",
        "$1,000",
        "lots",
        "",
        None,
    ]
)
TEXTS = st.sampled_from(["Coinbase", " Ledger ", "", "   ", None, NAN, 12, 3.0])
OVERRIDES = st.sampled_from([None, None, NAN, Decimal("2"), 0.5, 3, -1, "4", "", Decimal("NaN")])
EXCLUDES = st.sampled_from([None, None, True, False, "yes", "No", "TRUE", "", "maybe", 1, 0.0])


@st.composite
def lot_records(draw):
    """Rows whose columns are mostly plain (so the columnar pass often runs), with odd
    values mixed into some columns."""
    n = draw(st.integers(0, 6))
    plain = {
        "lot_id": st.sampled_from(["L1", " L2 ", "L3", "L4", "L5", "L6", "L7"]),
        "asset": st.sampled_from(["BTC", " ETH", "SOL "]),
        "asset_class": st.sampled_from(["Crypto", "NFT", "Security"]),
        "wallet": st.sampled_from(["Coinbase", " Ledger ", "", None]),
        "acquired": st.sampled_from(
            [dt.date(2024, 2, 29), dt.datetime(2025, 3, 1, 9), pd.Timestamp("2025-11-30 23:59")]
        ),
        "quantity": st.sampled_from([Decimal("1.5"), 3, 0.1, 2.5e12]),
        "cost_basis": st.sampled_from([Decimal("0"), Decimal("100.25"), 7, 0.3]),
        "tx_id": st.sampled_from(["0xab", "", None]),
        "price_override": st.sampled_from([None, NAN, Decimal("2"), 0.5]),
        "exclude": st.sampled_from([None, True, "yes", "No"]),
    }
    odd = {
        "lot_id": IDS,
        "asset": ASSETS,
        "asset_class": CLASSES,
        "wallet": TEXTS,
        "acquired": DATES,
        "quantity": NUMBERS,
        "cost_basis": NUMBERS,
        "tx_id": TEXTS,
        "price_override": OVERRIDES,
        "exclude": EXCLUDES,
    }
    mixed = draw(st.sets(st.sampled_from(sorted(plain)), min_size=1, max_size=2))
    rows = []
    ids = draw(st.permutations(["L1", " L2 ", "L3", "L4", "L5", "L6", "L7"]))
    for i in range(n):
        row = {k: draw(odd[k] if k in mixed and draw(st.booleans()) else plain[k]) for k in plain}
        if "lot_id" not in mixed:
            row["lot_id"] = ids[i]
        if draw(st.booleans()):
            del row["price_override"]
        rows.append(row)
    return rows


def _careful(rows):
    try:
        return _parse_rows(rows, AS_OF, _default_place)
    except InputError as exc:
        return str(exc)


def _row(**changes):
    row = {
        "lot_id": "L1",
        "asset": "BTC",
        "asset_class": "Crypto",
        "wallet": "Coinbase",
        "acquired": dt.date(2025, 3, 1),
        "quantity": Decimal("1.5"),
        "cost_basis": 100,
        "tx_id": "0xab",
    }
    return {**row, **changes}


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lot_records())
# Edges the random rows reach only now and then, pinned:
@example([_row(asset=" ")])
@example([_row(quantity=0)])
@example([_row(quantity=Decimal("0"))])
@example([_row(quantity=True)])
@example([_row(cost_basis=-0.01)])
@example([_row(price_override=Decimal("NaN"))])
@example([_row(price_override=-1)])
@example([_row(exclude="  ")])
@example([_row(exclude=1)])
@example([_row(acquired=AS_OF + dt.timedelta(days=1))])
@example([_row(lot_id="L1"), _row(lot_id=" L1")])
@example([_row(asset_class="crypto ")])
def test_columnar_pass_accepts_only_what_the_careful_pass_accepts(rows) -> None:
    careful = _careful(rows)
    try:
        fast = _parse_columns(_columns(rows), AS_OF).records()
    except _Unusual:
        fast = None
    if fast is not None:
        # Whatever the columnar pass takes, the careful pass takes too, with equal lots.
        assert fast == careful
    try:
        assert parse_lots(rows, AS_OF) == careful
    except InputError as exc:
        assert str(exc) == careful


def test_columnar_pass_runs_on_plain_columns() -> None:
    """The generator above does reach the columnar pass (the test can fail)."""
    rows = [
        {
            "lot_id": "L1",
            "asset": "BTC",
            "asset_class": "Crypto",
            "wallet": None,
            "acquired": dt.datetime(2025, 3, 1, 9),
            "quantity": 0.1,
            "cost_basis": 7,
            "tx_id": "",
            "price_override": NAN,
            "exclude": "No",
        }
    ]
    assert _parse_columns(_columns(rows), AS_OF).records() == [
        Lot("L1", "BTC", "Crypto", "", dt.date(2025, 3, 1), Decimal("0.1"), Decimal(7), "")
    ]


@pytest.fixture
def careful_pass_forbidden(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the careful pass ran on plain input")

    monkeypatch.setattr(lots_module, "_parse_rows", refuse)


def test_dicts_and_frames_take_the_columnar_pass(careful_pass_forbidden) -> None:
    rows = [
        {
            "lot_id": f"L{i}",
            "asset": "ETH",
            "asset_class": "Crypto",
            "wallet": "Ledger",
            "acquired": dt.date(2025, 1, 1) + dt.timedelta(days=i),
            "quantity": Decimal("0.5") + i,
            "cost_basis": 1000.25 + i,
            "tx_id": f"0x{i}",
        }
        for i in range(50)
    ]
    from_dicts = parse_lots(rows, AS_OF)
    frame = pd.DataFrame(rows)
    from_frame = parse_lots(frame, AS_OF)
    assert from_dicts == from_frame
    frame["acquired"] = pd.to_datetime(frame["acquired"])  # Timestamps, as read_csv gives
    assert parse_lots(frame, AS_OF) == from_dicts
    assert from_dicts[3].cost_basis == Decimal("1003.25") and from_dicts[3].row == 3


def test_workbook_records_take_the_columnar_pass(tmp_path: Path, careful_pass_forbidden) -> None:
    from tlh_xl.workbook.reader import read_inputs
    from tlh_xl.workbook.sample import build_sample_workbook

    path = tmp_path / "sample.xlsx"
    build_sample_workbook(path)
    inputs = read_inputs(load_workbook(path), lambda sheet, cell: None)
    lots = parse_lots(inputs.lots.records, AS_OF.replace(year=2026))
    assert len(lots) == 40 and all(type(lot.acquired) is dt.date for lot in lots)


def test_an_error_deep_in_a_large_input_names_its_lot() -> None:
    rows = [
        {
            "lot_id": f"L{i}",
            "asset": "BTC",
            "asset_class": "Crypto",
            "acquired": dt.date(2025, 1, 1),
            "quantity": 1,
            "cost_basis": 10,
        }
        for i in range(20_000)
    ]
    rows[17_345]["quantity"] = -3
    with pytest.raises(InputError, match="^lot L17345: quantity: must be greater than 0"):
        parse_lots(rows, AS_OF)
    rows[17_345]["quantity"] = 3
    rows[19_999]["lot_id"] = "L12"
    with pytest.raises(InputError, match=r"^lot L12: lot_id: duplicate lot ID 'L12' \(first"):
        parse_lots(rows, AS_OF)


# --- the declaration of the Lots columns is the single source -------------------------


def test_the_workbook_contract_and_the_parser_come_from_the_declaration() -> None:
    from dataclasses import fields

    from tlh_xl.domain.lot_columns import CELL_KINDS, LOT_DECLARATION
    from tlh_xl.workbook import contract

    assert [(c.header, c.field, c.kind, c.required, c.width) for c in contract.LOT_COLUMNS] == [
        (c.header, c.field, c.cell_kind, c.required, c.width) for c in LOT_DECLARATION
    ]
    assert lots_module.LOT_COLUMNS + lots_module.OPTIONAL_LOT_COLUMNS == tuple(
        c.field for c in LOT_DECLARATION
    )
    stored = [c.field for c in LOT_DECLARATION if c.stored]
    assert [f.name for f in fields(Lot)] == [*stored, "row"]
    assert "notes" in {c.field for c in LOT_DECLARATION} - set(stored)  # read, not kept
    assert set(lots_module._KINDS) == set(CELL_KINDS)  # every kind has its two converters
    assert [(f, c.kind) for f, _, c in lots_module._LOTS.fast] == [
        (c.field, c.kind) for c in LOT_DECLARATION if c.stored
    ]


def test_a_declaration_the_lot_does_not_match_is_refused() -> None:
    from tlh_xl.domain.lot_columns import LOT_DECLARATION, LotColumn, check_declaration

    extra = LotColumn("memo", "Memo", "text", required=False, default="")
    with pytest.raises(ValueError, match="memo"):
        lots_module._compile((*LOT_DECLARATION, extra))  # Lot has no memo field
    with pytest.raises(ValueError, match="declared twice: asset"):
        check_declaration((*LOT_DECLARATION, LotColumn("asset", "Coin", "required text")))
    with pytest.raises(ValueError, match="takes no default"):
        check_declaration((*LOT_DECLARATION[:-1], LotColumn("n", "N", "money", default="0")))


def test_a_row_is_checked_left_to_right() -> None:
    """Values are checked in the declaration's (the sheet's) order: Asset Class, then
    Acquired and Quantity; blanks a column refuses come before any value is checked."""
    row = _row(asset_class="Coins", acquired="March 1", quantity=-1)
    assert _careful([row]).startswith("lot L1: asset_class: 'Coins' is not one of")
    assert _careful([{**row, "asset_class": "Crypto"}]).startswith("lot L1: acquired:")
    assert _careful([{**row, "cost_basis": None}]) == "lot L1: cost_basis: is empty"


# A copy of the declaration with two made-up optional columns, one (Fee Paid) in the
# middle of the sheet and one (Memo) whose blank takes a non-empty default, for a lot
# type whose fields are not in the sheet's order: both passes take them from the
# declaration alone.
def _wide_schema():
    from dataclasses import fields, make_dataclass

    from tlh_xl.domain.lot_columns import LOT_DECLARATION, LotColumn

    fee = LotColumn("fee_paid", "Fee Paid", "optional money", required=False, width=12)
    memo = LotColumn("memo", "Memo", "text", required=False, default="-", width=20)
    at = [c.field for c in LOT_DECLARATION].index("price_override")
    declaration = (*LOT_DECLARATION[:at], fee, *LOT_DECLARATION[at:-1], memo, LOT_DECLARATION[-1])
    base = [(f.name, f.type) for f in fields(Lot) if f.name != "row"]
    extra = [("fee_paid", "Decimal | None"), ("memo", "str")]
    wide = make_dataclass("WideLot", [*base[:8], *extra, *base[8:], ("row", "int")], slots=True)
    return lots_module._compile(declaration, wide)


WIDE = _wide_schema()


@st.composite
def wide_records(draw):
    rows = draw(lot_records())
    odd = draw(st.booleans())
    for row in rows:
        row["fee_paid"] = draw(OVERRIDES if odd else st.sampled_from([None, NAN, Decimal("3")]))
        row["memo"] = draw(TEXTS if odd else st.sampled_from(["gift", " paid ", None]))
    return rows


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(wide_records())
@example([_row(fee_paid=Decimal("2"), memo=None)])
@example([_row(fee_paid=-1, memo="x")])
@example([_row(memo="   ")])
def test_a_made_up_column_is_parsed_by_both_passes_from_the_declaration(rows) -> None:
    try:
        careful = _parse_rows(rows, AS_OF, _default_place, WIDE)
    except InputError as exc:
        careful = str(exc)
    try:
        fast = _parse_records(_columns(rows, WIDE), AS_OF, WIDE)
    except _Unusual:
        return
    assert fast == careful


def test_a_made_up_column_takes_its_default_and_names_its_errors() -> None:
    rows = [_row(fee_paid=Decimal("2.5"), memo=" paid "), _row(lot_id="L2")]
    fast = _parse_records(_columns(rows, WIDE), AS_OF, WIDE)
    assert [(x.fee_paid, x.memo, x.row) for x in fast] == [
        (Decimal("2.5"), "paid", 0),
        (None, "-", 1),
    ]
    assert _parse_rows(rows, AS_OF, _default_place, WIDE) == fast
    assert fast[1].quantity == Decimal("1.5") and fast[1].exclude is False
    with pytest.raises(InputError, match="^lot L2: fee_paid: must be zero or more$"):
        _parse_rows([rows[0], _row(lot_id="L2", fee_paid=-1)], AS_OF, _default_place, WIDE)
