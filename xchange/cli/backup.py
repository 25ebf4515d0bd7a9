"""`xchange backup`: back up the register."""

from __future__ import annotations

import click

from xchange.cli.context import Context, friendly_errors, pass_context, requires
from xchange.cli.rules import ADMIN


@click.command()
@click.option("-o", "--output", required=True, metavar="FILE", help="Where to write the archive")
@pass_context
@friendly_errors
@requires(ADMIN, "back_up_the_register")
def backup(ctx: Context, output: str) -> None:
    """Write a portable archive of every table (zip of JSON lines and a manifest; admins only).

    The archive restores into an empty database of either kind (SQLite or PostgreSQL).

    \b
    Example:
        xchange backup -o xchange-2026-03-31.zip
    """
    from xchange.db import backup as backups

    manifest = backups.backup_to_file(ctx.engine, output)
    rows = manifest.rows()
    click.echo(
        f"Wrote {output}: {sum(rows.values()):,} rows in {len(rows)} tables, "
        f"{rows.get('exchange', 0):,} exchanges (schema {manifest.schema_revision})"
    )
