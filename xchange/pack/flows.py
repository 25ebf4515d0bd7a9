"""The flows chart: exchanges between visitor and host countries as a Sankey diagram (the app
runs offline, so no map), the largest pairs drawn one by one and the rest grouped as "Other"."""

from datetime import date

import pandas as pd
import plotly.graph_objects as go

from xchange.pack.style import (
    DARK,
    FONT_FAMILY,
    INK,
    LIGHT,
    MEDIUM,
    chart_title,
    house_style,
    say_empty,
)
from xchange.presentation import number, percent
from xchange.reference import country_name

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
        title=chart_title(scope, "flows between countries", as_of),
        subtitle=subtitle + ".",
        height=max(520, 200 + 34 * max(len(left), len(right))),
    )
    fig.update_layout(margin={"t": fig.layout.margin.t + 30})  # room for the two headings
    if not values:
        say_empty(fig)
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
