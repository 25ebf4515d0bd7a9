"""The sign-in and sign-out forms that post to the tracker's routes (`xchange.web.signin`).

Plain HTML forms rendered by `st.html`: the browser posts them itself, so the route can set
the HttpOnly cookie that keeps a sign-in across reloads, tabs and bookmarks. Each repeats the
browser's anti-forgery cookie in a hidden field, and the sign-in form carries the page's own
address (`next`), so signing in from a link lands on what it names.
"""

from __future__ import annotations

import re
from html import escape as html_escape
from urllib.parse import urlencode

import streamlit as st

from xchange.accounts.websessions import COOKIE, CSRF_COOKIE

SIGN_IN_ROUTE = "/session/sign-in"
SIGN_OUT_ROUTE = "/session/sign-out"
# Query keys that describe the last answer, not the page: left out of `next`.
TRANSIENT = ("notice",)

_FIELD = (
    "display:block;width:100%;max-width:24rem;padding:0.5rem;margin:0.25rem 0 0.75rem;"
    "border:1px solid #767676;border-radius:0.5rem;font:inherit;box-sizing:border-box"
)
# The theme's primary colour (.streamlit/config.toml): white on it is about 8.6:1, where
# Streamlit's default red gave 3.3:1, below WCAG 2.1 AA's 4.5:1. Field borders #767676: 4.5:1.
_BUTTON = (
    "padding:0.45rem 1rem;border-radius:0.5rem;font:inherit;cursor:pointer;"
    "border:1px solid #1f4e79;background:#1f4e79;color:white"
)
_QUIET_BUTTON = (
    "padding:0.35rem 0.9rem;border-radius:0.5rem;font:inherit;cursor:pointer;"
    "border:1px solid #767676;background:transparent;color:inherit"
)


def cookie(name: str) -> str | None:
    """The browser's cookie `name` as the page connected with it (None without a browser,
    e.g. under AppTest, or when the browser sends none)."""
    try:
        value = st.context.cookies.get(name)
    except Exception:  # no script run context (bare mode): no browser, no cookies
        return None
    # AppTest answers with a stand-in object, not a string: no browser, so no cookie.
    return value if isinstance(value, str) and value else None


def session_token() -> str | None:
    """The sign-in token of this browser, if it sent one."""
    return cookie(COOKIE)


def can_post() -> bool:
    """True when this browser holds an anti-forgery cookie, so the route will take its forms."""
    return cookie(CSRF_COOKIE) is not None


def page_address(path: str) -> str:
    """This page's address on the site, with its query but without the last answer's notice:
    `pages/2_Exchanges.py` with `?reference=R` -> `/Exchanges?reference=R`."""
    pairs = [
        (key, value)
        for key in st.query_params
        if key not in TRANSIENT
        for value in st.query_params.get_all(key)
    ]
    return url_path(path) + (f"?{urlencode(pairs)}" if pairs else "")


def url_path(path: str) -> str:
    """The address Streamlit serves a page file at: `pages/2_Exchanges.py` -> `/Exchanges`."""
    if path == "dashboard.py":
        return "/"
    return "/" + re.sub(r"^\d+_", "", path.rsplit("/", 1)[-1].removesuffix(".py"))


def sign_in_form(next_address: str) -> None:
    """The email and password form, posting to the sign-in route."""
    csrf = html_escape(cookie(CSRF_COOKIE) or "")
    st.html(
        f'<form method="post" action="{SIGN_IN_ROUTE}" aria-label="Sign in">'
        f'<input type="hidden" name="csrf" value="{csrf}">'
        f'<input type="hidden" name="next" value="{html_escape(next_address)}">'
        '<label for="xchange-email">Email</label>'
        f'<input id="xchange-email" name="email" type="email" autocomplete="username" required style="{_FIELD}">'
        '<label for="xchange-password">Password</label>'
        f'<input id="xchange-password" name="password" type="password" autocomplete="current-password" required style="{_FIELD}">'
        f'<button type="submit" style="{_BUTTON}">Sign in</button>'
        "</form>"
    )


def sign_out_form() -> None:
    """The sign-out button, posting to the sign-out route (it ends this browser's sign-in in
    every tab, at each tab's next interaction)."""
    csrf = html_escape(cookie(CSRF_COOKIE) or "")
    st.html(
        f'<form method="post" action="{SIGN_OUT_ROUTE}">'
        f'<input type="hidden" name="csrf" value="{csrf}">'
        f'<button type="submit" style="{_QUIET_BUTTON}">Sign out</button>'
        "</form>"
    )
