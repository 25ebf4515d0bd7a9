"""Quarter-close snapshots: the figures as reported, kept beside the same figures computed now.

`take_snapshot` stores, for a quarter, the figures of the programme and of every partnership
as of the quarter's last day; a partnership's report submission stores one for its partnership
(`take_revision`). Nothing is ever overwritten: taking a quarter again stores its next revision.
Revision 1 is "as reported"; the revision an officer approved is the quarter's official one
(`QuarterReport.approved_snapshot_id`). A revision holds the headline (`figures`) and every table
a quarterly pack prints (`pack`: quarters, partnerships, flows, ecosystems, with their money
columns), so a past quarter's pack can be rebuilt from it (`pack_tables`). `compare` shows each
quarter as first reported, as approved, and now.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session, col, select

from xchange import dates
from xchange.kpi.sums import Filters, headline
from xchange.models import KpiSnapshot, Partnership, QuarterReport, User, utcnow
from xchange.programme.partnerships import list_partnerships
from xchange.reference import parse_quarter

COMPARED = (
    "counted",
    "involving_sme",
    "sme_share",
    "beyond_community",
    "beyond_share",
    "pipeline",
    "cancelled",
    "virtual",
)
# The pack's tables a revision keeps (PackData's fields of the same names).
PACK_TABLES = ("quarters", "partnerships", "flows", "ecosystems")


def take_snapshot(*, session: Session, actor: User, quarter: str) -> list[KpiSnapshot]:
    """Store the quarter's next revision, for the programme and each partnership.

    Earlier revisions stay as they were (the audit trail names the revision). Raises
    ValueError for a quarter that has not ended yet.
    """
    from xchange.accounts import access
    from xchange.db.versioning import record_change

    parse_quarter(quarter)  # a malformed quarter is refused before anything else
    access.require_admin(
        session=session, actor=actor, action="take_snapshot", entity="kpi_snapshot"
    )
    quarter, _ = closed_quarter(quarter)
    scopes: list[Partnership | None] = [None, *list_partnerships(session)]
    stored = [
        take_revision(session=session, actor=actor, quarter=quarter, partnership=p) for p in scopes
    ]
    revision = stored[0].revision
    record_change(
        session,
        actor,
        "kpi_snapshot",
        stored[0].id,
        "take" if revision == 1 else "retake",
        {"quarter": [None, quarter], "scopes": [None, len(stored)], "revision": [None, revision]},
    )
    return stored


def take_revision(
    *, session: Session, actor: User, quarter: str, partnership: Partnership | None
) -> KpiSnapshot:
    """Store the next revision of one scope's figures at the quarter's close (no permission
    check: the callers, `take_snapshot` and a report's submission, make theirs)."""
    quarter, last = closed_quarter(quarter)
    scope = "programme" if partnership is None else partnership.acronym
    latest = session.exec(
        select(sa.func.max(KpiSnapshot.revision)).where(
            KpiSnapshot.quarter == quarter, KpiSnapshot.scope == scope
        )
    ).one()
    snapshot = KpiSnapshot(
        quarter=quarter,
        scope=scope,
        revision=(latest or 0) + 1,
        taken_at=utcnow(),
        taken_by=actor.email,
        figures=headline(session, as_of=last, partnership=partnership).as_dict(),
        pack=pack_figures(session, as_of=last, partnership=partnership),
    )
    session.add(snapshot)
    session.flush()
    return snapshot


def pack_figures(
    session: Session, *, as_of: date, partnership: Partnership | None
) -> dict[str, Any]:
    """Every table a pack prints, as of `as_of`, in JSON (pandas' table orient, which keeps
    the columns' types)."""
    from xchange.kpi import breakdowns, overview

    ids: tuple[int, ...] = () if partnership is None else (partnership.id or 0,)
    view = overview.overview(session, as_of=as_of, filters=Filters(partnership_ids=ids))
    ecosystems = breakdowns.by_ecosystem(session, as_of=as_of, filters=Filters(partnership_ids=ids))
    tables = {
        "quarters": view.quarters,
        "partnerships": view.partnerships,
        "flows": view.flows,
        "ecosystems": ecosystems.table,
    }
    return {
        name: json.loads(table.reset_index(drop=True).to_json(orient="table", date_format="iso"))
        for name, table in tables.items()
    }


def pack_tables(snapshot: KpiSnapshot) -> dict[str, pd.DataFrame]:
    """The pack's tables as a revision stored them (empty for a revision taken before they
    were kept)."""
    return {
        name: pd.read_json(io.StringIO(json.dumps(snapshot.pack[name])), orient="table")
        for name in PACK_TABLES
        if name in (snapshot.pack or {})
    }


def approved_revision(session: Session, *, scope: str, quarter: str) -> KpiSnapshot | None:
    """The revision an officer approved for a partnership's quarter, or None."""
    row = session.exec(
        select(KpiSnapshot)
        .join(QuarterReport, col(QuarterReport.approved_snapshot_id) == col(KpiSnapshot.id))
        .where(KpiSnapshot.scope == scope, KpiSnapshot.quarter == quarter)
    ).first()
    return row


def approval_of(session: Session, revision: KpiSnapshot) -> str:
    """`Approved by NAME on DATE` for an approved revision, read from the audit trail (the
    report row keeps only its latest step, which may be a reopening since)."""
    from xchange.models import AuditEvent
    from xchange.programme.quarters import day_text

    report = session.exec(
        select(QuarterReport).where(QuarterReport.approved_snapshot_id == revision.id)
    ).first()
    event = (
        None
        if report is None
        else session.exec(
            select(AuditEvent)
            .where(
                AuditEvent.entity == "quarter_report",
                AuditEvent.entity_id == report.id,
                AuditEvent.action == "approve",
            )
            .order_by(col(AuditEvent.id).desc())
        ).first()
    )
    if event is None:
        return "approved"
    return f"Approved by {event.actor_label} on {day_text(event.at)}"


@dataclass
class Comparison:
    """One quarter and scope: each figure as first reported, as approved, and as computed now."""

    quarter: str
    scope: str
    taken_at: str
    reported: dict[str, Any]
    now: dict[str, Any]
    approved: dict[str, Any] | None = None  # the approved revision's, where one is
    revisions: int = 1

    def changed(self) -> dict[str, tuple[Any, Any]]:
        """The figures that moved since the close: name -> (reported, now)."""
        return {
            name: (self.reported.get(name), self.now.get(name))
            for name in COMPARED
            if self.reported.get(name) != self.now.get(name)
        }


def compare(
    session: Session, *, scope: str = "programme", before: str | None = None
) -> list[Comparison]:
    """Every stored quarter of `scope` (before `before`, if given): first revision, approved
    revision and now.

    A partnership's acronym is read in any case, as everywhere else; NotFound for an unknown one.
    """
    from xchange.programme.partnerships import get_partnership

    partnership = None if scope == "programme" else get_partnership(session, scope)
    if partnership is not None:  # snapshots are stored under the acronym as written at setup
        scope = partnership.acronym
    query = select(KpiSnapshot).where(KpiSnapshot.scope == scope)
    by_quarter: dict[str, list[KpiSnapshot]] = {}
    for snapshot in session.exec(query.order_by(col(KpiSnapshot.revision))).all():
        by_quarter.setdefault(snapshot.quarter, []).append(snapshot)
    approved_ids = set(
        session.exec(
            select(QuarterReport.approved_snapshot_id).where(
                col(QuarterReport.approved_snapshot_id).is_not(None)
            )
        ).all()
    )
    result = []
    # By quarter index, not text: a snapshot stored before the dates had bounds may be `999Q4`.
    for quarter in sorted(by_quarter, key=dates.index_of):
        if before is not None and dates.index_of(quarter) >= dates.index_of(before):
            continue
        revisions = by_quarter[quarter]
        first = revisions[0]
        approved = next((r for r in revisions if r.id in approved_ids), None)
        _, last = dates.quarter_days(quarter)
        now = headline(session, as_of=last, partnership=partnership).as_dict()
        result.append(
            Comparison(
                quarter,
                scope,
                first.taken_at.isoformat(),
                dict(first.figures),
                now,
                None if approved is None else dict(approved.figures),
                len(revisions),
            )
        )
    return result


def closed_quarter(quarter: str) -> tuple[str, date]:
    """The quarter as stored and its last day; ValueError while it has not ended."""
    first, last = parse_quarter(quarter)
    quarter = f"{first.year}Q{(first.month - 1) // 3 + 1}"
    if last >= utcnow().date():
        raise ValueError(
            f"{quarter} has not closed yet: take its snapshot after {last.isoformat()}"
        )
    return quarter, last
