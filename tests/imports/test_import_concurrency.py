"""Imports and undos racing edits, undos and each other: the order is forced, never hoped for.

PostgreSQL cases hold one transaction open on a thread of its own (`Held`) and start the other
once the first has taken its locks; `blocked` then waits until PostgreSQL reports the second
one waiting for a lock (`pg_blocking_pids`), before the first commits. So each case runs the
race it names on every run. SQLite takes its write lock at BEGIN, so there the same races are
only ever run one after the other: the cases that make sense there run on both databases.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tests.db.test_concurrency import run_together
from tests.imports.test_importer import (
    OFFICER,
    TODAY,
    Register,
    csv_bytes,
    make_register,
    row,
    rows,
)
from xchange.db import engine as db
from xchange.errors import PermissionDenied, StaleRecord
from xchange.imports.files import read_file
from xchange.imports.importer import ImportReport, UndoRefused, run_import, undo_import
from xchange.imports.write import id_ranges
from xchange.models import AuditEvent, Exchange, ImportBatch, Organisation, Person
from xchange.register import service

# Longest wait for a thread to reach a point it must reach: a hang fails, it never passes.
DEADLINE_S = 60


class Held:
    """`work(session)` in a write transaction on its own thread, which then keeps the
    transaction (and its locks) open until `release()`; `outcome` is the result or the error."""

    def __init__(self, engine: Engine, work: Callable[[Session], Any], *, hold: bool = True):
        self.engine = engine
        self.work = work
        self.pid: int | None = None
        self.connected = threading.Event()
        self.worked = threading.Event()
        self._go = threading.Event()
        if not hold:
            self._go.set()
        self.outcome: Any = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            with db.write_session(self.engine, check_foreign_keys=False) as session:
                if self.engine.dialect.name == "postgresql":
                    self.pid = int(session.execute(sa.text("SELECT pg_backend_pid()")).scalar_one())
                self.connected.set()
                result = self.work(session)
                self.worked.set()
                assert self._go.wait(DEADLINE_S), "never released"
            self.outcome = result
        except Exception as exc:  # the test checks it
            self.outcome = exc
        finally:
            self.connected.set()
            self.worked.set()

    def release(self) -> Any:
        """Let the transaction commit; its outcome."""
        self._go.set()
        self._thread.join(DEADLINE_S)
        assert not self._thread.is_alive(), "the transaction did not finish"
        return self.outcome


def start(engine: Engine, work: Callable[[Session], Any]) -> Held:
    """`work` running at once, committing as soon as it is done."""
    held = Held(engine, work, hold=False)
    assert held.connected.wait(DEADLINE_S)
    return held


def holding(engine: Engine, work: Callable[[Session], Any]) -> Held:
    """`work` done in a transaction left open (its locks held) until `release()`."""
    held = Held(engine, work)
    assert held.worked.wait(DEADLINE_S)
    assert not isinstance(held.outcome, Exception), held.outcome
    return held


def blocked(engine: Engine, held: Held, *, anyone: bool = False) -> None:
    """Return once `held`'s transaction (with `anyone`: any transaction, for work that opens
    connections of its own) waits for a lock another transaction holds."""
    assert held.pid is not None
    deadline = time.monotonic() + DEADLINE_S
    with engine.connect() as connection:
        while time.monotonic() < deadline:
            waiting = connection.execute(
                sa.text(
                    # This database's sessions only: other test processes have their own.
                    "SELECT count(*) > 0 FROM pg_stat_activity"
                    " WHERE datname = current_database() AND (pid = :pid OR :anyone)"
                    " AND cardinality(pg_blocking_pids(pid)) > 0"
                ),
                {"pid": held.pid, "anyone": anyone},
            ).scalar_one()
            connection.rollback()
            if waiting:
                return
            assert not held.worked.is_set(), f"it did not wait: {held.outcome!r}"
            time.sleep(0.01)  # polling a condition, not hoping for one
    raise AssertionError("it never waited for the lock")


def undo(register: Register, batch_id: int, user: str | None = None) -> Callable[[Session], Any]:
    actor = register.user(user)
    return lambda session: undo_import(session=session, actor=actor, batch_id=batch_id)


def load(register: Register, data: bytes) -> Callable[[Session], ImportReport]:
    actor = register.user()
    source = read_file(data, "exchanges.csv")
    return lambda session: run_import(session=session, actor=actor, source=source, today=TODAY)


def edit(register: Register, reference: str, **changes: str) -> Callable[[Session], Any]:
    """Change one stored exchange through the service, at the version it has now."""
    actor = register.user()
    stored = register.exchanges()[reference]
    assert stored.id is not None
    exchange_id, version = stored.id, stored.version

    def work(session: Session) -> Exchange:
        data = service.exchange_in(session, session.get(Exchange, exchange_id))  # type: ignore[arg-type]
        return service.update_exchange(
            session=session,
            actor=actor,
            exchange_id=exchange_id,
            expected_version=version,
            data=data.model_copy(update=changes),
            today=TODAY,
        )

    return work


def undo_events(engine: Engine) -> int:
    with db.read_session(engine) as session:
        found = session.exec(
            select(AuditEvent.id).where(
                AuditEvent.entity == "exchange", AuditEvent.action == "undo_import"
            )
        )
        return len(found.all())


@pytest.fixture
def pg(pg_engine: Engine) -> Register:
    return make_register(pg_engine)


# --- undo against an edit (PostgreSQL) -------------------------------------------------------


def test_an_undo_waits_for_an_edit_holding_its_row_then_refuses(pg: Register) -> None:
    report = pg.load(csv_bytes(rows(2)))
    editing = holding(pg.engine, edit(pg, "R-002", notes="changed by hand"))
    undoing = start(pg.engine, undo(pg, report.batch_id or 0))
    blocked(pg.engine, undoing)
    assert isinstance(editing.release(), Exchange)
    refused = undoing.release()
    assert isinstance(refused, UndoRefused), refused
    assert "GTEX/R-002 (update by local-admin@localhost" in str(refused)
    stored = pg.exchanges()
    assert sorted(stored) == ["R-001", "R-002"]
    assert (stored["R-002"].version, stored["R-002"].notes) == (2, "changed by hand")


def test_an_edit_waits_for_an_undo_holding_its_rows_then_is_stale(pg: Register) -> None:
    first = pg.load(csv_bytes(rows(2)))
    changed = rows(2)
    changed[0]["notes"] = "second import"
    second = pg.load(csv_bytes(changed))
    assert (first.rows_created, second.rows_updated) == (2, 1)
    change = edit(pg, "R-001", notes="changed by hand")  # read before the undo: version 2
    undoing = holding(pg.engine, undo(pg, second.batch_id or 0))
    editing = start(pg.engine, change)
    blocked(pg.engine, editing)
    assert undoing.release().restored == 1
    assert isinstance(editing.release(), StaleRecord)
    assert pg.exchanges()["R-001"].notes is None  # as the first import left it


# --- two undos of one batch ------------------------------------------------------------------


def test_a_second_undo_waits_for_the_first_then_is_refused(pg: Register) -> None:
    report = pg.load(csv_bytes(rows(3)))
    first = holding(pg.engine, undo(pg, report.batch_id or 0))
    second = start(pg.engine, undo(pg, report.batch_id or 0))
    blocked(pg.engine, second)
    assert first.release().deleted == 3
    refused = second.release()
    assert isinstance(refused, UndoRefused), refused
    assert f"Import {report.batch_id} was already undone on " in str(refused)
    assert str(refused).endswith(" by local-admin@localhost")
    assert undo_events(pg.engine) == 3


def test_two_undos_at_once_one_wins(engine: Engine) -> None:
    register = make_register(engine)
    report = register.load(csv_bytes(rows(5)))
    batch = report.batch_id or 0
    outcomes = run_together([lambda: register.undo(batch), lambda: register.undo(batch)])
    assert sorted(type(o).__name__ for o in outcomes) == ["UndoRefused", "UndoReport"], outcomes
    assert undo_events(engine) == 5
    assert register.count(Exchange) == 0


# --- two imports of one file -----------------------------------------------------------------


def test_a_second_import_of_a_file_waits_for_the_first_and_changes_nothing(pg: Register) -> None:
    data = csv_bytes(rows(20))
    first = holding(pg.engine, load(pg, data))
    second = start(pg.engine, load(pg, data))
    blocked(pg.engine, second)
    assert first.release().rows_created == 20
    again = second.release()
    assert isinstance(again, ImportReport), again
    assert (again.rows_created, again.rows_unchanged) == (0, 20)
    assert pg.count(Organisation) == 21 and pg.count(Exchange) == 20


def test_an_import_meeting_a_key_taken_meanwhile_is_run_again(pg: Register) -> None:
    """A person logs an exchange with a new host while an import of rows naming that host
    writes: the import's first run fails on the name key, `db.write` runs it again, and the
    second run uses the host the person saved."""
    actor = pg.user()
    logged = service.ExchangeIn(
        partnership="GTEX",
        reference="BY-HAND",
        status="confirmed",
        start_date=date(2025, 3, 10),
        end_date=date(2025, 3, 14),
        visitor_organisation="Hand Visitor",
        visitor_type="cluster organisation",
        visitor_country="DE",
        visitor_is_sme=False,
        visitor_community="partner",
        host_organisation="New Host",
        host_type="university",
        host_country="FR",
        host_is_sme=True,
        host_community="external",
    )
    logging = holding(
        pg.engine,
        lambda session: service.create_exchange(
            session=session, actor=actor, data=logged, today=TODAY
        ),
    )
    source = read_file(csv_bytes(rows(3, host_organisation="New Host")), "exchanges.csv")
    runs: list[int] = []

    def work(session: Session) -> ImportReport:
        runs.append(1)
        return run_import(session=session, actor=actor, source=source, today=TODAY)

    importing = start(pg.engine, lambda _unused: db.write(pg.engine, work))
    blocked(pg.engine, importing, anyone=True)  # its COPY waits on the person's new key
    assert isinstance(logging.release(), Exchange)
    report = importing.release()
    assert isinstance(report, ImportReport), report
    assert (len(runs), report.rows_created) == (2, 3)
    with db.read_session(pg.engine) as session:
        hosts = session.exec(select(Organisation.id).where(Organisation.name == "New Host"))
        assert len(hosts.all()) == 1


def test_two_imports_of_one_file_at_once_both_finish(engine: Engine) -> None:
    register = make_register(engine)
    data = csv_bytes(rows(20))
    outcomes = run_together([lambda: register.load(data), lambda: register.load(data)])
    assert all(isinstance(o, ImportReport) for o in outcomes), outcomes
    assert sorted((o.rows_created, o.rows_unchanged) for o in outcomes) == [(0, 20), (20, 0)]
    assert register.count(Exchange) == 20


# --- who may undo, and what an undo removes --------------------------------------------------


def test_an_officer_may_not_undo_an_import_that_changed_nothing(engine: Engine) -> None:
    register = make_register(engine)
    data = csv_bytes(rows(2))
    register.load(data)
    nothing = register.load(data)
    assert (nothing.rows_created, nothing.rows_updated) == (0, 0)
    with pytest.raises(PermissionDenied, match="officers have read-only access"):
        register.undo(nothing.batch_id or 0, user=OFFICER)
    with db.read_session(engine) as session:
        batch = session.get(ImportBatch, nothing.batch_id)
        assert batch is not None and batch.undone_at is None
        refusals = session.exec(
            select(AuditEvent).where(
                AuditEvent.action == "refused", AuditEvent.actor_label == OFFICER
            )
        ).all()
    assert [(e.entity, e.entity_id, e.changes["attempted"]) for e in refusals] == [
        ("import_batch", nothing.batch_id, "undo_import")
    ]
    assert register.undo(nothing.batch_id or 0).deleted == 0  # its maker, an admin, may


def test_undo_removes_the_organisations_and_people_only_its_batch_used(engine: Engine) -> None:
    register = make_register(engine)
    register.load(csv_bytes([row(reference="OLD", visitor_organisation="Old Visitor")]))
    before = (register.count(Organisation), register.count(Person))
    records = rows(3, host_organisation="New Host", representative="New Person")
    records[2]["representative"] = "Kept Person"
    records[2]["host_organisation"] = "Beta Hub"  # existed before: kept
    report = register.load(csv_bytes(records))
    # A record saved since uses the batch's new host and one of its people: both stay.
    register.load(
        csv_bytes(
            [
                row(
                    reference="LATER",
                    visitor_organisation="Later Visitor",
                    host_organisation="New Host",
                    representative="Kept Person",
                )
            ]
        )
    )
    with db.read_session(engine) as session:
        gone = session.exec(select(Person.id).where(Person.name == "New Person")).one()
    assert register.undo(report.batch_id or 0).deleted == 3
    with db.read_session(engine) as session:
        names = set(session.exec(select(Organisation.name)).all())
        people = set(session.exec(select(Person.name)).all())
        removed = session.exec(
            select(AuditEvent.entity, AuditEvent.entity_id, AuditEvent.changes).where(
                AuditEvent.action == "undo_import", AuditEvent.entity != "exchange"
            )
        ).all()
    assert names == {"Old Visitor", "Beta Hub", "New Host", "Later Visitor"}
    assert people == {"Jane Doe", "Kept Person"}
    assert before == (2, 1)
    # Organisations by name; a person by id alone, as everywhere in the trail (privacy).
    assert sorted(
        (entity, changes.get("name", [entity_id])[0]) for entity, entity_id, changes in removed
    ) == [
        ("organisation", "Visitor 1"),
        ("organisation", "Visitor 2"),
        ("organisation", "Visitor 3"),
        ("person", gone),
    ]
    assert all("name" not in changes for entity, _id, changes in removed if entity == "person")


def test_undo_removes_many_organisations_and_leaves_no_index_of_its_own(engine: Engine) -> None:
    """From 20 rows removed, the undo indexes the columns referring to them for the deletes
    (a scan per row otherwise), and drops those indexes again."""
    register = make_register(engine)
    indexes = {i["name"] for i in sa.inspect(engine).get_indexes("exchange")}
    report = register.load(csv_bytes(rows(30)))
    undone = register.undo(report.batch_id or 0)
    assert (undone.organisations_removed, undone.people_removed) == (31, 1)
    assert (register.count(Organisation), register.count(Person)) == (0, 0)
    assert {i["name"] for i in sa.inspect(engine).get_indexes("exchange")} == indexes


@settings(max_examples=50, deadline=None)
@given(st.sets(st.integers(min_value=1, max_value=60), max_size=30))
def test_id_ranges_name_exactly_the_ids_given(ids: set[int]) -> None:
    ranges = id_ranges(sorted(ids, reverse=True))
    assert {i for first, last in ranges for i in range(first, last + 1)} == ids
    # As few ranges as can be: each begins after a gap.
    assert all(b[0] > a[1] + 1 for a, b in zip(ranges, ranges[1:], strict=False))
