"""Figure builders: KPI tables in, a plotly `go.Figure` out, styled for the screen and for print.

Each builder takes a table a breakdown returns (`xchange.kpi.breakdowns`), or a target path and a
forecast (`xchange.kpi.targets`), and returns a figure. Nothing here reads the database or imports
streamlit. The same figures feed

- the dashboard: `st.plotly_chart(fig, config=charts.config(), theme=None)` (`theme=None` keeps
  the house style instead of Streamlit's colours);
- the quarterly pack: drawn to PNG, SVG and PDF by `xchange.pack.render.ChartRenderer`.

House style (`house_style`): white, DejaVu Sans, type sized for print, legend under the plot, and
series that stay apart in grayscale: dark / medium / light tones, solid / dashed / dotted lines,
different markers. Numbers read like 1,000 and 52.3 % in labels and hover alike
(`xchange.presentation`). Empty data gives a figure that says so, never an exception. No trace is
a map: the app runs offline, so country flows are a Sankey diagram.
"""

from __future__ import annotations

import html
import textwrap
from datetime import date
from typing import Any, Literal

import pandas as pd
import plotly.graph_objects as go

from xchange import dates
from xchange.kpi.sums import Definitions
from xchange.kpi.targets import Forecast, TargetPath
from xchange.models import quarter_of
from xchange.presentation import number, percent
from xchange.reference import ECOSYSTEMS, country_name, quarter_label

# --- house style -------------------------------------------------------------------------------

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


def _scope_label(scope: str) -> str:
    return "Programme" if scope.casefold() == "programme" else plain(scope)


def _title(scope: str, what: str, as_of: date) -> str:
    return f"{_scope_label(scope)} — {what}, as of {quarter_label(quarter_of(as_of))}"


def _say_empty(fig: go.Figure, message: str = EMPTY_MESSAGE) -> go.Figure:
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


def _label(quarter: object) -> str:
    """`2026Q3` (stored) or `2026-Q3` (already shown) -> `2026-Q3`."""
    text = str(quarter)
    return text if "-" in text else quarter_label(text)


def _pct(value: object) -> float | None:
    """A share (0.523) as a percentage (52.3); None stays None (nothing counted: no data)."""
    if value is None or pd.isna(value):  # type: ignore[call-overload]
        return None
    return float(value) * 100  # type: ignore[arg-type]


def _pct_label(share: float) -> str:
    """0.5 -> `50 %`, 0.255 -> `25.5 %`: a setting as people write it."""
    return f"{share * 100:.1f}".removesuffix(".0") + " %"


# --- progress toward the target ------------------------------------------------------------------


