"""Quarter-close snapshots: stored as reported, compared with the same figures computed now.

The register (GTEX and AGRI, stays logged through the service) has three stays ending in 2026Q3:
S1, completed (GTEX); S2, confirmed with its closing report still to validate (GTEX, an SME
visitor); S3, completed (AGRI). S4 (GTEX) ends in 2026Q4, S5 (AGRI) is planned for 2027.
2026Q3 has closed (it ended before the stays were logged); the quarter of the real today is open.

Storing, comparing and the command run on SQLite and PostgreSQL (the figures go through a JSON
column on each); the refusals, which store nothing, on SQLite.
"""

from __future__ import annotations

import shlex
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from xchange.cli import cli
from xchange.db.engine import LOCAL_ADMIN_EMAIL, read_session, write_session
from xchange.errors import NotFound, PermissionDenied
from xchange.kpi import snapshots
from xchange.models import (
    AuditEvent,
    Exchange,
    KpiSnapshot,
    Role,
    User,
    UserPartnership,
    quarter_of,
    utcnow,
)
from xchange.programme.partnerships import add_partnership, find_partnership
from xchange.register import service
from xchange.register.service import ExchangeIn

TODAY = date(2026, 11, 25)
Q3 = "2026Q3"


def stay(monday: date) -> dict[str, date]:
    return {"start_date": monday, "end_date": monday + timedelta(days=4)}


STAYS: dict[str, dict[str, Any]] = {
    "S1": {"partnership": "GTEX", **stay(date(2026, 7, 6))},
    "S2": {
        "partnership": "GTEX",
        "status": "confirmed",
        **stay(date(2026, 9, 21)),
        "visitor_is_sme": True,
        "visitor_type": "SME",
    },
    "S3": {"partnership": "AGRI", **stay(date(2026, 8, 3)), "host_community": "external"},
    "S4": {"partnership": "GTEX", **stay(date(2026, 10, 5))},
    "S5": {"partnership": "AGRI", "status": "planned", **stay(date(2027, 2, 8))},
}


def admin(session: Session) -> User:
    return session.exec(select(User).where(User.email == LOCAL_ADMIN_EMAIL)).one()


def build_register(engine: Engine) -> dict[str, int]:
    """The register above; returns each stay's id."""
    ids = {}
    with write_session(engine) as session:
        for acronym in ("GTEX", "AGRI"):
            add_partnership(
                session=session,
                actor=admin(session),
                acronym=acronym,
                name=f"{acronym} partnership",
                action_start=date(2026, 1, 1),
                action_end=date(2027, 12, 31),
            )
        for reference, spec in STAYS.items():
            values: dict[str, Any] = {
                "reference": reference,
                "status": "completed",
                "visitor_organisation": f"Visitor {reference}",
                "visitor_type": "cluster organisation",
                "visitor_country": "DE",
                "visitor_is_sme": False,
                "visitor_community": "partner",
                "host_organisation": "Host",
                "host_type": "cluster organisation",
                "host_country": "FR",
                "host_is_sme": False,
                "host_community": "partner",
                **spec,
            }
            exchange = service.create_exchange(
                session=session, actor=admin(session), data=ExchangeIn(**values), today=TODAY
            )
            assert exchange.id is not None
            ids[reference] = exchange.id
    return ids


def take(engine: Engine, quarter: str = Q3, actor: User | None = None) -> list[dict[str, Any]]:
    """Take the snapshot as `actor` (the local administrator by default): scope and figures."""
    with write_session(engine) as session:
        stored = snapshots.take_snapshot(
            session=session, actor=actor or admin(session), quarter=quarter
        )
        return [{"scope": s.scope, "quarter": s.quarter, **s.figures} for s in stored]


def stored_snapshots(engine: Engine) -> list[tuple[str, str, int]]:
    with read_session(engine) as session:
        rows = session.exec(select(KpiSnapshot)).all()
        return sorted((s.quarter, s.scope, s.figures["counted"]) for s in rows)


