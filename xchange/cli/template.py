"""`xchange template`: write a blank import template."""

from __future__ import annotations

import click
from sqlalchemy.exc import OperationalError, ProgrammingError

from xchange.cli.context import Context, friendly_errors, pass_context, requires
from xchange.cli.output import file_format, replace_file
from xchange.cli.rules import OPEN, READER
from xchange.db import engine as db
from xchange.errors import PermissionDenied, XchangeError


@click.command()
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), help="[default: from -o]")
@click.option("-o", "--output", required=True, metavar="FILE", help="Where to write it")
@click.option(
    "--dialect",
    type=click.Choice(["excel", "excel-eu"]),
    default="excel",
    show_default=True,
    help="CSV spelling: excel-eu is semicolon-separated (German, French, Italian Excel)",
)
@pass_context
@friendly_errors
@requires(OPEN, "write_a_template")
def template(ctx: Context, fmt: str | None, output: str, dialect: str) -> None:
    """Write a blank import template; XLSX adds a data dictionary and drop-down lists.

    \b
    Examples:
        xchange template --format xlsx -o exchanges-template.xlsx
        xchange template -o exchanges-template.csv --dialect excel-eu
    """
    from xchange.exports import exchanges as export

    kind = file_format(fmt, output)
    if kind != "csv" and dialect != "excel":
        raise click.BadParameter(f"--dialect {dialect} applies to CSV only, not {kind.upper()}")
    if kind == "csv":
        data = export.template_csv(dialect)
    else:
        try:
            ctx.authorise(READER, "list_partnerships")  # the list is the register's
            with db.read_session(ctx.engine) as session:
                from xchange.programme.partnerships import list_partnerships

                acronyms = [p.acronym for p in list_partnerships(session)]
        except PermissionDenied:
            raise
        except (OperationalError, ProgrammingError, XchangeError):
            acronyms = []  # no database yet: a template without the partnership list
        data = export.template_xlsx(acronyms)
    replace_file(output, data)
    click.echo(f"Wrote the {kind.upper()} template to {output}")
