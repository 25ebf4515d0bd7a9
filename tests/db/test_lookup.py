"""`lookup.keyed_rows` finds exactly the rows a plain query finds, for few keys and for many."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from xchange.db.engine import write_session
from xchange.db.lookup import MANY, keyed_rows

SELECT = "SELECT id, name, created_at FROM person"


def people(engine: Engine, n: int) -> None:
    with write_session(engine) as session:
        session.connection().execute(
            sa.text("INSERT INTO person (name, created_at) VALUES (:name, CURRENT_TIMESTAMP)"),
            [{"name": f"Person {i:05d}"} for i in range(n)],
        )


def expected(engine: Engine, names: list[str]) -> set[tuple[int, str]]:
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT id, name FROM person")).all()
    return {(i, name) for i, name in rows if name in set(names)}


@pytest.mark.parametrize("wanted", [0, 1, 5, MANY - 1, MANY, 3 * MANY])
def test_text_keys_few_and_many(engine: Engine, wanted: int) -> None:
    people(engine, 3 * MANY + 10)
    # Every other key is one the table does not hold, and None is ignored.
    names = [f"Person {i:05d}" for i in range(0, 2 * wanted, 2)] + [
        f"Nobody {i}" for i in range(wanted)
    ]
    with write_session(engine) as session:
        rows = keyed_rows(session.connection(), SELECT, "name", [*names, None])
    assert {(int(i), name) for i, name, _at in rows} == expected(engine, names)


@pytest.mark.parametrize("wanted", [3, 2 * MANY])
def test_integer_keys_with_a_condition(engine: Engine, wanted: int) -> None:
    people(engine, 2 * MANY + 10)
    with engine.connect() as connection:
        ids = [int(i) for i in connection.execute(sa.text("SELECT id FROM person")).scalars()]
    chosen = ids[:wanted]
    with write_session(engine) as session:
        rows = keyed_rows(
            session.connection(),
            "SELECT id, name FROM person",
            "id",
            chosen,
            where="(id / 2) * 2 = id",
        )
        # The temporary table is emptied: a second look-up sees only its own keys.
        again = keyed_rows(session.connection(), "SELECT id, name FROM person", "id", chosen[:1])
    assert sorted(int(i) for i, _ in rows) == sorted(i for i in chosen if i % 2 == 0)
    assert [int(i) for i, _ in again] == chosen[:1]


@pytest.mark.parametrize("stored", [0, 10, MANY + 5])
def test_many_keys_in_a_small_table(engine: Engine, stored: int) -> None:
    # More keys than rows: the table is read whole and filtered, with the same answer.
    if stored:
        people(engine, stored)
    names = [f"Person {i:05d}" for i in range(0, 2 * MANY, 2)] + ["Nobody"]
    with write_session(engine) as session:
        rows = keyed_rows(
            session.connection(), SELECT, "name", names, where="name != 'Person 00004'"
        )
    wanted = expected(engine, names) - {(i, n) for i, n in expected(engine, ["Person 00004"])}
    assert {(int(i), name) for i, name, _at in rows} == wanted
