"""Dashboard: where the programme and each partnership stand against 1,000 exchanges, 50 % SME
and 25 % beyond the community, whether they will make it, and why not."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st

from xchange import ui
from xchange.models import Role
from xchange.pack import charts

user = ui.page_setup("dashboard.py", "Dashboard")
choices = ui.cached_filter_choices()

st.title("ClusterXchange progress")
with st.container(horizontal=True):
    filters = ui.dashboard_filters(user, choices)
    as_of = ui.as_of_control()
    filters = replace(filters, recorded_at=ui.reading_control(as_of))
ui.remember_view(filters, as_of, choices)
with st.spinner("Counting exchanges..."):
    view = ui.cached_overview(filters, as_of)
    figures = ui.cached_chart_figures(filters, view.as_of)

h, outlook = view.headline, view.forecast
scope = "Programme" if h.scope == "programme" else h.scope
st.caption(
    f"{ui.escape(scope)}, as of {ui.iso(view.as_of)}, {ui.escape(h.describe_reading())}. "
    f"{ui.escape(view.definitions.describe())} "
    "Counted: completed physical stays that have ended, each once for the partnership that "
    "sends the visitor."
)
if view.empty:
    st.info("No exchanges yet: log one or import a file.")
    st.page_link("pages/1_Log_exchange.py", label="Log an exchange", icon=":material/add_circle:")
    st.stop()
if view.narrowed:
    st.warning(
        "Filters narrow the figures to some quarters, ecosystems or countries: progress "
        "and status still compare them with the whole scope's target."
    )

STATUS_ICONS = {
    "on track": ":material/check_circle:",
    "at risk": ":material/warning:",
    "off track": ":material/error:",
    "no data": ":material/help:",
}
left, middle, right = st.columns(3, border=True)
cards = zip(
    (left, middle, right),
    outlook.statuses,
    (
        (
            "Exchanges counted",
            f"{ui.number(h.counted)} of {ui.number(h.target)}",
            f"{ui.percent(h.progress)} of the target",
        ),
        (
            "Involving an SME",
            ui.percent(h.sme_share),
            f"{ui.number(h.involving_sme)} exchanges · floor {ui.percent(h.sme_target)}",
        ),
        (
            "Beyond the partnership community",
            ui.percent(h.beyond_share),
            f"{ui.number(h.beyond_community)} exchanges · floor {ui.percent(h.beyond_target)}",
        ),
    ),
    strict=True,
)
for column, status, (label, value, detail) in cards:
    with column:
        st.metric(ui.escape(label), value)
        st.caption(ui.escape(detail))
        st.markdown(
            f"{STATUS_ICONS.get(status.status, '')} **{ui.escape(status.status.capitalize())}**"
        )
        st.caption(ui.escape(status.reason))

st.markdown(
    f"Pipeline (planned or confirmed): **{ui.number(h.pipeline)}** · virtual stays, counted "
    f"apart: **{ui.number(h.virtual)}** · cancelled: **{ui.number(h.cancelled)}** · "
    f"expected by now on the target path: **{ui.number(outlook.expected_now)}** · "
    f"projection at {ui.iso(outlook.action_end)}: **{ui.number(outlook.projection)}**"
)
with st.expander("What is needed"):
    for gap in outlook.gaps:
        st.markdown(f"- {ui.escape(gap)}")
    if outlook.required_pace is not None:
        st.markdown(
            f"- Required pace: {outlook.required_pace:,.1f} counted exchanges a quarter "
            f"until {ui.iso(outlook.action_end)} (recent pace {outlook.pace:,.1f})."
        )
    for warning in view.path.warnings:
        st.markdown(f"- {ui.escape(warning)}")

ui.chart(
    charts.progress_chart(view.quarters, view.path, outlook, scope=scope, as_of=view.as_of),
    title="Exchanges counted, cumulative",
    description=" ".join(
        [
            f"{scope}, as of {ui.iso(view.as_of)}: counted exchanges added up quarter by quarter,",
            "against the target path (dashed) and the target, with the forecast (dotted) to",
            f"{ui.iso(outlook.action_end)}.",
            *view.path.warnings,
        ]
    ),
    figures=figures["progress"],
)
sme_column, beyond_column = st.columns(2)
for column, kind, floor, title, what in (
    (sme_column, "sme", h.sme_target, "SME share", "involving an SME"),
    (beyond_column, "beyond", h.beyond_target, "Beyond-community share", "beyond the community"),
):
    with column:
        ui.chart(
            charts.share_chart(
                view.quarters, kind=kind, floor=floor, scope=scope, as_of=view.as_of
            ),
            title=title,
            description=(
                f"{scope}, as of {ui.iso(view.as_of)}: the share of counted exchanges {what}, in "
                f"each quarter (bars) and since the start (line), against the floor of "
                f"{ui.percent(floor)}. A quarter with nothing counted has no data."
            ),
            figures=figures[kind],
        )

st.subheader("Partnerships")
table = view.partnerships
behind = table[table["status"].isin(["off track", "at risk"])].sort_values(
    "status", ascending=False
)
if len(behind):
    st.markdown(f"**{len(behind)} of {len(table)} partnerships need a look:**")
    for _, row in behind.iterrows():
        st.markdown(
            f"- {STATUS_ICONS.get(str(row['status']), '')} **{ui.escape(row['acronym'])}** "
            f"({ui.escape(row['status'])}): {ui.escape(row['reason'])}"
        )
elif len(table):
    st.success("Every partnership in scope is on track.")
shown = pd.DataFrame(
    {
        "Partnership": table["acronym"],
        "Status": table["status"].str.capitalize(),
        "Counted": table["counted"],
        "Target": table["target"],
        "Progress": table["progress"] * 100,
        "Expected by now": table["expected_now"].round(0),
        "SME share": table["sme_share"].astype(float) * 100,
        "Beyond share": table["beyond_share"].astype(float) * 100,
        "Pipeline": table["pipeline"],
        "Last activity": pd.to_datetime(table["last_activity"], utc=True).dt.date,
        "Why": table["reason"],
    }
)
status_filter = st.segmented_control(
    "Show",
    ["All", "Off track", "At risk", "On track"],
    default="All",
    help="Sort any column by clicking its heading.",
)
if status_filter and status_filter != "All":
    shown = shown[shown["Status"] == status_filter]
st.dataframe(
    shown,
    hide_index=True,
    width="stretch",
    column_config={
        "Progress": st.column_config.ProgressColumn(
            "Progress", format="%.1f %%", min_value=0, max_value=100
        ),
        "Expected by now": st.column_config.NumberColumn(format="localized"),
        "SME share": st.column_config.NumberColumn(format="%.1f %%"),
        "Beyond share": st.column_config.NumberColumn(format="%.1f %%"),
        "Counted": st.column_config.NumberColumn(format="localized"),
        "Target": st.column_config.NumberColumn(format="localized"),
        "Pipeline": st.column_config.NumberColumn(format="localized"),
        "Last activity": st.column_config.DateColumn(format="YYYY-MM-DD"),
        "Why": st.column_config.TextColumn(width="large"),
    },
)

st.subheader("Flows between countries")
ui.chart(
    charts.flows_chart(view.flows, scope=scope, as_of=view.as_of),
    title="Counted exchanges between countries",
    description=(
        f"{scope}, as of {ui.iso(view.as_of)}: counted exchanges between countries, visitors "
        "on the left, hosts on the right; the smallest flows are grouped as Other."
    ),
    figures=figures["flows"],
)

if user.role == Role.COORDINATOR:
    st.subheader("Quarter reports")
    st.caption("Each closed quarter of your partnerships: submit it on the Reports page.")
    st.dataframe(ui.states_table(ui.quarter_states(user)), hide_index=True, width="stretch")

ui.show_breakdowns(filters, as_of=view.as_of, scope=scope)
