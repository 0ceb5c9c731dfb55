"""Every value a rule file holds is read by some code.

A value in a rule file that no code reads is a trap: a user edits it and nothing changes.
This test finds such values dynamically, not by grepping. For the duration of the test
each pydantic rule model (``tlh_xl/rulebook/model.py``) records which of its fields are
read, by instance, so every read maps to a key path such as ``niit.thresholds.single``.
Then it runs what the product does with rules: ``compute_tax`` for every filing status
(gains, losses, collectibles, dividends, NIIT), ``plan_harvest`` with crypto, NFTs and a
Security lot in a wash-sale window, the bundled sample as ``tlh-xl demo`` plans it,
holding-period dates, the deadline, ``tlh-xl rules new`` (full and ``--extends``),
``rules show``, ``rules check`` and ``rules list``. Every leaf of the loaded rules must
have been read at least once.

What does not count as a read: ``model_dump`` (pydantic copies ``__dict__`` without
attribute access), so printing every value (``rules show``, ``rules diff``, ``TLH_RULE``)
or copying it (``rules new`` copies what it does not index) does not make a value used.
The legal citations (each ``reference``, and ``indexing.reference``) and ``notes`` are
there for the person reading the rules: they count as read when ``rules show`` prints
them, which is checked instead.

A mechanic the file only enables, such as the wash-sale ``window_days`` of a class whose
``applies`` is false, is read once the rule applies; a variant of the loaded rules in
which every class's rule applies exercises those.
"""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from tlh_xl import FILING_STATUSES, compute_tax, load_rules
from tlh_xl.cli import main
from tlh_xl.harvest import plan_harvest
from tlh_xl.holding_period import days_to_long_term, long_term_date, term
from tlh_xl.rulebook import model
from tlh_xl.rulebook.model import Rules

from .conftest import RULES

SHIPPED_YEARS = sorted(int(p.stem) for p in (RULES / "us").glob("*.yaml"))
DEMO_YEAR = 2026  # tlh_xl/samples/sample_profile.csv: TaxYear

MODEL_CLASSES: tuple[type[BaseModel], ...] = tuple(
    cls
    for _, cls in inspect.getmembers(model, inspect.isclass)
    if issubclass(cls, BaseModel) and cls.__module__ == model.__name__
)
FIELDS: dict[type, frozenset[str]] = {cls: frozenset(cls.model_fields) for cls in MODEL_CLASSES}

# Read by the person, through 'rules show' (checked there), rather than by a computation.
CITATION_KEYS = frozenset({"reference", "notes"})


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _children(obj: BaseModel, prefix: str) -> Iterator[tuple[str, Any]]:
    """(key path, value) of each field, read without going through attribute access."""
    values = object.__getattribute__(obj, "__dict__")
    for name in FIELDS[type(obj)]:
        yield _join(prefix, name), values[name]


