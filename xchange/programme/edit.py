"""One partnership changed by a script: some of its terms, some host rates, periods and
milestones, in one transaction, through the same functions as the Administration page.

A script names only what changes (`--end 2028-06-30 --rate FR=900`); the rest keeps its value.
Rates, periods and milestones are merged by country, label and date: a value of None removes
that one. Each part is saved by the page's own function (`update_partnership`,
`set_host_rates`, `set_reporting_periods`, `set_milestones`), so the page's rules, messages and
audit rows apply, and the first part checks the version the caller read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session

from xchange import reference
from xchange.errors import InvalidInput
from xchange.models import Partnership, User
from xchange.programme.lookup import get_partnership, host_rates, path_milestones, reporting_periods
from xchange.programme.partnerships import update_partnership
from xchange.programme.schedules import set_host_rates, set_milestones, set_reporting_periods

PROGRAMME_SHARE = "programme"  # a share target given so follows the programme's


@dataclass(frozen=True)
class PartnershipEdit:
    """What changes; None (or an empty mapping) keeps it as it is.

    `sme_share_target` / `beyond_share_target`: a fraction, or `PROGRAMME_SHARE` to follow the
    programme's. `rates`: host country (code or name) -> EUR, None to remove the country's own
    rate. `periods`: label -> last day, None to remove. `milestones`: due date -> cumulative
    count, None to remove.
    """

    name: str | None = None
    action_start: date | None = None
    action_end: date | None = None
    target_exchanges: int | None = None
    sme_share_target: float | str | None = None
    beyond_share_target: float | str | None = None
    full_rate_eur: float | None = None
    rates: Mapping[str, float | None] = field(default_factory=dict)
    periods: Mapping[str, date | None] = field(default_factory=dict)
    milestones: Mapping[date, int | None] = field(default_factory=dict)

    @property
    def terms_change(self) -> bool:
        terms = (
            self.name,
            self.action_start,
            self.action_end,
            self.target_exchanges,
            self.sme_share_target,
            self.beyond_share_target,
            self.full_rate_eur,
        )
        return any(value is not None for value in terms)


def edit_partnership(
    *,
    session: Session,
    actor: User,
    acronym: str,
    expected_version: int | None,
    edit: PartnershipEdit,
) -> tuple[Partnership, int]:
    """Apply `edit` to the partnership `acronym`; returns it and the version it was read at.

    `expected_version` None: the version read now (the caller's transaction guards the rest).
    Periods and milestones that fit the action as it stands are saved before the terms, so that
    narrowing an action and moving its periods inside it works in one call; otherwise after.
    Raises what the page's functions raise: `InvalidPartnership`, `StaleRecord`,
    `PermissionDenied`, `NotFound`.
    """
    partnership = get_partnership(session, acronym)
    pid = int(partnership.id or 0)
    read = partnership.version
    version = read if expected_version is None else expected_version

    def schedules(version: int) -> int:
        if edit.rates:
            merged: dict[str, float | None] = {
                code: cents / 100 for code, cents in host_rates(session, pid).items()
            }
            for typed, euros in edit.rates.items():
                merged[_country(typed)] = euros
            kept = [(code, euros) for code, euros in merged.items() if euros is not None]
            version = set_host_rates(
                session=session,
                actor=actor,
                partnership_id=pid,
                expected_version=version,
                rates=kept,
            ).version
        if edit.periods:
            periods: dict[str, date | None] = {
                p.label: p.ends_on for p in reporting_periods(session, pid)
            }
            periods.update(edit.periods)
            version = set_reporting_periods(
                session=session,
                actor=actor,
                partnership_id=pid,
                expected_version=version,
                periods=[(label, day) for label, day in periods.items() if day is not None],
            ).version
        if edit.milestones:
            marks: dict[date, int | None] = {
                m.due_on: m.cumulative for m in path_milestones(session, pid)
            }
            marks.update(edit.milestones)
            version = set_milestones(
                session=session,
                actor=actor,
                partnership_id=pid,
                expected_version=version,
                milestones=[(day, count) for day, count in marks.items() if count is not None],
            ).version
        return version

    days = [d for d in edit.periods.values() if d is not None] + list(edit.milestones)
    inside_now = all(partnership.action_start <= d <= partnership.action_end for d in days)
    if inside_now:
        version = schedules(version)
    if edit.terms_change:
        version = update_partnership(
            session=session,
            actor=actor,
            partnership_id=pid,
            expected_version=version,
            **_terms(partnership, edit),
        ).version
    if not inside_now:
        version = schedules(version)
    return partnership, read


def partnership_json(session: Session, partnership: Partnership) -> dict[str, Any]:
    """A partnership's terms and schedules in JSON form (`xchange partnership show --json`)."""
    pid = int(partnership.id or 0)
    return {
        "acronym": partnership.acronym,
        "name": partnership.name,
        "version": partnership.version,
        "action_start": partnership.action_start.isoformat(),
        "action_end": partnership.action_end.isoformat(),
        "target_exchanges": partnership.target_exchanges,
        "sme_share_target": partnership.sme_share_target,
        "beyond_share_target": partnership.beyond_share_target,
        "full_rate_eur": partnership.full_rate_cents / 100,
        "host_rates": {
            code: cents / 100 for code, cents in sorted(host_rates(session, pid).items())
        },
        "reporting_periods": [
            {"label": p.label, "ends_on": p.ends_on.isoformat()}
            for p in reporting_periods(session, pid)
        ],
        "milestones": [
            {"due_on": m.due_on.isoformat(), "cumulative": m.cumulative}
            for m in path_milestones(session, pid)
        ],
    }


def _terms(partnership: Partnership, edit: PartnershipEdit) -> dict[str, Any]:
    """`update_partnership`'s arguments: the edit's values over the partnership's."""

    def share(given: float | str | None, now: float | None) -> float | None:
        if given is None:
            return now
        return None if given == PROGRAMME_SHARE else float(given)

    return {
        "name": partnership.name if edit.name is None else edit.name,
        "action_start": edit.action_start or partnership.action_start,
        "action_end": edit.action_end or partnership.action_end,
        "target_exchanges": (
            partnership.target_exchanges if edit.target_exchanges is None else edit.target_exchanges
        ),
        "sme_share_target": share(edit.sme_share_target, partnership.sme_share_target),
        "beyond_share_target": share(edit.beyond_share_target, partnership.beyond_share_target),
        "full_rate_eur": (
            partnership.full_rate_cents / 100 if edit.full_rate_eur is None else edit.full_rate_eur
        ),
    }


def _country(typed: str) -> str:
    code = reference.parse_country(typed.strip())
    if code is None:
        raise InvalidInput(f"Host country {typed!r} is not a country code or name (FR, Greece...).")
    return code
