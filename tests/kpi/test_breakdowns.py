"""KPI breakdowns, table-tested on a small hand-built register, plus properties and a check that
SQLite and PostgreSQL give the same tables.

The register goes in through the service (as the local administrator, with a fixed `today`), so
the stored derived facts are the real write path's. It is built once per module on SQLite and
copied for each test; the PostgreSQL check builds it again there. Each breakdown is also
computed through the exchange table (a filter on every organisation type, which restricts
nothing but which the summaries do not carry) and must equal what the trigger-kept summaries
give.

The register (stays run Monday to Friday; "->" is visitor country -> host country):

| ref | partnership | status, modality | ends | countries | notes |
|-----|-------------|------------------|------------|-----------|-------|
| A1 | AGRI | completed | 2025-11-07 (Q4) | DE -> FR | SME visitor, external visitor; logged first as SI, 2025Q3, then corrected |
| A2 | AGRI | completed | 2026-05-08 (Q2) | FR -> IT | SME host |
| A3 | AGRI | completed | 2026-07-10 (Q3) | IT -> ES | after AGRI's action (ends 2026-06-30) |
| G1 | GTEX | completed | 2026-05-15 (Q2) | DE -> FR | both sides SME, external host, paid EUR 1,100 |
| G2 | GTEX | completed | 2026-08-07 (Q3) | DE -> FR | member to member, 150 km: reduced rate (EUR 550) |
| G3 | GTEX | completed | 2026-10-09 (Q4) | PL -> DE | external host, no ecosystem, paid EUR 550 |
| G4 | GTEX | completed | 2026-11-20 (Q4) | FR -> DE | |
| G5 | GTEX | completed, virtual | 2026-09-11 (Q3) | ES -> FR | |
| G6 | GTEX | cancelled | 2026-06-12 (Q2) | PL -> FR | |
| G7 | GTEX | planned | 2027-01-15 (2027Q1) | IT -> AT | |
| G8 | GTEX | confirmed | 2026-12-11 (Q4) | AT -> DE | SME visitor |

NONE is a third partnership without exchanges. Nothing ends in 2026Q1: a gap quarter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from tests import factories
from tests.factories import clear_register, engine_on_copy, set_programme, stay
from xchange.db.engine import read_session, write_session
from xchange.kpi import breakdowns, money
from xchange.kpi import sums as kpi
from xchange.kpi.breakdowns import Breakdown
from xchange.kpi.sums import Definitions, Filters
from xchange.models import Exchange, OrgType
from xchange.programme.partnerships import find_partnership
from xchange.register import service
from xchange.register.service import ExchangeIn

TODAY = date(2026, 11, 25)
MID_Q4 = date(2026, 11, 18)  # a Wednesday: G3 has ended, G4 (ends Friday 20th) has not

PARTNERSHIPS = {
    # acronym: (action start, action end, target); AGRI's periods: interim 2026-03-31, final
    # 2026-06-30; GTEX's: interim 2026-12-31, final 2027-12-31.
    "AGRI": (date(2025, 4, 1), date(2026, 6, 30), 40),
    "GTEX": (date(2026, 1, 1), date(2027, 12, 31), 100),
    "NONE": (date(2026, 1, 1), date(2027, 12, 31), 60),
}


SME_VISITOR = {"visitor_is_sme": True, "visitor_type": "SME"}
SME_HOST = {"host_is_sme": True, "host_type": "SME"}

# reference -> (values over BASE, correction applied by an update, EUR paid)
REGISTER: dict[str, tuple[dict[str, Any], dict[str, Any], int | None]] = {
    "A1": (
        {
            "partnership": "AGRI",
            **stay(date(2025, 9, 8)),
            "visitor_country": "SI",
            **SME_VISITOR,
            "visitor_community": "external",
            "ecosystem": "AGRI",
        },
        {**stay(date(2025, 11, 3)), "visitor_country": "DE"},
        None,
    ),
    "A2": (
        {
            "partnership": "AGRI",
            **stay(date(2026, 5, 4)),
            "visitor_country": "FR",
            "host_country": "IT",
            **SME_HOST,
            "ecosystem": "AGRI",
        },
        {},
        None,
    ),
    "A3": (
        {
            "partnership": "AGRI",
            **stay(date(2026, 7, 6)),
            "visitor_country": "IT",
            "host_country": "ES",
            "ecosystem": "AGRI",
        },
        {},
        None,
    ),
    "G1": (
        {**stay(date(2026, 5, 11)), **SME_VISITOR, **SME_HOST, "host_community": "external"},
        {},
        1100,
    ),
    "G2": (
        {
            **stay(date(2026, 8, 3)),
            "visitor_community": "member",
            "host_community": "member",
            "host_type": "university",
            "distance_km": 150.0,
        },
        {},
        None,
    ),
    "G3": (
        {
            **stay(date(2026, 10, 5)),
            "visitor_country": "PL",
            "host_country": "DE",
            "host_community": "external",
            "ecosystem": None,
        },
        {},
        550,
    ),
    "G4": ({**stay(date(2026, 11, 16)), "visitor_country": "FR", "host_country": "DE"}, {}, None),
    "G5": (
        {
            **stay(date(2026, 9, 7)),
            "modality": "virtual",
            "visitor_country": "ES",
            "ecosystem": None,
        },
        {},
        None,
    ),
    "G6": (
        {
            **stay(date(2026, 6, 8)),
            "status": "cancelled",
            "visitor_country": "PL",
            "ecosystem": None,
        },
        {},
        None,
    ),
    "G7": (
        {
            **stay(date(2027, 1, 11)),
            "status": "planned",
            "visitor_country": "IT",
            "host_country": "AT",
            "ecosystem": None,
        },
        {},
        None,
    ),
    "G8": (
        {
            **stay(date(2026, 12, 7)),
            "status": "confirmed",
            **SME_VISITOR,
            "visitor_country": "AT",
            "host_country": "DE",
            "ecosystem": None,
        },
        {},
        None,
    ),
}

BASE: dict[str, Any] = {
    "partnership": "GTEX",
    "status": "completed",
    "modality": "physical",
    "visitor_type": "cluster organisation",
    "visitor_country": "DE",
    "visitor_is_sme": False,
    "visitor_community": "partner",
    "host_type": "cluster organisation",
    "host_country": "FR",
    "host_is_sme": False,
    "host_community": "partner",
    "ecosystem": "DIGI",
}


def add_partnerships(session: Session, acronyms: dict[str, tuple[date, date, int]]) -> None:
    for acronym, (start, end, target) in acronyms.items():
        factories.partnership(session, acronym, start, end, target)


def exchange_values(reference: str, spec: dict[str, Any]) -> ExchangeIn:
    values = {**BASE, "reference": reference, "visitor_organisation": f"Visitor {reference}"}
    values.update(spec)
    # Hosts are shared by type and country: G3 and G4 stay at the same German cluster.
    values["host_organisation"] = f"{values['host_type']} host {values['host_country']}"
    if values["status"] == "cancelled":
        values["cancellation_reason"] = "The visitor could not travel"
    return ExchangeIn(**values)


def correct(session: Session, exchange: Exchange, changes: dict[str, Any]) -> Exchange:
    """Update a stored exchange through the service, as a coordinator fixing a typo."""
    assert exchange.id is not None
    data = service.exchange_in(session, exchange).model_copy(update=changes)
    return service.update_exchange(
        session=session,
        actor=factories.admin(session),
        exchange_id=exchange.id,
        expected_version=exchange.version,
        data=data,
        today=TODAY,
    )


def build_register(engine: Engine) -> None:
    with write_session(engine) as session:
        add_partnerships(session, PARTNERSHIPS)
        actor = factories.admin(session)
        # A3 ends after AGRI's action: a stay stored before the action-period rule.
        with factories.actions_widened(session):
            for reference, (spec, correction, paid) in REGISTER.items():
                exchange = service.create_exchange(
                    session=session, actor=actor, data=exchange_values(reference, spec), today=TODAY
                )
                if correction:
                    exchange = correct(session, exchange, correction)
                if paid is not None:
                    assert exchange.id is not None
                    service.record_payment(
                        session=session,
                        actor=actor,
                        exchange_id=exchange.id,
                        expected_version=exchange.version,
                        paid_on=TODAY,
                        paid_eur=paid,
                    )


@pytest.fixture(scope="module")
def register_file(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file holding the register, built once for the module."""
    path = tmp_path_factory.mktemp("register") / "xchange.db"
    return factories.register_file(sqlite_template, path, build_register)


