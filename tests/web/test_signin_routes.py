"""The sign-in and sign-out routes over HTTP, against the app as served (`streamlit run
serve.py`): the Origin check, the anti-forgery token, `next` kept on this site, and the
cookie's flags. One served app for the module; each test its own requests."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

import pytest

from tests import factories
from tests.browser.helpers import served
from xchange.accounts.passwords import hash_password
from xchange.accounts.websessions import COOKIE, CSRF_COOKIE, token_hash
from xchange.db import engine as db
from xchange.models import Role, WebSession

EMAIL, PASSWORD = "officer@example.eu", "a long enough pass phrase"


@dataclass(frozen=True)
class Site:
    address: str
    url: str  # the database's


@dataclass(frozen=True)
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: str

    def cookie(self, name: str) -> str | None:
        """The Set-Cookie line for `name` as sent, or None."""
        return next(
            (
                line
                for line in self.headers.get_all("set-cookie") or []
                if line.startswith(f"{name}=")
            ),
            None,
        )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    url = f"sqlite:///{tmp_path_factory.mktemp('routes') / 'routes.db'}"
    engine = db.make_engine(url)
    db.upgrade(engine)
    with db.write_session(engine) as session:
        officer = factories.user(session, EMAIL, Role.OFFICER)
        officer.password_hash = hash_password(PASSWORD)
    engine.dispose()
    with served(url) as address:
        yield Site(address, url)


def request(
    site: Site,
    method: str,
    path: str,
    *,
    form: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    """One request, redirects not followed."""
    parts = urlsplit(site.address)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=60)
    body = urlencode(form) if form is not None else None
    sent = {"Content-Type": "application/x-www-form-urlencoded"} if form is not None else {}
    connection.request(method, path, body=body, headers={**sent, **(headers or {})})
    answer = connection.getresponse()
    reply = Reply(answer.status, answer.headers, answer.read().decode(errors="replace"))
    connection.close()
    return reply


def origin(site: Site) -> str:
    return site.address  # http://127.0.0.1:PORT, as a browser on the page would send it


def sign_in(site: Site, **changes: str) -> Reply:
    """A sign-in post as the page's form sends it, with `changes` to its fields or headers."""
    form = {"csrf": "t0ken", "next": "/", "email": EMAIL, "password": PASSWORD}
    form.update({k: v for k, v in changes.items() if k in form})
    headers = {"Origin": origin(site), "Cookie": f"{CSRF_COOKIE}=t0ken"}
    headers.update({k.title(): v for k, v in changes.items() if k in ("origin", "cookie")})
    return request(site, "POST", "/session/sign-in", form=form, headers=headers)


def test_a_page_load_hands_out_the_anti_forgery_cookie(site: Site) -> None:
    reply = request(site, "GET", "/Exchanges", headers={"Accept": "text/html"})
    assert reply.status == 200
    line = reply.cookie(CSRF_COOKIE)
    assert line is not None and "HttpOnly" in line and "SameSite=strict" in line
    again = request(site, "GET", "/", headers={"Accept": "text/html", "Cookie": f"{CSRF_COOKIE}=x"})
    assert again.cookie(CSRF_COOKIE) is None  # a browser that has one keeps it


def test_signing_in_sets_an_http_only_cookie_and_goes_on_to_next(site: Site) -> None:
    reply = sign_in(site, next="/Exchanges?partnership=GTEX&reference=GTEX-2026-0042")
    assert reply.status == 303
    assert reply.headers["location"] == "/Exchanges?partnership=GTEX&reference=GTEX-2026-0042"
    line = reply.cookie(COOKIE)
    assert line is not None
    assert "HttpOnly" in line and "SameSite=lax" in line and "Path=/" in line
    assert "Secure" not in line  # XCHANGE_COOKIE_SECURE is off here
    token = SimpleCookie(line)[COOKIE].value
    assert len(token) >= 22  # at least 128 random bits in base64
    engine = db.make_engine(site.url)
    try:
        with db.read_session(engine) as session:
            assert session.get(WebSession, token_hash(token)) is not None
            assert session.get(WebSession, token) is None  # the hash, never the token
    finally:
        engine.dispose()


def test_signing_out_forgets_the_token(site: Site) -> None:
    token = SimpleCookie(sign_in(site).cookie(COOKIE) or "")[COOKIE].value
    reply = request(
        site,
        "POST",
        "/session/sign-out",
        form={"csrf": "t0ken"},
        headers={"Origin": origin(site), "Cookie": f"{CSRF_COOKIE}=t0ken; {COOKIE}={token}"},
    )
    assert reply.status == 303 and reply.headers["location"] == "/?notice=signed-out"
    assert (reply.cookie(COOKIE) or "").startswith(f'{COOKIE}="";')
    engine = db.make_engine(site.url)
    try:
        with db.read_session(engine) as session:
            assert session.get(WebSession, token_hash(token)) is None
    finally:
        engine.dispose()


def test_a_wrong_password_goes_back_with_a_notice_and_no_cookie(site: Site) -> None:
    reply = sign_in(site, password="not it at all", next="/Exchanges?exchange=3")
    assert reply.status == 303
    assert reply.headers["location"] == "/Exchanges?exchange=3&notice=wrong"
    assert reply.cookie(COOKIE) is None


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"origin": "https://evil.example"}, "another site"),
        ({"origin": "null"}, "another site"),
        ({"csrf": ""}, "out of date"),  # missing token
        ({"csrf": "guessed"}, "out of date"),  # wrong token
        ({"cookie": "other=1"}, "out of date"),  # no cookie to compare with
    ],
)
def test_a_forged_sign_in_is_refused(site: Site, change: dict[str, str], why: str) -> None:
    reply = sign_in(site, **change)
    assert reply.status == 403 and why in reply.body
    assert reply.cookie(COOKIE) is None


def test_a_sign_in_without_origin_or_referer_is_refused(site: Site) -> None:
    reply = request(
        site,
        "POST",
        "/session/sign-in",
        form={"csrf": "t0ken", "email": EMAIL, "password": PASSWORD},
        headers={"Cookie": f"{CSRF_COOKIE}=t0ken"},
    )
    assert reply.status == 403 and reply.cookie(COOKIE) is None


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "/ok\r\nSet-Cookie: x=1",
        "",
    ],
)
def test_next_never_leaves_the_site(site: Site, target: str) -> None:
    reply = sign_in(site, next=target)
    assert reply.status == 303 and reply.headers["location"] == "/"


def test_sign_out_checks_origin_and_token_too(site: Site) -> None:
    reply = request(
        site,
        "POST",
        "/session/sign-out",
        form={"csrf": "t0ken"},
        headers={"Origin": "https://evil.example", "Cookie": f"{CSRF_COOKIE}=t0ken"},
    )
    assert reply.status == 403
    reply = request(
        site,
        "POST",
        "/session/sign-out",
        form={"csrf": "nope"},
        headers={"Origin": origin(site), "Cookie": f"{CSRF_COOKIE}=t0ken"},
    )
    assert reply.status == 403