def progress_chart(
    quarters: pd.DataFrame,
    path: TargetPath,
    forecast: Forecast | None,
    *,
    scope: str,
    as_of: date,
) -> go.Figure:
    """Cumulative counted exchanges per quarter against the target path, the forecast and the
    target.

    `quarters` is `breakdowns.by_quarter(...).table` (quarter, counted, cumulative_counted).
    Traces: "Target path" (dashed), "Counted (cumulative)" (solid, markers), and, when the action
    is still running, "Forecast: N by YYYY-MM-DD" (dotted, from the last actual point to the
    projection at action end). A horizontal line marks "Target: 1,000".
    """
    fig = go.Figure()
    current = quarter_of(as_of)
    rows = quarters.sort_values("quarter", key=quarter_order) if len(quarters) else quarters
    labels = [_label(q) for q in rows["quarter"]] if len(rows) else []
    cumulative = [int(v) for v in rows["cumulative_counted"]] if len(rows) else []
    per_quarter = [int(v) for v in rows["counted"]] if len(rows) else []
    order = set(labels) | {_label(q) for q in path.table["quarter"]}

    if len(path.table):
        fig.add_scatter(
            x=[_label(q) for q in path.table["quarter"]],
            y=[float(v) for v in path.table["expected"]],
            name="Target path",
            legendrank=2,
            mode="lines",
            line={"color": ACCENT, "dash": "dash", "width": 2},
            customdata=[
                [number(v), day.isoformat()]
                for v, day in zip(path.table["expected"], path.table["quarter_end"], strict=True)
            ],
            hovertemplate="%{x}: %{customdata[0]} expected by %{customdata[1]}<extra>Target path</extra>",
        )
    # Drawn before the counted line, so the actual last point stays on top of its start.
    if forecast is not None and forecast.action_end > as_of:
        start_x, start_y = (labels[-1], cumulative[-1]) if labels else (_label(current), 0)
        end_x = _label(quarter_of(forecast.action_end))
        order |= {start_x, end_x}
        name = f"Forecast: {number(forecast.projection)} by {forecast.action_end.isoformat()}"
        fig.add_scatter(
            x=[start_x, end_x],
            y=[start_y, forecast.projection],
            name=name,
            legendrank=3,
            mode="lines+markers+text",
            line={"color": MEDIUM, "dash": "dot", "width": 3},
            marker={"symbol": ["circle", "diamond-open"], "size": [8, 12], "color": MEDIUM},
            text=["", number(forecast.projection)],
            textposition="top left",
            textfont={"size": 13, "color": MEDIUM},
            hovertemplate=(
                f"{name}<br>at {number(forecast.pace)} a quarter, with "
                f"{number(forecast.confirmed_ahead)} confirmed stays ahead<extra></extra>"
            ),
        )
    if any(cumulative):
        until = [
            f"to {as_of.isoformat()}" if _label(current) == x else "whole quarter" for x in labels
        ]
        fig.add_scatter(
            x=labels,
            y=cumulative,
            name="Counted (cumulative)",
            legendrank=1,
            mode="lines+markers+text",
            line={"color": DARK, "width": 3},
            marker={"symbol": "circle", "size": 8, "color": DARK},
            text=[""] * (len(cumulative) - 1) + [number(cumulative[-1])],
            textposition="top left",
            textfont={"size": 13, "color": DARK},
            customdata=[
                [number(c), number(n), u]
                for c, n, u in zip(cumulative, per_quarter, until, strict=True)
            ],
            hovertemplate=(
                "%{x} (%{customdata[2]}): %{customdata[0]} counted in all, "
                "%{customdata[1]} in the quarter<extra></extra>"
            ),
        )
    target = path.target or (forecast.target if forecast is not None else 0)
    if target:
        fig.add_hline(
            y=target,
            line={"color": MUTED, "dash": "longdash", "width": 1.5},
            annotation_text=f"Target: {number(target)}",
            annotation_position="top left",
            annotation_font={"size": 13, "color": INK},
        )
    notes = [f"Counted: completed stays ended by {as_of.isoformat()}; the pipeline is not in it."]
    house_style(
        fig,
        title=_title(scope, "cumulative exchanges counted", as_of),
        subtitle="\n".join([*notes, *path.warnings]),
        height=560,
    )
    fig.update_xaxes(
        type="category",
        categoryorder="array",
        categoryarray=sorted(order, key=dates.index_of),
        range=[-0.5, len(order) - 0.5],  # half a quarter of room at each end, as bars have
        title="Quarter",
    )
    fig.update_yaxes(title="Exchanges (cumulative)", tickformat=",", rangemode="tozero")
    if not any(cumulative):
        _say_empty(fig)
    return fig


# --- shares against their floors -----------------------------------------------------------------

SHARES: dict[str, tuple[str, str, str, str]] = {
    # kind: (share column, cumulative share column, numerator column, what it counts)
    "sme": ("sme_share", "cumulative_sme_share", "involving_sme", "involving an SME"),
    "beyond": (
        "beyond_share",
        "cumulative_beyond_share",
        "beyond_community",
        "involving participants beyond the community",
    ),
}


