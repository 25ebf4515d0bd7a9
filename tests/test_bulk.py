"""Bulk inserts through the driver (`xchange.bulk`): rows and per-load constants land as given."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from xchange import bulk, db


def test_rows_and_constants_of_every_kind_are_written_as_given(engine: Engine) -> None:
    # More rows than one multi-row statement holds, so both statement shapes run.
    names = [f"Person {i}" for i in range(1_500)]
    with db.write_session(engine) as session:
        connection = session.connection()
        first = bulk.next_id(connection, "person")
        rows = ((first + i, name) for i, name in enumerate(names))
        # Timestamps as each database's column stores them (see `bulk.timestamp_texts`).
        stamp = "2026-12-04 10:00:00" + (".000000" if db.is_sqlite(engine) else "+00")
        constants = {"created_at": stamp}
        bulk.insert_rows(connection, "person", ("id", "name"), rows, constants)
        bulk.sync_id_sequence(connection, "person")
    with engine.connect() as connection:
        stored = connection.exec_driver_sql("SELECT name, created_at FROM person ORDER BY id").all()
    assert [name for name, _ in stored] == names
    assert {str(at)[:19] for _, at in stored} == {"2026-12-04 10:00:00"}


def test_a_text_constant_keeps_its_quotes(sqlite_engine: Engine) -> None:
    with db.write_session(sqlite_engine) as session:
        connection = session.connection()
        bulk.insert_rows(
            connection,
            "person",
            ("id",),
            [(1,), (2,)],
            {"name": "O'Brien; DROP TABLE person --", "created_at": "2026-12-04 10:00:00.000000"},
        )
    with sqlite_engine.connect() as connection:
        names = connection.exec_driver_sql("SELECT name FROM person").scalars().all()
    assert names == ["O'Brien; DROP TABLE person --"] * 2


def test_constants_must_be_integers_text_or_null(sqlite_engine: Engine) -> None:
    with db.write_session(sqlite_engine) as session, pytest.raises(TypeError):
        bulk.insert_rows(session.connection(), "person", ("id",), [(1,)], {"name": 1.5})  # type: ignore[dict-item]