@pytest.fixture
def register(register_file: Path, tmp_path: Path) -> Iterator[Engine]:
    """An engine on this test's own copy of the register."""
    yield from engine_on_copy(register_file, tmp_path)


Builder = Callable[..., Breakdown]


def compute(engine: Engine, builder: Builder, **options: Any) -> Breakdown:
    with read_session(engine) as session:
        return builder(session, **options)


def rows(breakdown: Breakdown, *columns: str) -> list[tuple[Any, ...]]:
    """The table's rows as tuples of `columns`, a missing value (NaN, NaT) as None."""
    return [
        tuple(None if value is not None and pd.isna(value) else value for value in row)
        for row in breakdown.table[list(columns)].itertuples(index=False)
    ]


FIGURES = ("counted", "involving_sme", "beyond_community", "pipeline", "cancelled", "virtual")


def pid(engine: Engine, acronym: str) -> int:
    with read_session(engine) as session:
        found = find_partnership(session, acronym)
        assert found is not None and found.id is not None
        return found.id


# --- by partnership ----------------------------------------------------------------------------


def test_by_partnership(register: Engine) -> None:
    result = compute(register, breakdowns.by_partnership, as_of=TODAY)
    assert rows(result, "acronym", "target", *FIGURES) == [
        ("AGRI", 40, 3, 2, 1, 0, 0, 0),
        ("GTEX", 100, 4, 1, 2, 2, 1, 1),
        ("NONE", 60, 0, 0, 0, 0, 0, 0),  # no exchanges: zeros, not missing
    ]
    assert rows(result, "progress", "sme_share", "beyond_share") == [
        (3 / 40, 2 / 3, 1 / 3),
        (4 / 100, 1 / 4, 2 / 4),
        (0.0, None, None),  # nothing counted: no data, not 0 %
    ]
    assert result.as_of == TODAY
    assert result.definitions == Definitions()


