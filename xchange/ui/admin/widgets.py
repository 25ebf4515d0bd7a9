"""Widgets of the Administration page: shares typed in percent, edited tables read back."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from xchange.ui.text import escape


def admin_percent(
    label: str, fraction: float | None, *, key: str, help: str, optional: bool = False
) -> float | None:
    """A share typed in percent (50.0), returned as a fraction (0.5); empty -> None when
    `optional`."""
    typed = st.number_input(
        escape(label),
        min_value=0.0,
        max_value=100.0,
        value=None if fraction is None else round(fraction * 100, 2),
        step=1.0,
        format="%.1f",
        key=key,
        help=escape(help),
        placeholder="the programme's" if optional else None,
    )
    return None if typed is None else round(float(typed) / 100, 6)


def admin_rows(frame: pd.DataFrame) -> list[list[Any]]:
    """An edited table's rows as plain values: empty cells None, dates as `date`; rows left
    entirely empty (a new row never filled in) dropped."""
    rows: list[list[Any]] = []
    for values in frame.itertuples(index=False):
        row: list[Any] = []
        for value in values:
            if value is None or (not isinstance(value, str) and pd.isna(value)):
                row.append(None)
            elif isinstance(value, pd.Timestamp):
                row.append(value.date())
            elif isinstance(value, str):
                row.append(value.strip() or None)
            else:
                row.append(value.item() if hasattr(value, "item") else value)
        if any(cell is not None for cell in row):
            rows.append(row)
    return rows


EDITOR_HELP = "Add a line in the empty row at the bottom; select lines to delete them."


_PASSWORD = (
    "At least 10 characters, not only digits, not the email address. Give it to them through "
    "another channel than the email; an administrator can reset it here at any time."
)
# What an initial or new password must be, by whether single sign-on is configured.
PASSWORD_HELP = {
    False: _PASSWORD,
    True: _PASSWORD + " Leave it empty when they sign in through single sign-on.",
}
