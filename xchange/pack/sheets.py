"""The pack's tables: `data.xlsx` (one sheet per chart, with exactly the figures drawn, a summary
and the definitions) and the summary the report and the Reports page show.

Numbers stay numbers (shares as fractions shown as 52.3 %), so a sheet can be charted again or
checked against `xchange kpi --json`.
"""

from __future__ import annotations

import html
import io
from typing import TYPE_CHECKING, Any

import pandas as pd
import plotly.graph_objects as go

from xchange import dates
from xchange.exports.exchanges import neutralise
from xchange.kpi import targets
from xchange.models import quarter_of
from xchange.pack import charts, details
from xchange.presentation import number, percent
from xchange.reference import country_name, quarter_label

if TYPE_CHECKING:
    from xchange.kpi.details import Details
    from xchange.kpi.overview import Overview
    from xchange.pack.data import PackData

# How each column reads in Excel: counts, decimals, shares or text (the default).
COUNT, DECIMAL, SHARE = "#,##0", "#,##0.0", "0.0 %"
FORMATS: dict[str, str] = {
    "Counted": COUNT,
    "Counted in the quarter": COUNT,
    "Counted (cumulative)": COUNT,
    "Involving an SME": COUNT,
    "Beyond the community": COUNT,
    "Target": COUNT,
    "Target path (expected, cumulative)": DECIMAL,
    "Forecast (cumulative)": DECIMAL,
    "Expected by now": DECIMAL,
    "Share in the quarter": SHARE,
    "Cumulative share": SHARE,
    "Floor": SHARE,
    "Progress": SHARE,
    "Expected by now (of the target)": SHARE,
    "SME share": SHARE,
    **details.FORMATS,
}


def _label(quarter: object) -> str:
    text = str(quarter)
    return text if "-" in text else quarter_label(text)