def test_by_partnership_scoped_to_some(register: Engine) -> None:
    ids = (pid(register, "GTEX"), pid(register, "NONE"))
    result = compute(
        register, breakdowns.by_partnership, as_of=TODAY, filters=Filters(partnership_ids=ids)
    )
    assert rows(result, "acronym", "counted") == [("GTEX", 4), ("NONE", 0)]


# --- by quarter --------------------------------------------------------------------------------

QUARTER_COLUMNS = (
    "quarter",
    *FIGURES,
    "cumulative_counted",
    "cumulative_involving_sme",
    "cumulative_beyond_community",
)


def test_by_quarter_with_cumulative_totals_and_a_gap(register: Engine) -> None:
    result = compute(register, breakdowns.by_quarter, as_of=TODAY)
    assert rows(result, *QUARTER_COLUMNS) == [
        # From the first quarter with an exchange (A1, once corrected out of 2025Q3)...
        ("2025Q4", 1, 1, 1, 0, 0, 0, 1, 1, 1),
        # ...through the gap quarter, listed with zeros so that the cumulative line goes on...
        ("2026Q1", 0, 0, 0, 0, 0, 0, 1, 1, 1),
        ("2026Q2", 2, 2, 1, 0, 1, 0, 3, 3, 2),
        ("2026Q3", 2, 0, 0, 0, 0, 1, 5, 3, 2),
        # ...to the as-of quarter. G7 ends in 2027Q1, after it: not listed.
        ("2026Q4", 2, 0, 1, 1, 0, 0, 7, 3, 3),
    ]
    assert rows(result, "sme_share", "beyond_share") == [
        (1.0, 1.0),
        (None, None),  # nothing counted in the gap quarter
        (1.0, 0.5),
        (0.0, 0.0),
        (0.0, 0.5),
    ]
    assert rows(result, "cumulative_sme_share", "cumulative_beyond_share") == [
        (1.0, 1.0),
        (1.0, 1.0),
        (1.0, 2 / 3),
        (3 / 5, 2 / 5),
        (3 / 7, 3 / 7),
    ]


def test_by_quarter_mid_quarter_counts_to_the_day(register: Engine) -> None:
    result = compute(register, breakdowns.by_quarter, as_of=MID_Q4)
    assert rows(result, "quarter", "counted", "cumulative_counted")[-1] == ("2026Q4", 1, 6)


def test_by_quarter_with_nothing_counted(register: Engine) -> None:
    """Before A1 ends: its quarter is listed, with nothing counted and shares of no data."""
    result = compute(register, breakdowns.by_quarter, as_of=date(2025, 11, 6))
    assert rows(result, "quarter", "counted", "sme_share", "cumulative_sme_share") == [
        ("2025Q4", 0, None, None)
    ]
    before = compute(register, breakdowns.by_quarter, as_of=date(2025, 6, 30))
    assert before.table.empty


# --- by reporting period -----------------------------------------------------------------------


def test_by_period(register: Engine) -> None:
    result = compute(register, breakdowns.by_period, as_of=TODAY)
    assert rows(result, "acronym", "period", "ends_on", *FIGURES) == [
        ("AGRI", "interim", date(2026, 3, 31), 1, 1, 1, 0, 0, 0),
        ("AGRI", "final", date(2026, 6, 30), 1, 1, 0, 0, 0, 0),
        # A3 ended on 10 July, after AGRI's action ended on 30 June.
        ("AGRI", "after the action", None, 1, 0, 0, 0, 0, 0),
        # GTEX's interim period ends on 31 December: G8 (confirmed, 11 December) is in it.
        ("GTEX", "interim", date(2026, 12, 31), 4, 1, 2, 1, 1, 1),
        ("GTEX", "final", date(2027, 12, 31), 0, 0, 0, 1, 0, 0),
    ]
    assert rows(result, "sme_share")[-1] == (None,)


def test_by_period_as_of_a_period_end(register: Engine) -> None:
    """As of AGRI's interim end, A1 counts; later stays do not, pipeline stays are today's."""
    result = compute(register, breakdowns.by_period, as_of=date(2026, 3, 31))
    assert rows(result, "acronym", "period", "counted", "pipeline", "cancelled") == [
        ("AGRI", "interim", 1, 0, 0),
        ("AGRI", "final", 0, 0, 0),
        ("AGRI", "after the action", 0, 0, 0),
        ("GTEX", "interim", 0, 1, 1),
        ("GTEX", "final", 0, 1, 0),
    ]


# --- countries and flows -----------------------------------------------------------------------


