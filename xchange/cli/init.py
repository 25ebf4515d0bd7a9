"""`xchange init`: create or upgrade the database."""

from __future__ import annotations

import click

from xchange.cli.context import Context, friendly_errors, pass_context, requires
from xchange.cli.rules import OPEN
from xchange.db import engine as db


@click.command()
@pass_context
@friendly_errors
@requires(OPEN, "init")
def init(ctx: Context) -> None:
    """Create the database, or upgrade its schema to the newest version.

    \b
    Example:
        xchange --db postgresql://tracker@db.example.eu/xchange init
    """
    ctx.retrying(db.upgrade)
    click.echo(
        f"Database ready at schema version {db.current_revision(ctx.engine)}: "
        f"{ctx.engine.url.render_as_string(hide_password=True)}"
    )
