"""Record versions and their audit trail: the one helper for every versioned record.

    check_version(session, partnership, 4, entity="partnership", what="Partnership GTEX")
    changes["version"] = next_version(session, partnership, 4, entity="partnership", what=...)
    record_change(session, actor, "partnership", partnership.id, "update", changes)

A write that read version N goes through only if the record is still at N (`next_version`, one
statement with the check), else `StaleRecord` saying what changed meanwhile, read back from the
audit trail (`stale_changes`): every versioned write records `{"version": [old, new]}` with its
other changes. The same trail answers what a record looked like at a moment (`as_it_stood`) and
what changed after it (`changes_after`). Used for partnerships, the programme, users and
exchanges.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col, select

from xchange.errors import StaleRecord
from xchange.models import AuditEvent, User


class Versioned(Protocol):
    """A record with an id and a version (a partnership, the programme, a user, an exchange)."""

    id: int | None
    version: int


def record_change(
    session: Session,
    actor: User,
    entity: str,
    entity_id: int | None,
    action: str,
    changes: dict[str, Any],
    *,
    import_batch_id: int | None = None,
    at: datetime | None = None,
) -> None:
    """Add an `AuditEvent`: `changes` maps each field to `[old, new]` (JSON values); `at` is
    now unless given (the trail is append-only: an event's moment is set once)."""
    event = AuditEvent(
        actor_id=actor.id,
        actor_label=actor.email,
        entity=entity,
        entity_id=entity_id,
        action=action,
        changes=changes,
        import_batch_id=import_batch_id,
    )
    if at is not None:
        event.at = at
    session.add(event)


def check_version(
    session: Session,
    record: Versioned,
    expected_version: int,
    *,
    entity: str,
    what: str,
    plural: bool = False,
) -> None:
    """Refuse early, before validating, a write that read an older version (`StaleRecord`)."""
    if record.version != expected_version:
        raise stale_record(
            session, record, expected_version, entity=entity, what=what, plural=plural
        )


def next_version(
    session: Session,
    record: Versioned,
    expected_version: int,
    *,
    entity: str,
    what: str,
    plural: bool = False,
) -> list[int]:
    """Move `record` to its next version if it is still at `expected_version` (`bump_version`):
    the audit pair `[old, new]`; `StaleRecord` when another writer got there first."""
    assert record.id is not None
    bumped = bump_version(session, type(record), record.id, expected_version)  # type: ignore[arg-type]
    if bumped is None:
        raise stale_record(
            session, record, expected_version, entity=entity, what=what, plural=plural
        )
    record.version = expected_version + 1
    return bumped


def stale_record(
    session: Session,
    record: Versioned,
    expected_version: int,
    *,
    entity: str,
    what: str,
    plural: bool = False,
) -> StaleRecord:
    """`StaleRecord`: "`what` was changed by someone else since you opened it (fields)...";
    `plural` for a name like "The programme settings" (were... them)."""
    assert record.id is not None
    changes = stale_changes(session, entity, record.id, expected_version)
    fields = ", ".join(name.replace("_", " ") for name in sorted(changes)) or "its version"
    was, it = ("were", "them") if plural else ("was", "it")
    return StaleRecord(
        f"{what} {was} changed by someone else since you opened {it} ({fields}); nothing was "
        f"saved. Reload {it} and apply your change again.",
        changes,
    )


def bump_version(
    session: Session, model: type[SQLModel], record_id: int, expected_version: int
) -> list[int] | None:
    """Move the record to the next version if it is still at `expected_version`: the audit
    pair `[old, new]`, or None when it is not (the caller raises `StaleRecord`).

    The check and the bump are one statement, so of two writers that both read version N only
    one succeeds: on PostgreSQL the second waits for the first's row lock, then finds version
    N + 1 and matches no row; on SQLite writers take turns.
    """
    table: Any = model
    bumped = session.execute(
        sa.update(table)
        .where(table.id == record_id, table.version == expected_version)
        .values(version=expected_version + 1)
        .execution_options(synchronize_session=False)
    )
    if bumped.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return [expected_version, expected_version + 1]


def stale_changes(
    session: Session, entity: str, entity_id: int, expected_version: int
) -> dict[str, list[object]]:
    """Each field changed since `expected_version`, as `[value then, value now]`, read from
    the audit trail (the events whose `version` change went past it)."""
    events = session.exec(
        select(AuditEvent)
        .where(AuditEvent.entity == entity, AuditEvent.entity_id == entity_id)
        .order_by(col(AuditEvent.id))
    ).all()
    changes: dict[str, list[object]] = {}
    for event in events:
        version = event.changes.get("version", [None, None])
        newer = isinstance(version, list) and isinstance(version[-1], int)
        if newer and version[-1] > expected_version:
            for name, pair in event.changes.items():
                if name != "version" and isinstance(pair, list) and len(pair) == 2:
                    changes[name] = [changes.get(name, pair)[0], pair[1]]
    return changes


def changes_after(
    session: Session, entity: str, entity_id: int, moment: datetime
) -> list[AuditEvent]:
    """The audit events of one record after `moment`, oldest first: what changed after it."""
    return list(
        session.exec(
            select(AuditEvent)
            .where(
                AuditEvent.entity == entity,
                AuditEvent.entity_id == entity_id,
                col(AuditEvent.at) > moment,
            )
            .order_by(col(AuditEvent.at), col(AuditEvent.id))
        ).all()
    )


def as_it_stood(
    session: Session, entity: str, entity_id: int, moment: datetime, now: dict[str, Any]
) -> dict[str, Any]:
    """The audited fields of a record as they stood at `moment`, from its fields `now`: each
    change after `moment` is undone, newest first (a field never changed keeps its value)."""
    fields = dict(now)
    for event in reversed(changes_after(session, entity, entity_id, moment)):
        for name, pair in event.changes.items():
            if isinstance(pair, list) and len(pair) == 2:
                fields[name] = pair[0]
    return fields
