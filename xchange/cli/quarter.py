"""`xchange quarter`: submit, approve, return, reopen and list partnerships' quarter reports."""

from __future__ import annotations

import json

import click

from xchange.cli.context import Context, friendly_errors, pass_context, requires
from xchange.cli.options import QUARTER
from xchange.cli.output import table
from xchange.cli.rules import ADMIN, READER
from xchange.db import engine as db

_PARTNERSHIP = click.option(
    "--partnership", "acronym", required=True, metavar="ACRONYM", help="The partnership"
)
_QUARTER = click.option("--quarter", required=True, type=QUARTER, help="The quarter, 2025Q4")
_REASON = click.option("--reason", required=True, help="Why, in one sentence")


@click.group()
def quarter() -> None:
    """Submit, approve, return, reopen and list quarter reports; an approved quarter is locked.

    \b
    Example:
        xchange --user anna@cluster.eu quarter submit --partnership GTEX --quarter 2025Q4
    """


@quarter.command("submit")
@_PARTNERSHIP
@_QUARTER
@click.option("--comment", help="A short note for the officer")
@pass_context
@friendly_errors
@requires(READER, "submit_quarter")
def quarter_submit(ctx: Context, acronym: str, quarter: str, comment: str | None) -> None:
    """Submit a closed quarter (its coordinators, administrators): its figures are stored.

    \b
    Example:
        xchange quarter submit --partnership GTEX --quarter 2025Q4 --comment "All validated"
    """
    from xchange.kpi.reports import submit_quarter

    ctx.write(
        lambda session, actor: submit_quarter(
            session=session, actor=actor, partnership=acronym, quarter=quarter, comment=comment
        )
    )
    click.echo(f"Submitted {_label(quarter)} of {acronym.upper()}: waiting for an officer")


@quarter.command("approve")
@_PARTNERSHIP
@_QUARTER
@pass_context
@friendly_errors
@requires(READER, "approve_quarter")
def quarter_approve(ctx: Context, acronym: str, quarter: str) -> None:
    """Approve a submitted quarter (officers, administrators): it is then locked.

    \b
    Example:
        xchange --user officer@ec.europa.eu quarter approve --partnership GTEX --quarter 2025Q4
    """
    from xchange.kpi.reports import approve_quarter

    ctx.write(
        lambda session, actor: approve_quarter(
            session=session, actor=actor, partnership=acronym, quarter=quarter
        )
    )
    click.echo(f"Approved {_label(quarter)} of {acronym.upper()}: the quarter is locked")


@quarter.command("return")
@_PARTNERSHIP
@_QUARTER
@_REASON
@pass_context
@friendly_errors
@requires(READER, "return_quarter")
def quarter_return(ctx: Context, acronym: str, quarter: str, reason: str) -> None:
    """Return a submitted quarter with a reason (officers, administrators).

    \b
    Example:
        xchange quarter return --partnership GTEX --quarter 2025Q4 --reason "G-12 lacks its report"
    """
    from xchange.kpi.reports import return_quarter

    ctx.write(
        lambda session, actor: return_quarter(
            session=session, actor=actor, partnership=acronym, quarter=quarter, reason=reason
        )
    )
    click.echo(f"Returned {_label(quarter)} of {acronym.upper()} to its coordinators")


@quarter.command("reopen")
@_PARTNERSHIP
@_QUARTER
@_REASON
@pass_context
@friendly_errors
@requires(ADMIN, "reopen_quarter")
def quarter_reopen(ctx: Context, acronym: str, quarter: str, reason: str) -> None:
    """Reopen an approved quarter with a reason (administrators): it is unlocked.

    \b
    Example:
        xchange quarter reopen --partnership GTEX --quarter 2025Q4 --reason "Late final report"
    """
    from xchange.kpi.reports import reopen_quarter

    ctx.write(
        lambda session, actor: reopen_quarter(
            session=session, actor=actor, partnership=acronym, quarter=quarter, reason=reason
        )
    )
    click.echo(f"Reopened {_label(quarter)} of {acronym.upper()}: it is open until approved again")


@quarter.command("list")
@click.option("--waiting", is_flag=True, help="Only submitted quarters, oldest first")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table")
@pass_context
@friendly_errors
@requires(READER, "list_quarters")
def quarter_list(ctx: Context, waiting: bool, as_json: bool) -> None:
    """List the closed quarters of the partnerships you may read, with their state.

    \b
    Example:
        xchange --user officer@ec.europa.eu quarter list --waiting
    """
    from xchange.kpi.reports import quarter_list as states
    from xchange.kpi.reports import review_list

    with db.read_session(ctx.engine) as session:
        actor = ctx.actor(session)
        found = review_list(session, actor=actor) if waiting else states(session, actor=actor)
        rows = [
            {
                "partnership": row.acronym,
                "quarter": _label(row.quarter),
                "state": row.state,
                "said": row.said(),
                "comment": row.comment or "",
            }
            for row in found
        ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
    elif not rows:
        click.echo("No quarter waits for an officer." if waiting else "No closed quarter yet.")
    else:
        table(rows, ["partnership", "quarter", "state", "said"])


def _label(quarter: str) -> str:
    from xchange.reference import quarter_label

    return quarter_label(quarter)
