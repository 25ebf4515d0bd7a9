"""Targets as a path, a forecast at the end of the action, and a status with its reason in words.

- Path: each partnership's expected cumulative count at each quarter end, linear from action start
  (0) to action end (its target) unless milestones say otherwise; the programme's path is the sum
  of the partnerships' paths scaled to end at the programme target (1,000).
- Pace: mean counted per quarter over the last two complete quarters before the as-of date.
- Projection at action end = counted + max(pace x quarters left, confirmed stays ending within
  the action).
- Status: on track when the projection reaches the target (a share: at or above its floor); at
  risk when it reaches the at-risk ratio (90 %) of it (a share: at most 5 points below); off track
  otherwise. The thresholds are programme settings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session, select

from xchange import dates
from xchange.kpi import breakdowns
from xchange.kpi.paths import (
    TargetPath,
    expected_at,
    expected_on,
    milestones_by_partnership,
    partnership_path,
    quarter_end,
    target_path,
)
from xchange.kpi.sums import Filters, Headline, headline
from xchange.models import Partnership, Programme, quarter_of
from xchange.programme.row import read_programme

# The path has a module of its own; its names stay importable from here.
__all__ = [
    "AT_RISK",
    "DAYS_PER_QUARTER",
    "Forecast",
    "KpiStatus",
    "NO_DATA",
    "OFF_TRACK",
    "ON_TRACK",
    "TOLERANCE",
    "TargetPath",
    "expected_at",
    "expected_on",
    "forecast",
    "milestones_by_partnership",
    "pace_quarters",
    "partnership_forecasts",
    "partnership_path",
    "projections",
    "quarter_end",
    "share_gap",
    "share_status",
    "target_path",
]


DAYS_PER_QUARTER = 365.25 / 4


# Thresholds are products and differences of decimal fractions (0.4 - 0.05 is 0.35000000000000003
# in binary floating point): a value exactly on a threshold must land on it, not a hair below.
TOLERANCE = 1e-9


ON_TRACK, AT_RISK, OFF_TRACK, NO_DATA = "on track", "at risk", "off track", "no data"


@dataclass
class KpiStatus:
    """One KPI's status with its reason in words."""

    kpi: str  # "exchanges", "sme_share", "beyond_share"
    status: str
    reason: str


@dataclass
class Forecast:
    """Where a scope is heading: pace, projection, required pace, statuses and gaps."""

    scope: str
    as_of: date
    action_end: date
    counted: int
    target: int
    pace: float  # counted per quarter, mean of the last two complete quarters
    quarters_left: float
    confirmed_ahead: int  # confirmed stays ending after as-of and within the action
    projection: float
    required_pace: float | None  # per remaining quarter; None when nothing is left
    expected_now: float  # the target path's value on the as-of date
    statuses: list[KpiStatus]
    gaps: list[str]
    headline: Headline


def _pace(session: Session, as_of: date, filters: Filters) -> float:
    """Mean counted per quarter over the two complete quarters before the as-of quarter."""
    quarters = pace_quarters(as_of)
    table = breakdowns.by_quarter(session, as_of=as_of, filters=filters).table
    counted = table.set_index("quarter")["counted"] if len(table) else pd.Series(dtype=int)
    return float(sum(int(counted.get(q, 0)) for q in quarters)) / 2


def pace_quarters(as_of: date) -> tuple[str, str]:
    """The two complete quarters the pace is measured over."""
    last = dates.previous_quarter(quarter_of(as_of))
    if quarter_end(quarter_of(as_of)) == as_of:  # the as-of quarter itself is complete
        last = quarter_of(as_of)
    return dates.previous_quarter(last), last