def compare(engine: Engine, scope: str = "programme", before: str | None = None) -> list[Any]:
    with read_session(engine) as session:
        return snapshots.compare(session, scope=scope, before=before)


def complete(engine: Engine, exchange_id: int) -> None:
    with write_session(engine) as session:
        exchange = session.get(Exchange, exchange_id)
        assert exchange is not None
        service.complete_exchange(
            session=session,
            actor=admin(session),
            exchange_id=exchange_id,
            expected_version=exchange.version,
            validated_on=TODAY,
            validated_by="Officer",
            today=TODAY,
        )


def cancel(engine: Engine, exchange_id: int) -> None:
    with write_session(engine) as session:
        exchange = session.get(Exchange, exchange_id)
        assert exchange is not None
        service.cancel_exchange(
            session=session,
            actor=admin(session),
            exchange_id=exchange_id,
            expected_version=exchange.version,
            reason="Found to have been a duplicate",
        )


def snapshot_events(engine: Engine) -> list[tuple[str, dict[str, Any]]]:
    with read_session(engine) as session:
        events = session.exec(
            select(AuditEvent).where(AuditEvent.entity == "kpi_snapshot").order_by(sa.column("id"))
        ).all()
        return [(e.action, e.changes) for e in events]


# --- taking a snapshot -------------------------------------------------------------------------


def test_take_snapshot_stores_the_programme_and_each_partnership(engine: Engine) -> None:
    build_register(engine)
    stored = take(engine, "2026-Q3")  # the screen spelling is read too
    assert [(s["scope"], s["quarter"], s["as_of"]) for s in stored] == [
        ("programme", Q3, "2026-09-30"),
        ("AGRI", Q3, "2026-09-30"),
        ("GTEX", Q3, "2026-09-30"),
    ]
    programme, agri, gtex = stored
    # As of the quarter's close: S1 and S3 count; S2 waits for its report; S4 ends later.
    # Pipeline and cancelled are the figures of the day the snapshot is taken.
    assert {k: programme[k] for k in ("counted", "involving_sme", "pipeline", "cancelled")} == {
        "counted": 2,
        "involving_sme": 0,
        "pipeline": 2,
        "cancelled": 0,
    }
    assert (agri["counted"], agri["beyond_share"], agri["pipeline"]) == (1, 1.0, 1)
    assert (gtex["counted"], gtex["beyond_share"], gtex["pipeline"]) == (1, 0.0, 1)
    assert programme["definitions"] == {"beyond_reading": "broad", "count_virtual": False}
    assert stored_snapshots(engine) == [(Q3, "AGRI", 1), (Q3, "GTEX", 1), (Q3, "programme", 2)]
    assert snapshot_events(engine) == [
        ("take", {"quarter": [None, Q3], "scopes": [None, 3], "revision": [None, 1]})
    ]


def test_an_open_quarter_is_refused(sqlite_engine: Engine) -> None:
    engine = sqlite_engine
    build_register(engine)
    today = utcnow().date()
    for quarter in (quarter_of(today), quarter_of(today + timedelta(days=92))):
        with pytest.raises(ValueError, match=f"{quarter} has not closed yet"):
            take(engine, quarter)
    assert stored_snapshots(engine) == []


@pytest.mark.parametrize("role", [Role.OFFICER, Role.COORDINATOR])
def test_only_an_administrator_takes_a_snapshot(sqlite_engine: Engine, role: Role) -> None:
    engine = sqlite_engine
    build_register(engine)
    with write_session(engine) as session:
        user = User(email=f"{role.value}@example.eu", role=role.value)
        session.add(user)
        session.flush()
        assert user.id is not None
        if role == Role.COORDINATOR:
            gtex = find_partnership(session, "GTEX")
            assert gtex is not None and gtex.id is not None
            session.add(UserPartnership(user_id=user.id, partnership_id=gtex.id))
    with pytest.raises(PermissionDenied, match="only administrators may"):
        take(engine, Q3, actor=user)
    assert stored_snapshots(engine) == []
    # The refusal is on the record, in spite of the rollback.
    assert snapshot_events(engine) == [("refused", {"attempted": "take_snapshot"})]


