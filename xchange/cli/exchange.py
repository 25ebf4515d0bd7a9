"""`xchange exchange`: one exchange by partnership and reference: show it with its history,
cancel, complete or pay it, through the service the Exchanges page calls (its permissions,
rules, versions, audit and quarter locks apply)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import click

from xchange.cli.context import Context, friendly_errors, pass_context, requires
from xchange.cli.options import DAY
from xchange.cli.rules import READER
from xchange.db import engine as db

if TYPE_CHECKING:
    from sqlmodel import Session

    from xchange.models import Exchange, User


F = Callable[..., Any]


def keyed(command: F) -> F:
    """The options naming one exchange, and --expect-version for the changes."""
    for option in reversed(
        (
            click.option("--partnership", required=True, metavar="ACRONYM", help="Its partnership"),
            click.option("--reference", required=True, metavar="REF", help="Its reference"),
        )
    ):
        command = option(command)
    return command


EXPECT_VERSION = click.option(
    "--expect-version",
    type=click.IntRange(min=1),
    metavar="N",
    help="Refuse the change unless the exchange is still at this version, as the page does "
    "[default: the version read now]",
)


@click.group()
def exchange() -> None:
    """Show one exchange with its history; cancel, complete or pay it.

    \b
    Example:
        xchange exchange show --partnership GTEX --reference G-1
    """


@exchange.command("show")
@keyed
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text")
@pass_context
@friendly_errors
@requires(READER, "read_exchange")
def exchange_show(ctx: Context, partnership: str, reference: str, as_json: bool) -> None:
    """Show an exchange (coordinators: their partnerships' only) and its history.

    \b
    Example:
        xchange exchange show --partnership GTEX --reference G-1 --json
    """
    from xchange.register import keyed as by_key
    from xchange.register import queries

    with db.read_session(ctx.engine) as session:
        actor = ctx.actor(session)
        xid = by_key.exchange_id(session, partnership=partnership, reference=reference)
        if as_json:
            click.echo(
                json.dumps(
                    by_key.exchange_json(session, actor=actor, exchange_id=xid),
                    indent=2,
                    ensure_ascii=False,
                )
            )
            return
        record = queries.read_record(session, actor=actor, exchange_id=xid)
        trail = queries.history_frame(session, actor=actor, exchange_id=xid)
    click.echo(f"{record.title} (version {record.exchange.version})")
    facts = [(str(label), str(value)) for label, value in record.facts.itertuples(index=False)]
    width = max(len(label) for label, _ in facts)
    for label, value in facts:
        click.echo(f"  {label.ljust(width)}  {value}")
    for issue in record.issues:
        click.echo(f"  {issue.severity}: {issue.message}")
    click.echo("History:")
    if trail.empty:
        click.echo("  none recorded (loaded in bulk)")
    for row in trail.itertuples(index=False):
        when, who, what, version, field, before, after = (str(v) for v in row)
        change = f": {field} {before} -> {after}" if field else f": {after}" if after else ""
        shown = f" (version {version})" if version else ""
        click.echo(f"  {when}  {who}  {what}{shown}{change}")


def _write(
    ctx: Context,
    partnership: str,
    reference: str,
    expect_version: int | None,
    work: Callable[[Session, User, int, int], Exchange],
) -> Exchange:
    """`work(session, actor, exchange id, version)` in one transaction."""
    from xchange.register import keyed as by_key

    def change(session: Session, actor: User) -> Exchange:
        xid = by_key.exchange_id(session, partnership=partnership, reference=reference)
        # The version as stored: the service's write check, which comes first in `work`,
        # refuses (and records) whoever may not change it.
        version = expect_version or by_key.version_now(session, xid)
        return work(session, actor, xid, version)

    return ctx.write(change)


@exchange.command("cancel")
@keyed
@click.option("--reason", required=True, help="Why it is cancelled (kept with the record)")
@EXPECT_VERSION
@pass_context
@friendly_errors
@requires(READER, "cancel")
def exchange_cancel(
    ctx: Context, partnership: str, reference: str, reason: str, expect_version: int | None
) -> None:
    """Cancel an exchange with a reason (who writes for its partnership): it no longer counts.

    \b
    Example:
        xchange exchange cancel --partnership GTEX --reference G-1 \\
            --reason "The host withdrew" --expect-version 2
    """
    from xchange.register import service

    def work(session: Session, actor: User, xid: int, version: int) -> Exchange:
        return service.cancel_exchange(
            session=session, actor=actor, exchange_id=xid, expected_version=version, reason=reason
        )

    saved = _write(ctx, partnership, reference, expect_version, work)
    click.echo(f"Cancelled {partnership.upper()} / {saved.reference}: now version {saved.version}.")


@exchange.command("complete")
@keyed
@click.option(
    "--validated-on", type=DAY, help="The day the closing report was validated [default: today]"
)
@click.option("--validated-by", default="", help="Who validated the closing report")
@EXPECT_VERSION
@pass_context
@friendly_errors
@requires(READER, "complete")
def exchange_complete(
    ctx: Context,
    partnership: str,
    reference: str,
    validated_on: date | None,
    validated_by: str,
    expect_version: int | None,
) -> None:
    """Mark an exchange completed: it took place and its closing report was validated.

    \b
    Example:
        xchange exchange complete --partnership GTEX --reference G-1 --validated-on 2026-11-20
    """
    from xchange.register import service

    def work(session: Session, actor: User, xid: int, version: int) -> Exchange:
        return service.complete_exchange(
            session=session,
            actor=actor,
            exchange_id=xid,
            expected_version=version,
            validated_on=validated_on or date.today(),
            validated_by=validated_by,
        )

    saved = _write(ctx, partnership, reference, expect_version, work)
    click.echo(f"Completed {partnership.upper()} / {saved.reference}: now version {saved.version}.")


def _amount(text: str) -> Decimal:
    try:
        return Decimal(text.strip().replace(",", ""))
    except InvalidOperation:
        raise click.BadParameter(f"{text!r} is not an amount like 1100 or 550.50") from None


@exchange.command("pay")
@keyed
@click.option("--amount", required=True, metavar="EUR", help="What the visitor received, EUR")
@click.option("--date", "paid_on", required=True, type=DAY, help="The day it was paid")
@EXPECT_VERSION
@pass_context
@friendly_errors
@requires(READER, "pay")
def exchange_pay(
    ctx: Context,
    partnership: str,
    reference: str,
    amount: str,
    paid_on: date,
    expect_version: int | None,
) -> None:
    """Record (or correct) the lump sum paid to the visitor: EUR 0 to 1,100.

    \b
    Example:
        xchange exchange pay --partnership GTEX --reference G-1 --amount 1100 --date 2026-12-01
    """
    from xchange.register import service

    paid = _amount(amount)

    def work(session: Session, actor: User, xid: int, version: int) -> Exchange:
        return service.record_payment(
            session=session,
            actor=actor,
            exchange_id=xid,
            expected_version=version,
            paid_on=paid_on,
            paid_eur=paid,
        )

    saved = _write(ctx, partnership, reference, expect_version, work)
    click.echo(
        f"Recorded EUR {paid:,.2f} paid on {paid_on.isoformat()} for "
        f"{partnership.upper()} / {saved.reference}: now version {saved.version}."
    )
