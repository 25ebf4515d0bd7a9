"""What an undo takes away besides exchanges: the organisations and people its import created.

An import records the ids of the organisations and people it created on its batch's audit
event, as ranges (`import_writer.id_ranges`: one or a few ranges, since each import reserves its ids in one
go). Undoing it removes those that no row refers to any more, each with an audit event of its
own: an organisation with the values it held, a person by id alone (the trail never names
people: see `privacy`). One still in use (a record saved since picked it) stays.

`lock_rows` is the row lock an undo takes before it reads what it changes (PostgreSQL).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlmodel import SQLModel

from xchange.db.engine import is_sqlite
from xchange.imports.plan import AUDIT, chunks
from xchange.imports.write import CREATED_KEYS, insert_events
from xchange.models import User

# From this many rows removed, the columns referring to them are indexed first (`_children_indexed`).
_INDEX_FROM = 20
# What the trail keeps of a removed row, by table ("id" alone for a person).
_KEPT = {"organisation": ("name", "type", "country", "is_sme", "size_class"), "person": ("id",)}


def lock_rows(connection: sa.Connection, table: str, ids: list[int]) -> None:
    """Lock rows `ids` of `table` until the transaction ends (PostgreSQL `FOR UPDATE`, in id
    order, so two lockers of overlapping rows queue instead of deadlocking). SQLite's write
    transaction holds the whole database already."""
    if is_sqlite(connection) or not ids:
        return
    column = SQLModel.metadata.tables[table].c.id
    for chunk in chunks(sorted(ids)):
        connection.execute(
            sa.select(column).where(column.in_(chunk)).order_by(column).with_for_update()
        ).all()


def remove_unused_created(
    connection: sa.Connection, batch_id: int, actor: User, stamp: str
) -> dict[str, int]:
    """Delete the organisations and people import `batch_id` created that no row refers to
    now, auditing each; how many of each: `{"organisations_removed": 2, "people_removed": 1}`.
    Call it once the undo has deleted and restored the batch's exchanges."""
    changes = connection.execute(
        sa.select(AUDIT.c.changes)
        .where(AUDIT.c.entity == "import_batch", AUDIT.c.entity_id == batch_id)
        .where(AUDIT.c.action == "import")
    ).scalar()
    counts = {}
    for table, key in CREATED_KEYS.items():
        ranges = (changes or {}).get(key) or []  # imports older than this record none
        candidates = [i for first, last in ranges for i in range(first, last + 1)]
        lock_rows(connection, table, candidates)  # a writer about to use one waits, or we do
        unused = sorted(set(candidates) - _in_use(connection, table, ranges))
        with _children_indexed(connection, table, len(unused)):
            removed = _delete(connection, table, unused)
        events = [
            (int(values["id"]), "undo_import", json.dumps(_as_removed(table, values)))
            for values in removed
        ]
        insert_events(connection, events, actor, batch_id, stamp, entity=table)
        counts[f"{'organisations' if table == 'organisation' else 'people'}_removed"] = len(events)
    return counts


def _in_use(connection: sa.Connection, table: str, ranges: list[list[int]]) -> set[int]:
    """Ids within `ranges` that a row of any table refers to (every foreign key to `table`).

    One pass per referring column over the span of the ranges: the columns are not all
    indexed, and one scan is cheaper than one per id.
    """
    if not ranges:
        return set()
    low, high = ranges[0][0], ranges[-1][1]
    used: set[int] = set()
    for referring in SQLModel.metadata.tables.values():
        for key in referring.foreign_keys:
            if key.column.table.name == table:
                column = key.parent
                found = connection.execute(
                    sa.select(column).distinct().where(column.between(low, high))
                ).scalars()
                used.update(int(i) for i in found)
    return used


@contextmanager
def _children_indexed(connection: sa.Connection, table: str, rows: int) -> Iterator[None]:
    """Index, for deleting `rows` rows of `table`, each column referring to it that no index
    leads with, and drop those indexes again at the end (inside the transaction, so a failure
    rolls them back too).

    Deleting a row makes the database look up the rows referring to it (the foreign key's
    check, or its SET NULL); with no index that is a scan of the referring table per row
    deleted: 3,000 organisations of a register of 33,000 exchanges took 10 s (SQLite) and
    16 s (PostgreSQL) instead of a tenth of that. A few rows are cheaper scanned.
    """
    made = []
    if rows >= _INDEX_FROM:
        for referring in SQLModel.metadata.tables.values():
            led = {
                index.columns[0].name
                for index in referring.indexes
                if all(
                    value is None for key, value in index.kwargs.items() if key.endswith("_where")
                )
            }
            for key in referring.foreign_keys:
                column = key.parent.name
                if key.column.table.name == table and column not in led:
                    name = f"tmp_undo_{referring.name}_{column}"
                    connection.exec_driver_sql(
                        f"CREATE INDEX {name} ON {referring.name} ({column})"
                    )
                    made.append(name)
    yield
    for name in made:
        connection.exec_driver_sql(f"DROP INDEX {name}")


def _delete(connection: sa.Connection, table: str, ids: list[int]) -> list[dict[str, Any]]:
    """Delete rows `ids` of `table`; the values each held (`_KEPT`)."""
    rows = SQLModel.metadata.tables[table]
    kept = [rows.c[name] for name in dict.fromkeys(("id", *_KEPT[table]))]
    removed: list[dict[str, Any]] = []
    for chunk in chunks(ids):
        result = connection.execute(sa.delete(rows).where(rows.c.id.in_(chunk)).returning(*kept))
        removed += [dict(row._mapping) for row in result]
    return sorted(removed, key=lambda values: int(values["id"]))


def _as_removed(table: str, values: dict[str, Any]) -> dict[str, list[Any]]:
    """`[value, null]` for each value the trail keeps of a removed row."""
    return {
        name: [bool(values[name]) if name == "is_sme" else values[name], None]
        for name in _KEPT[table]
        if values.get(name) is not None
    }
