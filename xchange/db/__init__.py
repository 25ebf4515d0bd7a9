"""Storage: the engine and its sessions, bulk loads, keyed look-ups, the KPI summary tables,
backups, and one audit/versioning helper (record a change, refuse a stale version, list what
changed since). Only this room speaks SQL dialects; everything above takes a session.

Importing the room costs nothing: each public name below loads its submodule on first use
(PEP 562), so a command or the file-reading child pays only for what it touches.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from xchange.db.backup import (
        BackupError,
        Manifest,
        TableInfo,
        backup_to_file,
        data_tables,
        from_json_value,
        read_manifest,
        restore,
        restore_file,
        snapshot,
        table_rows,
        to_json_value,
        write_backup,
    )
    from xchange.db.bulk import (
        Column,
        Staged,
        arrow_table,
        date_texts,
        fast_load,
        insert_columns,
        insert_rows,
        insert_staged,
        next_id,
        stage_columns,
        stages,
        sync_id_sequence,
        timestamp_texts,
        vacuum_analyze,
    )
    from xchange.db.engine import (
        alembic_config,
        current_revision,
        database_error_line,
        detach_stages,
        ensure_local_admin,
        ensure_programme,
        is_conflict,
        is_database_error,
        is_sqlite,
        is_transient,
        make_engine,
        queue_imports,
        read_session,
        upgrade,
        with_retry,
        write,
        write_session,
    )
    from xchange.db.lookup import keyed_rows
    from xchange.db.summary import (
        add_sums,
        drop_triggers_sql,
        rebuild,
        staged_sums,
        sums_of,
        suspended,
        trigger_sql,
    )
    from xchange.db.versioning import bump_version, stale_changes

# Public name -> the submodule that defines it (read by `__getattr__` and by
# tests/test_architecture.py, which follows these names to their module).
_SUBMODULES = {
    "add_sums": "summary",
    "alembic_config": "engine",
    "arrow_table": "bulk",
    "backup_to_file": "backup",
    "BackupError": "backup",
    "bump_version": "versioning",
    "Column": "bulk",
    "current_revision": "engine",
    "data_tables": "backup",
    "database_error_line": "engine",
    "date_texts": "bulk",
    "detach_stages": "engine",
    "drop_triggers_sql": "summary",
    "ensure_local_admin": "engine",
    "ensure_programme": "engine",
    "fast_load": "bulk",
    "from_json_value": "backup",
    "insert_columns": "bulk",
    "insert_rows": "bulk",
    "insert_staged": "bulk",
    "is_conflict": "engine",
    "is_database_error": "engine",
    "is_sqlite": "engine",
    "is_transient": "engine",
    "keyed_rows": "lookup",
    "make_engine": "engine",
    "Manifest": "backup",
    "next_id": "bulk",
    "queue_imports": "engine",
    "read_manifest": "backup",
    "read_session": "engine",
    "rebuild": "summary",
    "restore": "backup",
    "restore_file": "backup",
    "snapshot": "backup",
    "stage_columns": "bulk",
    "Staged": "bulk",
    "staged_sums": "summary",
    "stages": "bulk",
    "stale_changes": "versioning",
    "sums_of": "summary",
    "suspended": "summary",
    "sync_id_sequence": "bulk",
    "table_rows": "backup",
    "TableInfo": "backup",
    "timestamp_texts": "bulk",
    "to_json_value": "backup",
    "trigger_sql": "summary",
    "upgrade": "engine",
    "vacuum_analyze": "bulk",
    "with_retry": "engine",
    "write": "engine",
    "write_backup": "backup",
    "write_session": "engine",
}
__all__ = [
    "add_sums",
    "alembic_config",
    "arrow_table",
    "backup_to_file",
    "BackupError",
    "bump_version",
    "Column",
    "current_revision",
    "data_tables",
    "database_error_line",
    "date_texts",
    "detach_stages",
    "drop_triggers_sql",
    "ensure_local_admin",
    "ensure_programme",
    "fast_load",
    "from_json_value",
    "insert_columns",
    "insert_rows",
    "insert_staged",
    "is_conflict",
    "is_database_error",
    "is_sqlite",
    "is_transient",
    "keyed_rows",
    "make_engine",
    "Manifest",
    "next_id",
    "queue_imports",
    "read_manifest",
    "read_session",
    "rebuild",
    "restore",
    "restore_file",
    "snapshot",
    "stage_columns",
    "Staged",
    "staged_sums",
    "stages",
    "stale_changes",
    "sums_of",
    "suspended",
    "sync_id_sequence",
    "table_rows",
    "TableInfo",
    "timestamp_texts",
    "to_json_value",
    "trigger_sql",
    "upgrade",
    "vacuum_analyze",
    "with_retry",
    "write",
    "write_backup",
    "write_session",
]


def __getattr__(name: str) -> Any:
    module = _SUBMODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # once loaded, a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_SUBMODULES})
