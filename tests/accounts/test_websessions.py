"""Sign-ins that survive a reload (`accounts.websessions`), on SQLite and PostgreSQL: the
database keeps the token's hash and expiry only, and every way a sign-in ends refuses it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from tests import factories
from xchange.accounts import websessions
from xchange.accounts.auth import DEACTIVATED
from xchange.accounts.sessions import revoke_sessions
from xchange.db import backup
from xchange.db.engine import read_session, write_session
from xchange.errors import SignInRefused
from xchange.models import Role, User, WebSession

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def signed_in(engine: Engine, email: str = "ana@example.eu") -> tuple[int, str]:
    """A new officer and a token that signs them in at NOW."""
    with write_session(engine) as session:
        user = factories.user(session, email, Role.OFFICER)
        token, expires = websessions.start(session=session, user=user, now=NOW)
        assert expires == NOW + timedelta(minutes=480)
        return factories.ident(user.id), token


def refusal(engine: Engine, token: str, now: datetime = NOW) -> str:
    with read_session(engine) as session, pytest.raises(SignInRefused) as refused:
        websessions.user_for(session=session, token=token, now=now)
    return str(refused.value)


def test_the_database_keeps_the_hash_of_a_random_token_and_its_expiry(engine: Engine) -> None:
    user_id, token = signed_in(engine)
    _, other = signed_in(engine, "bo@example.eu")
    assert token != other and len(token) >= 43  # 32 random bytes, base64: >= 128 bits
    with read_session(engine) as session:
        rows = session.exec(select(WebSession)).all()
        assert {row.token_hash for row in rows} == {
            websessions.token_hash(token),
            websessions.token_hash(other),
        }
        assert all(token not in str(row.model_dump()) for row in rows)
        user = websessions.user_for(session=session, token=token, now=NOW)
        assert user.id == user_id


def test_a_token_ends_when_it_expires(engine: Engine) -> None:
    _, token = signed_in(engine)
    with read_session(engine) as session:
        assert websessions.user_for(session=session, token=token, now=NOW + timedelta(minutes=479))
    assert refusal(engine, token, NOW + timedelta(minutes=480)) == websessions.EXPIRED


def test_signing_out_ends_the_token_and_an_unknown_token_signs_nobody_in(engine: Engine) -> None:
    _, token = signed_in(engine)
    with write_session(engine) as session:
        assert websessions.end(session=session, token=token)
        assert not websessions.end(session=session, token=token)
    assert refusal(engine, token) == websessions.SIGNED_OUT
    assert refusal(engine, "") == websessions.SIGNED_OUT
    assert refusal(engine, "not-a-token") == websessions.SIGNED_OUT


def test_deactivation_and_a_password_change_end_the_token(engine: Engine) -> None:
    user_id, token = signed_in(engine)
    _, other = signed_in(engine, "bo@example.eu")
    with write_session(engine) as session:
        user = session.get(User, user_id)
        assert user is not None
        revoke_sessions(session=session, user=user)  # what a new password does
    assert refusal(engine, token) == websessions.REVOKED
    with write_session(engine) as session:
        bo = session.exec(select(User).where(User.email == "bo@example.eu")).one()
        bo.active = False
        session.add(bo)
    assert refusal(engine, other) == DEACTIVATED


def test_carrying_on_keeps_one_token_at_the_new_epoch(engine: Engine) -> None:
    user_id, token = signed_in(engine)
    with write_session(engine) as session:
        user = session.get(User, user_id)
        assert user is not None
        other, _ = websessions.start(session=session, user=user, now=NOW)
    with write_session(engine) as session:
        user = session.get(User, user_id)
        assert user is not None
        revoke_sessions(session=session, user=user)
        websessions.carry_on(session=session, token=token, user=user)
    with read_session(engine) as session:
        assert websessions.user_for(session=session, token=token, now=NOW).id == user_id
    assert refusal(engine, other) == websessions.REVOKED


def test_a_new_sign_in_forgets_the_expired_ones(engine: Engine) -> None:
    _, old = signed_in(engine)
    with write_session(engine) as session:
        bo = factories.user(session, "bo@example.eu", Role.OFFICER)
        websessions.start(session=session, user=bo, now=NOW + timedelta(days=1))
    with read_session(engine) as session:
        hashes = set(session.exec(select(WebSession.token_hash)).all())
    assert websessions.token_hash(old) not in hashes and len(hashes) == 1


def test_backups_leave_the_sign_ins_out(engine: Engine) -> None:
    # A restore elsewhere signs everybody out rather than carrying hashes of live tokens.
    signed_in(engine)
    with engine.connect() as connection:
        names = {table.name for table in backup.data_tables(connection)}
    assert "web_session" not in names and "app_user" in names
