"""Partnerships and programme settings: what an administrator sets up before exchanges are logged.

Every write here is for administrators only (`access.require_admin` comes first), validates its
input with a message naming the value at fault (`InvalidPartnership`), records each change as
`[old, new]` in an `AuditEvent`, and bumps the partnership's `version`: a write that read an older
version raises `StaleRecord` and changes nothing. A partnership's host rates, reporting periods
and milestones belong to it, so changing them bumps its version too. Functions flush; the
caller's `db.write_session` commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

import pandas as pd
import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from sqlmodel import Session, col, select

from xchange import dates, reference
from xchange.accounts import access
from xchange.db.versioning import check_version, next_version, record_change
from xchange.errors import InvalidInput, NotFound, XchangeError
from xchange.models import (
    EligibleCountry,
    HostCountryRate,
    Partnership,
    PathMilestone,
    ReportingPeriod,
    Role,
    User,
    UserPartnership,
)

# The scheme's cap for one full lump sum, in euros (rules.MAX_LUMP_SUM_CENTS in cents).
MAX_FULL_RATE_EUR = 1100.0
LABEL_MAX_LENGTH = 40  # ReportingPeriod.label


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
    if len(acronym) > 40:
        raise InvalidPartnership(f"The acronym {acronym!r} is longer than 40 characters")
    _check_terms(name, action_start, action_end, target_exchanges, full_rate_eur)
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
    record_change(
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
            "full_rate_cents": [None, partnership.full_rate_cents],
        },
    )
    session.flush()
    return partnership


def add_partnership_with_coordinator(
    *,
    session: Session,
    actor: User,
    acronym: str,
    name: str,
    action_start: date,
    action_end: date,
    target_exchanges: int = 100,
    full_rate_eur: float = MAX_FULL_RATE_EUR,
    coordinator_email: str | None = None,
    coordinator_password: str | None = None,
    password_required: bool = False,
) -> tuple[Partnership, User | None]:
    """Create a partnership and, when an email is given, the coordinator who logs its exchanges.

    Returns `(partnership, coordinator)`; the coordinator is None without an email. A new email
    makes a coordinator account (`coordinator_password` None: single sign-on only); the email of
    an existing coordinator adds the partnership to theirs; `password_required` (no single
    sign-on in this deployment) refuses a new account without one. Everything is written in the
    caller's transaction, so a refused coordinator leaves no partnership behind either. Raises
    `InvalidPartnership`, `InvalidInput` (email, password, an existing account of another role)
    and `PermissionDenied`.
    """
    from xchange.accounts import auth

    # Checked here too, so that a refusal names this attempt rather than its first step.
    access.require_admin(
        session=session,
        actor=actor,
        action="add_partnership_with_coordinator",
        entity="partnership",
    )
    partnership = add_partnership(
        session=session,
        actor=actor,
        acronym=acronym,
        name=name,
        action_start=action_start,
        action_end=action_end,
        target_exchanges=target_exchanges,
        full_rate_eur=full_rate_eur,
    )
    if not (coordinator_email or "").strip():
        return partnership, None
    email = auth.normalise_email(coordinator_email or "")
    existing = auth.user_by_email(session=session, email=email)
    if existing is None:
        if password_required and not coordinator_password:
            raise InvalidInput(
                f"Give {email} an initial password: without single sign-on, it is how they sign in."
            )
        coordinator = auth.add_user(
            session=session,
            actor=actor,
            email=email,
            role=Role.COORDINATOR,
            password=coordinator_password or None,
            partnerships=[partnership.acronym],
        )
        return partnership, coordinator
    if existing.role != Role.COORDINATOR:
        raise InvalidInput(
            f"{email} already has an account as {existing.role}: pick another email, or make "
            "them a coordinator on the Users tab first."
        )
    if coordinator_password:
        raise InvalidInput(
            f"{email} already has an account: leave the password empty (their own stays), "
            "or reset it on the Users tab."
        )
    assert existing.id is not None
    theirs = session.exec(
        select(Partnership.acronym)
        .join(UserPartnership, col(UserPartnership.partnership_id) == col(Partnership.id))
        .where(UserPartnership.user_id == existing.id)
    ).all()
    coordinator = auth.set_role_and_partnerships(
        session=session,
        actor=actor,
        user_id=existing.id,
        expected_version=existing.version,  # read in this transaction: a race is refused
        role=Role.COORDINATOR,
        partnerships=[*theirs, partnership.acronym],
    )
    return partnership, coordinator


def update_partnership(
    *,
    session: Session,
    actor: User,
    partnership_id: int,
    expected_version: int,
    name: str,
    action_start: date,
    action_end: date,
    target_exchanges: int,
    sme_share_target: float | None = None,
    beyond_share_target: float | None = None,
    full_rate_eur: float = MAX_FULL_RATE_EUR,
) -> Partnership:
    """Change a partnership's terms (admins only); its acronym stays, imports key on it.

    `sme_share_target` / `beyond_share_target` are fractions in (0, 1], or None for the
    programme's. A reporting period ending on the old action end, and a milestone due then that
    expects the whole old target, follow the new end (and target): they mark the end of the
    action, not a date of their own. Any other period or milestone the new terms leave outside
    the action raises `InvalidPartnership` naming it. Raises `StaleRecord` when the partnership
    changed since `expected_version` was read. Saving unchanged terms writes nothing.
    """
    access.require_admin(
        session=session,
        actor=actor,
        action="update_partnership",
        entity="partnership",
        entity_id=partnership_id,
    )
    partnership = get_partnership_by_id(session, partnership_id)
    _check_version(session, partnership, expected_version)
    _check_terms(name, action_start, action_end, target_exchanges, full_rate_eur)
    _check_share(sme_share_target, "SME share target")
    _check_share(beyond_share_target, "beyond-community share target")

    old_end, old_target = partnership.action_end, partnership.target_exchanges
    periods = reporting_periods(session, partnership_id)
    moved_periods = [(p.label, action_end if p.ends_on == old_end else p.ends_on) for p in periods]
    marks = path_milestones(session, partnership_id)
    moved_marks = [
        (action_end, target_exchanges)
        if (m.due_on, m.cumulative) == (old_end, old_target)
        else (m.due_on, m.cumulative)
        for m in marks
    ]
    hint = "change them first (below), then the terms"
    _check_periods(moved_periods, action_start, action_end, hint=hint)
    _check_milestones(moved_marks, action_start, action_end, target_exchanges, hint=hint)

    before = _terms(partnership)
    after: dict[str, Any] = {
        "name": name.strip(),
        "action_start": action_start.isoformat(),
        "action_end": action_end.isoformat(),
        "target_exchanges": target_exchanges,
        "sme_share_target": sme_share_target,
        "beyond_share_target": beyond_share_target,
        "full_rate_cents": int(round(full_rate_eur * 100)),
    }
    changes: dict[str, Any] = _diff(before, after)
    old_periods = _periods_json([(p.label, p.ends_on) for p in periods])
    new_periods = _periods_json(moved_periods)
    if old_periods != new_periods:
        changes["reporting_periods"] = [old_periods, new_periods]
    old_marks = _milestones_json([(m.due_on, m.cumulative) for m in marks])
    new_marks = _milestones_json(moved_marks)
    if old_marks != new_marks:
        changes["milestones"] = [old_marks, new_marks]
    if not changes:
        return partnership

    changes["version"] = _bump(session, partnership, expected_version)
    partnership.name = after["name"]
    partnership.action_start = action_start
    partnership.action_end = action_end
    partnership.target_exchanges = target_exchanges
    partnership.sme_share_target = sme_share_target
    partnership.beyond_share_target = beyond_share_target
    partnership.full_rate_cents = after["full_rate_cents"]
    session.add(partnership)
    for period, (_, ends_on) in zip(periods, moved_periods, strict=True):
        period.ends_on = ends_on
        session.add(period)
    for mark, (due_on, cumulative) in zip(marks, moved_marks, strict=True):
        mark.due_on, mark.cumulative = due_on, cumulative
        session.add(mark)
    record_change(session, actor, "partnership", partnership_id, "update", changes)
    session.flush()
    return partnership


def set_host_rates(
    *,
    session: Session,
    actor: User,
    partnership_id: int,
    expected_version: int,
    rates: Mapping[str, float] | Iterable[tuple[str, float | None]],
) -> Partnership:
    """Replace a partnership's full rates by host country: country (code or name) -> EUR.

    A country without a rate of its own takes the partnership's full rate; an empty mapping
    removes them all. Each country must be known and eligible at some time, each rate within
    EUR 0-1,100, and a country may appear once (`EL` and `GR` are one); pairs are read like a
    mapping, so that a table listing one code twice says so. Raises `InvalidPartnership`, `StaleRecord`, `PermissionDenied`.
    """
    access.require_admin(
        session=session,
        actor=actor,
        action="set_host_rates",
        entity="partnership",
        entity_id=partnership_id,
    )
    partnership = get_partnership_by_id(session, partnership_id)
    _check_version(session, partnership, expected_version)
    eligible = set(eligible_countries(session))
    wanted: dict[str, int] = {}
    pairs = rates.items() if isinstance(rates, Mapping) else rates
    for typed, euros in pairs:
        if not str(typed or "").strip():
            raise InvalidPartnership("Each rate needs its host country (FR, France...)")
        code = reference.parse_country(str(typed))
        if code is None:
            raise InvalidPartnership(f"Host country {typed!r} is not a country code or name")
        if code not in eligible:
            raise InvalidPartnership(
                f"{reference.country_name(code)} ({code}) is not an eligible country: "
                "no exchange can be hosted there"
            )
        if code in wanted:
            raise InvalidPartnership(f"{reference.country_name(code)} ({code}) has two rates")
        if euros is None or pd.isna(euros) or not 0 < float(euros) <= MAX_FULL_RATE_EUR:
            raise InvalidPartnership(
                f"The rate for {reference.country_name(code)} must lie within EUR 0-1,100 "
                f"(not {euros})"
            )
        wanted[code] = int(round(float(euros) * 100))
    stored = session.exec(
        select(HostCountryRate).where(HostCountryRate.partnership_id == partnership_id)
    ).all()
    before = {row.country: row.rate_cents for row in stored}
    if before == wanted:
        return partnership
    version = _bump(session, partnership, expected_version)
    for row in stored:
        session.delete(row)
    session.flush()  # the old rows go before new ones with the same (partnership, country)
    session.add_all(
        HostCountryRate(partnership_id=partnership_id, country=code, rate_cents=cents)
        for code, cents in sorted(wanted.items())
    )
    record_change(
        session,
        actor,
        "partnership",
        partnership_id,
        "update",
        {"host_rates": [dict(sorted(before.items())), wanted], "version": version},
    )
    session.flush()
    return partnership


def set_reporting_periods(
    *,
    session: Session,
    actor: User,
    partnership_id: int,
    expected_version: int,
    periods: Sequence[tuple[str, date]],
) -> Partnership:
    """Replace a partnership's reporting periods: (label, last day) pairs, in any order.

    Each period ends within the action (after its start, at the latest on its end); labels are
    unique (any case) and at most 40 characters; at least one period is needed. An exchange
    falls in the first period ending on or after its end date. Raises `InvalidPartnership`,
    `StaleRecord`, `PermissionDenied`.
    """
    access.require_admin(
        session=session,
        actor=actor,
        action="set_reporting_periods",
        entity="partnership",
        entity_id=partnership_id,
    )
    partnership = get_partnership_by_id(session, partnership_id)
    _check_version(session, partnership, expected_version)
    cleaned = [((label or "").strip(), ends_on) for label, ends_on in periods]
    _check_periods(cleaned, partnership.action_start, partnership.action_end)
    stored = reporting_periods(session, partnership_id)
    before = _periods_json([(p.label, p.ends_on) for p in stored])
    after = _periods_json(cleaned)
    if before == after:
        return partnership
    version = _bump(session, partnership, expected_version)
    for row in stored:
        session.delete(row)
    session.flush()  # labels are unique per partnership: old rows first
    session.add_all(
        ReportingPeriod(partnership_id=partnership_id, label=label, ends_on=ends_on)
        for label, ends_on in sorted(cleaned, key=_by_date)
    )
    record_change(
        session,
        actor,
        "partnership",
        partnership_id,
        "update",
        {"reporting_periods": [before, after], "version": version},
    )
    session.flush()
    return partnership


def set_milestones(
    *,
    session: Session,
    actor: User,
    partnership_id: int,
    expected_version: int,
    milestones: Sequence[tuple[date, int | None]],
) -> Partnership:
    """Replace the points of a partnership's target path: (due date, cumulative exchanges).

    Without milestones the path runs straight from 0 at the action start to the target at its
    end. Each milestone falls within the action (after its start, at the latest on its end),
    once per date; the counts lie within 0 and the target and never fall from one date to the
    next; one due on the action end expects the whole target, since the path ends there.
    Raises `InvalidPartnership`, `StaleRecord`, `PermissionDenied`.
    """
    access.require_admin(
        session=session,
        actor=actor,
        action="set_milestones",
        entity="partnership",
        entity_id=partnership_id,
    )
    partnership = get_partnership_by_id(session, partnership_id)
    _check_version(session, partnership, expected_version)
    for due_on, cumulative in milestones:
        if due_on is None or pd.isna(due_on):
            raise InvalidPartnership("Each milestone needs a due date")
        if cumulative is None or pd.isna(cumulative):
            raise InvalidPartnership(
                f"The milestone due on {due_on.isoformat()} needs a number of exchanges"
            )
    cleaned = [(due_on, int(cumulative or 0)) for due_on, cumulative in milestones]
    _check_milestones(
        cleaned, partnership.action_start, partnership.action_end, partnership.target_exchanges
    )
    stored = path_milestones(session, partnership_id)
    before = _milestones_json([(m.due_on, m.cumulative) for m in stored])
    after = _milestones_json(cleaned)
    if before == after:
        return partnership
    version = _bump(session, partnership, expected_version)
    for row in stored:
        session.delete(row)
    session.flush()  # due dates are unique per partnership: old rows first
    session.add_all(
        PathMilestone(partnership_id=partnership_id, due_on=due_on, cumulative=cumulative)
        for due_on, cumulative in sorted(cleaned)
    )
    record_change(
        session,
        actor,
        "partnership",
        partnership_id,
        "update",
        {"milestones": [before, after], "version": version},
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


# --- internals -------------------------------------------------------------------------------


def _check_terms(
    name: str, action_start: date, action_end: date, target_exchanges: int, full_rate_eur: float
) -> None:
    """The checks every partnership's terms pass, on creation and on each change."""
    if not name.strip():
        raise InvalidPartnership("A partnership needs a name")
    if len(name.strip()) > 300:
        raise InvalidPartnership("The name is longer than 300 characters")
    for label, day in (("Action start", action_start), ("Action end", action_end)):
        if not dates.within(day):
            raise InvalidPartnership(dates.out_of_range_message(label, day))
    if action_end <= action_start:
        raise InvalidPartnership(
            f"The action ends ({action_end}) before it starts ({action_start})"
        )
    if target_exchanges <= 0:
        raise InvalidPartnership(
            f"Target {target_exchanges} must be a positive number of exchanges"
        )
    if not 0 < full_rate_eur <= MAX_FULL_RATE_EUR:
        raise InvalidPartnership(f"Full rate EUR {full_rate_eur:,.2f} must lie within EUR 0-1,100")