def test_by_visitor_country(register: Engine) -> None:
    result = compute(register, breakdowns.by_country, side="visitor", as_of=TODAY)
    # SI does not show: A1's visitor was corrected to DE.
    assert rows(result, "country", "country_name", *FIGURES) == [
        ("DE", "Germany", 3, 2, 2, 0, 0, 0),
        ("FR", "France", 2, 1, 0, 0, 0, 0),
        ("IT", "Italy", 1, 0, 0, 1, 0, 0),
        ("PL", "Poland", 1, 0, 1, 0, 1, 0),
        ("AT", "Austria", 0, 0, 0, 1, 0, 0),
        ("ES", "Spain", 0, 0, 0, 0, 0, 1),
    ]


def test_by_host_country(register: Engine) -> None:
    result = compute(register, breakdowns.by_country, side="host", as_of=TODAY)
    assert rows(result, "country", *FIGURES) == [
        ("FR", 3, 2, 2, 0, 1, 1),
        ("DE", 2, 0, 1, 1, 0, 0),
        ("ES", 1, 0, 0, 0, 0, 0),
        ("IT", 1, 1, 0, 0, 0, 0),
        ("AT", 0, 0, 0, 1, 0, 0),
    ]


def test_by_country_refuses_an_unknown_side(register: Engine) -> None:
    with pytest.raises(ValueError, match="side must be visitor or host"):
        compute(register, breakdowns.by_country, side="both")


FLOWS_TODAY = [
    ("DE", "FR", 3, 2, 2, 0, 0, 0),
    ("FR", "DE", 1, 0, 0, 0, 0, 0),
    ("FR", "IT", 1, 1, 0, 0, 0, 0),
    ("IT", "ES", 1, 0, 0, 0, 0, 0),
    ("PL", "DE", 1, 0, 1, 0, 0, 0),
    ("AT", "DE", 0, 0, 0, 1, 0, 0),
    ("ES", "FR", 0, 0, 0, 0, 0, 1),
    ("IT", "AT", 0, 0, 0, 1, 0, 0),
    ("PL", "FR", 0, 0, 0, 0, 1, 0),
]


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        pytest.param(TODAY, FLOWS_TODAY, id="today"),
        # Mid-quarter: the open quarter is counted to the day. G4 (FR -> DE) ends on the 20th;
        # as of the 18th it is listed but not counted, G3 (ended 9 October) is.
        pytest.param(
            MID_Q4,
            [
                ("DE", "FR", 3, 2, 2, 0, 0, 0),
                ("FR", "IT", 1, 1, 0, 0, 0, 0),
                ("IT", "ES", 1, 0, 0, 0, 0, 0),
                ("PL", "DE", 1, 0, 1, 0, 0, 0),
                ("AT", "DE", 0, 0, 0, 1, 0, 0),
                ("ES", "FR", 0, 0, 0, 0, 0, 1),
                ("FR", "DE", 0, 0, 0, 0, 0, 0),
                ("IT", "AT", 0, 0, 0, 1, 0, 0),
                ("PL", "FR", 0, 0, 0, 0, 1, 0),
            ],
            id="mid-quarter",
        ),
        # On G4's end date it counts (the as-of date is inclusive).
        pytest.param(date(2026, 11, 20), FLOWS_TODAY, id="on-an-end-date"),
        # The close of Q2: G1 and A2 count, G2 (Q3) does not; pipeline and cancelled are today's.
        pytest.param(
            date(2026, 6, 30),
            [
                ("DE", "FR", 2, 2, 2, 0, 0, 0),
                ("FR", "IT", 1, 1, 0, 0, 0, 0),
                ("AT", "DE", 0, 0, 0, 1, 0, 0),
                ("ES", "FR", 0, 0, 0, 0, 0, 0),
                ("FR", "DE", 0, 0, 0, 0, 0, 0),
                ("IT", "AT", 0, 0, 0, 1, 0, 0),
                ("IT", "ES", 0, 0, 0, 0, 0, 0),
                ("PL", "DE", 0, 0, 0, 0, 0, 0),
                ("PL", "FR", 0, 0, 0, 0, 1, 0),
            ],
            id="quarter-close",
        ),
    ],
)
def test_flows(register: Engine, as_of: date, expected: list[tuple[Any, ...]]) -> None:
    result = compute(register, breakdowns.flows, as_of=as_of)
    assert rows(result, "visitor_country", "host_country", *FIGURES) == expected


# --- ecosystems and organisation types ---------------------------------------------------------


def test_by_ecosystem(register: Engine) -> None:
    result = compute(register, breakdowns.by_ecosystem, as_of=TODAY)
    assert rows(result, "ecosystem_name", *FIGURES) == [
        ("Agri-food", 3, 2, 1, 0, 0, 0),
        ("Digital", 3, 1, 1, 0, 0, 0),
        ("not given", 1, 0, 1, 2, 1, 1),  # G3, and G5 to G8
    ]
    assert rows(result, "ecosystem")[:2] == [("AGRI",), ("DIGI",)]


