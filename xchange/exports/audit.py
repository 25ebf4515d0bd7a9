"""The audit trail out: every recorded write (and refused attempt) of a period, as CSV.

The trail is append-only: the package adds `AuditEvent` rows and never updates or deletes one
(tests/register/test_privacy.py scans the source to keep it so).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from xchange.accounts import access
from xchange.exports.exchanges import neutralise
from xchange.models import AuditEvent, User

COLUMNS = ("at", "actor", "entity", "entity_id", "action", "changes")


def events_between(
    *, session: Session, actor: User, date_from: date, date_to: date
) -> list[AuditEvent]:
    """Audit events recorded from `date_from` to `date_to` inclusive (UTC days), oldest first.

    Administrators only: the trail names every user by email.
    """
    access.require_admin(session=session, actor=actor, action="export_audit", entity="audit_event")
    if date_to < date_from:
        raise ValueError(f"The period ends ({date_to}) before it starts ({date_from})")
    start = datetime.combine(date_from, time.min, tzinfo=UTC)
    end = datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=UTC)
    query = (
        select(AuditEvent)
        .where(AuditEvent.at >= start, AuditEvent.at < end)
        .order_by(sa.column("at"), sa.column("id"))
    )
    return list(session.exec(query).all())


def audit_csv(events: list[AuditEvent]) -> bytes:
    """CSV (UTF-8 with BOM, for Excel): at (ISO, UTC), actor, entity, entity id, action, and
    the changes as JSON. A text that a spreadsheet would run as a formula (an email or a
    label starting with `=`, say) gets a leading apostrophe (`export.neutralise`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for event in events:
        at = event.at if event.at.utcoffset() is not None else event.at.replace(tzinfo=UTC)
        changes = json.dumps(event.changes, ensure_ascii=False, sort_keys=True)
        writer.writerow(
            [
                at.astimezone(UTC).isoformat(),
                neutralise(event.actor_label),
                neutralise(event.entity),
                "" if event.entity_id is None else event.entity_id,
                neutralise(event.action),
                neutralise(changes),
            ]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
