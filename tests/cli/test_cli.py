"""The `xchange` command end to end, through click, each test on a database of its own.

Commands run on SQLite; the key ones also on PostgreSQL (the `url` fixture follows `engine`).
Errors must reach the user as one line on stderr with the documented exit code (1 refused input,
2 usage, 3 permission), never as a traceback. Commands are written as a user types them.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import click
import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result
from sqlalchemy.engine import Engine
from sqlmodel import func, select

from xchange.accounts import auth
from xchange.cli import cli
from xchange.config import PROJECT_ROOT
from xchange.db import engine as db
from xchange.models import AuditEvent, Exchange, Partnership, Programme, User, UserPartnership
from xchange.register.service import ExchangeIn, create_exchange

TODAY = date(2026, 11, 25)
PASSWORD = "a long enough passphrase 7"
ADD_GTEX = (
    'partnership add GTEX --name "Green Textiles Partnership" --start 2026-01-01 --end 2027-12-31'
)
ADD_AGRI = "partnership add AGRI --name Agri-food --start 2026-02-01 --end 2027-07-31 --target 40"
ADD_ANNA = "user add anna@cluster.eu --role coordinator --partnership GTEX --password-stdin"
KPI_KEYS = {
    "as_of",
    "scope",
    "counted",
    "target",
    "progress",
    "involving_sme",
    "sme_share",
    "sme_target",
    "beyond_community",
    "beyond_share",
    "beyond_target",
    "pipeline",
    "cancelled",
    "virtual",
    "definitions",
    "reading",
    "history_incomplete_before",
}


@pytest.fixture(autouse=True)
def cheap_hashing() -> Iterator[None]:
    auth.configure_hasher(time_cost=1, memory_cost=8 * 1024)
    yield
    auth.configure_hasher()


@pytest.fixture
def url(engine: Engine) -> str:
    """A URL for `--db`: SQLite, then PostgreSQL (the `engine` fixture's database)."""
    return engine.url.render_as_string(hide_password=False)


def xc(url: str, command: str, *, user: str | None = None, stdin: str | None = None) -> Result:
    """`xchange --db URL [--user EMAIL] COMMAND`, COMMAND split as a shell would."""
    options = ["--db", url, *(["--user", user] if user else [])]
    return CliRunner().invoke(
        cli, [*options, *shlex.split(command)], input=stdin, prog_name="xchange"
    )


def ok(result: Result) -> str:
    """The command's standard output, once it is known to have succeeded."""
    assert result.exit_code == 0, (result.output, result.exception)
    return result.stdout


def refused(result: Result, code: int) -> str:
    """The one error line of a refused command (exit code `code`, no traceback)."""
    assert result.exit_code == code, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # not an uncaught error
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def count(engine: Engine, model: Any) -> int:
    with db.read_session(engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


# --- init ------------------------------------------------------------------------------------


def head_revision() -> str:
    """The newest migration's revision: what `init` brings a database to."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(db.alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def test_init_creates_a_database_and_is_idempotent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new' / 'xchange.db'}"  # not even the directory exists yet
    first = ok(xc(url, "init"))
    second = ok(xc(url, "init"))
    assert first == second == f"Database ready at schema version {head_revision()}: {url}\n"
    engine = db.make_engine(url)
    try:
        assert db.current_revision(engine) == head_revision()
        assert count(engine, Programme) == 1  # seeded once, not once per run
        assert count(engine, User) == 1  # the local administrator
    finally:
        engine.dispose()


def test_init_on_a_migrated_database(url: str, engine: Engine) -> None:
    assert ok(xc(url, "init")).startswith(f"Database ready at schema version {head_revision()}: ")
    assert count(engine, Programme) == 1


# --- partnerships ----------------------------------------------------------------------------


def test_partnership_add_and_duplicates(url: str, engine: Engine) -> None:
    assert ok(xc(url, f"{ADD_GTEX} --target 120")) == (
        "Added partnership GTEX: Green Textiles Partnership, 2026-01-01 to 2027-12-31, "
        "target 120 exchanges\n"
    )
    # The acronym is unique whatever its case.
    for acronym in ("GTEX", "gtex"):
        again = f"partnership add {acronym} --name Again --start 2026-01-01 --end 2026-12-31"
        assert refused(xc(url, again), 1) == f"error: Partnership {acronym} already exists"
    assert count(engine, Partnership) == 1


def test_partnership_add_refuses_inconsistent_settings(sqlite_url: str) -> None:
    backwards = "partnership add X --name X --start 2027-01-01 --end 2026-01-01"
    assert "before it starts" in refused(xc(sqlite_url, backwards), 1)
    # A target below 1 is a usage error, refused by click before anything runs.
    result = xc(sqlite_url, f"{ADD_GTEX} --target 0")
    assert result.exit_code == 2
    assert "Usage: xchange partnership add" in result.stderr


def test_partnership_list(sqlite_url: str) -> None:
    assert ok(xc(sqlite_url, "partnership list")) == (
        "No partnerships yet: add one with `xchange partnership add`.\n"
    )
    assert json.loads(ok(xc(sqlite_url, "partnership list --json"))) == []
    ok(xc(sqlite_url, ADD_GTEX))
    ok(xc(sqlite_url, ADD_AGRI.replace("AGRI", "agri")))

    header, rule, *rows = ok(xc(sqlite_url, "partnership list")).splitlines()
    assert header.split() == ["acronym", "name", "action", "start", "action", "end", "target"]
    assert set(rule) == {"-", " "}
    assert [row.split() for row in rows] == [  # by acronym, whatever its case
        ["agri", "Agri-food", "2026-02-01", "2027-07-31", "40"],
        ["GTEX", "Green", "Textiles", "Partnership", "2026-01-01", "2027-12-31", "100"],
    ]
    assert json.loads(ok(xc(sqlite_url, "partnership list --json"))) == [
        {
            "acronym": "agri",
            "name": "Agri-food",
            "action_start": "2026-02-01",
            "action_end": "2027-07-31",
            "target": 40,
        },
        {
            "acronym": "GTEX",
            "name": "Green Textiles Partnership",
            "action_start": "2026-01-01",
            "action_end": "2027-12-31",
            "target": 100,
        },
    ]


# --- users -----------------------------------------------------------------------------------


def test_user_add_coordinator_with_password_from_stdin(url: str, engine: Engine) -> None:
    ok(xc(url, ADD_GTEX))
    result = xc(url, ADD_ANNA.replace("anna@", "Anna@"), stdin=PASSWORD + "\n")
    assert ok(result) == "Added coordinator anna@cluster.eu for GTEX\n"
    assert PASSWORD not in result.output
    with db.read_session(engine) as session:
        anna = auth.user_by_email(session=session, email="anna@cluster.eu")
        assert anna is not None and anna.password_hash is not None
        assert auth.verify_password(anna.password_hash, PASSWORD)  # without the newline
        links = session.exec(select(UserPartnership).where(UserPartnership.user_id == anna.id))
        assert len(links.all()) == 1
        for event in session.exec(select(AuditEvent)).all():
            assert PASSWORD not in json.dumps(event.changes)


def test_user_add_asks_for_the_password_without_echoing_it(sqlite_url: str) -> None:
    result = xc(
        sqlite_url, "user add officer@ec.europa.eu --role officer", stdin=f"{PASSWORD}\n" * 2
    )
    assert ok(result).endswith("Added officer officer@ec.europa.eu\n")
    assert "Password" in result.output
    assert PASSWORD not in result.output


@pytest.mark.parametrize(
    ("command", "password", "message"),
    [
        (ADD_ANNA.replace("GTEX", "NOPE"), PASSWORD, "error: Unknown partnership: NOPE."),
        (
            "user add anna@cluster.eu --role coordinator --password-stdin",
            PASSWORD,
            "error: A coordinator needs at least one partnership.",
        ),
        (
            "user add bob@cluster.eu --role officer --password-stdin",
            "seventeen",
            "error: A password needs at least 10 characters.",
        ),
        (
            "user add bob@cluster.eu --role officer --password-stdin",
            "BOB@cluster.eu",
            "error: A password may not be the email address.",
        ),
        (
            "user add nobody --role officer --password-stdin",
            PASSWORD,
            "error: nobody is not an email address.",
        ),
    ],
)
def test_user_add_refusals(
    sqlite_url: str, sqlite_engine: Engine, command: str, password: str, message: str
) -> None:
    ok(xc(sqlite_url, ADD_GTEX))
    result = xc(sqlite_url, command, stdin=password + "\n")
    assert refused(result, 1) == message
    assert password not in result.output.replace(message, "")
    assert count(sqlite_engine, User) == 1  # the local administrator only


def test_user_add_refuses_a_taken_email(url: str, engine: Engine) -> None:
    ok(xc(url, ADD_GTEX))
    ok(xc(url, ADD_ANNA, stdin=PASSWORD))
    taken = xc(url, ADD_ANNA.replace("anna@", "ANNA@"), stdin=PASSWORD)
    assert refused(taken, 1) == "error: There is already a user with the email anna@cluster.eu."
    assert count(engine, User) == 2


def test_acting_as_a_coordinator(url: str, engine: Engine) -> None:
    ok(xc(url, ADD_GTEX))
    ok(xc(url, ADD_ANNA, stdin=PASSWORD))
    line = refused(xc(url, ADD_AGRI, user="anna@cluster.eu"), 3)
    assert line == (
        "error: Permission denied: anna@cluster.eu may not add partnership: "
        "only administrators may."
    )
    assert count(engine, Partnership) == 1
    with db.read_session(engine) as session:  # the refusal is on record
        refusals = session.exec(select(AuditEvent).where(AuditEvent.action == "refused")).all()
        assert [event.actor_label for event in refusals] == ["anna@cluster.eu"]
    adding = xc(url, "user add b@x.eu --role officer --password-stdin", user="anna@cluster.eu")
    assert refused(adding, 3).startswith("error: Permission denied: ")
    # Reading is open to a coordinator (the email in any case).
    assert json.loads(ok(xc(url, "kpi --json", user="ANNA@cluster.eu")))["counted"] == 0


def test_unknown_user_is_refused(sqlite_url: str) -> None:
    """A refused permission (exit 3), like any other; tests/cli/test_cli_permissions.py has more."""
    assert refused(xc(sqlite_url, ADD_GTEX, user="nobody@x.eu"), 3) == (
        "error: Permission denied: There is no user nobody@x.eu: add one with `xchange user add`"
    )


# --- KPIs ------------------------------------------------------------------------------------

BASE: dict[str, Any] = {
    "partnership": "GTEX",
    "status": "completed",
    "start_date": date(2026, 3, 2),
    "end_date": date(2026, 3, 6),
    "visitor_type": "cluster organisation",
    "visitor_country": "DE",
    "visitor_is_sme": False,
    "visitor_community": "partner",
    "host_organisation": "Host Cluster",
    "host_type": "cluster organisation",
    "host_country": "FR",
    "host_is_sme": False,
    "host_community": "partner",
}
EXCHANGES: list[dict[str, Any]] = [
    # GTEX: counted, an SME visitor with an external host (beyond the community)
    {"visitor_is_sme": True, "visitor_type": "SME", "host_community": "external"},
    # GTEX: counted, partner to partner, ended in September
    {"start_date": date(2026, 9, 7), "end_date": date(2026, 9, 11)},
    # GTEX: completed virtual stay, counted apart
    {"modality": "virtual"},
    # GTEX: pipeline
    {"status": "planned", "start_date": date(2027, 1, 11), "end_date": date(2027, 1, 15)},
    # GTEX: attrition
    {"status": "cancelled", "cancellation_reason": "Strike"},
    # AGRI: counted, member to member (not beyond the community in the broad reading)
    {"partnership": "AGRI", "visitor_community": "member", "host_community": "member"},
]


@pytest.fixture
def register(url: str, engine: Engine) -> str:
    """`url`, holding GTEX (target 100) and AGRI (target 40), made with the CLI, and EXCHANGES."""
    ok(xc(url, ADD_GTEX))
    ok(xc(url, ADD_AGRI))
    with db.write_session(engine) as session:
        admin = session.exec(select(User).where(User.email == db.LOCAL_ADMIN_EMAIL)).one()
        for n, spec in enumerate(EXCHANGES, start=1):
            values = {**BASE, "reference": f"R{n}", "visitor_organisation": f"Visitor {n}", **spec}
            create_exchange(session=session, actor=admin, data=ExchangeIn(**values), today=TODAY)
    return url


def kpi_json(url: str, options: str) -> dict[str, Any]:
    figures: dict[str, Any] = json.loads(ok(xc(url, f"kpi --json {options}")))
    assert set(figures) == KPI_KEYS
    return figures


def test_kpi_json_for_the_programme(register: str) -> None:
    assert kpi_json(register, "--as-of 2026-11-25") == {
        "as_of": "2026-11-25",
        "scope": "programme",
        "counted": 3,
        "target": 1000,
        "progress": 0.003,
        "involving_sme": 1,
        "sme_share": 1 / 3,
        "sme_target": 0.5,
        "beyond_community": 1,
        "beyond_share": 1 / 3,
        "beyond_target": 0.25,
        "pipeline": 1,
        "cancelled": 1,
        "virtual": 1,
        "definitions": {"beyond_reading": "broad", "count_virtual": False},
        "reading": "as known now",
        "history_incomplete_before": None,
    }


def test_kpi_json_for_a_partnership_and_as_of(register: str) -> None:
    gtex = kpi_json(register, "--partnership gtex --as-of 2026-11-25")
    assert gtex == {
        **gtex,
        "scope": "GTEX",
        "counted": 2,
        "target": 100,
        "progress": 0.02,
        "involving_sme": 1,
        "sme_share": 0.5,
        "beyond_share": 0.5,
        "pipeline": 1,
        "cancelled": 1,
        "virtual": 1,
    }
    agri = kpi_json(register, "--partnership AGRI --as-of 2026-11-25")
    assert agri == {
        **agri,
        "scope": "AGRI",
        "counted": 1,
        "target": 40,
        "progress": 0.025,
        "sme_share": 0.0,
        "beyond_share": 0.0,
        "sme_target": 0.5,  # the programme's, AGRI has none of its own
        "beyond_target": 0.25,
        "pipeline": 0,
        "cancelled": 0,
    }
    # As of 30 June the September stay has not ended; pipeline and cancelled are today's.
    june = kpi_json(register, "--partnership GTEX --as-of 2026-06-30")
    assert (june["as_of"], june["counted"], june["pipeline"], june["cancelled"]) == (
        "2026-06-30",
        1,
        1,
        1,
    )
    # Before anything ended: nothing counted, so the shares are null ("no data"), progress 0.
    early = kpi_json(register, "--as-of 2026-01-31")
    assert (early["counted"], early["progress"]) == (0, 0.0)
    assert early["sme_share"] is None and early["beyond_share"] is None


def test_kpi_table(register: str) -> None:
    lines = ok(xc(register, "kpi --as-of 2026-11-25")).splitlines()
    assert lines[0] == "programme as of 2026-11-25, as known now"
    assert lines[1].split() == ["figure", "value", "target", "progress"]
    width = lines[2].index(" ")  # the first column's rule
    assert {line[:width].strip(): line[width:].split() for line in lines[3:9]} == {
        "Exchanges counted": ["3", "1,000", "0.3", "%"],
        "Involving an SME": ["1", "50.0", "%", "33.3", "%"],
        "Beyond the community": ["1", "25.0", "%", "33.3", "%"],
        "Pipeline (planned, confirmed)": ["1"],
        "Virtual (not counted)": ["1"],
        "Cancelled": ["1"],
    }
    assert lines[9].startswith("Beyond community: the visitor or the host is external")
    # With nothing counted a share reads "no data", not 0 %.
    assert "no data" in ok(xc(register, "kpi --as-of 2026-01-31 --partnership AGRI"))


def test_kpi_as_recorded_states_its_reading_and_that_day_s_figures(
    register: str, engine: Engine
) -> None:
    """As recorded on a day before anything was logged: nothing at all, not even today's
    pipeline and cancellations; as recorded today, the register as it stands."""
    before = kpi_json(register, "--as-of 2026-01-31 --as-recorded")
    assert before["reading"] == "as recorded on 31 Jan 2026"
    assert (before["counted"], before["pipeline"], before["cancelled"]) == (0, 0, 0)
    assert kpi_json(register, "--as-of 2026-01-31")["pipeline"] == 1  # as known now: today's
    first = ok(xc(register, "kpi --as-of 2026-01-31 --as-recorded")).splitlines()[0]
    assert first == "programme as of 2026-01-31, as recorded on 31 Jan 2026"
    today = date.today().isoformat()
    now = kpi_json(register, f"--as-of {today} --as-recorded")
    known = kpi_json(register, f"--as-of {today}")
    assert {**now, "reading": None} == {**known, "reading": None}
    rows = json.loads(
        ok(xc(register, "kpi --json --as-of 2026-01-31 --as-recorded --by partnership"))
    )
    assert rows["reading"] == "as recorded on 31 Jan 2026"
    assert all(row["pipeline"] == 0 for row in rows["rows"])


def test_kpi_unknown_partnership(sqlite_url: str) -> None:
    ok(xc(sqlite_url, ADD_GTEX))
    assert refused(xc(sqlite_url, "kpi --partnership NOPE"), 1) == (
        "error: There is no partnership 'NOPE' (known: GTEX)"
    )


def test_kpi_defaults_to_today(sqlite_url: str) -> None:
    assert kpi_json(sqlite_url, "")["as_of"] == date.today().isoformat()


# --- demo data -------------------------------------------------------------------------------


def test_demo_loads_once_and_prints_its_accounts(url: str, engine: Engine) -> None:
    out = ok(xc(url, "demo --exchanges 300"))
    lines = out.splitlines()
    assert lines[0].startswith("Loaded 300 exchanges, ")
    assert lines[1] == "Demo accounts (shown once; change them before real use):"
    accounts = {email: (role, password) for role, email, password in map(str.split, lines[2:])}
    assert {email: role for email, (role, _) in accounts.items()} == {
        "admin@demo.eu": "admin",
        "officer@demo.eu": "officer",
        "coordinator@demo.eu": "coordinator",
    }
    for email, (_role, password) in accounts.items():  # the printed passwords sign in
        with db.read_session(engine) as session:
            assert auth.authenticate(session=session, email=email, password=password).email == email
    assert count(engine, Exchange) == 300

    assert refused(xc(url, "demo --exchanges 300"), 1) == (
        "error: The database already holds exchanges: demo data goes into an empty register."
    )
    assert ok(xc(url, "demo --if-empty")).startswith(
        "The register already holds exchanges: demo data not loaded."
    )
    assert count(engine, Exchange) == 300


def test_demo_is_deterministic(url: str, tmp_path: Path) -> None:
    """The same seed gives the same figures, on another database (SQLite, or PG against SQLite)."""
    other = f"sqlite:///{tmp_path / 'other.db'}"  # not even initialised: demo migrates it
    for target in (url, other):
        ok(xc(target, "demo --exchanges 300 --seed 7"))
    for options in ("--as-of 2026-11-25", "--partnership GTEX"):
        figures = kpi_json(url, options)
        assert figures["counted"] > 0
        assert kpi_json(other, options) == figures
    assert ok(xc(url, "partnership list --json")) == ok(xc(other, "partnership list --json"))


# --- usage errors and unusable databases -----------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        "kpi --as-of 2026-13-01",
        "kpi --as-of 25/11/2026",
        "partnership add X --name X --start soon --end 2026-12-31",
    ],
)
def test_bad_date_is_a_usage_error(sqlite_url: str, command: str) -> None:
    result = xc(sqlite_url, command)
    assert result.exit_code == 2
    assert result.stderr.startswith("Usage: xchange ")
    assert "is not a date like 2026-03-14" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("bad_url", "message"),
    [
        # No server listens on port 1.
        ("postgresql://postgres@127.0.0.1:1/xchange", "error: The database cannot be used: "),
        # A SQLite file below a regular file: its directory cannot be made.
        ("sqlite:///{tmp}/a-file/xchange.db", "error: The database cannot be used: "),
        ("not a url", "error: The database URL cannot be used: "),
        ("nosuchdialect://host/xchange", "error: The database URL cannot be used: "),
    ],
    ids=["server-down", "sqlite-dir-is-a-file", "malformed-url", "unknown-dialect"],
)
@pytest.mark.parametrize(
    "command",
    ["init", "kpi", "partnership list", ADD_GTEX],
    ids=["init", "kpi", "partnership-list", "partnership-add"],
)
def test_unusable_database_is_one_line(
    tmp_path: Path, bad_url: str, message: str, command: str
) -> None:
    (tmp_path / "a-file").write_text("not a directory")
    assert refused(xc(bad_url.format(tmp=tmp_path), command), 1).startswith(message)


def test_uninitialised_database_is_one_line(url: str, tmp_path: Path) -> None:
    if url.startswith("sqlite"):
        empty = f"sqlite:///{tmp_path / 'empty.db'}"
    else:  # the test server, in a schema that holds no tables
        query = {"options": "-csearch_path=xchange_no_such_schema"}
        empty = sa.make_url(url).update_query_dict(query).render_as_string(hide_password=False)
    for command in ("kpi", "partnership list", ADD_GTEX):
        line = refused(xc(empty, command), 1)
        assert line.startswith("error: The database cannot be used: ")


def test_database_url_from_the_environment(sqlite_url: str) -> None:
    result = CliRunner().invoke(
        cli, ["partnership", "list", "--json"], env={"XCHANGE_DATABASE_URL": sqlite_url}
    )
    assert json.loads(ok(result)) == []


# --- help ------------------------------------------------------------------------------------


def walk(
    group: click.Group, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    """Every command and subcommand under `group`, with the words that invoke it."""
    yield path, group
    context = click.Context(group)
    for name in group.list_commands(context):  # the lazy group imports each command here
        command = group.get_command(context, name)
        assert command is not None, name
        if isinstance(command, click.Group):
            yield from walk(command, (*path, name))
        else:
            yield (*path, name), command


COMMANDS = list(walk(cli))


def test_the_walk_finds_every_command() -> None:
    # The walk reaches nested commands too; new commands join the list without editing here.
    assert {" ".join(path) for path, _ in COMMANDS} >= {
        "",
        "demo",
        "init",
        "kpi",
        "partnership",
        "partnership add",
        "partnership list",
        "snapshot",
        "user",
        "user add",
    }


@pytest.mark.parametrize(
    ("path", "command"), COMMANDS, ids=[" ".join(("xchange", *path)) for path, _ in COMMANDS]
)
def test_every_command_has_help_ending_with_an_example(
    path: tuple[str, ...], command: click.Command
) -> None:
    assert command.help, f"xchange {' '.join(path)} has no help"
    result = CliRunner().invoke(cli, [*path, "--help"], prog_name="xchange")
    assert result.exit_code == 0
    # The description (what comes before the options) ends with an example to copy.
    description = result.stdout.split("\nOptions:")[0].rstrip()
    marker = "Examples:" if "Examples:" in description else "Example:"
    before, example = description.rsplit(marker, 1) if marker in description else ("", "")
    assert before, f"no example in:\n{description}"
    lines = [line.strip() for line in example.strip().splitlines()]
    # Each line is a command or continues the previous one (a trailing backslash).
    for previous, line in zip(["", *lines], lines, strict=False):
        if not previous.endswith("\\"):
            assert line.startswith("xchange ") or " | xchange " in line, lines
    assert not lines[-1].endswith("\\"), lines


# --- the real process ------------------------------------------------------------------------


def test_python_dash_m_xchange(sqlite_url: str) -> None:
    def xchange(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "xchange", *args],
            input=stdin,
            capture_output=True,
            text=True,
            cwd=PROJECT_ROOT,
            timeout=60,
        )

    shown = xchange("--help")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("Usage: xchange [OPTIONS] COMMAND [ARGS]...")
    assert "Example:" in shown.stdout
    # A real standard input for the password, and real exit codes.
    added = xchange(
        "--db", sqlite_url, *shlex.split("user add o@ec.europa.eu --role officer --password-stdin"),
        stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert (added.returncode, added.stdout, added.stderr) == (
        0,
        "Added officer o@ec.europa.eu\n",
        "",
    )
    bad = xchange("--db", sqlite_url, "kpi", "--as-of", "tomorrow")
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr
