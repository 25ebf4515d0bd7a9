"""Accounts and sign-in: argon2id password hashes, a growing delay after failures, user admin.

Passwords are hashed with argon2-cffi's `PasswordHasher` (argon2id, the library's default
parameters). Tests may make hashing cheaper with `configure_hasher`; production never calls it.

Sign-in bookkeeping (failure counts, temporary locks, their audit rows) is written by
`authenticate` itself, in short transactions of its own: a refusal raises, yet what led to it is
already committed. The user administration functions write through the caller's session like
every other service function, and the caller commits.

No password and no hash ever appears in an `AuditEvent` or an exception message: a password
change is recorded as the marker `{"password": "changed"}`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlmodel import Session, col, func, select

from xchange.access import engine_of, require_admin
from xchange.config import get_settings
from xchange.db import LOCAL_ADMIN_EMAIL, read_session, with_retry, write_session
from xchange.errors import InvalidInput, NotFound, SignInRefused
from xchange.models import AuditEvent, Partnership, Role, User, UserPartnership, utcnow

WRONG_CREDENTIALS = "Wrong email or password."
DEACTIVATED = "This account is deactivated: ask an administrator."

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024  # a passphrase fits; a megabyte pasted by mistake is not hashed
FREE_ATTEMPTS = 3  # consecutive failures before each further one locks the account
MAX_LOCK = timedelta(minutes=15)
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
    *, session: Session, email: str, password: str, now: datetime | None = None
) -> User:
    """The active user with this email (any case) and password, attached to `session`.

    Raises `SignInRefused` with one of three messages: "Wrong email or password." (unknown
    email, wrong password, or an account without a password: SSO-only users and the local
    administrator), "This account is deactivated: ask an administrator." (only once the
    password was right, so it tells nothing to someone guessing), or "Too many failed attempts:
    try again in N seconds." while the account is locked, when even the right password is
    refused, without being checked or counted.

    After `FREE_ATTEMPTS` (3) consecutive failures, each further failure locks the account for
    2 ** (failures - 3) seconds, at most 15 minutes; a successful sign-in resets the count.
    Every refusal is recorded (entity "user", action "sign_in_failed", and "sign_in_locked"
    when a failure sets a lock) with the email as typed, lower-cased, for actor label.

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
    typed = email.strip().lower()[:EMAIL_MAX_LENGTH]
    engine = engine_of(session)

    # First look, outside any write transaction: the slow hash check must not hold the write
    # lock (on SQLite, every writer would queue behind it).
    with read_session(engine) as reading:
        found = reading.exec(
            select(User).where(func.lower(User.email) == typed).order_by(col(User.id))
        ).first()
        seen = None if found is None else _Seen(found.id, found.password_hash, found.locked_until)

    verified: bool | None = None  # None: not checked, the account was locked
    new_hash: str | None = None
    if seen is None or seen.password_hash is None:
        verify_password(_dummy_hash(), password)
    elif not _locked(seen.locked_until, now):
        verified = verify_password(seen.password_hash, password)
        if verified and _hashing.hasher.check_needs_rehash(seen.password_hash):
            new_hash = hash_password(password)

    def settle() -> User | str:
        # Decide and record under the write lock, reading the row again: another attempt may
        # have counted a failure or set a lock meanwhile.
        with write_session(engine) as writing:
            return _settle(writing, typed, password, seen, verified, new_hash, now)

    outcome = with_retry(settle)
    if isinstance(outcome, str):
        raise SignInRefused(outcome)
    # Hand the caller its own copy, as committed, without a query in its session.
    return session.merge(outcome, load=False)


@dataclass(frozen=True)
class _Seen:
    user_id: int | None
    password_hash: str | None
    locked_until: datetime | None


def _settle(
    session: Session,
    typed: str,
    password: str,
    seen: _Seen | None,
    verified: bool | None,
    new_hash: str | None,
    now: datetime,
) -> User | str:
    """Record the attempt; the signed-in user, or the refusal's message."""
    user = None
    if seen is not None and seen.user_id is not None:
        user = session.exec(select(User).where(User.id == seen.user_id).with_for_update()).first()
    if user is None or user.password_hash is None:
        # No such account, or one that never signs in by password: nothing to count or lock.
        _record_attempt(session, typed, user, "sign_in_failed", now)
        return WRONG_CREDENTIALS
    if _locked(user.locked_until, now):
        _record_attempt(session, typed, user, "sign_in_failed", now)
        return _lock_message(user.locked_until, now)
    if verified is None or user.password_hash != (seen.password_hash if seen else None):
        # The lock ended, or the password changed, between the first look and now.
        verified = verify_password(user.password_hash, password)
        new_hash = None
    if not verified:
        user.failed_logins += 1
        _record_attempt(session, typed, user, "sign_in_failed", now)
        if user.failed_logins > FREE_ATTEMPTS:
            user.locked_until = now + lock_duration(user.failed_logins)
            _record_attempt(session, typed, user, "sign_in_locked", now)
        session.add(user)
        return WRONG_CREDENTIALS
    if not user.active:
        _record_attempt(session, typed, user, "sign_in_failed", now)
        return DEACTIVATED
    if user.failed_logins or user.locked_until is not None:
        user.failed_logins = 0
        user.locked_until = None
    if new_hash is not None:
        user.password_hash = new_hash
    session.add(user)
    session.flush()
    return user


