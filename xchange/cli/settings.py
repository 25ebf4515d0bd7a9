"""`xchange settings`: show and change the programme's settings, its eligible countries, or
apply a file of them (what `settings show --json` writes) in one transaction.

Each change goes through the same package functions as the Administration page's Programme
settings tab (`programme.settings`): administrators only, the page's ranges and messages, the
programme's version checked, every change audited.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click

from xchange.cli.context import Context, friendly_errors, pass_context, requires
from xchange.cli.options import DAY
from xchange.cli.rules import ADMIN
from xchange.db import engine as db

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlmodel import Session

    from xchange.models import User
    from xchange.programme.settings import Eligibility

EXPECT_VERSION = click.option(
    "--expect-version",
    type=click.IntRange(min=1),
    metavar="N",
    help="Refuse the change unless the settings are still at this version "
    "[default: the version read now]",
)


@click.group()
def settings() -> None:
    """Show and change the programme settings and eligible countries (changes: admins only).

    \b
    Example:
        xchange settings set sme-share-target 50 count-virtual no
    """


@settings.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (what `settings apply` reads)")
@pass_context
@friendly_errors
@requires(ADMIN, "read_programme_settings")
def settings_show(ctx: Context, as_json: bool) -> None:
    """Show every programme setting and the eligible countries, with the settings' version
    (admins only, as the Administration page).

    \b
    Example:
        xchange settings show --json > programme.json
    """
    from xchange.programme import keys
    from xchange.programme import settings as programme

    with db.read_session(ctx.engine) as session:
        current = programme.read_settings(session)
        countries = programme.read_eligibility(session)
        version = programme.programme_version(session)
    if as_json:
        shown = {
            "version": version,
            "settings": keys.settings_json(current),
            "eligible_countries": keys.eligibility_json(countries),
        }
        click.echo(json.dumps(shown, indent=2, ensure_ascii=False))
        return
    width = max(len(key.name) for key in keys.KEYS)
    click.echo(f"Programme settings, version {version}:")
    for key in keys.KEYS:
        click.echo(f"  {key.name.ljust(width)}  {key.kind.show(getattr(current, key.field))}")
    click.echo(f"Eligible countries ({len(countries):,}):")
    click.echo("  " + ", ".join(e.describe() for e in countries))


@settings.command("set")
@click.argument("pairs", nargs=-1, required=True, metavar="KEY VALUE [KEY VALUE]...")
@EXPECT_VERSION
@pass_context
@friendly_errors
@requires(ADMIN, "update_programme")
def settings_set(ctx: Context, pairs: tuple[str, ...], expect_version: int | None) -> None:
    """Change one or more programme settings together (admins only); `settings show` lists
    the keys. Shares are percentages, dates ISO or `none`, types comma-separated.

    \b
    Example:
        xchange settings set target-exchanges 1200 beyond-reading narrow \\
            visitor-types "cluster organisation, SME"
    """
    from xchange.programme import keys
    from xchange.programme import settings as programme

    if len(pairs) % 2:
        raise click.UsageError(f"The setting {pairs[-1]!r} has no value: give KEY VALUE pairs.")
    typed = dict(zip(pairs[::2], pairs[1::2], strict=True))
    names = [keys.key_named(name).name for name in typed]  # an unknown key before any read

    def change(session: Session, actor: User) -> int:
        current = programme.read_settings(session)
        version = expect_version or programme.programme_version(session)
        row = programme.update_programme(
            session=session,
            actor=actor,
            expected_version=version,
            settings=keys.with_values(current, typed),
        )
        return 0 if row.version == version else row.version

    version = ctx.write(change)
    if version:
        click.echo(f"Saved {', '.join(names)}: the programme settings are now version {version}.")
    else:
        click.echo(f"Nothing changed: {', '.join(names)} already had those values.")


@settings.group("eligible-country")
def eligible_country() -> None:
    """Add a period of eligibility for a country, or end one (admins only).

    \b
    Example:
        xchange settings eligible-country end GB --to 2020-12-31
    """


@eligible_country.command("add")
@click.argument("code")
@click.option("--from", "valid_from", type=DAY, help="First eligible day [default: always]")
@click.option("--to", "valid_to", type=DAY, help="Last eligible day [default: no end]")
@EXPECT_VERSION
@pass_context
@friendly_errors
@requires(ADMIN, "set_eligible_countries")
def country_add(
    ctx: Context,
    code: str,
    valid_from: date | None,
    valid_to: date | None,
    expect_version: int | None,
) -> None:
    """Make a country eligible (ISO code or English name), from and until the dates given.

    \b
    Example:
        xchange settings eligible-country add NO --from 2027-01-01
    """
    from xchange.programme import keys

    def change(countries: list[Eligibility]) -> list[Eligibility]:
        return keys.period_added(countries, code, valid_from, valid_to)

    version = _change_countries(ctx, change, expect_version)
    click.echo(
        f"Added {_period(code, valid_from, valid_to)}: the settings are now version {version}."
    )


@eligible_country.command("end")
@click.argument("code")
@click.option("--to", "last_day", type=DAY, required=True, help="The last eligible day")
@EXPECT_VERSION
@pass_context
@friendly_errors
@requires(ADMIN, "set_eligible_countries")
def country_end(ctx: Context, code: str, last_day: date, expect_version: int | None) -> None:
    """End a country's eligibility: its period holding the date given ends on it.

    \b
    Example:
        xchange settings eligible-country end GB --to 2020-12-31
    """
    from xchange.programme import keys

    def change(countries: list[Eligibility]) -> list[Eligibility]:
        return keys.period_ended(countries, code, last_day)

    version = _change_countries(ctx, change, expect_version)
    click.echo(
        f"{_period(code, None, None)} is eligible until {last_day.isoformat()}: "
        f"the settings are now version {version}."
    )


@settings.command("apply")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@EXPECT_VERSION
@pass_context
@friendly_errors
@requires(ADMIN, "update_programme")
def settings_apply(ctx: Context, file: Path, expect_version: int | None) -> None:
    """Apply a settings file (`settings show --json`'s output, maybe from another database):
    all of it in one transaction, or nothing. Its `version` is not compared: use
    --expect-version for that. A file that changes nothing writes nothing.

    \b
    Example:
        xchange --db "$STAGING" settings show --json > programme.json
        xchange settings apply programme.json
    """
    from xchange.errors import InvalidInput
    from xchange.programme import keys
    from xchange.programme import settings as programme

    try:
        given = json.loads(file.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(f"{file} is not a settings file (JSON): {exc}") from None
    if not isinstance(given, dict) or not ({"settings", "eligible_countries"} & set(given)):
        raise InvalidInput(f"{file} holds neither `settings` nor `eligible_countries`.")

    def change(session: Session, actor: User) -> tuple[int, int]:
        before = version = expect_version or programme.programme_version(session)
        if "settings" in given:
            if not isinstance(given["settings"], dict):
                raise InvalidInput("`settings` in the file must be an object.")
            wanted = keys.settings_from_json(programme.read_settings(session), given["settings"])
            row = programme.update_programme(
                session=session, actor=actor, expected_version=version, settings=wanted
            )
            version = row.version
        if "eligible_countries" in given:
            programme.set_eligible_countries(
                session=session,
                actor=actor,
                expected_version=version,
                countries=keys.eligibility_from_json(given["eligible_countries"]),
            )
        return before, programme.programme_version(session)

    before, after = ctx.write(change)
    if before == after:
        click.echo(f"Nothing changed: the settings already match {file.name}.")
    else:
        click.echo(f"Applied {file.name}: the programme settings are now version {after}.")


def _change_countries(
    ctx: Context,
    change: Callable[[list[Eligibility]], list[Eligibility]],
    expect_version: int | None,
) -> int:
    """Replace the eligible countries with `change(countries now)`; the new version."""
    from xchange.programme import settings as programme

    def work(session: Session, actor: User) -> int:
        version = expect_version or programme.programme_version(session)
        programme.set_eligible_countries(
            session=session,
            actor=actor,
            expected_version=version,
            countries=change(programme.read_eligibility(session)),
        )
        return programme.programme_version(session)

    return ctx.write(work)


def _period(typed: str, valid_from: date | None, valid_to: date | None) -> str:
    from xchange import reference
    from xchange.programme.settings import Eligibility

    code = reference.parse_country(typed) or typed
    return Eligibility(code, valid_from, valid_to).describe()
