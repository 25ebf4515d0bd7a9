"""`xchange user`: add user accounts."""

from __future__ import annotations

import sys

import click

from xchange.cli.context import Context, friendly_errors, pass_context, requires
from xchange.cli.rules import READER
from xchange.models import Role


@click.group()
def user() -> None:
    """Add user accounts.

    \b
    Example:
        xchange user add officer@ec.europa.eu --role officer
    """


@user.command("add")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option(
    "--partnership",
    "partnerships",
    multiple=True,
    metavar="ACRONYM",
    help="A partnership the coordinator writes for (repeat for several)",
)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input")
@pass_context
@friendly_errors
@requires(READER, "add_user")
def user_add(
    ctx: Context, email: str, role: str, partnerships: tuple[str, ...], password_stdin: bool
) -> None:
    """Add a user (admins only); the password is asked for, or read with --password-stdin.

    \b
    Example:
        echo "$PASSWORD" | xchange user add anna@cluster.eu --role coordinator \\
            --partnership GTEX --password-stdin
    """
    from xchange.accounts import auth

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    created = ctx.write(
        lambda session, actor: auth.add_user(
            session=session,
            actor=actor,
            email=email,
            role=role,
            password=password,
            partnerships=list(partnerships),
        )
    )
    scope = f" for {', '.join(partnerships)}" if partnerships else ""
    click.echo(f"Added {created.role} {created.email}{scope}")
