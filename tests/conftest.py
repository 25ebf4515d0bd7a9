"""Shared fixtures: every test gets its own, already migrated, database.

Fixtures
--------
`sqlite_url`
    URL of a fresh SQLite file in the test's `tmp_path`, already at the newest migration and
    holding the programme row. Migrations run once per test session into a template file; each
    test gets a copy of it, which is much faster than migrating again. Use it where a test needs a
    URL rather than an engine (the CLI's `--db`, `XCHANGE_DATABASE_URL`).
`sqlite_engine`
    An engine (`xchange.db.make_engine`) on `sqlite_url`; disposed when the test ends.
`pg_engine`
    An engine on the PostgreSQL database named by `XCHANGE_TEST_POSTGRES_URL` (`.ci/run` sets
    it). The schema is migrated once per session; before each test every table is emptied
    (`TRUNCATE ... RESTART IDENTITY CASCADE`, with the audit trail's guard against TRUNCATE lifted
    for that one transaction) and the programme row is seeded again, so ids start
    at 1 as on SQLite. Without the variable the test is skipped, except under `CI=true`, where a
    missing server is a failure. Tests using it carry the `postgres` marker.
`engine`
    Parametrized over `sqlite` and `postgres`: a test that takes `engine` runs once on each
    database (ids `[sqlite]` and `[postgres]`). Select one with `-k sqlite` or `-m "not postgres"`.

For a URL on either database: `engine.url.render_as_string(hide_password=False)`.

The tests' tables live in a schema of their own (`xchange_test`, or `xchange_test_gw0`... under
pytest-xdist), never in `public`: pointing the variable at a developer's database does not touch
their data, and parallel workers do not truncate each other's rows. The engine's URL carries the
schema as its search path, so an engine made from that URL (a CLI run, say) sees the same tables.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from xchange.config import normalise_url
from xchange.db import ensure_programme, make_engine, upgrade

PG_URL_VARIABLE = "XCHANGE_TEST_POSTGRES_URL"
# The trigger by which PostgreSQL refuses to TRUNCATE the audit trail (migration 0005).
AUDIT_GUARD = "audit_event_no_truncate"


def _on_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def _sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


# --- SQLite ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per session; tests copy it, never open it."""
    path = tmp_path_factory.mktemp("template") / "xchange.db"
    engine = make_engine(_sqlite_url(path))
    try:
        upgrade(engine)
        # Fold the write-ahead log into the main file so that copying that one file is enough.
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()
    return path


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    """URL of this test's own copy of the migrated template."""
    path = tmp_path / "xchange.db"
    shutil.copyfile(sqlite_template, path)
    return _sqlite_url(path)


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Iterator[Engine]:
    """An engine on this test's own migrated SQLite file."""
    engine = make_engine(sqlite_url)
    try:
        yield engine
    finally:
        engine.dispose()


# --- PostgreSQL ------------------------------------------------------------------------------


def _test_schema(config: pytest.Config) -> str:
    worker = getattr(config, "workerinput", {}).get("workerid")  # set by pytest-xdist
    return f"xchange_test_{worker}" if worker else "xchange_test"


@pytest.fixture(scope="session")
def pg_session_engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """The PostgreSQL engine for the whole session, on a freshly created and migrated schema."""
    url = os.environ.get(PG_URL_VARIABLE)
    if not url:
        message = f"{PG_URL_VARIABLE} not set: PostgreSQL cases need a server (.ci/run sets it)"
        if _on_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)

    schema = _test_schema(request.config)
    admin = make_engine(url)
    try:
        with admin.begin() as connection:
            # A stale schema from an interrupted run would hold old tables and revisions.
            connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    finally:
        admin.dispose()

    scoped_url = sa.make_url(normalise_url(url)).update_query_dict(
        {"options": f"-csearch_path={schema}"}
    )
    engine = make_engine(scoped_url.render_as_string(hide_password=False))
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def pg_engine(pg_session_engine: Engine) -> Engine:
    """The session's PostgreSQL engine, its tables emptied and the programme row seeded again."""
    with pg_session_engine.begin() as connection:
        # Every table of the schema, not only the models' ones: a migration may add others.
        names = connection.scalars(
            sa.text(
                "SELECT tablename FROM pg_tables"
                " WHERE schemaname = current_schema() AND tablename <> 'alembic_version'"
            )
        ).all()
        if names:
            tables = ", ".join(f'"{name}"' for name in names)
            # The audit trail refuses TRUNCATE (migration 0005); only its owner, here the test
            # fixture, may lift that, for this one transaction.
            connection.exec_driver_sql(f"ALTER TABLE audit_event DISABLE TRIGGER {AUDIT_GUARD}")
            connection.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
            connection.exec_driver_sql(f"ALTER TABLE audit_event ENABLE TRIGGER {AUDIT_GUARD}")
    ensure_programme(pg_session_engine)
    return pg_session_engine


# --- both ------------------------------------------------------------------------------------


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def engine(request: pytest.FixtureRequest) -> Engine:
    """A migrated engine on SQLite, then on PostgreSQL: the test runs once on each."""
    name = "sqlite_engine" if request.param == "sqlite" else "pg_engine"
    result: Engine = request.getfixturevalue(name)
    return result


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test that reaches PostgreSQL, so `-m "not postgres"` leaves them all out."""
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if "pg_engine" in fixtures or "pg_session_engine" in fixtures:
            item.add_marker(pytest.mark.postgres)
