"""Personal API tokens as stored, on SQLite and PostgreSQL: shown once and kept as a hash, the
owner's rights, revocation, and the audit trail (created, revoked, first use of each day)."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from tests import factories
from xchange.accounts import tokens
from xchange.db.engine import LOCAL_ADMIN_EMAIL, read_session, write_session
from xchange.errors import InvalidInput, NotAuthenticated, NotFound, PermissionDenied
from xchange.models import ApiToken, AuditEvent, Role, User

ANNA = "anna@cluster.eu"
OLGA = "olga@ec.europa.eu"


@pytest.fixture
def people(engine: Engine) -> Engine:
    with write_session(engine) as session:
        factories.user(session, ANNA, Role.COORDINATOR)
        factories.user(session, OLGA, Role.OFFICER)
    return engine


def actor(session: Session, email: str) -> User:
    return session.exec(select(User).where(User.email == email)).one()


def create(engine: Engine, by: str, owner: str, name: str) -> str:
    with write_session(engine) as session:
        _, secret = tokens.create_token(
            session=session, actor=actor(session, by), owner_email=owner, name=name
        )
    return secret


def trail(engine: Engine) -> list[tuple[str, str, str]]:
    with read_session(engine) as session:
        events = session.exec(
            select(AuditEvent).where(AuditEvent.entity == "api_token").order_by(col(AuditEvent.id))
        ).all()
        return [(e.actor_label, e.action, sorted(e.changes)[0]) for e in events]


def test_a_token_is_shown_once_and_kept_only_as_its_hash(people: Engine) -> None:
    secret = create(people, ANNA, ANNA, "Power BI")
    assert secret.startswith("xcx_") and len(secret) >= 40
    with people.connect() as connection:
        stored = [tuple(row) for row in connection.execute(sa.text("SELECT * FROM api_token"))]
    assert len(stored) == 1
    assert not any(secret in str(value) for value in stored[0])  # nowhere, in no column
    with read_session(people) as session:
        owner, row = tokens.token_owner(session=session, secret=secret)
        assert (owner.email, row.name, row.token_hash) == (
            ANNA,
            "Power BI",
            tokens.hash_secret(secret),
        )
        with pytest.raises(NotAuthenticated, match="not known"):
            tokens.token_owner(session=session, secret=secret + "x")
    assert trail(people) == [(ANNA, "create", "name")]


def test_two_tokens_never_share_a_secret(people: Engine) -> None:
    assert create(people, ANNA, ANNA, "one") != create(people, ANNA, ANNA, "two")


def test_others_create_and_revoke_only_their_own_tokens_administrators_anyones(
    people: Engine,
) -> None:
    refused = pytest.raises(PermissionDenied, match=f"{OLGA} may not create tokens for others")
    with write_session(people) as session, refused:
        tokens.create_token(session=session, actor=actor(session, OLGA), owner_email=ANNA, name="x")
    # An administrator may, for anyone; the owner then revokes it.
    create(people, LOCAL_ADMIN_EMAIL, ANNA, "for anna")
    refused = pytest.raises(PermissionDenied, match="may not revoke tokens of others")
    with write_session(people) as session, refused:
        tokens.revoke_token(
            session=session, actor=actor(session, OLGA), owner_email=ANNA, name="for anna"
        )
    with write_session(people) as session:
        tokens.revoke_token(
            session=session, actor=actor(session, ANNA), owner_email=ANNA, name="for anna"
        )
    with read_session(people) as session:
        refused = session.exec(select(AuditEvent).where(AuditEvent.action == "refused")).all()
        assert [e.changes["attempted"] for e in refused] == [
            "create_tokens_for_others",
            "revoke_tokens_of_others",
        ]
    assert [(who, action) for who, action, _ in trail(people)] == [
        (OLGA, "refused"),
        (LOCAL_ADMIN_EMAIL, "create"),
        (OLGA, "refused"),
        (ANNA, "revoke"),
    ]


def test_a_revoked_token_no_longer_works_and_its_name_may_be_used_again(people: Engine) -> None:
    secret = create(people, ANNA, ANNA, "Excel")
    with pytest.raises(InvalidInput, match="already has a token named 'Excel'"):
        create(people, ANNA, ANNA, " Excel ")
    with write_session(people) as session:
        tokens.revoke_token(
            session=session, actor=actor(session, ANNA), owner_email=ANNA, name="Excel"
        )
    with read_session(people) as session, pytest.raises(NotAuthenticated, match="revoked"):
        tokens.token_owner(session=session, secret=secret)
    with write_session(people) as session, pytest.raises(NotFound, match="no token named 'Excel'"):
        tokens.revoke_token(
            session=session, actor=actor(session, ANNA), owner_email=ANNA, name="Excel"
        )
    again = create(people, ANNA, ANNA, "Excel")  # the name is free again
    with read_session(people) as session:
        assert tokens.token_owner(session=session, secret=again)[1].name == "Excel"
        listed = tokens.list_tokens(session=session, actor=actor(session, ANNA))
        assert [(row.name, row.revoked_at is None) for row, _ in listed] == [
            ("Excel", True),
            ("Excel", False),
        ]


def test_the_database_refuses_two_live_tokens_of_one_name(people: Engine) -> None:
    create(people, ANNA, ANNA, "twice")
    with pytest.raises(sa.exc.IntegrityError), write_session(people) as session:
        owner = actor(session, ANNA)
        session.add(ApiToken(user_id=owner.id or 0, name="twice", token_hash="0" * 64))


def test_a_deactivated_owner_s_token_stops_working(people: Engine) -> None:
    secret = create(people, ANNA, ANNA, "script")
    with write_session(people) as session:
        actor(session, ANNA).active = False
    with read_session(people) as session, pytest.raises(NotAuthenticated, match="deactivated"):
        tokens.token_owner(session=session, secret=secret)


def test_each_sees_their_own_tokens_administrators_everyones(people: Engine) -> None:
    create(people, ANNA, ANNA, "anna's")
    create(people, OLGA, OLGA, "olga's")
    with read_session(people) as session:
        mine = tokens.list_tokens(session=session, actor=actor(session, OLGA))
        every = tokens.list_tokens(session=session, actor=actor(session, LOCAL_ADMIN_EMAIL))
    assert [(email, row.name) for row, email in mine] == [(OLGA, "olga's")]
    assert sorted(email for _, email in every) == [ANNA, OLGA]


@pytest.mark.parametrize(
    ("name", "message"),
    [("   ", "give the token a name"), ("x" * 101, "at most 100 characters, not 101")],
)
def test_a_name_is_needed_and_short(people: Engine, name: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        create(people, ANNA, ANNA, name)


def test_the_first_use_of_each_day_is_on_record_once(people: Engine) -> None:
    secret = create(people, ANNA, ANNA, "daily")
    recorded = []
    for day in (date(2026, 5, 4), date(2026, 5, 4), date(2026, 5, 5)):
        with write_session(people) as session:
            owner, row = tokens.token_owner(session=session, secret=secret)
            recorded.append(tokens.mark_used(session=session, owner=owner, token=row, today=day))
    assert recorded == [True, False, True]
    with read_session(people) as session:
        uses = session.exec(select(AuditEvent).where(AuditEvent.action == "use")).all()
    assert [e.changes["last_used_on"] for e in uses] == [
        [None, "2026-05-04"],
        ["2026-05-04", "2026-05-05"],
    ]
    assert {e.actor_label for e in uses} == {ANNA}


def test_a_stale_copy_of_the_token_does_not_record_the_day_twice(people: Engine) -> None:
    """Two requests that read the token before either marked it: one records the day."""
    secret = create(people, ANNA, ANNA, "race")
    with read_session(people) as session:
        first = tokens.token_owner(session=session, secret=secret)
        second = tokens.token_owner(session=session, secret=secret)
    day = date(2026, 5, 4)
    done = []
    for owner, row in (first, second):
        with write_session(people) as session:
            done.append(tokens.mark_used(session=session, owner=owner, token=row, today=day))
    assert sorted(done) == [False, True]
