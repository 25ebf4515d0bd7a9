"""Backups: every table into one portable archive, and back into an empty database of either kind.

An archive is a zip holding `manifest.json` and one JSON-lines file per table (`tables/NAME.jsonl`,
one object per row, keyed by column name). Values are JSON-safe: dates as `2025-03-14`,
timestamps as ISO 8601 in UTC with their zone (`2025-03-14T09:30:00+00:00`), decimals as text,
binary as base64. The manifest names the schema revision (Alembic), each table's file, columns,
row count and SHA-256, in foreign-key order.

A restore goes into a migrated but empty register (what `xchange init` leaves), in one
transaction: the seeded settings rows and the local administrator are replaced by the archive's,
tables go in foreign-key order, the KPI summaries are rebuilt once (`summary.suspended`), and on
PostgreSQL each id sequence is moved past the restored ids. An archive from a newer schema than
the database's is refused; nothing is written unless everything is.
"""

from __future__ import annotations

import base64
import hashlib
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from xchange.db import bulk, summary
from xchange.db.engine import LOCAL_ADMIN_EMAIL, MIGRATIONS_DIR, current_revision, is_sqlite
from xchange.errors import XchangeError

FORMAT = "xchange-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
# Alembic's own table travels as the manifest's `schema_revision`, not as data. Browsers'
# sign-ins stay with the server they signed in to: a restore signs everybody out.
SKIPPED = {"alembic_version", "web_session"}
# Rebuilt from `exchange` on restore, never loaded: the triggers' sums must match the rows.
SUMMARIES = set(summary.TABLES)
# What `xchange init` seeds; a register holding only these still counts as empty.
SEEDED = ("programme", "eligible_country", "app_user")
_CHUNK = 2_000


class BackupError(XchangeError):
    """An archive that cannot be read or restored here; the message says why."""


@dataclass(frozen=True)
class TableInfo:
    """One table in an archive: its file, columns, row count and checksum."""

    name: str
    file: str
    columns: list[str]
    rows: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    """What `manifest.json` holds."""

    schema_revision: str | None
    created_at: str
    source_dialect: str
    tables: list[TableInfo]

    def rows(self) -> dict[str, int]:
        """Row count per table: `{"exchange": 900, ...}`."""
        return {table.name: table.rows for table in self.tables}


# --- values ----------------------------------------------------------------------------------


def to_json_value(value: Any) -> Any:
    """A stored value as JSON can hold it (see the module docstring for the spellings)."""
    if isinstance(value, datetime):
        aware = value if value.utcoffset() is not None else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def from_json_value(value: Any, column: sa.Column[Any], *, sqlite: bool) -> Any:
    """An archived value as `column` stores it."""
    if value is None:
        return None
    kind = column.type
    if isinstance(kind, sa.DateTime):
        moment = datetime.fromisoformat(value)
        if moment.utcoffset() is None:
            moment = moment.replace(tzinfo=UTC)
        moment = moment.astimezone(UTC)
        # SQLite and zone-less columns keep UTC without an offset, as the ORM writes them.
        return moment.replace(tzinfo=None) if sqlite or not kind.timezone else moment
    if isinstance(kind, sa.Date):
        return date.fromisoformat(value)
    if isinstance(kind, sa.Numeric) and not isinstance(kind, sa.Float) and kind.asdecimal:
        return Decimal(value)
    if isinstance(kind, sa.LargeBinary):
        return base64.b64decode(value)
    return value


# --- reading a database ----------------------------------------------------------------------


def data_tables(connection: sa.Connection) -> list[sa.Table]:
    """The database's own tables (reflected, so tables a migration added are included), in
    foreign-key order: a table comes after every table it refers to."""
    metadata = sa.MetaData()
    metadata.reflect(bind=connection)
    return [table for table in metadata.sorted_tables if table.name not in SKIPPED]