def share_chart(
    quarters: pd.DataFrame,
    *,
    kind: Literal["sme", "beyond"],
    floor: float,
    scope: str,
    as_of: date,
    definitions: Definitions | None = None,
) -> go.Figure:
    """The SME (or beyond-community) share per quarter as bars and cumulated as a line, in
    percent, against the floor ("Floor 50 %").

    `quarters` is `breakdowns.by_quarter(...).table`. A quarter with nothing counted has no share:
    its bar is missing and marked "no data", never drawn as 0 %. `definitions`, when given, puts
    the beyond-community reading in the subtitle.
    """
    if kind not in SHARES:
        raise ValueError(f"kind must be 'sme' or 'beyond', not {kind!r}")
    column, cumulative_column, part_column, what = SHARES[kind]
    fig = go.Figure()
    rows = quarters.sort_values("quarter", key=quarter_order) if len(quarters) else quarters
    labels = [_label(q) for q in rows["quarter"]] if len(rows) else []
    shares = [_pct(v) for v in rows[column]] if len(rows) else []
    cumulative = [_pct(v) for v in rows[cumulative_column]] if len(rows) else []
    counted = [int(v) for v in rows["counted"]] if len(rows) else []
    parts = [int(v) for v in rows[part_column]] if len(rows) else []
    texts = [percent(None if v is None else v / 100) for v in shares]

    if any(v is not None for v in shares):
        fig.add_bar(
            x=labels,
            y=shares,
            name="Share in the quarter",
            marker={"color": LIGHT},
            text=[
                f"{t}<br>of {number(n)}" if v is not None else ""
                for t, v, n in zip(texts, shares, counted, strict=True)
            ],
            # At the foot of the bar, clear of the cumulative line; above a bar too short for it.
            textposition=["inside" if (v or 0) >= 15 else "outside" for v in shares],
            insidetextanchor="start",
            textangle=0,
            textfont={"size": 12, "color": INK},
            customdata=[
                [t, number(p), number(n)] for t, p, n in zip(texts, parts, counted, strict=True)
            ],
            hovertemplate=(
                "%{x}: %{customdata[0]} (%{customdata[1]} of %{customdata[2]} counted)"
                "<extra>In the quarter</extra>"
            ),
        )
        shown = [percent(None if v is None else v / 100) for v in cumulative]
        last = max(i for i, v in enumerate(cumulative) if v is not None)
        fig.add_scatter(
            x=labels,
            y=cumulative,
            name="Cumulative share",
            mode="lines+markers+text",
            connectgaps=False,
            line={"color": DARK, "width": 3},
            marker={"symbol": "square", "size": 8, "color": DARK},
            text=["" if i != last else t for i, t in enumerate(shown)],
            textposition="top center",
            textfont={"size": 13, "color": DARK},
            customdata=[[t] for t in shown],
            hovertemplate="%{x}: %{customdata[0]} since the start<extra>Cumulative</extra>",
        )
        for label, value in zip(labels, shares, strict=True):
            if value is None:  # nothing counted: say so where the bar would be
                fig.add_annotation(
                    x=label,
                    y=0,
                    yanchor="bottom",
                    text="no data",
                    showarrow=False,
                    font={"size": 11, "color": MUTED},
                )
    fig.add_hline(
        y=floor * 100,
        line={"color": ACCENT, "dash": "dash", "width": 2},
        annotation_text=f"Floor {_pct_label(floor)}",
        annotation_position="right",  # in the right margin, clear of the bars and the line
        annotation_font={"size": 13, "color": ACCENT},
    )
    subtitle = f"Share of counted exchanges {what}; a quarter with nothing counted has no data."
    if definitions is not None and kind == "beyond":
        subtitle += f" Beyond community: {definitions.beyond_reading} reading."
    house_style(
        fig,
        title=_title(scope, f"share {what}", as_of),
        subtitle=subtitle,
        height=520,
    )
    fig.update_xaxes(type="category", title="Quarter")
    fig.update_yaxes(title="Share of counted exchanges", range=[0, 100], ticksuffix=" %", dtick=25)
    fig.update_layout(bargap=0.35, margin={"r": 110})
    if not any(v is not None for v in shares):
        _say_empty(fig)
    return fig


# --- each partnership against its own target -----------------------------------------------------


