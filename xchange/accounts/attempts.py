"""Failed sign-ins in a row, per typed email and client address: who is slowed down, how long.

After `FREE_ATTEMPTS` (3) failures in a row for one email from one client address, each further
failure from that client locks that email for that client for 2 ** (failures - 3) seconds, at
most 15 minutes. Another client, the account's owner at home say, is never slowed by it: an
attacker cannot keep somebody else locked out. An unknown email is counted and locked exactly like
a known one, so the answers and delays tell nothing about who has an account. A pair that has not
failed for a day is forgotten.

Neither the email nor the address is stored as typed: each is an HMAC (keyed by the pseudonym
key, XCHANGE_PSEUDONYM_KEY) of its value. Text that is no email address at all (a password typed
into the Email field, say) is never an account, so it is counted under one shared key instead of
a hash of itself. The CLI never signs in by password, hence has no address.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from xchange.config import get_settings
from xchange.models import SignInAttempt

FREE_ATTEMPTS = 3  # failures in a row, per email and client, before each further one locks
MAX_LOCK = timedelta(minutes=15)
FORGET_AFTER = timedelta(days=1)
NOT_AN_EMAIL = "not an email address"
NO_ADDRESS = "no address"


def key(value: str) -> str:
    """The stored form of a typed email or a client address: 64 hex digits of a keyed hash."""
    secret = f"sign-in:{get_settings().pseudonym_key}".encode()
    return hmac.new(secret, value.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def account_key(address: str | None) -> str:
    """Key of an email as typed (trimmed, lower-cased), or of anything that is no email (None)."""
    return key(f"email:{address}" if address is not None else NOT_AN_EMAIL)


def client_key(client: str | None) -> str:
    """Key of a client address (an IP address as the server saw it); one key for none known."""
    text = (client or "").strip()
    return key(f"client:{text}" if text else NO_ADDRESS)


def lock_duration(failures: int) -> timedelta:
    """How long the `failures`-th failure in a row locks (zero for the first 3)."""
    if failures <= FREE_ATTEMPTS:
        return timedelta(0)
    # The exponent is capped before the power so that a huge count stays cheap.
    seconds = 2 ** min(failures - FREE_ATTEMPTS, 20)
    return min(timedelta(seconds=seconds), MAX_LOCK)


def locked_until(session: Session, account: str, client: str, now: datetime) -> datetime | None:
    """When the lock on this email for this client ends, if it is locked at `now`."""
    row = session.get(SignInAttempt, (account, client))
    if row is None or row.locked_until is None or row.locked_until <= now:
        return None
    return row.locked_until


def record_failure(session: Session, account: str, client: str, now: datetime) -> datetime | None:
    """Count one more failure for the pair (in the caller's write transaction); the lock it
    sets, if any. Also forgets the pairs that have not failed for a day."""
    session.execute(
        sa.delete(SignInAttempt).where(col(SignInAttempt.last_failed_at) < now - FORGET_AFTER)
    )
    # Insert-if-missing, then lock the row: two first failures at once count twice, never
    # collide on the key.
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(
        insert(SignInAttempt)
        .values(account=account, client=client, failures=0, last_failed_at=now)
        .on_conflict_do_nothing()
    )
    row = session.exec(
        select(SignInAttempt)
        .where(SignInAttempt.account == account, SignInAttempt.client == client)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    row.failures += 1
    row.last_failed_at = now
    lock = lock_duration(row.failures)
    row.locked_until = now + lock if lock else None
    session.add(row)
    session.flush()
    return row.locked_until


def forget(session: Session, account: str, client: str | None = None) -> None:
    """Clear the count of the email for one client (a success), or for every client (None: a new
    password set by an administrator)."""
    query = sa.delete(SignInAttempt).where(col(SignInAttempt.account) == account)
    if client is not None:
        query = query.where(col(SignInAttempt.client) == client)
    session.execute(query)


def lock_message(until: datetime, now: datetime) -> str:
    """`Too many failed attempts: try again in 2 seconds.` (minutes from one minute on)."""
    left = max((until - now).total_seconds(), 1.0)
    if left < 60:
        amount, unit = math.ceil(left), "second"
    else:
        amount, unit = math.ceil(left / 60), "minute"
    return f"Too many failed attempts: try again in {amount} {unit}{'' if amount == 1 else 's'}."
