"""`xchange demo`: load demo data."""

from __future__ import annotations

import click
from sqlmodel import select

from xchange.cli.context import Context, friendly_errors, pass_context, requires
from xchange.cli.rules import ADMIN
from xchange.db import engine as db


@click.command()
@click.option(
    "--exchanges",
    default=900,
    show_default=True,
    type=click.IntRange(min=0),
    help="How many exchanges to generate",
)
@click.option("--seed", default=2026, show_default=True, help="Same seed, same data")
@click.option(
    "--if-empty",
    is_flag=True,
    help="Do nothing (but say so) when the register already holds exchanges",
)
@pass_context
@friendly_errors
@requires(ADMIN, "load_demo_data", upgrade_first=True)
def demo(ctx: Context, exchanges: int, seed: int, if_empty: bool) -> None:
    """Fill an empty register with deterministic demo data and demo accounts (admins only).

    \b
    Example:
        xchange demo --exchanges 1000000 --seed 7
    """
    from xchange.demo import load as demo_data
    from xchange.models import Exchange

    with db.read_session(ctx.engine) as session:
        has_data = session.exec(select(Exchange.id).limit(1)).first() is not None
    if has_data and if_empty:
        click.echo(
            "The register already holds exchanges: demo data not loaded. "
            "Demo accounts, if loaded earlier, were printed then."
        )
        return
    # Not `ctx.retrying`: the load commits before its closing ANALYZE, so a second run would
    # find the register full. Its one transaction waits for the write lock (BEGIN IMMEDIATE,
    # the busy timeout) instead.
    summary = demo_data.load_demo(ctx.engine, exchanges=exchanges, seed=seed)
    click.echo(
        f"Loaded {summary.exchanges:,} exchanges, {summary.organisations:,} organisations "
        f"and {summary.partnerships} partnerships in {summary.seconds:.1f} s."
    )
    click.echo("Demo accounts (shown once; change them before real use):")
    for email, role, password in summary.accounts:
        click.echo(f"  {role:<12} {email:<24} {password}")
