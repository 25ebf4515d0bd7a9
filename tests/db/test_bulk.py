"""Bulk inserts through the driver (`xchange.db.bulk`): rows and per-load constants land as given."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy.engine import Engine

from xchange.db import bulk
from xchange.db import engine as db


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


def test_a_large_sqlite_load_is_staged_and_lands_like_a_small_one(
    sqlite_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The same organisations, once through the driver row by row and once staged through
    # Arrow: the stored rows are equal, blanks included, and the staging file is gone.
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    n = bulk.STAGE_MIN_ROWS
    columns: dict[str, bulk.Column] = {
        "name": pd.Series([f"Org {i}" for i in range(n)], dtype="string[pyarrow]"),
        "name_key": np.array([f"org {i}" for i in range(n)], dtype=object),
        "type": ["sme"] * n,
        "country": pd.Series(["GR", "IT"] * (n // 2)),
        "is_sme": pd.Series([True, False] * (n // 2)),
        "size_class": pd.Series([None, "micro"] * (n // 2), dtype=object),
    }
    stamp = {"created_at": "2026-12-04 10:00:00.000000"}
    query = (
        "SELECT id, name, name_key, type, country, is_sme, size_class, created_at "
        "FROM organisation ORDER BY id"
    )
    with db.write_session(sqlite_engine) as session:
        connection = session.connection()
        small = {"id": range(1, 101), **{name: column[:100] for name, column in columns.items()}}
        bulk.insert_columns(connection, "organisation", small, stamp)
        by_rows = connection.exec_driver_sql(query).all()
        connection.exec_driver_sql("DELETE FROM organisation")
        bulk.insert_columns(connection, "organisation", {"id": range(1, n + 1), **columns}, stamp)
        assert connection.connection.info[bulk.STAGES] == ["bulk_stage_0"]
    with sqlite_engine.connect() as connection:
        staged = connection.exec_driver_sql(query).all()
        schemas = [row[1] for row in connection.exec_driver_sql("PRAGMA database_list")]
    assert len(staged) == n and staged[:100] == by_rows
    last = (n, f"Org {n - 1}", f"org {n - 1}", "sme", "IT", 0, "micro", stamp["created_at"])
    assert staged[-1] == last
    assert schemas == ["main"]  # detached when the connection went back to the pool
    assert list(scratch.iterdir()) == []


@pytest.mark.parametrize("as_arrow", [False, True], ids=["columns", "arrow table"])
@pytest.mark.parametrize("parts", [1, 2, 3])
def test_rows_staged_in_parts_land_in_their_order(
    sqlite_engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    parts: int,
    as_arrow: bool,
) -> None:
    # 1,001 rows in 1 to 3 files written at once: every row, in order, and no file left.
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    n = 1_001
    columns: dict[str, bulk.Column] = {
        "id": range(1, n + 1),
        "name": [f"Person {i}" for i in range(n)],
    }
    staged = bulk.stage_columns(bulk.arrow_table(columns) if as_arrow else columns, parts=parts)
    assert staged.columns == ("id", "name")
    assert len(staged.paths) == parts and all(path.exists() for path in staged.paths)
    with db.write_session(sqlite_engine) as session:
        connection = session.connection()
        bulk.insert_columns(connection, "person", staged, {"created_at": "2026-12-04 10:00:00"})
        stored = connection.exec_driver_sql("SELECT id, name FROM person ORDER BY rowid").all()
    assert stored == [(i + 1, f"Person {i}") for i in range(n)]
    assert list(scratch.iterdir()) == []
