"""Who may do what: the checks every service function makes before it writes.

The rules are role-based:

| role        | reads                  | writes                              | personal data |
|-------------|------------------------|-------------------------------------|---------------|
| admin       | everything             | everything                          | yes           |
| coordinator | their own partnerships | exchanges of their own partnerships | yes           |
| officer     | every partnership      | approve or return a quarter report  | no            |
| deactivated | nothing                | nothing                             | no            |

Approving and returning a submitted quarter report are the officers' only writes (and the
administrators'; `require_review`); a coordinator submits their own partnerships' quarters
(`require_write`), an administrator reopens an approved one (`require_admin`).

"Reads" are records (exchanges, organisations' recorded profiles, imports). KPI figures, the
programme's and every partnership's, are for every active user, as the dashboard shows them
(`require_kpi_read`): counts and shares name no record. Messages shown to a coordinator never
name another partnership's records nor an organisation's profile they may not read
(`rules.load_context` takes the reader's partnerships for that).

The actor's role and active flag are read again from the database at each check, so a user
deactivated or demoted while signed in loses their rights at once, even if a page still holds an
old `User` object.

A refused attempt is itself recorded (an `AuditEvent` with action `refused`) in a transaction of
its own, so that the caller's rollback, which follows the `PermissionDenied`, does not erase it.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import SessionTransaction
from sqlmodel import Session, select

from xchange.db.engine import with_retry, write_session
from xchange.errors import PermissionDenied
from xchange.models import AuditEvent, Partnership, Role, User, UserPartnership

log = logging.getLogger(__name__)

# The actor label of a refusal whose email matches no user.
UNKNOWN_EMAIL = "unknown email"
# Refusals waiting for the end of the caller's transaction, kept in `Session.info`.
_PENDING_KEY = "xchange.accounts.access.pending_refusals"

# How an entity reads in a sentence ("may not change exchanges").
_PLURALS = {
    "exchange": "exchanges",
    "partnership": "partnerships",
    "organisation": "organisations",
    "person": "people",
    "user": "users",
    "import_batch": "imports",
    "programme": "the programme settings",
}


def partnership_ids_writable(*, session: Session, actor: User) -> set[int] | None:
    """Ids of the partnerships `actor` may write for; None means all of them.

    Admins get None, coordinators the partnerships linked to them, officers and deactivated
    (or unknown) users an empty set.
    """
    standing = _standing(session, actor)
    if standing is None:
        return set()
    role, active = standing
    if not active:
        return set()
    if role == Role.ADMIN:
        return None
    if role == Role.COORDINATOR:
        return _own_partnership_ids(session, actor)
    # Officers, and any role this code does not know: fail closed.
    return set()


def partnership_ids_readable(*, session: Session, actor: User) -> set[int] | None:
    """Ids of the partnerships whose exchanges `actor` may see; None means all of them.

    Admins and officers (who follow every partnership) get None, coordinators their own
    partnerships, deactivated (or unknown) users an empty set.
    """
    standing = _standing(session, actor)
    if standing is None or not standing[1]:
        return set()
    if standing[0] in (Role.ADMIN, Role.OFFICER):
        return None
    if standing[0] == Role.COORDINATOR:
        return _own_partnership_ids(session, actor)
    return set()


def require_read(*, session: Session, actor: User, partnership_id: int) -> None:
    """Raise `PermissionDenied` unless `actor` may see partnership `partnership_id`'s records.

    Unlike a refused write, a refused read is not recorded: the audit trail is about changes.
    """
    readable = partnership_ids_readable(session=session, actor=actor)
    if readable is None or partnership_id in readable:
        return
    raise PermissionDenied(
        f"{actor.email} may not see partnership {_acronym(session, partnership_id)}: "
        "not one of their partnerships."
    )


def require_kpi_read(*, session: Session, actor: User) -> None:
    """Raise `PermissionDenied` unless `actor` is an active user: the one condition on reading
    KPI figures (programme and per partnership), for coordinators as for everyone else."""
    standing = _standing(session, actor)
    if standing is not None and standing[1]:
        return
    state = "unknown" if standing is None else "deactivated"
    raise PermissionDenied(f"{actor.email} may not read the KPIs: the account is {state}.")


def require_write(
    *,
    session: Session,
    actor: User,
    partnership_id: int,
    action: str,
    entity: str = "exchange",
    entity_id: int | None = None,
) -> None:
    """Raise `PermissionDenied` unless `actor` may write for partnership `partnership_id`.

    `action` names the attempted write ("create", "update", "cancel"...). A refusal raises
    with a sentence for the person, e.g. "officer@x.eu may not change exchanges: officers have
    read-only access.", and is recorded as an `AuditEvent` (action "refused", changes
    `{"attempted": action, "partnership_id": partnership_id}`) that survives the caller's
    rollback: see `record_refusal` for when exactly it is written.

    Call it first in a service function, before anything is written: it is the check that
    decides whether to write at all, and a refusal should leave the caller nothing to undo.
    """
    standing = _standing(session, actor)
    reason: str
    who = actor.email
    if standing is None:
        reason = f"{who} may not write: the account is unknown."
    else:
        role, active = standing
        if not active:
            reason = f"{who} may not write: the account is deactivated."
        elif role == Role.ADMIN:
            return
        elif role == Role.COORDINATOR:
            if partnership_id in _own_partnership_ids(session, actor):
                return
            reason = (
                f"{who} may not write for partnership {_acronym(session, partnership_id)}: "
                "not one of their partnerships."
            )
        elif role == Role.OFFICER:
            reason = f"{who} may not change {_plural(entity)}: officers have read-only access."
        else:
            reason = f"{who} may not write: the role {role!r} has no write access."
    record_refusal(
        session=session,
        # An id that is in no row would break the foreign key and lose the record.
        actor_id=None if standing is None else actor.id,
        actor_label=actor.email,
        entity=entity,
        entity_id=entity_id,
        changes={"attempted": action, "partnership_id": partnership_id},
    )
    raise PermissionDenied(reason)


def require_review(
    *, session: Session, actor: User, partnership_id: int, action: str, entity_id: int | None
) -> None:
    """Raise `PermissionDenied` unless `actor` may approve or return a quarter report: an
    active officer or administrator. `action` is "approve_quarter" or "return_quarter"; a
    refusal is recorded as `require_write`'s are (entity "quarter_report")."""
    standing = _standing(session, actor)
    if standing is not None and standing[1] and standing[0] in (Role.OFFICER, Role.ADMIN):
        return
    what = action.replace("_", " ")
    if standing is None:
        reason = f"{actor.email} may not {what}: the account is unknown."
    elif not standing[1]:
        reason = f"{actor.email} may not {what}: the account is deactivated."
    else:
        reason = f"{actor.email} may not {what}: only officers and administrators may."
    record_refusal(
        session=session,
        actor_id=None if standing is None else actor.id,
        actor_label=actor.email,
        entity="quarter_report",
        entity_id=entity_id,
        changes={"attempted": action, "partnership_id": partnership_id},
    )
    raise PermissionDenied(reason)


