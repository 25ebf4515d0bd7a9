"""Personal data: erasing a representative on request (GDPR art. 17) and after the retention time.

A representative's name lives in one place only, the `person` table; exchanges point to it by
`representative_id` (ON DELETE SET NULL) and the audit trail names people by id. Deleting the
`person` row therefore removes the name everywhere while the exchanges, their KPIs and the trail
stay. Each erasure is itself audited, by person id, never by name.

Free text (notes, cancellation reasons) is not searched and rewritten: `ErasureReport.mentions`
counts the exchanges whose free text still contains the name, so the administrator can edit them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from sqlmodel import Session, select

from xchange.accounts import access
from xchange.errors import NotFound
from xchange.models import AuditEvent, Exchange, Partnership, Person, User
from xchange.programme.row import programme


@dataclass
class ErasureReport:
    """What an erasure did: the erased person ids, the exchanges that lost their
    representative, and exchanges whose free text still mentions an erased name."""

    person_ids: list[int] = field(default_factory=list)
    exchanges: int = 0
    mentions: int = 0

    def summary(self) -> str:
        """One sentence for the person who asked."""
        people = len(self.person_ids)
        text = (
            f"Erased {people} {'person' if people == 1 else 'persons'}; "
            f"{self.exchanges} exchange(s) keep their figures without a representative"
        )
        if self.mentions:
            text += (
                f". {self.mentions} exchange(s) still mention the name in their notes or "
                "cancellation reason: edit them by hand"
            )
        return text


def erase_person(*, session: Session, actor: User, name: str) -> ErasureReport:
    """Erase every person whose name is exactly `name` (admins only); NotFound when none.

    Example: `erase_person(session=s, actor=admin, name="Jane Doe").summary()`
    -> "Erased 1 person; 3 exchange(s) keep their figures without a representative".
    """
    access.require_admin(session=session, actor=actor, action="erase_person", entity="person")
    ids = list(session.exec(select(Person.id).where(Person.name == name.strip())).all())
    if not ids:
        raise NotFound("There is no representative with exactly that name; nothing was erased")
    report = _erase(session, actor, [i for i in ids if i is not None], reason="request")
    report.mentions = _mentions(session, name.strip())
    return report


def erase_expired_representatives(*, session: Session, actor: User, today: date) -> ErasureReport:
    """Erase the representatives kept longer than the programme's `retention_months`.

    A person is erased when every exchange they travelled for belongs to a partnership whose
    action ended more than `retention_months` before `today` (a person with no exchange left is
    kept for no purpose, and is erased too). Admins only.
    """
    access.require_admin(
        session=session, actor=actor, action="erase_expired_representatives", entity="person"
    )
    cutoff = today - relativedelta(months=programme(session).retention_months)
    still_needed = (
        sa.select(sa.literal(1))
        .select_from(Exchange)
        .join(Partnership, sa.column("partnership_id") == Partnership.id)
        .where(
            Exchange.representative_id == Person.id,  # type: ignore[arg-type]
            Partnership.action_end >= cutoff,
        )
    )
    ids = session.exec(select(Person.id).where(~sa.exists(still_needed))).all()
    return _erase(session, actor, [i for i in ids if i is not None], reason="retention")


def _erase(session: Session, actor: User, ids: list[int], *, reason: str) -> ErasureReport:
    report = ErasureReport(person_ids=sorted(ids))
    if not ids:
        return report
    report.exchanges = int(
        session.exec(
            select(sa.func.count()).select_from(Exchange).where(Exchange.representative_id.in_(ids))  # type: ignore[union-attr]
        ).one()
    )
    for person_id in report.person_ids:
        linked = session.exec(
            select(Exchange.id).where(Exchange.representative_id == person_id)
        ).all()
        session.add(
            AuditEvent(
                actor_id=actor.id,
                actor_label=actor.email,
                entity="person",
                entity_id=person_id,
                action="erase",
                changes={"reason": reason, "exchange_ids": sorted(i for i in linked if i)},
            )
        )
    # The database sets each exchange's representative_id to NULL (ON DELETE SET NULL).
    session.execute(sa.delete(Person).where(Person.id.in_(ids)))  # type: ignore[union-attr]
    # Objects the session holds would otherwise keep the old name or id in memory.
    session.expire_all()
    session.flush()
    return report


def _mentions(session: Session, name: str) -> int:
    if not name:
        return 0
    pattern = f"%{name}%"
    return int(
        session.exec(
            select(sa.func.count())
            .select_from(Exchange)
            .where(
                sa.or_(
                    Exchange.notes.like(pattern),  # type: ignore[union-attr]
                    Exchange.cancellation_reason.like(pattern),  # type: ignore[union-attr]
                    Exchange.validated_by.like(pattern),  # type: ignore[union-attr]
                )
            )
        ).one()
    )
