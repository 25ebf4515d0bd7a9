"""The checks behind the sign-in forms (`web.guard`), without a server: where `next` may lead,
and which Origin counts as this site's."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.requests import HTTPConnection
from starlette.responses import Response

from xchange.web.guard import CROSS_SITE, FORGED, cross_site, csrf_header, forged, safe_next
from xchange.web.signin import set_session_cookie


def connection(**headers: str) -> HTTPConnection:
    raw = [(k.replace("_", "-").encode(), v.encode()) for k, v in headers.items()]
    return HTTPConnection({"type": "http", "method": "POST", "path": "/", "headers": raw})


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/Exchanges?partnership=GTEX&reference=GTEX-2026-0042", None),  # kept as it is
        ("/", None),
        ("/?partnership=AERO&as_of=2026-03-31", None),
        ("https://evil.example/", "/"),
        ("//evil.example", "/"),  # scheme-relative: another host
        ("/\\evil.example", "/"),  # browsers read the backslash as a slash
        ("javascript:alert(1)", "/"),
        ("Exchanges", "/"),  # relative: not a path of this site's root
        ("/a\nb", "/"),
        (None, "/"),
        ("", "/"),
    ],
)
def test_next_stays_on_this_site(target: str | None, expected: str | None) -> None:
    assert safe_next(target) == (target if expected is None else expected)


@settings(max_examples=300)
@given(st.text(max_size=40))
def test_whatever_next_is_the_answer_is_a_path_here(target: str) -> None:
    answer = safe_next(target)
    parts = urlsplit(answer)
    assert answer.startswith("/") and not answer.startswith("//")
    assert not parts.scheme and not parts.netloc and "\\" not in answer


@pytest.mark.parametrize(
    ("headers", "refused"),
    [
        ({"host": "tracker.example.eu", "origin": "https://tracker.example.eu"}, False),
        ({"host": "127.0.0.1:8501", "origin": "http://127.0.0.1:8501"}, False),
        # No Origin (an older browser): its Referer decides.
        ({"host": "tracker.example.eu", "referer": "https://tracker.example.eu/Exchanges"}, False),
        ({"host": "tracker.example.eu", "origin": "https://evil.example"}, True),
        ({"host": "tracker.example.eu", "origin": "https://tracker.example.eu.evil.example"}, True),
        ({"host": "tracker.example.eu", "origin": "null"}, True),
        ({"host": "tracker.example.eu"}, True),  # neither: not a browser's form
    ],
)
def test_only_this_site_may_post(headers: dict[str, str], refused: bool) -> None:
    assert cross_site(connection(**headers)) == (CROSS_SITE if refused else None)


def test_the_form_must_repeat_the_cookie() -> None:
    with_cookie = connection(cookie="xchange_csrf=abc")
    assert forged(with_cookie, {"csrf": "abc"}) is None
    assert forged(with_cookie, {"csrf": "abd"}) == FORGED
    assert forged(with_cookie, {}) == FORGED
    assert forged(connection(), {"csrf": ""}) == FORGED


@pytest.mark.parametrize("secure", ["", "1"])
def test_both_cookies_are_secure_when_the_setting_says_so(
    secure: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XCHANGE_COOKIE_SECURE", secure)
    monkeypatch.setenv("XCHANGE_SESSION_TTL_MINUTES", "30")
    response = Response()
    set_session_cookie(response, "token")
    session = response.headers["set-cookie"]
    anti_forgery = csrf_header()[1].decode()
    assert "HttpOnly" in session and "SameSite=lax" in session and "Max-Age=1800" in session
    assert "HttpOnly" in anti_forgery and "SameSite=strict" in anti_forgery
    assert ("Secure" in session) == bool(secure) == ("Secure" in anti_forgery)
