"""The Account page through AppTest: every role creates a token (shown once), sees only their
own, and revokes it; the API then refuses it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.pages import helpers
from tests.pages.helpers import fresh_caches, open_dashboard, sign_in
from xchange.accounts import tokens
from xchange.db import engine as db
from xchange.errors import NotAuthenticated

ACCOUNT = "pages/8_Account.py"


@pytest.fixture(scope="module")
def register(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[helpers.Register]:
    made = helpers.demo_register(tmp_path_factory.mktemp("account") / "demo.db", exchanges=40)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XCHANGE_DATABASE_URL", made.url)
        fresh_caches()
        yield made
        fresh_caches()


def owner_of(url: str, secret: str) -> str:
    engine = db.make_engine(url)
    try:
        with db.read_session(engine) as session:
            return tokens.token_owner(session=session, secret=secret)[0].email
    finally:
        engine.dispose()


@pytest.mark.parametrize("role", ["officer", "coordinator", "admin"])
def test_each_role_creates_sees_and_revokes_their_own_token(
    register: helpers.Register, role: str
) -> None:
    email, password = register.accounts[role]
    at = sign_in(open_dashboard(), email, password)
    at.switch_page(ACCOUNT).run()
    assert not at.exception, at.exception
    at.text_input[0].input(f"{role} sheet")
    at.button[0].click().run()  # the form's submit button
    assert not at.exception, at.exception
    [shown] = at.code
    secret = shown.value
    assert owner_of(register.url, secret) == email
    assert "not shown again" in at.success[0].value
    # Only the owner's own tokens, also for an administrator; the secret in none of them.
    listed = at.dataframe[0].value
    assert list(listed["name"]) == [f"{role} sheet"]
    assert secret not in listed.to_string()

    at.run()  # any later run: the secret is gone
    assert not at.code

    assert at.selectbox[0].value == f"{role} sheet"
    next(b for b in at.button if b.label == "Revoke").click().run()
    assert not at.exception, at.exception
    assert "revoked" in at.success[0].value
    with pytest.raises(NotAuthenticated, match="revoked"):
        owner_of(register.url, secret)


def test_the_page_is_in_every_role_s_menu(register: helpers.Register) -> None:
    from xchange.ui import pages_for

    assert all(
        ACCOUNT in [p.path for p in pages_for(r)] for r in ("admin", "coordinator", "officer")
    )
