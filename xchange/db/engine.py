"""The only place an engine is made; sessions for reading and for writing; schema upgrades.

SQLite (the embedded default) runs in WAL mode with foreign keys on and a busy timeout. Write
sessions begin with `BEGIN IMMEDIATE`, so two writers queue for the lock at the start instead of
failing half-way with "database is locked"; a short retry covers what the timeout does not.
A bulk load whose references are valid by construction (an import) may ask for a session that
leaves SQLite's foreign keys unchecked (`write_session(..., check_foreign_keys=False)`).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from xchange.config import PROJECT_ROOT, get_settings, normalise_url
from xchange.errors import WriteConflict

T = TypeVar("T")

# Bytes per page of a new SQLite database (see `_sqlite_engine`).
SQLITE_PAGE_SIZE = 16_384
# `ConnectionRecord.info` key: this connection's transaction runs with foreign keys unchecked.
_FOREIGN_KEYS_OFF = "xchange_foreign_keys_off"

# `ConnectionRecord.info` key listing the staging databases a bulk load attached to a
# connection (`bulk.insert_staged`); checkin detaches them.
STAGES = "xchange_bulk_stages"

MIGRATIONS_DIR = PROJECT_ROOT / "migrations"


def make_engine(url: str | None = None) -> Engine:
    """An engine for `url` (default: the settings' URL), with the SQLite pragmas we rely on."""
    settings = get_settings()
    url = normalise_url(url or settings.database_url)
    if url.startswith("sqlite"):
        return _sqlite_engine(url, settings.sqlite_busy_timeout_ms)
    return sa.create_engine(url, pool_pre_ping=True)


def _sqlite_engine(url: str, busy_timeout_ms: int) -> Engine:
    path = sa.engine.make_url(url).database
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(
        url, connect_args={"timeout": busy_timeout_ms / 1000, "check_same_thread": False}
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (see _on_begin).
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        # A new database gets 16 KiB pages (an existing one keeps its own: SQLite only takes
        # this before the first table). Bulk writes then cost fewer page writes, each to the
        # WAL and again at the checkpoint: a tenth off an import of 100,000 rows or a demo
        # register of a million; KPI reads at a million exchanges take as long as with 4 KiB.
        cursor.execute(f"PRAGMA page_size={SQLITE_PAGE_SIZE}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Large GROUP BY sorts (a KPI filter the summaries lack, at a million exchanges) may use
        # helper threads: a third faster on two cores.
        cursor.execute(f"PRAGMA threads={min(os.cpu_count() or 1, 4)}")
        cursor.close()

    @event.listens_for(engine, "checkin")
    def _on_checkin(dbapi_conn: Any, record: Any) -> None:
        # Back in the pool, its transaction over: let go of any bulk load's staging file, and
        # check foreign keys again for whoever uses the connection next.
        if dbapi_conn is not None and record.info:  # empty after a plain read: no bulk import
            detach_stages(dbapi_conn, record.info)
            if record.info.pop(_FOREIGN_KEYS_OFF, False):
                dbapi_conn.execute("PRAGMA foreign_keys=ON")

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        options = conn.get_execution_options()
        if not options.get("sqlite_foreign_keys", True):
            # Only outside a transaction does SQLite take this; checkin turns it back on.
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.connection.info[_FOREIGN_KEYS_OFF] = True
        conn.exec_driver_sql(f"BEGIN {options.get('sqlite_begin', 'DEFERRED')}")

    return engine


def detach_stages(driver: Any, info: dict[Any, Any]) -> None:
    """Detach the staging databases a bulk load attached to a connection (outside a
    transaction: a transaction that read one holds it locked)."""
    for schema in info.pop(STAGES, []):
        driver.execute(f"DETACH DATABASE {schema}")


def is_sqlite(engine: Engine | sa.Connection) -> bool:
    """True for the embedded database."""
    return engine.dialect.name == "sqlite"


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """A session for reading; nothing it does is committed."""
    with Session(engine) as session:
        yield session


@contextmanager
def write_session(engine: Engine, *, check_foreign_keys: bool = True) -> Iterator[Session]:
    """A session whose transaction takes the write lock at once (SQLite) and commits on exit.

    Everything inside commits together or not at all.

    `check_foreign_keys=False` is for a bulk load whose every reference is valid by
    construction: on SQLite the foreign keys then go unchecked for this transaction, which
    spares a look-up per reference and row (a fifth of writing 100,000 imported exchanges).
    PostgreSQL checks them as ever, and the test suite runs every import on both.
    """
    bind = engine
    if is_sqlite(engine):
        bind = engine.execution_options(
            sqlite_begin="IMMEDIATE", sqlite_foreign_keys=check_foreign_keys
        )
    with Session(bind, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


# PostgreSQL's "try the transaction again" errors: serialization failure, deadlock detected.
RETRY_SQLSTATES = frozenset({"40001", "40P01"})


def is_transient(exc: OperationalError) -> bool:
    """True for an error that running the whole transaction again may cure: SQLite's "database
    is locked" (a writer held the lock past the busy timeout), PostgreSQL's serialization
    failure or deadlock."""
    if "database is locked" in str(exc):
        return True
    return getattr(exc.orig, "sqlstate", None) in RETRY_SQLSTATES


def with_retry(work: Callable[[], T], *, attempts: int = 5, pause: float = 0.05) -> T:
    """Run `work` (a whole transaction), running it again briefly on a transient error or a
    `WriteConflict` (a key another writer took meanwhile: the next run reads it and uses it).

    At most `attempts` runs, `pause`, 2 x `pause`, 4 x `pause`... apart; the last error is raised.
    """
    for attempt in range(attempts):
        try:
            return work()
        except (OperationalError, WriteConflict) as exc:
            retry = isinstance(exc, WriteConflict) or is_transient(exc)
            if not retry or attempt == attempts - 1:
                raise
            time.sleep(pause * (2**attempt))
    raise AssertionError("unreachable")


def is_conflict(exc: BaseException) -> bool:
    """True for a unique or foreign key violation, wrapped by SQLAlchemy or raised by the driver
    itself (a bulk load through the driver's own cursor, `COPY` on PostgreSQL, is not wrapped)."""
    if isinstance(exc, sa.exc.IntegrityError):
        return True
    return any(isinstance(exc, kind) for kind in _driver_errors("IntegrityError"))


def is_database_error(exc: BaseException) -> bool:
    """True for any error the database or its driver raised (wrapped by SQLAlchemy or not)."""
    if isinstance(exc, sa.exc.SQLAlchemyError):
        return True
    return any(isinstance(exc, kind) for kind in _driver_errors("Error"))


def database_error_line(exc: BaseException) -> str:
    """The driver's own first line of a database error, without SQLAlchemy's SQL and links."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _driver_errors(name: str) -> list[type[BaseException]]:
    """The DB-API exception class `name` of each driver installed (sqlite3, psycopg)."""
    import importlib
    import sqlite3

    kinds: list[type[BaseException]] = [getattr(sqlite3, name)]
    with contextlib.suppress(ImportError):  # a SQLite-only installation has no psycopg
        kinds.append(getattr(importlib.import_module("psycopg"), name))
    return kinds


# One key for every import's transaction-level advisory lock (PostgreSQL): "xchi" in ASCII.
IMPORT_LOCK_KEY = 0x78636869


def queue_imports(session: Session) -> None:
    """Wait until no other import or undo is writing, then hold that turn until this
    transaction ends (commit or rollback).

    Two imports of one file would otherwise both plan the same new organisations and the
    second would fail on the name key. PostgreSQL: a transaction-level advisory lock
    (`pg_advisory_xact_lock`), which no other writer takes, so edits carry on meanwhile and
    reads never wait. SQLite needs nothing: a write transaction holds the one write lock from
    its BEGIN.
    """
    connection = session.connection()
    if not is_sqlite(connection):
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": IMPORT_LOCK_KEY})


def write(engine: Engine, work: Callable[[Session], T], *, check_foreign_keys: bool = True) -> T:
    """`work(session)` in one `write_session` (`check_foreign_keys` as there), committed; run
    again (`with_retry`) when the database was busy. `work` may run more than once: it must not
    act outside the transaction."""

    def attempt() -> T:
        with write_session(engine, check_foreign_keys=check_foreign_keys) as session:
            return work(session)

    return with_retry(attempt)


def alembic_config(url: str) -> Any:
    """The Alembic configuration for our migrations, pointed at `url`."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return config


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration (what `xchange init` does), then seed settings."""
    from alembic import command

    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    ensure_programme(engine)


def ensure_programme(engine: Engine) -> None:
    """Create the programme settings row and its default eligible countries if missing."""
    from xchange.models import EligibleCountry, Programme
    from xchange.reference import DEFAULT_ELIGIBLE

    with write_session(engine) as session:
        if session.get(Programme, 1) is None:
            session.add(Programme(id=1))
            session.add_all(EligibleCountry(code=code) for code in DEFAULT_ELIGIBLE)
    ensure_local_admin(engine)


def current_revision(engine: Engine) -> str | None:
    """The schema's Alembic revision, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


LOCAL_ADMIN_EMAIL = "local-admin@localhost"


def ensure_local_admin(engine: Engine) -> None:
    """The user the CLI acts as without `--user`; it has no password, so nobody signs in as it."""
    from sqlmodel import select

    from xchange.models import Role, User

    with write_session(engine) as session:
        if session.exec(select(User).where(User.email == LOCAL_ADMIN_EMAIL)).first() is None:
            session.add(User(email=LOCAL_ADMIN_EMAIL, role=Role.ADMIN.value, password_hash=None))
