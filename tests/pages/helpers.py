"""What the page tests share: a demo register and its accounts, clean caches, a signed-in app."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st
from streamlit.testing.v1 import AppTest

from xchange.db import engine as db
from xchange.demo import load as demo

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 60


@dataclass(frozen=True)
class Register:
    """A demo database and its accounts: role -> (email, password)."""

    url: str
    accounts: dict[str, tuple[str, str]]


def demo_register(path: Path, exchanges: int = 400, seed: int = 7) -> Register:
    """A migrated demo register at `path`, its log folded into the one file (copies are whole)."""
    url = f"sqlite:///{path}"
    engine = db.make_engine(url)
    try:
        db.upgrade(engine)
        summary = demo.load_demo(engine, exchanges=exchanges, seed=seed)
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()
    return Register(url, {role: (email, password) for email, role, password in summary.accounts})


def fresh_caches() -> None:
    """Engines and figures are cached per process: each test starts clean."""
    st.cache_data.clear()
    st.cache_resource.clear()


def open_dashboard(timeout: float = TIMEOUT) -> AppTest:
    return AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=timeout).run()


def sign_in(at: AppTest, email: str, password: str) -> AppTest:
    at.text_input[0].input(email)
    at.text_input[1].input(password)
    return at.button[0].click().run()
