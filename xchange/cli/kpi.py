"""`xchange kpi`: headline KPIs, breakdowns and the forecast."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import click
from sqlmodel import Session

from xchange.cli.context import Context, friendly_errors, pass_context, requires
from xchange.cli.options import DAY
from xchange.cli.rules import READER
from xchange.db import engine as db

BY_CHOICES = ["partnership", "quarter", "period", "country", "flow", "ecosystem", "org-type"]


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table")
@click.option("--partnership", "acronym", metavar="ACRONYM", help="One partnership's figures")
@click.option("--as-of", type=DAY, help="Figures as of this date [default: today]")
@click.option(
    "--as-recorded",
    is_flag=True,
    help="The register as recorded at the end of the as-of day (Brussels), rebuilt from the "
    "audit trail, instead of as known now",
)
@click.option(
    "--by", "by", type=click.Choice(BY_CHOICES), help="A breakdown instead of the headline"
)
@click.option(
    "--forecast",
    is_flag=True,
    help="Add pace, projection at action end, required pace and status with reasons",
)
@pass_context
@friendly_errors
@requires(READER, "read_kpis")
def kpi(
    ctx: Context,
    as_json: bool,
    acronym: str | None,
    as_of: date | None,
    as_recorded: bool,
    by: str | None,
    forecast: bool,
) -> None:
    """Headline KPIs: exchanges counted against the target, SME and beyond-community shares.

    \b
    Examples:
        xchange kpi --partnership GTEX --as-of 2026-09-30 --json
        xchange kpi --by quarter
        xchange kpi --forecast
        xchange kpi --as-of 2025-12-31 --as-recorded
    """
    # Only what the options ask for: the headline alone needs neither pandas nor the breakdowns.
    from xchange import presentation
    from xchange.kpi import sums as kpis

    with db.read_session(ctx.engine) as session:
        partnership = _partnership(session, acronym) if acronym else None
        result = kpis.headline(session, as_of=as_of, partnership=partnership, recorded=as_recorded)
        outlook = _forecast(session, as_of, partnership) if forecast else None
        table = _breakdown(session, by, result.as_of, partnership, as_recorded) if by else None
    if as_json:
        data: dict[str, Any] = result.as_dict()
        if table is not None:
            data["by"] = by
            data["rows"] = table.records()
        if outlook is not None:
            data["forecast"] = _forecast_dict(outlook)
        click.echo(json.dumps(data, indent=2, default=str))
        return
    click.echo(f"{result.scope} as of {result.as_of.isoformat()}, {result.describe_reading()}")
    if table is not None:
        click.echo(presentation.text_table(presentation.readable(table.table, str(by))))
    else:
        _headline_table(result)
    if outlook is not None:
        click.echo("")
        _forecast_text(outlook)
    click.echo(result.definitions.describe())


def _partnership(session: Session, acronym: str) -> Any:
    from xchange.programme.partnerships import get_partnership

    return get_partnership(session, acronym)


def _forecast(session: Session, as_of: date | None, partnership: Any) -> Any:
    from xchange.kpi import targets

    return targets.forecast(session, as_of=as_of, partnership=partnership)


def _breakdown(session: Session, by: str, as_of: date, partnership: Any, as_recorded: bool) -> Any:
    import pandas as pd

    from xchange.db.history import end_of_day
    from xchange.kpi import breakdowns
    from xchange.kpi.sums import Filters

    filters = Filters(
        partnership_ids=(partnership.id,) if partnership else (),
        recorded_at=end_of_day(as_of) if as_recorded else None,
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


def _headline_table(result: Any) -> None:
    from xchange import presentation

    rows = [
        ("Exchanges counted", _n(result.counted), _n(result.target), _pct(result.progress)),
        (
            "Involving an SME",
            _n(result.involving_sme),
            _pct(result.sme_target),
            _pct(result.sme_share),
        ),
        (
            "Beyond the community",
            _n(result.beyond_community),
            _pct(result.beyond_target),
            _pct(result.beyond_share),
        ),
        ("Pipeline (planned, confirmed)", _n(result.pipeline), "", ""),
        ("Virtual (not counted)", _n(result.virtual), "", ""),
        ("Cancelled", _n(result.cancelled), "", ""),
    ]
    click.echo(presentation.text_rows(["figure", "value", "target", "progress"], rows))


def _forecast_dict(outlook: Any) -> dict[str, Any]:
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


def _forecast_text(outlook: Any) -> None:
    click.echo(
        f"Forecast to {outlook.action_end.isoformat()}: pace {outlook.pace:,.1f} a quarter, "
        f"{outlook.quarters_left:,.1f} quarters left, projection {outlook.projection:,.0f} "
        f"of {outlook.target:,} (the target path expects {outlook.expected_now:,.0f} by now)"
    )
    for status in outlook.statuses:
        click.echo(f"  {status.kpi:<13} {status.status:<10} {status.reason}")
    for gap in outlook.gaps:
        click.echo(f"  {gap}")


def _n(value: int) -> str:
    return f"{value:,}"


def _pct(value: float | None) -> str:
    return "no data" if value is None else f"{value * 100:.1f} %"
