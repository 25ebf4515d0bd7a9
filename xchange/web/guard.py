"""What keeps another site from posting the tracker's forms: the Origin check, the anti-forgery
token (a cookie that the form repeats, "double submit"), and `next` kept to this site's paths.

A page cannot set a cookie (its script talks over a websocket), so `CsrfCookie` gives the
browser one when it loads a page; the page reads it (`st.context.cookies`) into the form's
hidden field, and the route compares the two. Another site can make a browser post, but can
neither read that cookie nor send an Origin of ours.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from xchange.accounts.websessions import CSRF_COOKIE
from xchange.config import get_settings

CROSS_SITE = "Refused: this form was sent from another site."
FORGED = "Refused: the form is out of date or was not sent from this tracker; reload the page and try again."
# Streamlit's own paths and the tracker's routes: no page, so no cookie to hand out.
NOT_PAGES = ("/_stcore/", "/static/", "/media/", "/component/", "/session/", "/api/", "/auth/")


def cross_site(connection: HTTPConnection) -> str | None:
    """Why this request came from another site (its Origin, else its Referer, names another
    host than the one it was sent to), or None when it came from ours.

    Hosts are compared without the scheme: behind a TLS proxy the app sees plain HTTP while
    the browser says https.
    """
    sent_by = connection.headers.get("origin") or connection.headers.get("referer") or ""
    host = connection.headers.get("host", "")
    if not host or not sent_by or urlsplit(sent_by).netloc.lower() != host.lower():
        return CROSS_SITE
    return None


def forged(connection: HTTPConnection, form: Mapping[str, object]) -> str | None:
    """Why the form's anti-forgery token is wrong (missing, or not the browser's cookie), or
    None when it matches."""
    cookie = connection.cookies.get(CSRF_COOKIE, "")
    sent = form.get("csrf")
    if not cookie or not isinstance(sent, str) or not hmac.compare_digest(cookie, sent):
        return FORGED
    return None


def safe_next(target: object) -> str:
    """`target` when it is a path on this site (`/Exchanges?reference=...`), else "/".

    Refuses what a browser would take to another site: absolute and scheme-relative addresses
    (`https://evil.example`, `//evil.example`), backslashes (read as slashes by browsers) and
    control characters.
    """
    if not isinstance(target, str) or not target.startswith("/") or target.startswith("//"):
        return "/"
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return "/"
    parts = urlsplit(target)
    return "/" if parts.scheme or parts.netloc else target


def csrf_header() -> tuple[bytes, bytes]:
    """A Set-Cookie header giving the browser a new anti-forgery token."""
    response = Response()
    response.set_cookie(
        CSRF_COOKIE,
        secrets.token_urlsafe(32),
        httponly=True,
        samesite="strict",
        secure=get_settings().cookie_secure,
        path="/",
    )
    return next((k, v) for k, v in response.raw_headers if k == b"set-cookie")


class CsrfCookie:
    """ASGI middleware: a page load (GET of an HTML page) without an anti-forgery cookie gets
    one. Only pages: a script's or image's response racing it would hand out another token."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self._wants_cookie(HTTPConnection(scope)):
            await self.app(scope, receive, send)
            return
        header = csrf_header()

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).append(header[0].decode(), header[1].decode())
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    @staticmethod
    def _wants_cookie(connection: HTTPConnection) -> bool:
        return (
            connection.scope.get("method") == "GET"
            and not connection.url.path.startswith(NOT_PAGES)
            and "text/html" in connection.headers.get("accept", "")
            and CSRF_COOKIE not in connection.cookies
        )
