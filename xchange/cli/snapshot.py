"""`xchange snapshot`: store a closed quarter's figures, or compare them with today's."""

from __future__ import annotations

from typing import Any

import click

from xchange.cli.context import Context, friendly_errors, pass_context, requires
from xchange.cli.options import QUARTER
from xchange.cli.rules import READER
from xchange.db import engine as db


@click.command()
@click.option("--quarter", required=True, type=QUARTER, help="The closed quarter, 2026Q3")
@click.option(
    "--compare",
    is_flag=True,
    help="Show each stored quarter as reported at close beside the same figures now",
)
@click.option("--partnership", "acronym", metavar="ACRONYM", help="Compare one partnership")
@pass_context
@friendly_errors
@requires(READER, "take_snapshot")
def snapshot(ctx: Context, quarter: str, compare: bool, acronym: str | None) -> None:
    """Store a closed quarter's figures as reported, or compare stored quarters with now.

    Taking a quarter again stores its next revision; the first ("at close") is never
    overwritten, and an approved report's revision is shown beside it.

    \b
    Examples:
        xchange snapshot --quarter 2026Q3
        xchange snapshot --quarter 2026Q4 --compare
    """
    from xchange.kpi import snapshots
    from xchange.reference import quarter_label

    if compare:
        with db.read_session(ctx.engine) as session:
            rows = snapshots.compare(session, scope=acronym or "programme")
        if not rows:
            click.echo("No stored quarter yet: take one with `xchange snapshot --quarter ...`.")
        for row in rows:
            moved = row.changed()
            status = (
                "unchanged since the close"
                if not moved
                else "changed since the close: "
                + ", ".join(f"{k} {_fmt(a)} -> {_fmt(b)}" for k, (a, b) in moved.items())
            )
            approved = "" if row.approved is None else f", {row.approved['counted']:,} approved"
            kept = f" ({row.revisions} revisions kept)" if row.revisions > 1 else ""
            click.echo(
                f"{quarter_label(row.quarter)} {row.scope}: counted "
                f"{row.reported['counted']:,} at close{approved}, {row.now['counted']:,} now; "
                f"{status}{kept}"
            )
        return
    stored = ctx.write(
        lambda session, actor: snapshots.take_snapshot(
            session=session, actor=actor, quarter=quarter
        )
    )
    programme = stored[0].figures
    click.echo(
        f"Stored {quarter_label(quarter)} for the programme and {len(stored) - 1} "
        f"partnerships: {programme['counted']:,} counted as of {programme['as_of']}"
    )


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value * 100:.1f} %"
    return "no data" if value is None else f"{value:,}"