def partnerships_chart(table: pd.DataFrame, *, as_of: date) -> go.Figure:
    """Horizontal bars of each partnership's progress toward its own target, in percent, highest
    on top, with text "62 of 100" and a line at 100 %.

    `table` is `breakdowns.by_partnership(...).table` (acronym, counted, target). An optional
    column `expected_now` (the expected cumulative count on the as-of date, as
    `Forecast.expected_now`) adds an "Expected by now" mark on each bar.
    """
    fig = go.Figure()
    rows = table.copy()
    if len(rows):
        targets = rows["target"].astype(float)
        rows["_pct"] = (rows["counted"].astype(float) / targets.where(targets > 0)) * 100
        rows = rows.sort_values(["_pct", "acronym"], ascending=[False, True], na_position="last")
    acronyms = [plain(str(a)) for a in rows["acronym"]] if len(rows) else []
    values = [None if pd.isna(v) else float(v) for v in rows["_pct"]] if len(rows) else []
    texts = [
        f"{number(c)} of {number(t)}" if t else f"{number(c)}, no target"
        for c, t in zip(rows.get("counted", []), rows.get("target", []), strict=True)
    ]
    if len(rows):
        fig.add_bar(
            x=values,
            y=acronyms,
            orientation="h",
            name="Counted, as a share of the partnership's target",
            marker={"color": LIGHT},
            text=texts,
            textposition="none",  # shown as a column in the right margin, clear of the marks
            customdata=[
                [t, percent(None if v is None else v / 100)]
                for t, v in zip(texts, values, strict=True)
            ],
            hovertemplate="%{y}: %{customdata[0]} (%{customdata[1]})<extra></extra>",
        )
    if len(rows) and "expected_now" in rows.columns:
        targets = rows["target"].astype(float)
        expected = rows["expected_now"].astype(float)
        marks = (expected / targets.where(targets > 0) * 100).tolist()
        fig.add_scatter(
            x=[None if pd.isna(v) else float(v) for v in marks],
            y=acronyms,
            name="Expected by now (target path)",
            mode="markers",
            marker={"symbol": "line-ns", "size": 22, "line": {"width": 3, "color": DARK}},
            customdata=[
                [number(e), percent(None if pd.isna(v) else v / 100)]
                for e, v in zip(expected, marks, strict=True)
            ],
            hovertemplate="%{y}: %{customdata[0]} expected by now (%{customdata[1]})<extra></extra>",
        )
    fig.add_vline(
        x=100,
        line={"color": ACCENT, "dash": "dash", "width": 2},
        annotation_text="Target (100 %)",
        annotation_position="top left",  # clear of the "Counted" column heading
        annotation_font={"size": 13, "color": ACCENT},
    )
    # "62 of 100" as a column in the right margin, like a table beside the bars.
    for acronym, text in zip(acronyms, texts, strict=True):
        fig.add_annotation(
            x=1,
            xref="paper",
            xanchor="left",
            xshift=10,
            y=acronym,
            yref="y",
            text=text,
            showarrow=False,
            font={"size": 12, "color": INK},
        )
    if acronyms:
        fig.add_annotation(
            x=1,
            xref="paper",
            xanchor="left",
            xshift=10,
            y=1,
            yref="paper",
            yanchor="bottom",
            text="<b>Counted</b>",
            showarrow=False,
        )
    known = [v for v in values if v is not None]
    top = max([100.0, *known]) * 1.05
    house_style(
        fig,
        title=f"Partnerships — progress toward their own targets, as of {quarter_label(quarter_of(as_of))}",
        subtitle=f"Counted exchanges (completed stays ended by {as_of.isoformat()}) as a share of each partnership's target.",
        height=max(420, 180 + 34 * len(acronyms)),
    )
    fig.update_xaxes(title="Progress toward the target", ticksuffix=" %", range=[0, top])
    fig.update_yaxes(autorange="reversed", showgrid=False, type="category")
    fig.update_layout(bargap=0.3, margin={"r": 130})
    if not len(rows) or not int(rows["counted"].sum()):
        _say_empty(fig)
    return fig


# --- flows between countries ---------------------------------------------------------------------

OTHER = "Other"


