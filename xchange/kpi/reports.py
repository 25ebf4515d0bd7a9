"""A partnership's quarter report: submitted, returned, approved, reopened.

    open --submit (coordinator)--> submitted --approve (officer)--> approved (locked)
                                             --return (officer, reason)--> returned --submit--> ...
    approved --reopen (administrator, reason)--> open

Submitting stores the partnership's next snapshot revision (`snapshots.take_revision`) with the
coordinator's comment; approving makes that revision the quarter's official figures and locks
the quarter (`programme.quarters`). Every step is one audit event (entity "quarter_report",
the state old -> new, the comment or reason) and the row keeps who did the latest and when.

    with db.write_session(engine) as session:
        submit_quarter(session=session, actor=coordinator, partnership="ALPHA", quarter="2025Q4")
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from xchange import dates
from xchange.accounts import access
from xchange.db.versioning import record_change
from xchange.errors import InvalidInput
from xchange.kpi.snapshots import closed_quarter, take_revision
from xchange.models import KpiSnapshot, Partnership, QuarterReport, QuarterState, User, utcnow
from xchange.programme.lookup import get_partnership, list_partnerships
from xchange.programme.quarters import day_text, states
from xchange.reference import parse_quarter, quarter_label

# A quarter ended longer ago than this and not submitted needs attention.
OVERDUE_AFTER = timedelta(days=30)
_TEXT_MAX = 2000


@dataclass(frozen=True)
class QuarterStatus:
    """One partnership's quarter as a page or the command line shows it."""

    acronym: str
    quarter: str
    state: str  # QuarterState value
    comment: str | None = None
    reason: str | None = None
    submitted_by: str | None = None
    submitted_at: datetime | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    revision: int | None = None  # of the submitted snapshot

    def said(self) -> str:
        """Who did the latest step and when: "Approved by NAME on DATE"."""
        if self.state == QuarterState.SUBMITTED:
            return f"Submitted by {self.submitted_by} on {day_text(self.submitted_at)}"
        if self.state == QuarterState.APPROVED:
            return f"Approved by {self.decided_by} on {day_text(self.decided_at)}"
        if self.state == QuarterState.RETURNED:
            return f"Returned by {self.decided_by} on {day_text(self.decided_at)}: {self.reason}"
        if self.decided_by:  # reopened
            return f"Reopened by {self.decided_by} on {day_text(self.decided_at)}: {self.reason}"
        return "Not submitted yet"


def submit_quarter(
    *,
    session: Session,
    actor: User,
    partnership: str,
    quarter: str,
    comment: str | None = None,
) -> QuarterReport:
    """A coordinator (or administrator) submits a closed quarter: its figures are stored as a
    snapshot revision. Refused while it waits for an officer or is approved."""
    found = get_partnership(session, partnership)
    quarter, _ = closed_quarter(quarter)
    pid = found.id or 0
    access.require_write(
        session=session,
        actor=actor,
        partnership_id=pid,
        action="submit_quarter",
        entity="quarter_report",
    )
    report = _report(session, pid, quarter, create=True)
    if report.state in (QuarterState.SUBMITTED, QuarterState.APPROVED):
        raise InvalidInput(
            f"{quarter_label(quarter)} of {found.acronym} is {report.state} already: "
            + (
                "an officer approves or returns it"
                if report.state == QuarterState.SUBMITTED
                else "an administrator must reopen it before it is submitted again"
            )
        )
    snapshot = take_revision(session=session, actor=actor, quarter=quarter, partnership=found)
    text = _text("comment", comment, required=False)
    return _step(
        session,
        actor,
        report,
        found,
        "submit",
        QuarterState.SUBMITTED,
        comment=text,
        snapshot_id=snapshot.id,
        submitted_by=actor.email,
        submitted_at=utcnow(),
        reason=None,
        extra={"revision": [None, snapshot.revision]},
    )


def approve_quarter(
    *, session: Session, actor: User, partnership: str, quarter: str
) -> QuarterReport:
    """An officer approves a submitted quarter: its revision becomes the official figures and
    the quarter is locked."""
    found, report = _submitted(session, actor, partnership, quarter, "approve_quarter")
    return _step(
        session,
        actor,
        report,
        found,
        "approve",
        QuarterState.APPROVED,
        approved_snapshot_id=report.snapshot_id,
        decided_by=actor.email,
        decided_at=utcnow(),
    )


def return_quarter(
    *, session: Session, actor: User, partnership: str, quarter: str, reason: str
) -> QuarterReport:
    """An officer returns a submitted quarter with a reason; the coordinator corrects and
    submits it again."""
    found, report = _submitted(session, actor, partnership, quarter, "return_quarter")
    return _step(
        session,
        actor,
        report,
        found,
        "return",
        QuarterState.RETURNED,
        reason=_text("reason", reason, required=True),
        decided_by=actor.email,
        decided_at=utcnow(),
    )


def reopen_quarter(
    *, session: Session, actor: User, partnership: str, quarter: str, reason: str
) -> QuarterReport:
    """An administrator reopens an approved quarter with a reason: it is open (unlocked) until
    it is submitted and approved again."""
    found = get_partnership(session, partnership)
    quarter = _quarter(quarter)
    access.require_admin(
        session=session, actor=actor, action="reopen_quarter", entity="quarter_report"
    )
    text = _text("reason", reason, required=True)
    report = _report(session, found.id or 0, quarter, create=False)
    if report is None or report.state != QuarterState.APPROVED:
        state = QuarterState.OPEN if report is None else report.state
        raise InvalidInput(
            f"{quarter_label(quarter)} of {found.acronym} is {state}, not approved: "
            "only an approved quarter is reopened"
        )
    return _step(
        session,
        actor,
        report,
        found,
        "reopen",
        QuarterState.OPEN,
        reason=text,
        decided_by=actor.email,
        decided_at=utcnow(),
    )