def test_by_org_type(register: Engine) -> None:
    result = compute(register, breakdowns.by_org_type, as_of=TODAY)
    assert rows(result, "side", "type", "type_label", "counted", "pipeline", "sme_share") == [
        ("visitor", "cluster_organisation", "cluster organisation", 5, 1, 1 / 5),
        ("visitor", "sme", "SME", 2, 1, 1.0),
        ("host", "cluster_organisation", "cluster organisation", 4, 2, 1 / 4),
        ("host", "sme", "SME", 2, 0, 1.0),
        ("host", "university", "university", 1, 0, 0.0),
    ]


# --- SME sides, organisations, rates and money -------------------------------------------------


def test_money_and_sides(register: Engine) -> None:
    with read_session(register) as session:
        result = breakdowns.money_and_sides(session, as_of=TODAY)
    assert result == {
        "as_of": "2026-11-25",
        "counted": 7,
        "sme_as_visitor": 2,  # A1 and G1
        "sme_as_host": 2,  # A2 and G1: both sides of G1 count, once on each side
        "distinct_visitors": 7,
        "distinct_hosts": 6,  # G3 and G4 share their host
        "distinct_organisations": 13,
        "reduced_rate": 1,  # G2
        "reduced_rate_share": 1 / 7,
        # Confirmed and completed: seven full rates (G8, confirmed, among them), G2's half and
        # nothing for G5 (virtual); the cancelled and the planned stays are not committed.
        "lump_sums_committed_eur": 8250.0,
        "lump_sums_paid_eur": 1650.0,  # G1 and G3
        "definitions": Definitions(),
    }


def test_money_and_sides_with_nothing_counted(register: Engine) -> None:
    with read_session(register) as session:
        result = breakdowns.money_and_sides(session, as_of=date(2025, 1, 1))
    assert (result["counted"], result["distinct_organisations"]) == (0, 0)
    assert result["reduced_rate_share"] is None
    # Commitments and payments are not dated by the as-of date.
    assert result["lump_sums_committed_eur"] == 8250.0


def test_money_by_partnership_adds_up_to_the_programme(register: Engine) -> None:
    with read_session(register) as session:
        table = breakdowns.money_by_partnership(session, as_of=TODAY).table
        programme = breakdowns.money_and_sides(session, as_of=TODAY)
    rows = table.set_index("acronym")[
        ["counted", "reduced_rate", "committed_eur", "paid_eur", "unpaid_eur"]
    ]
    assert rows.to_dict(orient="index") == {
        # Three full rates committed, nothing paid yet.
        "AGRI": {
            "counted": 3,
            "reduced_rate": 0,
            "committed_eur": 3300.0,
            "paid_eur": 0.0,
            "unpaid_eur": 3300.0,
        },
        # G1, G3, G4 and G8 (confirmed) at the full rate, G2 halved (150 km); G5 is virtual.
        "GTEX": {
            "counted": 4,
            "reduced_rate": 1,
            "committed_eur": 4950.0,
            "paid_eur": 1650.0,
            "unpaid_eur": 3300.0,
        },
        # No exchange: a row of zeros, and no share.
        "NONE": {
            "counted": 0,
            "reduced_rate": 0,
            "committed_eur": 0.0,
            "paid_eur": 0.0,
            "unpaid_eur": 0.0,
        },
    }
    assert table.set_index("acronym")["reduced_rate_share"].to_dict() == {
        "AGRI": 0.0,
        "GTEX": 0.25,
        "NONE": None,
    }
    total = money.total(table)
    assert total["committed_eur"] == programme["lump_sums_committed_eur"]
    assert total["paid_eur"] == programme["lump_sums_paid_eur"]
    assert total["reduced_rate_share"] == programme["reduced_rate_share"]


def test_money_by_partnership_keeps_to_the_chosen_partnerships(register: Engine) -> None:
    with read_session(register) as session:
        gtex = find_partnership(session, "GTEX")
        assert gtex is not None
        table = breakdowns.money_by_partnership(
            session, as_of=TODAY, filters=Filters(partnership_ids=(gtex.id or 0,))
        ).table
    assert table["acronym"].tolist() == ["GTEX"]


# --- filters -----------------------------------------------------------------------------------

FILTERS: list[Any] = [
    pytest.param({}, (7, 3, 3, 2, 1, 1), id="none"),
    pytest.param({"partnerships": ("GTEX",)}, (4, 1, 2, 2, 1, 1), id="partnership"),
    pytest.param({"ecosystems": ("AGRI",)}, (3, 2, 1, 0, 0, 0), id="ecosystem"),
    # A country filter takes either side: PL visits in G3 and G6.
    pytest.param({"countries": ("PL",)}, (1, 0, 1, 0, 1, 0), id="country"),
    pytest.param({"countries": ("IT",)}, (2, 1, 0, 1, 0, 0), id="country-either-side"),
    # An organisation-type filter takes either side too: G2's host is a university.
    pytest.param({"org_types": ("university",)}, (1, 0, 0, 0, 0, 0), id="org-type"),
    pytest.param({"org_types": ("sme",)}, (3, 3, 2, 1, 0, 0), id="org-type-sme"),
    pytest.param({"modality": "virtual"}, (0, 0, 0, 0, 0, 1), id="modality"),
    pytest.param({"quarters": ("2026Q2",)}, (2, 2, 1, 0, 1, 0), id="quarter"),
    pytest.param(
        {"quarters": ("2026Q4",), "countries": ("DE",)}, (2, 0, 1, 1, 0, 0), id="quarter-country"
    ),
]


