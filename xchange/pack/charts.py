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

from datetime import date
from typing import Literal

import pandas as pd
import plotly.graph_objects as go

from xchange import dates
from xchange.kpi.sums import Definitions
from xchange.kpi.targets import Forecast, TargetPath
from xchange.models import quarter_of
from xchange.pack.flows import OTHER, flows_chart
from xchange.pack.style import (
    ACCENT,
    DARK,
    EMPTY_MESSAGE,
    EXPORT_HEIGHT,
    EXPORT_SCALE,
    EXPORT_WIDTH,
    FONT_FAMILY,
    INK,
    LIGHT,
    MEDIUM,
    MUTED,
    SUBTITLE_WIDTH,
    chart_title,
    config,
    house_style,
    plain,
    quarter_order,
    say_empty,
    template,
)
from xchange.presentation import number, percent
from xchange.reference import ECOSYSTEMS, quarter_label

# The house style's names, and the flows chart, are read from here by the pages and the pack.
__all__ = [
    "EMPTY_MESSAGE",
    "EXPORT_HEIGHT",
    "EXPORT_SCALE",
    "EXPORT_WIDTH",
    "FONT_FAMILY",
    "NOT_GIVEN",
    "OTHER",
    "SHARES",
    "SUBTITLE_WIDTH",
    "config",
    "ecosystems_chart",
    "flows_chart",
    "house_style",
    "partnerships_chart",
    "plain",
    "progress_chart",
    "quarter_order",
    "share_chart",
    "template",
]


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
        title=chart_title(scope, "cumulative exchanges counted", as_of),
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
        say_empty(fig)
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
        title=chart_title(scope, f"share {what}", as_of),
        subtitle=subtitle,
        height=520,
    )
    fig.update_xaxes(type="category", title="Quarter")
    fig.update_yaxes(title="Share of counted exchanges", range=[0, 100], ticksuffix=" %", dtick=25)
    fig.update_layout(bargap=0.35, margin={"r": 110})
    if not any(v is not None for v in shares):
        say_empty(fig)
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
        say_empty(fig)
    return fig


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
        title=chart_title(scope, "exchanges counted by industrial ecosystem", as_of),
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
        say_empty(fig)
    return fig