def flows_chart(table: pd.DataFrame, *, scope: str, as_of: date, top: int = 40) -> go.Figure:
    """Counted exchanges between countries as a Sankey diagram: visitors' countries on the left,
    hosts' countries on the right, the `top` largest flows drawn and the rest grouped as "Other".

    `table` is `breakdowns.flows(...).table` (visitor_country, host_country, counted). No map:
    the app runs offline.
    """
    fig = go.Figure()
    rows = table[table["counted"] > 0] if len(table) else table
    if len(rows):
        rows = rows.sort_values(
            ["counted", "visitor_country", "host_country"], ascending=[False, True, True]
        )
    shown, rest = rows.iloc[:top], rows.iloc[top:]
    left = _node_order(shown, "visitor_country")
    right = _node_order(shown, "host_country")
    if len(rest):
        left.append(OTHER)
        right.append(OTHER)
    other = f"{OTHER} ({number(len(rest))} smaller pairs)"
    labels = [other if c == OTHER else country_name(c) for c in [*left, *right]]
    sides = ["Visitors from"] * len(left) + ["Hosted in"] * len(right)
    sources = [left.index(str(v)) for v in shown["visitor_country"]]
    targets = [len(left) + right.index(str(h)) for h in shown["host_country"]]
    values = [int(v) for v in shown["counted"]]
    hovers = [
        f"{country_name(v)} → {country_name(h)}: {number(n)} counted, SME share {percent(s)}"
        for v, h, n, s in zip(
            shown["visitor_country"],
            shown["host_country"],
            values,
            shown.get("sme_share", [None] * len(shown)),
            strict=True,
        )
    ]
    if len(rest):
        sources.append(left.index(OTHER))
        targets.append(len(left) + right.index(OTHER))
        values.append(int(rest["counted"].sum()))
        hovers.append(f"{number(len(rest))} smaller flows: {number(values[-1])} counted in all")
    if values:
        fig.add_trace(
            go.Sankey(
                arrangement="snap",
                valueformat=",.0f",
                node={
                    "label": labels,
                    # Largest on top, visitors left, hosts right (plotly's own layout shuffles).
                    "x": [0.001] * len(left) + [0.999] * len(right),
                    "y": _stacked(_side_totals(sources, values, len(left)))
                    + _stacked(_side_totals([t - len(left) for t in targets], values, len(right))),
                    "pad": 12,
                    "thickness": 16,
                    "color": [DARK] * (len(left) - bool(len(rest)))
                    + [LIGHT] * bool(len(rest))
                    + [MEDIUM] * (len(right) - bool(len(rest)))
                    + [LIGHT] * bool(len(rest)),
                    "line": {"color": INK, "width": 0.5},
                    "customdata": sides,
                    "hovertemplate": "%{customdata} %{label}: %{value:,.0f} counted<extra></extra>",
                },
                link={
                    "source": sources,
                    "target": targets,
                    "value": values,
                    # The grouped rest lighter, so that the named flows stand out.
                    "color": ["rgba(90, 90, 90, 0.35)"] * len(shown)
                    + ["rgba(170, 170, 170, 0.25)"] * bool(len(rest)),
                    "customdata": hovers,
                    "hovertemplate": "%{customdata}<extra></extra>",
                },
                textfont={"family": FONT_FAMILY, "size": 12, "color": INK},
            )
        )
        for x, text, anchor in ((0, "Visitor's country", "left"), (1, "Host's country", "right")):
            fig.add_annotation(
                x=x,
                y=1.0,
                xref="paper",
                yref="paper",
                yanchor="bottom",
                xanchor=anchor,
                text=f"<b>{text}</b>",
                showarrow=False,
            )
    total = int(rows["counted"].sum()) if len(rows) else 0
    subtitle = f"{number(total)} counted exchanges in {number(len(rows))} country pairs"
    if len(rest):
        subtitle += (
            f"; the {number(len(shown))} largest pairs drawn, the other {number(len(rest))} "
            f"({number(values[-1])} exchanges) grouped as Other"
        )
    house_style(
        fig,
        title=_title(scope, "flows between countries", as_of),
        subtitle=subtitle + ".",
        height=max(520, 200 + 34 * max(len(left), len(right))),
    )
    fig.update_layout(margin={"t": fig.layout.margin.t + 30})  # room for the two headings
    if not values:
        _say_empty(fig)
    return fig


