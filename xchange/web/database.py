"""The routes' engine: one per server process and database URL, migrated on first use (the
pages keep theirs in Streamlit's resource cache; the routes run outside any script)."""

from __future__ import annotations

from functools import cache

from sqlalchemy.engine import Engine

from xchange.config import get_settings
from xchange.db import engine as db


def engine() -> Engine:
    """The engine for the configured database (`XCHANGE_DATABASE_URL`)."""
    return _engine(get_settings().database_url)


@cache
def _engine(url: str) -> Engine:
    made = db.make_engine(url)
    db.upgrade(made)
    return made
