"""`xchange audit`: export the audit trail."""

from __future__ import annotations

from datetime import date

import click

from xchange.cli.context import Context, friendly_errors, pass_context, requires
from xchange.cli.options import DAY
from xchange.cli.output import replace_file
from xchange.cli.rules import ADMIN
from xchange.db import engine as db


@click.command("audit")
@click.option("--from", "date_from", required=True, type=DAY, help="First day, 2026-01-01")
@click.option("--to", "date_to", required=True, type=DAY, help="Last day, 2026-03-31")
@click.option("-o", "--output", metavar="FILE", help="Write CSV here [default: standard output]")
@pass_context
@friendly_errors
@requires(ADMIN, "export_audit")
def audit_export(ctx: Context, date_from: date, date_to: date, output: str | None) -> None:
    """Export the audit trail of a period (UTC days, inclusive) as CSV.

    Columns: at, actor, entity, entity_id, action, changes (JSON). Administrators only.

    \b
    Example:
        xchange audit --from 2026-01-01 --to 2026-03-31 -o audit-2026Q1.csv
    """
    from xchange.exports import audit

    with db.read_session(ctx.engine) as session:
        events = audit.events_between(
            session=session, actor=ctx.actor(session), date_from=date_from, date_to=date_to
        )
    data = audit.audit_csv(events)
    if output:
        replace_file(output, data)
        click.echo(f"Wrote {len(events):,} audit events to {output}")
    else:
        click.echo(data.decode("utf-8-sig"), nl=False)
