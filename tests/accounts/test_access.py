"""Who may write what, and the refused attempts' audit rows, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from xchange.accounts import access
from xchange.accounts.access import (
    can_see_personal_data,
    partnership_ids_readable,
    partnership_ids_writable,
    record_refusal,
    require_admin,
    require_read,
    require_write,
)
from xchange.config import get_settings
from xchange.db.engine import read_session, write_session
from xchange.errors import PermissionDenied
from xchange.models import AuditEvent, Partnership, Role, User, UserPartnership


@dataclass(frozen=True)
class World:
    """Two partnerships and one user per kind of actor; ids as stored."""

    alpha: int
    beta: int
    users: dict[str, int]


# The actors of the tables below: name -> (email, role, active, coordinated partnerships).
ACTORS: dict[str, tuple[str, Role, bool, tuple[str, ...]]] = {
    "admin": ("admin@x.eu", Role.ADMIN, True, ()),
    "coordinator": ("coord@x.eu", Role.COORDINATOR, True, ("ALPHA",)),
    "officer": ("officer@x.eu", Role.OFFICER, True, ()),
    "inactive_admin": ("gone-admin@x.eu", Role.ADMIN, False, ()),
    "inactive_coordinator": ("gone-coord@x.eu", Role.COORDINATOR, False, ("ALPHA",)),
}


@pytest.fixture
def world(engine: Engine) -> World:
    with write_session(engine) as session:
        partnerships = {
            acronym: Partnership(
                acronym=acronym,
                name=f"{acronym} partnership",
                action_start=date(2025, 1, 1),
                action_end=date(2026, 12, 31),
            )
            for acronym in ("ALPHA", "BETA")
        }
        session.add_all(partnerships.values())
        users = {
            name: User(email=email, role=role.value, active=active)
            for name, (email, role, active, _) in ACTORS.items()
        }
        session.add_all(users.values())
        session.flush()
        for name, (*_, own) in ACTORS.items():
            for acronym in own:
                session.add(
                    UserPartnership(
                        user_id=_id(users[name].id), partnership_id=_id(partnerships[acronym].id)
                    )
                )
        return World(
            alpha=_id(partnerships["ALPHA"].id),
            beta=_id(partnerships["BETA"].id),
            users={name: _id(user.id) for name, user in users.items()},
        )


def _id(value: int | None) -> int:
    assert value is not None
    return value


def _actor(engine: Engine, world: World, name: str) -> User:
    """The user as a page would hold it: loaded, then detached from any session."""
    with read_session(engine) as session:
        user = session.get(User, world.users[name])
        assert user is not None
        session.expunge(user)
        return user


def _refusals(engine: Engine) -> list[AuditEvent]:
    with read_session(engine) as session:
        return list(
            session.exec(
                select(AuditEvent)
                .where(AuditEvent.action == "refused")
                .order_by(col(AuditEvent.id))
            ).all()
        )


# --- who may write -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "expected"),
    [
        ("admin", None),  # None: every partnership
        ("coordinator", {"alpha"}),
        ("officer", set()),
        ("inactive_admin", set()),  # deactivation beats the role
        ("inactive_coordinator", set()),
    ],
)
def test_partnership_ids_writable(
    engine: Engine, world: World, actor: str, expected: set[str] | None
) -> None:
    ids = {"alpha": world.alpha, "beta": world.beta}
    with read_session(engine) as session:
        result = partnership_ids_writable(session=session, actor=_actor(engine, world, actor))
    assert result == (None if expected is None else {ids[name] for name in expected})


@pytest.mark.parametrize(
    ("actor", "expected"),
    [
        ("admin", None),
        ("officer", None),  # the Commission follows every partnership
        ("coordinator", {"alpha"}),
        ("inactive_admin", set()),
        ("inactive_coordinator", set()),
    ],
)
def test_partnership_ids_readable(
    engine: Engine, world: World, actor: str, expected: set[str] | None
) -> None:
    ids = {"alpha": world.alpha, "beta": world.beta}
    with read_session(engine) as session:
        result = partnership_ids_readable(session=session, actor=_actor(engine, world, actor))
    assert result == (None if expected is None else {ids[name] for name in expected})


@pytest.mark.parametrize(
    ("actor", "partnership", "allowed"),
    [
        ("admin", "beta", True),
        ("officer", "beta", True),
        ("coordinator", "alpha", True),
        ("coordinator", "beta", False),
        ("inactive_coordinator", "alpha", False),
    ],
)
def test_require_read(
    engine: Engine, world: World, actor: str, partnership: str, allowed: bool
) -> None:
    partnership_id = world.alpha if partnership == "alpha" else world.beta
    user = _actor(engine, world, actor)
    with read_session(engine) as session:
        if allowed:
            require_read(session=session, actor=user, partnership_id=partnership_id)
        else:
            with pytest.raises(
                PermissionDenied, match=f"may not see partnership {partnership.upper()}"
            ):
                require_read(session=session, actor=user, partnership_id=partnership_id)
    assert _refusals(engine) == []  # reads leave no trail


# actor x partnership -> refusal message (None: allowed).
WRITE_CASES = [
    ("admin", "alpha", None),
    ("admin", "beta", None),
    ("coordinator", "alpha", None),
    (
        "coordinator",
        "beta",
        "coord@x.eu may not write for partnership BETA: not one of their partnerships.",
    ),
    ("officer", "alpha", "officer@x.eu may not change exchanges: officers have read-only access."),
    ("inactive_admin", "alpha", "gone-admin@x.eu may not write: the account is deactivated."),
    ("inactive_coordinator", "alpha", "gone-coord@x.eu may not write: the account is deactivated."),
]


@pytest.mark.parametrize(("actor", "partnership", "refusal"), WRITE_CASES)
def test_require_write(
    engine: Engine, world: World, actor: str, partnership: str, refusal: str | None
) -> None:
    partnership_id = world.alpha if partnership == "alpha" else world.beta
    user = _actor(engine, world, actor)
    with read_session(engine) as session:
        if refusal is None:
            require_write(
                session=session, actor=user, partnership_id=partnership_id, action="update"
            )
        else:
            with pytest.raises(PermissionDenied) as caught:
                require_write(
                    session=session,
                    actor=user,
                    partnership_id=partnership_id,
                    action="update",
                    entity_id=42,
                )
            assert str(caught.value) == refusal

    rows = _refusals(engine)
    if refusal is None:
        assert rows == []
    else:
        [row] = rows
        assert (row.actor_id, row.actor_label) == (user.id, user.email)
        assert (row.entity, row.entity_id) == ("exchange", 42)
        assert row.changes == {"attempted": "update", "partnership_id": partnership_id}


def test_require_write_names_an_unknown_partnership_by_id(engine: Engine, world: World) -> None:
    with read_session(engine) as session, pytest.raises(PermissionDenied, match="partnership #999"):
        require_write(
            session=session,
            actor=_actor(engine, world, "coordinator"),
            partnership_id=999,
            action="create",
        )


def test_officer_refusal_names_the_entity(engine: Engine, world: World) -> None:
    with read_session(engine) as session, pytest.raises(PermissionDenied) as caught:
        require_write(
            session=session,
            actor=_actor(engine, world, "officer"),
            partnership_id=world.alpha,
            action="update",
            entity="partnership",
            entity_id=world.alpha,
        )
    assert "may not change partnerships" in str(caught.value)
    [row] = _refusals(engine)
    assert (row.entity, row.entity_id) == ("partnership", world.alpha)


def test_rights_come_from_the_database_not_from_the_object_held(
    engine: Engine, world: World
) -> None:
    # A page may still hold the User as it was at sign-in; deactivation must bite at once.
    held = _actor(engine, world, "admin")
    with write_session(engine) as session:
        stored = session.get(User, world.users["admin"])
        assert stored is not None
        stored.active = False
    assert held.active  # the stale copy
    with read_session(engine) as session, pytest.raises(PermissionDenied, match="deactivated"):
        require_write(session=session, actor=held, partnership_id=world.alpha, action="update")


def test_an_actor_missing_from_the_database_may_not_write(engine: Engine, world: World) -> None:
    ghost = User(id=10_000, email="ghost@x.eu", role=Role.ADMIN.value)
    with read_session(engine) as session:
        assert partnership_ids_writable(session=session, actor=ghost) == set()
    with read_session(engine) as session, pytest.raises(PermissionDenied, match="unknown"):
        require_write(session=session, actor=ghost, partnership_id=world.alpha, action="create")
    [row] = _refusals(engine)
    # actor_id must point at a stored user: the ghost is recorded by its label only.
    assert (row.actor_id, row.actor_label) == (None, "ghost@x.eu")


# --- administrators only -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "refusal"),
    [
        ("admin", None),
        ("coordinator", "coord@x.eu may not add user: only administrators may."),
        ("officer", "officer@x.eu may not add user: only administrators may."),
        ("inactive_admin", "gone-admin@x.eu may not add user: the account is deactivated."),
    ],
)
def test_require_admin(engine: Engine, world: World, actor: str, refusal: str | None) -> None:
    user = _actor(engine, world, actor)
    with read_session(engine) as session:
        if refusal is None:
            require_admin(session=session, actor=user, action="add_user", entity="user")
        else:
            with pytest.raises(PermissionDenied) as caught:
                require_admin(session=session, actor=user, action="add_user", entity="user")
            assert str(caught.value) == refusal
    rows = _refusals(engine)
    assert [(r.entity, r.changes) for r in rows] == (
        [] if refusal is None else [("user", {"attempted": "add_user"})]
    )


@pytest.mark.parametrize(
    ("role", "active", "expected"),
    [
        (Role.ADMIN, True, True),
        (Role.COORDINATOR, True, True),
        (Role.OFFICER, True, False),  # the Commission follows figures, not people
        (Role.ADMIN, False, False),
        (Role.COORDINATOR, False, False),
        ("auditor", True, False),  # a role this code does not know: fail closed
    ],
)
def test_can_see_personal_data(role: str, active: bool, expected: bool) -> None:
    assert can_see_personal_data(User(email="a@x.eu", role=role, active=active)) is expected


# --- the refusal outlives the caller's transaction -----------------------------------------


def test_refusal_survives_the_callers_rollback(engine: Engine, world: World) -> None:
    officer = _actor(engine, world, "officer")
    started = time.monotonic()
    with pytest.raises(PermissionDenied), write_session(engine) as session:
        # A careless caller that writes before checking: its row must go, the refusal stay,
        # and on SQLite nothing may wait for the write lock the caller holds.
        session.add(AuditEvent(actor_label="caller", entity="exchange", action="create"))
        session.flush()
        require_write(session=session, actor=officer, partnership_id=world.alpha, action="create")
    # A write waiting for the lock this very thread holds would wait the whole busy timeout;
    # the work itself takes milliseconds, however loaded the machine.
    assert time.monotonic() - started < get_settings().sqlite_busy_timeout_ms / 1000

    with read_session(engine) as session:
        actions = session.exec(select(AuditEvent.action).order_by(col(AuditEvent.id))).all()
    assert actions == ["refused"]


def test_refusal_is_kept_when_the_caller_commits_other_work(engine: Engine, world: World) -> None:
    officer = _actor(engine, world, "officer")
    with write_session(engine) as session:
        with pytest.raises(PermissionDenied):
            require_write(
                session=session, actor=officer, partnership_id=world.alpha, action="update"
            )
        session.add(AuditEvent(actor_label="caller", entity="exchange", action="update"))

    with read_session(engine) as session:
        actions = sorted(session.exec(select(AuditEvent.action)).all())
    assert actions == ["refused", "update"]


def test_refusal_waits_for_the_outer_transaction_not_a_savepoint(
    engine: Engine, world: World
) -> None:
    officer = _actor(engine, world, "officer")
    with write_session(engine) as session:
        savepoint = session.begin_nested()
        with pytest.raises(PermissionDenied):
            require_write(
                session=session, actor=officer, partnership_id=world.alpha, action="update"
            )
        savepoint.rollback()
        assert session.info.get(access._PENDING_KEY)  # still waiting for the outer end
    assert len(_refusals(engine)) == 1


def test_record_refusal_outside_a_transaction_writes_at_once(engine: Engine, world: World) -> None:
    officer = _actor(engine, world, "officer")
    with Session(engine) as session:
        assert not session.in_transaction()
        record_refusal(
            session=session,
            actor_id=officer.id,
            actor_label=officer.email,
            entity="exchange",
            entity_id=None,
            changes={"attempted": "import"},
        )
        assert not session.in_transaction()
        [row] = _refusals(engine)  # committed already, seen from another session
    assert row.changes == {"attempted": "import"}


def test_several_refusals_in_one_transaction_are_all_kept(engine: Engine, world: World) -> None:
    coordinator = _actor(engine, world, "coordinator")
    with pytest.raises(RuntimeError), write_session(engine) as session:
        for action in ("create", "update"):
            with pytest.raises(PermissionDenied):
                require_write(
                    session=session, actor=coordinator, partnership_id=world.beta, action=action
                )
        raise RuntimeError("the caller gives up")
    assert [row.changes["attempted"] for row in _refusals(engine)] == ["create", "update"]