def projections(session: Session, *, as_of: date, filters: Filters = Filters()) -> dict[int, float]:
    """Each partnership's projected count at its own action end (two grouped queries, and one
    for each partnership's confirmed stays ahead).

    The programme's (or several partnerships') projection is the sum of these, each partnership
    projected to its own end: one partnership ending soon does not borrow another's time.
    """
    from xchange.kpi.sums import Definitions, grouped

    definitions = Definitions.of(read_programme(session))
    counted = grouped(
        session, ["partnership_id"], as_of=as_of, definitions=definitions, filters=filters
    ).set_index("partnership_id")["counted"]
    pace_filters = replace(filters, quarters=pace_quarters(as_of))
    recent = grouped(
        session, ["partnership_id"], as_of=as_of, definitions=definitions, filters=pace_filters
    ).set_index("partnership_id")["counted"]
    result: dict[int, float] = {}
    for p in session.exec(select(Partnership)).all():
        if p.id is None or (filters.partnership_ids and p.id not in filters.partnership_ids):
            continue
        # The same count as a one-partnership forecast's, so that the sum matches its parts
        # (the summary cannot apply an ecosystem, country or type filter: the table then does).
        own = replace(filters, partnership_ids=(p.id,))
        ahead = _confirmed_ahead(session, as_of, p.action_end, own)
        pace = float(recent.get(p.id, 0)) / 2
        left = max((p.action_end - as_of).days, 0) / DAYS_PER_QUARTER
        result[p.id] = float(counted.get(p.id, 0)) + max(pace * left, float(ahead))
    return result


def _confirmed_ahead(session: Session, as_of: date, until: date, filters: Filters) -> int:
    """Confirmed stays ending after `as_of` and by `until` (from the daily summary)."""
    from xchange.kpi.sums import DAILY, X, filter_conditions, summary_conditions, uses_summary

    weight: Any
    if uses_summary(filters):
        table, conditions, weight = (
            DAILY,
            summary_conditions(DAILY, filters),
            sa.func.sum(DAILY.c.n),
        )
    else:
        table, conditions, weight = X, filter_conditions(filters), sa.func.count()
    query = (
        sa.select(sa.func.coalesce(weight, 0))
        .select_from(table)
        .where(
            table.c.status == "confirmed",
            table.c.end_date > as_of,
            table.c.end_date <= until,
            *conditions,
        )
    )
    return int(session.execute(query).scalar_one())


def share_status(value: float | None, floor: float, margin: float, what: str) -> KpiStatus:
    """On track at or above the floor, at risk within `margin` below it, off track under that."""
    kpi = "sme_share" if "SME" in what else "beyond_share"
    if value is None:
        return KpiStatus(
            kpi, NO_DATA, f"No exchange is counted yet, so the {what} share has no data."
        )
    pct, floor_pct = f"{value * 100:.1f} %", f"{floor * 100:.0f} %"
    if value >= floor - TOLERANCE:
        return KpiStatus(
            kpi,
            ON_TRACK,
            f"{pct} of counted exchanges involve {what}, at or above the {floor_pct} floor.",
        )
    if value >= floor - margin - TOLERANCE:
        return KpiStatus(
            kpi,
            AT_RISK,
            f"{pct} involve {what}, {(floor - value) * 100:.1f} points below the {floor_pct} floor.",
        )
    return KpiStatus(
        kpi,
        OFF_TRACK,
        f"Only {pct} involve {what}, {(floor - value) * 100:.1f} points below the {floor_pct} floor.",
    )


def share_gap(part: int, floor: float, at_total: int, what: str) -> str:
    """The gap arithmetic: how many more exchanges involving `what` reach `floor` at `at_total`."""
    needed = math.ceil(floor * at_total - TOLERANCE)
    more = max(needed - part, 0)
    if more == 0:
        return (
            f"{part:,} exchanges involving {what} already reach {floor * 100:.0f} % "
            f"of {at_total:,}."
        )
    return (
        f"{more:,} more exchanges involving {what} are needed to reach "
        f"{floor * 100:.0f} % at {at_total:,}."
    )


