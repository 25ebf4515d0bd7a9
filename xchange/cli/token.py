"""`xchange token`: personal API tokens (create, list, revoke)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from xchange.cli.context import Context, friendly_errors, pass_context, requires
from xchange.cli.output import table
from xchange.cli.rules import READER
from xchange.db import engine as db

if TYPE_CHECKING:
    from sqlmodel import Session

    from xchange.models import User


@click.group()
def token() -> None:
    """Personal API tokens: create (shown once), list and revoke.

    \b
    Example:
        xchange token create --owner anna@cluster.eu --name "Power BI"
    """


@token.command("create")
@click.option(
    "--owner",
    metavar="EMAIL",
    help="Whose token (administrators: anyone's) [default: the acting user]",
)
@click.option("--name", required=True, help="What the token is for, e.g. the tool that uses it")
@pass_context
@friendly_errors
@requires(READER, "create_a_token")
def token_create(ctx: Context, owner: str | None, name: str) -> None:
    """Create a token and print it once (on standard output; the database keeps only a hash).

    The token reads what its owner may read, through the API, and nothing else.

    \b
    Examples:
        xchange token create --owner anna@cluster.eu --name "Power BI"
        xchange --user anna@cluster.eu token create --name "Excel" > excel-token.txt
    """
    from xchange.accounts import tokens

    def work(session: Session, actor: User) -> tuple[str, str]:
        row, secret = tokens.create_token(
            session=session, actor=actor, owner_email=owner or actor.email, name=name
        )
        return row.name, secret

    made, secret = ctx.write(work)
    click.echo(f"Created token {made!r}: copy it now, it is not shown again.", err=True)
    click.echo(secret)


@token.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table")
@pass_context
@friendly_errors
@requires(READER, "list_tokens")
def token_list(ctx: Context, as_json: bool) -> None:
    """List tokens (administrators: everyone's; others: their own), never their secrets.

    \b
    Example:
        xchange token list --json
    """
    from xchange.accounts import tokens

    with db.read_session(ctx.engine) as session:
        rows = [
            {
                "owner": email,
                "name": row.name,
                "created_at": row.created_at.isoformat(timespec="seconds"),
                "last_used_on": row.last_used_on.isoformat() if row.last_used_on else None,
                "revoked_at": row.revoked_at.isoformat(timespec="seconds")
                if row.revoked_at
                else None,
            }
            for row, email in tokens.list_tokens(session=session, actor=ctx.actor(session))
        ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
    elif not rows:
        click.echo("No tokens yet: create one with `xchange token create --name NAME`.")
    else:
        shown = [{k: "" if v is None else v for k, v in row.items()} for row in rows]
        table(shown, ["owner", "name", "created_at", "last_used_on", "revoked_at"])


@token.command("revoke")
@click.option(
    "--owner",
    metavar="EMAIL",
    help="Whose token (administrators: anyone's) [default: the acting user]",
)
@click.option("--name", required=True, help="The token's name")
@pass_context
@friendly_errors
@requires(READER, "revoke_a_token")
def token_revoke(ctx: Context, owner: str | None, name: str) -> None:
    """Revoke a token: its next request is refused.

    \b
    Example:
        xchange token revoke --owner anna@cluster.eu --name "Power BI"
    """
    from xchange.accounts import tokens

    def work(session: Session, actor: User) -> tuple[str, str]:
        row = tokens.revoke_token(
            session=session, actor=actor, owner_email=owner or actor.email, name=name
        )
        return row.name, owner or actor.email

    revoked, whose = ctx.write(work)
    click.echo(f"Revoked token {revoked!r} of {whose}.")