def make_filters(engine: Engine, spec: dict[str, Any]) -> Filters:
    spec = dict(spec)
    ids = tuple(pid(engine, acronym) for acronym in spec.pop("partnerships", ()))
    return Filters(partnership_ids=ids, **spec)


@pytest.mark.parametrize(("spec", "expected"), FILTERS)
def test_each_filter_changes_the_figures(
    register: Engine, spec: dict[str, Any], expected: tuple[int, ...]
) -> None:
    filters = make_filters(register, spec)
    by_partnership = compute(register, breakdowns.by_partnership, as_of=TODAY, filters=filters)
    assert tuple(int(by_partnership.table[name].sum()) for name in FIGURES) == expected
    assert by_partnership.filters == filters
    # Every breakdown of the same scope adds up to the same figures (by quarter: up to the
    # as-of quarter, so without G7, planned for 2027Q1).
    for builder in (breakdowns.by_ecosystem, breakdowns.by_period, breakdowns.flows):
        table = compute(register, builder, as_of=TODAY, filters=filters).table
        assert tuple(int(table[name].sum()) for name in FIGURES) == expected, builder
    with read_session(register) as session:
        headline = kpi.headline(session, as_of=TODAY, filters=filters)
    assert headline.counted == expected[0]


# --- definitions ---------------------------------------------------------------------------------


def test_results_carry_the_definitions(register: Engine) -> None:
    set_programme(register, beyond_reading="narrow", count_virtual=True)
    narrow = Definitions(beyond_reading="narrow", count_virtual=True)
    for builder in (
        breakdowns.by_partnership,
        breakdowns.by_quarter,
        breakdowns.by_period,
        breakdowns.by_country,
        breakdowns.flows,
        breakdowns.by_ecosystem,
        breakdowns.by_org_type,
    ):
        assert compute(register, builder, as_of=TODAY).definitions == narrow, builder
    with read_session(register) as session:
        money = breakdowns.money_and_sides(session, as_of=TODAY)
    assert money["definitions"] == narrow
    assert money["counted"] == 8  # G5, virtual, counts now
    result = compute(register, breakdowns.by_partnership, as_of=TODAY)
    # Narrow reading: G2 (member to member) is beyond too; G5 (partner to partner) counts.
    assert rows(result, "acronym", "counted", "beyond_community", "virtual") == [
        ("AGRI", 3, 1, 0),
        ("GTEX", 5, 3, 0),
        ("NONE", 0, 0, 0),
    ]
    assert "narrow reading" in result.definitions.describe()


# --- the summaries and the exchange table agree ------------------------------------------------

# Every exchange has a visitor type, so this restricts nothing; but only the exchange table
# carries types, so every figure is summed from it instead of from the summaries.
EVERY_TYPE = Filters(org_types=tuple(t.value for t in OrgType))

BUILDERS: dict[str, tuple[Builder, dict[str, Any]]] = {
    "by_partnership": (breakdowns.by_partnership, {}),
    "by_quarter": (breakdowns.by_quarter, {}),
    "by_period": (breakdowns.by_period, {}),
    "by_visitor_country": (breakdowns.by_country, {"side": "visitor"}),
    "by_host_country": (breakdowns.by_country, {"side": "host"}),
    "flows": (breakdowns.flows, {}),
}
AS_OF_DATES = [
    date(2025, 6, 30),  # before any stay ends
    date(2025, 9, 12),  # the day A1 first said it ended: corrected since, so nothing counts
    date(2025, 12, 31),
    date(2026, 5, 13),  # mid Q2: A2 ended, G1 has not
    date(2026, 6, 30),
    MID_Q4,
    date(2026, 11, 20),
    TODAY,
    date(2027, 3, 31),
]


def assert_same_table(left: pd.DataFrame, right: pd.DataFrame) -> None:
    assert_frame_equal(left.reset_index(drop=True), right.reset_index(drop=True))


@pytest.mark.parametrize("name", BUILDERS)
def test_the_summary_path_and_the_raw_path_agree(register: Engine, name: str) -> None:
    builder, options = BUILDERS[name]
    for as_of in AS_OF_DATES:
        summarised = compute(register, builder, as_of=as_of, **options)
        raw = compute(register, builder, as_of=as_of, filters=EVERY_TYPE, **options)
        assert_same_table(summarised.table, raw.table)


# The as-of quarter from kpi_flow: whole quarters, corrected to the day from the exchange table
# on whichever side of as-of holds fewer completed stays (or on none, when one side is empty).
# 2026Q1 holds stays completed on 9, 16 and 30 January (the last one virtual) and 27 March;
# one more ended in 2025Q3, one is planned in the quarter.
QUARTER_STAYS = [
    {"week": 10, "status": "completed", "visitor_country": "IT"},
    {"week": 26, "status": "completed"},
    {"week": 27, "status": "completed", "host_country": "ES", "host_community": "external"},
    {"week": 29, "status": "completed", "modality": "virtual"},
    {"week": 37, "status": "completed", "visitor_country": "IT", "visitor_is_sme": True},
    {"week": 33, "status": "planned", "host_country": "ES"},
]


