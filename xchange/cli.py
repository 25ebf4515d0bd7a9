"""The `xchange` command: set up the register, manage partnerships and users, load demo data, KPIs.

Errors reach the user as one line on stderr and a non-zero exit code, never a traceback:
1 for refused input or a failed rule, 3 for a refused permission, 2 for a usage error (click).

Every command declares who may run it (`requires`) and is checked before it starts; the package
functions it calls then scope what it reads and writes, as for the pages.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import Any, TypeVar

import click
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, OperationalError, ProgrammingError
from sqlmodel import Session, select

from xchange import dates
from xchange.accounts import access
from xchange.db import engine as db
from xchange.errors import PermissionDenied, ValidationFailed, XchangeError
from xchange.models import Role, User, quarter_of

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


class Context:
    """What every command shares: the database URL and the acting user's email."""

    def __init__(self, url: str | None, user_email: str | None) -> None:
        self.url = url
        self.user_email = user_email
        self._engine: Engine | None = None
        self.action = "run_a_command"  # what the command attempts: set by `requires`

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            try:
                self._engine = db.make_engine(self.url)
            except ArgumentError as exc:  # malformed URL, unknown dialect or driver
                raise XchangeError(f"The database URL cannot be used: {exc}") from exc
            except OSError as exc:  # a SQLite file whose directory cannot be made
                raise XchangeError(f"The database cannot be used: {exc}") from exc
        return self._engine

    def actor(self, session: Session) -> User:
        """The acting user: `--user EMAIL`, or the local administrator. An email that is no
        user's, or a deactivated account, is refused (PermissionDenied, recorded)."""
        email = (self.user_email or db.LOCAL_ADMIN_EMAIL).strip().lower()
        if email == db.LOCAL_ADMIN_EMAIL:
            found = session.exec(select(User.id).where(User.email == email)).first()
            if found is None:
                raise XchangeError("The database is not initialised: run `xchange init` first")
        return access.acting_user(session=session, email=email, action=self.action)

    def authorise(self, rule: str, action: str) -> None:
        """Refuse (PermissionDenied, recorded in the audit trail) unless the acting user may run
        a command under `rule`; `action` names the attempt, as the service layer names writes."""
        self.action = action
        if rule == OPEN:
            return
        with db.read_session(self.engine) as session:
            actor = self.actor(session)
            if rule == ADMIN:
                access.require_admin(session=session, actor=actor, action=action, entity="command")

    def write(self, work: Callable[[Session, User], T], *, check_foreign_keys: bool = True) -> T:
        """`work(session, actor)` in one write transaction, committed; run again briefly when
        the database is busy (`db.write`), so a command never fails on a lock another writer
        held for a moment. `work` must not print or touch files: it may run more than once.
        `check_foreign_keys`: as for `db.write_session`."""
        return db.write(
            self.engine,
            lambda session: work(session, self.actor(session)),
            check_foreign_keys=check_foreign_keys,
        )

    def retrying(self, work: Callable[[Engine], T]) -> T:
        """`work(engine)` (a package function that writes in one transaction of its own), run
        again briefly when the database is busy (`db.with_retry`)."""
        return db.with_retry(lambda: work(self.engine))


