"""Reading the register for a person: the list and its filters, the pickers' choices, one record,
and the audit trail in plain words. Every test runs on SQLite and on PostgreSQL (`engine`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from tests import factories
from xchange.db.engine import read_session, write_session
from xchange.errors import PermissionDenied, StaleRecord
from xchange.models import Exchange, Role, User
from xchange.register import queries as register
from xchange.register import service
from xchange.register.service import ExchangeIn

TODAY = date(2025, 6, 30)


def exchange_in(number: int, **changes: Any) -> ExchangeIn:
    """A valid confirmed five-day stay (Mon 10 to Fri 14 March 2025) by its own visitor."""
    values: dict[str, Any] = {
        "partnership": "ALPHA",
        "reference": f"ALPHA-{number:03d}",
        "status": "confirmed",
        "start_date": date(2025, 3, 10),
        "end_date": date(2025, 3, 14),
        "visitor_organisation": f"Visitor Cluster {number}",
        "visitor_type": "cluster organisation",
        "visitor_country": "DE",
        "visitor_is_sme": False,
        "visitor_community": "partner",
        "host_organisation": "Beta Hub",
        "host_type": "university",
        "host_country": "FR",
        "host_is_sme": True,
        "host_community": "external",
        "ecosystem": "Digital",
        "activity": "networking",
        "representative": "Jane Doe",
        "distance_km": 850.0,
    }
    return ExchangeIn(**{**values, **changes})


@dataclass(frozen=True)
class World:
    """Partnerships ALPHA and BETA, one user per kind of actor, and the exchanges logged."""

    engine: Engine
    alpha: int
    beta: int
    users: dict[str, User]

    def log(self, number: int, actor: str = "admin", **changes: Any) -> Exchange:
        with write_session(self.engine) as session:
            return service.create_exchange(
                session=session,
                actor=self.users[actor],
                data=exchange_in(number, **changes),
                today=TODAY,
            )

    def find(self, actor: str, **filters: Any) -> list[str]:
        with read_session(self.engine) as session:
            frame = register.find_exchanges(session, actor=self.users[actor], **filters)
        return list(frame["reference"])


# name -> (email, role, active, partnership coordinated)
ACTORS: factories.Actors = {
    "coordinator": ("coord-alpha@x.eu", Role.COORDINATOR, True, "ALPHA"),
    "other coordinator": ("coord-beta@x.eu", Role.COORDINATOR, True, "BETA"),
    "officer": ("officer@eismea.eu", Role.OFFICER, True, None),
    "deactivated": ("gone@x.eu", Role.COORDINATOR, False, "ALPHA"),
}


def make_world(engine: Engine) -> World:
    """ALPHA, BETA and ACTORS in a migrated, empty register (test_attention uses it too)."""
    with write_session(engine) as session:
        ids, users = factories.cast(session, ACTORS, date(2024, 9, 1), date(2026, 8, 31))
    return World(engine, ids["ALPHA"], ids["BETA"], users)


@pytest.fixture
def world(engine: Engine) -> World:
    return make_world(engine)


@pytest.fixture
def logged(world: World) -> World:
    """Four ALPHA exchanges and one BETA exchange, told apart by status, dates and places."""
    world.log(1)
    world.log(2, status="planned", start_date=date(2025, 7, 7), end_date=date(2025, 7, 11))
    world.log(3, host_country="IT", host_organisation="Gamma Lab", notes="Met 50% of the team")
    world.log(4, status="cancelled", cancellation_reason="Visa refused")
    world.log(5, partnership="BETA", reference="BETA-001", visitor_organisation="Delta_Network")
    return world


# --- the list --------------------------------------------------------------------------------


# Actor -> what the list holds. One `logged` register serves every case (logging is slow).
READERS: dict[str, list[str]] = {
    "admin": ["BETA-001", "ALPHA-004", "ALPHA-003", "ALPHA-002", "ALPHA-001"],
    "officer": ["BETA-001", "ALPHA-004", "ALPHA-003", "ALPHA-002", "ALPHA-001"],
    # A coordinator never gets another partnership's rows, whatever they ask for.
    "coordinator": ["ALPHA-004", "ALPHA-003", "ALPHA-002", "ALPHA-001"],
    "other coordinator": ["BETA-001"],
    "deactivated": [],
}


def test_the_list_holds_what_the_actor_may_read_newest_first(logged: World) -> None:
    assert {actor: logged.find(actor) for actor in READERS} == READERS


def test_a_coordinator_asking_for_another_partnership_gets_nothing(logged: World) -> None:
    assert logged.find("coordinator", partnership_ids=[logged.beta]) == []
    assert logged.find("coordinator", partnership_ids=[logged.alpha, logged.beta]) == [
        "ALPHA-004",
        "ALPHA-003",
        "ALPHA-002",
        "ALPHA-001",
    ]


# Filters -> what the admin's list holds (newest first).
FILTER_CASES: list[tuple[dict[str, Any], list[str]]] = [
    ({"statuses": ["planned", "cancelled"]}, ["ALPHA-004", "ALPHA-002"]),
    ({"quarters": ["2025Q3"]}, ["ALPHA-002"]),
    ({"quarters": ["2025-Q1"]}, ["BETA-001", "ALPHA-004", "ALPHA-003", "ALPHA-001"]),
    ({"countries": ["IT"]}, ["ALPHA-003"]),  # the host's side
    ({"countries": ["DE"], "statuses": ["planned"]}, ["ALPHA-002"]),  # the visitor's side
    ({"organisation": "gamma"}, ["ALPHA-003"]),  # part of a name, any case
    ({"organisation": "visitor cluster 1"}, ["ALPHA-001"]),
    ({"text": "alpha-00"}, ["ALPHA-004", "ALPHA-003", "ALPHA-002", "ALPHA-001"]),
    ({"text": "TEAM"}, ["ALPHA-003"]),  # notes
    ({"text": "50%"}, ["ALPHA-003"]),  # % is a character, not a wildcard
    ({"text": "%"}, ["ALPHA-003"]),
    ({"text": "a_n"}, ["BETA-001"]),  # _ too: only Delta_Network has it
    ({"text": "beta hub", "statuses": ["planned"]}, ["ALPHA-002"]),  # organisation names
    ({"text": "   "}, ["BETA-001", "ALPHA-004", "ALPHA-003", "ALPHA-002", "ALPHA-001"]),
    ({"statuses": ["completed"]}, []),
]


def test_filters_narrow_the_list(logged: World) -> None:
    for filters, expected in FILTER_CASES:
        assert logged.find("admin", **filters) == expected, filters


def test_an_organisation_id_matches_either_side(logged: World) -> None:
    with read_session(logged.engine) as session:
        (host,) = register.organisation_choices(session, "beta hub")
    assert len(logged.find("admin", organisation=host.id)) == 4  # every stay but Gamma Lab's


def test_the_list_columns_read_as_a_list_shows_them(logged: World) -> None:
    with read_session(logged.engine) as session:
        frame = register.find_exchanges(
            session, actor=logged.users["coordinator"], text="ALPHA-001"
        )
    assert list(frame.columns) == list(register.LIST_COLUMNS)
    row = frame.iloc[0].to_dict()
    assert row["partnership"] == "ALPHA"
    assert (row["status"], row["modality"], row["quarter"]) == ("confirmed", "physical", "2025-Q1")
    assert (row["start_date"], row["end_date"]) == (date(2025, 3, 10), date(2025, 3, 14))
    assert (row["visitor"], row["visitor_country"]) == ("Visitor Cluster 1", "DE")
    assert (row["host"], row["host_country"]) == ("Beta Hub", "FR")
    assert (row["working_days"], row["lump_sum_eur"], row["version"]) == (5, 1100.0, 1)


def test_limit_offset_and_count(logged: World) -> None:
    assert logged.find("admin", limit=2) == ["BETA-001", "ALPHA-004"]
    assert logged.find("admin", limit=2, offset=2) == ["ALPHA-003", "ALPHA-002"]
    with read_session(logged.engine) as session:
        for actor, total in (("admin", 5), ("coordinator", 4), ("deactivated", 0)):
            assert register.count_exchanges(session, actor=logged.users[actor]) == total
        assert register.count_exchanges(session, actor=logged.users["admin"], text="gamma") == 1


def test_nothing_found_still_has_the_columns(world: World) -> None:
    with read_session(world.engine) as session:
        frame = register.find_exchanges(session, actor=world.users["admin"])
    assert frame.empty and list(frame.columns) == list(register.LIST_COLUMNS)


def test_list_choices_cover_what_the_actor_reads(logged: World) -> None:
    with read_session(logged.engine) as session:
        mine = register.list_choices(session, actor=logged.users["coordinator"])
        every = register.list_choices(session, actor=logged.users["officer"])
    assert mine.partnerships == {logged.alpha: "ALPHA"}
    assert every.partnerships == {logged.alpha: "ALPHA", logged.beta: "BETA"}
    # Every quarter from the first to the last end date, none skipped.
    assert mine.quarters == ["2025Q1", "2025Q2", "2025Q3"]
    assert mine.countries == {"FR": "France", "DE": "Germany", "IT": "Italy"}


# --- the form's choices ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "acronyms"),
    [("admin", ["ALPHA", "BETA"]), ("coordinator", ["ALPHA"]), ("officer", [])],
)
def test_the_form_offers_the_partnerships_the_actor_writes_for(
    world: World, actor: str, acronyms: list[str]
) -> None:
    with read_session(world.engine) as session:
        choices = register.form_choices(session, actor=world.users[actor])
    assert list(choices.partnerships) == acronyms
    assert choices.countries["GR"] == "Greece" and "US" not in choices.countries
    assert "large_company" not in choices.visitor_types and "large_company" in choices.host_types


def test_organisation_choices_put_names_starting_with_the_query_first(logged: World) -> None:
    with read_session(logged.engine) as session:
        found = register.organisation_choices(session, "  BETA  ")
        assert [c.name for c in found] == ["Beta Hub"]
        assert found[0].label == "Beta Hub (France) · university · SME"
        assert found[0].matches("beta hub.", "FR") and not found[0].matches("Beta Hub", "DE")
        names = [c.name for c in register.organisation_choices(session, "cluster 1")]
        assert names == ["Visitor Cluster 1"]
        assert register.organisation_choices(session, "cluster", country="IT") == []
        assert len(register.organisation_choices(session, "cluster", country="DE")) == 4
        assert register.organisation_choices(session, "b") == []  # too short to search
        assert register.organisation_choices(session, "%") == []


def test_organisation_choices_rank_prefix_matches_first(world: World) -> None:
    world.log(1, visitor_organisation="Zeta Hub Partners")
    world.log(2, visitor_organisation="Hub Zeta")
    with read_session(world.engine) as session:
        names = [c.name for c in register.organisation_choices(session, "hub")]
    assert names[0] == "Hub Zeta"
    assert set(names) == {"Hub Zeta", "Beta Hub", "Zeta Hub Partners"}


# --- one record ------------------------------------------------------------------------------


def test_a_record_reads_in_plain_words(logged: World) -> None:
    with read_session(logged.engine) as session:
        (xid,) = register.find_exchanges(session, actor=logged.users["admin"], text="ALPHA-001")[
            "id"
        ]
        record = register.read_record(
            session, actor=logged.users["coordinator"], exchange_id=int(xid), today=TODAY
        )
    facts = dict(zip(record.facts["Field"], record.facts["Value"], strict=True))
    assert record.title == "ALPHA / ALPHA-001" and record.writable
    assert facts["Status"] == "Confirmed"
    assert (
        facts["Dates at the host"] == "2025-03-10 to 2025-03-14 (5 working days, quarter 2025-Q1)"
    )
    assert facts["Visiting organisation"] == (
        "Visitor Cluster 1 (DE) · cluster organisation · not an SME · partner (a consortium member)"
    )
    assert facts["Ecosystem"] == "Digital" and facts["Distance (km)"] == "850 km"
    assert facts["Representative"] == "Jane Doe"
    assert facts["Lump sum"] == "EUR 1,100.00 (the rule: EUR 1,100.00)"
    assert facts["Payment"] == "not paid yet"
    assert record.working_days == 5 and record.issues == []
    # The rule's amount is left empty in the edit form, so new dates recompute it.
    assert record.data.lump_sum_eur == Decimal("1100") and record.form_data.lump_sum_eur is None


def test_an_officer_reads_a_record_without_personal_data_and_without_writing(
    logged: World,
) -> None:
    with read_session(logged.engine) as session:
        record = register.read_record(session, actor=logged.users["officer"], exchange_id=1)
    assert "Representative" not in set(record.facts["Field"])
    assert "Jane Doe" not in " ".join(record.facts["Value"])
    assert not record.writable


def test_a_coordinator_cannot_read_another_partnerships_record(logged: World) -> None:
    beta_id = 5
    with read_session(logged.engine) as session, pytest.raises(PermissionDenied):
        register.read_record(session, actor=logged.users["coordinator"], exchange_id=beta_id)


def test_a_record_carries_what_the_rules_say_today(world: World) -> None:
    world.log(1, status="planned", end_date=date(2025, 3, 11))  # two working days
    with read_session(world.engine) as session:
        record = register.read_record(
            session, actor=world.users["admin"], exchange_id=1, today=date(2025, 4, 1)
        )
    assert {i.code for i in record.issues} == {"short_stay_pending", "planned_dates_passed"}


# --- the audit trail -------------------------------------------------------------------------


def test_history_says_who_changed_what_in_plain_words(world: World) -> None:
    coordinator = world.users["coordinator"]
    exchange = world.log(1, actor="coordinator")
    assert exchange.id is not None
    with write_session(world.engine) as session:
        service.update_exchange(
            session=session,
            actor=coordinator,
            exchange_id=exchange.id,
            expected_version=1,
            data=exchange_in(
                1, status="planned", host_organisation="Gamma Lab", representative="John Roe"
            ),
            today=TODAY,
        )
        service.cancel_exchange(
            session=session,
            actor=coordinator,
            exchange_id=exchange.id,
            expected_version=2,
            reason="Host closed",
        )
    with pytest.raises(PermissionDenied), write_session(world.engine) as session:
        service.cancel_exchange(
            session=session,
            actor=world.users["other coordinator"],
            exchange_id=exchange.id,
            expected_version=3,
            reason="not mine",
        )
    with read_session(world.engine) as session:
        trail = register.history_frame(session, actor=world.users["admin"], exchange_id=exchange.id)
    assert list(trail.columns) == list(register.HISTORY_COLUMNS)
    assert list(trail["What"].drop_duplicates()) == ["Logged", "Changed", "Cancelled", "Refused"]
    assert set(trail["Who"]) == {"coord-alpha@x.eu", "coord-beta@x.eu"}
    assert trail["When"].str.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC").all()
    changes = {(r.What, r.Field): (r.Before, r.After) for r in trail.itertuples() if r.Field}
    assert changes[("Changed", "Status")] == ("Confirmed", "Planned")
    assert changes[("Changed", "Host organisation")] == ("Beta Hub (FR)", "Gamma Lab (FR)")
    assert changes[("Cancelled", "Status")] == ("Planned", "Cancelled")
    assert changes[("Cancelled", "Cancellation reason")] == ("(empty)", "Host closed")
    before, after = changes[("Changed", "Representative")]
    assert before.startswith("person #") and after.startswith("person #") and before != after
    # People by id only: no name anywhere in the trail.
    assert not trail.apply(lambda col: col.str.contains("Jane|John")).any().any()
    assert list(trail["Version"][trail["What"] != "Refused"]) == ["1", "2", "2", "2", "3", "3"]
    refused = trail[trail["What"] == "Refused"].iloc[0]
    assert refused["After"] == "tried to cancel it"


def test_history_of_completion_and_payment(world: World) -> None:
    exchange = world.log(1)
    assert exchange.id is not None
    admin = world.users["admin"]
    with write_session(world.engine) as session:
        service.complete_exchange(
            session=session,
            actor=admin,
            exchange_id=exchange.id,
            expected_version=1,
            validated_on=date(2025, 4, 2),
            validated_by="Coordination office",
            today=TODAY,
        )
        service.record_payment(
            session=session,
            actor=admin,
            exchange_id=exchange.id,
            expected_version=2,
            paid_on=date(2025, 4, 20),
            paid_eur=Decimal("1100"),
        )
    with read_session(world.engine) as session:
        trail = register.history_frame(session, actor=admin, exchange_id=exchange.id)
    rows = {(r.What, r.Field): r.After for r in trail.itertuples()}
    assert rows[("Marked completed", "Status")] == "Completed"
    assert rows[("Marked completed", "Closing report validated on")] == "2025-04-02"
    assert rows[("Payment recorded", "Amount paid")] == "EUR 1,100.00"
    assert rows[("Payment recorded", "Paid on")] == "2025-04-20"


def test_a_coordinator_cannot_read_another_partnerships_history(logged: World) -> None:
    with read_session(logged.engine) as session, pytest.raises(PermissionDenied):
        register.history_frame(session, actor=logged.users["coordinator"], exchange_id=5)


def test_a_stale_records_changes_read_like_the_history(world: World) -> None:
    exchange = world.log(1)
    assert exchange.id is not None
    admin = world.users["admin"]
    with write_session(world.engine) as session:
        service.update_exchange(
            session=session,
            actor=admin,
            exchange_id=exchange.id,
            expected_version=1,
            data=exchange_in(1, end_date=date(2025, 3, 13), activity="market research"),
            today=TODAY,
        )
    with pytest.raises(StaleRecord) as stale, write_session(world.engine) as session:
        service.cancel_exchange(
            session=session, actor=admin, exchange_id=exchange.id, expected_version=1, reason="x"
        )
    with read_session(world.engine) as session:
        lines = register.describe_changes(session, stale.value.changes)
    assert "End date: 2025-03-14 → 2025-03-13" in lines
    assert "Activity: networking and business opportunities → market research" in lines
    assert "Lump sum: EUR 1,100.00 → EUR 550.00" in lines
    assert not any(line.startswith("Version") for line in lines)


@pytest.mark.parametrize(
    ("name", "value", "shown"),
    [
        ("status", "confirmed", "Confirmed"),
        ("modality", "virtual", "Virtual"),
        ("visitor_type", "scale_up_support_organisation", "scale-up support organisation"),
        ("host_country", "GR", "Greece (GR)"),
        ("host_is_sme", True, "yes"),
        ("visitor_is_sme", False, "no"),
        ("host_community", "external", "External (beyond the partnership community)"),
        ("ecosystem", "MOB", "Mobility-Transport-Automotive"),
        ("activity", "project_development", "project development / innovation / R&D"),
        ("lump_sum_cents", 55_000, "EUR 550.00"),
        ("distance_km", 1234.0, "1,234 km"),
        ("representative_id", 7, "person #7"),
        ("notes", None, "(empty)"),
        ("notes", "", "(empty)"),
        ("reference", "X-1", "X-1"),
    ],
)
def test_values_read_in_plain_words(name: str, value: object, shown: str) -> None:
    assert register.display(name, value) == shown