@pytest.mark.parametrize(
    ("as_of", "sides"),
    [
        pytest.param(date(2026, 1, 2), (0, 4), id="before-any: nothing to add"),
        pytest.param(date(2026, 1, 9), (1, 3), id="early: the days up to as-of added"),
        pytest.param(date(2026, 1, 20), (2, 2), id="even: the days up to as-of added"),
        pytest.param(date(2026, 2, 13), (3, 1), id="late: the days after as-of taken away"),
        pytest.param(date(2026, 3, 27), (4, 0), id="quarter's last stay: nothing taken away"),
    ],
)
def test_the_as_of_quarter_from_either_side_agrees_with_the_exchange_table(
    engine: Engine, as_of: date, sides: tuple[int, int]
) -> None:
    stays = [
        {"partnership": "ALPHA", "visitor_is_sme": False, "moved_to": None, **spec}
        for spec in QUARTER_STAYS
    ]
    fresh_register(engine, stays, {"beyond_reading": "broad", "count_virtual": False})
    with read_session(engine) as session:
        first, last = kpi.quarter_bounds(as_of)
        ends = session.exec(
            select(Exchange.end_date).where(
                Exchange.status == "completed", col(Exchange.end_date).between(first, last)
            )
        ).all()
    # The summaries correct the as-of quarter from the side with fewer completed stays.
    assert (sum(end <= as_of for end in ends), sum(end > as_of for end in ends)) == sides
    for name in ("flows", "by_visitor_country", "by_host_country", "by_partnership"):
        builder, options = BUILDERS[name]
        for filters in (Filters(), Filters(countries=("IT", "ES"))):
            summarised = compute(engine, builder, as_of=as_of, filters=filters, **options)
            raw = compute(
                engine,
                builder,
                as_of=as_of,
                filters=replace(filters, org_types=EVERY_TYPE.org_types),
                **options,
            )
            assert_same_table(summarised.table, raw.table)


# --- SQLite and PostgreSQL ---------------------------------------------------------------------

ALL_BUILDERS: dict[str, tuple[Builder, dict[str, Any]]] = {
    **BUILDERS,
    "by_ecosystem": (breakdowns.by_ecosystem, {}),
    "by_org_type": (breakdowns.by_org_type, {}),
    "money_by_partnership": (breakdowns.money_by_partnership, {}),
}


@pytest.mark.parametrize(
    "filters",
    [
        pytest.param(Filters(), id="summaries"),
        pytest.param(Filters(countries=("DE", "FR", "IT")), id="exchange-table"),
        pytest.param(Filters(quarters=("2026Q2", "2026Q4"), modality="physical"), id="quarters"),
    ],
)
def test_sqlite_and_postgresql_give_the_same_tables(
    register: Engine, pg_engine: Engine, filters: Filters
) -> None:
    build_register(pg_engine)
    for as_of in (MID_Q4, TODAY):
        for builder, options in ALL_BUILDERS.values():
            on_sqlite = compute(register, builder, as_of=as_of, filters=filters, **options)
            on_postgres = compute(pg_engine, builder, as_of=as_of, filters=filters, **options)
            assert_same_table(on_sqlite.table, on_postgres.table)
        with read_session(register) as lite, read_session(pg_engine) as pg:
            assert breakdowns.money_and_sides(
                lite, as_of=as_of, filters=filters
            ) == breakdowns.money_and_sides(pg, as_of=as_of, filters=filters)


# --- properties (SQLite) -----------------------------------------------------------------------

RANDOM_PARTNERSHIPS = {
    "ALPHA": (date(2025, 7, 1), date(2026, 12, 31), 50),
    "BETA": (date(2026, 1, 1), date(2027, 6, 30), 80),
    "GAMMA": (date(2026, 1, 1), date(2027, 6, 30), 30),
}

one_exchange = st.fixed_dictionaries(
    {
        "partnership": st.sampled_from(tuple(RANDOM_PARTNERSHIPS)),
        "status": st.sampled_from(("planned", "confirmed", "completed", "cancelled")),
        "modality": st.sampled_from(("physical", "physical", "virtual")),
        "visitor_is_sme": st.booleans(),
        "host_is_sme": st.booleans(),
        "visitor_community": st.sampled_from(("partner", "member", "external")),
        "host_community": st.sampled_from(("partner", "member", "external")),
        "visitor_country": st.sampled_from(("DE", "IT")),
        "host_country": st.sampled_from(("FR", "ES")),
        "ecosystem": st.sampled_from(("AGRI", "DIGI", None)),
        # Monday of a week from 7 July 2025 to 16 November 2026 (ended before TODAY)...
        "week": st.integers(min_value=0, max_value=71),
        # ...and, sometimes, another week it is moved to by a later correction.
        "moved_to": st.none() | st.integers(min_value=0, max_value=71),
    }
)
registers = st.lists(one_exchange, max_size=5)
readings = factories.readings
as_of_dates = st.dates(min_value=date(2025, 6, 1), max_value=date(2027, 3, 31))

