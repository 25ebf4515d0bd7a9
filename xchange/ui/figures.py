"""A chart on a page with its text alternative: a short title that fits half a 1,024 px screen,
the description as a caption under it, and the figures it draws as a table in an expander.

The builders (`xchange.pack.charts`, `xchange.pack.details`) make figures for print, where a
subtitle says what is drawn; on a page that subtitle could be cut at a narrow width, so the
caption says it instead, where the text wraps with the page (and a screen reader reads it).
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from xchange.pack import charts
from xchange.pack.details import EUR
from xchange.pack.sheets import COUNT, DECIMAL, FORMATS, SHARE
from xchange.presentation import number, percent
from xchange.ui.text import escape

READERS: dict[str, Callable[[float], str]] = {
    COUNT: number,
    DECIMAL: lambda v: f"{v:,.1f}",
    SHARE: percent,
    EUR: lambda v: f"{v:,.2f}",
}


def readable(table: pd.DataFrame) -> pd.DataFrame:
    """The table as text, numbers written as 1,000, 52.3 % and 4,950.00 (by column heading)."""
    shown = table.copy()
    for column in shown.columns:
        reader = READERS.get(FORMATS.get(str(column), ""))
        if reader is not None:
            shown[column] = ["" if v is None or pd.isna(v) else reader(v) for v in shown[column]]
        elif column in ("Counted", "Target"):
            shown[column] = [number(v) for v in shown[column]]
    return shown.astype(str)


def chart(fig: go.Figure, *, title: str, description: str, figures: pd.DataFrame) -> None:
    """Draw `fig` under `title`, with `description` (plain text) and `figures` below it."""
    # From the figure's left edge (not the plot's) and a little smaller than in print: a chart
    # half a 1,024 px page wide is about 270 px wide.
    fig.update_layout(
        title={
            "text": charts.plain(title),
            "subtitle": {"text": ""},
            "x": 0,
            "xref": "container",
            "xanchor": "left",
            "pad": {"l": 8},
            "font": {"size": 16},
        },
        margin_t=60,
    )
    st.plotly_chart(fig, config=charts.config(), theme=None, alt=f"{title}. {description}")
    st.caption(escape(description))
    with st.expander(f"Figures: {escape(title)}"):
        # A data grid, not st.table: it draws a thousand country pairs at no cost, and shows
        # cells as text (no Markdown), so names need no escaping.
        st.dataframe(readable(figures), hide_index=True, width="stretch")
