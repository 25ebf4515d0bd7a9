"""`xchange restore`: restore a backup."""

from __future__ import annotations

import click

from xchange.cli.context import Context, friendly_errors, pass_context, requires
from xchange.cli.rules import ADMIN


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@pass_context
@friendly_errors
@requires(ADMIN, "restore_a_backup")
def restore(ctx: Context, file: str) -> None:
    """Load a backup into an empty database (`xchange init` it first): all or nothing; admins only.

    \b
    Example:
        xchange --db postgresql://xchange@db/xchange init
        xchange --db postgresql://xchange@db/xchange restore xchange-2026-03-31.zip
    """
    from xchange.db import backup as backups

    manifest = ctx.retrying(lambda engine: backups.restore_file(engine, file))
    rows = manifest.rows()
    click.echo(
        f"Restored {sum(rows.values()):,} rows in {len(rows)} tables, "
        f"{rows.get('exchange', 0):,} exchanges, from {file}; KPI summaries rebuilt"
    )
