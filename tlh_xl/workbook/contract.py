"""The workbook contract (PRODUCT.md §2): sheet, table, column and defined names.

Documentation, tests and users' own formulas rely on these names. Add to them; never
rename them.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..domain.lot_columns import LOT_DECLARATION
from ..output_tables import HARVEST_COLUMNS, POSITION_COLUMNS, Kind

__all__ = [
    "HARVEST_COLUMNS",
    "HARVEST_HEADERS",
    "LOT_COLUMNS",
    "MAX_NOTES",
    "NOTES_ROW",
    "POSITION_COLUMNS",
    "POSITION_HEADERS",
    "PRICE_COLUMNS",
    "PROFILE_FIELDS",
    "SHEETS",
    "SUMMARY_FIELDS",
    "TRANSACTION_TABLE_COLUMNS",
    "WALLET_COLUMNS",
    "WALLET_KINDS",
    "Column",
    "Kind",
    "ProfileField",
    "SummaryField",
    "normalize_header",
]

README = "Read me"
PROFILE = "Profile"
LOTS = "Lots"
PRICES = "Prices"
POSITIONS = "Positions"
HARVEST = "Harvest"
SUMMARY = "Summary"
FORMULAS = "Formulas"
TRANSACTIONS = "Transactions"
WALLETS = "Wallets"
SHEETS = (
    README,
    PROFILE,
    LOTS,
    PRICES,
    TRANSACTIONS,
    WALLETS,
    POSITIONS,
    HARVEST,
    SUMMARY,
    FORMULAS,
)
# Written by ``tlh-xl ledger -o`` (this year's disposals); a fill keeps it like any sheet.
REALIZED = "Realized"
OUTPUT_SHEETS = (POSITIONS, HARVEST, SUMMARY)  # the only sheets a fill rewrites


@dataclass(frozen=True)
class Column:
    header: str  # as shown in the workbook
    field: str  # snake_case name in the engine
    kind: Kind
    required: bool = True
    width: int = 14


def normalize_header(text: object) -> str:
    """Headers match regardless of case and extra spaces."""
    return " ".join(str(text or "").split()).casefold()


# The Lots columns are declared once, in harvest.lot_columns (with what the lot parser
# needs); this is the workbook's view of them: header, field, kind, required, width.
LOT_COLUMNS = tuple(
    Column(c.header, c.field, c.cell_kind, c.required, c.width) for c in LOT_DECLARATION
)

# tlh-xl's own ledger format (ledger.own_format.TRANSACTION_COLUMNS, held equal by a
# test): one row per event, quantities positive. Time stays text as typed (ISO 8601, with
# an offset, or a bare date meaning midnight in your time zone).
TRANSACTION_TABLE_COLUMNS = (
    Column("Tx ID", "tx_id", "text", width=14),
    Column("Time", "time", "text", width=22),
    Column("Type", "type", "text", width=10),
    Column("Wallet", "wallet", "text", width=14),
    Column("To Wallet", "to_wallet", "text", required=False, width=14),
    Column("Sent Asset", "sent_asset", "text", required=False, width=12),
    Column("Sent Quantity", "sent_quantity", "number", required=False, width=15),
    Column("Received Asset", "received_asset", "text", required=False, width=15),
    Column("Received Quantity", "received_quantity", "number", required=False, width=18),
    Column("Fee Asset", "fee_asset", "text", required=False, width=11),
    Column("Fee Quantity", "fee_quantity", "number", required=False, width=14),
    Column("Value USD", "value_usd", "money", required=False, width=14),
    Column("Fee USD", "fee_usd", "money", required=False, width=11),
    Column("Lots", "lots", "text", required=False, width=14),
    Column("Notes", "notes", "text", required=False, width=28),
)

# The user's wallets and accounts. The ledger takes a transfer to a wallet listed here (or
# seen as a Wallet in the Transactions) as a move between the user's own wallets; any
# other To Wallet is refused, since a transfer to someone else is a Gift Out or a Spend.
# Kind says whether a broker (an exchange that issues Form 1099-DA) holds it.
WALLET_KINDS = ("Broker", "Self-custody")
# For Form 8949: a broker's own first acquisition date whose basis it reports (blank: the
# rule file's), and a Box that overrides the one worked out (a letter of either part).
WALLET_COLUMNS = (
    Column("Wallet", "wallet", "text", width=18),
    Column("Kind", "kind", "text", required=False, width=14),
    Column("Basis Reported From", "basis_reported_from", "date", required=False, width=14),
    Column("Box", "box", "text", required=False, width=8),
    Column("Notes", "notes", "text", required=False, width=40),
)

PRICE_COLUMNS = (
    Column("Asset", "asset", "text", width=14),
    Column("Price", "price", "price", width=16),
    Column("As Of", "as_of", "date", required=False, width=12),
    Column("Source", "source", "text", required=False, width=24),
    # Assets with the same label are substantially identical for the wash-sale rule
    # (where the rules apply it to their class), like the groups a rule file declares.
    Column("Identical Group", "identical_group", "text", required=False, width=20),
)

# The output tables are declared once, in output_tables; these are their headers.
HARVEST_HEADERS = tuple(c.header for c in HARVEST_COLUMNS)
POSITION_HEADERS = tuple(c.header for c in POSITION_COLUMNS)


@dataclass(frozen=True)
class ProfileField:
    name: str  # workbook-level defined name
    label: str  # the visible label on the Profile sheet
    field: str  # Profile dataclass field
    kind: Kind
    help: str


PROFILE_FIELDS = (
    ProfileField("TaxYear", "Tax year", "tax_year", "int", "The year the sales count for."),
    ProfileField("FilingStatus", "Filing status", "filing_status", "status", "As on Form 1040."),
    ProfileField(
        "OrdinaryIncome",
        "Ordinary income",
        "ordinary_income",
        "money",
        "Wages and other non-capital income, before the deduction; without qualified dividends.",
    ),
    ProfileField(
        "QualifiedDividends",
        "Qualified dividends",
        "qualified_dividends",
        "money",
        "Form 1040 line 3a.",
    ),
    ProfileField(
        "Deduction", "Deduction", "deduction", "money", "Leave blank for the standard deduction."
    ),
    ProfileField(
        "RealizedShortTerm",
        "Realized short-term gain/loss",
        "realized_short_term",
        "money",
        "Already realized this year, from all sources (loss negative).",
    ),
    ProfileField(
        "RealizedLongTerm",
        "Realized long-term gain/loss",
        "realized_long_term",
        "money",
        "Already realized this year, from all sources (loss negative).",
    ),
    ProfileField(
        "CarryforwardShortTerm",
        "Short-term loss carryforward",
        "carryforward_short_term",
        "money",
        "From last year's worksheet, positive.",
    ),
    ProfileField(
        "CarryforwardLongTerm",
        "Long-term loss carryforward",
        "carryforward_long_term",
        "money",
        "From last year's worksheet, positive.",
    ),
    ProfileField(
        "AsOfDate",
        "Planned sale date",
        "as_of_date",
        "date",
        "Trade date of the sales; Dec 31 at the latest.",
    ),
    ProfileField(
        "FeeRate",
        "Cost per trade side",
        "fee_rate",
        "rate",
        "Fees plus spread, as a share of proceeds (blank: 0.5%).",
    ),
    ProfileField(
        "CarryforwardValue",
        "Value of $1 carried forward",
        "carryforward_value",
        "rate",
        "Blank: your long-term marginal rate.",
    ),
    ProfileField(
        "MinBenefit",
        "Smallest net benefit worth trading",
        "min_benefit",
        "money",
        "Blank: any positive benefit.",
    ),
    ProfileField("Rebuy", "Buy back after selling", "rebuy", "flag", "yes or no (blank: yes)."),
    ProfileField(
        "HarvestGains",
        "Harvest 0% long-term gains",
        "harvest_gains",
        "flag",
        "yes to also realize gains taxed at 0%, resetting basis (blank: no).",
    ),
    # Added last, so that the ranges of existing workbooks (Profile!A4:B18, A4:B19) still
    # hold the fields above them.
    ProfileField(
        "RealizedCollectibles",
        "Realized collectibles gain/loss (28%)",
        "realized_collectibles",
        "money",
        "Long-term gain/loss on collectibles (art, NFTs that are collectibles) already "
        "realized this year; not part of the realized long-term figure above.",
    ),
    ProfileField(
        "MinTrade",
        "Smallest trade worth making",
        "min_trade",
        "money",
        "Blank: $1.00. A position worth less is dust: sold for its loss, not bought back.",
    ),
    # Last, so that Profile!A4:B20 ranges in users' formulas keep every field above it
    # (the whole Profile is A4:B21 now).
    ProfileField(
        "State",
        "State of residence",
        "state",
        "text",
        "Two letters from the list, e.g. CA, NJ or TX, to add that state's tax; "
        "blank: federal only.",
    ),
    # For lots built from the Transactions table (when Lots is empty); after State, so
    # Profile!A4:B21 keeps the fields above (the whole Profile is A4:B23 now).
    ProfileField(
        "TimeZone",
        "Time zone of the transactions",
        "time_zone",
        "text",
        "An IANA name, e.g. America/New_York: a bare date is midnight there, and a sale's "
        "tax year is its date there (blank: UTC).",
    ),
    ProfileField(
        "LotMethod",
        "Lots sold first (Transactions)",
        "lot_method",
        "text",
        "FIFO, LIFO, HIFO or Specific, or one per year from then on: "
        "'2021: HIFO; 2025: FIFO' (blank: FIFO).",
    ),
    # Last, so that Profile!A4:B23 keeps the fields above (the whole Profile is A4:B24).
    ProfileField(
        "StateCarryforward",
        "State's own loss carryover in",
        "state_carryforward",
        "money",
        "Only for a state that keeps its own (CA: last year's carryover worksheet, line "
        "8); blank: your federal carryforwards.",
    ),
)


@dataclass(frozen=True)
class SummaryField:
    name: str  # workbook-level defined name
    label: str
    field: str  # Summary dataclass field
    kind: Kind


# The headline first: tax actually saved this year, the costs, and the carryforward's
# assumed value on a line of its own, with the rate used; the net benefit adds them up.
SUMMARY_FIELDS = (
    SummaryField("TaxSaved", "Tax saved this year", "tax_saved", "money"),
    SummaryField("TradingCosts", "Trading costs", "trading_costs", "money"),
    SummaryField(
        "CarryforwardBenefit",
        "Value of the extra carryforward",
        "carryforward_benefit",
        "money",
    ),
    SummaryField(
        "CarryforwardValueUsed", "  valued at, per $1 carried", "carryforward_value", "rate"
    ),
    SummaryField("NetBenefit", "Net benefit", "net_benefit", "money"),
    SummaryField("TaxWithoutHarvest", "Tax without harvesting", "tax_without_harvest", "money"),
    SummaryField("TaxWithHarvest", "Tax with harvesting", "tax_with_harvest", "money"),
    SummaryField(
        "LossHarvestedShortTerm", "Short-term loss harvested", "loss_harvested_short_term", "money"
    ),
    SummaryField(
        "LossHarvestedLongTerm", "Long-term loss harvested", "loss_harvested_long_term", "money"
    ),
    SummaryField(
        "OrdinaryIncomeOffset", "Ordinary income offset", "ordinary_income_offset", "money"
    ),
    SummaryField(
        "CarryforwardOutShortTerm",
        "Short-term carryforward out",
        "carryforward_out_short_term",
        "money",
    ),
    SummaryField(
        "CarryforwardOutLongTerm",
        "Long-term carryforward out",
        "carryforward_out_long_term",
        "money",
    ),
    SummaryField("CarryforwardAdded", "Extra loss carried forward", "carryforward_added", "money"),
    SummaryField(
        "GainHarvestedLongTerm",
        "Long-term gain harvested at 0%",
        "gain_harvested_long_term",
        "money",
    ),
    SummaryField("Deadline", "Deadline (trade date)", "deadline", "date"),
    SummaryField("DaysToDeadline", "Days left", "days_to_deadline", "int"),
    SummaryField("RulesUsed", "Rules used", "rules_used", "text"),
    # With a state of residence the tax figures above are federal plus state; these
    # lines are the federal part and the state's (zero, and rules "none", without one).
    # Added after the first fields, so the defined names above keep their cells.
    SummaryField(
        "FederalTaxWithoutHarvest",
        "  of which federal, without harvesting",
        "federal_tax_without_harvest",
        "money",
    ),
    SummaryField(
        "FederalTaxWithHarvest",
        "  of which federal, with harvesting",
        "federal_tax_with_harvest",
        "money",
    ),
    SummaryField("FederalTaxSaved", "  of which federal, saved", "federal_tax_saved", "money"),
    SummaryField(
        "StateTaxWithoutHarvest",
        "  of which state, without harvesting",
        "state_tax_without_harvest",
        "money",
    ),
    SummaryField(
        "StateTaxWithHarvest",
        "  of which state, with harvesting",
        "state_tax_with_harvest",
        "money",
    ),
    SummaryField("StateTaxSaved", "  of which state, saved", "state_tax_saved", "money"),
    SummaryField(
        "StateCarryforwardOut",
        "State's own carryforward out",
        "state_carryforward_out",
        "money",
    ),
    SummaryField("StateUsed", "State rules used", "state_used", "text"),
    # Where the lots and the realized figures came from: the Lots table and the Profile,
    # or the ledger run on the Transactions table (with its method and time zone).
    SummaryField("LotsFrom", "Lots from", "lots_from", "text"),
    SummaryField("RealizedFrom", "Realized gains from", "realized_from", "text"),
    SummaryField("TimeZoneUsed", "Time zone used", "time_zone_used", "text"),
)
# The plan's notes are written as text in column A of Summary from this row down.
NOTES_ROW = 4 + len(SUMMARY_FIELDS) + 1
MAX_NOTES = 20  # rows a Fill button clears for notes (a plan has at most a few)
