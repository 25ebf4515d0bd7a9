"""Sign-ins that survive a reload: a random token in the browser's cookie, its hash here.

`start` makes a token (256 random bits) and keeps only its SHA-256 with the user, the user's
session epoch and the moment it expires (`XCHANGE_SESSION_TTL_MINUTES` from now). `user_for`
checks a token on every page run: unknown (signed out), expired, deactivated or signed in
before a password change (the epoch moved on, `sessions.revoke_sessions`) each refuse it with
one sentence. `end` deletes it (signing out). A plain SHA-256 is enough: the token is random,
not a password, so there is nothing to guess from its hash.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlmodel import Session, col, delete, select

from xchange.accounts.auth import DEACTIVATED, WRONG_CREDENTIALS
from xchange.accounts.sessions import aware, session_current
from xchange.config import get_settings
from xchange.errors import SignInRefused
from xchange.models import User, WebSession

# The cookies: the sign-in token, and the anti-forgery token that the sign-in and sign-out forms
# repeat in a hidden field (a page reads both with st.context.cookies; neither is for scripts).
COOKIE = "xchange_session"
CSRF_COOKIE = "xchange_csrf"
TOKEN_BYTES = 32  # 256 bits, twice the 128 that make guessing hopeless
SIGNED_OUT = "You are signed out: please sign in again."
EXPIRED = "Your session expired: please sign in again."
REVOKED = "Your password was changed or your access ended: please sign in again."
# What the sign-in route tells the page it sends the browser back to, as `?notice=CODE`: a
# code, never the text, so a link cannot make the page say what its author likes.
NOTICES = {
    "wrong": WRONG_CREDENTIALS,
    "deactivated": DEACTIVATED,
    "locked": "Too many failed attempts: wait a little (longer after each failure), then try again.",
    "signed-out": "You are signed out.",
}

REFUSALS = frozenset({"wrong", "deactivated", "locked"})


def notice_code(refusal: str) -> str:
    """The code of a sign-in refusal's message for `?notice=` ("locked" for a lock)."""
    codes = {message: code for code, message in NOTICES.items()}
    return codes.get(refusal, "locked")


def token_hash(token: str) -> str:
    """The SHA-256 of `token` (hex), the only form in which the database keeps it."""
    return hashlib.sha256(token.encode()).hexdigest()


def start(*, session: Session, user: User, now: datetime | None = None) -> tuple[str, datetime]:
    """A new sign-in for `user`: (the token for the cookie, when it expires).

    Adds the row to the caller's transaction and forgets every expired one, so the table holds
    only live sign-ins (and those a password change ended, until they expire).
    """
    now = aware(now)
    if user.id is None:
        raise ValueError("the user must be saved before signing in")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    expires = now + timedelta(minutes=get_settings().session_ttl_minutes)
    session.exec(delete(WebSession).where(col(WebSession.expires_at) <= now))
    session.add(
        WebSession(
            token_hash=token_hash(token),
            user_id=user.id,
            session_epoch=user.session_epoch,
            created_at=now,
            expires_at=expires,
        )
    )
    return token, expires


def user_for(*, session: Session, token: str, now: datetime | None = None) -> User:
    """The user `token` signs in, attached to `session`.

    Raises `SignInRefused` with one sentence: signed out (no such token), expired, deactivated,
    or ended by a password change or a change of access.
    """
    found = session.get(WebSession, token_hash(token)) if token else None
    if found is None:
        raise SignInRefused(SIGNED_OUT)
    if aware(found.expires_at) <= aware(now):
        raise SignInRefused(EXPIRED)
    user = session.get(User, found.user_id)
    if user is None or not user.active:
        raise SignInRefused(DEACTIVATED)
    if not session_current(user, found.session_epoch):
        raise SignInRefused(REVOKED)
    return user


def carry_on(*, session: Session, token: str, user: User) -> None:
    """Keep `token` signed in at `user`'s new session epoch (someone who changed their own
    password stays signed in here while their other sign-ins end)."""
    found = session.get(WebSession, token_hash(token))
    if found is not None and found.user_id == user.id:
        found.session_epoch = user.session_epoch
        session.add(found)


def end(*, session: Session, token: str) -> bool:
    """Sign `token` out (delete its row); True when there was one."""
    found = session.exec(
        select(WebSession).where(WebSession.token_hash == token_hash(token))
    ).first()
    if found is None:
        return False
    session.delete(found)
    return True
