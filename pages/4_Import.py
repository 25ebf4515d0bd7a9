"""Import a file."""

import streamlit as st

from xchange import ui

user = ui.page_setup("pages/4_Import.py", "Import a file")
st.title("Import a file")
st.info("This page is being built: until then, use the `xchange` command line.")