def forecast(
    session: Session,
    *,
    as_of: date | None = None,
    partnership: Partnership | None = None,
    filters: Filters = Filters(),
) -> Forecast:
    """Pace, projection, required pace and status for the programme, one partnership or the
    partnerships of `filters`.

    For several partnerships (or the programme) the action end is the latest one's, and the
    pace, confirmed stays and projection are the scope's own (a plain sum over partnerships).
    """
    as_of = as_of or date.today()
    programme: Programme = read_programme(session)
    if partnership is not None:
        filters = replace(filters, partnership_ids=(partnership.id or 0,))
    figures = headline(session, as_of=as_of, filters=filters)
    ids = filters.partnership_ids
    chosen = [p for p in session.exec(select(Partnership)).all() if not ids or p.id in ids]
    action_end = max((p.action_end for p in chosen), default=as_of)
    if len(chosen) == 1:  # its own path, which reaches the target on the action's last day
        (only,) = chosen
        own = partnership_path(only, milestones_by_partnership(session).get(only.id or 0, []))
        path = TargetPath(only.acronym, own, only.target_exchanges)
    else:
        path = target_path(session, partnership_ids=ids)
    pace = _pace(session, as_of, filters)
    quarters_left = max((action_end - as_of).days, 0) / DAYS_PER_QUARTER
    confirmed = _confirmed_ahead(session, as_of, action_end, filters)
    if len(chosen) == 1:
        projection = figures.counted + max(pace * quarters_left, float(confirmed))
    else:  # each partnership to its own end, then summed
        projection = sum(projections(session, as_of=as_of, filters=filters).values())
    return _assess(
        programme,
        figures,
        as_of=as_of,
        action_end=action_end,
        pace=pace,
        quarters_left=quarters_left,
        confirmed=confirmed,
        projection=projection,
        expected_now=expected_on(path, as_of),
    )


def _assess(
    programme: Programme,
    figures: Headline,
    *,
    as_of: date,
    action_end: date,
    pace: float,
    quarters_left: float,
    confirmed: int,
    projection: float,
    expected_now: float,
) -> Forecast:
    """Statuses with their reasons, and the gaps, from a scope's figures and outlook."""
    remaining = max(figures.target - figures.counted, 0)
    required = remaining / quarters_left if quarters_left > 0 else None

    ratio = programme.at_risk_ratio
    end_text = action_end.isoformat()
    if figures.counted >= figures.target:
        exchanges = KpiStatus(
            "exchanges",
            ON_TRACK,
            f"{figures.counted:,} counted: the target of {figures.target:,} is met.",
        )
    elif projection >= figures.target:
        exchanges = KpiStatus(
            "exchanges",
            ON_TRACK,
            f"Projected {math.floor(projection):,} of {figures.target:,} by {end_text} at {pace:,.1f} a quarter.",
        )
    else:
        if required is None:
            need = ""
        elif quarters_left < 1:  # the action ends within a quarter: a count says more
            need = f"; {remaining:,} more are needed by {end_text}"
        else:
            need = f"; {required:,.1f} a quarter are needed"
        status = AT_RISK if projection >= ratio * figures.target - TOLERANCE else OFF_TRACK
        exchanges = KpiStatus(
            "exchanges",
            status,
            f"Projected {math.floor(projection):,} of {figures.target:,} by {end_text} at {pace:,.1f} a quarter{need}.",
        )
    margin = programme.at_risk_share_margin
    statuses = [
        exchanges,
        share_status(figures.sme_share, figures.sme_target, margin, "an SME"),
        share_status(
            figures.beyond_share, figures.beyond_target, margin, "participants beyond the community"
        ),
    ]
    at_total = max(figures.target, figures.counted)
    gaps = [
        share_gap(figures.involving_sme, figures.sme_target, at_total, "an SME"),
        share_gap(
            figures.beyond_community,
            figures.beyond_target,
            at_total,
            "participants beyond the community",
        ),
    ]
    if remaining:
        gaps.insert(
            0, f"{remaining:,} more counted exchanges are needed to reach {figures.target:,}."
        )
    return Forecast(
        scope=figures.scope,
        as_of=as_of,
        action_end=action_end,
        counted=figures.counted,
        target=figures.target,
        pace=pace,
        quarters_left=quarters_left,
        confirmed_ahead=confirmed,
        projection=projection,
        required_pace=required,
        expected_now=expected_now,
        statuses=statuses,
        gaps=gaps,
        headline=figures,
    )


