"""Reading partnerships: by acronym or id, the list and its table, a partnership's reporting
periods, host rates and milestones, and the countries eligible on a day."""

from __future__ import annotations

from datetime import date

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session, col, select

from xchange.errors import NotFound
from xchange.models import (
    EligibleCountry,
    HostCountryRate,
    Partnership,
    PathMilestone,
    ReportingPeriod,
    User,
    UserPartnership,
)


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


def get_partnership_by_id(session: Session, partnership_id: int) -> Partnership:
    """The partnership with this id; NotFound otherwise."""
    partnership = session.get(Partnership, partnership_id)
    if partnership is None:
        raise NotFound(f"There is no partnership with id {partnership_id}")
    return partnership


def path_milestones(session: Session, partnership_id: int) -> list[PathMilestone]:
    """A partnership's target-path milestones in date order."""
    rows = session.exec(
        select(PathMilestone).where(PathMilestone.partnership_id == partnership_id)
    ).all()
    return sorted(rows, key=lambda m: m.due_on)


def partnership_table(session: Session) -> pd.DataFrame:
    """Every partnership with its terms, for the administration page; one row each, by acronym.

    Columns: id, version, acronym, name, action_start, action_end, target_exchanges,
    sme_share_target and beyond_share_target (None: the programme's), full_rate_eur, host_rates
    (number of countries with a rate of their own), reporting_periods ("interim 2026-12-31,
    final 2027-12-31"), coordinators (emails, comma-separated) and exchanges (logged, any
    status, read from the KPI summaries rather than the register itself).
    """
    columns = [
        "id",
        "version",
        "acronym",
        "name",
        "action_start",
        "action_end",
        "target_exchanges",
        "sme_share_target",
        "beyond_share_target",
        "full_rate_eur",
        "host_rates",
        "reporting_periods",
        "coordinators",
        "exchanges",
    ]
    partnerships = list_partnerships(session)
    if not partnerships:
        return pd.DataFrame(columns=columns)
    rate_counts: dict[int, int] = {}
    for row in session.exec(select(HostCountryRate)).all():
        rate_counts[row.partnership_id] = rate_counts.get(row.partnership_id, 0) + 1
    periods: dict[int, list[str]] = {}
    for period in sorted(session.exec(select(ReportingPeriod)).all(), key=lambda r: r.ends_on):
        periods.setdefault(period.partnership_id, []).append(
            f"{period.label} {period.ends_on.isoformat()}"
        )
    coordinators: dict[int, list[str]] = {}
    links = session.exec(
        select(UserPartnership.partnership_id, User.email)
        .join(User, col(User.id) == col(UserPartnership.user_id))
        .where(col(User.active).is_(True))
        .order_by(col(User.email))
    ).all()
    for pid, email in links:
        coordinators.setdefault(pid, []).append(email)
    # The trigger-kept daily sums hold every exchange once: a few rows per partnership and day
    # instead of a scan of the register.
    logged = {
        int(pid): int(n or 0)
        for pid, n in session.execute(
            sa.text("SELECT partnership_id, SUM(n) FROM kpi_daily GROUP BY partnership_id")
        ).all()
    }
    rows = [
        (
            p.id,
            p.version,
            p.acronym,
            p.name,
            p.action_start,
            p.action_end,
            p.target_exchanges,
            p.sme_share_target,
            p.beyond_share_target,
            p.full_rate_cents / 100,
            rate_counts.get(p.id or 0, 0),
            ", ".join(periods.get(p.id or 0, [])),
            ", ".join(coordinators.get(p.id or 0, [])),
            logged.get(p.id or 0, 0),
        )
        for p in partnerships
    ]
    return pd.DataFrame(rows, columns=columns)
