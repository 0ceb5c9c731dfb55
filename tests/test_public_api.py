from __future__ import annotations

import tlh_xl


def test_public_names_are_pinned() -> None:
    assert sorted(tlh_xl.__all__) == sorted(
        [
            "FILING_STATUSES",
            "HarvestPlan",
            "InputError",
            "Profile",
            "Rules",
            "RulesError",
            "TaxResult",
            "TlhError",
            "WorkbookError",
            "__version__",
            "compute_tax",
            "days_to_long_term",
            "list_rule_files",
            "load_rules",
            "long_term_date",
            "parse_filing_status",
            "plan_harvest",
            "term",
        ]
    )
    for name in tlh_xl.__all__:
        assert getattr(tlh_xl, name) is not None


def test_error_tree() -> None:
    for cls in (tlh_xl.RulesError, tlh_xl.InputError, tlh_xl.WorkbookError):
        assert issubclass(cls, tlh_xl.TlhError)
