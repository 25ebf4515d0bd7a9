"""Summary tables that the KPI queries read instead of a million exchanges.

Two tables (models `KpiDaily`, `KpiFlow`) hold sums of exchanges, kept in step by database triggers on every write path (the
service, imports, bulk loads, restores, even hand-written SQL):

- `kpi_daily`: by partnership, end date, status and modality. Small (at most a few rows per
  partnership and day): headline, partnerships, quarters, reporting periods, any as-of date.
- `kpi_flow`: by partnership, quarter of the end date, status, modality, visitor and host
  country. Countries and flows, by whole quarters.

Triggers, not application code, keep them true, so no path can forget them. Bulk loads suspend
the triggers, write, and `rebuild` the sums in one GROUP BY, which is far faster than a trigger
per row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import sqlalchemy as sa

# Measures summed in both tables: (column, SQL over one exchange row giving 0 or 1 / an amount).
# `{r}` is the row alias: NEW or OLD in a trigger, the table in a rebuild.
COMMON_MEASURES = {
    "n": "1",
    "sme": "CASE WHEN {r}.involves_sme THEN 1 ELSE 0 END",
    "beyond_broad": "CASE WHEN {r}.visitor_external OR {r}.host_external THEN 1 ELSE 0 END",
    "beyond_narrow": "CASE WHEN {r}.visitor_partner AND {r}.host_partner THEN 0 ELSE 1 END",
}
DAILY_MEASURES = {
    **COMMON_MEASURES,
    "visitor_sme": "CASE WHEN {r}.visitor_is_sme THEN 1 ELSE 0 END",
    "host_sme": "CASE WHEN {r}.host_is_sme THEN 1 ELSE 0 END",
    "reduced": "CASE WHEN {r}.reduced_rate THEN 1 ELSE 0 END",
    "lump_sum_cents": "{r}.lump_sum_cents",
    "paid_cents": "COALESCE({r}.paid_cents, 0)",
    "paid_n": "CASE WHEN {r}.paid_on IS NOT NULL THEN 1 ELSE 0 END",
}
DAILY_KEYS = ("partnership_id", "end_date", "end_quarter", "status", "modality")
FLOW_KEYS = (
    "partnership_id",
    "end_quarter",
    "status",
    "modality",
    "visitor_country",
    "host_country",
)
TABLES = {"kpi_daily": (DAILY_KEYS, DAILY_MEASURES), "kpi_flow": (FLOW_KEYS, COMMON_MEASURES)}
# The exchange columns a summary depends on: an update touching none of them fires nothing, and
# `sums_of` reads no other.
WATCHED = sorted(
    {
        *DAILY_KEYS,
        *FLOW_KEYS,
        "involves_sme",
        "visitor_external",
        "host_external",
        "visitor_partner",
        "host_partner",
        "visitor_is_sme",
        "host_is_sme",
        "reduced_rate",
        "lump_sum_cents",
        "paid_cents",
        "paid_on",
    }
)


def _upsert(table: str, row: str, sign: str) -> str:
    """SQL adding (`+`) or taking away (`-`) one exchange row's measures in `table`."""
    keys, measures = TABLES[table]
    names = [*keys, *measures]
    values = [f"{row}.{key}" for key in keys]
    values += [f"{sign}({expr.format(r=row)})" for expr in measures.values()]
    updates = ", ".join(f"{name} = {table}.{name} + excluded.{name}" for name in measures)
    # Built from the constants above only, never from input.
    return (
        f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(values)}) "  # noqa: S608
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates};"
    )


def trigger_sql(dialect: str) -> list[str]:
    """DDL of the triggers keeping the summaries in step with `exchange`, for one dialect."""
    add = "\n".join(_upsert(table, "NEW", "+") for table in TABLES)
    remove = "\n".join(_upsert(table, "OLD", "-") for table in TABLES)
    watched = ", ".join(WATCHED)
    if dialect == "sqlite":
        return [
            f"CREATE TRIGGER kpi_summary_insert AFTER INSERT ON exchange BEGIN\n{add}\nEND",
            f"CREATE TRIGGER kpi_summary_delete AFTER DELETE ON exchange BEGIN\n{remove}\nEND",
            f"CREATE TRIGGER kpi_summary_update AFTER UPDATE OF {watched} ON exchange "
            f"BEGIN\n{remove}\n{add}\nEND",
        ]
    if dialect == "postgresql":
        return [
            "CREATE FUNCTION kpi_summary_apply() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            "BEGIN\n"
            f"  IF TG_OP IN ('UPDATE', 'DELETE') THEN\n{remove}\n  END IF;\n"
            f"  IF TG_OP IN ('UPDATE', 'INSERT') THEN\n{add}\n  END IF;\n"
            "  RETURN NULL;\n"
            "END $$",
            "CREATE TRIGGER kpi_summary_insert AFTER INSERT OR DELETE ON exchange "
            "FOR EACH ROW EXECUTE FUNCTION kpi_summary_apply()",
            f"CREATE TRIGGER kpi_summary_update AFTER UPDATE OF {watched} ON exchange "
            "FOR EACH ROW EXECUTE FUNCTION kpi_summary_apply()",
        ]
    raise ValueError(f"no summary triggers for the {dialect} dialect")


