"""Administration (admins only): partnerships, users, the programme's settings, organisations.

Each tab is one function of `xchange.ui.admin`; every form in it makes one `xchange` call
through `ui.write`, which shows a refusal in plain words and writes nothing, and a save reruns
the page with a confirmation at the top.
"""

from __future__ import annotations

import streamlit as st

from xchange import ui
from xchange.ui import admin

user = ui.page_setup("pages/6_Admin.py", "Administration")
st.title("Administration")
st.caption(
    "Set up partnerships and the people who sign in, the programme's targets and counting "
    "rules, and merge organisations logged twice. Every change is recorded in the audit trail "
    "under your name."
)
ui.show_flash()

partnerships_tab, users_tab, settings_tab, organisations_tab = st.tabs(
    ["Partnerships", "Users", "Programme settings", "Organisations"]
)
with partnerships_tab:
    admin.partnerships_tab(user)
with users_tab:
    admin.users_tab(user)
with settings_tab:
    admin.programme_tab(user)
with organisations_tab:
    admin.organisations_tab(user)
