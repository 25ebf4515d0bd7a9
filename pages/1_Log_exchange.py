"""Log an exchange: the form, checked by the scheme's rules on every change, then saved through
the service (permissions, version, audit trail); the confirmation links to the new record."""

from __future__ import annotations

import streamlit as st

from xchange import ui
from xchange.register import service

FORM = "log"

user = ui.page_setup("pages/1_Log_exchange.py", "Log an exchange")
st.title("Log an exchange")
st.caption(
    "One exchange: a visiting organisation's stay at a host organisation in another eligible "
    "country. The rules check every change: errors (red) block saving, warnings (yellow) are "
    "kept with the record. Required: everything but the fields marked optional and those "
    "for the reports."
)

logged = st.session_state.get("logged")
if logged:
    with st.container(border=True):
        st.success(
            f"Saved {ui.escape(logged['title'])} (exchange {ui.escape(logged['id'])}).",
            icon=":material/check_circle:",
        )
        headline = ui.cached_headline(logged["partnership_id"])
        st.metric(
            f"{ui.escape(headline.scope)}: exchanges counted",
            f"{ui.number(headline.counted)} of {ui.number(headline.target)}",
            help="Completed physical stays that have ended; the pipeline holds planned and "
            "confirmed ones.",
        )
        st.caption(
            f"Pipeline (planned or confirmed): {ui.number(headline.pipeline)} · "
            f"SME share {ui.percent(headline.sme_share)} · beyond the community "
            f"{ui.percent(headline.beyond_share)}. The dashboard shows the same figures."
        )
        ui.open_link(logged["id"], f"Open {logged['title']} in Exchanges")

choices = ui.cached_form_choices(user)
if not choices.partnerships:
    st.info(
        "Your account writes for no partnership yet: ask an administrator to link it to "
        "the partnerships you coordinate."
    )
    st.stop()

form = ui.exchange_form(FORM, choices=choices)
validation = ui.check(form.data)
save = st.button("Save exchange", type="primary", icon=":material/save:")
tried = save or st.session_state.get("log.tried", False)
ui.show_checks(form, validation, tried=bool(tried))
if save:
    st.session_state["log.tried"] = True
    if validation.errors:
        st.error(
            "Not saved: fix the problems marked in red above. Nothing was written.",
            icon=":material/error:",
        )
    else:
        with st.spinner("Saving..."):
            exchange = ui.write(service.create_exchange, actor=user, data=form.data)
        if exchange is not None:
            ui.clear_form(FORM)
            st.session_state["logged"] = {
                "id": exchange.id,
                "title": f"{form.data.partnership} / {exchange.reference}",
                "partnership_id": exchange.partnership_id,
            }
            st.rerun()