def _check_share(value: float | None, what: str) -> None:
    if value is not None and not 0 < value <= 1:
        raise InvalidPartnership(
            f"The {what} must lie above 0 % and at most 100 % (not {value * 100:g} %)"
        )


def _check_periods(
    periods: Sequence[tuple[str, date]], start: date, end: date, *, hint: str = ""
) -> None:
    """Reporting periods: labelled, each label once, each ending within the action."""
    after = f": {hint}" if hint else ""
    if not periods:
        raise InvalidPartnership("A partnership needs at least one reporting period (the final)")
    seen: set[str] = set()
    for label, ends_on in periods:
        if not label:
            raise InvalidPartnership("Each reporting period needs a label (interim, final...)")
        if len(label) > LABEL_MAX_LENGTH:
            raise InvalidPartnership(
                f"The label {label!r} is longer than {LABEL_MAX_LENGTH} characters"
            )
        if label.casefold() in seen:
            raise InvalidPartnership(f"Two reporting periods are labelled {label!r}")
        seen.add(label.casefold())
        if ends_on is None or pd.isna(ends_on):
            raise InvalidPartnership(f"Reporting period {label!r} needs an end date")
        if not start < ends_on <= end:
            raise InvalidPartnership(
                f"Reporting period {label!r} ends on {ends_on.isoformat()}, outside the action "
                f"({start.isoformat()} to {end.isoformat()}){after}"
            )