def quarter_list(
    session: Session, *, actor: User, today: date | None = None
) -> list[QuarterStatus]:
    """Every closed quarter of each partnership `actor` may read, from its action start to
    the last closed quarter within its action, each with its state; newest first."""
    readable = access.partnership_ids_readable(session=session, actor=actor)
    today = today or utcnow().date()
    partnerships = [p for p in list_partnerships(session) if readable is None or p.id in readable]
    rows = states(session, [p.id or 0 for p in partnerships])
    result = []
    for p in partnerships:
        last = min(p.action_end, today)
        for quarter in reversed(dates.quarter_range(p.action_start, last)):
            if dates.quarter_days(quarter)[1] >= today:
                continue  # not closed yet
            result.append(_status(p, quarter, rows.get((p.id or 0, quarter))))
    return result


def review_list(session: Session, *, actor: User) -> list[QuarterStatus]:
    """Submitted quarters waiting for an officer, oldest submission first."""
    readable = access.partnership_ids_readable(session=session, actor=actor)
    query = (
        select(QuarterReport, Partnership)
        .join(Partnership, col(Partnership.id) == col(QuarterReport.partnership_id))
        .where(QuarterReport.state == QuarterState.SUBMITTED.value)
        .order_by(col(QuarterReport.submitted_at), col(QuarterReport.id))
    )
    rows = session.exec(query).all()
    return [
        _status(p, r.quarter, r, session)
        for r, p in rows
        if readable is None or r.partnership_id in readable
    ]


def overdue(session: Session, *, actor: User, today: date | None = None) -> list[QuarterStatus]:
    """Quarters of `actor`'s writable partnerships ended more than 30 days ago and not
    submitted (open or returned): what "Needs attention" lists."""
    today = today or utcnow().date()
    writable = access.partnership_ids_writable(session=session, actor=actor)
    mine = {p.acronym for p in list_partnerships(session) if writable is None or p.id in writable}
    return [
        row
        for row in quarter_list(session, actor=actor, today=today)
        if row.state in (QuarterState.OPEN, QuarterState.RETURNED)
        and dates.quarter_days(row.quarter)[1] + OVERDUE_AFTER < today
        and row.acronym in mine
    ]


# --- internals -------------------------------------------------------------------------------


def _quarter(quarter: str) -> str:
    """As stored, `2025Q4`, from any spelling a person types; ValueError otherwise."""
    first, _ = parse_quarter(quarter)
    return f"{first.year}Q{(first.month - 1) // 3 + 1}"


def _text(name: str, value: str | None, *, required: bool) -> str | None:
    text = (value or "").strip()
    if required and not text:
        raise InvalidInput(f"A {name} is needed: say in one sentence why")
    if len(text) > _TEXT_MAX:
        raise InvalidInput(f"The {name} is {len(text):,} characters long: at most {_TEXT_MAX:,}")
    return text or None


def _report(session: Session, partnership_id: int, quarter: str, *, create: bool) -> QuarterReport:
    # Locked for the step (PostgreSQL): two officers deciding at once take turns, and the second
    # finds the state the first left.
    report = session.exec(
        select(QuarterReport)
        .where(QuarterReport.partnership_id == partnership_id, QuarterReport.quarter == quarter)
        .with_for_update()
    ).first()
    if report is None and create:
        report = QuarterReport(partnership_id=partnership_id, quarter=quarter)
    return report  # type: ignore[return-value]  # None only when not `create`


def _submitted(
    session: Session, actor: User, partnership: str, quarter: str, action: str
) -> tuple[Partnership, QuarterReport]:
    found = get_partnership(session, partnership)
    quarter = _quarter(quarter)
    report = _report(session, found.id or 0, quarter, create=False)
    access.require_review(
        session=session,
        actor=actor,
        partnership_id=found.id or 0,
        action=action,
        entity_id=None if report is None else report.id,
    )
    if report is None or report.state != QuarterState.SUBMITTED:
        state = QuarterState.OPEN if report is None else report.state
        raise InvalidInput(
            f"{quarter_label(quarter)} of {found.acronym} is {state}, not submitted: "
            "only a submitted quarter is approved or returned"
        )
    return found, report


def _step(
    session: Session,
    actor: User,
    report: QuarterReport,
    partnership: Partnership,
    action: str,
    state: QuarterState,
    *,
    extra: dict[str, Any] | None = None,
    **values: Any,
) -> QuarterReport:
    old = report.state
    for name, value in values.items():
        setattr(report, name, value)
    report.state = state.value
    if report.id is not None:
        report.version += 1
    session.add(report)
    session.flush()
    changes: dict[str, Any] = {
        "partnership": [None, partnership.acronym],
        "quarter": [None, report.quarter],
        "state": [old, state.value],
    }
    for name in ("comment", "reason"):
        if name in values and values[name]:
            changes[name] = [None, values[name]]
    changes |= extra or {}
    record_change(session, actor, "quarter_report", report.id, action, changes)
    return report


def _status(
    partnership: Partnership,
    quarter: str,
    report: QuarterReport | None,
    session: Session | None = None,
) -> QuarterStatus:
    if report is None:
        return QuarterStatus(partnership.acronym, quarter, QuarterState.OPEN.value)
    revision = None
    if session is not None and report.snapshot_id is not None:
        snapshot = session.get(KpiSnapshot, report.snapshot_id)
        revision = None if snapshot is None else snapshot.revision
    return QuarterStatus(
        partnership.acronym,
        quarter,
        report.state,
        report.comment,
        report.reason,
        report.submitted_by,
        report.submitted_at,
        report.decided_by,
        report.decided_at,
        revision,
    )
