"""Quarterly reports."""

import streamlit as st

from xchange import ui

user = ui.page_setup("pages/5_Reports.py", "Quarterly reports")
st.title("Quarterly reports")
st.info("This page is being built: until then, use the `xchange` command line.")