def _check_milestones(
    milestones: Sequence[tuple[date, int]], start: date, end: date, target: int, *, hint: str = ""
) -> None:
    """Milestones: within the action, one per date, counts within 0..target and never falling."""
    after = f": {hint}" if hint else ""
    previous: tuple[date, int] | None = None
    for due_on, cumulative in sorted(milestones):
        shown = due_on.isoformat()
        if not start < due_on <= end:
            raise InvalidPartnership(
                f"The milestone due on {shown} lies outside the action "
                f"({start.isoformat()} to {end.isoformat()}){after}"
            )
        if not 0 <= cumulative <= target:
            raise InvalidPartnership(
                f"The milestone due on {shown} expects {cumulative:,} exchanges: it must lie "
                f"within 0 and the target ({target:,}){after}"
            )
        if due_on == end and cumulative != target:
            raise InvalidPartnership(
                f"The milestone due on the action end ({shown}) must expect the whole target "
                f"({target:,}), since the path ends there{after}"
            )
        if previous is not None and previous[0] == due_on:
            raise InvalidPartnership(f"Two milestones are due on {shown}")
        if previous is not None and cumulative < previous[1]:
            raise InvalidPartnership(
                f"The milestone due on {shown} expects {cumulative:,}, fewer than the "
                f"{previous[1]:,} expected by {previous[0].isoformat()}: a path never falls"
            )
        previous = (due_on, cumulative)