def require_admin(
    *,
    session: Session,
    actor: User,
    action: str,
    entity: str = "programme",
    entity_id: int | None = None,
) -> None:
    """Raise `PermissionDenied` unless `actor` is an active administrator.

    `action` names the attempt in snake case ("add_user", "set_password"...); it is recorded as
    `{"attempted": action}` on a refused `AuditEvent` about `entity` / `entity_id`, exactly as
    `require_write` does, and the same rule applies: call it before writing anything.
    """
    standing = _standing(session, actor)
    what = action.replace("_", " ")
    if standing is None:
        reason = f"{actor.email} may not {what}: the account is unknown."
    else:
        role, active = standing
        if not active:
            reason = f"{actor.email} may not {what}: the account is deactivated."
        elif role == Role.ADMIN:
            return
        else:
            reason = f"{actor.email} may not {what}: only administrators may."
    record_refusal(
        session=session,
        actor_id=None if standing is None else actor.id,
        actor_label=actor.email,
        entity=entity,
        entity_id=entity_id,
        changes={"attempted": action},
    )
    raise PermissionDenied(reason)


def acting_user(*, session: Session, email: str, action: str) -> User:
    """The stored, active user with `email`, who is about to do `action`; else PermissionDenied.

    For callers that name the actor by email (the CLI's `--user`). A refusal is recorded like a
    refused write (`{"attempted": action}` on entity "command"); an email that matches no user is
    recorded as "unknown email", never as given, since what was typed may be anything.
    """
    user = session.exec(select(User).where(User.email == email)).first()
    if user is not None and user.active:
        return user
    record_refusal(
        session=session,
        actor_id=None if user is None else user.id,
        actor_label=UNKNOWN_EMAIL if user is None else user.email,
        entity="command",
        entity_id=None,
        changes={"attempted": action},
    )
    if user is None:
        raise PermissionDenied(f"There is no user {email}: add one with `xchange user add`")
    raise PermissionDenied(f"User {email} is deactivated")


