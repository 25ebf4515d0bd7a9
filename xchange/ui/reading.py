"""The as-of date and the reading of the figures, side by side: "as known now" or "as recorded
then" (the register as it stood at the end of that day, `kpi.recorded`)."""

from __future__ import annotations

from datetime import date, datetime

import streamlit as st

from xchange.db.history import end_of_day

KNOWN_NOW = "as known now"
RECORDED_THEN = "as recorded then"


def as_of_and_reading(*, key: str = "as_of") -> tuple[date, datetime | None]:
    """Two widgets: the as-of date (today by default) and the reading. The date, and the
    moment the register is read as recorded (`Filters.recorded_at`), None as known now."""
    today = date.today()
    day = st.date_input(
        "As of",
        value=today,
        max_value=today,
        format="YYYY-MM-DD",
        key=f"{key}_day",
        help="Counted: stays completed and ended by the end of this day.",
    )
    reading = st.radio(
        "Figures",
        (KNOWN_NOW, RECORDED_THEN),
        horizontal=True,
        key=f"{key}_reading",
        help="As known now: by the statuses recorded today. As recorded then: the register as "
        "it stood at the end of that day, pipeline and cancellations included.",
    )
    chosen = day if isinstance(day, date) else today
    return chosen, end_of_day(chosen) if reading == RECORDED_THEN else None
