"""User administration (administrators only): add users, set passwords, (de)activate, set a
role and its partnerships. Each write checks the version read, is audited (a password change as
the marker `{"password": "changed"}`), and goes through the caller's session; the caller commits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from sqlmodel import Session, col, func, select

from xchange.accounts import attempts
from xchange.accounts.access import require_admin
from xchange.accounts.passwords import check_password_policy, hash_password
from xchange.accounts.sessions import revoke_sessions
from xchange.db.engine import LOCAL_ADMIN_EMAIL
from xchange.db.versioning import check_version, next_version, record_change
from xchange.errors import InvalidInput, NotFound
from xchange.models import Partnership, Role, User, UserPartnership

EMAIL_MAX_LENGTH = 320


# Rough on purpose: one @, something on each side, no spaces. Whether mail arrives is the
# administrator's business; this only catches typing slips.
EMAIL_SHAPE = re.compile(r"[^@\s]+@[^@\s]+")


def normalise_email(email: str) -> str:
    """`email` trimmed and lower-cased; `InvalidInput` unless it looks like an address."""
    address = email.strip().lower()
    if not EMAIL_SHAPE.fullmatch(address):
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