def partnership_forecasts(
    session: Session, *, as_of: date | None = None, filters: Filters = Filters()
) -> dict[int, Forecast]:
    """Each partnership's forecast, as `forecast` gives it one by one, in a few grouped queries.

    The dashboard's partnership table needs all of them at once.
    """
    from xchange.kpi.sums import (
        DAILY,
        Definitions,
        X,
        filter_conditions,
        grouped,
        summary_conditions,
        uses_summary,
    )

    as_of = as_of or date.today()
    programme = read_programme(session)
    definitions = Definitions.of(programme)
    table = breakdowns.by_partnership(session, as_of=as_of, filters=filters).table
    recent = grouped(
        session,
        ["partnership_id"],
        as_of=as_of,
        definitions=definitions,
        filters=replace(filters, quarters=pace_quarters(as_of)),
    )
    pace_of = recent.set_index("partnership_id")["counted"] if len(recent) else pd.Series(dtype=int)
    # Confirmed stays ahead, by partnership and end date (each is then cut at its action end).
    weight: Any
    if uses_summary(filters):
        table_, weight, conditions = (
            DAILY,
            sa.func.sum(DAILY.c.n),
            summary_conditions(DAILY, replace(filters, quarters=())),
        )
    else:
        table_, weight, conditions = (
            X,
            sa.func.count(),
            filter_conditions(replace(filters, quarters=())),
        )
    ahead_rows = session.execute(
        sa.select(table_.c.partnership_id, table_.c.end_date, weight)
        .where(table_.c.status == "confirmed", table_.c.end_date > as_of, *conditions)
        .group_by(table_.c.partnership_id, table_.c.end_date)
    ).all()
    milestones = milestones_by_partnership(session)
    partnerships = {p.id: p for p in session.exec(select(Partnership)).all()}
    result: dict[int, Forecast] = {}
    for row in table.to_dict(orient="records"):
        p = partnerships[int(row["partnership_id"])]
        assert p.id is not None
        figures = Headline(
            as_of=as_of,
            scope=p.acronym,
            counted=int(row["counted"]),
            target=p.target_exchanges,
            involving_sme=int(row["involving_sme"]),
            sme_target=p.sme_share_target
            if p.sme_share_target is not None
            else programme.sme_share_target,
            beyond_community=int(row["beyond_community"]),
            beyond_target=p.beyond_share_target
            if p.beyond_share_target is not None
            else programme.beyond_share_target,
            pipeline=int(row["pipeline"]),
            cancelled=int(row["cancelled"]),
            virtual=int(row["virtual"]),
            definitions=definitions,
        )
        pace = float(pace_of.get(p.id, 0)) / 2
        quarters_left = max((p.action_end - as_of).days, 0) / DAYS_PER_QUARTER
        confirmed = sum(
            int(n) for pid, end, n in ahead_rows if pid == p.id and _as_date(end) <= p.action_end
        )
        path = TargetPath(
            p.acronym, partnership_path(p, milestones.get(p.id, [])), p.target_exchanges
        )
        result[p.id] = _assess(
            programme,
            figures,
            as_of=as_of,
            action_end=p.action_end,
            pace=pace,
            quarters_left=quarters_left,
            confirmed=confirmed,
            projection=figures.counted + max(pace * quarters_left, float(confirmed)),
            expected_now=expected_on(path, as_of),
        )
    return result


def _as_date(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))
