"""Stays outside their partnership's action period, as stored.

The action-period rule (`register.rules`: a stay starts on or after its partnership's action
start and ends on or before its end, plus the programme's tolerance) guards every new write.
Stays stored before the rule, or that a change of a partnership's action dates would leave
outside, are found here: one query per partnership, each a range seek on the register's
(partnership, ...) indexes, never a scan of every stay in Python.

    stays_outside(session)                                  # every partnership, as it is
    stays_outside(session, bounds={7: (start, new_end)})    # partnership 7 with new dates
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from xchange.models import Exchange, Partnership, Status
from xchange.programme.row import read_programme

SHOWN = 5  # stays a message names before "and N more"


@dataclass(frozen=True)
class Outside:
    """One stored stay outside its partnership's action period."""

    exchange_id: int
    acronym: str
    reference: str
    start_date: date
    end_date: date
    action_start: date
    action_end: date

    def message(self) -> str:
        return (
            f"{self.acronym}/{self.reference} ({self.start_date.isoformat()} to "
            f"{self.end_date.isoformat()}) lies outside the action, "
            f"{self.action_start.isoformat()} to {self.action_end.isoformat()}"
        )


def stays_outside(
    session: Session,
    *,
    partnership_ids: set[int] | None = None,
    bounds: dict[int, tuple[date, date]] | None = None,
) -> list[Outside]:
    """Non-cancelled stays of `partnership_ids` (None: all) outside their action period, or
    outside `bounds` (partnership id -> new start and end) where given; by partnership, date."""
    tolerance = timedelta(days=read_programme(session).action_period_tolerance_days)
    partnerships = session.exec(select(Partnership)).all()
    found: list[Outside] = []
    for p in sorted(partnerships, key=lambda p: p.acronym.casefold()):
        if p.id is None or (partnership_ids is not None and p.id not in partnership_ids):
            continue
        start, end = (bounds or {}).get(p.id, (p.action_start, p.action_end))
        x = Exchange.__table__.c  # type: ignore[attr-defined]
        rows = session.execute(
            sa.select(x.id, x.reference, x.start_date, x.end_date)
            .where(
                x.partnership_id == p.id,
                x.status != Status.CANCELLED.value,
                sa.or_(x.start_date < start, x.end_date > end + tolerance),
            )
            .order_by(x.start_date, x.id)
        ).all()
        found += [Outside(int(i or 0), p.acronym, ref, s, e, start, end) for i, ref, s, e in rows]
    return found


def named(stays: list[Outside]) -> str:
    """The first few stays in one sentence: `ALPHA/A-1 (...) lies outside ...; and 3 more`."""
    shown = "; ".join(s.message() for s in stays[:SHOWN])
    more = f"; and {len(stays) - SHOWN:,} more" if len(stays) > SHOWN else ""
    return shown + more
