"""Administration."""

import streamlit as st

from xchange import ui

user = ui.page_setup("pages/6_Admin.py", "Administration")
st.title("Administration")
st.info("This page is being built: until then, use the `xchange` command line.")
