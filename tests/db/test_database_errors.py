"""A database error reaches a person as one sentence, never a traceback: on the command line
one line and exit code 1, on a page an error box (`ui.write`).

The errors are real: a file that is not a SQLite database (run as the installed command, in a
process of its own, so what the user would see is what is checked), a PostgreSQL trigger
refusing a write the way a broken constraint would, and a write breaking a NOT NULL column.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from click.testing import CliRunner
from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from xchange.cli import cli

ADD = "partnership add GTEX --name Green --start 2026-01-01 --end 2027-12-31"


def test_a_file_that_is_not_a_database_gives_one_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"not a database, " * 512)
    command = [
        sys.executable,
        "-m",
        "xchange",
        "--db",
        f"sqlite:///{broken}",
        "partnership",
        "list",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        "error: The database reported an error, nothing was changed: file is not a database\n"
    )


@pytest.fixture
def refusing(pg_engine: Engine) -> Iterator[str]:
    """The PostgreSQL test database's URL, its partnership table refusing every insert with
    an integrity error (as a constraint would), which the CLI had no line for."""
    with pg_engine.begin() as connection:
        connection.exec_driver_sql(
            "CREATE FUNCTION refuse_insert() RETURNS trigger LANGUAGE plpgsql AS"
            " $$ BEGIN RAISE EXCEPTION 'the row breaks a rule of the database'"
            " USING ERRCODE = 'check_violation'; END $$"
        )
        connection.exec_driver_sql(
            "CREATE TRIGGER refuse_insert BEFORE INSERT ON partnership"
            " FOR EACH ROW EXECUTE FUNCTION refuse_insert()"
        )
    try:
        yield pg_engine.url.render_as_string(hide_password=False)
    finally:
        with pg_engine.begin() as connection:  # the schema outlives the test
            connection.exec_driver_sql("DROP TRIGGER refuse_insert ON partnership")
            connection.exec_driver_sql("DROP FUNCTION refuse_insert()")


def test_a_write_the_database_refuses_gives_one_line(refusing: str) -> None:
    result = CliRunner().invoke(cli, ["--db", refusing, *shlex.split(ADD)], prog_name="xchange")
    assert isinstance(result.exception, SystemExit), result.exception
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        "error: The database reported an error, nothing was changed: "
        "the row breaks a rule of the database\n"
    )


def _page_writing_a_broken_row() -> None:
    """A page whose one write breaks the organisation table's NOT NULL name."""
    import streamlit as st
    from sqlalchemy import text

    from xchange import ui

    def broken(*, session: object) -> None:
        session.execute(text("INSERT INTO organisation (name) VALUES (NULL)"))  # type: ignore[attr-defined]

    ui.write(broken)
    st.write("the page carried on")


def test_a_write_the_database_refuses_gives_one_sentence_on_a_page(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XCHANGE_DATABASE_URL", sqlite_url)
    st.cache_resource.clear()  # the page's engine is cached per process
    try:
        page = AppTest.from_function(_page_writing_a_broken_row, default_timeout=60).run()
    finally:
        st.cache_resource.clear()
    assert not page.exception, page.exception
    assert [box.value for box in page.error] == [
        "Not saved: the database reported an error (NOT NULL constraint failed: "
        "organisation.name), so nothing was changed; try again, and tell an administrator if "
        "it happens again."
    ]
    assert page.markdown[-1].value == "the page carried on"
