"""Quarterly reports: build the KPI pack of a quarter (charts, data.xlsx, report.pdf) for the
programme or a partnership, and download it as a zip."""

from __future__ import annotations

import streamlit as st

from xchange import ui
from xchange.models import Role
from xchange.pack import build as pack
from xchange.reference import quarter_label

user = ui.page_setup("pages/5_Reports.py", "Quarterly reports")
choices = ui.cached_filter_choices()

st.title("Quarterly reports")
ui.show_flash()
st.caption(
    "A pack for one quarter: each chart as PNG, SVG and PDF for print, data.xlsx with the "
    "figures behind every chart, and report.pdf with the summary, status and reasons. Figures "
    "are as of the quarter's last day (today while the quarter runs)."
)
# KPI figures are everyone's, as on the dashboard: a coordinator's own partnerships come first.
own = ui.own_partnership_ids(user) if user.role == Role.COORDINATOR else set()
mine = [name for p, name in choices.partnerships.items() if p in own]
others = [name for p, name in choices.partnerships.items() if p not in own]
scopes = [*mine, "programme", *others]

quarters = list(reversed(choices.quarters))
with st.container(horizontal=True):
    quarter = st.selectbox(
        "Quarter",
        quarters,
        index=min(1, len(quarters) - 1),  # the last closed quarter, when there is one
        format_func=quarter_label,
    )
    scope = st.selectbox(
        "Scope",
        scopes,
        format_func=lambda s: "Programme" if s == "programme" else s,
    )

key = f"reports.pack.{quarter}.{scope}"
if st.button("Build the pack", type="primary", icon=":material/summarize:"):
    with st.spinner("Counting and drawing the charts (a few seconds)..."):
        data, result = ui.read_or_stop(
            pack.pack_zip,
            actor=user,
            quarter=quarter,
            partnership=None if scope == "programme" else scope,
        )
    st.session_state[key] = (data, pack.zip_name(result), result.warnings, result.summary)

if key in st.session_state:
    data, name, warnings, summary = st.session_state[key]
    for warning in warnings:
        st.warning(ui.escape(warning), icon=":material/warning:")
    st.download_button(
        f"Download {ui.escape(name)}",
        data=data,
        file_name=name,
        mime="application/zip",
        icon=":material/download:",
        on_click="ignore",
    )
    st.subheader(f"Summary, {quarter_label(quarter)}")
    st.dataframe(summary, hide_index=True)

ui.quarter_reports(user)
