"""Accounts and sign-in: argon2id password hashes, a growing delay after failures, user admin.

Passwords are hashed with argon2-cffi's `PasswordHasher` (argon2id, the library's default
parameters). Tests may make hashing cheaper with `configure_hasher`; production never calls it.

Sign-in bookkeeping (failure counts per typed email and client address, temporary locks, their
audit rows; see `sign_in_attempts`) is written by
`authenticate` itself, in short transactions of its own: a refusal raises, yet what led to it is
already committed. The user administration functions write through the caller's session like
every other service function, and the caller commits.

No password and no hash ever appears in an `AuditEvent` or an exception message: a password
change is recorded as the marker `{"password": "changed"}`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlmodel import Session, col, func, select

from xchange.accounts import attempts
from xchange.accounts.access import UNKNOWN_EMAIL, engine_of, require_admin
from xchange.config import get_settings
from xchange.db.engine import LOCAL_ADMIN_EMAIL, read_session, with_retry, write_session
from xchange.db.versioning import check_version, next_version, record_change
from xchange.errors import InvalidInput, NotFound, SignInRefused
from xchange.models import AuditEvent, Partnership, Role, User, UserPartnership, utcnow

WRONG_CREDENTIALS = "Wrong email or password."
DEACTIVATED = "This account is deactivated: ask an administrator."

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024  # a passphrase fits; a megabyte pasted by mistake is not hashed
EMAIL_MAX_LENGTH = 320

# Rough on purpose: one @, something on each side, no spaces. Whether mail arrives is the
# administrator's business; this only catches typing slips.
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")


# --- hashing -------------------------------------------------------------------------------------


@dataclass
class _Hashing:
    hasher: PasswordHasher
    # A hash of nothing in particular, verified against when the email is unknown so that a
    # wrong email takes as long as a wrong password (no timing hint about who has an account).
    dummy_hash: str | None = None


_hashing = _Hashing(PasswordHasher())


def configure_hasher(
    *,
    time_cost: int | None = None,
    memory_cost: int | None = None,
    parallelism: int | None = None,
) -> None:
    """Hash new passwords with other argon2id parameters; with no argument, the defaults again.

    For tests, which hash hundreds of passwords: `configure_hasher(time_cost=1,
    memory_cost=8 * 1024)` makes each hash take about a millisecond. Existing hashes keep
    verifying whatever the parameters, since each hash carries its own; a hash made with other
    parameters is renewed at its owner's next successful sign-in.
    """
    defaults = PasswordHasher()
    _hashing.hasher = PasswordHasher(
        time_cost=defaults.time_cost if time_cost is None else time_cost,
        memory_cost=defaults.memory_cost if memory_cost is None else memory_cost,
        parallelism=defaults.parallelism if parallelism is None else parallelism,
    )
    _hashing.dummy_hash = None


def hash_password(password: str) -> str:
    """An argon2id hash of `password`, salted, in the PHC string form (`$argon2id$v=19$...`)."""
    return _hashing.hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when `password` matches `password_hash`; False for a mismatch or a malformed hash."""
    try:
        return _hashing.hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def check_password_policy(password: str, *, email: str | None = None) -> None:
    """Raise `InvalidInput` (a `ValueError`) unless `password` is acceptable for `email`.

    The rules: at least 10 characters (at most 1024), not only digits, not the email address
    nor the part before its @, whatever the case. The message never repeats the password.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"A password needs at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(f"A password may have at most {MAX_PASSWORD_LENGTH} characters.")
    if password.isdigit():
        raise InvalidInput("A password may not be only digits.")
    if email:
        typed = password.strip().casefold()
        address = email.strip().casefold()
        if typed in {address, address.split("@", 1)[0]}:
            raise InvalidInput("A password may not be the email address.")


# --- signing in ----------------------------------------------------------------------------------


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
    now = _aware(now)
    typed = email.strip().lower()
    address = typed if len(typed) <= EMAIL_MAX_LENGTH and _EMAIL.fullmatch(typed) else None
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
        if verified and seen and _hashing.hasher.check_needs_rehash(seen.password_hash or ""):
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
        verify_password(_dummy_hash(), password)
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


def session_expired(signed_in_at: datetime, now: datetime | None = None) -> bool:
    """True once `session_ttl_minutes` (XCHANGE_SESSION_TTL_MINUTES) have passed since sign-in."""
    ttl = timedelta(minutes=get_settings().session_ttl_minutes)
    return _aware(now) - _aware(signed_in_at) >= ttl


def session_current(user: User, signed_in_epoch: int) -> bool:
    """True while no password change or deactivation has ended the sessions that signed in at
    `signed_in_epoch` (the user's `session_epoch` then)."""
    return user.active and user.session_epoch == signed_in_epoch


def revoke_sessions(*, session: Session, user: User) -> None:
    """End every session of `user` at its next interaction (a new password, a deactivation).

    Bumps the user's session epoch in the caller's transaction; a session that signed in
    before sees another epoch and is signed out (`session_current`). A session that should
    carry on (an administrator setting their own password) takes the new epoch.
    """
    user.session_epoch += 1
    session.add(user)


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


def _dummy_hash() -> str:
    if _hashing.dummy_hash is None:
        _hashing.dummy_hash = hash_password("not a password anybody has")
    return _hashing.dummy_hash


def _aware(moment: datetime | None) -> datetime:
    if moment is None:
        return utcnow()
    if moment.utcoffset() is None:
        raise ValueError("expected a timezone-aware datetime (e.g. datetime.now(UTC))")
    return moment


# --- user administration ---------------------------------------------------------------------


def normalise_email(email: str) -> str:
    """`email` trimmed and lower-cased; `InvalidInput` unless it looks like an address."""
    address = email.strip().lower()
    if not _EMAIL.fullmatch(address):
        raise InvalidInput(f"{address or 'An empty value'!s} is not an email address.")
    if len(address) > EMAIL_MAX_LENGTH:
        raise InvalidInput(f"An email address has at most {EMAIL_MAX_LENGTH} characters.")
    return address


def user_by_email(*, session: Session, email: str) -> User | None:
    """The user with this email, whatever its case, or None."""
    typed = email.strip().lower()
    return session.exec(
        select(User).where(func.lower(User.email) == typed).order_by(col(User.id))
    ).first()


def list_users(*, session: Session) -> list[tuple[User, list[str]]]:
    """Every user, by email, with the acronyms of their partnerships (sorted; empty for most)."""
    users = session.exec(select(User).order_by(col(User.email))).all()
    links = session.exec(
        select(UserPartnership.user_id, Partnership.acronym).join(
            Partnership, col(Partnership.id) == col(UserPartnership.partnership_id)
        )
    ).all()
    acronyms: dict[int, list[str]] = {}
    for user_id, acronym in links:
        acronyms.setdefault(user_id, []).append(acronym)
    return [(user, sorted(acronyms.get(user.id or 0, []))) for user in users]


def add_user(
    *,
    session: Session,
    actor: User,
    email: str,
    role: Role | str,
    password: str | None,
    partnerships: Sequence[str] = (),
) -> User:
    """Create a user; admins only. Returns it, flushed (it has an id); the caller commits.

    `password` None makes an account that never signs in by password (SSO). A coordinator needs
    at least one partnership (acronyms, any case); admins and officers take none. Raises
    `InvalidInput` for a malformed or taken email, an unknown role or acronym, or a password
    the policy refuses; `PermissionDenied` when `actor` is not an administrator.
    """
    require_admin(session=session, actor=actor, action="add_user", entity="user")
    address = normalise_email(email)
    role = _role(role)
    if password is not None:
        check_password_policy(password, email=address)
    linked = _partnerships_for(session, role, partnerships)
    if user_by_email(session=session, email=address) is not None:
        raise InvalidInput(f"There is already a user with the email {address}.")

    user = User(
        email=address,
        role=role.value,
        password_hash=None if password is None else hash_password(password),
    )
    session.add(user)
    session.flush()
    assert user.id is not None  # flushed
    session.add_all(UserPartnership(user_id=user.id, partnership_id=pid) for pid, _ in linked)
    changes: dict[str, Any] = {
        "email": [None, address],
        "role": [None, role.value],
        "active": [None, True],
        "partnerships": [None, sorted(acronym for _, acronym in linked)],
    }
    if password is not None:
        changes["password"] = "changed"
    record_change(session, actor, "user", user.id, "create", changes)
    session.flush()
    return user


def set_password(
    *, session: Session, actor: User, user_id: int, expected_version: int, password: str
) -> User:
    """Give a user a new password (admins only); it ends their other sessions and lifts any
    sign-in lock on their email, from every client.

    Raises `InvalidInput` for a password the policy refuses or for the local administrator,
    which never signs in; `StaleRecord` when the user changed since `expected_version` was
    read; `NotFound`, `PermissionDenied` as usual. The caller commits.
    """
    require_admin(
        session=session, actor=actor, action="set_password", entity="user", entity_id=user_id
    )
    user = _user(session, user_id, expected_version)
    if user.email == LOCAL_ADMIN_EMAIL:
        raise InvalidInput("The local administrator has no password: it acts for the CLI.")
    check_password_policy(password, email=user.email)
    changes: dict[str, Any] = {"password": "changed"}
    if user.failed_logins:
        changes["failed_logins"] = [user.failed_logins, 0]
    changes["version"] = _bump(session, user, expected_version)
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    attempts.forget(session, attempts.account_key(user.email))
    revoke_sessions(session=session, user=user)
    record_change(session, actor, "user", user.id, "update", changes)
    session.flush()
    return user


def set_active(
    *, session: Session, actor: User, user_id: int, expected_version: int, active: bool
) -> User:
    """Deactivate (or reactivate) a user; admins only, and never their own account.

    A deactivated user can neither sign in nor write, and their sessions end at once (a later
    reactivation does not bring them back); their past records stay as they are. The local
    administrator cannot be deactivated. Raises `StaleRecord` when the user changed since
    `expected_version` was read. The caller commits.
    """
    require_admin(
        session=session, actor=actor, action="set_active", entity="user", entity_id=user_id
    )
    user = _user(session, user_id, expected_version)
    if user.active == active:
        return user
    if not active and user.id == actor.id:
        raise InvalidInput("You cannot deactivate your own account: ask another administrator.")
    if not active and user.email == LOCAL_ADMIN_EMAIL:
        raise InvalidInput("The local administrator cannot be deactivated: the CLI acts as it.")
    changes: dict[str, Any] = {
        "active": [user.active, active],
        "version": _bump(session, user, expected_version),
    }
    record_change(session, actor, "user", user.id, "update", changes)
    user.active = active
    if not active:
        revoke_sessions(session=session, user=user)
    session.add(user)
    session.flush()
    return user


def set_role_and_partnerships(
    *,
    session: Session,
    actor: User,
    user_id: int,
    expected_version: int,
    role: Role | str,
    partnerships: Sequence[str] = (),
) -> User:
    """Change a user's role and partnerships together (admins only); they must fit each other.

    Same rules as `add_user`: a coordinator needs at least one partnership, others none. Admins
    cannot change their own role, nor anybody the local administrator's. Raises `StaleRecord`
    when the user changed since `expected_version` was read. The caller commits.
    """
    require_admin(session=session, actor=actor, action="set_role", entity="user", entity_id=user_id)
    user = _user(session, user_id, expected_version)
    role = _role(role)
    if role.value != user.role and (user.id == actor.id or user.email == LOCAL_ADMIN_EMAIL):
        whose = "your own" if user.id == actor.id else "the local administrator's"
        raise InvalidInput(f"You cannot change {whose} role: ask another administrator.")
    linked = _partnerships_for(session, role, partnerships)

    before = sorted(
        session.exec(
            select(Partnership.acronym)
            .join(UserPartnership, col(UserPartnership.partnership_id) == col(Partnership.id))
            .where(UserPartnership.user_id == user_id)
        ).all()
    )
    after = sorted(acronym for _, acronym in linked)
    changes: dict[str, Any] = {}
    if role.value != user.role:
        changes["role"] = [user.role, role.value]
    if before != after:
        changes["partnerships"] = [before, after]
    if not changes:
        return user
    # The version first: of two administrators saving at once, the second stops here.
    changes["version"] = _bump(session, user, expected_version)
    user.role = role.value
    session.add(user)
    if before != after:
        old = session.exec(select(UserPartnership).where(UserPartnership.user_id == user_id))
        for link in old.all():
            session.delete(link)
        session.flush()  # the old links go before the new ones arrive (same primary keys)
        session.add_all(UserPartnership(user_id=user_id, partnership_id=pid) for pid, _ in linked)
    record_change(session, actor, "user", user.id, "update", changes)
    session.flush()
    return user


def _user(session: Session, user_id: int, expected_version: int) -> User:
    """The user, refused early (before any check) when it changed since `expected_version`."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"No user with id {user_id}.")
    check_version(session, user, expected_version, entity="user", what=f"User {user.email}")
    return user


def _bump(session: Session, user: User, expected_version: int) -> list[int]:
    return next_version(session, user, expected_version, entity="user", what=f"User {user.email}")


def _role(role: Role | str) -> Role:
    try:
        return Role(str(role).strip().lower())
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise InvalidInput(f"Unknown role {role!r}: one of {allowed}.") from None


def _partnerships_for(
    session: Session, role: Role, acronyms: Iterable[str]
) -> list[tuple[int, str]]:
    """Id and acronym of the partnerships named by `acronyms` (any case), checked against `role`."""
    wanted = {a.strip().lower(): a.strip() for a in acronyms if a.strip()}
    if role != Role.COORDINATOR:
        if wanted:
            # Admins write everywhere, officers nowhere: a link would mean nothing.
            raise InvalidInput(f"An {role.value} has no partnerships: leave them empty.")
        return []
    if not wanted:
        raise InvalidInput("A coordinator needs at least one partnership.")
    found = session.exec(
        select(Partnership).where(func.lower(Partnership.acronym).in_(list(wanted)))
    ).all()
    known = {p.acronym.lower() for p in found}
    unknown = [shown for key, shown in wanted.items() if key not in known]  # as typed
    if unknown:
        plural = "s" if len(unknown) > 1 else ""
        raise InvalidInput(f"Unknown partnership{plural}: {', '.join(unknown)}.")
    return sorted((p.id, p.acronym) for p in found if p.id is not None)
