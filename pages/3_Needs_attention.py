"""Needs attention: a coordinator's to-do list over their partnerships' exchanges (overdue,
not validated, unpaid, unresolved rule messages, missing report data), each with a link to
open the record; and the quarters ended more than 30 days ago and not submitted."""

from __future__ import annotations

import streamlit as st

from xchange import ui
from xchange.reference import quarter_label
from xchange.register import attention

SHOWN = 25  # items listed per kind before "Show all"

user = ui.page_setup("pages/3_Needs_attention.py", "Needs attention")
st.title("Needs attention")
st.caption(
    "What to do next about your partnerships' exchanges, oldest first. It is worked out again "
    "after every change, so an item goes away once the record is fixed."
)
with st.spinner("Going through your exchanges..."):
    items = ui.cached_attention(user)
    late = ui.overdue_quarters(user)
if late:
    st.subheader(f"Quarters not submitted ({ui.number(len(late))})")
    st.caption(
        "These quarters ended more than 30 days ago: submit each on the Reports page once its "
        "exchanges are up to date."
    )
    for row in late:
        st.markdown(
            f"- **{ui.escape(row.acronym)} {quarter_label(row.quarter)}**: {ui.escape(row.said())}"
        )
if not items and not late:
    st.success(
        "Nothing needs attention: every exchange is on schedule, validated, paid and complete.",
        icon=":material/task_alt:",
    )
    st.page_link("pages/1_Log_exchange.py", label="Log an exchange", icon=":material/add_circle:")
    st.stop()

groups = attention.by_kind(items)
with st.container(horizontal=True):
    for kind, group in groups.items():
        st.metric(attention.KINDS[kind], ui.number(len(group)), border=True)

for kind, group in groups.items():
    if not group:
        continue
    st.subheader(f"{attention.KINDS[kind]} ({ui.number(len(group))})")
    st.caption(attention.ADVICE[kind])
    show_all = len(group) <= SHOWN or st.toggle(
        f"Show all {ui.number(len(group))}",
        key=f"attention.all.{kind}",
        help=f"Only the {SHOWN} oldest are listed until you switch this on.",
    )
    for item in group if show_all else group[:SHOWN]:
        text, link = st.container(border=True).columns([6, 1], vertical_alignment="center")
        text.markdown(
            f"**{ui.escape(item.partnership)} / {ui.escape(item.reference)}**: "
            f"{ui.escape(item.message)}"
        )
        with link:
            ui.open_link(item.exchange_id, "Open")
