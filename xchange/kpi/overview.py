"""Everything the dashboard shows, in one call: headline, forecast, quarters against the target
path, partnerships with their status, and flows; plus the choices its filters offer."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session

from xchange import dates, reference
from xchange.kpi import breakdowns, targets
from xchange.kpi.sums import Definitions, Filters, Headline
from xchange.models import Partnership


@dataclass
class FilterChoices:
    """What the dashboard's filters offer: partnerships, quarters, ecosystems, countries."""

    partnerships: dict[int, str]  # id -> acronym
    quarters: list[str]
    ecosystems: dict[str, str]  # code -> name
    countries: dict[str, str]  # code -> name


def filter_choices(session: Session, *, today: date | None = None) -> FilterChoices:
    """Choices for the filters, from the partnerships' actions and the countries in use."""
    today = today or date.today()
    partnerships = session.execute(
        sa.select(Partnership.id, Partnership.acronym, Partnership.action_start)  # type: ignore[call-overload]
    ).all()
    first = min((start for _, _, start in partnerships), default=today)
    countries = {
        code
        for (code,) in session.execute(
            sa.text(
                "SELECT DISTINCT visitor_country FROM kpi_flow WHERE n != 0 "
                "UNION SELECT DISTINCT host_country FROM kpi_flow WHERE n != 0"
            )
        ).all()
    }
    return FilterChoices(
        partnerships={
            int(pid): str(acronym)
            for pid, acronym, _ in sorted(partnerships, key=lambda row: str(row[1]).casefold())
        },
        quarters=dates.quarter_range(first, today),
        ecosystems=dict(reference.ECOSYSTEMS),
        countries={
            code: reference.country_name(code)
            for code in sorted(countries, key=reference.country_name)
        },
    )


@dataclass
class Overview:
    """The dashboard's figures for one as-of date and set of filters."""

    as_of: date
    filters: Filters
    definitions: Definitions
    headline: Headline
    forecast: targets.Forecast
    quarters: pd.DataFrame  # breakdowns.by_quarter
    path: targets.TargetPath
    partnerships: pd.DataFrame  # by_partnership + status, reason, expected_now, last_activity
    flows: pd.DataFrame  # breakdowns.flows

    @property
    def empty(self) -> bool:
        """True when there is no exchange at all in scope (not even planned or cancelled)."""
        h = self.headline
        return h.counted + h.pipeline + h.cancelled + h.virtual == 0

    @property
    def narrowed(self) -> bool:
        """True when filters other than the partnerships narrow the figures (targets then
        still belong to the whole scope)."""
        f = self.filters
        return bool(f.ecosystems or f.countries or f.quarters or f.org_types or f.modality)


def overview(
    session: Session, *, as_of: date | None = None, filters: Filters = Filters()
) -> Overview:
    """All the dashboard's figures; each piece is a grouped query over the KPI summaries."""
    as_of = as_of or date.today()
    scope_ids = filters.partnership_ids
    scope_only = Filters(partnership_ids=scope_ids)
    outlook = _forecast(session, as_of, scope_ids)
    figures = (
        outlook.headline if filters == scope_only else breakdowns_headline(session, as_of, filters)
    )
    partnerships = breakdowns.by_partnership(session, as_of=as_of, filters=filters).table
    statuses = []
    outlooks = targets.partnership_forecasts(session, as_of=as_of, filters=filters)
    for pid in partnerships["partnership_id"]:
        one = outlooks[int(pid)]
        worst = _worst(one.statuses)
        behind = " ".join(s.reason for s in one.statuses if s.status != targets.ON_TRACK)
        statuses.append((worst.status, behind or worst.reason, one.expected_now, one.projection))
    columns = ["status", "reason", "expected_now", "projection"]
    partnerships[columns] = (
        pd.DataFrame(statuses, columns=columns, index=partnerships.index)
        if statuses
        else pd.DataFrame(columns=columns)
    )
    activity = breakdowns.last_activity(session, [int(p) for p in partnerships["partnership_id"]])
    partnerships["last_activity"] = partnerships["partnership_id"].map(activity)
    path = (
        targets.target_path(session, partnership_ids=scope_ids)
        if scope_ids
        else targets.target_path(session)
    )
    return Overview(
        as_of=as_of,
        filters=filters,
        definitions=figures.definitions,
        headline=figures,
        forecast=outlook,
        quarters=breakdowns.by_quarter(session, as_of=as_of, filters=filters).table,
        path=path,
        partnerships=partnerships,
        flows=breakdowns.flows(session, as_of=as_of, filters=filters).table,
    )


def breakdowns_headline(session: Session, as_of: date, filters: Filters) -> Headline:
    from xchange.kpi.sums import headline

    return headline(session, as_of=as_of, filters=filters)


def _forecast(session: Session, as_of: date, ids: tuple[int, ...]) -> targets.Forecast:
    return targets.forecast(session, as_of=as_of, filters=Filters(partnership_ids=ids))


STATUS_ORDER = {targets.OFF_TRACK: 0, targets.AT_RISK: 1, targets.NO_DATA: 2, targets.ON_TRACK: 3}


def _worst(statuses: list[targets.KpiStatus]) -> targets.KpiStatus:
    return min(statuses, key=lambda s: STATUS_ORDER.get(s.status, 9))


__all__ = ["FilterChoices", "Overview", "filter_choices", "overview", "replace"]
