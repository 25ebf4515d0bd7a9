"""The dashboard's breakdowns and lump sums: a chart and its figures for each, one call each
from dashboard.py (`show_breakdowns`, `show_lump_sums`)."""

from __future__ import annotations

from datetime import date

import streamlit as st

from xchange.kpi.sums import Filters
from xchange.pack import charts, details, sheets
from xchange.presentation import euros, iso, percent
from xchange.ui.cache import cached_details
from xchange.ui.figures import chart
from xchange.ui.text import escape

VIEWS = ("Country", "Ecosystem", "Organisation type")


def show_breakdowns(filters: Filters, *, as_of: date, scope: str) -> None:
    """Counted exchanges by country (visitor and host), ecosystem or organisation type."""
    st.subheader("Breakdowns")
    view = st.segmented_control(
        "Break down by",
        VIEWS,
        default=VIEWS[0],
        help="Counted exchanges, as the headline counts them, within the filters above.",
    )
    found = cached_details(filters, as_of)
    counted = f"{scope}, counted exchanges (completed stays ended by {iso(as_of)})"
    if view == "Ecosystem":
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


def show_lump_sums(filters: Filters, *, as_of: date, scope: str) -> None:
    """Lump sums committed and paid per partnership and in total, and the halved-rate share."""
    st.subheader("Lump sums")
    found = cached_details(filters, as_of)
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
            f"{scope}: lump sums committed (confirmed and completed stays) and paid, in EUR, "
            f"as recorded on {iso(as_of)}. The rate is halved, once, for a stay of fewer than "
            "5 working days or between organisations less than 200 km apart."
        ),
        figures=table,
    )
    st.caption(escape("Filters by quarter, ecosystem or country narrow these sums too."))
