"""Partnerships and programme settings: what an administrator sets up before exchanges are logged."""

from __future__ import annotations

from datetime import date
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlmodel import Session, select

from xchange import access
from xchange.errors import NotFound, XchangeError
from xchange.models import (
    AuditEvent,
    EligibleCountry,
    HostCountryRate,
    Partnership,
    Programme,
    ReportingPeriod,
    User,
)


class InvalidPartnership(XchangeError):
    """A partnership's settings do not hold together (dates, targets, acronym)."""


def default_reporting_periods(start: date, end: date) -> list[tuple[str, date]]:
    """Interim at month 12 (when the action is longer), and final at the action's end."""
    interim = start + relativedelta(months=12) - relativedelta(days=1)
    periods = [("interim", interim)] if interim < end else []
    return [*periods, ("final", end)]


def add_partnership(
    *,
    session: Session,
    actor: User,
    acronym: str,
    name: str,
    action_start: date,
    action_end: date,
    target_exchanges: int = 100,
    full_rate_eur: float = 1100.0,
) -> Partnership:
    """Create a partnership with default reporting periods; admins only.

    Raises InvalidPartnership on a duplicate acronym, an end before the start or a bad target.
    """
    access.require_admin(
        session=session, actor=actor, action="add_partnership", entity="partnership"
    )
    acronym = acronym.strip()
    if not acronym or not name.strip():
        raise InvalidPartnership("A partnership needs an acronym and a name")
    if action_end <= action_start:
        raise InvalidPartnership(
            f"The action ends ({action_end}) before it starts ({action_start})"
        )
    if target_exchanges <= 0:
        raise InvalidPartnership(
            f"Target {target_exchanges} must be a positive number of exchanges"
        )
    if not 0 < full_rate_eur <= 1100:
        raise InvalidPartnership(f"Full rate EUR {full_rate_eur:,.2f} must lie within EUR 0-1,100")
    if find_partnership(session, acronym) is not None:
        raise InvalidPartnership(f"Partnership {acronym} already exists")
    partnership = Partnership(
        acronym=acronym,
        name=name.strip(),
        action_start=action_start,
        action_end=action_end,
        target_exchanges=target_exchanges,
        full_rate_cents=int(round(full_rate_eur * 100)),
    )
    session.add(partnership)
    session.flush()
    assert partnership.id is not None
    for label, ends_on in default_reporting_periods(action_start, action_end):
        session.add(ReportingPeriod(partnership_id=partnership.id, label=label, ends_on=ends_on))
    _audit(
        session,
        actor,
        "partnership",
        partnership.id,
        "create",
        {
            "acronym": [None, acronym],
            "name": [None, partnership.name],
            "action_start": [None, action_start.isoformat()],
            "action_end": [None, action_end.isoformat()],
            "target_exchanges": [None, target_exchanges],
        },
    )
    session.flush()
    return partnership


def find_partnership(session: Session, acronym: str) -> Partnership | None:
    """The partnership with this acronym (case-insensitive), or None."""
    for partnership in session.exec(select(Partnership)).all():
        if partnership.acronym.casefold() == acronym.strip().casefold():
            return partnership
    return None


def get_partnership(session: Session, acronym: str) -> Partnership:
    """The partnership with this acronym; NotFound names the known ones."""
    partnership = find_partnership(session, acronym)
    if partnership is None:
        known = ", ".join(p.acronym for p in list_partnerships(session)) or "none yet"
        raise NotFound(f"There is no partnership {acronym!r} (known: {known})")
    return partnership


def list_partnerships(session: Session) -> list[Partnership]:
    """Every partnership, by acronym."""
    return sorted(session.exec(select(Partnership)).all(), key=lambda p: p.acronym.casefold())


def reporting_periods(session: Session, partnership_id: int) -> list[ReportingPeriod]:
    """A partnership's reporting periods in date order."""
    rows = session.exec(
        select(ReportingPeriod).where(ReportingPeriod.partnership_id == partnership_id)
    ).all()
    return sorted(rows, key=lambda r: r.ends_on)


def host_rates(session: Session, partnership_id: int) -> dict[str, int]:
    """Host country -> full rate in cents, where the partnership set one."""
    rows = session.exec(
        select(HostCountryRate).where(HostCountryRate.partnership_id == partnership_id)
    ).all()
    return {row.country: row.rate_cents for row in rows}


def programme(session: Session) -> Programme:
    """The programme settings row (created by `xchange init`)."""
    row = session.get(Programme, 1)
    if row is None:
        raise NotFound("The database is not initialised: run `xchange init`")
    return row


def eligible_countries(session: Session, on: date | None = None) -> list[str]:
    """Codes eligible on `on` (default: any time), sorted."""
    codes = set()
    for row in session.exec(select(EligibleCountry)).all():
        if on is None or (
            (row.valid_from is None or row.valid_from <= on)
            and (row.valid_to is None or on <= row.valid_to)
        ):
            codes.add(row.code)
    return sorted(codes)


def _audit(
    session: Session, actor: User, entity: str, entity_id: int, action: str, changes: dict[str, Any]
) -> None:
    session.add(
        AuditEvent(
            actor_id=actor.id,
            actor_label=actor.email,
            entity=entity,
            entity_id=entity_id,
            action=action,
            changes=changes,
        )
    )
