"""`xchange erase-person`: erase a representative's personal data."""

from __future__ import annotations

from datetime import date

import click
from sqlmodel import Session

from xchange.cli.context import Context, friendly_errors, pass_context, requires
from xchange.cli.options import DAY
from xchange.cli.rules import ADMIN
from xchange.models import User


@click.command("erase-person")
@click.argument("name", required=False)
@click.option(
    "--expired", is_flag=True, help="Erase every representative past the retention time instead"
)
@click.option("--today", type=DAY, help="Retention as of this date [default: today]")
@pass_context
@friendly_errors
@requires(ADMIN, "erase_person")
def erase_person(ctx: Context, name: str | None, expired: bool, today: date | None) -> None:
    """Erase a representative's personal data (exact name; admins only); exchanges and KPIs stay.

    Every person with exactly this name is erased; the erasure is audited by person id.
    With --expired, erase the representatives whose partnerships' actions ended more than
    the programme's retention time ago.

    \b
    Examples:
        xchange erase-person "Jane Doe"
        xchange erase-person --expired
    """
    from xchange.register import privacy

    if expired == (name is not None):
        raise click.UsageError("give a NAME, or --expired, not both")

    def erase(session: Session, actor: User) -> privacy.ErasureReport:
        if name is not None:
            return privacy.erase_person(session=session, actor=actor, name=name)
        return privacy.erase_expired_representatives(
            session=session, actor=actor, today=today or date.today()
        )

    report = ctx.write(erase)
    click.echo(report.summary())
