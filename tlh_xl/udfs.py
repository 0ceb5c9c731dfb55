"""Excel functions: =TLH_SUGGEST(Lots[#All], Prices[#All], Profile!A4:B24) and friends.

One module for every xlwings runtime:

* classic xlwings on Windows Excel: set ``UDF Modules`` to ``tlh_xl.udfs`` and click
  "Import Functions"; the functions are ``TLH_TERM``, ``TLH_SUGGEST``, ...
* xlwings Lite and xlwings Server (Excel on Windows, Mac and the web): the same functions
  appear under the ``TLH`` namespace as ``TLH.TERM``, ``TLH.SUGGEST``, ...

Each function only converts Excel's values to the engine's and back (``workbook.ranges``
does the work); a bad input returns a short message such as
``TLH: Lots row 7 Quantity: is empty`` instead of a traceback. Only options that every
runtime understands are used: no legacy ``expand``, no keyword-only parameters, no
parameter named ``caller``. Numbers arrive as floats, empty cells and omitted arguments as
``None``, and dates as ``datetime`` (classic) or serial numbers (Lite, Server).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import xlwings as xw
from xlwings import arg, func, script

__all__ = [
    "TLH_DAYS_TO_LONG",
    "TLH_FILL",
    "TLH_LONG_TERM_DATE",
    "TLH_LOSS_LIMIT",
    "TLH_LOTS",
    "TLH_MARGINAL_RATES",
    "TLH_POSITIONS",
    "TLH_RULE",
    "TLH_SAVINGS",
    "TLH_SUGGEST",
    "TLH_TAX",
    "TLH_TERM",
    "fill_this_workbook",
]

NAMESPACE = "TLH"


def _safe(compute: Callable[[], Any]) -> Any:
    """Run the engine; turn any failure into one short line for the cell."""
    from .errors import TlhError

    try:
        return compute()
    except TlhError as exc:
        return f"TLH: {str(exc).splitlines()[0]}"
    except Exception as exc:  # a bug: still no traceback in a cell
        return f"TLH: unexpected error ({type(exc).__name__}: {str(exc).splitlines()[0][:120]})"


def _date(value: Any, what: str) -> Any:
    from .workbook.ranges import excel_date

    return excel_date(value, what)


def _acquired(value: Any) -> Any:
    bought = _date(value, "acquired")
    if bought is None:
        from .errors import InputError

        raise InputError("acquired: is empty")
    return bought


def _number(value: Any) -> Any:
    return 0 if value is None or value == "" else value


def _rules(year: Any) -> Any:
    from .rulebook import load_rules

    if year is None or year == "":
        from .errors import InputError

        raise InputError("year: is empty")
    return load_rules(year)


# --- holding period ----------------------------------------------------------------------


@func(namespace=NAMESPACE, name="TERM")
@arg("acquired", doc="Purchase date of the lot.")
@arg("as_of", doc="Planned sale date; blank means today.")
def TLH_TERM(acquired: Any, as_of: Any = None) -> Any:
    """Short-term or Long-term: the holding period of a lot sold on the given date
    (long-term means held more than one year, counted by the anniversary rule)."""

    def compute() -> str:
        import datetime as dt

        from .domain.terms import term_label
        from .holding_period import term

        bought = _acquired(acquired)
        sold = _date(as_of, "as_of") or dt.date.today()
        return term_label(term(bought, sold))

    return _safe(compute)


@func(namespace=NAMESPACE, name="LONG_TERM_DATE")
@arg("acquired", doc="Purchase date of the lot.")
def TLH_LONG_TERM_DATE(acquired: Any) -> Any:
    """The first sale date on which the lot is long-term (the day after the anniversary
    of the purchase; Mar 1 for a Feb 29 purchase)."""

    def compute() -> Any:
        from .holding_period import long_term_date

        bought = _acquired(acquired)
        return long_term_date(bought)

    return _safe(compute)


@func(namespace=NAMESPACE, name="DAYS_TO_LONG")
@arg("acquired", doc="Purchase date of the lot.")
@arg("as_of", doc="Planned sale date; blank means today.")
def TLH_DAYS_TO_LONG(acquired: Any, as_of: Any = None) -> Any:
    """Days until the lot turns long-term; 0 if it already is."""

    def compute() -> int:
        import datetime as dt

        from .holding_period import days_to_long_term

        bought = _acquired(acquired)
        return days_to_long_term(bought, _date(as_of, "as_of") or dt.date.today())

    return _safe(compute)


# --- tax -------------------------------------------------------------------------------


@func(namespace=NAMESPACE, name="TAX")
@arg("year", doc="Tax year, e.g. 2025.")
@arg(
    "filing_status",
    doc="Single, Married filing jointly, Married filing separately, "
    "Head of household or Qualifying surviving spouse.",
)
@arg("ordinary_income", doc="Wages and other non-capital income, before the deduction.")
@arg("st_gain", doc="Net short-term gain (negative for a loss); blank means 0.")
@arg("lt_gain", doc="Net long-term gain (negative for a loss); blank means 0.")
@arg("deduction", doc="Itemized deduction; blank means the standard deduction.")
@arg("state", doc="State of residence, e.g. CA; blank means federal tax only.")
def TLH_TAX(
    year: Any,
    filing_status: Any,
    ordinary_income: Any,
    st_gain: Any = None,
    lt_gain: Any = None,
    deduction: Any = None,
    state: Any = None,
) -> Any:
    """Federal tax for the year: regular income tax plus the 3.8% net investment income
    tax, from the exact rate schedules and the capital-gain worksheets; with a state,
    plus that state's income tax (its own standard deduction)."""

    def compute() -> float:
        from .tax import compute_tax

        rules = _rules(year)
        amounts = dict(
            filing_status=filing_status,
            ordinary_income=ordinary_income,  # required: blank is refused, as on Profile
            st_gain=_number(st_gain),
            lt_gain=_number(lt_gain),
        )
        result = compute_tax(
            rules, deduction=None if deduction in (None, "") else deduction, **amounts
        )
        own = _state_result(rules, state, amounts)
        return float(result.total_tax + (own.total_tax if own is not None else 0))

    return _safe(compute)


