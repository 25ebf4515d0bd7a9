"""The engine factory, sessions and migrations, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import SQLModel, func, select

from xchange.config import get_settings, normalise_url
from xchange.db import engine as db
from xchange.db.engine import (
    alembic_config,
    current_revision,
    make_engine,
    read_session,
    upgrade,
    write_session,
)
from xchange.models import (
    EligibleCountry,
    Exchange,
    Organisation,
    Partnership,
    Person,
    Programme,
    quarter_of,
)
from xchange.reference import DEFAULT_ELIGIBLE


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _head(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(alembic_config(_url(engine))).get_current_head()


# --- SQLite connection settings -------------------------------------------------------------


def test_sqlite_connections_use_wal_and_foreign_keys(sqlite_engine: Engine) -> None:
    with sqlite_engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        timeout = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
    assert timeout == get_settings().sqlite_busy_timeout_ms


def test_a_new_sqlite_database_has_large_pages_and_an_old_one_keeps_its_own(
    tmp_path: Path,
) -> None:
    import sqlite3

    new = make_engine(f"sqlite:///{tmp_path / 'new.db'}")
    upgrade(new)
    with new.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA page_size").scalar() == db.SQLITE_PAGE_SIZE
    new.dispose()
    old = sqlite3.connect(tmp_path / "old.db")
    old.execute("CREATE TABLE kept (x)")  # SQLite's default page size, fixed by a table
    old.close()
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA page_size").scalar() == 4096
    engine.dispose()


def test_sqlite_refuses_a_dangling_foreign_key(sqlite_engine: Engine) -> None:
    # Foreign keys are off by default in SQLite; the engine turns them on for every connection.
    with pytest.raises(IntegrityError), write_session(sqlite_engine) as session:
        session.execute(
            sa.text(
                "INSERT INTO host_country_rate (partnership_id, country, rate_cents)"
                " VALUES (999, 'GR', 100)"
            )
        )


def test_a_bulk_load_may_leave_foreign_keys_unchecked_for_its_own_transaction(
    sqlite_engine: Engine,
) -> None:
    """What an import asks for (`check_foreign_keys=False`): its transaction alone goes
    unchecked; the connection checks again once back in the pool."""
    dangling = sa.text(
        "INSERT INTO host_country_rate (partnership_id, country, rate_cents) VALUES (999, 'GR', 1)"
    )
    with write_session(sqlite_engine, check_foreign_keys=False) as session:
        unchecked = session.connection().connection.driver_connection
        assert session.execute(sa.text("PRAGMA foreign_keys")).scalar() == 0
        session.execute(dangling)
        session.execute(sa.text("DELETE FROM host_country_rate"))
    with pytest.raises(IntegrityError), write_session(sqlite_engine) as session:
        assert session.connection().connection.driver_connection is unchecked  # pooled again
        session.execute(dangling)


def test_sqlite_write_session_begins_immediate(sqlite_engine: Engine) -> None:
    """A second writer waits for the first at BEGIN, instead of failing half-way.

    With a deferred BEGIN a reading statement would not wait in WAL mode; the second writer's
    first (reading) statement ending only after the first writer's commit shows the lock is
    taken when the transaction begins. The order of events is checked, not durations: the first
    writer pauses so that a reading statement that did not wait would end before its commit.
    """
    first_holds_lock, second_begins = threading.Event(), threading.Event()
    events: list[str] = []
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with write_session(sqlite_engine) as session:
                session.exec(select(Programme)).all()  # begins the transaction
                first_holds_lock.set()
                second_begins.wait(10)
                time.sleep(0.3)  # time for a second writer that does not wait to read
                session.add(Person(name="first"))
                events.append("first commits")
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
            first_holds_lock.set()

    def second() -> None:
        try:
            first_holds_lock.wait(10)
            with write_session(sqlite_engine) as session:
                second_begins.set()
                session.exec(select(Programme)).all()
                events.append("second has read")
                session.add(Person(name="second"))
        except BaseException as exc:
            errors.append(exc)
            second_begins.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert not errors, errors
    assert events == ["first commits", "second has read"]
    with read_session(sqlite_engine) as session:
        assert sorted(session.exec(select(Person.name)).all()) == ["first", "second"]


def test_sqlite_read_session_does_not_wait_for_a_writer(sqlite_engine: Engine) -> None:
    # The counterpart of the test above: readers are not queued behind the write lock.
    with write_session(sqlite_engine) as writer:
        writer.exec(select(Programme)).all()
        writer.add(Person(name="pending"))
        writer.flush()
        started = time.monotonic()
        with read_session(sqlite_engine) as reader:
            assert reader.exec(select(Person)).all() == []  # not committed yet
        # Waiting for the lock this very thread holds would take the whole busy timeout (and
        # then fail); reading takes milliseconds, however loaded the machine.
        assert time.monotonic() - started < get_settings().sqlite_busy_timeout_ms / 1000


def test_write_session_rolls_back_on_error(engine: Engine) -> None:
    with pytest.raises(RuntimeError), write_session(engine) as session:
        session.add(Person(name="never saved"))
        session.flush()
        raise RuntimeError("boom")
    with read_session(engine) as session:
        assert session.exec(select(Person)).all() == []


# --- retrying a busy transaction ---------------------------------------------------------------


def test_write_runs_the_transaction_again_after_a_serialization_failure(
    pg_engine: Engine,
) -> None:
    """A transaction that loses a race on PostgreSQL (40001) is run again, and then succeeds."""
    serializable = pg_engine.execution_options(isolation_level="SERIALIZABLE")
    attempts: list[int] = []
    waiting = threading.Event()

    def work(session: Any) -> None:
        attempts.append(1)
        session.execute(sa.text("SELECT 1"))  # the transaction's snapshot starts here
        waiting.set()
        session.execute(sa.text("UPDATE programme SET retention_months = retention_months + 1"))

    with pg_engine.connect() as other:
        other.execute(sa.text("UPDATE programme SET retention_months = 12"))

        def commit_once_the_writer_waits() -> None:
            waiting.wait(10)
            deadline = time.monotonic() + 10
            with pg_engine.connect() as watcher:
                while (
                    time.monotonic() < deadline
                    and not watcher.execute(
                        sa.text(
                            "SELECT count(*) FROM pg_stat_activity"
                            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                            " AND query LIKE 'UPDATE programme%'"
                        )
                    ).scalar()
                ):
                    time.sleep(0.02)
            other.commit()

        committer = threading.Thread(target=commit_once_the_writer_waits)
        committer.start()
        db.write(serializable, work)
        committer.join(10)

    assert len(attempts) == 2
    with read_session(pg_engine) as session:
        programme = session.get(Programme, 1)
        assert programme is not None
        assert programme.retention_months == 13


@pytest.mark.parametrize(
    ("message", "sqlstate", "transient"),
    [
        ("database is locked", None, True),
        ("could not serialize access due to concurrent update", "40001", True),
        ("deadlock detected", "40P01", True),
        ("no such table: exchange", None, False),
        ("connection refused", "08001", False),
    ],
)
def test_which_errors_are_worth_a_second_run(
    message: str, sqlstate: str | None, transient: bool
) -> None:
    class Driver(Exception):
        pass

    orig = Driver(message)
    orig.sqlstate = sqlstate  # type: ignore[attr-defined]
    assert db.is_transient(OperationalError("SELECT 1", {}, orig)) is transient


def test_with_retry_gives_up_after_its_attempts() -> None:
    runs: list[int] = []

    def locked() -> None:
        runs.append(1)
        raise OperationalError("BEGIN", {}, Exception("database is locked"))

    with pytest.raises(OperationalError, match="database is locked"):
        db.with_retry(locked, attempts=3, pause=0.001)
    assert len(runs) == 3


# --- migrations -------------------------------------------------------------------------------


def test_fixture_databases_are_at_head_with_the_programme(engine: Engine) -> None:
    assert current_revision(engine) == _head(engine)
    with read_session(engine) as session:
        assert session.get(Programme, 1) is not None
        codes = session.exec(select(EligibleCountry.code)).all()
    assert sorted(codes) == sorted(DEFAULT_ELIGIBLE)


def test_upgrade_is_idempotent(engine: Engine) -> None:
    upgrade(engine)
    upgrade(engine)
    assert current_revision(engine) == _head(engine)
    with read_session(engine) as session:
        assert session.exec(select(func.count()).select_from(Programme)).one() == 1
        eligible = session.exec(select(func.count()).select_from(EligibleCountry)).one()
    assert eligible == len(DEFAULT_ELIGIBLE)


def test_upgrade_creates_a_new_sqlite_database(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'new.db'}")
    try:
        assert current_revision(engine) is None
        upgrade(engine)
        assert current_revision(engine) == _head(engine)
    finally:
        engine.dispose()


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    # An empty diff means no model change is missing a migration (and the reverse).
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == []


# --- the "visits only once" index ------------------------------------------------------------


def _exchange(
    reference: str, *, visitor: Organisation, host: Organisation, **overrides: Any
) -> Exchange:
    """An exchange with every required column filled: a planned physical week in March."""
    start, end = date(2025, 3, 10), date(2025, 3, 14)
    assert visitor.id is not None and host.id is not None
    values: dict[str, Any] = {
        "partnership_id": 1,
        "reference": reference,
        "status": "planned",
        "modality": "physical",
        "start_date": start,
        "end_date": end,
        "visitor_org_id": visitor.id,
        "host_org_id": host.id,
        "visitor_type": visitor.type,
        "host_type": host.type,
        "visitor_country": visitor.country,
        "host_country": host.country,
        "visitor_is_sme": visitor.is_sme,
        "host_is_sme": host.is_sme,
        "visitor_community": "partner",
        "host_community": "external",
        "end_quarter": quarter_of(end),
        "working_days": 5,
        "reduced_rate": False,
        "involves_sme": visitor.is_sme or host.is_sme,
        "visitor_external": False,
        "host_external": True,
        "visitor_partner": True,
        "host_partner": False,
    }
    values.update(overrides)
    return Exchange(**values)


@pytest.fixture
def orgs(engine: Engine) -> dict[str, Organisation]:
    """A partnership (id 1) and three organisations in three countries."""
    with write_session(engine) as session:
        session.add(
            Partnership(
                acronym="TEST",
                name="Test partnership",
                action_start=date(2024, 1, 1),
                action_end=date(2025, 12, 31),
            )
        )
        result = {
            "visitor": Organisation(name="Visitor", name_key="visitor", type="sme", country="GR"),
            "host": Organisation(
                name="Host", name_key="host", type="cluster_organisation", country="DE"
            ),
            "other": Organisation(name="Other", name_key="other", type="university", country="CZ"),
        }
        session.add_all(result.values())
    return result


def _add(engine: Engine, exchange: Exchange) -> None:
    with write_session(engine) as session:
        session.add(exchange)


def test_an_organisation_visits_physically_only_once(
    engine: Engine, orgs: dict[str, Organisation]
) -> None:
    visitor, host, other = orgs["visitor"], orgs["host"], orgs["other"]
    _add(engine, _exchange("X-1", visitor=visitor, host=host))

    # A second physical, non-cancelled visit, whatever the host or status: refused.
    with pytest.raises(IntegrityError):
        _add(engine, _exchange("X-2", visitor=visitor, host=other, status="completed"))

    # Cancelled and virtual stays do not count as the visit.
    _add(
        engine,
        _exchange("X-3", visitor=visitor, host=other, status="cancelled", cancellation_reason="-"),
    )
    _add(engine, _exchange("X-4", visitor=visitor, host=other, modality="virtual"))
    # Hosting many times is fine, and so is another organisation's own visit.
    _add(engine, _exchange("X-5", visitor=other, host=host))

    with read_session(engine) as session:
        references = session.exec(select(Exchange.reference)).all()
    assert sorted(references) == ["X-1", "X-3", "X-4", "X-5"]


def test_cancelling_the_visit_frees_the_organisation(
    engine: Engine, orgs: dict[str, Organisation]
) -> None:
    visitor, host, other = orgs["visitor"], orgs["host"], orgs["other"]
    _add(engine, _exchange("X-1", visitor=visitor, host=host))
    with write_session(engine) as session:
        first = session.exec(select(Exchange).where(Exchange.reference == "X-1")).one()
        first.status = "cancelled"
        first.cancellation_reason = "visa refused"
    _add(engine, _exchange("X-2", visitor=visitor, host=other))


# --- the engine factory ---------------------------------------------------------------------


def test_make_engine_creates_the_folder_of_a_new_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "xchange.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        assert path.parent.is_dir()
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
        assert path.is_file()
    finally:
        engine.dispose()


def test_make_engine_uses_the_settings_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "from-env" / "x.db"
    monkeypatch.setenv("XCHANGE_DATABASE_URL", f"sqlite:///{path}")
    engine = make_engine()
    try:
        assert engine.url.database == str(path)
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u@h:5432/db", "postgresql+psycopg://u@h:5432/db"),
        ("postgres://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
        # Already explicit: left alone, whichever driver it names.
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg2://u@h/db", "postgresql+psycopg2://u@h/db"),
        ("sqlite:///data/xchange.db", "sqlite:///data/xchange.db"),
        ("sqlite://", "sqlite://"),
    ],
)
def test_normalise_url(url: str, expected: str) -> None:
    assert normalise_url(url) == expected


def test_make_engine_routes_postgresql_to_psycopg() -> None:
    # create_engine does not connect, so no server is needed here.
    engine = make_engine("postgresql://nobody@127.0.0.1:1/none")
    try:
        assert (engine.dialect.name, engine.dialect.driver) == ("postgresql", "psycopg")
    finally:
        engine.dispose()
