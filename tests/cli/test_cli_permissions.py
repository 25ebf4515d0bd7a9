"""Who may run which `xchange` command: every command x every kind of acting user.

One table: each command with the exit code each role gets. A refusal (exit 3) is one line, is on
record in the audit trail and leaves everything as it was: no table gains or loses a row, no file
appears. The roles: an administrator, the coordinator of GTEX, the coordinator of AGRI, an officer,
an email that is no user's, a deactivated account. Every case runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import click
import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel, select

from xchange.accounts import auth
from xchange.cli import ADMIN, OPEN, READER, cli
from xchange.db import engine as db
from xchange.db.backup import backup_to_file
from xchange.models import AuditEvent, Role, User, UserPartnership
from xchange.register.service import ExchangeIn, create_exchange

ADMIN_EMAIL = "admin@x.eu"
GTEX_COORDINATOR = "anna@cluster.eu"
AGRI_COORDINATOR = "bob@agri.eu"
OFFICER = "officer@ec.europa.eu"
UNKNOWN = "nobody@x.eu"
DEACTIVATED = "gone@x.eu"
# The acting users, the administrator last: what a refused attempt leaves is then the set-up.
ROLES = {
    "gtex": GTEX_COORDINATOR,
    "agri": AGRI_COORDINATOR,
    "officer": OFFICER,
    "unknown": UNKNOWN,
    "deactivated": DEACTIVATED,
    "admin": ADMIN_EMAIL,
}
PASSWORD = "a long enough passphrase 7"
GTEX_ROW = (
    "reference,partnership,status,start_date,end_date,visitor_organisation,host_organisation,"
    "visitor_type,host_type,visitor_country,host_country,visitor_is_sme,host_is_sme,"
    "visitor_community,host_community\n"
    "G-9,GTEX,planned,2027-03-01,2027-03-05,New Visitor,Host Cluster,cluster organisation,"
    "cluster organisation,DE,FR,no,no,partner,external\n"
)


def codes(admin: int = 0, gtex: int = 3, agri: int = 3, officer: int = 3) -> dict[str, int]:
    """Exit codes by role; an unknown email and a deactivated account are always refused."""
    return {
        "admin": admin,
        "gtex": gtex,
        "agri": agri,
        "officer": officer,
        "unknown": 3,
        "deactivated": 3,
    }


ADMINS_ONLY = codes()
EVERY_USER = codes(gtex=0, agri=0, officer=0)

# command (placeholders: {out} a fresh output path, {backup} an archive, {file} a GTEX row,
# {settings} a settings file, {role} the acting user's name here),
# then each role's exit code.
CASES: list[tuple[str, dict[str, int]]] = [
    # Administrators only: the whole register, personal data and password hashes included.
    ("backup -o {out}.zip", ADMINS_ONLY),
    ("restore {backup}", codes(admin=1)),  # the admin's is refused: the database is not empty
    ("demo --exchanges 5 --if-empty", ADMINS_ONLY),
    ("audit --from 2026-01-01 --to 2026-12-31 -o {out}.csv", ADMINS_ONLY),
    ('erase-person "Jane Doe"', ADMINS_ONLY),
    ("partnership add NEWP --name New --start 2026-01-01 --end 2027-12-31", ADMINS_ONLY),
    ("user add new@x.eu --role officer --password-stdin", ADMINS_ONLY),
    ("snapshot --quarter 2026Q1", ADMINS_ONLY),
    # The Administration page's jobs: administrators only, as the page.
    ("settings show --json", ADMINS_ONLY),
    ("settings set target-exchanges 900 count-virtual yes", ADMINS_ONLY),
    ("settings eligible-country add NO --from 2027-01-01", ADMINS_ONLY),
    ("settings eligible-country end GR --to 2030-12-31", ADMINS_ONLY),
    ("settings apply {settings}", ADMINS_ONLY),
    ("partnership edit GTEX --target 120 --rate FR=900", ADMINS_ONLY),
    ("user list --json", ADMINS_ONLY),
    (f"user edit {GTEX_COORDINATOR} --partnership GTEX --partnership AGRI", ADMINS_ONLY),
    (f"user deactivate {AGRI_COORDINATOR}", ADMINS_ONLY),
    (f"user activate {DEACTIVATED}", ADMINS_ONLY),
    (f"user reset-password {OFFICER} --password-stdin", ADMINS_ONLY),
    # Quarter reports: coordinators submit their own (the admin's comes second: submitted
    # already), officers and administrators decide (nothing is submitted here: exit 1), only
    # administrators reopen.
    ("quarter submit --partnership GTEX --quarter 2026Q1", codes(admin=1, gtex=0)),
    ("quarter approve --partnership GTEX --quarter 2026Q1", codes(admin=1, officer=1)),
    ("quarter return --partnership GTEX --quarter 2026Q1 --reason x", codes(admin=1, officer=1)),
    ("quarter reopen --partnership GTEX --quarter 2026Q1 --reason x", codes(admin=1)),
    ("quarter list", EVERY_USER),
    # KPI figures, the programme's and every partnership's: every active user.
    ("kpi --json", EVERY_USER),
    ("kpi --partnership AGRI --by country --json", EVERY_USER),
    ("report --quarter 2026Q1 -o {out}", EVERY_USER),
    ("report --quarter 2026Q1 --partnership AGRI -o {out}", EVERY_USER),
    ("snapshot --quarter 2026Q1 --compare", EVERY_USER),
    ("partnership list --json", EVERY_USER),
    ("partnership show AGRI --json", EVERY_USER),
    ("template -o {out}.xlsx", EVERY_USER),  # it lists the partnerships
    # Records: as the pages scope them.
    ("export -o {out}.csv", EVERY_USER),  # each their own (tested below)
    ("export -o {out}.csv --partnership AGRI", codes(gtex=3, agri=0, officer=0)),
    ("import {file} --dry-run", codes(gtex=0, agri=1)),  # AGRI's: an error on the GTEX row
    ("import {file}", codes(gtex=0, agri=1)),
    ("exchange show --partnership GTEX --reference GTEX-1 --json", codes(gtex=0, officer=0)),
    ("exchange cancel --partnership GTEX --reference GTEX-1 --reason Withdrawn", codes(gtex=0)),
    (
        "exchange complete --partnership AGRI --reference AGRI-1 --validated-on 2026-04-01",
        codes(agri=0),
    ),
    (
        "exchange pay --partnership GTEX --reference GTEX-1 --amount 1100 --date 2026-04-02",
        codes(gtex=0),
    ),
    # API tokens: each their own, administrators anyone's ({role}: a name per acting user).
    ("token create --name own-{role}", EVERY_USER),
    (f"token create --owner {GTEX_COORDINATOR} --name by-{{role}}", codes(gtex=0)),
    ("token list", EVERY_USER),
    # AGRI's coordinator and the administrator may revoke it, but it does not exist (exit 1).
    (f"token revoke --owner {AGRI_COORDINATOR} --name none", codes(admin=1, agri=1)),
    # Nothing to guard: a blank template, the schema.
    ("template -o {out}.csv", {role: 0 for role in ROLES}),
    ("init", {role: 0 for role in ROLES}),
]

# Refused reads of records are not on record, on the pages as here (`access.require_read`): the
# audit trail is about changes, and attempts to change or to act without an account.
UNRECORDED = {
    ("export -o {out}.csv --partnership AGRI", "gtex"),
    ("exchange show --partnership GTEX --reference GTEX-1 --json", "agri"),
}


@pytest.fixture(autouse=True)
def cheap_hashing_no_browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("XCHANGE_CHROMIUM", "/nonexistent/chromium")  # packs without charts
    auth.configure_hasher(time_cost=1, memory_cost=8 * 1024)
    yield
    auth.configure_hasher()


@dataclass
class Register:
    """GTEX and AGRI with one exchange each (AGRI's representative is Jane Doe), the users."""

    engine: Engine
    url: str
    tmp: Path
    backup: Path = field(init=False)


def xc(url: str, command: str, *, user: str | None = None, stdin: str | None = None) -> Result:
    options = ["--db", url, *(["--user", user] if user else [])]
    return CliRunner().invoke(
        cli, [*options, *shlex.split(command)], input=stdin, prog_name="xchange"
    )


@pytest.fixture
def register(engine: Engine, tmp_path: Path) -> Register:
    url = engine.url.render_as_string(hide_password=False)
    for acronym in ("GTEX", "AGRI"):
        add = f"partnership add {acronym} --name {acronym} --start 2026-01-01 --end 2027-12-31"
        assert xc(url, add).exit_code == 0
    with db.write_session(engine) as session:
        local = session.exec(select(User).where(User.email == db.LOCAL_ADMIN_EMAIL)).one()
        for email, role, active in (
            (ADMIN_EMAIL, Role.ADMIN, True),
            (GTEX_COORDINATOR, Role.COORDINATOR, True),
            (AGRI_COORDINATOR, Role.COORDINATOR, True),
            (OFFICER, Role.OFFICER, True),
            (DEACTIVATED, Role.ADMIN, False),  # an administrator once: the flag decides
        ):
            session.add(User(email=email, role=role.value, active=active))
        session.flush()
        ids = {u.email: u.id for u in session.exec(select(User)).all()}
        session.add(UserPartnership(user_id=ids[GTEX_COORDINATOR] or 0, partnership_id=1))
        session.add(UserPartnership(user_id=ids[AGRI_COORDINATOR] or 0, partnership_id=2))
        session.add(UserPartnership(user_id=ids[DEACTIVATED] or 0, partnership_id=1))
        for n, acronym in enumerate(("GTEX", "AGRI"), start=1):
            create_exchange(
                session=session,
                actor=local,
                data=ExchangeIn(
                    reference=f"{acronym}-1",
                    partnership=acronym,
                    status="completed",
                    start_date=date(2026, 3, 2),
                    end_date=date(2026, 3, 6),
                    visitor_organisation=f"Visitor {n}",
                    visitor_type="cluster organisation",
                    visitor_country="DE",
                    visitor_is_sme=False,
                    visitor_community="partner",
                    host_organisation="Host Cluster",
                    host_type="cluster organisation",
                    host_country="FR",
                    host_is_sme=True,
                    host_community="external",
                    representative="Jane Doe" if acronym == "AGRI" else None,
                ),
                today=date(2026, 11, 25),
            )
    made = Register(engine, url, tmp_path)
    made.backup = tmp_path / "archive.zip"
    backup_to_file(engine, made.backup)
    (tmp_path / "gtex.csv").write_text(GTEX_ROW)
    (tmp_path / "settings.json").write_text('{"settings": {"target_exchanges": 900}}')
    return made


def fingerprint(register: Register) -> tuple[dict[str, int], list[str]]:
    """Rows per table (refusals on record left out) and the files under the test's folder."""
    counts: dict[str, int] = {}
    with register.engine.connect() as connection:
        for name, table in SQLModel.metadata.tables.items():
            query = sa.select(sa.func.count()).select_from(table)
            if name == "audit_event":
                query = query.where(table.c.action != "refused")
            counts[name] = connection.execute(query).scalar_one()
    files = sorted(p.relative_to(register.tmp).as_posix() for p in register.tmp.rglob("*"))
    return counts, files


def refusals(engine: Engine) -> list[AuditEvent]:
    with db.read_session(engine) as session:
        found = session.exec(select(AuditEvent).where(AuditEvent.action == "refused"))
        return list(found.all())


@pytest.mark.parametrize(("command", "expected"), CASES, ids=[c for c, _ in CASES])
def test_each_role_runs_or_is_refused(
    register: Register, command: str, expected: dict[str, int]
) -> None:
    for role, email in ROLES.items():
        filled = command.format(
            role=role,
            out=register.tmp / f"out-{role}",
            backup=register.backup,
            file=register.tmp / "gtex.csv",
            settings=register.tmp / "settings.json",
        )
        before, on_record = fingerprint(register), len(refusals(register.engine))
        result = xc(register.url, filled, user=email, stdin=f"{PASSWORD}\n")
        assert result.exit_code == expected[role], (role, result.output, result.exception)
        assert "Traceback" not in result.output
        if expected[role] != 3:
            continue
        assert isinstance(result.exception, SystemExit), result.exception
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: Permission denied: "), lines
        assert fingerprint(register) == before, role  # nothing written, no file left
        recorded = refusals(register.engine)[on_record:]
        if (command, role) in UNRECORDED:
            assert recorded == []
            continue
        assert len(recorded) == 1, role
        # An email that is no user's is never stored as typed.
        assert recorded[0].actor_label == ("unknown email" if role == "unknown" else email)


def test_the_refusals_say_why_in_one_line(register: Register) -> None:
    def line(command: str, user: str) -> str:
        result = xc(register.url, command, user=user)
        assert result.exit_code == 3
        return result.stderr.strip()

    out = register.tmp / "b.zip"
    assert line(f"backup -o {out}", OFFICER) == (
        f"error: Permission denied: {OFFICER} may not back up the register: "
        "only administrators may."
    )
    assert line("demo", GTEX_COORDINATOR) == (
        f"error: Permission denied: {GTEX_COORDINATOR} may not load demo data: "
        "only administrators may."
    )
    assert line("kpi", "NoBody@X.eu ") == (
        f"error: Permission denied: There is no user {UNKNOWN}: add one with `xchange user add`"
    )
    assert (
        line("kpi", DEACTIVATED) == f"error: Permission denied: User {DEACTIVATED} is deactivated"
    )
    assert [(e.entity, e.changes) for e in refusals(register.engine)] == [
        ("command", {"attempted": "back_up_the_register"}),
        ("command", {"attempted": "load_demo_data"}),
        ("command", {"attempted": "read_kpis"}),
        ("command", {"attempted": "read_kpis"}),
    ]


def test_demo_into_an_empty_register_is_for_administrators(engine: Engine, tmp_path: Path) -> None:
    """The issue's case: an officer or an unknown email loaded demo data with new admin accounts."""
    url = engine.url.render_as_string(hide_password=False)
    with db.write_session(engine) as session:
        session.add(User(email=OFFICER, role=Role.OFFICER.value))
    for user in (OFFICER, UNKNOWN):
        assert xc(url, "demo --exchanges 20", user=user).exit_code == 3
        with db.read_session(engine) as session:
            emails = {u.email for u in session.exec(select(User)).all()}
        assert emails == {db.LOCAL_ADMIN_EMAIL, OFFICER}  # no demo account, no demo row
        assert fingerprint(Register(engine, url, tmp_path))[0]["exchange"] == 0
    assert xc(url, "demo --exchanges 20").exit_code == 0  # the local administrator may


def test_export_holds_only_the_readers_records(register: Register) -> None:
    for email, references in (
        (GTEX_COORDINATOR, ["GTEX-1"]),
        (AGRI_COORDINATOR, ["AGRI-1"]),
        (OFFICER, ["AGRI-1", "GTEX-1"]),
    ):
        out = register.tmp / f"{email}.csv"
        assert xc(register.url, f"export -o {out}", user=email).exit_code == 0
        text = out.read_text(encoding="utf-8-sig")
        assert sorted(line.split(",")[0] for line in text.splitlines()[1:]) == references
        assert ("Jane Doe" in text) == (email == AGRI_COORDINATOR)  # officers: pseudonyms


def test_every_command_declares_who_may_run_it() -> None:
    """...and is in the table above, so that a new command cannot skip either."""
    from tests.cli.test_cli import COMMANDS

    tried = [shlex.split(command) for command, _ in CASES]
    for path, command in COMMANDS:
        if isinstance(command, click.Group):
            continue
        rule = getattr(command.callback, "permission", None)
        assert rule in (ADMIN, READER, OPEN), f"xchange {' '.join(path)} declares no rule"
        words = " ".join(path)
        assert any(t[: len(path)] == list(path) for t in tried), words
    for path in (("backup",), ("restore",), ("demo",), ("audit",), ("erase-person",)):
        command = dict(COMMANDS)[path]
        assert getattr(command.callback, "permission", None) == ADMIN, path
