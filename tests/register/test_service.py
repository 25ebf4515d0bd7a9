"""Writing the register through the service: values, derived facts, audit, versions, permissions.

Every test runs on SQLite and on PostgreSQL (the `engine` fixture). Writes go through
`db.write_session`, the transaction the CLI and the pages use.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, func, select

from tests import factories
from tests.factories import ident
from xchange.db.engine import LOCAL_ADMIN_EMAIL, is_sqlite, read_session, write_session
from xchange.errors import PermissionDenied, StaleRecord, ValidationFailed
from xchange.models import (
    AuditEvent,
    Exchange,
    HostCountryRate,
    Organisation,
    Person,
    Role,
    User,
)
from xchange.register import service
from xchange.register.service import ExchangeIn

TODAY = date(2025, 6, 30)

# A confirmed five-day stay that has taken place (Mon 10 to Fri 14 March 2025), 850 km apart.
BASE: dict[str, Any] = {
    "partnership": "ALPHA",
    "reference": "ALPHA-001",
    "status": "confirmed",
    "start_date": date(2025, 3, 10),
    "end_date": date(2025, 3, 14),
    "visitor_organisation": "Acme Cluster",
    "visitor_type": "cluster organisation",
    "visitor_country": "DE",
    "visitor_is_sme": False,
    "visitor_community": "partner",
    "host_organisation": "Beta Hub",
    "host_type": "University",
    "host_country": "France",
    "host_is_sme": True,
    "host_community": "external",
    "ecosystem": "Digital",
    "activity": "networking",
    "representative": "Jane Doe",
    "distance_km": 850.0,
}


def data(**changes: Any) -> ExchangeIn:
    return ExchangeIn(**{**BASE, **changes})


# What the register stores for BASE: the logged values as stored values, and the derived facts.
STORED_BASE: dict[str, Any] = {
    "reference": "ALPHA-001",
    "status": "confirmed",
    "modality": "physical",
    "start_date": date(2025, 3, 10),
    "end_date": date(2025, 3, 14),
    "visitor_type": "cluster_organisation",
    "host_type": "university",  # from "University"
    "visitor_country": "DE",
    "host_country": "FR",  # from "France"
    "visitor_is_sme": False,
    "host_is_sme": True,
    "visitor_community": "partner",
    "host_community": "external",
    "ecosystem": "DIGI",  # from "Digital"
    "activity": "networking",
    "distance_km": 850.0,
    "lump_sum_cents": 110_000,  # five working days, 850 km: the full EUR 1,100
    "cancellation_reason": None,
    "notes": None,
    "version": 1,
    "end_quarter": "2025Q1",
    "working_days": 5,
    "reduced_rate": False,
    "involves_sme": True,  # the host is an SME
    "visitor_external": False,
    "host_external": True,
    "visitor_partner": True,
    "host_partner": False,
}


@dataclass(frozen=True)
class World:
    """Partnerships ALPHA and BETA and one user per kind of actor (detached, as a page holds)."""

    alpha: int
    beta: int
    users: dict[str, User]


# name -> (email, role, active, partnership coordinated); "admin" is the seeded local admin.
ACTORS: factories.Actors = {
    "coordinator": ("coord-alpha@x.eu", Role.COORDINATOR, True, "ALPHA"),
    "other coordinator": ("coord-beta@x.eu", Role.COORDINATOR, True, "BETA"),
    "officer": ("officer@eismea.eu", Role.OFFICER, True, None),
    "deactivated": ("gone@x.eu", Role.COORDINATOR, False, "ALPHA"),
}


@pytest.fixture
def world(engine: Engine) -> World:
    with write_session(engine) as session:
        ids, users = factories.cast(session, ACTORS, date(2024, 9, 1), date(2026, 8, 31))
    return World(alpha=ids["ALPHA"], beta=ids["BETA"], users=users)


def seed(engine: Engine, world: World) -> int:
    """Store BASE directly, without validation or audit: the setup of tests of later writes.

    The row holds what `create_exchange` stores for BASE (the first test below checks that).
    """
    with write_session(engine) as session:
        visitor = service.upsert_organisation(
            session,
            name="Acme Cluster",
            org_type="cluster_organisation",
            country="DE",
            is_sme=False,
        )
        host = service.upsert_organisation(
            session, name="Beta Hub", org_type="university", country="FR", is_sme=True
        )
        exchange = Exchange(
            partnership_id=world.alpha,
            visitor_org_id=ident(visitor.id),
            host_org_id=ident(host.id),
            representative_id=service.person_for(session, "Jane Doe").id,
            **STORED_BASE,
        )
        session.add(exchange)
        session.flush()
        return ident(exchange.id)


def create(engine: Engine, actor: User, **changes: Any) -> Exchange:
    with write_session(engine) as session:
        return service.create_exchange(
            session=session, actor=actor, data=data(**changes), today=TODAY
        )


def stored(engine: Engine, exchange_id: int) -> Exchange:
    with read_session(engine) as session:
        exchange = session.get(Exchange, exchange_id)
        assert exchange is not None
        session.expunge(exchange)
        return exchange


def events(engine: Engine, **where: Any) -> list[AuditEvent]:
    """Audit rows (oldest first), filtered by column values."""
    with read_session(engine) as session:
        query = select(AuditEvent).order_by(sa.column("id"))
        for name, value in where.items():
            query = query.where(getattr(AuditEvent, name) == value)
        return list(session.exec(query).all())


def count(engine: Engine, model: type[Any]) -> int:
    with read_session(engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def codes(excinfo: pytest.ExceptionInfo[ValidationFailed]) -> list[str]:
    return [issue.code for issue in excinfo.value.issues if issue.severity == "error"]


# --- create ----------------------------------------------------------------------------------


@pytest.mark.parametrize("actor", ["admin", "coordinator"])
def test_create_stores_the_values_and_derived_facts(
    engine: Engine, world: World, actor: str
) -> None:
    user = world.users[actor]
    exchange = stored(engine, ident(create(engine, user).id))
    assert {name: getattr(exchange, name) for name in STORED_BASE} == STORED_BASE
    assert exchange.partnership_id == world.alpha
    assert (exchange.created_by, exchange.updated_by) == (user.id, user.id)
    with read_session(engine) as session:
        visitor = session.get(Organisation, exchange.visitor_org_id)
        host = session.get(Organisation, exchange.host_org_id)
        person = session.get(Person, exchange.representative_id)
        assert visitor is not None and host is not None and person is not None
        assert (visitor.name, visitor.country, visitor.type, visitor.is_sme) == (
            "Acme Cluster",
            "DE",
            "cluster_organisation",
            False,
        )
        assert (host.name, host.country, host.type, host.is_sme) == (
            "Beta Hub",
            "FR",
            "university",
            True,
        )
        assert person.name == "Jane Doe"


@pytest.mark.parametrize(
    ("changes", "cents", "reduced"),
    [
        # ALPHA's rate for Romania, read from the database; four working days and close by:
        # halved once.
        ({"host_country": "RO", "end_date": date(2025, 3, 13), "distance_km": 150.0}, 40_000, True),
        ({"lump_sum_eur": Decimal("700.00")}, 70_000, False),  # given: kept (with a warning)
        ({"modality": "virtual"}, 0, False),  # never funded
    ],
)
def test_create_stores_the_lump_sum(
    engine: Engine, world: World, changes: dict[str, Any], cents: int, reduced: bool
) -> None:
    with write_session(engine) as session:
        session.add(HostCountryRate(partnership_id=world.alpha, country="RO", rate_cents=80_000))
    exchange = stored(engine, ident(create(engine, world.users["admin"], **changes).id))
    assert (exchange.lump_sum_cents, exchange.reduced_rate) == (cents, reduced)


def test_create_writes_one_audit_event_with_people_by_id(engine: Engine, world: World) -> None:
    admin = world.users["admin"]
    exchange = create(engine, admin)
    [event] = events(engine, entity="exchange")
    assert (event.action, event.entity_id, event.actor_id, event.actor_label) == (
        "create",
        exchange.id,
        admin.id,
        LOCAL_ADMIN_EMAIL,
    )
    assert event.changes["reference"] == [None, "ALPHA-001"]
    assert event.changes["status"] == [None, "confirmed"]
    assert event.changes["start_date"] == [None, "2025-03-10"]
    assert event.changes["lump_sum_cents"] == [None, 110_000]
    assert event.changes["version"] == [None, 1]
    assert event.changes["representative_id"] == [None, exchange.representative_id]
    # Unchanged (empty) fields are not listed.
    assert "paid_on" not in event.changes and "validated_on" not in event.changes
    assert_no_name_in_audit(engine, "Jane Doe")


def assert_no_name_in_audit(engine: Engine, name: str) -> None:
    for event in events(engine):
        assert name not in json.dumps(event.changes, ensure_ascii=False)
        assert name not in event.actor_label


def test_create_refuses_a_reference_already_used(engine: Engine, world: World) -> None:
    create(engine, world.users["admin"])
    with pytest.raises(ValidationFailed) as excinfo:
        create(engine, world.users["admin"], visitor_organisation="Other Cluster")
    assert codes(excinfo) == ["reference_exists"]
    assert count(engine, Exchange) == 1


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"host_country": "Germany"}, "same_country"),
        ({"partnership": "GAMMA"}, "unknown_partnership"),  # no permission check without one
        (
            {"status": "completed", "start_date": TODAY, "end_date": date(2025, 7, 4)},
            "completed_in_future",
        ),
    ],
)
def test_a_bad_record_writes_nothing(
    engine: Engine, world: World, changes: dict[str, Any], code: str
) -> None:
    before = len(events(engine))
    with pytest.raises(ValidationFailed) as excinfo:
        create(engine, world.users["admin"], **changes)
    assert codes(excinfo) == [code]
    assert [count(engine, m) for m in (Exchange, Organisation, Person)] == [0, 0, 0]
    assert len(events(engine)) == before


# --- update, versions ------------------------------------------------------------------------


def update(engine: Engine, actor: User, exchange_id: int, version: int, **changes: Any) -> Exchange:
    with write_session(engine) as session:
        return service.update_exchange(
            session=session,
            actor=actor,
            exchange_id=exchange_id,
            expected_version=version,
            data=data(**changes),
            today=TODAY,
        )


def test_update_bumps_the_version_and_audits_what_changed(engine: Engine, world: World) -> None:
    admin = world.users["admin"]
    exchange_id = seed(engine, world)
    update(engine, admin, exchange_id, 1, end_date=date(2025, 3, 13), notes="Shortened")
    exchange = stored(engine, exchange_id)
    assert (exchange.version, exchange.end_date, exchange.notes) == (
        2,
        date(2025, 3, 13),
        "Shortened",
    )
    [event] = events(engine, entity="exchange")
    assert (event.action, event.entity_id) == ("update", exchange_id)
    # Exactly the changed fields, old -> new, derived facts included.
    assert event.changes == {
        "end_date": ["2025-03-14", "2025-03-13"],
        "notes": [None, "Shortened"],
        "lump_sum_cents": [110_000, 55_000],  # four working days: halved
        "version": [1, 2],
    }
    assert (exchange.working_days, exchange.reduced_rate) == (4, True)


def test_changing_the_representative_audits_ids_only(engine: Engine, world: World) -> None:
    admin = world.users["admin"]
    exchange_id = seed(engine, world)
    old = stored(engine, exchange_id)
    update(engine, admin, exchange_id, 1, representative="John Roe")
    new = stored(engine, exchange_id)
    [event] = events(engine, entity="exchange")
    assert event.changes == {
        "representative_id": [old.representative_id, new.representative_id],
        "version": [1, 2],
    }
    assert_no_name_in_audit(engine, "Jane Doe")
    assert_no_name_in_audit(engine, "John Roe")


def test_a_stale_update_changes_nothing_and_says_what_changed(engine: Engine, world: World) -> None:
    admin, coordinator = world.users["admin"], world.users["coordinator"]
    exchange_id = seed(engine, world)
    # Both open version 1; the coordinator saves first.
    update(engine, coordinator, exchange_id, 1, notes="Agreement signed", status="confirmed")
    audit_before = events(engine)
    with pytest.raises(StaleRecord) as excinfo:
        update(engine, admin, exchange_id, 1, distance_km=120.0, notes="Mine")
    assert excinfo.value.changes == {"notes": [None, "Agreement signed"]}
    assert "notes" in str(excinfo.value)
    exchange = stored(engine, exchange_id)
    assert (exchange.version, exchange.notes, exchange.distance_km) == (
        2,
        "Agreement signed",
        850.0,
    )
    assert events(engine) == audit_before
    # Reloaded at version 2, the same change goes through.
    update(engine, admin, exchange_id, 2, distance_km=120.0, notes="Mine")
    assert stored(engine, exchange_id).version == 3


def test_a_stale_cancel_is_refused_too(engine: Engine, world: World) -> None:
    admin = world.users["admin"]
    exchange_id = seed(engine, world)
    update(engine, admin, exchange_id, 1, notes="x")
    with pytest.raises(StaleRecord), write_session(engine) as session:
        service.cancel_exchange(
            session=session, actor=admin, exchange_id=exchange_id, expected_version=1, reason="r"
        )
    assert stored(engine, exchange_id).status == "confirmed"


# --- cancel, complete, pay -------------------------------------------------------------------


def cancel(
    engine: Engine, actor: User, exchange_id: int, reason: str, version: int = 1
) -> Exchange:
    with write_session(engine) as session:
        return service.cancel_exchange(
            session=session,
            actor=actor,
            exchange_id=exchange_id,
            expected_version=version,
            reason=reason,
        )


@pytest.mark.parametrize("reason", ["", "   "])
def test_cancel_needs_a_reason(engine: Engine, world: World, reason: str) -> None:
    exchange_id = seed(engine, world)
    with pytest.raises(ValidationFailed) as excinfo:
        cancel(engine, world.users["admin"], exchange_id, reason)
    assert codes(excinfo) == ["cancelled_without_reason"]
    assert stored(engine, exchange_id).status == "confirmed"
    assert events(engine, entity="exchange") == []


def test_cancel_frees_the_organisations_one_visit(engine: Engine, world: World) -> None:
    admin = world.users["admin"]
    exchange_id = seed(engine, world)
    cancel(engine, admin, exchange_id, "  Visa refused ")
    exchange = stored(engine, exchange_id)
    assert (exchange.status, exchange.cancellation_reason, exchange.version) == (
        "cancelled",
        "Visa refused",
        2,
    )
    assert events(engine, entity="exchange")[-1].changes == {
        "status": ["confirmed", "cancelled"],
        "cancellation_reason": [None, "Visa refused"],
        "version": [1, 2],
    }
    # A cancelled visit does not count as the organisation's one visit.
    again = create(engine, admin, reference="ALPHA-002", host_organisation="Gamma Lab")
    assert again.visitor_org_id == exchange.visitor_org_id


def test_complete_and_record_payment(engine: Engine, world: World) -> None:
    coordinator = world.users["coordinator"]
    exchange_id = seed(engine, world)
    with write_session(engine) as session:
        service.complete_exchange(
            session=session,
            actor=coordinator,
            exchange_id=exchange_id,
            expected_version=1,
            validated_on=date(2025, 4, 2),
            validated_by=" Project officer ",
            today=TODAY,
        )
    with write_session(engine) as session:
        service.record_payment(
            session=session,
            actor=coordinator,
            exchange_id=exchange_id,
            expected_version=2,
            paid_on=date(2025, 4, 20),
            paid_eur=Decimal("1100.00"),
        )
    exchange = stored(engine, exchange_id)
    assert (exchange.status, exchange.validated_on, exchange.validated_by) == (
        "completed",
        date(2025, 4, 2),
        "Project officer",
    )
    assert (exchange.paid_on, exchange.paid_cents, exchange.version) == (
        date(2025, 4, 20),
        110_000,
        3,
    )
    complete_event, pay_event = events(engine, entity="exchange")
    assert complete_event.action == "complete"
    assert complete_event.changes == {
        "status": ["confirmed", "completed"],
        "validated_on": [None, "2025-04-02"],
        "validated_by": [None, "Project officer"],
        "version": [1, 2],
    }
    assert pay_event.action == "pay"
    assert pay_event.changes == {
        "paid_on": [None, "2025-04-20"],
        "paid_cents": [None, 110_000],
        "version": [2, 3],
    }


def test_complete_refuses_a_stay_not_yet_over(engine: Engine, world: World) -> None:
    admin = world.users["admin"]
    exchange_id = ident(
        create(engine, admin, start_date=date(2025, 7, 7), end_date=date(2025, 7, 11)).id
    )
    with pytest.raises(ValidationFailed) as excinfo, write_session(engine) as session:
        service.complete_exchange(
            session=session,
            actor=admin,
            exchange_id=exchange_id,
            expected_version=1,
            validated_on=TODAY,
            validated_by="",
            today=TODAY,
        )
    assert codes(excinfo) == ["completed_in_future"]
    assert (stored(engine, exchange_id).status, stored(engine, exchange_id).version) == (
        "confirmed",
        1,
    )


@pytest.mark.parametrize("paid", [Decimal("1100.01"), Decimal("-1")])
def test_a_payment_outside_the_range_is_refused(
    engine: Engine, world: World, paid: Decimal
) -> None:
    admin = world.users["admin"]
    exchange_id = seed(engine, world)
    with pytest.raises(ValidationFailed) as excinfo, write_session(engine) as session:
        service.record_payment(
            session=session,
            actor=admin,
            exchange_id=exchange_id,
            expected_version=1,
            paid_on=TODAY,
            paid_eur=paid,
        )
    assert codes(excinfo) == ["lump_sum_out_of_range"]
    assert stored(engine, exchange_id).paid_cents is None


# --- permissions -----------------------------------------------------------------------------

# Each action on the seeded exchange (version 1) of partnership ALPHA, as a page would call it.


def _create(session: Session, actor: User, _: int) -> Exchange:
    new = data(reference="ALPHA-002", visitor_organisation="New Cluster")
    return service.create_exchange(session=session, actor=actor, data=new, today=TODAY)


def _update(session: Session, actor: User, exchange_id: int) -> Exchange:
    return service.update_exchange(
        session=session,
        actor=actor,
        exchange_id=exchange_id,
        expected_version=1,
        data=data(notes="changed"),
        today=TODAY,
    )


def _cancel(session: Session, actor: User, exchange_id: int) -> Exchange:
    return service.cancel_exchange(
        session=session, actor=actor, exchange_id=exchange_id, expected_version=1, reason="Closed"
    )


def _complete(session: Session, actor: User, exchange_id: int) -> Exchange:
    return service.complete_exchange(
        session=session,
        actor=actor,
        exchange_id=exchange_id,
        expected_version=1,
        validated_on=date(2025, 4, 2),
        validated_by="Officer",
        today=TODAY,
    )


def _pay(session: Session, actor: User, exchange_id: int) -> Exchange:
    return service.record_payment(
        session=session,
        actor=actor,
        exchange_id=exchange_id,
        expected_version=1,
        paid_on=TODAY,
        paid_eur=1100,
    )


# action -> (the call, a field it sets and the value it sets it to)
ACTIONS: dict[str, tuple[Callable[[Session, User, int], Exchange], str, object]] = {
    "create": (_create, "reference", "ALPHA-002"),
    "update": (_update, "notes", "changed"),
    "cancel": (_cancel, "status", "cancelled"),
    "complete": (_complete, "status", "completed"),
    "pay": (_pay, "paid_cents", 110_000),
}

# Who may write for partnership ALPHA: admins, and ALPHA's own active coordinators.
ALLOWED = {
    "admin": True,
    "coordinator": True,
    "other coordinator": False,  # coordinates BETA only
    "officer": False,  # read-only
    "deactivated": False,  # ALPHA's coordinator, deactivated
}


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("actor", ALLOWED)
def test_permissions(engine: Engine, world: World, actor: str, action: str) -> None:
    exchange_id = seed(engine, world)
    before = [(e.id, e.action) for e in events(engine)]
    user = world.users[actor]
    call, field, value = ACTIONS[action]
    if ALLOWED[actor]:
        with write_session(engine) as session:
            result = call(session, user, exchange_id)
        assert getattr(stored(engine, ident(result.id)), field) == value
        [event] = events(engine, entity="exchange")
        assert (event.action, event.actor_id, event.entity_id) == (action, user.id, result.id)
        return
    with pytest.raises(PermissionDenied), write_session(engine) as session:
        call(session, user, exchange_id)
    # Nothing written, and the refusal recorded in spite of the rollback.
    assert count(engine, Exchange) == 1
    assert {name: getattr(stored(engine, exchange_id), name) for name in STORED_BASE} == (
        STORED_BASE
    )
    assert stored(engine, exchange_id).paid_cents is None
    assert [(e.id, e.action) for e in events(engine)][: len(before)] == before
    [refused] = events(engine)[len(before) :]
    assert (refused.action, refused.actor_id, refused.entity) == ("refused", user.id, "exchange")
    assert refused.entity_id == (None if action == "create" else exchange_id)
    assert refused.changes == {"attempted": action, "partnership_id": world.alpha}
    with read_session(engine) as session:
        names = set(session.exec(select(Organisation.name)).all())
    assert names == {"Acme Cluster", "Beta Hub"}  # "New Cluster" was never written


def test_a_coordinator_may_not_move_an_exchange_to_another_partnership(
    engine: Engine, world: World
) -> None:
    coordinator = world.users["coordinator"]
    exchange_id = seed(engine, world)
    with pytest.raises(PermissionDenied):
        update(engine, coordinator, exchange_id, 1, partnership="BETA")
    assert stored(engine, exchange_id).partnership_id == world.alpha
    [refused] = events(engine, action="refused")
    assert refused.changes == {"attempted": "move", "partnership_id": world.beta}


@pytest.mark.parametrize(
    ("actor", "allowed"),
    [
        ("admin", True),
        ("coordinator", True),
        ("officer", True),  # officers follow every partnership, read-only
        ("other coordinator", False),
        ("deactivated", False),
    ],
)
def test_get_exchange(engine: Engine, world: World, actor: str, allowed: bool) -> None:
    exchange_id = seed(engine, world)
    with read_session(engine) as session:
        if allowed:
            exchange = service.get_exchange(
                session=session, actor=world.users[actor], exchange_id=exchange_id
            )
            assert exchange.reference == "ALPHA-001"
        else:
            with pytest.raises(PermissionDenied):
                service.get_exchange(
                    session=session, actor=world.users[actor], exchange_id=exchange_id
                )


# --- one physical visit per organisation -----------------------------------------------------


def test_a_second_physical_visit_is_refused(engine: Engine, world: World) -> None:
    admin = world.users["admin"]
    create(engine, admin)
    before = len(events(engine))
    with pytest.raises(ValidationFailed) as excinfo:
        # Spelt differently, in another partnership, to another host: the same organisation.
        create(
            engine,
            admin,
            partnership="BETA",
            reference="BETA-001",
            visitor_organisation="ACME  cluster.",
            host_organisation="Gamma Lab",
        )
    assert codes(excinfo) == ["second_visit"]
    assert "ALPHA/ALPHA-001" in excinfo.value.issues[0].message
    assert count(engine, Exchange) == 1
    assert len(events(engine)) == before
    # Hosting is not visiting: the organisation may host, and visit virtually.
    create(
        engine,
        admin,
        reference="ALPHA-002",
        visitor_organisation="Gamma Lab",
        host_organisation="Acme Cluster",
        host_country="DE",
        visitor_country="FR",
    )
    create(engine, admin, reference="ALPHA-003", modality="virtual", host_organisation="Delta")
    assert count(engine, Exchange) == 3


def test_the_database_refuses_a_second_visit_the_service_did_not_check(
    engine: Engine, world: World
) -> None:
    first = create(engine, world.users["admin"])
    with pytest.raises(IntegrityError), write_session(engine) as session:
        copy = Exchange(
            **{
                **first.model_dump(exclude={"id", "reference", "host_org_id"}),
                "reference": "ALPHA-002",
                "host_org_id": first.visitor_org_id,
            }
        )
        session.add(copy)
        session.flush()
    assert count(engine, Exchange) == 1


def test_two_concurrent_first_visits_one_succeeds(engine: Engine, world: World) -> None:
    """Two writers log the same organisation's first visit at once: exactly one wins.

    The first writer holds its transaction open until the second is waiting. On PostgreSQL the
    second has by then passed the rules' check (the first visit is not committed, so it cannot
    see it) and is held by the partial unique index `uq_exchange_one_physical_visit`, which
    refuses it once the first commits. On SQLite the second waits for the write lock before it
    reads anything, so the rules' check refuses it.
    """
    admin = world.users["admin"]
    with write_session(engine) as session:  # both organisations exist before the race
        for name, kind, country, sme in (
            ("Acme Cluster", "cluster_organisation", "DE", False),
            ("Beta Hub", "university", "FR", True),
            ("Gamma Lab", "university", "IT", True),
        ):
            service.upsert_organisation(
                session, name=name, org_type=kind, country=country, is_sme=sme
            )
    outcome: dict[str, object] = {}
    first_flushed, second_done = threading.Event(), threading.Event()

    def first() -> None:
        try:
            with write_session(engine) as session:
                service.create_exchange(session=session, actor=admin, data=data(), today=TODAY)
                first_flushed.set()
                _wait_for_a_waiting_writer(engine, second_done)
            outcome["first"] = "created"
        except Exception as exc:
            outcome["first"] = exc
        finally:
            first_flushed.set()

    def second() -> None:
        first_flushed.wait(10)
        try:
            with write_session(engine) as session:
                service.create_exchange(
                    session=session,
                    actor=admin,
                    data=data(
                        reference="ALPHA-002", host_organisation="Gamma Lab", host_country="IT"
                    ),
                    today=TODAY,
                )
            outcome["second"] = "created"
        except Exception as exc:
            outcome["second"] = exc
        finally:
            second_done.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert outcome["first"] == "created"
    refused = outcome["second"]
    assert isinstance(refused, ValidationFailed), refused
    assert [issue.code for issue in refused.issues] == ["second_visit"]
    if not is_sqlite(engine):
        # The index's message, not the rules': the rules' check had passed.
        assert "another exchange" in refused.issues[0].message
    assert count(engine, Exchange) == 1


def _wait_for_a_waiting_writer(engine: Engine, done: threading.Event) -> None:
    """Return once another transaction waits on a lock (PostgreSQL) or after a pause (SQLite)."""
    deadline = time.monotonic() + 10
    if is_sqlite(engine):
        done.wait(0.3)  # the second writer is queued for the write lock meanwhile
        return
    with engine.connect() as connection:
        while time.monotonic() < deadline and not done.is_set():
            waiting = connection.scalar(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
            if waiting:
                return
            connection.rollback()  # a fresh snapshot of the statistics
            time.sleep(0.01)
