"""Signing in: a password checked against its argon2id hash, a growing delay after failures.

Sign-in bookkeeping (failure counts per typed email and client address, temporary locks, their
audit rows; see `attempts`) is written by `authenticate` itself, in short transactions of its
own: a refusal raises, yet what led to it is already committed. Hashing and the password policy
are `passwords`, a session's life `sessions`, user administration `users`; their names stay
importable from here. No password and no hash ever appears in an `AuditEvent` or a message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, func, select

from xchange.accounts import attempts
from xchange.accounts.access import UNKNOWN_EMAIL, engine_of
from xchange.accounts.passwords import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    check_password_policy,
    configure_hasher,
    dummy_hash,
    hash_password,
    needs_rehash,
    verify_password,
)
from xchange.accounts.sessions import aware, revoke_sessions, session_current, session_expired
from xchange.accounts.users import (
    EMAIL_MAX_LENGTH,
    EMAIL_SHAPE,
    add_user,
    list_users,
    normalise_email,
    set_active,
    set_password,
    set_role_and_partnerships,
    user_by_email,
)
from xchange.db.engine import read_session, with_retry, write_session
from xchange.errors import SignInRefused
from xchange.models import AuditEvent, User

# Sign-in is here; passwords, sessions and user administration have modules of their own, and
# their names stay importable from here, where the pages and the CLI find them.
__all__ = [
    "DEACTIVATED",
    "EMAIL_MAX_LENGTH",
    "MAX_PASSWORD_LENGTH",
    "MIN_PASSWORD_LENGTH",
    "WRONG_CREDENTIALS",
    "add_user",
    "authenticate",
    "check_password_policy",
    "configure_hasher",
    "hash_password",
    "list_users",
    "normalise_email",
    "revoke_sessions",
    "session_current",
    "session_expired",
    "set_active",
    "set_password",
    "set_role_and_partnerships",
    "user_by_email",
    "verify_password",
]


WRONG_CREDENTIALS = "Wrong email or password."


DEACTIVATED = "This account is deactivated: ask an administrator."


def authenticate(
    *,
    session: Session,
    email: str,
    password: str,
    client: str | None = None,
    now: datetime | None = None,
) -> User:
    """The active user with this email (any case) and password, attached to `session`.

    `client` is the address the request came from (the IP address the server saw; None when
    unknown): failures are counted per typed email and client (`sign_in_attempts`), so a
    client that has not failed signs in while another is being slowed.

    Raises `SignInRefused` with one of three messages: "Wrong email or password." (unknown
    email, wrong password, or an account without a password: SSO-only users and the local
    administrator), "This account is deactivated: ask an administrator." (only once the
    password was right, so it tells nothing to someone guessing), or "Too many failed attempts:
    try again in N seconds." while this email is locked for this client, when even the right
    password is refused, without being checked or counted. An unknown email gets the same
    answers after the same number of attempts, and the same hashing work, as a known one.

    Every refusal is recorded (entity "user", action "sign_in_failed", and "sign_in_locked"
    when a failure sets a lock) with, for actor label, the account's email when the typed one
    names a user, else "unknown email": never what was typed.

    Transactions: `authenticate` reads and writes in short transactions of its own on
    `session`'s engine and commits them itself, so the refusal and the failure count are
    recorded although it raises, and the caller has nothing to commit. `session` must therefore
    have no transaction open (pass a fresh one, e.g. from `read_session`): on SQLite a caller's
    open transaction could hold the only write lock this needs. `now` (timezone-aware) is for
    tests; it defaults to the current time.
    """
    if session.in_transaction():
        raise RuntimeError(
            "authenticate() commits its own transactions: pass it a session with none open"
        )
    now = aware(now)
    typed = email.strip().lower()
    address = typed if len(typed) <= EMAIL_MAX_LENGTH and EMAIL_SHAPE.fullmatch(typed) else None
    attempt = _Attempt(
        address, attempts.account_key(address), attempts.client_key(client), password, now
    )
    engine = engine_of(session)

    # First look, outside any write transaction: the slow hash check must not hold the write
    # lock (on SQLite, every writer would queue behind it).
    with read_session(engine) as reading:
        seen = _look(reading, address)
        locked = attempts.locked_until(reading, attempt.account, attempt.client, now)

    verified: bool | None = None  # None: not checked, this email was locked for this client
    new_hash: str | None = None
    if locked is None:
        verified = _verify(seen.password_hash if seen else None, password)
        if verified and seen and needs_rehash(seen.password_hash or ""):
            new_hash = hash_password(password)

    def settle() -> User | str:
        # Decide and record under the write lock, reading again: another attempt may have
        # counted a failure or set a lock meanwhile.
        with write_session(engine) as writing:
            return _settle(writing, attempt, seen, verified, new_hash)

    outcome = with_retry(settle)
    if isinstance(outcome, str):
        raise SignInRefused(outcome)
    # Hand the caller its own copy, as committed, without a query in its session.
    return session.merge(outcome, load=False)


@dataclass(frozen=True)
class _Seen:
    user_id: int | None
    password_hash: str | None


@dataclass(frozen=True)
class _Attempt:
    address: str | None  # the email typed, when it is one
    account: str  # its key, and the client's, in sign_in_attempt
    client: str
    password: str
    now: datetime


def _look(session: Session, address: str | None) -> _Seen | None:
    if address is None:
        return None
    found = session.exec(
        select(User).where(func.lower(User.email) == address).order_by(col(User.id))
    ).first()
    return None if found is None else _Seen(found.id, found.password_hash)


def _verify(password_hash: str | None, password: str) -> bool:
    """The password check, with the same work for an account without a password (or none)."""
    if password_hash is None:
        verify_password(dummy_hash(), password)
        return False
    return verify_password(password_hash, password)


def _settle(
    session: Session,
    attempt: _Attempt,
    seen: _Seen | None,
    verified: bool | None,
    new_hash: str | None,
) -> User | str:
    """Record the attempt; the signed-in user, or the refusal's message."""
    now = attempt.now
    user = None
    if seen is not None and seen.user_id is not None:
        user = session.exec(select(User).where(User.id == seen.user_id).with_for_update()).first()
    locked = attempts.locked_until(session, attempt.account, attempt.client, now)
    if locked is not None:
        _record_attempt(session, user, "sign_in_failed", now)
        return attempts.lock_message(locked, now)
    password_hash = None if user is None else user.password_hash
    if verified is None or password_hash != (seen.password_hash if seen else None):
        # The lock ended, or the password changed, between the first look and now.
        verified = _verify(password_hash, attempt.password)
        new_hash = None
    if user is None or user.password_hash is None or not verified:
        if user is not None and user.password_hash is not None:
            user.failed_logins += 1  # shown to administrators; locks are per client
            session.add(user)
        _record_attempt(session, user, "sign_in_failed", now)
        if attempts.record_failure(session, attempt.account, attempt.client, now) is not None:
            _record_attempt(session, user, "sign_in_locked", now)
        return WRONG_CREDENTIALS
    if not user.active:
        _record_attempt(session, user, "sign_in_failed", now)
        return DEACTIVATED
    attempts.forget(session, attempt.account, attempt.client)
    if user.failed_logins:
        user.failed_logins = 0
    if new_hash is not None:
        user.password_hash = new_hash
    session.add(user)
    session.flush()
    return user


def _record_attempt(session: Session, user: User | None, action: str, now: datetime) -> None:
    # Nobody is signed in yet, so no actor id. The label names the account when the email
    # typed is one, never the text typed: it may be a password typed into the wrong field, or
    # a formula waiting for the audit export. No changes, ever: no password lands in the trail.
    session.add(
        AuditEvent(
            at=now,
            actor_id=None,
            actor_label=UNKNOWN_EMAIL if user is None else user.email[:EMAIL_MAX_LENGTH],
            entity="user",
            entity_id=None if user is None else user.id,
            action=action,
            changes={},
        )
    )
