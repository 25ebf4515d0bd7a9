"""`xchange user`: list, add and change user accounts (administrators only, as the Users tab of
the Administration page, through the same functions: its rules, versions and audit apply)."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, cast

import click

from xchange.cli.context import Context, friendly_errors, pass_context, requires
from xchange.cli.output import table
from xchange.cli.rules import ADMIN, READER
from xchange.db import engine as db
from xchange.models import Role

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlmodel import Session

    from xchange.models import User

EXPECT_VERSION = click.option(
    "--expect-version",
    type=click.IntRange(min=1),
    metavar="N",
    help="Refuse the change unless the account is still at this version",
)


@click.group()
def user() -> None:
    """List, add and change user accounts: role, partnerships, access, password.

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


@user.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table")
@pass_context
@friendly_errors
@requires(ADMIN, "list_users")
def user_list(ctx: Context, as_json: bool) -> None:
    """List the user accounts (admins only): role, partnerships, whether they may sign in.

    \b
    Example:
        xchange user list --json
    """
    from xchange.accounts import auth

    with db.read_session(ctx.engine) as session:
        rows = [
            {
                "email": u.email,
                "role": u.role,
                "partnerships": own,
                "active": u.active,
                "signs_in_with": "password" if u.password_hash else "single sign-on",
                "failed_sign_ins": u.failed_logins,
                "added_on": u.created_at.date().isoformat(),
                "version": u.version,
            }
            for u, own in auth.list_users(session=session)
            if u.email != db.LOCAL_ADMIN_EMAIL  # the command line's own, as on the page
        ]
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
    elif not rows:
        click.echo(
            "Nobody but the command line's local administrator: add one with `xchange user add`."
        )
    else:
        shown = [
            {
                **r,
                "partnerships": ", ".join(cast(list[str], r["partnerships"])),
                "active": "yes" if r["active"] else "no",
            }
            for r in rows
        ]
        table(shown, ["email", "role", "partnerships", "active", "signs_in_with", "version"])


def _change(
    ctx: Context,
    email: str,
    expect_version: int | None,
    work: Callable[[Session, User, User, int], User],
) -> tuple[User, int]:
    """`work(session, actor, user, version)` on the account `email`, in one transaction; the
    account after it and the version it was read at."""
    from xchange.accounts import auth
    from xchange.errors import NotFound

    def change(session: Session, actor: User) -> tuple[User, int]:
        found = auth.user_by_email(session=session, email=email)
        if found is None:
            raise NotFound(f"There is no user {email.strip().lower()}.")
        read = found.version
        return work(session, actor, found, expect_version or read), read

    return ctx.write(change)


@user.command("edit")
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in Role]), help="The new role")
@click.option(
    "--partnership",
    "partnerships",
    multiple=True,
    metavar="ACRONYM",
    help="The coordinator's partnerships, all of them (repeat for several)",
)
@EXPECT_VERSION
@pass_context
@friendly_errors
@requires(ADMIN, "set_role")
def user_edit(
    ctx: Context,
    email: str,
    role: str | None,
    partnerships: tuple[str, ...],
    expect_version: int | None,
) -> None:
    """Change a user's role and partnerships (admins only): --partnership lists them all; a
    coordinator keeps theirs when only the role is given, other roles have none.

    \b
    Example:
        xchange user edit anna@cluster.eu --role coordinator --partnership GTEX --partnership AGRI
    """
    from xchange.accounts import auth

    if role is None and not partnerships:
        raise click.UsageError("Nothing to change: give --role, --partnership or both.")

    def work(session: Session, actor: User, target: User, version: int) -> User:
        own = next(o for u, o in auth.list_users(session=session) if u.id == target.id)
        new_role = role or target.role
        if partnerships:
            chosen = list(partnerships)
        else:
            chosen = own if new_role == Role.COORDINATOR.value else []
        return auth.set_role_and_partnerships(
            session=session,
            actor=actor,
            user_id=int(target.id or 0),
            expected_version=version,
            role=new_role,
            partnerships=chosen,
        )

    changed, read = _change(ctx, email, expect_version, work)
    if changed.version == read:
        click.echo(
            f"Nothing changed: {changed.email} already had that role and those partnerships."
        )
    else:
        click.echo(
            f"Saved the role and partnerships of {changed.email}: now version {changed.version}."
        )


def _set_active(ctx: Context, email: str, expect_version: int | None, active: bool) -> None:
    from xchange.accounts import auth

    def work(session: Session, actor: User, target: User, version: int) -> User:
        return auth.set_active(
            session=session,
            actor=actor,
            user_id=int(target.id or 0),
            expected_version=version,
            active=active,
        )

    changed, read = _change(ctx, email, expect_version, work)
    state = "active" if active else "deactivated"
    if changed.version == read:
        click.echo(f"Nothing changed: {changed.email} was already {state}.")
    elif active:
        click.echo(f"{changed.email} is active again: they can sign in with their password.")
    else:
        click.echo(
            f"{changed.email} is deactivated: their sessions ended, they can no longer sign in."
        )


@user.command("deactivate")
@click.argument("email")
@EXPECT_VERSION
@pass_context
@friendly_errors
@requires(ADMIN, "set_active")
def user_deactivate(ctx: Context, email: str, expect_version: int | None) -> None:
    """Deactivate an account (admins only): it can neither sign in nor write, at once; what
    it logged stays.

    \b
    Example:
        xchange user deactivate anna@cluster.eu
    """
    _set_active(ctx, email, expect_version, False)


@user.command("activate")
@click.argument("email")
@EXPECT_VERSION
@pass_context
@friendly_errors
@requires(ADMIN, "set_active")
def user_activate(ctx: Context, email: str, expect_version: int | None) -> None:
    """Reactivate a deactivated account (admins only).

    \b
    Example:
        xchange user activate anna@cluster.eu
    """
    _set_active(ctx, email, expect_version, True)


@user.command("reset-password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input")
@EXPECT_VERSION
@pass_context
@friendly_errors
@requires(ADMIN, "set_password")
def user_reset_password(
    ctx: Context, email: str, password_stdin: bool, expect_version: int | None
) -> None:
    """Give a user a new password (admins only): it ends their sessions and lifts a sign-in
    lock. The password is asked for, or read with --password-stdin.

    \b
    Example:
        echo "$PASSWORD" | xchange user reset-password anna@cluster.eu --password-stdin
    """
    from xchange.accounts import auth

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)

    def work(session: Session, actor: User, target: User, version: int) -> User:
        return auth.set_password(
            session=session,
            actor=actor,
            user_id=int(target.id or 0),
            expected_version=version,
            password=password,
        )

    changed, _ = _change(ctx, email, expect_version, work)
    click.echo(f"New password set for {changed.email}: their sessions ended.")
