"""`xchange kpi`: headline KPIs, breakdowns and the forecast."""

from __future__ import annotations

from datetime import date
from typing import Any

import click

from xchange.cli.context import Context, friendly_errors, pass_context, requires
from xchange.cli.options import DAY
from xchange.cli.rules import READER
from xchange.db import engine as db

# As `xchange.kpi.figures.BY_CHOICES` (not imported: `xchange kpi --help` stays light).
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
    from xchange import presentation
    from xchange.kpi import figures as asked

    with db.read_session(ctx.engine) as session:
        found = asked.figures(
            session, acronym=acronym, as_of=as_of, by=by, forecast=forecast, recorded=as_recorded
        )
    if as_json:
        click.echo(asked.as_json(found.as_dict(), indent=2))
        return
    result = found.result
    click.echo(f"{result.scope} as of {result.as_of.isoformat()}, {result.describe_reading()}")
    if found.table is not None:
        click.echo(presentation.text_table(presentation.readable(found.table.table, str(by))))
    else:
        _headline_table(result)
    if found.outlook is not None:
        click.echo("")
        _forecast_text(found.outlook)
    click.echo(result.definitions.describe())


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
