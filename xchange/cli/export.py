"""`xchange export`: export exchanges."""

from __future__ import annotations

from datetime import date

import click

from xchange.cli.context import Context, friendly_errors, pass_context, requires
from xchange.cli.options import DAY
from xchange.cli.output import file_format, replace_file
from xchange.cli.rules import READER
from xchange.db import engine as db


@click.command()
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), help="[default: from -o]")
@click.option("-o", "--output", required=True, metavar="FILE", help="Where to write it")
@click.option(
    "--dialect",
    type=click.Choice(["excel", "excel-eu"]),
    default="excel",
    show_default=True,
    help="CSV spelling: excel-eu is semicolons and decimal commas (German, French, Italian Excel)",
)
@click.option("--partnership", "acronym", metavar="ACRONYM", help="One partnership's exchanges")
@click.option("--from", "date_from", type=DAY, help="End date on or after, 2026-01-01")
@click.option("--to", "date_to", type=DAY, help="End date on or before, 2026-12-31")
@pass_context
@friendly_errors
@requires(READER, "export")
def export(
    ctx: Context,
    fmt: str | None,
    output: str,
    dialect: str,
    acronym: str | None,
    date_from: date | None,
    date_to: date | None,
) -> None:
    """Export exchanges as CSV or XLSX in the import columns, plus each record's version.

    Dates filter on the end date. An existing file is replaced. Officers get a pseudonym for
    each representative, never the name. CSV is UTF-8 with a byte-order mark; --dialect
    excel-eu writes it with semicolons and decimal commas, as Excel reads CSV in most
    European locales (it applies to CSV only).

    \b
    Examples:
        xchange export --format xlsx -o gtex-2026.xlsx --partnership GTEX \\
            --from 2026-01-01 --to 2026-12-31
        xchange export -o exchanges.csv --dialect excel-eu
    """
    from xchange.exports import exchanges as exporting

    if date_from and date_to and date_to < date_from:
        raise click.BadParameter(f"--to {date_to} is before --from {date_from}")
    kind = file_format(fmt, output)
    if kind != "csv" and dialect != "excel":
        raise click.BadParameter(f"--dialect {dialect} applies to CSV only, not {kind.upper()}")
    with db.read_session(ctx.engine) as session:
        frame = exporting.export_frame(
            session=session,
            actor=ctx.actor(session),
            partnership=acronym,
            date_from=date_from,
            date_to=date_to,
        )
    data = exporting.frame_csv(frame, dialect) if kind == "csv" else exporting.frame_xlsx(frame)
    replace_file(output, data)
    click.echo(f"Exported {len(frame):,} exchanges to {output}")
