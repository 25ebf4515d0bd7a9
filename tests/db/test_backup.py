"""Backups: an archive of every table, restored into an empty database of either kind.

Round trips SQLite -> SQLite, SQLite -> PostgreSQL and PostgreSQL -> SQLite must give identical
rows in every table (audit trail included) and identical KPIs; a restore refuses a database that
holds data, an archive from a newer schema or a damaged file, and writes nothing then.
PostgreSQL targets are schemas made (and dropped) by the test itself, so they start empty.
"""

from __future__ import annotations

import json
import shutil
import uuid
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.engine import Engine
from sqlmodel import select

from xchange.cli import cli
from xchange.config import normalise_url
from xchange.db import backup
from xchange.db.engine import LOCAL_ADMIN_EMAIL, make_engine, read_session, upgrade, write_session
from xchange.demo import load as demo
from xchange.errors import XchangeError
from xchange.kpi import sums as kpi
from xchange.models import User
from xchange.register import service
from xchange.register.service import ExchangeIn

TODAY = date(2025, 11, 20)


pytestmark = pytest.mark.usefixtures("cheap_hashing")


def fill(engine: Engine) -> None:
    """Demo register plus writes through the service: updates, a cancellation, refusals."""
    demo.load_demo(engine, exchanges=150, today=TODAY)
    with write_session(engine) as session:
        admin = session.exec(select(User).where(User.email == LOCAL_ADMIN_EMAIL)).one()
        acronym = session.execute(sa.text("SELECT acronym FROM partnership ORDER BY id")).scalar()
        assert acronym is not None
        created = service.create_exchange(
            session=session,
            actor=admin,
            data=ExchangeIn(
                partnership=acronym,
                reference="BACKUP-1",
                status="confirmed",
                start_date=date(2025, 3, 10),
                end_date=date(2025, 3, 14),
                visitor_organisation="Zeta Backup Cluster",
                visitor_type="cluster organisation",
                visitor_country="DE",
                visitor_is_sme=False,
                visitor_community="partner",
                host_organisation="Omega Host Ltd",
                host_type="university",
                host_country="FR",
                host_is_sme=True,
                host_community="external",
                representative="Ada Backup",
                notes='Ünïcode ✓ and "quotes"',
            ),
            today=TODAY,
        )
        assert created.id is not None
        service.cancel_exchange(
            session=session,
            actor=admin,
            exchange_id=created.id,
            expected_version=1,
            reason="Visa refused",
        )


def headline(engine: Engine) -> dict[str, Any]:
    with read_session(engine) as session:
        return kpi.headline(session, as_of=TODAY).as_dict()


@contextmanager
def empty_pg(pg_url: str) -> Iterator[Engine]:
    """A freshly migrated PostgreSQL schema of its own, dropped afterwards."""
    schema = f"xchange_restore_{uuid.uuid4().hex[:10]}"
    admin = make_engine(pg_url)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = sa.make_url(normalise_url(pg_url)).update_query_dict(
        {"options": f"-csearch_path={schema}"}
    )
    engine = make_engine(url.render_as_string(hide_password=False))
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture
def pg_url(pg_session_engine: Engine) -> str:
    """This test process's own PostgreSQL database (see conftest), to hold a schema of its own."""
    return pg_session_engine.url.render_as_string(hide_password=False)


@pytest.fixture
def other_sqlite(sqlite_template: Path, tmp_path: Path) -> Iterator[Engine]:
    """A second migrated, empty SQLite database."""
    path = tmp_path / "restored.db"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


def round_trip(source: Engine, target: Engine, tmp_path: Path) -> None:
    """Back up `source`, restore into `target`, and compare everything."""
    archive = tmp_path / "register.xbak"
    manifest = backup.backup_to_file(source, archive)
    assert manifest.rows()["exchange"] == 151
    restored = backup.restore_file(target, archive)
    assert restored.rows() == manifest.rows()
    before, after = backup.snapshot(source), backup.snapshot(target)
    assert set(before) == set(after)
    for table in before:
        if table in backup.SUMMARIES:
            # Rebuilt, not copied: the triggers leave zero rows behind that a rebuild has not.
            before[table] = [row for row in before[table] if row["n"]]
        assert after[table] == before[table], f"{table} differs after the round trip"
    assert before["audit_event"], "the audit trail travelled"
    assert headline(target) == headline(source)
    assert headline(target)["counted"] > 0


def assert_new_writes_work(engine: Engine) -> None:
    """Ids continue past the restored ones (PostgreSQL sequences moved)."""
    with write_session(engine) as session:
        admin = session.exec(select(User).where(User.email == LOCAL_ADMIN_EMAIL)).one()
        session.add(User(email="after-restore@x.eu", role="officer"))
        session.flush()
        assert admin.id is not None


