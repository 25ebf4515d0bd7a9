"""Personal API tokens: how other tools (Excel, Power BI, scripts) read the tracker.

    row, secret = create_token(session=s, actor=me, owner_email=me.email, name="Power BI")
    owner, row = token_owner(session=s, secret=secret)   # or NotAuthenticated
    revoke_token(session=s, actor=me, owner_email=me.email, name="Power BI")

A token is read-only by construction (the API has only GET endpoints) and has its owner's
rights, read again at every request: a deactivated owner's tokens stop working at once, a
demoted one's see less. The secret is shown once, when created; the database keeps only its
SHA-256 (a random 256-bit secret needs no slow hash: there is nothing to guess from). Creating
and revoking a token are audited, and so is its first use of each day (`mark_used`), so that the
trail says which tool read what, without a row per request.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, col, select

from xchange.accounts.access import require_admin
from xchange.accounts.users import user_by_email
from xchange.db.versioning import record_change
from xchange.errors import InvalidInput, NotAuthenticated, NotFound, PermissionDenied
from xchange.models import ApiToken, Role, User, utcnow

# Tells a leaked token apart in logs and secret scanners; the rest is 256 random bits.
PREFIX = "xcx_"
NAME_MAX = 100


def hash_secret(secret: str) -> str:
    """The stored form of a token: hex SHA-256 of the secret as sent."""
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(
    *, session: Session, actor: User, owner_email: str, name: str
) -> tuple[ApiToken, str]:
    """A new token for `owner_email` named `name`, and its secret (shown once, never stored).

    Administrators create tokens for anyone, everyone else for themselves. A name already used
    by one of the owner's tokens not revoked is refused (InvalidInput).
    """
    owner = _owner(session, actor, owner_email, action="create_tokens_for_others")
    name = _name(name)
    if _active(session, owner, name) is not None:
        raise InvalidInput(f"{owner.email} already has a token named {name!r}: pick another name.")
    assert owner.id is not None  # a stored user
    secret = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=owner.id, name=name, token_hash=hash_secret(secret))
    session.add(row)
    session.flush()
    record_change(
        session,
        actor,
        "api_token",
        row.id,
        "create",
        {"owner": [None, owner.email], "name": [None, name]},
    )
    return row, secret


def revoke_token(*, session: Session, actor: User, owner_email: str, name: str) -> ApiToken:
    """Revoke the owner's token named `name` (administrators: anyone's; others: their own).

    Its next request is refused. NotFound when the owner has no such token not revoked.
    """
    owner = _owner(session, actor, owner_email, action="revoke_tokens_of_others")
    row = _active(session, owner, name.strip())
    if row is None:
        raise NotFound(f"{owner.email} has no token named {name.strip()!r} that is not revoked.")
    row.revoked_at = utcnow()
    session.add(row)
    record_change(
        session,
        actor,
        "api_token",
        row.id,
        "revoke",
        {"revoked_at": [None, row.revoked_at.isoformat()], "owner": owner.email, "name": row.name},
    )
    return row


def list_tokens(
    *, session: Session, actor: User, own_only: bool = False
) -> list[tuple[ApiToken, str]]:
    """Tokens with their owner's email, newest first: every user's for an administrator (unless
    `own_only`, as on the Account page), the actor's own for everyone else. Never the secrets
    (they are not kept)."""
    query = (
        select(ApiToken, User.email)
        .join(User, col(User.id) == col(ApiToken.user_id))
        .order_by(col(ApiToken.created_at).desc(), col(ApiToken.id).desc())
    )
    if own_only or not _is_admin(session, actor):
        query = query.where(col(ApiToken.user_id) == actor.id)
    return [(row, email) for row, email in session.exec(query).all()]


def token_owner(*, session: Session, secret: str) -> tuple[User, ApiToken]:
    """The active user a secret belongs to, and its token; NotAuthenticated otherwise."""
    found = session.exec(
        select(ApiToken, User)
        .join(User, col(User.id) == col(ApiToken.user_id))
        .where(col(ApiToken.token_hash) == hash_secret(secret))
    ).first()
    if found is None:
        raise NotAuthenticated("The API token is not known: create one on the Account page.")
    row, owner = found
    if row.revoked_at is not None:
        raise NotAuthenticated(f"The API token {row.name!r} was revoked: create a new one.")
    if not owner.active:
        raise NotAuthenticated(f"The API token's owner {owner.email} is deactivated.")
    return owner, row


def mark_used(*, session: Session, owner: User, token: ApiToken, today: date) -> bool:
    """Record the first use of `token` on `today` (once, also under concurrent requests: the
    conditional UPDATE lets one of them through). True when this call recorded it."""
    if token.last_used_on == today:
        return False
    table = ApiToken.__table__  # type: ignore[attr-defined]
    done = session.connection().execute(
        sa.update(table)
        .where(table.c.id == token.id)
        .where(sa.or_(table.c.last_used_on.is_(None), table.c.last_used_on < today))
        .values(last_used_on=today)
    )
    if done.rowcount != 1:
        return False
    record_change(
        session,
        owner,
        "api_token",
        token.id,
        "use",
        {"last_used_on": [_iso(token.last_used_on), today.isoformat()]},
    )
    return True


# --- internals -------------------------------------------------------------------------------


def _owner(session: Session, actor: User, owner_email: str, *, action: str) -> User:
    owner = user_by_email(session=session, email=owner_email)
    if owner is None or owner.id != actor.id:
        # Someone else's token (or a user that does not exist): administrators only, refused
        # and recorded for everyone else before saying whether the owner exists.
        require_admin(session=session, actor=actor, action=action, entity="api_token")
    if owner is None:
        raise NotFound(f"There is no user {owner_email.strip()}.")
    if not owner.active:
        raise PermissionDenied(f"{owner.email} is deactivated: a token would not work.")
    return owner


def _name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise InvalidInput("Name: give the token a name, e.g. the tool that uses it.")
    if len(name) > NAME_MAX:
        raise InvalidInput(f"Name: at most {NAME_MAX} characters, not {len(name)}.")
    return name


def _active(session: Session, owner: User, name: str) -> ApiToken | None:
    return session.exec(
        select(ApiToken).where(
            col(ApiToken.user_id) == owner.id,
            col(ApiToken.name) == name,
            col(ApiToken.revoked_at).is_(None),
        )
    ).first()


def _is_admin(session: Session, actor: User) -> bool:
    """Read from the database, not the caller's copy: a demotion counts at once."""
    row = session.exec(select(User.role, User.active).where(User.id == actor.id)).first()
    return row is not None and row[0] == Role.ADMIN and bool(row[1])


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None
