"""Writing very many rows fast, through the database driver rather than the ORM.

The ORM builds an object per row and a statement per flush: fine for a form, far too slow for a
million demo exchanges. Here rows go as plain tuples of already-converted values: `executemany`
on SQLite (one prepared statement, one transaction) and `COPY ... FROM STDIN` on PostgreSQL.
`insert_columns` takes columns instead; on SQLite a large load goes through Arrow into a scratch
file (the ADBC driver binds values in C), attached and copied in with one INSERT ... SELECT.
Values must be what the column stores: dates and timestamps as text from `date_texts` and
`timestamp_texts` (the same spellings SQLAlchemy writes), booleans as `bool`, `None` for NULL.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from xchange.db.engine import STAGES, is_sqlite

# One column of a bulk load (see `insert_columns`).
Column = Sequence[Any] | npt.NDArray[Any] | pd.Series

# A larger page cache (negative: KiB) keeps SQLite's B-trees in memory while a million rows go
# in; the connection's own value is put back afterwards.
_SQLITE_LOAD_CACHE_KIB = 2 * 1024 * 1024
# Bound parameters per multi-row statement, at most (the build's own limit may be lower).
_SQLITE_MAX_PARAMETERS = 16_384
# From this many rows on, an SQLite load is staged through Arrow (see `_staged_insert`).
STAGE_MIN_ROWS = 5_000


def date_texts(days: npt.NDArray[np.datetime64]) -> list[str | None]:
    """`2025-03-14` for each day (NaT: None), as both SQLite and PostgreSQL read a DATE."""
    # A million dates hold a few hundred distinct days: spell each once.
    distinct, inverse = np.unique(days.astype("datetime64[D]"), return_inverse=True)
    spelt = np.datetime_as_string(distinct, unit="D").astype(object)
    spelt[np.isnat(distinct)] = None
    result: list[str | None] = spelt[inverse.reshape(-1)].tolist()
    return result


def timestamp_texts(moments: npt.NDArray[np.datetime64], *, sqlite: bool) -> list[str | None]:
    """UTC timestamps in the spelling the database's timestamp column stores.

    SQLite: `2025-03-14 09:30:00.000000`, as SQLAlchemy writes a DateTime there (no zone, UTC
    by convention). PostgreSQL: `2025-03-14 09:30:00+00`, explicit UTC for `timestamptz`.
    """
    if not len(moments):
        return []  # np.strings.replace fails on an empty array (numpy 2.4)
    suffix = ".000000" if sqlite else "+00"
    texts = np.datetime_as_string(moments.astype("datetime64[s]"), unit="s")
    spelt = np.strings.add(np.strings.replace(texts, "T", " "), suffix).astype(object)
    spelt[np.isnat(moments)] = None
    result: list[str | None] = spelt.tolist()
    return result


def insert_rows(
    connection: sa.Connection,
    table: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    constants: Mapping[str, int | str | None] | None = None,
) -> None:
    """Insert `rows` (tuples in the order of `columns`) into `table`, inside `connection`'s
    transaction. `constants` (integers, text or NULL) go into every row without being bound
    for each one. Explicit ids are allowed; call `sync_id_sequence` afterwards on PostgreSQL.
    """
    constants = dict(constants or {})
    if any(value is not None and not isinstance(value, int | str) for value in constants.values()):
        raise TypeError("bulk constants must be integers, text or None")
    names = ", ".join([*columns, *constants])
    driver = connection.connection.driver_connection
    if driver is None:
        raise RuntimeError("the connection has no driver connection")
    if is_sqlite(connection):
        head = f"INSERT INTO {table} ({names}) VALUES "  # noqa: S608 (names are ours)
        literals = [_sqlite_literal(value) for value in constants.values()]
        _sqlite_insert(driver, head, len(columns), literals, rows)
        return
    tail = tuple(constants.values())
    with driver.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row((*row, *tail))


def stages(connection: sa.Connection, rows: int) -> bool:
    """True when `insert_columns` would stage `rows` rows through Arrow on this connection."""
    return is_sqlite(connection) and rows >= STAGE_MIN_ROWS


def insert_columns(
    connection: sa.Connection,
    table: str,
    columns: Mapping[str, Column] | Staged,
    constants: Mapping[str, int | str | None] | None = None,
) -> None:
    """Insert rows given column by column (`columns`: name -> values, all of one length, as a
    list, a NumPy array or a pandas Series; blanks None, NaN or NA; or already `stage_columns`'
    result) into `table`, inside `connection`'s transaction; `constants` as for `insert_rows`.

    On SQLite a large load is staged through Arrow: binding values one by one through the
    `sqlite3` module costs more than SQLite's own work of storing them.
    """
    constants = dict(constants or {})
    if isinstance(columns, Staged):
        insert_staged(connection, table, columns, constants)
        return
    rows = len(next(iter(columns.values()), ()))
    if stages(connection, rows):
        insert_staged(connection, table, stage_columns(columns), constants)
        return
    values = [_python_values(column) for column in columns.values()]
    insert_rows(connection, table, tuple(columns), zip(*values, strict=True), constants)


def _python_values(column: Column) -> Sequence[Any]:
    """Plain Python values, None for a blank, as the drivers bind them."""
    if not isinstance(column, pd.Series | np.ndarray):
        return column
    series = pd.Series(column, copy=False)
    values = series.to_numpy(dtype=object, copy=True)
    values[series.isna().to_numpy(dtype=bool)] = None
    result: list[Any] = values.tolist()
    return result


@dataclass(frozen=True)
class Staged:
    """Rows written to scratch SQLite files (table `rows` in each, in order), ready for
    `insert_columns`."""

    folder: Path
    columns: tuple[str, ...]
    parts: int = 1

    @property
    def paths(self) -> list[Path]:
        return [self.folder / f"stage-{part}.db" for part in range(self.parts)]

    def discard(self) -> None:
        """Remove the scratch files (idempotent; an attached file stays readable until
        detached)."""
        shutil.rmtree(self.folder, ignore_errors=True)


def arrow_table(columns: Mapping[str, Column]) -> pa.Table:
    """The columns as one Arrow table, as `stage_columns` writes them."""
    return pa.table({name: _arrow(values) for name, values in columns.items()})


def stage_columns(columns: Mapping[str, Column] | pa.Table, *, parts: int = 1) -> Staged:
    """Write the columns (or their `arrow_table`) into scratch SQLite files with the ADBC
    driver: values bound in C, straight from Arrow arrays. Needs no connection of ours, so it
    may run on another thread while the import's connection writes something else. With
    `parts` > 1 the rows are split into that many files written at once on as many threads
    (the driver lets go of the interpreter lock while it binds and writes).
    """
    table = columns if isinstance(columns, pa.Table) else arrow_table(columns)
    names = tuple(table.column_names)
    staged = Staged(Path(tempfile.mkdtemp(prefix="xchange-stage-")), names, parts)
    size = -(-table.num_rows // parts)  # ceiling: the last part may be shorter
    slices = [table.slice(part * size, size) for part in range(parts)]
    try:
        if parts == 1:
            _ingest(staged.paths[0], slices[0])
        else:
            with ThreadPoolExecutor(max_workers=parts) as writers:
                list(writers.map(_ingest, staged.paths, slices))
    except BaseException:
        staged.discard()
        raise
    return staged


def _ingest(path: Path, rows: pa.Table) -> None:
    import adbc_driver_sqlite.dbapi as adbc

    with adbc.connect(str(path), autocommit=True) as stage, stage.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode=OFF")  # scratch data: nothing to recover
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.adbc_ingest("rows", rows, mode="create")


def insert_staged(
    connection: sa.Connection,
    table: str,
    staged: Staged,
    constants: Mapping[str, int | str | None] | None = None,
    *,
    on_conflict: str = "",
) -> None:
    """Attach the scratch file (SQLite) and copy its rows over with one INSERT ... SELECT;
    `on_conflict`: an `ON CONFLICT ...` clause for it (our own SQL), if any.

    The scratch file is removed at once: the attached database keeps it open until the
    connection returns to the pool, where the engine detaches it.
    """
    constants = dict(constants or {})
    try:
        schemas = [_attach(connection, path) for path in staged.paths]
    finally:
        staged.discard()
    names = ", ".join([*staged.columns, *constants])
    values = ", ".join([*staged.columns, *(_sqlite_literal(v) for v in constants.values())])
    for schema in schemas:
        # "WHERE true": without a WHERE, SQLite would read ON CONFLICT as a join's ON.
        connection.exec_driver_sql(
            f"INSERT INTO {table} ({names}) "  # noqa: S608 (names are ours, literals quoted)
            f"SELECT {values} FROM {schema}.rows WHERE true ORDER BY rowid {on_conflict}"
        )


def _arrow(values: Column) -> Any:
    """`values` as an Arrow array; a column of blanks alone as text (Arrow would call it null,
    which has no SQLite column type)."""
    array = pa.array(values, from_pandas=True)
    return array.cast(pa.string()) if pa.types.is_null(array.type) else array


def _attach(connection: sa.Connection, path: Path) -> str:
    """Attach the file at `path` to the connection under a new schema name; that name."""
    stages: list[str] = connection.connection.info.setdefault(STAGES, [])
    schema = f"bulk_stage_{len(stages)}"
    connection.exec_driver_sql(f"ATTACH DATABASE ? AS {schema}", (str(path),))
    stages.append(schema)
    return schema


def _sqlite_literal(value: int | str | None) -> str:
    """A constant as SQL text: NULL, an integer, or a quoted string (quotes doubled)."""
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return str(int(value))
    return "'" + value.replace("'", "''") + "'"


def _sqlite_insert(
    driver: Any, head: str, width: int, literals: list[str], rows: Iterable[Sequence[Any]]
) -> None:
    """`executemany` of a statement inserting a few hundred rows at once (a third faster than
    one row per statement: fewer statement resets and Python calls), then the leftover rows.
    """
    limit = min(driver.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER), _SQLITE_MAX_PARAMETERS)
    per_statement = max(1, limit // width)
    one = "(" + ", ".join(["?"] * width + literals) + ")"
    batch: list[Any] = []
    leftover: list[Sequence[Any]] = []

    def batches() -> Iterator[list[Any]]:
        nonlocal batch
        pending = 0
        for row in rows:
            batch.extend(row)
            pending += 1
            if pending == per_statement:
                yield batch
                batch, pending = [], 0
        # The last, shorter group goes through the one-row statement below.
        leftover.extend(batch[i : i + width] for i in range(0, len(batch), width))

    driver.executemany(head + ", ".join([one] * per_statement), batches())
    if leftover:
        driver.executemany(head + one, leftover)


def next_id(connection: sa.Connection, table: str) -> int:
    """The first free id of `table` (one more than the largest)."""
    largest = connection.exec_driver_sql(f"SELECT max(id) FROM {table}").scalar()  # noqa: S608
    return int(largest or 0) + 1


def sync_id_sequence(connection: sa.Connection, table: str) -> None:
    """On PostgreSQL, move `table`'s id sequence past the ids inserted explicitly; else nothing.

    Without this the next ORM insert would be handed an id that a bulk row already holds.
    """
    if is_sqlite(connection):
        return
    connection.exec_driver_sql(
        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
        f"(SELECT COALESCE(max(id), 0) + 1 FROM {table}), false)"
    )


@contextmanager
def fast_load(connection: sa.Connection, tables: Sequence[str]) -> Iterator[None]:
    """Inside a transaction: make bulk inserts into `tables` cheap, then restore everything.

    On SQLite the tables' named indexes are dropped and recreated from their own stored SQL
    afterwards (building an index once beats updating it row by row), and the page cache is
    enlarged meanwhile. Unique indexes are checked again when they are rebuilt, so a violation
    still fails the transaction. On PostgreSQL nothing changes: COPY is fast enough.
    """
    if not is_sqlite(connection):
        yield
        return
    indexes = [
        row
        for row in connection.exec_driver_sql(
            "SELECT tbl_name, name, sql FROM sqlite_master"
            " WHERE type = 'index' AND sql IS NOT NULL ORDER BY tbl_name, name"
        ).all()
        if row[0] in tables
    ]
    cache = int(connection.exec_driver_sql("PRAGMA cache_size").scalar() or -2000)
    threads = int(connection.exec_driver_sql("PRAGMA threads").scalar() or 0)
    connection.exec_driver_sql(f"PRAGMA cache_size = -{_SQLITE_LOAD_CACHE_KIB}")
    # Let SQLite sort with a helper thread while it rebuilds the indexes.
    connection.exec_driver_sql("PRAGMA threads = 2")
    try:
        for _table, name, _sql in indexes:
            connection.exec_driver_sql(f'DROP INDEX "{name}"')
        yield
        for _table, _name, sql in indexes:
            connection.exec_driver_sql(sql)
    finally:
        # On failure the transaction is doomed, and its rollback brings the indexes back.
        connection.exec_driver_sql(f"PRAGMA cache_size = {cache}")
        connection.exec_driver_sql(f"PRAGMA threads = {threads}")


def vacuum_analyze(engine: Engine, tables: Sequence[str]) -> None:
    """After a bulk load on PostgreSQL, and outside its transaction: VACUUM (ANALYZE) `tables`.

    Freshly loaded rows are not yet marked all-visible, so an index-only scan still visits the
    table for each of them and the planner prefers a full scan; without statistics it also
    misjudges every range. Autovacuum gets there too, but only a minute or more later, and until
    then a KPI read at a million exchanges costs several times more. A few seconds at a million
    rows. Nothing on SQLite.
    """
    if is_sqlite(engine):
        return
    # VACUUM cannot run inside a transaction block.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in tables:
            connection.exec_driver_sql(f"VACUUM (ANALYZE) {table}")
