"""A quarter's life: submitted, returned, submitted again, approved (locked on every write path),
reopened, approved again; every step audited. On SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import shlex
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tests.factories import admin, cast
from xchange.cli import cli
from xchange.db import engine as db
from xchange.errors import InvalidInput, PermissionDenied, QuarterLocked, ValidationFailed
from xchange.imports.files import read_file
from xchange.imports.importer import run_import, undo_import
from xchange.kpi import reports, snapshots
from xchange.models import AuditEvent, Exchange, KpiSnapshot, Organisation, Role, User
from xchange.pack.data import gather
from xchange.register import organisations, privacy, service
from xchange.register.service import ExchangeIn

TODAY = date(2026, 3, 2)
Q = "2025Q4"
COORDINATOR = "anna@alpha.eu"
OFFICER = "olga@ec.europa.eu"


def stay(reference: str, start: str, end: str, **changes: Any) -> dict[str, str]:
    values = {
        "reference": reference,
        "partnership": "ALPHA",
        "status": "confirmed",
        "start_date": start,
        "end_date": end,
        "visitor_organisation": f"Visitor {reference}",
        "host_organisation": "Host Hub",
        "visitor_type": "cluster organisation",
        "host_type": "university",
        "visitor_country": "DE",
        "host_country": "FR",
        "visitor_is_sme": "no",
        "host_is_sme": "yes",
        "visitor_community": "partner",
        "host_community": "external",
        "representative": f"Rep {reference}",
    }
    return values | changes


def csv_of(*records: dict[str, str]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(records[0]))
    writer.writeheader()
    writer.writerows(records)
    return buffer.getvalue().encode()


def user(session: Session, email: str) -> User:
    return session.exec(select(User).where(User.email == email)).one()


def load(engine: Engine, data: bytes, email: str = COORDINATOR) -> Any:
    with db.write_session(engine, check_foreign_keys=False) as session:
        return run_import(
            session=session,
            actor=user(session, email),
            source=read_file(data, "q.csv"),
            today=TODAY,
        )


def step(engine: Engine, name: str, email: str, **options: Any) -> Any:
    with db.write_session(engine) as session:
        work = getattr(reports, f"{name}_quarter")
        return work(session=session, actor=user(session, email), partnership="alpha", **options)


def exchange(engine: Engine, reference: str) -> Exchange:
    with db.read_session(engine) as session:
        return session.exec(select(Exchange).where(Exchange.reference == reference)).one()


def edit(engine: Engine, reference: str, email: str = COORDINATOR, **changes: Any) -> Exchange:
    current = exchange(engine, reference)
    with db.write_session(engine) as session:
        data = service.exchange_in(session, current).model_copy(update=changes)
        return service.update_exchange(
            session=session,
            actor=user(session, email),
            exchange_id=current.id or 0,
            expected_version=current.version,
            data=data,
            today=TODAY,
        )


@pytest.fixture
def register(engine: Engine) -> Engine:
    with db.write_session(engine) as session:
        cast(
            session,
            {
                "anna": (COORDINATOR, Role.COORDINATOR, True, "ALPHA"),
                "olga": (OFFICER, Role.OFFICER, True, None),
            },
            date(2025, 1, 1),
            date(2026, 12, 31),
            acronyms=("ALPHA",),
        )
    load(
        engine,
        csv_of(
            stay("IN-1", "2025-11-10", "2025-11-14", status="completed"),
            stay("IN-2", "2025-12-08", "2025-12-12"),
            stay("LATER", "2026-01-12", "2026-01-16", host_organisation="Other Hub"),
        ),
    )
    load(engine, csv_of(stay("IN-3", "2025-12-01", "2025-12-05")))  # import 2, never edited
    return engine


def quarter_events(engine: Engine) -> list[tuple[str, str, dict[str, Any]]]:
    with db.read_session(engine) as session:
        rows = session.exec(
            select(AuditEvent)
            .where(AuditEvent.entity == "quarter_report", AuditEvent.action != "refused")
            .order_by(sa.column("id"))
        ).all()
        return [(e.action, e.actor_label, e.changes) for e in rows]


def refused_everywhere(engine: Engine, batch_id: int, tmp_path: Path) -> None:
    """Every write that would change the approved quarter is refused, naming who approved it."""
    said = f"2025-Q4 of ALPHA is approved and locked \\(approved by {OFFICER} on "
    with pytest.raises(QuarterLocked, match=said):  # an edit of a stay in the quarter
        edit(engine, "IN-1", notes="late note")
    with pytest.raises(QuarterLocked):  # a stay moved into the quarter
        edit(engine, "LATER", start_date=date(2025, 12, 15), end_date=date(2025, 12, 19))
    with pytest.raises(QuarterLocked):  # a stay moved out of it
        edit(engine, "IN-2", start_date=date(2026, 1, 5), end_date=date(2026, 1, 9))
    in2 = exchange(engine, "IN-2")
    with db.write_session(engine) as session, pytest.raises(QuarterLocked):
        service.cancel_exchange(
            session=session,
            actor=user(session, COORDINATOR),
            exchange_id=in2.id or 0,
            expected_version=in2.version,
            reason="Host withdrew",
        )
    with db.write_session(engine) as session, pytest.raises(QuarterLocked):
        service.complete_exchange(
            session=session,
            actor=user(session, COORDINATOR),
            exchange_id=in2.id or 0,
            expected_version=in2.version,
            validated_on=TODAY,
            validated_by="Officer",
            today=TODAY,
        )
    with db.write_session(engine) as session, pytest.raises(QuarterLocked):
        service.create_exchange(
            session=session,
            actor=user(session, COORDINATOR),
            data=ExchangeIn(**stay("NEW-1", "2025-10-06", "2025-10-10")),  # type: ignore[arg-type]
            today=TODAY,
        )
    # An import: the row creating a stay in the quarter is refused, the unchanged row is not.
    report = load(
        engine,
        csv_of(
            stay("IN-1", "2025-11-10", "2025-11-14", status="completed"),
            stay("NEW-2", "2025-10-13", "2025-10-17"),
        ),
    )
    assert report.refused and [(i.row, i.code) for i in report.errors] == [(3, "quarter_locked")]
    assert "approved by olga@ec.europa.eu" in report.errors[0].message
    assert report.rows_unchanged == 1
    # A re-imported row moving its stay out of the quarter changes it too.
    moved = load(engine, csv_of(stay("IN-2", "2026-01-05", "2026-01-09")))
    assert [(i.row, i.code) for i in moved.errors] == [(2, "quarter_locked")]
    with (
        db.write_session(engine) as session,
        pytest.raises(QuarterLocked, match="cannot be undone"),
    ):
        undo_import(session=session, actor=admin(session), batch_id=batch_id)
    with db.write_session(engine) as session, pytest.raises(QuarterLocked):
        keep = session.exec(select(Organisation).where(Organisation.name == "Host Hub")).one()
        other = session.exec(select(Organisation).where(Organisation.name == "Other Hub")).one()
        organisations.merge_organisations(
            session=session, actor=admin(session), keep_id=other.id or 0, merge_id=keep.id or 0
        )
    # The command line's import: the same refusal, exit code 1.
    url = engine.url.render_as_string(hide_password=False)
    path = tmp_path / "late.csv"
    path.write_bytes(csv_of(stay("NEW-3", "2025-10-20", "2025-10-24")))
    result = CliRunner().invoke(cli, ["--db", url, "import", str(path)])
    assert result.exit_code == 1, result.output
    assert "approved and locked" in result.output


def test_a_quarters_life_from_submission_to_a_second_approval(
    register: Engine, tmp_path: Path
) -> None:
    engine = register
    untouched_batch = 2
    # Officers may not submit; coordinators may not decide.
    with pytest.raises(PermissionDenied, match="officers have read-only access"):
        step(engine, "submit", OFFICER, quarter=Q)
    with pytest.raises(InvalidInput, match="open, not submitted"):
        step(engine, "approve", OFFICER, quarter=Q)

    step(engine, "submit", COORDINATOR, quarter=Q, comment="All reports in")
    with pytest.raises(PermissionDenied, match="only officers and administrators may"):
        step(engine, "approve", COORDINATOR, quarter=Q)
    with pytest.raises(InvalidInput, match="submitted already"):
        step(engine, "submit", COORDINATOR, quarter=Q)
    with db.read_session(engine) as session:
        waiting = reports.review_list(session, actor=user(session, OFFICER))
        assert [(w.acronym, w.quarter, w.comment) for w in waiting] == [
            ("ALPHA", Q, "All reports in")
        ]
    step(engine, "return", OFFICER, quarter=Q, reason="IN-2 still lacks its agreement")
    # Corrected (allowed: a returned quarter is not locked) and submitted again.
    edit(engine, "IN-2", notes="Agreement signed on 1 Dec")
    step(engine, "submit", COORDINATOR, quarter=Q, comment="Corrected")
    approved = step(engine, "approve", OFFICER, quarter=Q)
    with db.read_session(engine) as session:
        [row] = [
            r
            for r in reports.quarter_list(session, actor=user(session, COORDINATOR))
            if r.quarter == Q
        ]
        assert row.state == "approved" and row.said().startswith(f"Approved by {OFFICER} on ")
        revision = session.get(KpiSnapshot, approved.approved_snapshot_id)
        assert revision is not None and revision.revision == 2  # the resubmitted figures
        assert snapshots.approved_revision(session, scope="ALPHA", quarter=Q) == revision
        # The quarter's pack prints the approved figures, and says so.
        pack = gather(
            session, actor=user(session, OFFICER), quarter=Q, partnership="ALPHA", today=TODAY
        )
        assert pack.source.describe().startswith(
            f"the approved quarter report (revision 2; Approved by {OFFICER} on "
        )
        assert pack.headline.counted == revision.figures["counted"] == 1
        assert int(pack.partnerships["counted"].sum()) == 1

    refused_everywhere(engine, untouched_batch, tmp_path)
    # Recording a payment and erasing a person stay allowed.
    in1 = exchange(engine, "IN-1")
    with db.write_session(engine) as session:
        service.record_payment(
            session=session,
            actor=user(session, COORDINATOR),
            exchange_id=in1.id or 0,
            expected_version=in1.version,
            paid_on=TODAY,
            paid_eur=1100,
        )
    with db.write_session(engine) as session:
        privacy.erase_person(session=session, actor=admin(session), name="Rep IN-1")

    with pytest.raises(PermissionDenied, match="only administrators may"):
        step(engine, "reopen", COORDINATOR, quarter=Q, reason="Need to fix")
    with db.write_session(engine) as session:
        reports.reopen_quarter(
            session=session,
            actor=admin(session),
            partnership="ALPHA",
            quarter=Q,
            reason="A late final report for IN-2",
        )
    assert edit(engine, "IN-2", notes="Final report validated late").version > 1
    step(engine, "submit", COORDINATOR, quarter=Q)
    step(engine, "approve", OFFICER, quarter=Q)
    with pytest.raises(QuarterLocked):  # the next approval locks it again
        edit(engine, "IN-1", notes="again")

    events = quarter_events(engine)
    assert [(action, who, c["state"]) for action, who, c in events] == [
        ("submit", COORDINATOR, ["open", "submitted"]),
        ("return", OFFICER, ["submitted", "returned"]),
        ("submit", COORDINATOR, ["returned", "submitted"]),
        ("approve", OFFICER, ["submitted", "approved"]),
        ("reopen", db.LOCAL_ADMIN_EMAIL, ["approved", "open"]),
        ("submit", COORDINATOR, ["open", "submitted"]),
        ("approve", OFFICER, ["submitted", "approved"]),
    ]
    assert events[1][2]["reason"] == [None, "IN-2 still lacks its agreement"]
    assert events[4][2]["reason"] == [None, "A late final report for IN-2"]
    assert [c.get("revision") for _, _, c in events if "revision" in c] == [
        [None, 1],
        [None, 2],
        [None, 3],
    ]


def test_an_open_quarter_is_not_submitted(register: Engine) -> None:
    with pytest.raises(ValueError, match="has not closed yet"):
        step(register, "submit", COORDINATOR, quarter="2099Q1")


def test_the_quarter_command(register: Engine) -> None:
    url = register.url.render_as_string(hide_password=False)

    def xc(email: str, command: str) -> Any:
        return CliRunner().invoke(cli, ["--db", url, "--user", email, *shlex.split(command)])

    submitted = xc(COORDINATOR, f"quarter submit --partnership ALPHA --quarter {Q} --comment Done")
    assert submitted.exit_code == 0, submitted.output
    waiting = xc(OFFICER, "quarter list --waiting")
    assert "ALPHA" in waiting.stdout and f"Submitted by {COORDINATOR}" in waiting.stdout
    assert xc(COORDINATOR, f"quarter approve --partnership ALPHA --quarter {Q}").exit_code == 3
    assert xc(OFFICER, f"quarter approve --partnership ALPHA --quarter {Q}").exit_code == 0
    listed = xc(COORDINATOR, "quarter list").stdout
    assert f"Approved by {OFFICER} on" in listed
    assert (
        xc(OFFICER, f"quarter reopen --partnership ALPHA --quarter {Q} --reason x").exit_code == 3
    )
    done = xc(
        db.LOCAL_ADMIN_EMAIL, f"quarter reopen --partnership ALPHA --quarter {Q} --reason Late"
    )
    assert done.exit_code == 0, done.output
    assert "open until approved again" in done.stdout
    with pytest.raises(ValidationFailed):  # still an ordinary rule: nothing bypasses them
        edit(register, "IN-1", end_date=date(2025, 11, 9))


@pytest.mark.parametrize(
    ("ids", "quarters", "expected"),
    [
        ([1, 1, 2, 1], ["2025Q4", "2026Q1", "2025Q4", "2025-Q4"], [True, False, False, True]),
        # Unreadable or missing values are never locked (the rules refuse them anyway).
        ([None, 1, "x"], ["2025Q4", None, "2025Q4"], [False, False, False]),
        ([], [], []),
    ],
)
def test_locked_among_a_column(ids: list[Any], quarters: list[Any], expected: list[bool]) -> None:
    from datetime import UTC, datetime

    from xchange.programme.quarters import Lock, locked_among

    found = {(1, "2025Q4"): Lock(1, "ALPHA", "2025Q4", OFFICER, datetime.now(UTC))}
    assert locked_among(found, ids, quarters).tolist() == expected
    assert not locked_among({}, ids, quarters).any()


def test_quarters_not_submitted_30_days_after_their_end_need_attention(register: Engine) -> None:
    def overdue(today: date, email: str = COORDINATOR) -> list[str]:
        with db.read_session(register) as session:
            rows = reports.overdue(session, actor=user(session, email), today=today)
            return [row.quarter for row in rows]

    # 2026-Q1 has not ended; 2025-Q4 ended 61 days before 2 March.
    assert overdue(TODAY) == ["2025Q4", "2025Q3", "2025Q2", "2025Q1"]
    assert overdue(date(2026, 1, 30)) == ["2025Q3", "2025Q2", "2025Q1"]  # Q4: 30 days only
    step(register, "submit", COORDINATOR, quarter=Q)
    assert overdue(TODAY) == ["2025Q3", "2025Q2", "2025Q1"]
    step(register, "return", OFFICER, quarter=Q, reason="Missing IN-2's agreement")
    assert overdue(TODAY)[0] == Q  # returned: to be submitted again
    assert overdue(TODAY, OFFICER) == []  # officers submit nothing
