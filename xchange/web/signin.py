"""The browser's sign-in and sign-out: `POST /session/sign-in` and `POST /session/sign-out`.

Both come from forms on the pages (`ui.session`), check the Origin and the anti-forgery token
(`guard`), and answer 303 to a path on this site. Signing in checks the password with
`auth.authenticate` (its lock-out after failures included), then sets the `xchange_session`
cookie: a random token, HttpOnly, SameSite=Lax, Secure when XCHANGE_COOKIE_SECURE is on, that
the database knows only by its hash (`accounts.websessions`). A refusal sends the browser back
to the page with `?notice=CODE`, which the page turns into the sentence.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from xchange.accounts import auth, websessions
from xchange.accounts.websessions import COOKIE
from xchange.config import get_settings
from xchange.db.engine import read_session, with_retry, write_session
from xchange.errors import SignInRefused
from xchange.models import User
from xchange.web.database import engine
from xchange.web.guard import cross_site, forged, safe_next

SIGN_IN = "/session/sign-in"
SIGN_OUT = "/session/sign-out"
# A sign-in form holds five short fields; anything much larger is not one.
MAX_FIELDS = 8
MAX_PART_BYTES = 4096


def session_routes() -> list[Route]:
    """The two routes, for `xchange.web.routes()`."""
    return [
        Route(SIGN_IN, sign_in, methods=["POST"], name="sign_in"),
        Route(SIGN_OUT, sign_out, methods=["POST"], name="sign_out"),
    ]


async def sign_in(request: Request) -> Response:
    """Check the form, sign in, set the cookie and send the browser on to `next`."""
    refused = cross_site(request)
    if refused:
        return PlainTextResponse(refused, status_code=403)
    form = await request.form(max_fields=MAX_FIELDS, max_part_size=MAX_PART_BYTES)
    refused = forged(request, form)
    if refused:
        return PlainTextResponse(refused, status_code=403)
    target = safe_next(form.get("next"))
    email, password = str(form.get("email") or ""), str(form.get("password") or "")
    client = request.client.host if request.client else None
    try:
        token, expires = await run_in_threadpool(
            _sign_in, email, password, client, request.cookies.get(COOKIE)
        )
    except SignInRefused as refusal:
        return RedirectResponse(
            with_notice(target, websessions.notice_code(str(refusal))), status_code=303
        )
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, token)
    return response


def set_session_cookie(response: Response, token: str) -> None:
    """The sign-in cookie: HttpOnly (no script reads it), SameSite=Lax (sent when following a
    link from an e-mail, not with another site's posts), Secure when XCHANGE_COOKIE_SECURE is
    on, and gone when the session would expire anyway."""
    settings = get_settings()
    response.set_cookie(
        COOKIE,
        token,
        max_age=settings.session_ttl_minutes * 60,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
    )


async def sign_out(request: Request) -> Response:
    """End this browser's sign-in (everywhere it is open) and forget the cookie."""
    refused = cross_site(request)
    if refused:
        return PlainTextResponse(refused, status_code=403)
    form = await request.form(max_fields=MAX_FIELDS, max_part_size=MAX_PART_BYTES)
    refused = forged(request, form)
    if refused:
        return PlainTextResponse(refused, status_code=403)
    token = request.cookies.get(COOKIE)
    if token:
        await run_in_threadpool(_sign_out, token)
    response = RedirectResponse(with_notice("/", "signed-out"), status_code=303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax")
    return response


def with_notice(target: str, code: str) -> str:
    """`target` with `notice=code` in its query (replacing any earlier notice)."""
    parts = urlsplit(target)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "notice"]
    return urlunsplit(("", "", parts.path, urlencode([*query, ("notice", code)]), ""))


def _sign_in(
    email: str, password: str, client: str | None, old: str | None
) -> tuple[str, datetime]:
    with read_session(engine()) as session:
        user_id = auth.authenticate(
            session=session, email=email, password=password, client=client
        ).id

    def start() -> tuple[str, datetime]:
        with write_session(engine()) as session:
            if old:
                websessions.end(session=session, token=old)  # a new sign-in, a new token
            user = session.get(User, user_id)
            if user is None:  # deleted in between
                raise SignInRefused(auth.WRONG_CREDENTIALS)
            return websessions.start(session=session, user=user)

    # Run again on a transient error (SQLite's lock, PostgreSQL's serialization failure).
    return with_retry(start)


def _sign_out(token: str) -> None:
    def end() -> None:
        with write_session(engine()) as session:
            websessions.end(session=session, token=token)

    with_retry(end)