property_settings = settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def week(n: int) -> dict[str, date]:
    return stay(date(2025, 7, 7) + timedelta(weeks=n))


def fresh_register(
    engine: Engine, exchanges: list[dict[str, Any]], reading: dict[str, Any]
) -> None:
    """Empty the register (partnerships stay), set the readings, log `exchanges`."""
    with write_session(engine) as session:
        clear_register(session)
        if find_partnership(session, "ALPHA") is None:
            add_partnerships(session, RANDOM_PARTNERSHIPS)
    set_programme(engine, **reading)
    with write_session(engine) as session, factories.actions_widened(session):
        for n, drawn in enumerate(exchanges):
            spec = {k: v for k, v in drawn.items() if k not in ("week", "moved_to")}
            spec.update(week(drawn["week"]))
            if spec["visitor_is_sme"]:
                spec["visitor_type"] = "SME"
            exchange = service.create_exchange(
                session=session,
                actor=factories.admin(session),
                data=exchange_values(f"P-{n}", spec),
                today=TODAY,
            )
            if drawn["moved_to"] is not None and spec["status"] != "cancelled":
                correct(session, exchange, week(drawn["moved_to"]))


@property_settings
@given(exchanges=registers, reading=readings, as_of=as_of_dates)
def test_partnerships_add_up_to_the_programme(
    sqlite_engine: Engine, exchanges: list[dict[str, Any]], reading: dict[str, Any], as_of: date
) -> None:
    fresh_register(sqlite_engine, exchanges, reading)
    table = compute(sqlite_engine, breakdowns.by_partnership, as_of=as_of).table
    with read_session(sqlite_engine) as session:
        programme = kpi.headline(session, as_of=as_of)
    assert {name: int(table[name].sum()) for name in FIGURES} == {
        name: getattr(programme, name) for name in FIGURES
    }
    # Other cuts of the same register give the programme's counted figure too.
    for builder, options in ALL_BUILDERS.values():
        if builder in (breakdowns.by_quarter, breakdowns.by_org_type):
            continue  # by quarter: up to the as-of quarter only; by type: once per side
        cut = compute(sqlite_engine, builder, as_of=as_of, **options).table
        assert int(cut["counted"].sum()) == programme.counted, builder


@property_settings
@given(exchanges=registers, reading=readings, as_of=as_of_dates)
def test_shares_stay_between_zero_and_one_and_both_paths_agree(
    sqlite_engine: Engine, exchanges: list[dict[str, Any]], reading: dict[str, Any], as_of: date
) -> None:
    fresh_register(sqlite_engine, exchanges, reading)
    columns = ("sme_share", "beyond_share", "cumulative_sme_share", "cumulative_beyond_share")
    for name, (builder, options) in ALL_BUILDERS.items():
        result = compute(sqlite_engine, builder, as_of=as_of, **options)
        for column in (c for c in columns if c in result.table.columns):
            for counted, value in zip(result.table["counted"], result.table[column], strict=True):
                if value is None:
                    assert counted == 0 or column.startswith("cumulative"), (name, column)
                else:
                    assert 0.0 <= value <= 1.0, (name, column, value)
        if name in BUILDERS:
            raw = compute(sqlite_engine, builder, as_of=as_of, filters=EVERY_TYPE, **options)
            assert_same_table(result.table, raw.table)
    with read_session(sqlite_engine) as session:
        share = breakdowns.money_and_sides(session, as_of=as_of)["reduced_rate_share"]
    assert share is None or 0.0 <= share <= 1.0


@property_settings
@given(
    exchanges=registers,
    reading=readings,
    earlier=as_of_dates,
    days_later=st.integers(min_value=0, max_value=400),
)
def test_counted_as_of_a_later_date_is_never_smaller(
    sqlite_engine: Engine,
    exchanges: list[dict[str, Any]],
    reading: dict[str, Any],
    earlier: date,
    days_later: int,
) -> None:
    fresh_register(sqlite_engine, exchanges, reading)
    later = earlier + timedelta(days=days_later)
    for key, builder, options in (
        ("acronym", breakdowns.by_partnership, {}),
        ("quarter", breakdowns.by_quarter, {}),
        ("country", breakdowns.by_country, {"side": "host"}),
        ("ecosystem_name", breakdowns.by_ecosystem, {}),
    ):
        before = compute(sqlite_engine, builder, as_of=earlier, **options).table
        after = compute(sqlite_engine, builder, as_of=later, **options).table
        then = dict(zip(before[key], before["counted"], strict=True))
        now = dict(zip(after[key], after["counted"], strict=True))
        for group, counted in then.items():
            assert now.get(group, 0) >= counted, (key, group)
        assert int(after["counted"].sum()) >= int(before["counted"].sum())
    with read_session(sqlite_engine) as session:
        assert (
            breakdowns.money_and_sides(session, as_of=later)["counted"]
            >= breakdowns.money_and_sides(session, as_of=earlier)["counted"]
        )
