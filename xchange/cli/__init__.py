"""The `xchange` command: set up the register, manage partnerships and users, load demo data, KPIs.

Errors reach the user as one line on stderr and a non-zero exit code, never a traceback:
1 for refused input or a failed rule, 3 for a refused permission, 2 for a usage error (click).

Every command declares who may run it (`requires`) and is checked before it starts; the package
functions it calls then scope what it reads and writes, as for the pages.

Each command lives in its own module here, imported only when that command runs, so
`xchange --help` imports click alone (see `lazy`). A new command is one module and one line in
`COMMANDS`: its name, where it is, and the first line of its help.
"""

from __future__ import annotations

import click

from xchange.cli.lazy import LazyGroup
from xchange.cli.rules import ADMIN, OPEN, READER

__all__ = ["ADMIN", "COMMANDS", "OPEN", "READER", "cli", "main"]

COMMANDS: dict[str, tuple[str, str]] = {
    "audit": (
        "xchange.cli.audit:audit_export",
        "Export the audit trail of a period (UTC days, inclusive) as CSV.",
    ),
    "backup": (
        "xchange.cli.backup:backup",
        "Write a portable archive of every table (zip of JSON lines and a manifest; admins only).",
    ),
    "demo": (
        "xchange.cli.demo:demo",
        "Fill an empty register with deterministic demo data and demo accounts (admins only).",
    ),
    "erase-person": (
        "xchange.cli.erase_person:erase_person",
        "Erase a representative's personal data (exact name; admins only); exchanges and KPIs stay.",
    ),
    "export": (
        "xchange.cli.export:export",
        "Export exchanges as CSV or XLSX in the import columns, plus each record's version.",
    ),
    "import": (
        "xchange.cli.importing:import_file",
        "Import exchanges from CSV or a workbook: all or nothing, re-import updates, an import undoes.",
    ),
    "init": (
        "xchange.cli.init:init",
        "Create the database, or upgrade its schema to the newest version.",
    ),
    "kpi": (
        "xchange.cli.kpi:kpi",
        "Headline KPIs: exchanges counted against the target, SME and beyond-community shares.",
    ),
    "exchange": (
        "xchange.cli.exchange:exchange",
        "Show one exchange with its history; cancel, complete or pay it.",
    ),
    "partnership": (
        "xchange.cli.partnership:partnership",
        "Add, list, show and change partnerships: terms, rates, periods, target path.",
    ),
    "quarter": (
        "xchange.cli.quarter:quarter",
        "Submit, approve, return, reopen and list quarter reports; an approved quarter is locked.",
    ),
    "report": (
        "xchange.cli.report:report",
        "Write the quarterly KPI pack: charts (PNG, SVG, PDF), data.xlsx and report.pdf.",
    ),
    "restore": (
        "xchange.cli.restore:restore",
        "Load a backup into an empty database (`xchange init` it first): all or nothing; admins only.",
    ),
    "settings": (
        "xchange.cli.settings:settings",
        "Show and change the programme settings and eligible countries (changes: admins only).",
    ),
    "snapshot": (
        "xchange.cli.snapshot:snapshot",
        "Store a closed quarter's figures as reported, or compare stored quarters with now.",
    ),
    "template": (
        "xchange.cli.template:template",
        "Write a blank import template; XLSX adds a data dictionary and drop-down lists.",
    ),
    "token": (
        "xchange.cli.token:token",
        "Personal API tokens: create (shown once), list and revoke.",
    ),
    "user": (
        "xchange.cli.user:user",
        "List, add and change user accounts: role, partnerships, access, password.",
    ),
}


@click.group(
    cls=LazyGroup,
    lazy=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "--db",
    "url",
    envvar="XCHANGE_DATABASE_URL",
    metavar="URL",
    help="SQLAlchemy database URL [default: $XCHANGE_DATABASE_URL or data/xchange.db]",
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
    from xchange.cli.context import Context  # a command runs: the database layer is needed

    ctx.obj = Context(url, user_email)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="xchange")
