"""Reading the rows whose key is one of many values, at a cost that follows the list, not the table.

    rows = keyed_rows(connection, "SELECT id, name_key FROM organisation", "name_key", keys)

A form asks about a handful of keys and an import about 100,000. A few keys go as `IN (...)`
lists; many go into a temporary table joined on the key (SQLite) or one array parameter
(`= ANY`, PostgreSQL), so an import neither sends hundreds of statements nor scans a register
of a million records to find the rows it names. When the table holds fewer rows than there are
keys (a first import into a young register), reading the table whole is cheaper than sending
the keys, and an empty table answers at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from xchange.db.engine import is_sqlite

# Keys per IN (...) list: within SQLite's oldest limit of 999 bound parameters.
CHUNK = 900
# From this many keys on, one joined statement beats IN lists.
MANY = 2 * CHUNK
_TEMP = "lookup_keys"


def keyed_rows(
    connection: sa.Connection, select: str, column: str, keys: Iterable[Any], where: str = ""
) -> list[Sequence[Any]]:
    """The rows of `select` (a plain `SELECT ... FROM table` of our own, no WHERE) whose
    `column` is one of `keys` (of the column's type: text or integer) and, if given, where
    `where` (a condition of our own, no parameters) holds."""
    given = keys if isinstance(keys, list) else list(keys)
    if not given:
        return []
    driver = connection.connection.driver_connection
    if driver is None:
        raise RuntimeError("the connection has no driver connection")
    if len(given) >= MANY:
        few = _rows_if_fewer(driver, select, column, where, given)
        if few is not None:
            return few
    wanted = sorted({key for key in given if key is not None})
    if not wanted:
        return []
    also = f" AND {where}" if where else ""
    if len(wanted) < MANY:
        rows: list[Sequence[Any]] = []
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start : start + CHUNK]
            marks = ", ".join(["?" if is_sqlite(connection) else "%s"] * len(chunk))
            rows += _run(driver, f"{select} WHERE {column} IN ({marks}){also}", chunk)
        return rows
    if not is_sqlite(connection):
        return _run(driver, f"{select} WHERE {column} = ANY(%s){also}", [wanted])
    driver.execute(f"CREATE TEMP TABLE IF NOT EXISTS {_TEMP} (key PRIMARY KEY) WITHOUT ROWID")
    try:
        insert = f"INSERT INTO temp.{_TEMP} (key) VALUES (?)"  # noqa: S608 (our own name)
        driver.executemany(insert, ((k,) for k in wanted))
        table = select.split(" FROM ", 1)[1].split()[0]
        joined = f"{select} JOIN temp.{_TEMP} ON temp.{_TEMP}.key = {table}.{column}{also}"
        return _run(driver, joined, [])
    finally:
        driver.execute(f"DELETE FROM temp.{_TEMP}")  # noqa: S608 (our own name)


def _rows_if_fewer(
    driver: Any, select: str, column: str, where: str, keys: list[Any]
) -> list[Sequence[Any]] | None:
    """The rows of `select` whose `column` is one of `keys`, read by scanning the table when
    it holds fewer (matching `where`) rows than there are keys; None when it holds as many.

    The count stops at `len(keys)` rows, so asking costs no more than the scan it may save,
    and an empty table answers before the keys are even looked at. Keys compare as the
    column's values do (text exactly, integers as integers), the way the SQL equality of the
    other paths compares them.
    """
    columns, source = select.split(" FROM ", 1)
    condition = f" WHERE {where}" if where else ""
    limit = len(keys)
    counted = f"SELECT count(*) FROM (SELECT 1 FROM {source}{condition} LIMIT {limit}) AS few"  # noqa: S608 (our own SQL)
    if _run(driver, counted, [])[0][0] >= limit:
        return None
    keyed = f"{columns}, {column} FROM {source}{condition}"  # noqa: S608 (our own SQL)
    rows = _run(driver, keyed, [])
    if not rows:
        return []
    # The table's few keys looked up among the many given, not the other way round.
    found = {row[-1] for row in rows if row[-1] is not None}.intersection(keys)
    return [row[:-1] for row in rows if row[-1] in found]


def _run(driver: Any, sql: str, parameters: Sequence[Any]) -> list[Sequence[Any]]:
    cursor = driver.cursor()
    try:
        cursor.execute(sql, parameters)
        return list(cursor.fetchall())
    finally:
        cursor.close()