def _state_result(rules: Any, state: Any, amounts: dict[str, Any]) -> Any:
    """The state's tax on the same amounts (``StateTaxResult``), or None for a blank
    state."""
    from .harvest.inputs import parse_state

    code = parse_state(state, "state")
    if code is None:
        return None
    from .rulebook.store import load_state_rules
    from .tax import compute_state_tax

    state_rules = load_state_rules(code, rules.year, beside=rules)
    return compute_state_tax(state_rules, rules, **amounts)


@func(namespace=NAMESPACE, name="MARGINAL_RATES")
@arg("year", doc="Tax year, e.g. 2025.")
@arg("filing_status", doc="Filing status, e.g. Single.")
@arg("ordinary_income", doc="Wages and other non-capital income, before the deduction.")
@arg("st_gain", doc="Net short-term gain; blank means 0.")
@arg("lt_gain", doc="Net long-term gain; blank means 0.")
@arg("state", doc="State of residence, e.g. CA; blank means federal tax only.")
def TLH_MARGINAL_RATES(
    year: Any,
    filing_status: Any,
    ordinary_income: Any,
    st_gain: Any = None,
    lt_gain: Any = None,
    state: Any = None,
) -> Any:
    """Spills three rows: the federal tax (regular plus NIIT) on one more dollar of
    ordinary income, of short-term gain and of long-term gain; with a state, plus that
    state's tax on the same dollar."""

    def compute() -> list[list[Any]]:
        from .domain.terms import TERM_LABELS
        from .tax import compute_tax

        rules = _rules(year)
        amounts = dict(
            filing_status=filing_status,
            ordinary_income=ordinary_income,  # required: blank is refused, as on Profile
            st_gain=_number(st_gain),
            lt_gain=_number(lt_gain),
        )
        r = compute_tax(rules, **amounts)
        rates = [r.marginal_ordinary_rate, r.marginal_short_term_rate, r.marginal_long_term_rate]
        t = _state_result(rules, state, amounts)
        if t is not None:
            # Each rate is the tax on one more dollar, so the two taxes' rates add.
            own = [t.marginal_ordinary_rate, t.marginal_short_term_rate, t.marginal_long_term_rate]
            rates = [federal + more for federal, more in zip(rates, own, strict=True)]
        labels = ["Ordinary", TERM_LABELS["short"], TERM_LABELS["long"]]
        return [[label, float(rate)] for label, rate in zip(labels, rates, strict=True)]

    return _safe(compute)


@func(namespace=NAMESPACE, name="LOSS_LIMIT")
@arg("year", doc="Tax year, e.g. 2025.")
@arg("filing_status", doc="Filing status, e.g. Married filing separately.")
def TLH_LOSS_LIMIT(year: Any, filing_status: Any) -> Any:
    """How much net capital loss may offset ordinary income this year ($3,000, or $1,500
    married filing separately)."""

    def compute() -> float:
        from .filing_status import parse_filing_status

        limit = _rules(year).capital_loss.limit.of(parse_filing_status(filing_status))
        return float(limit)

    return _safe(compute)