def _share(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


# --- one table per chart -------------------------------------------------------------------------


def progress(data: PackData | Overview) -> pd.DataFrame:
    """Per quarter: counted, cumulative, the target path, the forecast's two points, the target."""
    rows = data.quarters.sort_values("quarter", key=charts.quarter_order)
    counted = {
        _label(q): (int(n), int(c))
        for q, n, c in rows[["quarter", "counted", "cumulative_counted"]].itertuples(index=False)
    }
    path = {
        _label(q): float(v)
        for q, v in zip(data.path.table["quarter"], data.path.table["expected"], strict=True)
    }
    forecast: dict[str, float] = {}
    outlook = data.forecast
    if outlook.action_end > data.as_of:  # as the chart: from the last actual point to action end
        start = max(counted, key=dates.index_of) if counted else _label(quarter_of(data.as_of))
        forecast[start] = float(counted[start][1]) if start in counted else 0.0
        forecast[_label(quarter_of(outlook.action_end))] = float(outlook.projection)
    target = data.path.target or outlook.target
    table = [
        {
            "Quarter": q,
            "Counted in the quarter": counted.get(q, (None, None))[0],
            "Counted (cumulative)": counted.get(q, (None, None))[1],
            "Target path (expected, cumulative)": path.get(q),
            "Forecast (cumulative)": forecast.get(q),
            "Target": target,
        }
        for q in sorted(set(counted) | set(path) | set(forecast), key=dates.index_of)
    ]
    return pd.DataFrame(table)


def share(data: PackData | Overview, kind: str) -> pd.DataFrame:
    """Per quarter: counted, the part involving an SME (or beyond), the share, cumulative, floor."""
    column, cumulative, part, _ = charts.SHARES[kind]
    floor = data.headline.sme_target if kind == "sme" else data.headline.beyond_target
    rows = data.quarters.sort_values("quarter", key=charts.quarter_order)
    return pd.DataFrame(
        {
            "Quarter": [_label(q) for q in rows["quarter"]],
            "Counted": [int(v) for v in rows["counted"]],
            "Involving an SME" if kind == "sme" else "Beyond the community": [
                int(v) for v in rows[part]
            ],
            "Share in the quarter": [_share(v) for v in rows[column]],
            "Cumulative share": [_share(v) for v in rows[cumulative]],
            "Floor": [floor] * len(rows),
        }
    )


def partnerships(data: PackData) -> pd.DataFrame:
    """Each partnership's progress toward its own target, in the chart's order."""
    rows = data.partnerships.copy()
    target = rows["target"].astype(float)
    rows["_pct"] = rows["counted"].astype(float) / target.where(target > 0)
    rows = rows.sort_values(["_pct", "acronym"], ascending=[False, True], na_position="last")
    return pd.DataFrame(
        {
            "Partnership": rows["acronym"].astype(str).tolist(),
            "Counted": [int(v) for v in rows["counted"]],
            "Target": [int(v) for v in rows["target"]],
            "Progress": [_share(v) for v in rows["_pct"]],
            "Expected by now": [float(v) for v in rows["expected_now"]],
            "Expected by now (of the target)": [
                float(e) / t if t else None
                for e, t in zip(rows["expected_now"], rows["target"], strict=True)
            ],
        }
    )


def flows(data: PackData | Overview) -> pd.DataFrame:
    """Every country pair with counted exchanges, largest first; the chart draws the first
    `FLOWS_TOP` and groups the rest as "Other"."""
    from xchange.pack.data import FLOWS_TOP

    rows = data.flows[data.flows["counted"] > 0].sort_values(
        ["counted", "visitor_country", "host_country"], ascending=[False, True, True]
    )
    # A name per country rather than per pair: the dashboard shows this table on every run.
    codes = {*rows["visitor_country"], *rows["host_country"]}
    names = {code: country_name(code) for code in codes}
    return pd.DataFrame(
        {
            "Visitor country": [names[c] for c in rows["visitor_country"]],
            "Host country": [names[c] for c in rows["host_country"]],
            "Counted": [int(v) for v in rows["counted"]],
            "SME share": [_share(v) for v in rows["sme_share"]],
            "Drawn as": [
                "its own flow" if i < FLOWS_TOP else "grouped as Other" for i in range(len(rows))
            ],
        }
    )


def ecosystems(data: PackData | Details) -> pd.DataFrame:
    """Counted exchanges and the SME share by ecosystem, largest first, "Not given" last."""
    rows = data.ecosystems.copy()
    rows["Ecosystem"] = [
        charts.NOT_GIVEN if str(n).casefold() == charts.NOT_GIVEN.casefold() else str(n)
        for n in rows["ecosystem_name"]
    ]
    rows["_unknown"] = rows["Ecosystem"] == charts.NOT_GIVEN
    rows = rows.sort_values(["_unknown", "counted", "Ecosystem"], ascending=[True, False, True])
    return pd.DataFrame(
        {
            "Ecosystem": rows["Ecosystem"].tolist(),
            "Counted": [int(v) for v in rows["counted"]],
            "Involving an SME": [int(v) for v in rows["involving_sme"]],
            "SME share": [_share(v) for v in rows["sme_share"]],
        }
    )


# --- summary, definitions, snapshots -----------------------------------------------------------


def summary_rows(data: PackData) -> list[dict[str, Any]]:
    """The headline with targets, statuses and reasons; numbers as numbers."""
    h, outlook = data.headline, data.forecast
    status = {s.kpi: s for s in outlook.statuses}
    virtual = (
        "Virtual stays (counted)"
        if data.definitions.count_virtual
        else "Virtual stays (counted apart)"
    )
    rows: list[dict[str, Any]] = [
        {
            "Figure": "Exchanges counted",
            "Value": h.counted,
            "Target or floor": h.target,
            "Progress or share": h.progress,
            "Status": status["exchanges"].status,
            "Reason": status["exchanges"].reason,
        },
        {
            "Figure": "Involving an SME",
            "Value": h.involving_sme,
            "Target or floor": h.sme_target,
            "Progress or share": h.sme_share,
            "Status": status["sme_share"].status,
            "Reason": status["sme_share"].reason,
        },
        {
            "Figure": "Beyond the community",
            "Value": h.beyond_community,
            "Target or floor": h.beyond_target,
            "Progress or share": h.beyond_share,
            "Status": status["beyond_share"].status,
            "Reason": status["beyond_share"].reason,
        },
        {"Figure": "Expected by now on the target path", "Value": round(outlook.expected_now, 1)},
        {
            "Figure": f"Projection at {outlook.action_end.isoformat()}",
            "Value": round(outlook.projection, 1),
            "Target or floor": h.target,
            "Reason": f"At {outlook.pace:,.1f} counted a quarter (mean of {' and '.join(quarter_label(q) for q in targets.pace_quarters(data.as_of))}).",
        },
        {"Figure": "Pipeline (planned, confirmed)", "Value": h.pipeline},
        {"Figure": virtual, "Value": h.virtual},
        {"Figure": "Cancelled", "Value": h.cancelled},
    ]
    return rows


def summary(data: PackData) -> pd.DataFrame:
    """The summary as people read it: 1,000 and 52.3 %, targets and floors in words."""
    shown = []
    for i, row in enumerate(summary_rows(data)):
        goal = row.get("Target or floor")
        shown.append(
            {
                "Figure": row["Figure"],
                "Value": number(row["Value"]),
                "Target or floor": ""
                if goal is None
                else (f"floor {percent(goal)}" if i in (1, 2) else number(goal)),
                "Progress or share": percent(row["Progress or share"])
                if "Progress or share" in row
                else "",
                "Status": row.get("Status", ""),
            }
        )
    return pd.DataFrame(shown)


def definitions(data: PackData) -> pd.DataFrame:
    """What produced the figures: scope, quarter, as-of date, readings, targets."""
    d, h = data.definitions, data.headline
    rows = [
        ("Scope", data.title),
        ("Quarter", quarter_label(data.quarter)),
        ("As of", data.as_of.isoformat()),
        ("Figures", data.source.describe()),
        *((f"Figures for {acronym}", used.describe()) for acronym, used in data.sources),
        ("Generated", data.generated.strftime("%Y-%m-%d %H:%M UTC")),
        (
            "Counted",
            "Completed stays that ended on or before the as-of date, each once, for the partnership that sends the visitor; the pipeline is not counted.",
        ),
        ("Beyond-community reading", d.beyond_reading),
        ("Virtual stays counted", "yes" if d.count_virtual else "no (counted apart)"),
        ("Readings in words", d.describe()),
        ("Target (exchanges)", number(h.target)),
        ("SME share floor", percent(h.sme_target)),
        ("Beyond-community share floor", percent(h.beyond_target)),
        *(("Note", w) for w in data.path.warnings),
    ]
    return pd.DataFrame(rows, columns=["Item", "Value"])


COMPARED = {
    "counted": "Exchanges counted",
    "sme_share": "SME share",
    "beyond_share": "Beyond share",
    "pipeline": "Pipeline",
    "cancelled": "Cancelled",
    "virtual": "Virtual",
}


def comparisons(data: PackData) -> pd.DataFrame:
    """Each earlier quarter with a snapshot: each figure at the close (the first revision), as
    approved (blank without an approved report) and now."""
    rows = [
        {
            "Quarter": quarter_label(c.quarter),
            "Figure": label,
            "At the close": c.reported.get(key),
            "Approved": None if c.approved is None else c.approved.get(key),
            "Now": c.now.get(key),
            "Snapshot taken": c.taken_at[:10],
        }
        for c in data.comparisons
        for key, label in COMPARED.items()
    ]
    return pd.DataFrame(
        rows,
        columns=["Quarter", "Figure", "At the close", "Approved", "Now", "Snapshot taken"],
    )


# --- the workbook --------------------------------------------------------------------------------


def chart_tables(data: PackData) -> dict[str, pd.DataFrame]:
    """Sheet name -> the figures of that chart (see `xchange.pack.data.CHARTS`)."""
    return {
        "Progress": progress(data),
        "SME share": share(data, "sme"),
        "Beyond share": share(data, "beyond"),
        "Partnerships": partnerships(data),
        "Flows": flows(data),
        "Ecosystems": ecosystems(data),
        **detail_tables(data),
    }


def detail_tables(data: PackData) -> dict[str, pd.DataFrame]:
    """The breakdowns the dashboard shows (no chart of their own in the pack): countries on
    each side, organisation types, and the lump sums per partnership with their total."""
    found = data.details
    return {
        "Visitor countries": details.countries(found.visitor_countries),
        "Host countries": details.countries(found.host_countries),
        "Organisation types": details.org_types(found.org_types),
        "Lump sums": details.lump_sums(found.money, found.money_total),
    }


def workbook(data: PackData, drawn: dict[str, go.Figure]) -> bytes:
    """`data.xlsx`: Summary, one sheet per chart (its title in the first row), Definitions and,
    when snapshots are stored, As reported."""
    import xlsxwriter

    from xchange.pack.data import CHARTS

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    styles = {fmt: book.add_format({"num_format": fmt}) for fmt in (COUNT, DECIMAL, SHARE)}
    bold = book.add_format({"bold": True, "text_wrap": True, "valign": "top", "bottom": 1})
    heading = book.add_format({"bold": True, "font_size": 13})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    # Chart titles hold entities for plotly (charts.plain); a cell shows the text itself.
    titles = {
        CHARTS[stem]: html.unescape(str(fig.layout.title.text or "")) for stem, fig in drawn.items()
    }
    summary_frame = pd.DataFrame(summary_rows(data)).reindex(
        columns=["Figure", "Value", "Target or floor", "Progress or share", "Status", "Reason"]
    )
    sheets = {
        "Summary": summary_frame,
        **chart_tables(data),
        "Definitions": definitions(data),
    }
    if data.comparisons:
        sheets["As reported"] = comparisons(data)
    for name, frame in sheets.items():
        sheet = book.add_worksheet(name)
        title = titles.get(name) or f"{data.title} — {name.lower()}, {quarter_label(data.quarter)}"
        sheet.write_string(0, 0, str(neutralise(title)), heading)
        for col, column in enumerate(frame.columns):
            sheet.write_string(2, col, str(neutralise(str(column))), bold)
            width = max([len(str(column)), *(len(str(v)) for v in frame[column])]) + 2
            sheet.set_column(col, col, min(width, 70), wrap if width > 70 else None)
            style = styles.get(FORMATS.get(str(column), ""))
            for row, value in enumerate(frame[column], start=3):
                if value is None or (not isinstance(value, str) and pd.isna(value)):
                    continue
                if name == "Summary" and column == "Progress or share":
                    style = styles[SHARE]
                elif name == "Summary" and column == "Target or floor":
                    style = styles[SHARE] if isinstance(value, float) else styles[COUNT]
                if isinstance(value, str):
                    # A string cell, never a formula, and inert if copied out as text too.
                    sheet.write_string(row, col, str(neutralise(value)), style)
                else:
                    sheet.write(row, col, value, style)
        sheet.freeze_panes(3, 0)
    book.close()
    return buffer.getvalue()