def table_rows(connection: sa.Connection, table: sa.Table) -> Iterator[dict[str, Any]]:
    """Every row of `table` as JSON-safe values, in primary-key order."""
    order = list(table.primary_key.columns) or list(table.columns)
    result = connection.execution_options(yield_per=_CHUNK).execute(
        sa.select(table).order_by(*order)
    )
    for row in result.mappings():
        yield {name: to_json_value(value) for name, value in row.items()}


def snapshot(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every table's rows as an archive would hold them (for comparing two databases)."""
    with engine.connect() as connection:
        return {
            table.name: list(table_rows(connection, table)) for table in data_tables(connection)
        }


# --- backup ----------------------------------------------------------------------------------


def write_backup(engine: Engine, target: IO[bytes]) -> Manifest:
    """Write an archive of every table to `target` (a binary file); returns its manifest.

    Reads in one transaction, so the archive is a consistent picture even while others write
    (on PostgreSQL at REPEATABLE READ; SQLite's read transaction sees one snapshot anyway).
    """
    bind = (
        engine if is_sqlite(engine) else engine.execution_options(isolation_level="REPEATABLE READ")
    )
    tables: list[TableInfo] = []
    with (
        bind.connect() as connection,
        connection.begin(),
        zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive,
    ):
        revision = _revision(connection)
        for table in data_tables(connection):
            file = f"tables/{table.name}.jsonl"
            digest = hashlib.sha256()
            count = 0
            with archive.open(file, "w", force_zip64=True) as stream:
                for row in table_rows(connection, table):
                    line = (json.dumps(row, ensure_ascii=False, sort_keys=False) + "\n").encode()
                    digest.update(line)
                    stream.write(line)
                    count += 1
            tables.append(
                TableInfo(table.name, file, list(table.columns.keys()), count, digest.hexdigest())
            )
        manifest = Manifest(
            schema_revision=revision,
            created_at=datetime.now(UTC).isoformat(),
            source_dialect=connection.dialect.name,
            tables=tables,
        )
        archive.writestr(MANIFEST, json.dumps(_manifest_dict(manifest), indent=2))
    return manifest


def backup_to_file(engine: Engine, path: str | Path) -> Manifest:
    """Write the archive to `path` whole: it appears only once complete."""
    target = Path(path)
    partial = target.with_name(f".{target.name}.partial")
    try:
        with partial.open("wb") as stream:
            manifest = write_backup(engine, stream)
        partial.replace(target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return manifest


def _manifest_dict(manifest: Manifest) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "schema_revision": manifest.schema_revision,
        "created_at": manifest.created_at,
        "source_dialect": manifest.source_dialect,
        "tables": [table.__dict__ for table in manifest.tables],
    }


def _revision(connection: sa.Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


# --- restore ---------------------------------------------------------------------------------


def read_manifest(archive: zipfile.ZipFile) -> Manifest:
    """The archive's manifest; BackupError when it is not one of ours."""
    try:
        data = json.loads(archive.read(MANIFEST))
    except KeyError:
        raise BackupError("This file is not an xchange backup: it has no manifest.json") from None
    except ValueError as exc:
        raise BackupError(f"The backup's manifest cannot be read: {exc}") from exc
    if data.get("format") != FORMAT:
        raise BackupError("This file is not an xchange backup (unknown format)")
    if int(data.get("format_version", 0)) > FORMAT_VERSION:
        raise BackupError(
            "This backup was written by a newer version of the tracker: upgrade it first"
        )
    return Manifest(
        schema_revision=data.get("schema_revision"),
        created_at=data.get("created_at", ""),
        source_dialect=data.get("source_dialect", ""),
        tables=[TableInfo(**table) for table in data["tables"]],
    )


def restore(engine: Engine, source: IO[bytes] | str | Path) -> Manifest:
    """Load an archive into `engine`'s empty, migrated database, all in one transaction.

    Raises BackupError when the database is not migrated or not empty, when the archive comes
    from a newer schema, or when a file is damaged (wrong row count or checksum).
    """
    with zipfile.ZipFile(source) as archive:
        manifest = read_manifest(archive)
        here = current_revision(engine)
        if here is None:
            raise BackupError("The database is not initialised: run `xchange init` first")
        _check_revision(manifest.schema_revision, here)
        bind = engine.execution_options(sqlite_begin="IMMEDIATE") if is_sqlite(engine) else engine
        with bind.begin() as connection:
            _check_empty(connection)
            tables = {table.name: table for table in data_tables(connection)}
            unknown = [t.name for t in manifest.tables if t.name not in tables]
            if unknown:
                raise BackupError(
                    f"The backup holds tables this database lacks: {', '.join(unknown)}"
                )
            for name in reversed(SEEDED):
                if name in tables:
                    connection.execute(tables[name].delete())
            archived = {info.name: info for info in manifest.tables}
            with summary.suspended(connection):
                for table in tables.values():
                    if table.name in SUMMARIES or table.name not in archived:
                        continue
                    _load(connection, table, archive, archived[table.name])
            for table in tables.values():
                if "id" in table.columns and table.name in archived:
                    bulk.sync_id_sequence(connection, table.name)
    return manifest


def restore_file(engine: Engine, path: str | Path) -> Manifest:
    """`restore` from a file, with a plain message when it is not a zip."""
    try:
        return restore(engine, Path(path))
    except zipfile.BadZipFile:
        raise BackupError(f"{path} is not an xchange backup (not a zip archive)") from None


def _check_revision(archived: str | None, here: str) -> None:
    """Refuse an archive whose schema is newer than (or unknown to) this database's."""
    from alembic.script import ScriptDirectory

    if archived is None:
        raise BackupError("The backup names no schema revision: it cannot be checked")
    if archived == here:
        return
    from xchange.db.engine import alembic_config

    config = alembic_config("sqlite://")
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    script = ScriptDirectory.from_config(config)
    older = {revision.revision for revision in script.iterate_revisions(here, "base")}
    if archived not in older:
        raise BackupError(
            f"The backup comes from a newer schema (revision {archived}) than this database "
            f"(revision {here}): upgrade the tracker and run `xchange init` first"
        )


def _check_empty(connection: sa.Connection) -> None:
    """Refuse a register that holds anything beyond what `xchange init` seeds."""
    filled = []
    for table in data_tables(connection):
        if table.name in SEEDED or table.name in SUMMARIES:
            continue
        if connection.execute(sa.select(sa.func.count()).select_from(table)).scalar():
            filled.append(table.name)
    users = connection.execute(
        sa.text("SELECT count(*) FROM app_user WHERE email <> :admin"), {"admin": LOCAL_ADMIN_EMAIL}
    ).scalar()
    if users:
        filled.append("app_user")
    if filled:
        raise BackupError(
            "A backup is restored only into an empty database, and this one holds data "
            f"({', '.join(sorted(filled))}): create a new database, run `xchange init`, "
            "and restore there"
        )


def _load(
    connection: sa.Connection, table: sa.Table, archive: zipfile.ZipFile, info: TableInfo
) -> None:
    """Insert one table's archived rows, checking their count and checksum."""
    sqlite = is_sqlite(connection)
    columns = {name: table.columns[name] for name in info.columns if name in table.columns}
    missing = [name for name in info.columns if name not in table.columns]
    if missing:
        raise BackupError(f"Table {table.name} here lacks the columns {', '.join(missing)}")
    digest = hashlib.sha256()
    count = 0
    batch: list[dict[str, Any]] = []
    with archive.open(info.file) as raw:
        for line in raw:
            digest.update(line)
            count += 1
            row = json.loads(line)
            batch.append(
                {
                    name: from_json_value(row.get(name), column, sqlite=sqlite)
                    for name, column in columns.items()
                }
            )
            if len(batch) == _CHUNK:
                connection.execute(table.insert(), batch)
                batch = []
    if batch:
        connection.execute(table.insert(), batch)
    if count != info.rows or digest.hexdigest() != info.sha256:
        raise BackupError(
            f"The backup is damaged: {info.file} holds {count} rows against {info.rows} listed, "
            "or its checksum differs; nothing was restored"
        )