def lock_duration(failures: int) -> timedelta:
    """How long the `failures`-th consecutive failure locks an account (zero for the first 3)."""
    if failures <= FREE_ATTEMPTS:
        return timedelta(0)
    # The exponent is capped before the power so that a huge count stays cheap.
    seconds = 2 ** min(failures - FREE_ATTEMPTS, 20)
    return min(timedelta(seconds=seconds), MAX_LOCK)


def session_expired(signed_in_at: datetime, now: datetime | None = None) -> bool:
    """True once `session_ttl_minutes` (XCHANGE_SESSION_TTL_MINUTES) have passed since sign-in."""
    ttl = timedelta(minutes=get_settings().session_ttl_minutes)
    return _aware(now) - _aware(signed_in_at) >= ttl


def _record_attempt(
    session: Session, typed: str, user: User | None, action: str, now: datetime
) -> None:
    # Nobody is signed in yet, so no actor id: the label is what was typed. No changes, ever:
    # the password typed must not land in the trail, even when it was nearly right.
    session.add(
        AuditEvent(
            at=now,
            actor_id=None,
            actor_label=typed,
            entity="user",
            entity_id=None if user is None else user.id,
            action=action,
            changes={},
        )
    )


def _locked(locked_until: datetime | None, now: datetime) -> bool:
    return locked_until is not None and locked_until > now


def _lock_message(locked_until: datetime | None, now: datetime) -> str:
    left = max((locked_until - now).total_seconds() if locked_until else 0.0, 1.0)
    if left < 60:
        amount, unit = math.ceil(left), "second"
    else:
        amount, unit = math.ceil(left / 60), "minute"
    return f"Too many failed attempts: try again in {amount} {unit}{'' if amount == 1 else 's'}."


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
    _record_change(session, actor, user, "create", changes)
    session.flush()
    return user


def set_password(*, session: Session, actor: User, user_id: int, password: str) -> User:
    """Give a user a new password (admins only); it also lifts a sign-in lock.

    Raises `InvalidInput` for a password the policy refuses or for the local administrator,
    which never signs in; `NotFound`, `PermissionDenied` as usual. The caller commits.
    """
    require_admin(
        session=session, actor=actor, action="set_password", entity="user", entity_id=user_id
    )
    user = _user(session, user_id)
    if user.email == LOCAL_ADMIN_EMAIL:
        raise InvalidInput("The local administrator has no password: it acts for the CLI.")
    check_password_policy(password, email=user.email)
    changes: dict[str, Any] = {"password": "changed"}
    if user.failed_logins:
        changes["failed_logins"] = [user.failed_logins, 0]
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    session.add(user)
    _record_change(session, actor, user, "update", changes)
    session.flush()
    return user


def set_active(*, session: Session, actor: User, user_id: int, active: bool) -> User:
    """Deactivate (or reactivate) a user; admins only, and never their own account.

    A deactivated user can neither sign in nor write; their past records stay as they are.
    The local administrator cannot be deactivated. The caller commits.
    """
    require_admin(
        session=session, actor=actor, action="set_active", entity="user", entity_id=user_id
    )
    user = _user(session, user_id)
    if user.active == active:
        return user
    if not active and user.id == actor.id:
        raise InvalidInput("You cannot deactivate your own account: ask another administrator.")
    if not active and user.email == LOCAL_ADMIN_EMAIL:
        raise InvalidInput("The local administrator cannot be deactivated: the CLI acts as it.")
    _record_change(session, actor, user, "update", {"active": [user.active, active]})
    user.active = active
    session.add(user)
    session.flush()
    return user


def set_role_and_partnerships(
    *,
    session: Session,
    actor: User,
    user_id: int,
    role: Role | str,
    partnerships: Sequence[str] = (),
) -> User:
    """Change a user's role and partnerships together (admins only); they must fit each other.

    Same rules as `add_user`: a coordinator needs at least one partnership, others none. Admins
    cannot change their own role, nor anybody the local administrator's. The caller commits.
    """
    require_admin(session=session, actor=actor, action="set_role", entity="user", entity_id=user_id)
    user = _user(session, user_id)
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
        user.role = role.value
        session.add(user)
    if before != after:
        changes["partnerships"] = [before, after]
        old = session.exec(select(UserPartnership).where(UserPartnership.user_id == user_id))
        for link in old.all():
            session.delete(link)
        session.flush()  # the old links go before the new ones arrive (same primary keys)
        session.add_all(UserPartnership(user_id=user_id, partnership_id=pid) for pid, _ in linked)
    if changes:
        _record_change(session, actor, user, "update", changes)
        session.flush()
    return user


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"No user with id {user_id}.")
    return user


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


def _record_change(
    session: Session, actor: User, user: User, action: str, changes: dict[str, Any]
) -> None:
    session.add(
        AuditEvent(
            actor_id=actor.id,
            actor_label=actor.email[:EMAIL_MAX_LENGTH],
            entity="user",
            entity_id=user.id,
            action=action,
            changes=changes,
        )
    )