def can_see_personal_data(actor: User) -> bool:
    """True when `actor` may see representatives' names and contacts.

    Role-based on purpose: active admins and coordinators yes, officers (and deactivated users)
    no. A coordinator sees the names of other partnerships' representatives too: pages that
    must restrict further filter by `partnership_ids_writable`. Reads the `User` as given,
    without a database round trip, since pages call it for every table they render.
    """
    return bool(actor.active) and actor.role in (Role.ADMIN, Role.COORDINATOR)


def record_refusal(
    *,
    session: Session,
    actor_id: int | None,
    actor_label: str,
    entity: str,
    entity_id: int | None,
    changes: dict[str, Any],
) -> None:
    """Record a refused attempt in a transaction of its own, apart from the caller's.

    The row is an `AuditEvent` with action "refused"; `actor_id` must be a stored user or None.

    When `session` has no transaction open, the row is written and committed at once. When it
    has one (the usual case: the check itself read through it), the row is written as soon as
    that transaction ends, whether it commits or rolls back. Writing it at once on a separate
    connection instead could wait forever: on SQLite the caller's transaction may hold the only
    write lock (`write_session` takes it with the first statement, a read included), and with an
    in-memory database both would share one connection. Either way the row is written by a
    fresh session on the same engine, with `with_retry`, and a rollback of the caller's work
    never takes it away.
    """
    values: dict[str, Any] = {
        "actor_id": actor_id,
        "actor_label": actor_label[:320],
        "entity": entity,
        "entity_id": entity_id,
        "action": "refused",
        "changes": dict(changes),
    }
    engine = engine_of(session)
    if not session.in_transaction():
        _write_events(engine, [values])
        return
    session.info.setdefault(_PENDING_KEY, []).append((engine, values))
    if not event.contains(session, "after_transaction_end", _write_pending):
        event.listen(session, "after_transaction_end", _write_pending)


def engine_of(session: Session) -> Engine:
    """The engine behind `session` (also when it is bound to a connection)."""
    bind = session.get_bind()
    return bind.engine if isinstance(bind, sa.Connection) else bind


# --- internals -------------------------------------------------------------------------------


def _standing(session: Session, actor: User) -> tuple[str, bool] | None:
    """The actor's role and active flag as stored now, or None for a user not in the database."""
    if actor.id is None:
        return None
    # Columns, not the entity: the caller's copy of the User is left as it is.
    row = session.exec(select(User.role, User.active).where(User.id == actor.id)).first()
    if row is None:
        return None
    return row[0], bool(row[1])


def _own_partnership_ids(session: Session, actor: User) -> set[int]:
    rows = session.exec(
        select(UserPartnership.partnership_id).where(UserPartnership.user_id == actor.id)
    ).all()
    return set(rows)


def _acronym(session: Session, partnership_id: int) -> str:
    acronym = session.exec(
        select(Partnership.acronym).where(Partnership.id == partnership_id)
    ).first()
    return acronym if acronym is not None else f"#{partnership_id}"


def _plural(entity: str) -> str:
    return _PLURALS.get(entity, f"{entity.replace('_', ' ')} records")


def _write_events(engine: Engine, rows: list[dict[str, Any]]) -> None:
    def work() -> None:
        with write_session(engine) as apart:
            apart.add_all(AuditEvent(**values) for values in rows)

    with_retry(work)


def _write_pending(session: Session, transaction: SessionTransaction) -> None:
    """Session hook: once the caller's outermost transaction has ended, write its refusals."""
    if transaction.parent is not None:  # a savepoint ended; the transaction goes on
        return
    pending: list[tuple[Engine, dict[str, Any]]] = session.info.pop(_PENDING_KEY, [])
    for engine in {engine for engine, _ in pending}:
        rows = [values for bound, values in pending if bound is engine]
        try:
            _write_events(engine, rows)
        except Exception:
            # Raising here would come out of the caller's commit or rollback and hide the
            # PermissionDenied it is handling; the log keeps the failure visible.
            log.exception("could not record %d refused attempt(s)", len(rows))