@func(namespace=NAMESPACE, name="RULE")
@arg("year", doc="Tax year, e.g. 2025.")
@arg("key", doc="Dotted key, e.g. standard_deduction.amount or niit.rate.")
@arg("filing_status", doc="Filing status, for values that differ by status.")
def TLH_RULE(year: Any, key: Any, filing_status: Any = None) -> Any:
    """Any value from the year's rule file, e.g. the standard deduction for a filing
    status; a list (such as bracket thresholds) spills across a row."""

    def compute() -> Any:
        from .rulebook.lookup import rule_value
        from .workbook.ranges import excel_value

        value = rule_value(_rules(year), str(key), filing_status)
        if isinstance(value, list):
            return [[excel_value(v) for v in value]]
        return excel_value(value)

    return _safe(compute)


# --- portfolio -----------------------------------------------------------------------


@func(namespace=NAMESPACE, name="POSITIONS")
@arg("lots", ndim=2, doc="The Lots table with its header row, e.g. Lots[#All].")
@arg("prices", ndim=2, doc="The Prices table with its header row, e.g. Prices[#All].")
@arg("as_of", doc="Valuation date; blank means today.")
def TLH_POSITIONS(lots: Any, prices: Any, as_of: Any = None) -> Any:
    """Spills every lot with its price, market value, unrealized gain/loss, term, the
    date it turns long-term and its flags."""

    def compute() -> Any:
        from .workbook.ranges import positions_from_ranges

        return positions_from_ranges(lots, prices, as_of)

    return _safe(compute)


@func(namespace=NAMESPACE, name="LOTS")
@arg("transactions", ndim=2, doc="The Transactions table with its header row.")
@arg("method", doc="fifo (blank), lifo, hifo or specific.")
@arg("as_of", doc="Transactions up to this date; blank means all.")
@arg("time_zone", doc="Your time zone, e.g. America/New_York; blank means UTC.")
def TLH_LOTS(
    transactions: Any, method: Any = None, as_of: Any = None, time_zone: Any = None
) -> Any:
    """Spills the open lots per wallet, with the Lots table's headers, worked out from
    the transactions by the method chosen (the ledger of `tlh-xl ledger`)."""

    def compute() -> Any:
        from .workbook.ranges import lots_from_transactions

        return lots_from_transactions(transactions, method, as_of, time_zone)

    return _safe(compute)


@func(namespace=NAMESPACE, name="SUGGEST")
@arg("lots", ndim=2, doc="The Lots table with its header row, e.g. Lots[#All].")
@arg("prices", ndim=2, doc="The Prices table with its header row, e.g. Prices[#All].")
@arg("profile", ndim=2, doc="Two columns: Profile names (or labels) and their values.")
def TLH_SUGGEST(lots: Any, prices: Any, profile: Any) -> Any:
    """Spills the harvest plan with the Harvest table's headers: which lot to sell from
    which wallet, how much, the gain/loss, fees and when to buy back."""

    def compute() -> Any:
        from .workbook.ranges import harvest_table, plan_from_ranges

        return harvest_table(plan_from_ranges(lots, prices, profile).plan)

    return _safe(compute)


@func(namespace=NAMESPACE, name="SAVINGS")
@arg("lots", ndim=2, doc="The Lots table with its header row, e.g. Lots[#All].")
@arg("prices", ndim=2, doc="The Prices table with its header row, e.g. Prices[#All].")
@arg("profile", ndim=2, doc="Two columns: Profile names (or labels) and their values.")
def TLH_SAVINGS(lots: Any, prices: Any, profile: Any) -> Any:
    """Spills the plan's summary as name/value pairs: TaxWithoutHarvest, TaxWithHarvest,
    TaxSaved, TradingCosts, NetBenefit and the rest of the Summary names, then a "Note"
    row for each note the plan carries (below MinBenefit, an NFT search stopped early)."""

    def compute() -> Any:
        from .workbook.ranges import plan_from_ranges, summary_pairs

        return summary_pairs(plan_from_ranges(lots, prices, profile).plan)

    return _safe(compute)


# --- the "Fill this workbook" button ----------------------------------------------------


@script
def TLH_FILL(book: xw.Book) -> None:
    """xlwings Lite and Server: fill this workbook's Positions, Harvest and Summary."""
    from .workbook.excel_book import fill_book

    fill_book(book)


def fill_this_workbook() -> None:
    """Classic xlwings: RunPython "import tlh_xl.udfs; tlh_xl.udfs.fill_this_workbook()"."""
    from .workbook.excel_book import fill_book

    fill_book(xw.Book.caller())
