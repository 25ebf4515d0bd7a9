"""A signed-in session's life: it expires after the configured minutes, and ends early when a
password change or a deactivation moves the user's session epoch on."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from xchange.config import get_settings
from xchange.models import User, utcnow


def aware(moment: datetime | None) -> datetime:
    if moment is None:
        return utcnow()
    if moment.utcoffset() is None:
        raise ValueError("expected a timezone-aware datetime (e.g. datetime.now(UTC))")
    return moment


def session_expired(signed_in_at: datetime, now: datetime | None = None) -> bool:
    """True once `session_ttl_minutes` (XCHANGE_SESSION_TTL_MINUTES) have passed since sign-in."""
    ttl = timedelta(minutes=get_settings().session_ttl_minutes)
    return aware(now) - aware(signed_in_at) >= ttl


def session_current(user: User, signed_in_epoch: int) -> bool:
    """True while no password change or deactivation has ended the sessions that signed in at
    `signed_in_epoch` (the user's `session_epoch` then)."""
    return user.active and user.session_epoch == signed_in_epoch


def revoke_sessions(*, session: Session, user: User) -> None:
    """End every session of `user` at its next interaction (a new password, a deactivation).

    Bumps the user's session epoch in the caller's transaction; a session that signed in
    before sees another epoch and is signed out (`session_current`). A session that should
    carry on (an administrator setting their own password) takes the new epoch.
    """
    user.session_epoch += 1
    session.add(user)
