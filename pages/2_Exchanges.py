"""Exchanges."""

import streamlit as st

from xchange import ui

user = ui.page_setup("pages/2_Exchanges.py", "Exchanges")
st.title("Exchanges")
st.info("This page is being built: until then, use the `xchange` command line.")
