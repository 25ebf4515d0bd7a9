"""Landing page: where the programme stands against 1,000 exchanges, 50 % SME, 25 % beyond."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from xchange import db, kpi, ui
from xchange.partnerships import list_partnerships

st.set_page_config(page_title="ClusterXchange tracker", page_icon="🔁", layout="wide")
st.title("ClusterXchange tracker")

with db.read_session(ui.engine()) as session:
    programme = kpi.headline(session)
    partnerships = list_partnerships(session)
    rows = [kpi.headline(session, partnership=p) for p in partnerships]

st.caption(f"Programme figures as of {ui.iso(programme.as_of)}. {programme.definitions.describe()}")

if programme.counted + programme.pipeline + programme.cancelled + programme.virtual == 0:
    st.info("No exchanges yet: log one or import a file (`xchange demo` loads demo data).")

left, middle, right = st.columns(3)
left.metric(
    "Exchanges counted",
    ui.number(programme.counted),
    help="Completed physical stays that ended by today, each counted once for the partnership "
    "that sends the visitor.",
)
left.caption(
    f"Target more than {ui.number(programme.target)} · {ui.percent(programme.progress)} reached"
)
middle.metric(
    "Involving an SME",
    ui.percent(programme.sme_share),
    help="The visitor or the host is an SME, as declared when the exchange was logged.",
)
middle.caption(
    f"Floor {ui.percent(programme.sme_target)} · {ui.number(programme.involving_sme)} exchanges"
)
right.metric(
    "Beyond the partnership community",
    ui.percent(programme.beyond_share),
    help="The visitor or the host is external to the partnership community.",
)
right.caption(
    f"Floor {ui.percent(programme.beyond_target)} · {ui.number(programme.beyond_community)} exchanges"
)

st.write(
    f"Pipeline (planned or confirmed): **{ui.number(programme.pipeline)}** · "
    f"virtual, counted apart: **{ui.number(programme.virtual)}** · "
    f"cancelled: **{ui.number(programme.cancelled)}**"
)

st.subheader("Partnerships")
if rows:
    table = pd.DataFrame(
        {
            "Partnership": [r.scope for r in rows],
            "Counted": [r.counted for r in rows],
            "Target": [r.target for r in rows],
            "Progress": [ui.percent(r.progress) for r in rows],
            "SME share": [ui.percent(r.sme_share) for r in rows],
            "Beyond share": [ui.percent(r.beyond_share) for r in rows],
            "Pipeline": [r.pipeline for r in rows],
            "Cancelled": [r.cancelled for r in rows],
        }
    )
    st.dataframe(table, hide_index=True, width="stretch")
else:
    st.info("No partnerships yet: an administrator adds them with `xchange partnership add`.")