def test_sqlite_to_sqlite(sqlite_engine: Engine, other_sqlite: Engine, tmp_path: Path) -> None:
    fill(sqlite_engine)
    round_trip(sqlite_engine, other_sqlite, tmp_path)
    assert_new_writes_work(other_sqlite)


def test_sqlite_to_postgres(sqlite_engine: Engine, pg_url: str, tmp_path: Path) -> None:
    fill(sqlite_engine)
    with empty_pg(pg_url) as target:
        round_trip(sqlite_engine, target, tmp_path)
        assert_new_writes_work(target)


def test_postgres_to_sqlite(pg_engine: Engine, sqlite_engine: Engine, tmp_path: Path) -> None:
    fill(pg_engine)
    round_trip(pg_engine, sqlite_engine, tmp_path)
    assert_new_writes_work(sqlite_engine)


def test_archive_is_portable_json_lines(sqlite_engine: Engine, tmp_path: Path) -> None:
    fill(sqlite_engine)
    path = tmp_path / "b.zip"
    backup.backup_to_file(sqlite_engine, path)
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        assert manifest["schema_revision"]
        names = [t["name"] for t in manifest["tables"]]
        # Foreign-key order: what a table refers to comes first.
        assert names.index("partnership") < names.index("exchange")
        assert names.index("person") < names.index("exchange")
        assert "alembic_version" not in names
        first = json.loads(archive.read("tables/exchange.jsonl").splitlines()[0])
    assert date.fromisoformat(first["start_date"])
    assert first["created_at"].endswith("+00:00")


def test_restore_refuses_a_database_with_data(sqlite_engine: Engine, tmp_path: Path) -> None:
    fill(sqlite_engine)
    path = tmp_path / "b.zip"
    backup.backup_to_file(sqlite_engine, path)
    before = backup.snapshot(sqlite_engine)
    with pytest.raises(backup.BackupError, match="only into an empty database"):
        backup.restore_file(sqlite_engine, path)
    assert backup.snapshot(sqlite_engine) == before


def test_restore_refuses_a_newer_schema(
    sqlite_engine: Engine, other_sqlite: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "b.zip"
    backup.backup_to_file(sqlite_engine, path)
    newer = tmp_path / "newer.zip"
    with zipfile.ZipFile(path) as old, zipfile.ZipFile(newer, "w") as new:
        for item in old.infolist():
            content = old.read(item)
            if item.filename == "manifest.json":
                manifest = json.loads(content)
                manifest["schema_revision"] = "9999"
                content = json.dumps(manifest).encode()
            new.writestr(item, content)
    with pytest.raises(backup.BackupError, match="newer schema"):
        backup.restore_file(other_sqlite, newer)


def test_a_damaged_archive_restores_nothing(
    sqlite_engine: Engine, other_sqlite: Engine, tmp_path: Path
) -> None:
    fill(sqlite_engine)
    path = tmp_path / "b.zip"
    backup.backup_to_file(sqlite_engine, path)
    damaged = tmp_path / "damaged.zip"
    with zipfile.ZipFile(path) as old, zipfile.ZipFile(damaged, "w") as new:
        for item in old.infolist():
            content = old.read(item)
            if item.filename == "tables/exchange.jsonl":
                content = b"\n".join(content.splitlines()[:-1]) + b"\n"  # one row lost
            new.writestr(item, content)
    empty = backup.snapshot(other_sqlite)
    with pytest.raises(backup.BackupError, match="damaged"):
        backup.restore_file(other_sqlite, damaged)
    assert backup.snapshot(other_sqlite) == empty


def test_not_a_backup(other_sqlite: Engine, tmp_path: Path) -> None:
    path = tmp_path / "x.zip"
    path.write_bytes(b"hello")
    with pytest.raises(XchangeError, match="not an xchange backup"):
        backup.restore_file(other_sqlite, path)


def test_cli_backup_and_restore(sqlite_url: str, other_sqlite: Engine, tmp_path: Path) -> None:
    engine = make_engine(sqlite_url)
    try:
        fill(engine)
        expected = headline(engine)
    finally:
        engine.dispose()
    path = tmp_path / "cli.zip"
    runner = CliRunner()
    result = runner.invoke(cli, ["--db", sqlite_url, "backup", "-o", str(path)])
    assert result.exit_code == 0, result.output
    assert "151 exchanges" in result.stdout
    target = other_sqlite.url.render_as_string(hide_password=False)
    result = runner.invoke(cli, ["--db", target, "restore", str(path)])
    assert result.exit_code == 0, result.output
    assert headline(other_sqlite) == expected
    again = runner.invoke(cli, ["--db", target, "restore", str(path)])
    assert again.exit_code == 1
    assert "empty database" in again.stderr
