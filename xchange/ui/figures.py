"""A chart on a page with its text alternative: a short title that fits half a 1,024 px screen,
the description as a caption under it, and the figures it draws as a table in an expander.

The builders (`xchange.pack.charts`, `xchange.pack.details`) make figures for print, where a
subtitle says what is drawn; on a page that subtitle could be cut at a narrow width, so the
caption says it instead, where the text wraps with the page (and a screen reader reads it).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from xchange.pack import charts
from xchange.pack.details import EUR
from xchange.pack.sheets import COUNT, DECIMAL, FORMATS, SHARE
from xchange.ui.text import escape

# How a column of figures reads, by its heading's Excel format (`xchange.pack.sheets.FORMATS`):
# 1,000 and 4,950.00 in the grid's own (English) number format, shares as 52.3 %.
COLUMNS: dict[str, Any] = {
    COUNT: st.column_config.NumberColumn(format="localized"),
    DECIMAL: st.column_config.NumberColumn(format="%.1f"),
    SHARE: st.column_config.NumberColumn(format="%.1f %%"),
    EUR: st.column_config.NumberColumn(format="localized"),
}


def readable(table: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The table with shares in percent (52.3, not 0.523), and a column format for each
    heading: numbers stay numbers, so a column sorts by value."""
    shown = table.copy()
    config: dict[str, Any] = {}
    for column in shown.columns:
        fmt = FORMATS.get(str(column), COUNT if column in ("Counted", "Target") else "")
        if fmt == SHARE:
            shown[column] = pd.to_numeric(shown[column], errors="coerce") * 100
        if fmt in COLUMNS:
            config[str(column)] = COLUMNS[fmt]
    return shown, config


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
        # A data grid, not st.table: it draws a thousand country pairs at little cost, and
        # shows cells as text (no Markdown), so names need no escaping.
        shown, config = readable(figures)
        st.dataframe(shown, hide_index=True, width="stretch", column_config=config)
