"""The scheme's rules over one record and over a table: every error and warning of DOMAIN.md.

Each rule case runs twice: as a form does (a table of one row) and inside a table of otherwise
valid rows, where the issue must land on the case's own row label and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xchange.models import Programme
from xchange.reference import DEFAULT_ELIGIBLE
from xchange.register.rules import (
    MAX_LUMP_SUM_CENTS,
    PartnershipTerms,
    RuleContext,
    month_limit,
    validate,
)

TODAY = date(2025, 6, 30)  # a Monday

# A completed five-day stay (Mon 10 to Fri 14 March 2025), far apart: no issue at all.
BASE: dict[str, Any] = {
    "reference": "ALPHA-001",
    "partnership": "ALPHA",
    "status": "completed",
    "modality": "physical",
    "start_date": "2025-03-10",
    "end_date": "2025-03-14",
    "visitor_organisation": "Acme Cluster",
    "host_organisation": "Beta Hub",
    "visitor_type": "cluster organisation",
    "host_type": "university",
    "visitor_country": "DE",
    "host_country": "FR",
    "visitor_is_sme": "no",
    "host_is_sme": "yes",
    "visitor_community": "partner",
    "host_community": "external",
    "ecosystem": "Digital",
    "activity": "networking",
    "representative": "Jane Doe",
    "distance_km": "850",
    "lump_sum_eur": None,
    "cancellation_reason": None,
    "notes": None,
}


def make_context(**changes: Any) -> RuleContext:
    """The context a form sees for partnership ALPHA (id 1), built by hand: no database."""
    programme = Programme()
    ctx = RuleContext(
        today=TODAY,
        partnerships={
            "alpha": PartnershipTerms(1, "ALPHA", 110_000, {"RO": 80_000}),
            # BETA's action runs from 1 January 2025 to 31 December 2026.
            "beta": PartnershipTerms(2, "BETA", 90_000, {}, date(2025, 1, 1), date(2026, 12, 31)),
        },
        eligible=[(code, None, None) for code in DEFAULT_ELIGIBLE],
        visitor_types=frozenset(programme.visitor_types),
        host_types=frozenset(programme.host_types),
    )
    return replace(ctx, **changes)


def one_record(ctx: RuleContext | None = None, **changes: Any) -> Any:
    """Validate BASE with `changes` as a form does: a table of one row, labelled 0."""
    return validate(pd.DataFrame([{**BASE, **changes}], index=[0]), ctx or make_context())


def filler(n: int) -> dict[str, Any]:
    """A valid row unlike BASE and unlike every other filler (reference and both organisations)."""
    return {
        **BASE,
        "reference": f"FILL-{n}",
        "visitor_organisation": f"Visitor {n}",
        "host_organisation": f"Host {n}",
    }


def signature(issues: list[Any]) -> list[tuple[str, str, str]]:
    return sorted((i.code, i.severity, i.field) for i in issues)


def test_the_base_row_has_no_issue_at_all() -> None:
    validation = one_record()
    assert validation.issues == []
    assert validation.ok


def test_the_filler_rows_have_no_issue_at_all() -> None:
    table = pd.DataFrame([filler(n) for n in range(4)], index=[2, 3, 4, 5])
    assert validate(table, make_context()).issues == []


# --- one case per error and warning ----------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """The changes to BASE, the context, and the issues (code, severity, field) they must raise."""

    changes: dict[str, Any]
    expected: list[tuple[str, str, str]]
    context: dict[str, Any] = field(default_factory=dict)


E, W = "error", "warning"

# The earlier visit of Acme Cluster (DE) stored in the database: exchange 41, BETA/B-7.
STORED_VISIT = {"visits": {"acme cluster|DE": [(41, "BETA/B-7")]}}
# The UK was eligible until its withdrawal took effect; Norway never was.
UK_UNTIL_2020 = {
    "eligible": [("GB", None, date(2020, 12, 31)), *((c, None, None) for c in DEFAULT_ELIGIBLE)]
}
COVID_WINDOW = {"virtual_window": (date(2020, 3, 1), date(2021, 12, 31))}


CASES: dict[str, Case] = {
    # --- errors ---
    # BETA's action runs from 1 January 2025 to 31 December 2026.
    "starts before the action": Case(
        {"partnership": "BETA", "start_date": "2024-12-30", "end_date": "2025-01-03"},
        [("before_action_start", E, "start_date")],
    ),
    "ends after the action": Case(
        {
            "partnership": "BETA",
            "status": "confirmed",
            "start_date": "2026-12-28",
            "end_date": "2027-01-01",
        },
        [("after_action_end", E, "end_date")],
    ),
    "unknown partnership": Case(
        {"partnership": "GAMMA"}, [("unknown_partnership", E, "partnership")]
    ),
    "missing required value": Case(
        {"host_organisation": "  "}, [("missing_value", E, "host_organisation")]
    ),
    "missing required date": Case({"start_date": None}, [("missing_value", E, "start_date")]),
    # 30 February does not exist: unreadable, not "end before start" or the like.
    "unreadable date": Case({"end_date": "2025-02-30"}, [("unreadable_date", E, "end_date")]),
    "unreadable yes/no": Case({"host_is_sme": "maybe"}, [("unreadable_yes_no", E, "host_is_sme")]),
    "unreadable number": Case({"distance_km": "far"}, [("unreadable_number", E, "distance_km")]),
    "unknown country": Case(
        {"visitor_country": "Narnia"}, [("unknown_country", E, "visitor_country")]
    ),
    "status outside its list": Case({"status": "done"}, [("invalid_choice", E, "status")]),
    "type outside its list": Case({"host_type": "NGO"}, [("invalid_choice", E, "host_type")]),
    "community outside its list": Case(
        {"visitor_community": "friend"}, [("invalid_choice", E, "visitor_community")]
    ),
    "modality outside its list": Case({"modality": "hybrid"}, [("invalid_choice", E, "modality")]),
    "ecosystem outside its list": Case(
        {"ecosystem": "Space"}, [("invalid_choice", E, "ecosystem")]
    ),
    "activity outside its list": Case({"activity": "holiday"}, [("invalid_choice", E, "activity")]),
    # A university may host but not visit (the programme's default visitor types).
    "type not allowed as visitor": Case(
        {"visitor_type": "university"}, [("type_not_allowed", E, "visitor_type")]
    ),
    "end before start": Case({"end_date": "2025-03-07"}, [("end_before_start", E, "end_date")]),
    # "Germany" is read as DE before the rule compares the two sides.
    "same country": Case({"host_country": "Germany"}, [("same_country", E, "host_country")]),
    "visitor country not eligible": Case(
        {"visitor_country": "NO"}, [("country_not_eligible", E, "visitor_country")]
    ),
    "host country not eligible": Case(
        {"host_country": "Switzerland"}, [("country_not_eligible", E, "host_country")]
    ),
    # Eligible until 31 Dec 2020, and this stay starts in 2025 ("UK" is the EU's code for GB).
    "country no longer eligible": Case(
        {"host_country": "UK"}, [("country_not_eligible", E, "host_country")], UK_UNTIL_2020
    ),
    # 15 Mar -> 14 Apr is the longest stay from 15 Mar; one more day is refused.
    "longer than a month": Case(
        {"start_date": "2025-03-15", "end_date": "2025-04-15"},
        [("longer_than_month", E, "end_date")],
    ),
    "second physical visit (database)": Case(
        {}, [("second_visit", E, "visitor_organisation")], STORED_VISIT
    ),
    # Fri 14 + Mon 17 March: two working days, the weekend does not count.
    "completed with fewer than 3 working days": Case(
        {"start_date": "2025-03-14", "end_date": "2025-03-17"},
        [("completed_too_short", E, "end_date")],
    ),
    # Ends on Friday 4 July, after TODAY (30 June): cannot have been completed yet.
    "completed ending in the future": Case(
        {"start_date": "2025-06-30", "end_date": "2025-07-04"},
        [("completed_in_future", E, "end_date")],
    ),
    "cancelled without reason": Case(
        {"status": "cancelled"}, [("cancelled_without_reason", E, "cancellation_reason")]
    ),
    "lump sum above the cap": Case(
        {"lump_sum_eur": "1.200,00"}, [("lump_sum_out_of_range", E, "lump_sum_eur")]
    ),
    "negative lump sum": Case(
        {"lump_sum_eur": "-10"}, [("lump_sum_out_of_range", E, "lump_sum_eur")]
    ),
    # A virtual stay is never funded; inside the window so that no warning joins in.
    "lump sum for a virtual stay": Case(
        {
            "modality": "virtual",
            "lump_sum_eur": "100",
            "start_date": "2021-03-08",
            "end_date": "2021-03-12",
        },
        [("lump_sum_out_of_range", E, "lump_sum_eur")],
        COVID_WINDOW,
    ),
    # --- warnings ---
    "fewer than 3 working days while planned": Case(
        {"status": "planned", "start_date": "2025-07-04", "end_date": "2025-07-07"},
        [("short_stay_pending", W, "end_date")],
    ),
    # Confirmed stays whose dates passed are fine (awaiting the closing report); short is not.
    "fewer than 3 working days while confirmed": Case(
        {"status": "confirmed", "start_date": "2025-03-14", "end_date": "2025-03-17"},
        [("short_stay_pending", W, "end_date")],
    ),
    # A Saturday-to-Sunday stay has no working day at all.
    "weekend-only stay while confirmed": Case(
        {"status": "confirmed", "start_date": "2025-07-05", "end_date": "2025-07-06"},
        [("short_stay_pending", W, "end_date")],
    ),
    "planned with dates passed": Case(
        {"status": "planned"}, [("planned_dates_passed", W, "status")]
    ),
    "virtual outside the window": Case(
        {"modality": "virtual"}, [("virtual_outside_window", W, "modality")], COVID_WINDOW
    ),
    # No window configured: every virtual stay lies outside it.
    "virtual without any window": Case(
        {"modality": "virtual"}, [("virtual_outside_window", W, "modality")]
    ),
    "visitor profile differs from an earlier record": Case(
        {},
        [("organisation_profile_differs", W, "visitor_organisation")],
        {"profiles": {"acme cluster|DE": ("cluster_organisation", True)}},
    ),
    "host profile differs from an earlier record": Case(
        {},
        [("organisation_profile_differs", W, "host_organisation")],
        {"profiles": {"beta hub|FR": ("public_authority", True)}},
    ),
    "lump sum differs from the rule": Case(
        {"lump_sum_eur": "550,00"}, [("lump_sum_differs", W, "lump_sum_eur")]
    ),
}


@pytest.mark.parametrize(
    ("changes", "tolerance"),
    [
        ({"start_date": "2025-01-01", "end_date": "2025-01-07"}, 0),  # the action's first day
        ({"start_date": "2026-12-21", "end_date": "2026-12-31"}, 0),  # its last day
        # A day after the end, with the programme's tolerance of one day.
        ({"start_date": "2026-12-28", "end_date": "2027-01-01"}, 1),
    ],
)
def test_a_stay_within_the_action_period(changes: dict[str, str], tolerance: int) -> None:
    ctx = make_context(action_tolerance_days=tolerance)
    validation = one_record(ctx, partnership="BETA", status="confirmed", **changes)
    assert validation.issues == []


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_each_rule_as_one_record(case: Case) -> None:
    validation = one_record(make_context(**case.context), **case.changes)
    assert signature(validation.issues) == sorted(case.expected)
    assert all(issue.row == 0 for issue in validation.issues)
    assert validation.ok is not any(severity == E for _, severity, _ in case.expected)


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_each_rule_inside_a_table(case: Case) -> None:
    # Spreadsheet rows 2 to 6; the case sits on row 4, between valid rows.
    rows = [filler(1), filler(2), {**BASE, **case.changes}, filler(3), filler(4)]
    validation = validate(pd.DataFrame(rows, index=[2, 3, 4, 5, 6]), make_context(**case.context))
    assert signature(validation.issues) == sorted(case.expected)
    assert {issue.row for issue in validation.issues} == {4}
    if any(severity == E for _, severity, _ in case.expected):
        assert validation.rows_with_errors() == {4}


@pytest.mark.parametrize(
    "changes",
    [
        # 15 Mar -> 14 Apr, both days counted: exactly one calendar month.
        {"start_date": "2025-03-15", "end_date": "2025-04-14"},
        # Three working days is enough for a completed stay (Wed to Fri).
        {"start_date": "2025-03-12", "end_date": "2025-03-14"},
        # A planned stay of three working days, still to come.
        {"status": "planned", "start_date": "2025-07-07", "end_date": "2025-07-09"},
        # Confirmed with dates passed: awaiting the closing report, nothing to say.
        {"status": "confirmed"},
        {"status": "cancelled", "cancellation_reason": "Host closed"},
        # Ended today: a completed stay may end on the day it is logged.
        {"start_date": "2025-06-24", "end_date": "2025-06-30"},
        # Kosovo, Türkiye and Greece under their EU spellings are eligible.
        {"visitor_country": "Kosovo", "host_country": "EL"},
        {"host_country": "Türkiye"},
        # A virtual stay inside the COVID window, funded with nothing.
        {"modality": "virtual", "start_date": "2021-03-08", "end_date": "2021-03-12"},
        {
            "modality": "virtual",
            "lump_sum_eur": "0",
            "start_date": "2021-03-08",
            "end_date": "2021-03-12",
        },
        # The lump sum written as the rule computes it, in a European spelling.
        {"lump_sum_eur": "1.100,00"},
        # A cancelled physical visit does not use up the organisation's one visit.
        {"status": "cancelled", "cancellation_reason": "Visa refused", "reference": "ALPHA-002"},
    ],
)
def test_valid_variations_raise_nothing(changes: dict[str, Any]) -> None:
    assert one_record(make_context(**COVID_WINDOW), **changes).issues == []


def test_a_country_eligible_until_a_date_is_fine_before_it() -> None:
    # The UK before its withdrawal took effect (the rule reads the start date).
    validation = one_record(
        make_context(**UK_UNTIL_2020),
        host_country="UK",
        start_date="2020-12-31",
        end_date="2021-01-06",
    )
    assert validation.issues == []


def test_a_country_eligible_from_a_date_is_refused_before_it() -> None:
    ctx = make_context(eligible=[("DE", None, None), ("FR", date(2025, 4, 1), None)])
    assert signature(one_record(ctx).issues) == [("country_not_eligible", E, "host_country")]
    later = one_record(ctx, start_date="2025-04-07", end_date="2025-04-11")
    assert later.issues == []


def test_messages_name_the_values_they_refuse() -> None:
    [issue] = one_record(host_country="NO").issues
    assert "Norway" in issue.message and "(NO)" in issue.message
    assert issue.value == "NO"
    [issue] = one_record(start_date="2025-03-15", end_date="2025-04-15").issues
    assert "2025-04-14" in issue.message  # the latest end date allowed
    [issue] = one_record(make_context(**STORED_VISIT)).issues
    assert "BETA/B-7" in issue.message


def test_a_profile_differs_message_names_both_profiles() -> None:
    ctx = make_context(profiles={"acme cluster|DE": ("sme", True)})
    [issue] = one_record(ctx).issues
    assert issue.message == (
        "Acme Cluster was recorded before as SME, SME; "
        "this record says cluster organisation, not an SME"
    )


@pytest.mark.parametrize("changes", [{"visitor_is_sme": "maybe"}, {"visitor_type": "alien"}])
def test_a_profile_is_not_compared_with_an_unreadable_value(changes: dict[str, Any]) -> None:
    # Regression: the warning's message raised on an SME flag it could not read; the
    # unreadable value has its own error, and there is nothing to compare it with.
    ctx = make_context(profiles={"acme cluster|DE": ("sme", True)})
    [issue] = one_record(ctx, **changes).issues
    assert issue.severity == E and issue.code in {"unreadable_yes_no", "invalid_choice"}


# --- rules that need several rows ------------------------------------------------------------


def test_the_same_partnership_and_reference_twice_in_one_file() -> None:
    # Row 5 repeats row 3's key; "alpha" is the same partnership as "ALPHA".
    rows = [
        filler(1),
        filler(2),
        filler(3),
        {**filler(4), "reference": "FILL-2", "partnership": "alpha"},
    ]
    validation = validate(pd.DataFrame(rows, index=[2, 3, 4, 5]), make_context())
    assert [(i.code, i.field, i.row) for i in validation.issues] == [
        ("duplicate_reference", "reference", 5)
    ]
    assert "row 3" in validation.issues[0].message


def test_the_same_reference_in_two_partnerships_is_fine() -> None:
    rows = [filler(1), {**filler(2), "reference": "FILL-1", "partnership": "BETA"}]
    assert validate(pd.DataFrame(rows, index=[2, 3]), make_context()).issues == []


def test_a_second_physical_visit_in_the_same_file() -> None:
    # Same organisation, spelt differently ("ACME cluster."), visiting again on row 5.
    rows = [filler(1), {**BASE}, filler(2), {**filler(3), "visitor_organisation": "ACME  cluster."}]
    validation = validate(pd.DataFrame(rows, index=[2, 3, 4, 5]), make_context())
    assert [(i.code, i.field, i.row) for i in validation.issues] == [
        ("second_visit", "visitor_organisation", 5)
    ]
    assert "row 3" in validation.issues[0].message


@pytest.mark.parametrize(
    "second",
    [
        {"modality": "virtual"},  # a virtual stay is not a visit (window warning aside)
        {"status": "cancelled", "cancellation_reason": "Visa refused"},
        {"visitor_country": "AT"},  # same name, another country: another organisation
    ],
)
def test_what_is_not_a_second_visit(second: dict[str, Any]) -> None:
    rows = [BASE, {**filler(2), "visitor_organisation": BASE["visitor_organisation"], **second}]
    validation = validate(pd.DataFrame(rows, index=[2, 3]), make_context(**COVID_WINDOW))
    assert "second_visit" not in {i.code for i in validation.issues}


def test_an_organisation_may_host_many_times() -> None:
    rows = [{**filler(n), "host_organisation": "Beta Hub"} for n in range(3)]
    assert validate(pd.DataFrame(rows, index=[2, 3, 4]), make_context()).issues == []


def test_rewriting_the_stored_visit_is_not_a_second_visit() -> None:
    # Re-importing exchange 41 under its own key, or a form editing it, rewrites that visit.
    ctx = make_context(
        visits={"acme cluster|DE": [(41, "ALPHA/ALPHA-001")]},
        existing_ids={(1, "ALPHA-001"): 41},
    )
    assert one_record(ctx).issues == []
    edit = pd.DataFrame([{**BASE, "reference": "ALPHA-009", "exchange_id": 41}], index=[0])
    assert validate(edit, ctx).issues == []


# --- derived facts ---------------------------------------------------------------------------


def derived(ctx: RuleContext | None = None, **changes: Any) -> pd.Series:
    validation = one_record(ctx, **changes)
    return validation.table.loc[0]


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2025-03-10", "2025-03-14", 5),  # Monday to Friday
        ("2025-03-12", "2025-03-12", 1),  # one day, both ends counted
        ("2025-03-14", "2025-03-17", 2),  # Friday to Monday: the weekend is skipped
        ("2025-03-15", "2025-03-16", 0),  # Saturday and Sunday only
        ("2025-03-10", "2025-03-16", 5),  # a full week
        ("2025-03-15", "2025-04-14", 21),  # the longest stay from 15 March
        ("2025-03-14", "2025-03-10", 0),  # end before start: nothing (and an error)
        (None, "2025-03-14", 0),  # a missing date: nothing (and an error)
    ],
)
def test_working_days(start: str | None, end: str, expected: int) -> None:
    assert derived(start_date=start, end_date=end)["working_days"] == expected


@pytest.mark.parametrize(
    ("start", "latest_end"),
    [
        ("2025-03-15", "2025-04-14"),
        ("2025-01-01", "2025-01-31"),  # a whole month
        ("2025-12-20", "2026-01-19"),  # across the new year
        ("2025-01-28", "2025-02-27"),
        # No 31 February: the month runs to the end of February, never shorter than a
        # stay starting a few days earlier is allowed.
        ("2025-01-31", "2025-02-28"),
        ("2024-01-31", "2024-02-29"),  # leap year
        ("2025-01-29", "2025-02-28"),
        ("2025-03-31", "2025-04-30"),
    ],
)
def test_the_longest_stay_is_one_calendar_month(start: str, latest_end: str) -> None:
    starts = pd.Series(pd.to_datetime([start]))
    assert month_limit(starts).iloc[0] == pd.Timestamp(latest_end)
    day_after = (pd.Timestamp(latest_end) + pd.Timedelta(days=1)).date().isoformat()
    assert one_record(start_date=start, end_date=latest_end, status="planned").errors == []
    too_long = one_record(start_date=start, end_date=day_after, status="planned")
    assert [i.code for i in too_long.errors] == ["longer_than_month"]


@pytest.mark.parametrize(
    ("changes", "cents", "reduced"),
    [
        ({}, 110_000, False),  # five working days, 850 km: the full EUR 1,100
        ({"host_country": "RO"}, 80_000, False),  # ALPHA's own rate for Romania
        ({"partnership": "BETA"}, 90_000, False),  # BETA's full rate is EUR 900
        # Mon-Thu: four working days, fewer than five: halved.
        ({"end_date": "2025-03-13"}, 55_000, True),
        ({"distance_km": "150"}, 55_000, True),  # closer than 200 km: halved
        ({"distance_km": "200"}, 110_000, False),  # exactly 200 km is not closer
        ({"distance_km": None}, 110_000, False),  # distance unknown: not halved
        # Both reasons at once: halved once, not quartered.
        ({"end_date": "2025-03-13", "distance_km": "150"}, 55_000, True),
        ({"host_country": "RO", "distance_km": "150"}, 40_000, True),
        # Virtual stays get nothing (inside the window, so no warning either).
        ({"modality": "virtual", "start_date": "2021-03-08", "end_date": "2021-03-12"}, 0, False),
    ],
)
def test_the_rules_lump_sum(changes: dict[str, Any], cents: int, reduced: bool) -> None:
    row = derived(make_context(**COVID_WINDOW), **changes)
    assert row["rule_lump_sum_cents"] == cents
    assert row["lump_sum_cents"] == cents  # none given: the rule's is kept
    assert bool(row["reduced_rate"]) is reduced


def test_a_rate_above_the_cap_is_capped() -> None:
    ctx = make_context(partnerships={"alpha": PartnershipTerms(1, "ALPHA", 150_000)})
    assert derived(ctx)["rule_lump_sum_cents"] == MAX_LUMP_SUM_CENTS


@pytest.mark.parametrize(
    ("given", "cents"),
    [
        ("1.100,00", 110_000),
        ("1100", 110_000),
        ("1,100.00", 110_000),
        ("1100,00", 110_000),
        (1100, 110_000),
        ("550.50", 55_050),
        ("0", 0),  # nothing paid: kept as given (with a warning), not replaced by the rule's
    ],
)
def test_a_given_lump_sum_is_kept_in_cents(given: object, cents: int) -> None:
    row = derived(lump_sum_eur=given)
    assert row["lump_sum_cents"] == cents
    assert row["rule_lump_sum_cents"] == 110_000


@pytest.mark.parametrize(
    ("end", "quarter"),
    [
        ("2025-03-14", "2025Q1"),
        ("2025-03-31", "2025Q1"),
        ("2025-04-01", "2025Q2"),  # a stay across quarters counts in its end's quarter
        ("2025-12-31", "2025Q4"),
    ],
)
def test_end_quarter(end: str, quarter: str) -> None:
    start = "2025-03-10" if end < "2025-04-10" else "2025-12-29"
    assert derived(start_date=start, end_date=end)["end_quarter"] == quarter


@pytest.mark.parametrize(
    ("visitor", "host", "expected"),
    [("no", "no", False), ("yes", "no", True), ("no", "yes", True), ("Y", "TRUE", True)],
)
def test_involves_sme(visitor: str, host: str, expected: bool) -> None:
    row = derived(visitor_is_sme=visitor, host_is_sme=host)
    assert bool(row["involves_sme"]) is expected


@pytest.mark.parametrize(
    ("visitor", "host", "flags"),
    [
        # (visitor_external, host_external, visitor_partner, host_partner)
        ("partner", "external", (False, True, True, False)),
        ("external", "partner", (True, False, False, True)),
        ("member", "member", (False, False, False, False)),  # neither partner nor external
        ("Partner", "PARTNER", (False, False, True, True)),
    ],
)
def test_community_flags(visitor: str, host: str, flags: tuple[bool, ...]) -> None:
    row = derived(visitor_community=visitor, host_community=host)
    names = ("visitor_external", "host_external", "visitor_partner", "host_partner")
    assert tuple(bool(row[name]) for name in names) == flags


def test_partnership_and_stored_record_ids() -> None:
    ctx = make_context(existing_ids={(1, "ALPHA-001"): 41})
    row = derived(ctx, partnership="alpha")
    assert (row["partnership_id"], row["exchange_id"]) == (1, 41)
    row = derived(ctx, reference="ALPHA-002")
    assert row["partnership_id"] == 1 and pd.isna(row["exchange_id"])


# --- property: validate never raises, and issues point at the table's rows -------------------

PERTURBATIONS: dict[str, list[Any]] = {
    "reference": ["ALPHA-001", "X", "", None, "  ", 17],
    "partnership": ["ALPHA", "beta", "GAMMA", "", None],
    "status": ["planned", "Confirmed", "COMPLETED", "cancelled", "done", "", None],
    "modality": ["physical", "virtual", "hybrid", "", None],
    "start_date": [
        "2025-03-10",
        "14/03/2025",
        "2025-02-30",
        date(2025, 7, 5),
        date(1900, 1, 1),
        "9999-12-31",
        "",
        None,
        42,
    ],
    "end_date": ["2025-03-14", "15.04.2025", "soon", date(2025, 3, 1), "2300-01-31", None, 3.5],
    "visitor_organisation": ["Acme Cluster", "ACME cluster.", "Other", "", None],
    "host_organisation": ["Beta Hub", "Acme Cluster", "", None],
    "visitor_type": ["sme", "university", "Scale-up support organisation", "nobody", None],
    "host_type": ["university", "SME", "alien", "", None],
    "visitor_country": ["DE", "fr", "UK", "NO", "Narnia", "", None, 5],
    "host_country": ["FR", "DE", "Türkiye", "XX", "", None],
    "visitor_is_sme": ["yes", "N", 1, 0, True, "maybe", "", None, 2.5],
    "host_is_sme": ["no", "TRUE", "perhaps", None],
    "visitor_community": ["partner", "EXTERNAL", "friend", None],
    "host_community": ["member", "x", "", None],
    "ecosystem": ["Digital", "aero", "Space", None],
    "activity": ["networking", "R&D", "holiday", None],
    "distance_km": ["850", "150", "far", "-5", 0, None, "1.000,5"],
    "lump_sum_eur": ["1.100,00", "550", "2000", "-1", "abc", 0, None, float("nan")],
    "cancellation_reason": ["Host closed", "", None],
    "notes": ["", "{braces} and %s", None],
}


@st.composite
def tables(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(min_value=1, max_value=6))
    labels = draw(st.lists(st.integers(-5, 10_000), min_size=n, max_size=n, unique=True))
    rows = []
    for _ in range(n):
        row = dict(BASE)
        for name in draw(st.sets(st.sampled_from(sorted(PERTURBATIONS)), max_size=6)):
            row[name] = draw(st.sampled_from(PERTURBATIONS[name]))
        rows.append(row)
    return pd.DataFrame(rows, index=labels)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    table=tables(),
    visits=st.booleans(),
    profiles=st.booleans(),
)
def test_validate_never_raises_and_issues_point_at_rows(
    table: pd.DataFrame, visits: bool, profiles: bool
) -> None:
    ctx = make_context(
        **COVID_WINDOW,
        visits=STORED_VISIT["visits"] if visits else {},
        profiles={"beta hub|FR": ("sme", False)} if profiles else {},
    )
    validation = validate(table, ctx)
    labels = set(table.index)
    assert all(issue.row in labels for issue in validation.issues)
    assert list(validation.table.index) == list(table.index)
    assert all(issue.message for issue in validation.issues)