def friendly_errors(command: F) -> F:
    """Turn the package's exceptions into one line and an exit code."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except PermissionDenied as exc:
            _fail(f"Permission denied: {exc}", 3)
        except ValidationFailed as exc:
            for issue in exc.issues:
                if issue.severity == "error":
                    click.echo(f"error: {issue.field}: {issue.message}", err=True)
            sys.exit(1)
        except XchangeError as exc:
            _fail(str(exc), 1)
        except (OperationalError, ProgrammingError) as exc:  # ProgrammingError: no tables (PG)
            _fail(f"The database cannot be used: {db.database_error_line(exc)}", 1)
        except ValueError as exc:
            _fail(str(exc), 1)
        except Exception as exc:
            # Any other database error (not a database file, a constraint, a raw driver error
            # from a bulk copy): one line and exit code 1, never a traceback.
            if not db.is_database_error(exc):
                raise
            _fail(
                f"The database reported an error, nothing was changed: "
                f"{db.database_error_line(exc)}",
                1,
            )

    return wrapper  # type: ignore[return-value]


# Who may run a command (`requires`). Each command then reads and writes through the package,
# whose checks scope it as the pages are scoped (a coordinator's own partnerships' records).
ADMIN = "administrators"  # active administrators only
READER = "users"  # any active user
OPEN = "anyone"  # no user needed: the command holds no records (init, a blank template)


def requires(rule: str, action: str, *, upgrade_first: bool = False) -> Callable[[F], F]:
    """Check the acting user's rights before the command runs (place it below
    `friendly_errors`). `action` names the attempt in snake case, as `access.require_admin`
    takes it ("back_up_the_register": "... may not back up the register: only administrators
    may."). `upgrade_first`: bring the schema up to date first, as `init` would (for `demo`, which
    also fills a database never initialised)."""

    def decorate(command: F) -> F:
        @wraps(command)
        def wrapper(ctx: Context, *args: Any, **kwargs: Any) -> Any:
            if upgrade_first:
                ctx.retrying(db.upgrade)
            ctx.authorise(rule, action)
            return command(ctx, *args, **kwargs)

        wrapper.permission = rule  # type: ignore[attr-defined]  # read by the tests
        return wrapper  # type: ignore[return-value]

    return decorate


def _fail(message: str, code: int) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


class DateOption(click.ParamType):
    """An ISO date (2026-03-14) within the dates the tracker accepts (`xchange.dates`); any
    other value is a usage error (exit code 2) naming the option. Every date option uses it."""

    name = "date"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            day = date.fromisoformat(str(value).strip())
        except ValueError:
            self.fail(f"{value!r} is not a date like 2026-03-14", param, ctx)
        if not dates.within(day):
            self.fail(
                f"{day.isoformat()} is outside the dates the tracker accepts ({dates.BOUNDS_TEXT})",
                param,
                ctx,
            )
        return day


class QuarterOption(click.ParamType):
    """A quarter, `2026Q3` or `2026-Q3`, within the accepted dates; the stored text (`2026Q3`)."""

    name = "quarter"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from xchange.reference import parse_quarter

        try:
            first, _ = parse_quarter(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)
        return quarter_of(first)


DAY = DateOption()
QUARTER = QuarterOption()


pass_context = click.make_pass_decorator(Context)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    "url",
    envvar="XCHANGE_DATABASE_URL",
    metavar="URL",
    help="SQLAlchemy database URL [default: $XCHANGE_DATABASE_URL or data/xchange.db.engine]",
)
@click.option(
    "--user",
    "user_email",
    metavar="EMAIL",
    help="Act as this user, with their permissions [default: the local administrator]",
)
@click.version_option(package_name="xchange")
@click.pass_context
def cli(ctx: click.Context, url: str | None, user_email: str | None) -> None:
    """ClusterXchange tracker: the register of exchanges and its KPIs.

    \b
    Example:
        xchange init && xchange demo && xchange kpi
    """
    ctx.obj = Context(url, user_email)


@cli.command()
@pass_context
@friendly_errors
@requires(OPEN, "init")
def init(ctx: Context) -> None:
    """Create the database, or upgrade its schema to the newest version.

    \b
    Example:
        xchange --db postgresql://tracker@db.example.eu/xchange init
    """
    ctx.retrying(db.upgrade)
    click.echo(
        f"Database ready at schema version {db.current_revision(ctx.engine)}: "
        f"{ctx.engine.url.render_as_string(hide_password=True)}"
    )


# --- partnerships ----------------------------------------------------------------------------


@cli.group()
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
        _table(rows, ["acronym", "name", "action_start", "action_end", "target"])


# --- users -----------------------------------------------------------------------------------


@cli.group()
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


# --- demo data -------------------------------------------------------------------------------


@cli.command()
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


# --- KPIs ------------------------------------------------------------------------------------


BY_CHOICES = ["partnership", "quarter", "period", "country", "flow", "ecosystem", "org-type"]


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table")
@click.option("--partnership", "acronym", metavar="ACRONYM", help="One partnership's figures")
@click.option("--as-of", type=DAY, help="Figures as of this date [default: today]")
@click.option(
    "--by", "by", type=click.Choice(BY_CHOICES), help="A breakdown instead of the headline"
)
@click.option(
    "--forecast",
    is_flag=True,
    help="Add pace, projection at action end, required pace and status with reasons",
)
@pass_context
@friendly_errors
@requires(READER, "read_kpis")
def kpi(
    ctx: Context,
    as_json: bool,
    acronym: str | None,
    as_of: date | None,
    by: str | None,
    forecast: bool,
) -> None:
    """Headline KPIs: exchanges counted against the target, SME and beyond-community shares.

    \b
    Examples:
        xchange kpi --partnership GTEX --as-of 2026-09-30 --json
        xchange kpi --by quarter
        xchange kpi --forecast
    """
    from xchange import presentation
    from xchange.kpi import sums as kpis
    from xchange.kpi import targets
    from xchange.programme.partnerships import get_partnership

    with db.read_session(ctx.engine) as session:
        partnership = get_partnership(session, acronym) if acronym else None
        result = kpis.headline(session, as_of=as_of, partnership=partnership)
        outlook = (
            targets.forecast(session, as_of=as_of, partnership=partnership) if forecast else None
        )
        table = _breakdown(session, by, result.as_of, partnership) if by else None
    if as_json:
        data: dict[str, Any] = result.as_dict()
        if table is not None:
            data["by"] = by
            data["rows"] = table.records()
        if outlook is not None:
            data["forecast"] = _forecast_dict(outlook)
        click.echo(json.dumps(data, indent=2, default=str))
        return
    click.echo(f"{result.scope} as of {result.as_of.isoformat()}")
    if table is not None:
        click.echo(presentation.text_table(presentation.readable(table.table, str(by))))
    else:
        _headline_table(result)
    if outlook is not None:
        click.echo("")
        _forecast_text(outlook)
    click.echo(result.definitions.describe())


def _breakdown(session: Session, by: str, as_of: date, partnership: Any) -> Any:
    import pandas as pd

    from xchange.kpi import breakdowns
    from xchange.kpi.sums import Filters

    filters = Filters(partnership_ids=(partnership.id,)) if partnership else Filters()
    if by == "country":
        visitor = breakdowns.by_country(session, side="visitor", as_of=as_of, filters=filters)
        host = breakdowns.by_country(session, side="host", as_of=as_of, filters=filters)
        visitor.table.insert(0, "side", "visitor")
        host.table.insert(0, "side", "host")
        visitor.table = pd.concat([visitor.table, host.table], ignore_index=True)
        return visitor
    builders = {
        "partnership": breakdowns.by_partnership,
        "quarter": breakdowns.by_quarter,
        "period": breakdowns.by_period,
        "flow": breakdowns.flows,
        "ecosystem": breakdowns.by_ecosystem,
        "org-type": breakdowns.by_org_type,
    }
    return builders[by](session, as_of=as_of, filters=filters)


def _headline_table(result: Any) -> None:
    from xchange import presentation

    rows = [
        ("Exchanges counted", _n(result.counted), _n(result.target), _pct(result.progress)),
        (
            "Involving an SME",
            _n(result.involving_sme),
            _pct(result.sme_target),
            _pct(result.sme_share),
        ),
        (
            "Beyond the community",
            _n(result.beyond_community),
            _pct(result.beyond_target),
            _pct(result.beyond_share),
        ),
        ("Pipeline (planned, confirmed)", _n(result.pipeline), "", ""),
        ("Virtual (not counted)", _n(result.virtual), "", ""),
        ("Cancelled", _n(result.cancelled), "", ""),
    ]
    import pandas as pd

    frame = pd.DataFrame(rows, columns=["figure", "value", "target", "progress"])
    click.echo(presentation.text_table(frame))


def _forecast_dict(outlook: Any) -> dict[str, Any]:
    return {
        "action_end": outlook.action_end.isoformat(),
        "pace_per_quarter": outlook.pace,
        "quarters_left": round(outlook.quarters_left, 2),
        "confirmed_ahead": outlook.confirmed_ahead,
        "projection": outlook.projection,
        "required_pace_per_quarter": outlook.required_pace,
        "expected_now": outlook.expected_now,
        "statuses": [
            {"kpi": s.kpi, "status": s.status, "reason": s.reason} for s in outlook.statuses
        ],
        "gaps": outlook.gaps,
    }


def _forecast_text(outlook: Any) -> None:
    click.echo(
        f"Forecast to {outlook.action_end.isoformat()}: pace {outlook.pace:,.1f} a quarter, "
        f"{outlook.quarters_left:,.1f} quarters left, projection {outlook.projection:,.0f} "
        f"of {outlook.target:,} (the target path expects {outlook.expected_now:,.0f} by now)"
    )
    for status in outlook.statuses:
        click.echo(f"  {status.kpi:<13} {status.status:<10} {status.reason}")
    for gap in outlook.gaps:
        click.echo(f"  {gap}")


def _n(value: int) -> str:
    return f"{value:,}"


@cli.command()
@click.option("--quarter", required=True, type=QUARTER, help="The closed quarter, 2026Q3")
@click.option(
    "--compare",
    is_flag=True,
    help="Show each stored quarter as reported at close beside the same figures now",
)
@click.option("--partnership", "acronym", metavar="ACRONYM", help="Compare one partnership")
@pass_context
@friendly_errors
@requires(READER, "take_snapshot")
def snapshot(ctx: Context, quarter: str, compare: bool, acronym: str | None) -> None:
    """Store a closed quarter's figures as reported, or compare stored quarters with now.

    \b
    Examples:
        xchange snapshot --quarter 2026Q3
        xchange snapshot --quarter 2026Q4 --compare
    """
    from xchange.kpi import snapshots
    from xchange.reference import quarter_label

    if compare:
        with db.read_session(ctx.engine) as session:
            rows = snapshots.compare(session, scope=acronym or "programme")
        if not rows:
            click.echo("No stored quarter yet: take one with `xchange snapshot --quarter ...`.")
        for row in rows:
            moved = row.changed()
            status = (
                "unchanged since the close"
                if not moved
                else "changed since the close: "
                + ", ".join(f"{k} {_fmt(a)} -> {_fmt(b)}" for k, (a, b) in moved.items())
            )
            click.echo(
                f"{quarter_label(row.quarter)} {row.scope}: counted "
                f"{row.reported['counted']:,} at close, {row.now['counted']:,} now; {status}"
            )
        return
    stored = ctx.write(
        lambda session, actor: snapshots.take_snapshot(
            session=session, actor=actor, quarter=quarter
        )
    )
    programme = stored[0].figures
    click.echo(
        f"Stored {quarter_label(quarter)} for the programme and {len(stored) - 1} "
        f"partnerships: {programme['counted']:,} counted as of {programme['as_of']}"
    )


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value * 100:.1f} %"
    return "no data" if value is None else f"{value:,}"


def _pct(value: float | None) -> str:
    return "no data" if value is None else f"{value * 100:.1f} %"


def _table(rows: list[dict[str, Any]], columns: list[str]) -> None:
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in columns}
    click.echo("  ".join(c.replace("_", " ").ljust(widths[c]) for c in columns))
    click.echo("  ".join("-" * widths[c] for c in columns))
    for row in rows:
        click.echo("  ".join(str(row[c]).ljust(widths[c]) for c in columns))


# --- import and export -----------------------------------------------------------------------


@cli.command("import")
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check the file and report; write nothing")
@click.option("--skip-invalid", is_flag=True, help="Import the valid rows, list the others")
@click.option("--undo", "undo_batch", type=int, metavar="BATCH", help="Take back import BATCH")
@click.option("--report", "report_path", metavar="FILE", help="Also write the report as CSV")
@click.option(
    "--annotated", "annotated_path", metavar="FILE", help="Also write the file with its problems"
)
@pass_context
@friendly_errors
@requires(READER, "import")
def import_file(
    ctx: Context,
    file: str | None,
    dry_run: bool,
    skip_invalid: bool,
    undo_batch: int | None,
    report_path: str | None,
    annotated_path: str | None,
) -> None:
    """Import exchanges from CSV or XLSX: all or nothing, re-import updates, an import undoes.

    One error refuses the whole file (exit code 1) with every problem listed, unless
    --skip-invalid asks for the valid rows alone. Rows match stored exchanges by partnership
    and reference; only what changed is written.

    \b
    Examples:
        xchange import exchanges.xlsx --dry-run
        xchange --user anna@cluster.eu import exchanges.csv --skip-invalid --report report.csv
        xchange import --undo 7
    """
    from pathlib import Path

    from xchange.imports import importer

    if undo_batch is not None:
        if file is not None:
            raise click.UsageError("give a FILE to import, or --undo BATCH, not both")
        undone = ctx.write(
            lambda session, actor: importer.undo_import(
                session=session, actor=actor, batch_id=undo_batch
            )
        )
        click.echo(undone.summary())
        return
    if file is None:
        raise click.UsageError("give a FILE to import, or --undo BATCH")
    path = Path(file)
    source = importer.read_untrusted(path.read_bytes(), path.name)  # as the page reads it
    click.echo(f"Read {path.name}: {source.describe()}")
    if dry_run:
        with db.read_session(ctx.engine) as session:
            report = importer.run_import(
                session=session,
                actor=ctx.actor(session),
                source=source,
                dry_run=True,
                skip_invalid=skip_invalid,
            )
    else:
        report = ctx.write(
            lambda session, actor: importer.run_import(
                session=session, actor=actor, source=source, skip_invalid=skip_invalid
            ),
            check_foreign_keys=False,  # see run_import
        )
    for issue in report.issues:
        click.echo(importer.issue_line(issue, report.headers))
    if report_path:
        Path(report_path).write_bytes(importer.report_csv(report))
    if annotated_path:
        Path(annotated_path).write_bytes(importer.annotated_copy(source, report))
    if report.refused:
        _fail(f"{report.summary()} (--skip-invalid imports them alone)", 1)
    click.echo(report.summary())


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), help="[default: from -o]")
@click.option("-o", "--output", required=True, metavar="FILE", help="Where to write it")
@pass_context
@friendly_errors
@requires(OPEN, "write_a_template")
def template(ctx: Context, fmt: str | None, output: str) -> None:
    """Write a blank import template; XLSX adds a data dictionary and drop-down lists.

    \b
    Example:
        xchange template --format xlsx -o exchanges-template.xlsx
    """
    from xchange.exports import exchanges as export

    kind = _file_format(fmt, output)
    if kind == "csv":
        data = export.template_csv()
    else:
        try:
            ctx.authorise(READER, "list_partnerships")  # the list is the register's
            with db.read_session(ctx.engine) as session:
                from xchange.programme.partnerships import list_partnerships

                acronyms = [p.acronym for p in list_partnerships(session)]
        except PermissionDenied:
            raise
        except (OperationalError, ProgrammingError, XchangeError):
            acronyms = []  # no database yet: a template without the partnership list
        data = export.template_xlsx(acronyms)
    _replace_file(output, data)
    click.echo(f"Wrote the {kind.upper()} template to {output}")


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), help="[default: from -o]")
@click.option("-o", "--output", required=True, metavar="FILE", help="Where to write it")
@click.option("--partnership", "acronym", metavar="ACRONYM", help="One partnership's exchanges")
@click.option("--from", "date_from", type=DAY, help="End date on or after, 2026-01-01")
@click.option("--to", "date_to", type=DAY, help="End date on or before, 2026-12-31")
@pass_context
@friendly_errors
@requires(READER, "export")
def export(
    ctx: Context,
    fmt: str | None,
    output: str,
    acronym: str | None,
    date_from: date | None,
    date_to: date | None,
) -> None:
    """Export exchanges as CSV or XLSX in the import columns, plus each record's version.

    Dates filter on the end date. An existing file is replaced. Officers get a pseudonym for
    each representative, never the name.

    \b
    Example:
        xchange export --format xlsx -o gtex-2026.xlsx --partnership GTEX \\
            --from 2026-01-01 --to 2026-12-31
    """
    from xchange.exports import exchanges as exporting

    if date_from and date_to and date_to < date_from:
        raise click.BadParameter(f"--to {date_to} is before --from {date_from}")
    kind = _file_format(fmt, output)
    with db.read_session(ctx.engine) as session:
        frame = exporting.export_frame(
            session=session,
            actor=ctx.actor(session),
            partnership=acronym,
            date_from=date_from,
            date_to=date_to,
        )
    data = exporting.frame_csv(frame) if kind == "csv" else exporting.frame_xlsx(frame)
    _replace_file(output, data)
    click.echo(f"Exported {len(frame):,} exchanges to {output}")


def _file_format(fmt: str | None, output: str) -> str:
    """csv or xlsx: as asked, else from the file name, else csv."""
    return fmt or ("xlsx" if output.lower().endswith((".xlsx", ".xlsm")) else "csv")


def _replace_file(output: str, data: bytes) -> None:
    """Write `data` to `output` whole: a reader never sees half a file, an old one is replaced."""
    import os
    import tempfile
    from pathlib import Path

    target = Path(output)
    handle, temporary = tempfile.mkstemp(dir=target.parent or ".", prefix=f".{target.name}.")
    umask = os.umask(0)
    os.umask(umask)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, 0o666 & ~umask)  # mkstemp's 0600 would hide the file from others
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# --- backups, personal data and the audit trail ---------------------------------------------


@cli.command()
@click.option("-o", "--output", required=True, metavar="FILE", help="Where to write the archive")
@pass_context
@friendly_errors
@requires(ADMIN, "back_up_the_register")
def backup(ctx: Context, output: str) -> None:
    """Write a portable archive of every table (zip of JSON lines and a manifest; admins only).

    The archive restores into an empty database of either kind (SQLite or PostgreSQL).

    \b
    Example:
        xchange backup -o xchange-2026-03-31.zip
    """
    from xchange.db import backup as backups

    manifest = backups.backup_to_file(ctx.engine, output)
    rows = manifest.rows()
    click.echo(
        f"Wrote {output}: {sum(rows.values()):,} rows in {len(rows)} tables, "
        f"{rows.get('exchange', 0):,} exchanges (schema {manifest.schema_revision})"
    )


@cli.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@pass_context
@friendly_errors
@requires(ADMIN, "restore_a_backup")
def restore(ctx: Context, file: str) -> None:
    """Load a backup into an empty database (`xchange init` it first): all or nothing; admins only.

    \b
    Example:
        xchange --db postgresql://xchange@db/xchange init
        xchange --db postgresql://xchange@db/xchange restore xchange-2026-03-31.zip
    """
    from xchange.db import backup as backups

    manifest = ctx.retrying(lambda engine: backups.restore_file(engine, file))
    rows = manifest.rows()
    click.echo(
        f"Restored {sum(rows.values()):,} rows in {len(rows)} tables, "
        f"{rows.get('exchange', 0):,} exchanges, from {file}; KPI summaries rebuilt"
    )


@cli.command("erase-person")
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


@cli.command("audit")
@click.option("--from", "date_from", required=True, type=DAY, help="First day, 2026-01-01")
@click.option("--to", "date_to", required=True, type=DAY, help="Last day, 2026-03-31")
@click.option("-o", "--output", metavar="FILE", help="Write CSV here [default: standard output]")
@pass_context
@friendly_errors
@requires(ADMIN, "export_audit")
def audit_export(ctx: Context, date_from: date, date_to: date, output: str | None) -> None:
    """Export the audit trail of a period (UTC days, inclusive) as CSV.

    Columns: at, actor, entity, entity_id, action, changes (JSON). Administrators only.

    \b
    Example:
        xchange audit --from 2026-01-01 --to 2026-03-31 -o audit-2026Q1.csv
    """
    from xchange.exports import audit

    with db.read_session(ctx.engine) as session:
        events = audit.events_between(
            session=session, actor=ctx.actor(session), date_from=date_from, date_to=date_to
        )
    data = audit.audit_csv(events)
    if output:
        _replace_file(output, data)
        click.echo(f"Wrote {len(events):,} audit events to {output}")
    else:
        click.echo(data.decode("utf-8-sig"), nl=False)


@cli.command()
@click.option("--quarter", required=True, type=QUARTER, help="The quarter to report, 2026Q3")
@click.option("--partnership", "acronym", metavar="ACRONYM", help="One partnership's pack")
@click.option(
    "-o", "--output", "directory", required=True, metavar="DIR", help="Where to write the pack"
)
@pass_context
@friendly_errors
@requires(READER, "build_a_report_pack")
def report(ctx: Context, quarter: str, acronym: str | None, directory: str) -> None:
    """Write the quarterly KPI pack: charts (PNG, SVG, PDF), data.xlsx and report.pdf.

    Figures as of the quarter's last day (today while it runs), for the programme or one
    partnership. Files already in DIR are replaced. Without Chromium the charts are left out,
    a warning says so and the data files are still written.

    \b
    Example:
        xchange report --quarter 2026Q3 -o packs/2026Q3
    """
    from pathlib import Path

    from xchange.pack import build as pack

    with db.read_session(ctx.engine) as session:
        result = pack.build_pack(
            session=session,
            actor=ctx.actor(session),
            quarter=quarter,
            partnership=acronym,
            directory=Path(directory),
        )
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"Wrote {len(result.files)} files to {directory}:")
    for path in result.files:
        click.echo(f"  {path.relative_to(result.directory).as_posix()}")


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="xchange")