def drop_triggers_sql(dialect: str) -> list[str]:
    """DDL removing the triggers (the function too, on PostgreSQL)."""
    if dialect == "postgresql":
        return [
            "DROP TRIGGER IF EXISTS kpi_summary_insert ON exchange",
            "DROP TRIGGER IF EXISTS kpi_summary_update ON exchange",
            "DROP FUNCTION IF EXISTS kpi_summary_apply()",
        ]
    return [f"DROP TRIGGER IF EXISTS kpi_summary_{op}" for op in ("insert", "delete", "update")]


def rebuild(connection: sa.Connection) -> None:
    """Recompute both summaries from `exchange` in one GROUP BY each (inside the caller's
    transaction)."""
    for table, (keys, measures) in TABLES.items():
        sums = ", ".join(f"SUM({expr.format(r='exchange')})" for expr in measures.values())
        connection.exec_driver_sql(f"DELETE FROM {table}")  # noqa: S608
        connection.exec_driver_sql(
            f"INSERT INTO {table} ({', '.join([*keys, *measures])}) "  # noqa: S608
            f"SELECT {', '.join(keys)}, {sums} FROM exchange GROUP BY {', '.join(keys)}"
        )


# The measures of `COMMON_MEASURES` and `DAILY_MEASURES` over a frame of exchange rows (column
# -> values, blanks None), for `sums_of`. tests/db/test_summary.py checks them against the SQL.
def _frame_measures(rows: pd.DataFrame) -> dict[str, Any]:
    def flag(name: str) -> Any:
        return rows[name].fillna(False).astype(bool).to_numpy()

    def blank(name: str) -> Any:
        return rows[name].isna().to_numpy() if name in rows else np.ones(len(rows), dtype=bool)

    paid = rows["paid_cents"] if "paid_cents" in rows else pd.Series(0, index=rows.index)
    return {
        "n": np.ones(len(rows), dtype=np.int64),
        "sme": flag("involves_sme"),
        "beyond_broad": flag("visitor_external") | flag("host_external"),
        "beyond_narrow": ~(flag("visitor_partner") & flag("host_partner")),
        "visitor_sme": flag("visitor_is_sme"),
        "host_sme": flag("host_is_sme"),
        "reduced": flag("reduced_rate"),
        "lump_sum_cents": rows["lump_sum_cents"].astype(np.int64).to_numpy(),
        "paid_cents": paid.fillna(0).astype(np.int64).to_numpy(),
        "paid_n": ~blank("paid_on"),
    }


def sums_of(rows: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Each summary's sums over exchange `rows`, grouped in pandas: table -> keys and measures.

    `rows` holds the exchange columns the summaries read (`paid_cents` and `paid_on` may be
    absent: not paid). Pure, so it may run beside the writes (see `import_writer`).
    """
    measures = pd.DataFrame(_frame_measures(rows), index=rows.index).astype(np.int64)
    return {
        table: pd.concat([rows[list(keys)], measures[list(names)]], axis=1)
        .groupby(list(keys), sort=False, dropna=False)
        .sum()
        .reset_index()
        for table, (keys, names) in TABLES.items()
    }


def add_sums(connection: sa.Connection, sums: Mapping[str, pd.DataFrame]) -> None:
    """Add `sums_of` rows not yet counted to the summaries: one upsert per table through the
    driver (SQLAlchemy's per-row parameter handling would cost more than the grouping)."""
    mark = "?" if connection.dialect.name == "sqlite" else "%s"
    driver = connection.connection.driver_connection
    assert driver is not None
    for table, (keys, names) in TABLES.items():
        columns = [*keys, *names]
        updates = ", ".join(f"{name} = {table}.{name} + excluded.{name}" for name in names)
        conflict = f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}"
        rows = sums[table]
        statement = (
            f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 (our own names)
            f"VALUES ({', '.join([mark] * len(columns))}) {conflict}"
        )
        values = [pa.array(rows[c]).to_pylist() for c in columns]  # plain Python values
        cursor = driver.cursor()
        try:
            cursor.executemany(statement, list(zip(*values, strict=True)))
        finally:
            cursor.close()


@contextmanager
def suspended(
    connection: sa.Connection,
    *,
    added: Callable[[], Mapping[str, pd.DataFrame]] | None = None,
) -> Iterator[None]:
    """Bulk writes inside skip the per-row triggers; the sums are rebuilt once at the end.

    With `added`, the writes inside only insert new exchanges, and `added()` gives their sums
    (`sums_of`), which are added to the summaries instead of a rebuild over the whole table.
    Runs inside the caller's transaction: on an error everything, trigger drops included,
    rolls back together (both SQLite and PostgreSQL have transactional DDL).
    """
    dialect = connection.dialect.name
    for statement in drop_triggers_sql(dialect):
        connection.exec_driver_sql(statement)
    yield
    if added is None:
        rebuild(connection)
    else:
        add_sums(connection, added())
    for statement in trigger_sql(dialect):
        connection.exec_driver_sql(statement)
