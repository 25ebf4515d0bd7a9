"""Partnerships and programme settings: what an administrator sets up before exchanges are logged.

Every write here is for administrators only (`access.require_admin` comes first), validates its
input with a message naming the value at fault (`InvalidPartnership`), records each change as
`[old, new]` in an `AuditEvent`, and bumps the partnership's `version`: a write that read an older
version raises `StaleRecord` and changes nothing. A partnership's host rates, reporting periods
and milestones belong to it, so changing them bumps its version too. Functions flush; the
caller's `db.write_session` commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from xchange.accounts import access
from xchange.db.versioning import record_change
from xchange.errors import InvalidInput
from xchange.models import (
    Partnership,
    ReportingPeriod,
    Role,
    User,
    UserPartnership,
)
from xchange.programme.checks import (
    LABEL_MAX_LENGTH,
    MAX_FULL_RATE_EUR,
    InvalidPartnership,
    bump_partnership,
    check_milestones,
    check_partnership_version,
    check_periods,
    check_share,
    check_terms,
    default_reporting_periods,
    milestones_json,
    periods_json,
)
from xchange.programme.lookup import (
    eligible_countries,
    find_partnership,
    get_partnership,
    get_partnership_by_id,
    host_rates,
    list_partnerships,
    partnership_table,
    path_milestones,
    reporting_periods,
)
from xchange.programme.period import named, stays_outside
from xchange.programme.schedules import set_host_rates, set_milestones, set_reporting_periods

__all__ = [
    "LABEL_MAX_LENGTH",
    "MAX_FULL_RATE_EUR",
    "InvalidPartnership",
    "add_partnership",
    "add_partnership_with_coordinator",
    "default_reporting_periods",
    "update_partnership",
    "find_partnership",
    "get_partnership",
    "list_partnerships",
    "reporting_periods",
    "host_rates",
    "eligible_countries",
    "get_partnership_by_id",
    "path_milestones",
    "partnership_table",
    "set_host_rates",
    "set_reporting_periods",
    "set_milestones",
]


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
    check_terms(name, action_start, action_end, target_exchanges, full_rate_eur)
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
    leave_stays_outside: bool = False,
) -> Partnership:
    """Change a partnership's terms (admins only); its acronym stays, imports key on it.

    New action dates that would leave stored stays outside the action raise
    `InvalidPartnership` naming them, unless `leave_stays_outside` (they are then listed in
    "Needs attention" until corrected).

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
    check_partnership_version(session, partnership, expected_version)
    check_terms(name, action_start, action_end, target_exchanges, full_rate_eur)
    check_share(sme_share_target, "SME share target")
    check_share(beyond_share_target, "beyond-community share target")

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
    check_periods(moved_periods, action_start, action_end, hint=hint)
    check_milestones(moved_marks, action_start, action_end, target_exchanges, hint=hint)
    moved = (action_start, action_end) != (partnership.action_start, partnership.action_end)
    if moved and not leave_stays_outside:
        outside = stays_outside(
            session,
            partnership_ids={partnership_id},
            bounds={partnership_id: (action_start, action_end)},
        )
        if outside:
            raise InvalidPartnership(
                f"The new action dates would leave {len(outside):,} stay"
                f"{'' if len(outside) == 1 else 's'} outside the action: {named(outside)}. "
                "Correct them first, or save again allowing it."
            )

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
    old_periods = periods_json([(p.label, p.ends_on) for p in periods])
    new_periods = periods_json(moved_periods)
    if old_periods != new_periods:
        changes["reporting_periods"] = [old_periods, new_periods]
    old_marks = milestones_json([(m.due_on, m.cumulative) for m in marks])
    new_marks = milestones_json(moved_marks)
    if old_marks != new_marks:
        changes["milestones"] = [old_marks, new_marks]
    if not changes:
        return partnership

    changes["version"] = bump_partnership(session, partnership, expected_version)
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