# --- comparing with now ------------------------------------------------------------------------


def test_unchanged_since_the_close(engine: Engine) -> None:
    build_register(engine)
    take(engine)
    [row] = compare(engine)
    assert (row.quarter, row.scope, row.changed()) == (Q3, "programme", {})
    assert row.reported["counted"] == row.now["counted"] == 2


def test_a_stay_completed_late_shows_as_changed(engine: Engine) -> None:
    ids = build_register(engine)
    take(engine)
    complete(engine, ids["S2"])  # ended 25 September, its report validated in November
    [programme] = compare(engine)
    assert programme.changed() == {
        "counted": (2, 3),
        "involving_sme": (0, 1),
        "sme_share": (0.0, 1 / 3),
        "beyond_share": (0.5, 1 / 3),
        "pipeline": (2, 1),
    }
    [gtex] = compare(engine, scope="GTEX")
    assert gtex.changed() == {
        "counted": (1, 2),
        "involving_sme": (0, 1),
        "sme_share": (0.0, 0.5),
        "pipeline": (1, 0),
    }
    [agri] = compare(engine, scope="AGRI")
    assert agri.changed() == {}


def test_a_cancellation_shows_as_changed(engine: Engine) -> None:
    ids = build_register(engine)
    take(engine)
    cancel(engine, ids["S3"])
    [agri] = compare(engine, scope="AGRI")
    # Nothing counted any more: the shares have no data (None), not 0 %.
    assert agri.changed() == {
        "counted": (1, 0),
        "beyond_community": (1, 0),
        "sme_share": (0.0, None),
        "beyond_share": (1.0, None),
        "cancelled": (0, 1),
    }


def test_retaking_keeps_the_first_revision(engine: Engine) -> None:
    ids = build_register(engine)
    take(engine)
    complete(engine, ids["S2"])
    assert compare(engine)[0].changed()
    take(engine)
    # The second snapshot is a second revision: the first, as reported, is still there.
    assert stored_snapshots(engine) == [
        (Q3, "AGRI", 1),
        (Q3, "AGRI", 1),
        (Q3, "GTEX", 1),
        (Q3, "GTEX", 2),
        (Q3, "programme", 2),
        (Q3, "programme", 3),
    ]
    [row] = compare(engine)
    assert (row.reported["counted"], row.now["counted"], row.revisions) == (2, 3, 2)
    assert [action for action, _ in snapshot_events(engine)] == ["take", "retake"]
    with read_session(engine) as session:
        revisions = session.exec(
            select(KpiSnapshot).where(KpiSnapshot.scope == "GTEX").order_by(sa.column("revision"))
        ).all()
        assert [r.revision for r in revisions] == [1, 2]
        # Every table the pack prints is kept, so a past quarter's pack can be rebuilt.
        tables = snapshots.pack_tables(revisions[1])
        assert set(tables) == {"quarters", "partnerships", "flows", "ecosystems"}
        assert int(tables["partnerships"]["counted"].sum()) == 2


def test_compare_lists_stored_quarters_in_order(engine: Engine) -> None:
    build_register(engine)
    take(engine, Q3)
    take(engine, "2026Q2")
    assert [(row.quarter, row.reported["counted"]) for row in compare(engine)] == [
        ("2026Q2", 0),
        (Q3, 2),
    ]
    assert [row.quarter for row in compare(engine, before=Q3)] == ["2026Q2"]
    assert compare(engine, scope="GTEX", before="2026Q2") == []


def test_compare_reads_an_acronym_in_any_case(engine: Engine) -> None:
    ids = build_register(engine)
    take(engine)
    cancel(engine, ids["S3"])
    [agri] = compare(engine, scope="agri")
    assert (agri.scope, agri.reported["counted"], agri.now["counted"]) == ("AGRI", 1, 0)
    with pytest.raises(NotFound, match="There is no partnership 'NOPE'"):
        compare(engine, scope="NOPE")


