"""The tracker as served: the pages (dashboard.py and pages/) and, beside them, the read API
for other tools (/api/v1/...). `make run` starts it: `streamlit run serve.py`."""

import streamlit as st

from xchange.web import api_routes

app = st.App("dashboard.py", routes=api_routes())
