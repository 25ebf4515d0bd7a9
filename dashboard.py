"""Dashboard: where the programme and each partnership stand against 1,000 exchanges, 50 % SME
and 25 % beyond the community, whether they will make it, and why not."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from xchange import ui
from xchange.kpi.sums import Filters
from xchange.models import Role
from xchange.pack import charts
from xchange.reference import quarter_label

user = ui.page_setup("dashboard.py", "Dashboard")
choices = ui.cached_filter_choices()

st.title("ClusterXchange progress")
with st.container(horizontal=True):
    own = ui.own_partnership_ids(user)
    picked = st.multiselect(
        "Partnerships",
        options=list(choices.partnerships),
        default=[p for p in own if p in choices.partnerships]
        if user.role == Role.COORDINATOR
        else [],
        format_func=choices.partnerships.get,
        placeholder="All partnerships (the programme)",
        help="Leave empty for the whole programme.",
    )
    quarters = st.multiselect(
        "Quarters (of the end date)",
        options=choices.quarters,
        format_func=quarter_label,
        placeholder="All quarters",
    )
    ecosystems = st.multiselect(
        "Ecosystems",
        options=list(choices.ecosystems),
        format_func=choices.ecosystems.get,
        placeholder="All ecosystems",
    )
    countries = st.multiselect(
        "Countries",
        options=list(choices.countries),
        format_func=lambda code: f"{choices.countries[code]} ({code})",
        placeholder="All countries",
        help="Exchanges whose visitor or host is in one of these countries.",
    )
    as_of, recorded_at = ui.as_of_and_reading()

filters = Filters(
    partnership_ids=tuple(sorted(picked)),
    quarters=tuple(sorted(quarters)),
    ecosystems=tuple(sorted(ecosystems)),
    countries=tuple(sorted(countries)),
    recorded_at=recorded_at,
)
with st.spinner("Counting exchanges..."):
    view = ui.cached_overview(filters, as_of)

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

st.plotly_chart(
    charts.progress_chart(view.quarters, view.path, outlook, scope=scope, as_of=view.as_of),
    config=charts.config(),
    theme=None,
)
sme_column, beyond_column = st.columns(2)
sme_column.plotly_chart(
    charts.share_chart(
        view.quarters, kind="sme", floor=h.sme_target, scope=scope, as_of=view.as_of
    ),
    config=charts.config(),
    theme=None,
)
beyond_column.plotly_chart(
    charts.share_chart(
        view.quarters, kind="beyond", floor=h.beyond_target, scope=scope, as_of=view.as_of
    ),
    config=charts.config(),
    theme=None,
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
st.plotly_chart(
    charts.flows_chart(view.flows, scope=scope, as_of=view.as_of),
    config=charts.config(),
    theme=None,
)
