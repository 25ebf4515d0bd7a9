"""The audit trail is append-only in the database itself (migration 0005), on SQLite and
PostgreSQL: whatever sends the statement, an UPDATE or DELETE of an audit row is refused.

tests/register/test_privacy.py checks the other half: no code path in the package tries.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from xchange.db.engine import read_session, write_session
from xchange.models import AuditEvent


def _record(engine: Engine, action: str = "create") -> int:
    with write_session(engine) as session:
        event = AuditEvent(actor_label="test", entity="exchange", entity_id=1, action=action)
        session.add(event)
        session.flush()
        assert event.id is not None
        return event.id


def _trail(engine: Engine) -> list[tuple[int, str, str]]:
    with read_session(engine) as session:
        rows = session.exec(
            select(AuditEvent.id, AuditEvent.actor_label, AuditEvent.action).order_by(
                col(AuditEvent.id)
            )
        ).all()
    return [(int(i), label, action) for i, label, action in rows]


@pytest.mark.parametrize(
    "statement",
    [
        pytest.param("UPDATE audit_event SET action = 'tampered'", id="update"),
        pytest.param("UPDATE audit_event SET actor_label = 'someone else' WHERE id = 1", id="one"),
        pytest.param("DELETE FROM audit_event", id="delete"),
        pytest.param("DELETE FROM audit_event WHERE id = 1", id="delete-one"),
    ],
)
def test_raw_sql_cannot_change_or_remove_an_event(engine: Engine, statement: str) -> None:
    _record(engine)
    _record(engine, "update")
    before = _trail(engine)

    with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as connection:
        connection.exec_driver_sql(statement)

    assert _trail(engine) == before


def test_the_orm_cannot_change_or_remove_an_event(engine: Engine) -> None:
    event_id = _record(engine)
    before = _trail(engine)

    with pytest.raises(sa.exc.DBAPIError, match="append-only"), Session(engine) as session:
        event = session.get(AuditEvent, event_id)
        assert event is not None
        event.action = "tampered"
        session.commit()
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), Session(engine) as session:
        session.delete(session.get(AuditEvent, event_id))
        session.commit()

    assert _trail(engine) == before


def test_postgresql_refuses_truncate(pg_engine: Engine) -> None:
    _record(pg_engine)
    refused = pytest.raises(sa.exc.DBAPIError, match="append-only: TRUNCATE refused")
    with refused, pg_engine.begin() as connection:
        connection.exec_driver_sql("TRUNCATE audit_event")
    assert len(_trail(pg_engine)) == 1


def test_appending_still_works_after_a_refusal(engine: Engine) -> None:
    first = _record(engine)
    with pytest.raises(sa.exc.DBAPIError), engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM audit_event")
    second = _record(engine, "cancel")
    assert [(i, a) for i, _, a in _trail(engine)] == [(first, "create"), (second, "cancel")]