# --- the command -------------------------------------------------------------------------------


def xc(engine: Engine, command: str, *, user: str | None = None) -> Result:
    url = engine.url.render_as_string(hide_password=False)
    options = ["--db", url, *(["--user", user] if user else [])]
    return CliRunner().invoke(cli, [*options, *shlex.split(command)], prog_name="xchange")


def ok(result: Result) -> str:
    assert result.exit_code == 0, (result.output, result.exception)
    return result.stdout


def refused(result: Result, code: int) -> str:
    assert result.exit_code == code, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    [line] = result.stderr.strip().splitlines()
    return line


def test_snapshot_command_end_to_end(engine: Engine) -> None:
    ids = build_register(engine)
    assert ok(xc(engine, f"snapshot --quarter {Q3} --compare")) == (
        "No stored quarter yet: take one with `xchange snapshot --quarter ...`.\n"
    )
    assert ok(xc(engine, f"snapshot --quarter {Q3}")) == (
        "Stored 2026-Q3 for the programme and 2 partnerships: 2 counted as of 2026-09-30\n"
    )
    assert ok(xc(engine, f"snapshot --quarter {Q3} --compare")) == (
        "2026-Q3 programme: counted 2 at close, 2 now; unchanged since the close\n"
    )
    complete(engine, ids["S2"])
    assert ok(xc(engine, f"snapshot --quarter {Q3} --compare")) == (
        "2026-Q3 programme: counted 2 at close, 3 now; changed since the close: counted 2 -> 3, "
        "involving_sme 0 -> 1, sme_share 0.0 % -> 33.3 %, beyond_share 50.0 % -> 33.3 %, "
        "pipeline 2 -> 1\n"
    )
    assert ok(xc(engine, f"snapshot --quarter {Q3} --compare --partnership agri")) == (
        "2026-Q3 AGRI: counted 1 at close, 1 now; unchanged since the close\n"
    )
    # Taken again, the corrected figures are a second revision; the first stays "at close".
    assert "3 counted as of 2026-09-30" in ok(xc(engine, "snapshot --quarter 2026-q3"))
    assert ok(xc(engine, f"snapshot --quarter {Q3} --compare")).endswith(
        "pipeline 2 -> 1 (2 revisions kept)\n"
    )


def test_snapshot_command_refusals(sqlite_engine: Engine) -> None:
    build_register(sqlite_engine)
    with write_session(sqlite_engine) as session:
        session.add(User(email="officer@eismea.eu", role=Role.OFFICER.value))
    open_quarter = quarter_of(utcnow().date())
    assert refused(xc(sqlite_engine, f"snapshot --quarter {open_quarter}"), 1).startswith(
        f"error: {open_quarter} has not closed yet: take its snapshot after "
    )
    # A quarter that is no quarter, or lies outside the accepted dates, is a usage error.
    for quarter, why in [("2026Q5", "is not like 2026Q3"), ("9999Q4", "is outside the dates")]:
        result = xc(sqlite_engine, f"snapshot --quarter {quarter}")
        assert result.exit_code == 2, result.output
        assert f"Invalid value for '--quarter': quarter '{quarter}' {why}" in result.stderr
    assert refused(xc(sqlite_engine, f"snapshot --quarter {Q3}", user="officer@eismea.eu"), 3) == (
        "error: Permission denied: officer@eismea.eu may not take snapshot: "
        "only administrators may."
    )
    assert stored_snapshots(sqlite_engine) == []
    assert refused(xc(sqlite_engine, f"snapshot --quarter {Q3} --compare --partnership X"), 1) == (
        "error: There is no partnership 'X' (known: AGRI, GTEX)"
    )
    result = xc(sqlite_engine, "snapshot")
    assert result.exit_code == 2 and "Missing option '--quarter'" in result.stderr
