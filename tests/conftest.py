"""Shared fixtures: every test gets its own, already migrated, database.

Fixtures
--------
`sqlite_url`
    URL of a fresh SQLite file in the test's `tmp_path`, already at the newest migration and
    holding the programme row. Migrations run once per test session into a template file; each
    test gets a copy of it, which is much faster than migrating again. Use it where a test needs a
    URL rather than an engine (the CLI's `--db`, `XCHANGE_DATABASE_URL`).
`sqlite_engine`
    An engine (`xchange.db.engine.make_engine`) on `sqlite_url`; disposed when the test ends.
`pg_engine`
    An engine on a PostgreSQL database of this test process's own, on the server named by
    `XCHANGE_TEST_POSTGRES_URL` (`.ci/run` sets it). The database is created and migrated once
    per session and dropped at its end; before each test every table is emptied
    (`TRUNCATE ... RESTART IDENTITY CASCADE`, with the audit trail's guard against TRUNCATE lifted
    for that one transaction) and the programme row is seeded again, so ids start
    at 1 as on SQLite. Without the variable the test is skipped, except under `CI=true`, where a
    missing server is a failure. Tests using it carry the `postgres` marker.
`engine`
    Parametrized over `sqlite` and `postgres`: a test that takes `engine` runs once on each
    database (ids `[sqlite]` and `[postgres]`). Select one with `-k sqlite` or `-m "not postgres"`.

For a URL on either database: `engine.url.render_as_string(hide_password=False)`.

The variable names a server and a database there that the tests never touch: each test process
(`main`, or `gw0`, `gw1`... under pytest-xdist) creates `<that database>_test_<process>`, which
needs the CREATEDB right. A database each, not a schema each in one database: what PostgreSQL
keeps per database (`pg_stat_activity` filtered by `current_database()`, advisory locks) would
otherwise mix the workers' transactions, and one worker's test waiting for "a transaction
waiting on a lock" could see another worker's.

Hypothesis runs the `suite` profile: derandomized (each test its own fixed examples, the same on
every run and every machine), no deadline (a loaded machine is slow, not wrong), no example
database. `HYPOTHESIS_PROFILE=explore` draws fresh random examples instead, to look for bugs.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from sqlalchemy.engine import Engine

from xchange.accounts import auth
from xchange.config import normalise_url
from xchange.db.engine import ensure_programme, make_engine, upgrade

PG_URL_VARIABLE = "XCHANGE_TEST_POSTGRES_URL"
# The trigger by which PostgreSQL refuses to TRUNCATE the audit trail (migration 0005).
AUDIT_GUARD = "audit_event_no_truncate"

# A test's examples may not depend on the run: the same on every machine, however loaded. Tests
# set their own `max_examples` (and may set more); these are the settings they do not set.
settings.register_profile(
    "suite",
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("explore", deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "suite"))


def _on_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def _sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


@pytest.fixture(autouse=True)
def _restore_main_module() -> Iterator[None]:
    """Put back the `__main__` module a test replaced.

    Streamlit's AppTest installs the page script it ran as `__main__` and leaves it there. A
    process started later with "spawn" or "forkserver" runs the parent's `__main__` again first:
    a page script, whose Streamlit calls stall or crash it, depending on which test ran before.
    """
    main = sys.modules.get("__main__")
    yield
    if main is not None:
        sys.modules["__main__"] = main


@pytest.fixture
def cheap_hashing() -> Iterator[None]:
    """Real argon2id with cheap parameters, for tests that hash many passwords (a module asks
    for it with `pytestmark = pytest.mark.usefixtures("cheap_hashing")`)."""
    auth.configure_hasher(time_cost=1, memory_cost=8 * 1024)
    yield
    auth.configure_hasher()


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


def _worker(config: pytest.Config) -> str:
    """This process's name in the run: "gw0", "gw1"... under pytest-xdist, else "main"."""
    return str(getattr(config, "workerinput", {}).get("workerid", "main"))


def _test_database(server_url: sa.URL, worker: str) -> str:
    """The name of this worker's own database, derived from the one the variable names."""
    suffix = f"_test_{worker}"
    return f"{(server_url.database or 'xchange')[: 63 - len(suffix)]}{suffix}"  # 63: PG's limit


def _admin(server_url: sa.URL) -> Engine:
    # CREATE and DROP DATABASE refuse to run inside a transaction.
    return sa.create_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)


@pytest.fixture(scope="session")
def pg_session_engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """The PostgreSQL engine for the whole session, on a database of its own, created and
    migrated here and dropped at the end."""
    url = os.environ.get(PG_URL_VARIABLE)
    if not url:
        message = f"{PG_URL_VARIABLE} not set: PostgreSQL cases need a server (.ci/run sets it)"
        if _on_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)

    server_url = sa.make_url(normalise_url(url))
    name = _test_database(server_url, _worker(request.config))
    admin = _admin(server_url)
    try:
        with admin.connect() as connection:
            # A database left by an interrupted run would hold old tables and revisions.
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        engine = make_engine(server_url.set(database=name).render_as_string(hide_password=False))
        try:
            upgrade(engine)
            yield engine
        finally:
            engine.dispose()
            with admin.connect() as connection:
                # FORCE: a served app or a writer process a failed test left behind may still
                # be connected.
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


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


# Under `--dist loadgroup` the tests of one group run one after another on one worker. `slow`:
# the load test's 8 writer processes and other tests loading both cores; `browser`: a served app
# with Chromium each. They come first (the longest work first, so that no worker is left
# alone with them at the end; `make test` keeps this order with --no-loadscope-reorder).
GROUPS = ("slow", "browser")


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test that reaches PostgreSQL, so `-m "not postgres"` leaves them all out; put
    the tests of a group on one worker under `--dist loadgroup`, the groups first."""
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if "pg_engine" in fixtures or "pg_session_engine" in fixtures:
            item.add_marker(pytest.mark.postgres)
        if item.get_closest_marker("xdist_group") is None:
            group = _group(item)
            if group:
                item.add_marker(pytest.mark.xdist_group(group))
    items.sort(key=_rank)  # stable: each module's tests keep their order


def _group(item: pytest.Item) -> str | None:
    for name in GROUPS:
        if item.get_closest_marker(name):
            return name
    # A module's tests sharing a module-scoped fixture (a demo register, say) run on one worker,
    # which builds it once.
    info = getattr(item, "_fixtureinfo", None)
    definitions = info.name2fixturedefs.values() if info else ()
    if any(d.scope == "module" for defs in definitions for d in defs):
        return item.nodeid.split("::")[0]
    return None


def _rank(item: pytest.Item) -> int:
    marker = item.get_closest_marker("xdist_group")
    name = marker.args[0] if marker and marker.args else None
    return GROUPS.index(name) if name in GROUPS else len(GROUPS)
