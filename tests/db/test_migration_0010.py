"""Migration 0010 on both databases: snapshots stored before it become revision 1 ("as
reported") with their figures as they were, a new revision goes in beside them, and the way back
keeps the first revision of each quarter."""

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

SCHEMA = "xchange_test_0010"


@pytest.fixture
def at_0007(engine: Engine, tmp_path: Path) -> Iterator[Engine]:
    """A new database of `engine`'s kind, at revision 0007."""
    if engine.dialect.name == "sqlite":
        url, schema = f"sqlite:///{tmp_path / 'old.db'}", None
    else:
        schema = SCHEMA
        with engine.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        url = engine.url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False
        )
    old = make_engine(url)
    _run(old, command.upgrade, "0007")
    try:
        yield old
    finally:
        old.dispose()
        if schema is not None:
            with engine.begin() as connection:
                connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _run(engine: Engine, step: object, revision: str) -> None:
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        step(config, revision)  # type: ignore[operator]


def _snapshots(engine: Engine) -> list[tuple[object, ...]]:
    with engine.connect() as connection:
        columns = "quarter, scope, figures" + (
            ", revision" if "revision" in _columns(connection) else ""
        )
        rows = connection.exec_driver_sql(f"SELECT {columns} FROM kpi_snapshot ORDER BY id")  # noqa: S608 (fixed names)
        return [tuple(r) for r in rows]


def _json(value: object) -> object:
    """JSON as the driver returns it: parsed (PostgreSQL) or text (SQLite)."""
    return json.loads(value) if isinstance(value, str) else value


def _columns(connection: sa.Connection) -> set[str]:
    return {c["name"] for c in sa.inspect(connection).get_columns("kpi_snapshot")}


def test_stored_snapshots_become_the_first_revision(at_0007: Engine) -> None:
    taken = datetime(2026, 10, 2, 9, 0, tzinfo=UTC)
    table = sa.table(
        "kpi_snapshot",
        sa.column("quarter"),
        sa.column("scope"),
        sa.column("taken_at", sa.DateTime(timezone=True)),
        sa.column("figures", sa.JSON),
    )
    with at_0007.begin() as connection:
        connection.execute(
            table.insert(),
            [
                {
                    "quarter": "2026Q3",
                    "scope": "programme",
                    "taken_at": taken,
                    "figures": {"counted": 2},
                },
                {
                    "quarter": "2026Q3",
                    "scope": "GTEX",
                    "taken_at": taken,
                    "figures": {"counted": 1},
                },
            ],
        )
    _run(at_0007, command.upgrade, "0010")
    assert [(q, s, _json(f), r) for q, s, f, r in _snapshots(at_0007)] == [
        ("2026Q3", "programme", {"counted": 2}, 1),
        ("2026Q3", "GTEX", {"counted": 1}, 1),
    ]
    # A second revision goes in beside the first, its id after the rows copied over.
    with at_0007.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO kpi_snapshot (quarter, scope, revision, taken_at, figures, pack) "
            "VALUES ('2026Q3', 'programme', 2, CURRENT_TIMESTAMP, '{\"counted\": 3}', '{}')"
        )
        ids = [r[0] for r in connection.exec_driver_sql("SELECT id FROM kpi_snapshot ORDER BY id")]
    assert ids == sorted(set(ids)) and len(ids) == 3
    _run(at_0007, command.downgrade, "0007")
    assert [(q, s) for q, s, _ in _snapshots(at_0007)] == [
        ("2026Q3", "programme"),
        ("2026Q3", "GTEX"),
    ]