def _side_totals(nodes: list[int], values: list[int], count: int) -> list[int]:
    totals = [0] * count
    for node, value in zip(nodes, values, strict=True):
        totals[node] += value
    return totals


def _stacked(totals: list[int]) -> list[float]:
    """Node centres, in [0, 1] from the top, for nodes stacked in order with a small gap."""
    gap = 0.02
    span = 1 - gap * max(len(totals) - 1, 0)
    whole = sum(totals) or 1
    centres, top = [], 0.0
    for total in totals:
        height = span * total / whole
        centres.append(min(max(top + height / 2, 0.001), 0.999))
        top += height + gap
    return centres


def _node_order(rows: pd.DataFrame, column: str) -> list[str]:
    """Countries of one side, largest total first (then by code, so the order is stable)."""
    if not len(rows):
        return []
    totals = rows.groupby(column)["counted"].sum().reset_index()
    totals = totals.sort_values(["counted", column], ascending=[False, True])
    return [str(c) for c in totals[column]]


# --- ecosystems -----------------------------------------------------------------------------------


NOT_GIVEN = "Not given"


def ecosystems_chart(table: pd.DataFrame, *, scope: str, as_of: date) -> go.Figure:
    """Horizontal bars of counted exchanges by industrial ecosystem, largest on top ("not given"
    last), each with its SME share as text: "202 (SME 51.5 %)".

    `table` is `breakdowns.by_ecosystem(...).table` (ecosystem, ecosystem_name, counted,
    involving_sme, sme_share).
    """
    fig = go.Figure()
    rows = table.copy()
    if len(rows):
        if "ecosystem_name" not in rows.columns:
            rows["ecosystem_name"] = rows["ecosystem"].map(
                lambda c: ECOSYSTEMS.get(c, NOT_GIVEN) if isinstance(c, str) else NOT_GIVEN
            )
        rows["_unknown"] = rows["ecosystem_name"].str.casefold() == NOT_GIVEN.casefold()
        rows.loc[rows["_unknown"], "ecosystem_name"] = NOT_GIVEN
        rows = rows.sort_values(
            ["_unknown", "counted", "ecosystem_name"], ascending=[True, False, True]
        )
    names = [str(n) for n in rows["ecosystem_name"]] if len(rows) else []
    counted = [int(v) for v in rows["counted"]] if len(rows) else []
    shares = (
        [None if v is None or pd.isna(v) else float(v) for v in rows["sme_share"]]
        if len(rows)
        else []
    )
    parts = [int(v) for v in rows["involving_sme"]] if len(rows) else []
    if len(rows):
        fig.add_bar(
            x=counted,
            y=names,
            orientation="h",
            name="Counted exchanges (SME share in brackets)",
            marker={"color": MEDIUM},
            text=[f"{number(n)} (SME {percent(s)})" for n, s in zip(counted, shares, strict=True)],
            textposition="outside",
            cliponaxis=False,
            textfont={"size": 12, "color": INK},
            customdata=[
                [number(n), number(p), percent(s)]
                for n, p, s in zip(counted, parts, shares, strict=True)
            ],
            hovertemplate=(
                "%{y}: %{customdata[0]} counted, %{customdata[1]} involving an SME "
                "(%{customdata[2]})<extra></extra>"
            ),
        )
    house_style(
        fig,
        title=_title(scope, "exchanges counted by industrial ecosystem", as_of),
        subtitle=(
            f"Counted exchanges (completed stays ended by {as_of.isoformat()}); in brackets, "
            "the share of them involving an SME."
        ),
        height=max(420, 180 + 34 * len(names)),
    )
    fig.update_xaxes(title="Exchanges counted", tickformat=",", range=[0, max([1, *counted]) * 1.3])
    fig.update_yaxes(autorange="reversed", showgrid=False, type="category")
    fig.update_layout(bargap=0.3, showlegend=False)
    if not sum(counted):
        _say_empty(fig)
    return fig