def leaves(obj: BaseModel, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every value the rules hold, by key path; a list of numbers is one value."""
    for path, value in _children(obj, prefix):
        if isinstance(value, BaseModel):
            yield from leaves(value, path)
        elif isinstance(value, list) and value and isinstance(value[0], BaseModel):
            for i, item in enumerate(value):
                yield from leaves(item, f"{path}[{i}]")
        else:
            yield path, value


class ReadRecorder:
    """Records reads of model fields, by the key path of the instance read."""

    def __init__(self) -> None:
        self.prefix: dict[int, str] = {}  # id(instance) → its key path in its Rules
        self.keep: list[BaseModel] = []  # registered instances stay alive: ids stay unique
        self.read: set[str] = set()

    def register(self, obj: BaseModel, prefix: str = "") -> None:
        assert type(obj) in FIELDS, f"{type(obj).__name__} is not a model.py class"
        self.prefix[id(obj)] = prefix
        self.keep.append(obj)
        for path, value in _children(obj, prefix):
            if isinstance(value, BaseModel):
                self.register(value, path)
            elif isinstance(value, list):
                for i, item in enumerate(value):
                    if isinstance(item, BaseModel):
                        self.register(item, f"{path}[{i}]")

    def getattribute(self) -> Callable[[Any, str], Any]:
        recorder = self

        def __getattribute__(obj: Any, name: str) -> Any:
            value = object.__getattribute__(obj, name)
            cls = type(obj)
            if name in FIELDS[cls]:
                prefix = recorder.prefix.get(id(obj))
                if prefix is None and cls is Rules:
                    # Rules loaded inside a command (a fresh parse, a projection): a read
                    # on a part of the rules always starts at the Rules object itself.
                    recorder.register(obj)
                    prefix = ""
                if prefix is not None:  # not parts under validation, before a Rules exists
                    recorder.read.add(_join(prefix, name))
            return value

        return __getattribute__


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> ReadRecorder:
    # Only the shipped files: not the user's rules folder, not TLH_RULES_DIR.
    monkeypatch.delenv("TLH_RULES_DIR", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("APPDATA", str(tmp_path / "config"))
    recording = ReadRecorder()
    hook = recording.getattribute()
    for cls in MODEL_CLASSES:
        monkeypatch.setattr(cls, "__getattribute__", hook)
    return recording


# --- what the product does with rules ----------------------------------------------------


def _lot(
    lot_id: str, asset: str, cls: str, acquired: dt.date, qty: Any, basis: Any
) -> dict[str, Any]:
    return {
        "lot_id": lot_id,
        "asset": asset,
        "asset_class": cls,
        "wallet": "Coinbase",
        "acquired": acquired.isoformat(),
        "quantity": qty,
        "cost_basis": basis,
        "tx_id": f"tx-{lot_id}",
    }


def _compute_taxes(rules: Rules) -> None:
    cases: list[dict[str, Any]] = [
        {"ordinary_income": 40_000},
        {"ordinary_income": 90_000, "st_gain": 12_000, "lt_gain": 30_000},
        {"ordinary_income": 70_000, "st_gain": -9_000, "lt_gain": -4_000},  # the loss limit
        {"ordinary_income": 120_000, "lt_gain": 25_000, "collectibles_gain": 15_000},
        {"ordinary_income": 260_000, "qualified_dividends": 20_000, "lt_gain": 80_000},  # NIIT
        {"ordinary_income": 900_000, "lt_gain": 400_000, "st_carryforward": 5_000},  # 20%
    ]
    for status in FILING_STATUSES:
        for case in cases:
            result = compute_tax(rules, filing_status=status, **case)
            assert result.total_tax >= 0


def _plan(rules: Rules) -> None:
    """Crypto to sell and buy back, NFTs, and a Security loss inside a wash-sale window:
    an IBIT loss with FBTC (substantially identical) bought ten days before."""
    year = rules.year
    as_of = dt.date(year, 12, 1)
    old, recent = dt.date(year - 2, 5, 10), as_of - dt.timedelta(days=10)
    lots = [
        _lot("C1", "ETH", "Crypto", dt.date(year, 3, 1), 10, 40_000),
        _lot("C2", "SOL", "Crypto", old, 100, 20_000),
        _lot("C3", "SOL", "Crypto", recent, 10, 1_500),
        _lot("N1", "Doodles", "NFT", old, 1, 9_000),
        _lot("N2", "Squiggle", "NFT (collectible)", old, 1, 8_000),
        _lot("N3", "Squiggle", "NFT (collectible)", recent, 1, 5_000),
        _lot("S1", "IBIT", "Security", old, 300, 18_000),
        _lot("S2", "FBTC", "Security", recent, 100, 8_000),
    ]
    prices = {"ETH": 2_000, "SOL": 120, "Doodles": 1_500, "Squiggle": 4_000}
    prices |= {"IBIT": 40, "FBTC": 75}
    for status in FILING_STATUSES:
        profile = {
            "tax_year": year,
            "filing_status": status,
            "ordinary_income": 180_000,
            "realized_short_term": 15_000,
            "realized_long_term": 30_000,
            "as_of_date": as_of,
            "fee_rate": "0.002",
            "rebuy": True,
        }
        plan = plan_harvest(rules, profile, lots, prices)
        assert plan.summary.deadline == rules.deadline_date
    # The Security lot sits in its wash-sale window (if the rule file says one applies).
    ibit = next(p for p in plan.position_records if p.lot.lot_id == "S1")
    assert (ibit.wash_sale_until is not None) == rules.wash_sale.asset_classes.security.applies


def _dates(rules: Rules) -> None:
    bought = dt.date(rules.year - 1, 2, 28)
    first = long_term_date(bought, rules)
    assert term(bought, first, rules) == "long"
    assert days_to_long_term(bought, first - dt.timedelta(days=3), rules) == 3
    assert rules.deadline_date.year == rules.year


def _every_rule_applies(rules: Rules) -> Rules:
    """The rules as if every asset class's wash-sale rule applied (a law could do that):
    the windows of classes it does not cover today are read only then."""
    data = rules.model_dump(mode="python")
    for body in data["wash_sale"]["asset_classes"].values():
        body["applies"] = True
    return Rules.model_validate(data)


def _commands(rules: Rules, tmp: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """rules new (full and --extends), show, check, list, diff; what 'show' printed."""
    year, mine = str(rules.year), str(tmp / "mine")
    capsys.readouterr()
    assert main(["rules", "show", year]) == 0
    shown = capsys.readouterr().out
    new = ["rules", "new", str(rules.year + 1), "--from", year, "--inflation", "0.025"]
    assert main([*new, "--rules-dir", mine]) == 0
    assert main([*new, "--rules-dir", mine, "--extends", "--force"]) == 0
    assert main(["rules", "check", str(rules.path)]) == 0
    assert main(["rules", "list"]) == 0
    assert main(["rules", "diff", str(rules.year - 1) if rules.year > 2023 else year, year]) == 0
    return shown


def _demo(tmp: Path) -> None:
    """The bundled sample, planned as 'tlh-xl demo' plans it."""
    assert main(["demo", "-o", str(tmp / "demo.xlsx")]) == 0


# --- the test ----------------------------------------------------------------------------


def _forms(rules: Rules) -> None:
    """Form 8949's box for a sale of each kind, as the fill works it out (``app._forms``
    reads ``form_8949`` on every plan, and finds none before 2025): digital assets and
    securities, short and long, at a broker (basis reported or not), in self-custody, and
    with a Box override."""
    import tlh_xl.app as app
    from tlh_xl.domain.disposition import Disposition
    from tlh_xl.forms import WalletReporting, box_for

    form = rules.form_8949
    if form is None:
        return
    sold = dt.date(rules.year, 6, 1)
    for asset_class in ("Crypto", "Security"):
        for term_, acquired in (("short", sold.replace(month=2)), ("long", dt.date(2020, 1, 2))):
            sale = Disposition(
                "L1",
                "X",
                asset_class,
                "W",
                "T",
                acquired,
                sold,  # type: ignore[arg-type]
                Decimal(1),
                Decimal(1),
                Decimal(1),
                Decimal(0),
                term_,  # type: ignore[arg-type]
            )
            for reporting in (
                WalletReporting("Broker"),
                WalletReporting("Broker", dt.date(2021, 1, 1)),
                WalletReporting("Broker", sold),  # reports basis only from the sale day
                WalletReporting("Self-custody"),
                WalletReporting("Broker", box="A" if asset_class == "Security" else "G"),
            ):
                box_for(form, sale, reporting)
    assert app._forms is not None


def _is_citation(path: str) -> bool:
    return any(part.split("[")[0] in CITATION_KEYS for part in path.split("."))


@pytest.mark.parametrize("year", SHIPPED_YEARS)
def test_every_value_in_a_rule_file_is_read(
    year: int, recorder: ReadRecorder, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = load_rules(year)
    variant = _every_rule_applies(rules)
    recorder.register(rules)
    recorder.register(variant)

    _compute_taxes(rules)
    _plan(rules)
    _plan(variant)
    _dates(rules)
    _forms(rules)
    shown = _commands(rules, tmp_path, capsys)
    if year == DEMO_YEAR:
        _demo(tmp_path)

    held = dict(leaves(rules))
    unread = sorted(p for p in held if not _is_citation(p) and p not in recorder.read)
    assert not unread, (
        f"{year}.yaml holds values that no code reads: {', '.join(unread)}. "
        "Use each in the code, or remove it from tlh_xl/rulebook/model.py and rules/us/*.yaml "
        "(a YAML comment with its citation can say it for the reader)."
    )
    # Citations and notes are for the reader: 'rules show' prints each of them.
    hidden = sorted(
        p for p, v in held.items() if _is_citation(p) and v is not None and str(v) not in shown
    )
    assert not hidden, f"'tlh-xl rules show {year}' does not print: {', '.join(hidden)}"


def test_the_recorder_sees_a_read_and_ignores_a_dump(recorder: ReadRecorder) -> None:
    rules = load_rules(SHIPPED_YEARS[-1])
    recorder.register(rules)
    rules.model_dump()
    assert recorder.read == set()
    assert rules.niit.thresholds.of("married_joint") == 250_000
    assert recorder.read == {"niit", "niit.thresholds", "niit.thresholds.married_joint"}
    assert Decimal(rules.niit.rate) > 0
    assert "niit.rate" in recorder.read
