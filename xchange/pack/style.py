"""The charts' house style: white, DejaVu Sans, type sized for print, legend under the plot, and
series that stay apart in grayscale (dark / medium / light tones, solid / dashed / dotted lines).
Shared by every builder in `xchange.pack.charts` and `xchange.pack.flows`."""

import html
import textwrap
from datetime import date
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from xchange import dates
from xchange.models import quarter_of
from xchange.reference import quarter_label

FONT_FAMILY = "DejaVu Sans, Arial, sans-serif"  # fonts-dejavu-core: .ci/run installs it
INK = "#1a1a1a"
GRID = "#dedede"
# Three blues that print as three clearly different grays (about 20 %, 47 % and 75 % luminance).
DARK = "#0b2f6b"
MEDIUM = "#4f7fbf"
LIGHT = "#a9c6e8"
ACCENT = "#b8431f"  # targets and floors; always dashed, so it needs no colour to be told apart
MUTED = "#6f6f6f"
EMPTY_MESSAGE = "No exchanges counted yet"
SUBTITLE_WIDTH = 105  # characters of 13 px type in a 1000 px wide figure

# Static export: a 1000 x 600 px figure at scale 2 prints sharp at about 17 cm wide.
EXPORT_WIDTH = 1000
EXPORT_HEIGHT = 600
EXPORT_SCALE = 2.0


def _axis() -> dict[str, Any]:
    return {
        "showline": True,
        "linecolor": INK,
        "ticks": "outside",
        "tickcolor": INK,
        "tickfont": {"size": 12},
        "title": {"font": {"size": 14}},
        "gridcolor": GRID,
        "zeroline": False,
        "automargin": True,
    }


def template() -> go.layout.Template:
    """The house template: plain white, print-sized type, legend at the bottom, no external font."""
    return go.layout.Template(
        layout={
            "font": {"family": FONT_FAMILY, "size": 13, "color": INK},
            "paper_bgcolor": "white",
            "plot_bgcolor": "white",
            "colorway": [DARK, MEDIUM, LIGHT, ACCENT, MUTED],
            "separators": ".,",  # 1,000.5
            "title": {"x": 0, "xref": "paper", "xanchor": "left", "font": {"size": 18}},
            "margin": {"l": 80, "r": 40, "t": 100, "b": 110},
            "legend": {
                "orientation": "h",
                "x": 0,
                "xanchor": "left",
                "y": 0,
                "yanchor": "bottom",
                "yref": "container",
                "font": {"size": 12},
            },
            "hoverlabel": {"font": {"family": FONT_FAMILY, "size": 13}, "bgcolor": "white"},
            "xaxis": _axis(),
            "yaxis": _axis(),
        },
        data={"bar": [go.Bar(marker={"line": {"color": INK, "width": 0.6}})]},
    )


def house_style(
    fig: go.Figure,
    *,
    title: str,
    subtitle: str | None = None,
    height: int | None = None,
) -> go.Figure:
    """Apply the house template, a title and a subtitle (smaller, grey, wrapped to fit an exported
    figure; a newline starts a new line) and, if given, the height; return `fig` itself."""
    title_spec: dict[str, Any] = {"text": title}
    lines = _wrap(subtitle) if subtitle else []
    if lines:
        title_spec["subtitle"] = {"text": "<br>".join(lines), "font": {"size": 13, "color": MUTED}}
    fig.update_layout(
        template=template(), title=title_spec, margin={"t": 80 + 20 * max(len(lines), 1)}
    )
    if height is not None:
        fig.update_layout(height=height)
    return fig


def _wrap(text: str, width: int = SUBTITLE_WIDTH) -> list[str]:
    """Plotly does not wrap text: break a subtitle into lines that fit an exported figure; each
    paragraph (separated by a newline) starts on a line of its own."""
    return [
        line
        for paragraph in text.splitlines()
        for line in textwrap.wrap(paragraph, width=width, break_long_words=False)
    ]


def config(*, filename: str = "clusterxchange-chart") -> dict[str, Any]:
    """Plotly config for `st.plotly_chart(..., config=...)` or `fig.show(config=...)`.

    No plotly logo, no math typesetting, and the camera button saves a 2x PNG named `filename`.
    """
    return {
        "displaylogo": False,
        "typesetMath": False,
        "responsive": True,
        "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d"],
        "toImageButtonOptions": {"format": "png", "filename": filename, "scale": EXPORT_SCALE},
    }


def plain(text: str) -> str:
    """User text (an acronym) for a chart: plotly reads `<b>`, `<a href=...>` and entities in
    every text it draws, so `<`, `>` and `&` become entities and show as typed."""
    return html.escape(text, quote=False)


def scope_label(scope: str) -> str:
    return "Programme" if scope.casefold() == "programme" else plain(scope)


def chart_title(scope: str, what: str, as_of: date) -> str:
    return f"{scope_label(scope)} — {what}, as of {quarter_label(quarter_of(as_of))}"


def say_empty(fig: go.Figure, message: str = EMPTY_MESSAGE) -> go.Figure:
    """Write `message` across the plot; with no trace at all, hide the meaningless axes."""
    fig.add_annotation(
        text=message,
        xref="paper",
        yref="paper",
        x=0.5,
        y=0.5,
        showarrow=False,
        font={"size": 18, "color": MUTED},
        bgcolor="white",  # legible over a target path or floor line
        borderpad=6,
    )
    if not fig.data:
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False)
    return fig


def quarter_order(column: pd.Series) -> pd.Series:
    """A sort key for a column of quarters: time order, which text order is not for every year."""
    return column.map(lambda q: dates.index_of(str(q)))
