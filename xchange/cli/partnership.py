"""`xchange partnership`: add, list, show and change partnerships (changes: admins only, through
the Administration page's functions, so its rules, versions and audit apply)."""

from __future__ import annotations

import json
from datetime import date
from typing import TYPE_CHECKING

import click

from xchange.cli.context import Context, friendly_errors, pass_context, requires
from xchange.cli.options import DAY
from xchange.cli.output import table
from xchange.cli.rules import ADMIN, READER
from xchange.db import engine as db

if TYPE_CHECKING:
    from sqlmodel import Session

    from xchange.models import Partnership, User


@click.group()
def partnership() -> None:
    """Add, list, show and change partnerships: terms, rates, periods, target path.

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


@partnership.command("show")
@click.argument("acronym")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text")
@pass_context
@friendly_errors
@requires(READER, "show_partnership")
def partnership_show(ctx: Context, acronym: str, as_json: bool) -> None:
    """Show a partnership's terms, host-country rates, reporting periods and target path.

    \b
    Example:
        xchange partnership show GTEX --json
    """
    from xchange.presentation import euros, percent
    from xchange.programme.edit import partnership_json
    from xchange.programme.lookup import get_partnership

    with db.read_session(ctx.engine) as session:
        shown = partnership_json(session, get_partnership(session, acronym))
    if as_json:
        click.echo(json.dumps(shown, indent=2, ensure_ascii=False))
        return

    def share(value: float | None) -> str:
        return "the programme's" if value is None else percent(value)

    rates = ", ".join(f"{code} {euros(eur)}" for code, eur in shown["host_rates"].items())
    periods = ", ".join(f"{p['label']} {p['ends_on']}" for p in shown["reporting_periods"])
    marks = ", ".join(f"{m['cumulative']:,} by {m['due_on']}" for m in shown["milestones"])
    for label, value in (
        ("partnership", f"{shown['acronym']}: {shown['name']} (version {shown['version']})"),
        ("action", f"{shown['action_start']} to {shown['action_end']}"),
        ("target", f"{shown['target_exchanges']:,} exchanges"),
        ("SME share", share(shown["sme_share_target"])),
        ("beyond share", share(shown["beyond_share_target"])),
        ("full rate", euros(shown["full_rate_eur"])),
        ("host rates", rates or "none: every stay gets the full rate"),
        ("periods", periods or "none"),
        ("target path", marks or "none: straight from 0 to the target"),
    ):
        click.echo(f"{label + ':':14}{value}")


def _pairs(option: str, typed: tuple[str, ...]) -> list[tuple[str, str]]:
    """`("FR=900", "DE=")` -> `[("FR", "900"), ("DE", "")]`; a usage error without `=`."""
    pairs = []
    for item in typed:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.UsageError(f"{option} {item!r}: write it as KEY=VALUE, like FR=900.")
        pairs.append((key.strip(), value.strip()))
    return pairs


def _number(option: str, text: str, kind: type[int] | type[float]) -> int | float:
    try:
        return kind(text.replace(",", ""))
    except ValueError:
        raise click.UsageError(f"{option}: {text!r} is not a number.") from None


def _share(option: str, text: str | None) -> float | str | None:
    """A percentage (`55` or `55 %`) as a fraction, or `programme` to follow the programme's."""
    from xchange.programme.edit import PROGRAMME_SHARE

    if text is None:
        return None
    if text.strip().lower() in (PROGRAMME_SHARE, "none", ""):
        return PROGRAMME_SHARE
    return _number(option, text.strip().removesuffix("%").strip(), float) / 100


@partnership.command("edit")
@click.argument("acronym")
@click.option("--name", help="Full name, as in the grant agreement")
@click.option("--start", type=DAY, help="Action start")
@click.option("--end", type=DAY, help="Action end; the final period and milestone follow it")
@click.option("--target", type=int, help="Exchanges the partnership commits to")
@click.option(
    "--sme-target", metavar="PERCENT", help="SME share, 55 or 55 %; `programme`: the programme's"
)
@click.option("--beyond-target", metavar="PERCENT", help="Beyond-community share, as --sme-target")
@click.option(
    "--full-rate", type=float, metavar="EUR", help="Lump sum of a full stay, at most 1100"
)
@click.option(
    "--rate",
    "rates",
    multiple=True,
    metavar="CODE=EUR",
    help="A host country's full rate; CODE= removes it (repeat)",
)
@click.option(
    "--milestone",
    "milestones",
    multiple=True,
    metavar="DATE=COUNT",
    help="Counted exchanges expected by a date; DATE= removes it (repeat)",
)
@click.option(
    "--period",
    "periods",
    multiple=True,
    metavar="LABEL=DATE",
    help="A reporting period's last day; LABEL= removes it (repeat)",
)
@click.option(
    "--expect-version",
    type=click.IntRange(min=1),
    metavar="N",
    help="Refuse the change unless the partnership is still at this version",
)
@pass_context
@friendly_errors
@requires(ADMIN, "update_partnership")
def partnership_edit(
    ctx: Context,
    acronym: str,
    name: str | None,
    start: date | None,
    end: date | None,
    target: int | None,
    sme_target: str | None,
    beyond_target: str | None,
    full_rate: float | None,
    rates: tuple[str, ...],
    milestones: tuple[str, ...],
    periods: tuple[str, ...],
    expect_version: int | None,
) -> None:
    """Change a partnership (admins only): only what is given changes; rates, periods and
    milestones are merged by country, label and date. The acronym stays: imports key on it.

    \b
    Example:
        xchange partnership edit GTEX --end 2028-06-30 --rate FR=900 \\
            --period final=2028-06-30 --milestone 2027-06-30=40
    """
    from xchange.programme.edit import PartnershipEdit, edit_partnership

    edit = PartnershipEdit(
        name=name,
        action_start=start,
        action_end=end,
        target_exchanges=target,
        sme_share_target=_share("--sme-target", sme_target),
        beyond_share_target=_share("--beyond-target", beyond_target),
        full_rate_eur=full_rate,
        rates={
            code: None if not eur else float(_number("--rate", eur, float))
            for code, eur in _pairs("--rate", rates)
        },
        periods={
            label: None if not day else DAY.convert(day, None, None)
            for label, day in _pairs("--period", periods)
        },
        milestones={
            DAY.convert(day, None, None): None
            if not count
            else int(_number("--milestone", count, int))
            for day, count in _pairs("--milestone", milestones)
        },
    )
    if not (edit.terms_change or edit.rates or edit.periods or edit.milestones):
        raise click.UsageError("Nothing to change: give at least one option (see --help).")

    def change(session: Session, actor: User) -> tuple[Partnership, int]:
        return edit_partnership(
            session=session,
            actor=actor,
            acronym=acronym,
            expected_version=expect_version,
            edit=edit,
        )

    changed, read = ctx.write(change)
    if changed.version == read:
        click.echo(f"Nothing changed: {changed.acronym} already had those values.")
    else:
        click.echo(f"Saved {changed.acronym}: now version {changed.version}.")
