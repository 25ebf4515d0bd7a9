"""The KPI figures one request asks for: the headline, a breakdown and the forecast, as
`xchange kpi` and the API's `/api/v1/kpi` both answer it, from the same call.

    found = figures(session, acronym="GTEX", as_of=date(2026, 9, 30), by="quarter")
    found.as_dict()   # what `xchange kpi --json` prints and the API returns
    as_json(found.as_dict())

Only what is asked for is loaded: the headline alone needs neither pandas nor the breakdowns.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlmodel import Session

    from xchange.kpi.sums import Headline

# The breakdowns, by the names the command line and the API take.
BY_CHOICES = ("partnership", "quarter", "period", "country", "flow", "ecosystem", "org-type")


@dataclass
class Figures:
    """The headline, and the breakdown (`table`, a `Breakdown`) and `outlook` (a `Forecast`)
    when asked for."""

    result: Headline
    by: str | None = None
    table: Any = None
    outlook: Any = None

    def as_dict(self) -> dict[str, Any]:
        """The headline's fields; `by` and `rows` with a breakdown; `forecast` with one."""
        data: dict[str, Any] = self.result.as_dict()
        if self.table is not None:
            data["by"] = self.by
            data["rows"] = self.table.records()
        if self.outlook is not None:
            data["forecast"] = forecast_dict(self.outlook)
        return data


def figures(
    session: Session,
    *,
    acronym: str | None = None,
    as_of: date | None = None,
    by: str | None = None,
    forecast: bool = False,
    recorded: bool = False,
) -> Figures:
    """The figures of one partnership (`acronym`) or the programme, as of a date (default
    today), as known now or (`recorded`) as recorded at the end of that day: the headline and
    the breakdown; the forecast is always as known now. An unknown acronym raises NotFound;
    `by` must be one of `BY_CHOICES` (ValueError)."""
    from xchange.kpi import sums

    if by is not None and by not in BY_CHOICES:
        raise ValueError(f"by: one of {', '.join(BY_CHOICES)}, not {by!r}")
    partnership = _partnership(session, acronym) if acronym else None
    result = sums.headline(session, as_of=as_of, partnership=partnership, recorded=recorded)
    return Figures(
        result=result,
        by=by,
        table=_breakdown(session, by, result.as_of, partnership, recorded) if by else None,
        outlook=_forecast(session, as_of, partnership) if forecast else None,
    )


def as_json(data: dict[str, Any], *, indent: int | None = None) -> str:
    """`Figures.as_dict()` as JSON text: dates as ISO text, the same for the CLI and the API."""
    return json.dumps(data, indent=indent, default=str)


def forecast_dict(outlook: Any) -> dict[str, Any]:
    """A `Forecast` as JSON-ready values."""
    return {
        "action_end": outlook.action_end.isoformat(),
        "pace_per_quarter": outlook.pace,
        "quarters_left": round(outlook.quarters_left, 2),
        "confirmed_ahead": outlook.confirmed_ahead,
        "projection": outlook.projection,
        "required_pace_per_quarter": outlook.required_pace,
        "expected_now": outlook.expected_now,
        "statuses": [
            {"kpi": s.kpi, "status": s.status, "reason": s.reason} for s in outlook.statuses
        ],
        "gaps": outlook.gaps,
    }


def _partnership(session: Session, acronym: str) -> Any:
    from xchange.programme.partnerships import get_partnership

    return get_partnership(session, acronym)


def _forecast(session: Session, as_of: date | None, partnership: Any) -> Any:
    from xchange.kpi import targets

    return targets.forecast(session, as_of=as_of, partnership=partnership)


def _breakdown(session: Session, by: str, as_of: date, partnership: Any, recorded: bool) -> Any:
    import pandas as pd

    from xchange.db.history import end_of_day
    from xchange.kpi import breakdowns
    from xchange.kpi.sums import Filters

    filters = Filters(
        partnership_ids=(partnership.id,) if partnership else (),
        recorded_at=end_of_day(as_of) if recorded else None,
    )
    if by == "country":
        visitor = breakdowns.by_country(session, side="visitor", as_of=as_of, filters=filters)
        host = breakdowns.by_country(session, side="host", as_of=as_of, filters=filters)
        visitor.table.insert(0, "side", "visitor")
        host.table.insert(0, "side", "host")
        visitor.table = pd.concat([visitor.table, host.table], ignore_index=True)
        return visitor
    builders = {
        "partnership": breakdowns.by_partnership,
        "quarter": breakdowns.by_quarter,
        "period": breakdowns.by_period,
        "flow": breakdowns.flows,
        "ecosystem": breakdowns.by_ecosystem,
        "org-type": breakdowns.by_org_type,
    }
    return builders[by](session, as_of=as_of, filters=filters)