def _check_version(session: Session, partnership: Partnership, expected_version: int) -> None:
    what = f"Partnership {partnership.acronym}"
    check_version(session, partnership, expected_version, entity="partnership", what=what)


def _bump(session: Session, partnership: Partnership, expected_version: int) -> list[int]:
    what = f"Partnership {partnership.acronym}"
    return next_version(session, partnership, expected_version, entity="partnership", what=what)


def _terms(partnership: Partnership) -> dict[str, Any]:
    return {
        "name": partnership.name,
        "action_start": partnership.action_start.isoformat(),
        "action_end": partnership.action_end.isoformat(),
        "target_exchanges": partnership.target_exchanges,
        "sme_share_target": partnership.sme_share_target,
        "beyond_share_target": partnership.beyond_share_target,
        "full_rate_cents": partnership.full_rate_cents,
    }


def _diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    return {
        name: [before.get(name), value]
        for name, value in after.items()
        if before.get(name) != value
    }


def _periods_json(periods: Sequence[tuple[str, date]]) -> list[list[str]]:
    """Reporting periods as the audit trail keeps them: `[label, ISO date]`, by date."""
    return [[label, ends_on.isoformat()] for label, ends_on in sorted(periods, key=_by_date)]


def _milestones_json(marks: Sequence[tuple[date, int]]) -> list[list[Any]]:
    """Milestones as the audit trail keeps them: `[ISO date, cumulative]`, by date."""
    return [[due_on.isoformat(), cumulative] for due_on, cumulative in sorted(marks)]


def _by_date(period: tuple[str, date]) -> tuple[date, str]:
    return period[1], period[0]
