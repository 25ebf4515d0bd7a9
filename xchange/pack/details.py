"""The breakdowns as people read them: a table and a chart for each of the visitor's and the
host's country, the organisation types and the lump sums (`xchange.kpi.details`).

The tables are the figures a chart draws, under plain headings; the dashboard shows them
beside each chart (its text alternative) and `data.xlsx` holds them, one sheet each. Charts
follow the house style (`xchange.pack.style`); titles are short so that they fit a chart half a
1,024 px screen wide, and the scope goes in the caption or subtitle.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go

from xchange.pack.style import DARK, INK, LIGHT, MEDIUM, house_style, plain, say_empty
from xchange.presentation import euros, number, percent

COUNTRIES_DRAWN = 15  # bars in a country chart; the table lists every country
EUR = "#,##0.00"
# How the columns below read in Excel (added to `xchange.pack.sheets.FORMATS`).
FORMATS = {
    "Committed (EUR)": EUR,
    "Paid (EUR)": EUR,
    "Unpaid (EUR)": EUR,
    "At the halved rate": "#,##0",
    "Halved share": "0.0 %",
    "Beyond share": "0.0 %",
    "Pipeline": "#,##0",
}


def _share(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


# --- tables ------------------------------------------------------------------------------------


def countries(frame: pd.DataFrame) -> pd.DataFrame:
    """`breakdowns.by_country(...).table`, most counted first, under plain headings."""
    return pd.DataFrame(
        {
            "Country": [str(v) for v in frame["country_name"]],
            "Code": [str(v) for v in frame["country"]],
            "Counted": [int(v) for v in frame["counted"]],
            "Involving an SME": [int(v) for v in frame["involving_sme"]],
            "SME share": [_share(v) for v in frame["sme_share"]],
            "Beyond share": [_share(v) for v in frame["beyond_share"]],
            "Pipeline": [int(v) for v in frame["pipeline"]],
        }
    )


def org_types(frame: pd.DataFrame) -> pd.DataFrame:
    """`breakdowns.by_org_type(...).table`: one row per side (visitor, host) and type."""
    return pd.DataFrame(
        {
            "Side": [str(v) for v in frame["side"]],
            "Organisation type": [str(v) for v in frame["type_label"].fillna(frame["type"])],
            "Counted": [int(v) for v in frame["counted"]],
            "Involving an SME": [int(v) for v in frame["involving_sme"]],
            "SME share": [_share(v) for v in frame["sme_share"]],
            "Beyond share": [_share(v) for v in frame["beyond_share"]],
            "Pipeline": [int(v) for v in frame["pipeline"]],
        }
    )


def lump_sums(frame: pd.DataFrame, total: dict[str, Any]) -> pd.DataFrame:
    """`breakdowns.money_by_partnership(...).table` and a last row "Total" (`money.total`)."""
    rows = [
        {
            "Partnership": str(row["acronym"]),
            "Counted": int(row["counted"]),
            "At the halved rate": int(row["reduced_rate"]),
            "Halved share": _share(row["reduced_rate_share"]),
            "Committed (EUR)": float(row["committed_eur"]),
            "Paid (EUR)": float(row["paid_eur"]),
            "Unpaid (EUR)": float(row["unpaid_eur"]),
        }
        for _, row in frame.iterrows()
    ]
    rows.append(
        {
            "Partnership": "Total",
            "Counted": int(total["counted"]),
            "At the halved rate": int(total["reduced_rate"]),
            "Halved share": _share(total["reduced_rate_share"]),
            "Committed (EUR)": float(total["committed_eur"]),
            "Paid (EUR)": float(total["paid_eur"]),
            "Unpaid (EUR)": float(total["unpaid_eur"]),
        }
    )
    return pd.DataFrame(rows)


# --- charts ------------------------------------------------------------------------------------


def _bars(fig: go.Figure, names: list[str], counted: list[int], shares: list[Any], **trace: Any):
    fig.add_bar(
        x=counted,
        y=names,
        orientation="h",
        text=[number(n) for n in counted],  # the SME share in the hover and the table: a
        # chart half a narrow page wide has no room for it beside the bar
        textposition="outside",
        cliponaxis=False,
        textfont={"size": 12, "color": INK},
        customdata=[[number(n), percent(s)] for n, s in zip(counted, shares, strict=True)],
        hovertemplate="%{y}: %{customdata[0]} counted, SME %{customdata[1]}<extra></extra>",
        **trace,
    )


def country_chart(table: pd.DataFrame, *, side: str, subtitle: str | None = None) -> go.Figure:
    """Horizontal bars of counted exchanges by the visitor's (or host's) country, the first
    `COUNTRIES_DRAWN` of `countries(...)`, largest on top, the count beside each bar."""
    rows = table[table["Counted"] > 0].head(COUNTRIES_DRAWN)
    fig = go.Figure()
    names = [plain(f"{n} ({c})") for n, c in zip(rows["Country"], rows["Code"], strict=True)]
    counted = [int(v) for v in rows["Counted"]]
    if names:
        _bars(fig, names, counted, list(rows["SME share"]), marker={"color": MEDIUM})
    house_style(
        fig,
        title=f"By {side} country",
        subtitle=subtitle,
        height=max(360, 160 + 30 * len(names)),
    )
    fig.update_xaxes(title="Exchanges counted", tickformat=",", range=[0, max([1, *counted]) * 1.2])
    fig.update_yaxes(autorange="reversed", showgrid=False, type="category")
    fig.update_layout(bargap=0.3, showlegend=False)
    if not sum(counted):
        say_empty(fig)
    return fig


def org_type_chart(table: pd.DataFrame, *, subtitle: str | None = None) -> go.Figure:
    """Counted exchanges by organisation type, visitor (dark) and host (light) side by side."""
    fig = go.Figure()
    order: list[str] = (
        table.groupby("Organisation type")["Counted"].sum().sort_values(ascending=False)
    ).index.tolist()
    for side, colour in (("visitor", DARK), ("host", LIGHT)):
        rows = table[table["Side"] == side].set_index("Organisation type").reindex(order)
        counted = [int(v) if pd.notna(v) else 0 for v in rows["Counted"]]
        fig.add_bar(
            x=counted,
            y=[plain(str(n)) for n in order],
            orientation="h",
            name=f"As {side}",
            marker={"color": colour},
            text=[number(v) for v in counted],
            textposition="outside",
            cliponaxis=False,
            textfont={"size": 12, "color": INK},
            hovertemplate=f"%{{y}} as {side}: %{{x:,}} counted<extra></extra>",
        )
    house_style(fig, title="By organisation type", subtitle=subtitle, height=160 + 52 * len(order))
    top = int(table["Counted"].max()) if len(table) else 0
    fig.update_xaxes(title="Exchanges counted", tickformat=",", range=[0, max(1, top) * 1.25])
    fig.update_yaxes(autorange="reversed", showgrid=False, type="category")
    fig.update_layout(barmode="group", bargap=0.25)
    if not top:
        say_empty(fig)
    return fig


def money_chart(table: pd.DataFrame, *, subtitle: str | None = None) -> go.Figure:
    """Lump sums committed (light) and paid (dark) per partnership, in EUR (no total bar)."""
    rows = table[table["Partnership"] != "Total"]
    names = [plain(str(n)) for n in rows["Partnership"]]
    fig = go.Figure()
    for column, name, colour in (
        ("Committed (EUR)", "Committed", LIGHT),
        ("Paid (EUR)", "Paid", DARK),
    ):
        values = [float(v) for v in rows[column]]
        fig.add_bar(
            x=values,
            y=names,
            orientation="h",
            name=name,
            marker={"color": colour},
            text=[euros(v) for v in values],
            textposition="outside",
            cliponaxis=False,
            textfont={"size": 12, "color": INK},
            hovertemplate=f"%{{y}}: EUR %{{x:,.2f}} {name.lower()}<extra></extra>",
        )
    house_style(
        fig, title="Lump sums per partnership", subtitle=subtitle, height=160 + 52 * len(names)
    )
    top = float(rows["Committed (EUR)"].max()) if len(rows) else 0.0
    fig.update_xaxes(title="EUR", tickformat=",", range=[0, max(1.0, top) * 1.35])
    fig.update_yaxes(autorange="reversed", showgrid=False, type="category")
    fig.update_layout(barmode="group", bargap=0.25)
    if not top:
        say_empty(fig, "No lump sum committed yet")
    return fig
