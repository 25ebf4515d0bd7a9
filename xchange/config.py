"""Settings from XCHANGE_* environment variables, with defaults that suit a laptop.

Settings are read when `get_settings()` is called, never at import time, so tests and the CLI
can point the tracker at another database by setting the environment first.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB_PATH = PROJECT_ROOT / "data" / "xchange.db"
# Used when XCHANGE_PSEUDONYM_KEY is not set: pseudonyms stay stable, but anyone with this
# source could map one back to a person id (not to a name).
DEFAULT_PSEUDONYM_KEY = "xchange-pseudonym-v1"


@dataclass(frozen=True)
class Settings:
    """What the tracker reads from its environment."""

    database_url: str
    upload_max_bytes: int
    session_ttl_minutes: int
    sqlite_busy_timeout_ms: int
    # The secret behind the pseudonyms that exports without personal data show for people.
    pseudonym_key: str = DEFAULT_PSEUDONYM_KEY
    # Mark the sign-in cookie Secure (sent over HTTPS only): on behind a TLS proxy, where the
    # app itself sees plain HTTP and cannot tell.
    cookie_secure: bool = False
    # Requests a minute each API token may make; more are answered 429 with Retry-After.
    api_rate_per_minute: int = 60


def get_settings() -> Settings:
    """Current settings: `XCHANGE_DATABASE_URL` (default: SQLite at data/xchange.db.engine) and limits."""
    url = os.environ.get("XCHANGE_DATABASE_URL") or f"sqlite:///{DEFAULT_DB_PATH}"
    return Settings(
        database_url=normalise_url(url),
        upload_max_bytes=int(os.environ.get("XCHANGE_UPLOAD_MAX_MB", "20")) * 1024 * 1024,
        session_ttl_minutes=int(os.environ.get("XCHANGE_SESSION_TTL_MINUTES", "480")),
        sqlite_busy_timeout_ms=int(os.environ.get("XCHANGE_SQLITE_BUSY_TIMEOUT_MS", "10000")),
        pseudonym_key=os.environ.get("XCHANGE_PSEUDONYM_KEY") or DEFAULT_PSEUDONYM_KEY,
        cookie_secure=os.environ.get("XCHANGE_COOKIE_SECURE", "").strip().lower()
        in {"1", "true", "yes", "on"},
        api_rate_per_minute=int(os.environ.get("XCHANGE_API_RATE_PER_MINUTE", "60")),
    )


def normalise_url(url: str) -> str:
    """Route plain `postgresql://` URLs to psycopg 3, the driver we ship."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url
