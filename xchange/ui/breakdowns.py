"""The dashboard's breakdowns: counted exchanges by country (visitor and host), ecosystem or
organisation type, or the lump sums per partnership and in total; a chart and its figures each.

One is drawn at a time, once asked for: each costs a grouped query over the exchange table
(the KPI summaries do not carry types or money), which would otherwise weigh on every first
render of the dashboard (goal: 2 s at 100,000 exchanges, `benchmarks/dashboard.py`).
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from xchange.kpi.details import Details
from xchange.kpi.sums import Filters
from xchange.pack import charts, details, sheets
from xchange.presentation import euros, iso, percent
from xchange.ui.cache import cached_details
from xchange.ui.figures import chart

# Shown name -> the part of `xchange.kpi.details` it needs.
VIEWS = {
    "Country": "countries",
    "Ecosystem": "ecosystems",
    "Organisation type": "org_types",
    "Lump sums": "money",
}


def show_breakdowns(filters: Filters, *, as_of: date, scope: str) -> None:
    """A picker of breakdowns and, once one is picked, its chart and figures."""
    st.subheader("Breakdowns and lump sums")
    view = st.segmented_control(
        "Break down by",
        list(VIEWS),
        default=None,
        help="Within the filters above. Lump sums: committed and paid per partnership.",
    )
    if view is None:
        st.caption("Pick a breakdown to draw it with its figures.")
        return
    with st.spinner("Counting exchanges..."):
        found = cached_details(filters, as_of, (VIEWS[view],))
    counted = f"{scope}, counted exchanges (completed stays ended by {iso(as_of)})"
    if view == "Lump sums":
        _lump_sums(found, scope=scope)
    elif view == "Ecosystem":
        chart(
            charts.ecosystems_chart(found.ecosystems, scope=scope, as_of=as_of),
            title="By industrial ecosystem",
            description=f"{counted} by industrial ecosystem, with the share involving an SME.",
            figures=sheets.ecosystems(found),
        )
    elif view == "Organisation type":
        table = details.org_types(found.org_types)
        chart(
            details.org_type_chart(table),
            title="By organisation type",
            description=f"{counted} by the visitor's and the host's organisation type.",
            figures=table,
        )
    else:
        visitor_column, host_column = st.columns(2)
        for column, side, frame in (
            (visitor_column, "visitor", found.visitor_countries),
            (host_column, "host", found.host_countries),
        ):
            table = details.countries(frame)
            with column:
                chart(
                    details.country_chart(table, side=side),
                    title=f"By {side} country",
                    description=(
                        f"{counted} by the {side}'s country, the first "
                        f"{details.COUNTRIES_DRAWN} drawn, with the share involving an SME."
                    ),
                    figures=table,
                )


def _lump_sums(found: Details, *, scope: str) -> None:
    total = found.money_total
    st.markdown(
        f"Committed: **{euros(total['committed_eur'])}** · paid: "
        f"**{euros(total['paid_eur'])}** · not yet paid: **{euros(total['unpaid_eur'])}** · "
        f"counted stays at the halved rate: **{percent(total['reduced_rate_share'])}**"
    )
    table = details.lump_sums(found.money, total)
    chart(
        details.money_chart(table),
        title="Lump sums per partnership",
        description=(
            f"{scope}: lump sums committed (confirmed and completed stays) and paid, in EUR. "
            "The rate is halved, once, for a stay of fewer than 5 working days or between "
            "organisations less than 200 km apart; filters by quarter, ecosystem or country "
            "narrow these sums too."
        ),
        figures=table,
    )
