"""A partnership's quarter: its report's state, and the lock an approval puts on it.

An approved quarter is locked: no exchange whose end date falls in it may be created, changed,
cancelled, completed, imported, taken back by an undo or moved by a merge until an
administrator reopens it. Every write path asks the one question here, `locked_among`, with
the (partnership, quarter) pairs it would touch, before and after: one query for the approved
quarters (a few hundred rows at most), then set arithmetic, so a file of 100,000 rows costs no
query per row. Recording a payment and erasing a person change no figure a report holds, and
do not ask.

    lock = locks(session)[(partnership_id, "2025Q4")]
    lock.reason()  # "2025-Q4 of ALPHA is approved and locked (approved by officer@eu on 9 Jan 2026): ..."
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pandas as pd
from sqlmodel import Session, col, select

from xchange import dates
from xchange.errors import QuarterLocked
from xchange.models import Partnership, QuarterReport, QuarterState
from xchange.reference import quarter_label

Key = tuple[int, str]  # (partnership id, stored quarter "2025Q4")


def day_text(moment: datetime | date | None) -> str:
    """A day as people read it: `9 Jan 2026` (DOMAIN's on-screen words)."""
    if moment is None:
        return ""
    return f"{moment.day} {moment:%b %Y}"


@dataclass(frozen=True)
class Lock:
    """An approved quarter of a partnership: who approved it and when."""

    partnership_id: int
    acronym: str
    quarter: str
    approved_by: str
    approved_at: datetime | None

    def approved(self) -> str:
        """`Approved by NAME on DATE`."""
        return f"Approved by {self.approved_by} on {day_text(self.approved_at)}"

    def reason(self) -> str:
        """One sentence a refused write shows."""
        return (
            f"{quarter_label(self.quarter)} of {self.acronym} is approved and locked "
            f"(approved by {self.approved_by} on {day_text(self.approved_at)}): an administrator "
            "must reopen it before an exchange ending in it changes"
        )


def locks(session: Session, partnership_ids: Iterable[int] | None = None) -> dict[Key, Lock]:
    """Every approved quarter (of `partnership_ids`, if given), by (partnership id, quarter)."""
    query = (
        select(QuarterReport, Partnership.acronym)
        .join(Partnership, col(Partnership.id) == col(QuarterReport.partnership_id))
        .where(QuarterReport.state == QuarterState.APPROVED.value)
    )
    if partnership_ids is not None:
        query = query.where(col(QuarterReport.partnership_id).in_(sorted(set(partnership_ids))))
    return {
        (report.partnership_id, report.quarter): Lock(
            report.partnership_id,
            acronym,
            report.quarter,
            report.decided_by or "an officer",
            report.decided_at,
        )
        for report, acronym in session.exec(query).all()
    }


def locked_among(found: dict[Key, Lock], partnership_ids: object, quarters: object) -> np.ndarray:
    """Which of the pairs (two aligned columns or sequences) fall in a locked quarter: a
    boolean array, computed for the whole column at once (an import's 100,000 rows).

    Each pair becomes one integer (partnership id and quarter index), looked up in a hash
    table; quarters are parsed once per distinct value (`benchmarks/quarter_lock.py`).
    """
    ids = pd.to_numeric(pd.Series(partnership_ids), errors="coerce")
    if not found or not len(ids):
        return np.zeros(len(ids), dtype=bool)
    codes, distinct = pd.factorize(np.asarray(quarters, dtype=object))
    index = np.array([_index(q) for q in distinct] + [-1], dtype=np.int64)
    keys = ids.fillna(-1).to_numpy(dtype=np.int64) * _SPAN + index[codes]
    wanted = np.array([p * _SPAN + _index(q) for p, q in found], dtype=np.int64)
    hit = pd.Series(keys).isin(wanted).to_numpy(dtype=bool)  # a hash look-up, not a sort
    return hit & (index[codes] >= 0) & ids.notna().to_numpy()


# Room for every quarter index in one integer beside the partnership id.
_SPAN = 1_000_000


def _index(quarter: object) -> int:
    try:
        return dates.index_of(str(quarter))
    except (ValueError, TypeError):
        return -1


def refuse_locked(session: Session, pairs: Iterable[tuple[int | None, str | None]]) -> None:
    """Raise QuarterLocked when any (partnership id, quarter) pair lies in an approved quarter.

    A service write passes the record's pair before and after the change: moving an end date
    or a partnership out of a locked quarter changes it as much as moving one in.
    """
    wanted = {(p, q) for p, q in pairs if p is not None and q is not None}
    if not wanted:
        return
    found = locks(session, {p for p, _ in wanted})
    for key in sorted(wanted):
        if key in found:
            raise QuarterLocked(found[key].reason())


def report_for(session: Session, partnership_id: int, quarter: str) -> QuarterReport | None:
    """The quarter's report row, or None while it was never submitted."""
    return session.exec(
        select(QuarterReport).where(
            QuarterReport.partnership_id == partnership_id, QuarterReport.quarter == quarter
        )
    ).first()


def states(session: Session, partnership_ids: Iterable[int]) -> dict[Key, QuarterReport]:
    """The report rows of these partnerships, by (partnership id, quarter)."""
    ids = sorted(set(partnership_ids))
    if not ids:
        return {}
    rows = session.exec(
        select(QuarterReport).where(col(QuarterReport.partnership_id).in_(ids))
    ).all()
    return {(r.partnership_id, r.quarter): r for r in rows}
