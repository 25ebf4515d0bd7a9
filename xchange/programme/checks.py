"""What every partnership write checks: its terms, shares, reporting periods and milestones hold
together (`InvalidPartnership` names the value at fault), and the partnership is still at the
version the writer read (`check_partnership_version`, `bump_partnership`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import pandas as pd
from dateutil.relativedelta import relativedelta
from sqlmodel import Session

from xchange import dates
from xchange.db.versioning import check_version, next_version
from xchange.errors import XchangeError
from xchange.models import (
    Partnership,
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


def check_terms(
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


def check_share(value: float | None, what: str) -> None:
    if value is not None and not 0 < value <= 1:
        raise InvalidPartnership(
            f"The {what} must lie above 0 % and at most 100 % (not {value * 100:g} %)"
        )


def check_periods(
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


def check_milestones(
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


def check_partnership_version(
    session: Session, partnership: Partnership, expected_version: int
) -> None:
    what = f"Partnership {partnership.acronym}"
    check_version(session, partnership, expected_version, entity="partnership", what=what)


def bump_partnership(
    session: Session, partnership: Partnership, expected_version: int
) -> list[int]:
    what = f"Partnership {partnership.acronym}"
    return next_version(session, partnership, expected_version, entity="partnership", what=what)


def periods_json(periods: Sequence[tuple[str, date]]) -> list[list[str]]:
    """Reporting periods as the audit trail keeps them: `[label, ISO date]`, by date."""
    return [[label, ends_on.isoformat()] for label, ends_on in sorted(periods, key=by_date)]


def milestones_json(marks: Sequence[tuple[date, int]]) -> list[list[Any]]:
    """Milestones as the audit trail keeps them: `[ISO date, cumulative]`, by date."""
    return [[due_on.isoformat(), cumulative] for due_on, cumulative in sorted(marks)]


def by_date(period: tuple[str, date]) -> tuple[date, str]:
    return period[1], period[0]
