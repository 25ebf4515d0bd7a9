"""Record versions: a write that read version N goes through only if the record is still at N.

    changes["version"] = bump_version(session, Partnership, 3, expected_version=4) or stale()

Used for partnerships, the programme and users (exchanges have their own, with their values in
the same statement). What changed meanwhile is read back from the audit trail (`stale_changes`),
since every versioned write records `{"version": [old, new]}` with its other changes.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col, select

from xchange.models import AuditEvent


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
