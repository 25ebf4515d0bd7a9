"""`xchange token`: the secret printed once on standard output, never listed; revoking ends it."""

from __future__ import annotations

import json

from click.testing import CliRunner, Result
from sqlalchemy.engine import Engine

from xchange.accounts import tokens
from xchange.cli import cli
from xchange.db import engine as db
from xchange.errors import NotAuthenticated


def xc(url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--db", url, *args], prog_name="xchange")


def test_create_prints_the_secret_once_list_never_and_revoke_ends_it(engine: Engine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    made = xc(url, "token", "create", "--name", "Power BI")
    assert made.exit_code == 0, made.output
    secret = made.stdout.strip()  # alone on standard output: `TOKEN=$(xchange token create ...)`
    assert secret.startswith("xcx_")
    assert made.stderr == "Created token 'Power BI': copy it now, it is not shown again.\n"
    with db.read_session(engine) as session:
        assert tokens.token_owner(session=session, secret=secret)[0].email == db.LOCAL_ADMIN_EMAIL

    listed = xc(url, "token", "list", "--json")
    assert secret not in listed.output
    [row] = json.loads(listed.output)
    assert (row["owner"], row["name"], row["revoked_at"]) == (
        db.LOCAL_ADMIN_EMAIL,
        "Power BI",
        None,
    )

    again = xc(url, "token", "create", "--name", "Power BI")
    assert again.exit_code == 1
    assert "already has a token named 'Power BI'" in again.stderr

    revoked = xc(url, "token", "revoke", "--name", "Power BI")
    assert revoked.stdout == f"Revoked token 'Power BI' of {db.LOCAL_ADMIN_EMAIL}.\n"
    with db.read_session(engine) as session:
        try:
            tokens.token_owner(session=session, secret=secret)
        except NotAuthenticated as exc:
            assert "was revoked" in str(exc)
        else:
            raise AssertionError("a revoked token still works")
    assert json.loads(xc(url, "token", "list", "--json").output)[0]["revoked_at"]


def test_an_unknown_owner_is_named(engine: Engine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    result = xc(url, "token", "create", "--owner", "nobody@x.eu", "--name", "x")
    assert (result.exit_code, result.stderr) == (1, "error: There is no user nobody@x.eu.\n")
