"""Quarter-close snapshots: the figures as reported, kept beside the same figures computed now.

`take_snapshot` stores, for a quarter, the headline of the programme and of every partnership
as of the quarter's last day. Later corrections (a stay completed late, a cancellation) change
the figures computed now but never the snapshot, so `compare` shows what moved since.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select

from xchange import dates
from xchange.kpi.sums import headline
from xchange.models import AuditEvent, KpiSnapshot, User, utcnow
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


def take_snapshot(*, session: Session, actor: User, quarter: str) -> list[KpiSnapshot]:
    """Store the quarter's figures at its close, for the programme and each partnership.

    Taking it again replaces the stored figures (and the audit trail says so). Raises
    ValueError for a quarter that has not ended yet.
    """
    from xchange.accounts import access

    first, last = parse_quarter(quarter)
    quarter = f"{first.year}Q{(first.month - 1) // 3 + 1}"
    access.require_admin(
        session=session, actor=actor, action="take_snapshot", entity="kpi_snapshot"
    )
    if last >= utcnow().date():
        raise ValueError(
            f"{quarter} has not closed yet: take its snapshot after {last.isoformat()}"
        )
    scopes: list[tuple[str, Any]] = [("programme", None)]
    scopes += [(p.acronym, p) for p in list_partnerships(session)]
    stored, replaced = [], False
    for scope, partnership in scopes:
        figures = headline(session, as_of=last, partnership=partnership).as_dict()
        existing = session.exec(
            select(KpiSnapshot).where(KpiSnapshot.quarter == quarter, KpiSnapshot.scope == scope)
        ).first()
        replaced = replaced or existing is not None
        snapshot = existing or KpiSnapshot(quarter=quarter, scope=scope)
        snapshot.figures, snapshot.taken_at = figures, utcnow()
        session.add(snapshot)
        stored.append(snapshot)
    session.flush()
    session.add(
        AuditEvent(
            actor_id=actor.id,
            actor_label=actor.email,
            entity="kpi_snapshot",
            action="retake" if replaced else "take",
            changes={"quarter": [None, quarter], "scopes": [None, len(stored)]},
        )
    )
    return stored


@dataclass
class Comparison:
    """One quarter and scope: each figure as reported at close and as computed now."""

    quarter: str
    scope: str
    taken_at: str
    reported: dict[str, Any]
    now: dict[str, Any]

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
    """Every stored quarter of `scope` (before `before`, if given), reported vs now.

    A partnership's acronym is read in any case, as everywhere else; NotFound for an unknown one.
    """
    from xchange.programme.partnerships import get_partnership

    partnership = None if scope == "programme" else get_partnership(session, scope)
    if partnership is not None:  # snapshots are stored under the acronym as written at setup
        scope = partnership.acronym
    query = select(KpiSnapshot).where(KpiSnapshot.scope == scope)
    # By quarter index, not text: a snapshot stored before the dates had bounds may be `999Q4`.
    rows = sorted(session.exec(query).all(), key=lambda s: dates.index_of(s.quarter))
    result = []
    for snapshot in rows:
        if before is not None and dates.index_of(snapshot.quarter) >= dates.index_of(before):
            continue
        _, last = dates.quarter_days(snapshot.quarter)
        now = headline(session, as_of=last, partnership=partnership).as_dict()
        result.append(
            Comparison(
                snapshot.quarter, scope, snapshot.taken_at.isoformat(), dict(snapshot.figures), now
            )
        )
    return result
