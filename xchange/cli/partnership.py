"""`xchange partnership`: add and list partnerships."""

from __future__ import annotations

import json
from datetime import date

import click

from xchange.cli.context import Context, friendly_errors, pass_context, requires
from xchange.cli.options import DAY
from xchange.cli.output import table
from xchange.cli.rules import READER
from xchange.db import engine as db


@click.group()
def partnership() -> None:
    """Add and list partnerships.

    \b
    Example:
        xchange partnership list
    """


@partnership.command("add")
@click.argument("acronym")
@click.option("--name", required=True, help="Full name of the partnership")
@click.option("--start", required=True, type=DAY, help="Action start, 2026-01-01")
@click.option("--end", required=True, type=DAY, help="Action end, 2027-12-31")
@click.option(
    "--target",
    default=100,
    show_default=True,
    type=click.IntRange(min=1),
    help="Exchanges the partnership commits to",
)
@pass_context
@friendly_errors
@requires(READER, "add_partnership")
def partnership_add(
    ctx: Context, acronym: str, name: str, start: date, end: date, target: int
) -> None:
    """Add a partnership (admins only); interim and final reporting periods are set by default.

    \b
    Example:
        xchange partnership add GTEX --name "Green Textiles Partnership" \\
            --start 2026-01-01 --end 2027-12-31 --target 100
    """
    from xchange.programme.partnerships import add_partnership

    created = ctx.write(
        lambda session, actor: add_partnership(
            session=session,
            actor=actor,
            acronym=acronym,
            name=name,
            action_start=start,
            action_end=end,
            target_exchanges=target,
        )
    )
    click.echo(
        f"Added partnership {created.acronym}: {created.name}, "
        f"{created.action_start} to {created.action_end}, "
        f"target {created.target_exchanges:,} exchanges"
    )


@partnership.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table")
@pass_context
@friendly_errors
@requires(READER, "list_partnerships")
def partnership_list(ctx: Context, as_json: bool) -> None:
    """List the partnerships.

    \b
    Example:
        xchange partnership list --json
    """
    from xchange.programme.partnerships import list_partnerships

    with db.read_session(ctx.engine) as session:
        rows = [
            {
                "acronym": p.acronym,
                "name": p.name,
                "action_start": p.action_start.isoformat(),
                "action_end": p.action_end.isoformat(),
                "target": p.target_exchanges,
            }
            for p in list_partnerships(session)
        ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
    elif not rows:
        click.echo("No partnerships yet: add one with `xchange partnership add`.")
    else:
        table(rows, ["acronym", "name", "action_start", "action_end", "target"])
