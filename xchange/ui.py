"""Streamlit glue: the cached engine, formatting helpers and shared widgets.

The only module of the package that imports streamlit; pages call it and `xchange` functions.
"""

from __future__ import annotations

from datetime import date

import streamlit as st
from sqlalchemy.engine import Engine

from xchange import db


@st.cache_resource(show_spinner=False)
def engine() -> Engine:
    """One engine per server process, created and migrated on first use."""
    made = db.make_engine()
    db.upgrade(made)
    return made


def number(value: int | float) -> str:
    """1000 -> `1,000`."""
    return f"{value:,.0f}"


def percent(value: float | None) -> str:
    """0.5234 -> `52.3 %`; None -> `no data` (nothing counted yet)."""
    return "no data" if value is None else f"{value * 100:.1f} %"


def iso(day: date | None) -> str:
    """Dates as 2026-03-14 everywhere."""
    return day.isoformat() if day else ""
