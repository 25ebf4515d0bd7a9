"""Needs attention."""

import streamlit as st

from xchange import ui

user = ui.page_setup("pages/3_Needs_attention.py", "Needs attention")
st.title("Needs attention")
st.info("This page is being built: until then, use the `xchange` command line.")
