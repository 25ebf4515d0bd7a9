"""`xchange report`: write the quarterly KPI pack."""

from __future__ import annotations

import click

from xchange.cli.context import Context, friendly_errors, pass_context, requires
from xchange.cli.options import QUARTER
from xchange.cli.rules import READER
from xchange.db import engine as db


@click.command()
@click.option("--quarter", required=True, type=QUARTER, help="The quarter to report, 2026Q3")
@click.option("--partnership", "acronym", metavar="ACRONYM", help="One partnership's pack")
@click.option(
    "-o", "--output", "directory", required=True, metavar="DIR", help="Where to write the pack"
)
@pass_context
@friendly_errors
@requires(READER, "build_a_report_pack")
def report(ctx: Context, quarter: str, acronym: str | None, directory: str) -> None:
    """Write the quarterly KPI pack: charts (PNG, SVG, PDF), data.xlsx and report.pdf.

    Figures as of the quarter's last day (today while it runs), for the programme or one
    partnership. Files already in DIR are replaced. Without Chromium the charts are left out,
    a warning says so and the data files are still written.

    \b
    Example:
        xchange report --quarter 2026Q3 -o packs/2026Q3
    """
    from pathlib import Path

    from xchange.pack import build as pack

    with db.read_session(ctx.engine) as session:
        result = pack.build_pack(
            session=session,
            actor=ctx.actor(session),
            quarter=quarter,
            partnership=acronym,
            directory=Path(directory),
        )
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"Wrote {len(result.files)} files to {directory}:")
    for path in result.files:
        click.echo(f"  {path.relative_to(result.directory).as_posix()}")
