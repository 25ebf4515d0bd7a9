"""Log an exchange."""

import streamlit as st

from xchange import ui

user = ui.page_setup("pages/1_Log_exchange.py", "Log an exchange")
st.title("Log an exchange")
st.info("This page is being built: until then, use the `xchange` command line.")
