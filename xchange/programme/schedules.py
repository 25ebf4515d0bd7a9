"""A partnership's host rates, reporting periods and milestones: each replaced whole by an
administrator, checked, audited as `[old, new]`, and bumping the partnership's version (they
belong to it). Functions flush; the caller's `db.write_session` commits."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date

import pandas as pd
from sqlmodel import Session, select

from xchange import reference
from xchange.accounts import access
from xchange.db.versioning import record_change
from xchange.models import (
    HostCountryRate,
    Partnership,
    PathMilestone,
    ReportingPeriod,
    User,
)
from xchange.programme.checks import (
    MAX_FULL_RATE_EUR,
    InvalidPartnership,
    bump_partnership,
    by_date,
    check_milestones,
    check_partnership_version,
    check_periods,
    milestones_json,
    periods_json,
)
from xchange.programme.lookup import (
    eligible_countries,
    get_partnership_by_id,
    path_milestones,
    reporting_periods,
)


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
    check_partnership_version(session, partnership, expected_version)
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
    version = bump_partnership(session, partnership, expected_version)
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
    check_partnership_version(session, partnership, expected_version)
    cleaned = [((label or "").strip(), ends_on) for label, ends_on in periods]
    check_periods(cleaned, partnership.action_start, partnership.action_end)
    stored = reporting_periods(session, partnership_id)
    before = periods_json([(p.label, p.ends_on) for p in stored])
    after = periods_json(cleaned)
    if before == after:
        return partnership
    version = bump_partnership(session, partnership, expected_version)
    for row in stored:
        session.delete(row)
    session.flush()  # labels are unique per partnership: old rows first
    session.add_all(
        ReportingPeriod(partnership_id=partnership_id, label=label, ends_on=ends_on)
        for label, ends_on in sorted(cleaned, key=by_date)
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
    check_partnership_version(session, partnership, expected_version)
    for due_on, cumulative in milestones:
        if due_on is None or pd.isna(due_on):
            raise InvalidPartnership("Each milestone needs a due date")
        if cumulative is None or pd.isna(cumulative):
            raise InvalidPartnership(
                f"The milestone due on {due_on.isoformat()} needs a number of exchanges"
            )
    cleaned = [(due_on, int(cumulative or 0)) for due_on, cumulative in milestones]
    check_milestones(
        cleaned, partnership.action_start, partnership.action_end, partnership.target_exchanges
    )
    stored = path_milestones(session, partnership_id)
    before = milestones_json([(m.due_on, m.cumulative) for m in stored])
    after = milestones_json(cleaned)
    if before == after:
        return partnership
    version = bump_partnership(session, partnership, expected_version)
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
