"""The tracker as served: the Streamlit pages (dashboard.py and pages/) with the tracker's own
HTTP routes beside them (xchange.web: the browser's sign-in and sign-out, ...).

Start it with `streamlit run serve.py` (what `make run` does); any ASGI server works too:
`uvicorn serve:app`.
"""

import streamlit as st

from xchange import web

app = st.App("dashboard.py", routes=web.routes(), middleware=web.middleware())
