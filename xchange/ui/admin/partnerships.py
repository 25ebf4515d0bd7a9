"""The Partnerships tab of the Administration page: the list and a form to create one."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from xchange.models import User
from xchange.presentation import euros, iso, number, percent
from xchange.programme import partnerships, settings
from xchange.ui.actions import read, saved, write
from xchange.ui.admin.partnership import change_partnership
from xchange.ui.admin.widgets import PASSWORD_HELP
from xchange.ui.session import oidc_configured


def partnerships_tab(user: User) -> None:
    """The Partnerships tab: the list, a form to create one, and the one picked to change."""
    sso = oidc_configured()
    table = read(partnerships.partnership_table)
    programme_now = read(settings.read_settings)
    if table.empty:
        st.info("No partnerships yet: create the first one below, with its coordinator.")
    else:
        st.dataframe(
            pd.DataFrame(
                {
                    "Partnership": table["acronym"],
                    "Coordinators": table["coordinators"].replace("", "none yet"),
                    "Action start": table["action_start"],
                    "Action end": table["action_end"],
                    "Target": table["target_exchanges"],
                    "Exchanges logged": table["exchanges"],
                    "SME share target": table["sme_share_target"].map(
                        lambda v: "programme's" if pd.isna(v) else percent(v)
                    ),
                    "Beyond share target": table["beyond_share_target"].map(
                        lambda v: "programme's" if pd.isna(v) else percent(v)
                    ),
                    "Full rate": table["full_rate_eur"].map(euros),
                    "Host-country rates": table["host_rates"],
                    "Reporting periods": table["reporting_periods"],
                    "Name": table["name"],
                }
            ),
            hide_index=True,
            width="stretch",
            column_config={
                "Coordinators": st.column_config.TextColumn(
                    help="Active coordinators who log this partnership's exchanges"
                ),
                "Action start": st.column_config.DateColumn(format="YYYY-MM-DD"),
                "Action end": st.column_config.DateColumn(format="YYYY-MM-DD"),
                "Target": st.column_config.NumberColumn(format="localized"),
                "Host-country rates": st.column_config.NumberColumn(
                    help="Countries with a full rate of their own"
                ),
                "Exchanges logged": st.column_config.NumberColumn(
                    format="localized", help="Any status, cancelled included"
                ),
            },
        )

    with st.expander("Create a partnership", expanded=table.empty, icon=":material/add:"):
        form = "new_partnership"
        with st.form(form):
            acronym_column, name_column = st.columns([1, 3])
            acronym = acronym_column.text_input(
                "Acronym",
                max_chars=40,
                key=f"{form}.acronym",
                help="The short name used on every screen and in import files (GTEX). It "
                "cannot be changed later.",
            )
            name = name_column.text_input(
                "Full name",
                max_chars=300,
                key=f"{form}.name",
                help="As in the grant agreement (Green Textiles Partnership).",
            )
            start_column, end_column, target_column, rate_column = st.columns(4)
            start = start_column.date_input(
                "Action start",
                value=None,
                format="YYYY-MM-DD",
                key=f"{form}.start",
                help="First day of the action in the grant agreement.",
            )
            end = end_column.date_input(
                "Action end",
                value=None,
                format="YYYY-MM-DD",
                key=f"{form}.end",
                help="Last day of the action (usually 20 to 24 months after the start).",
            )
            target = target_column.number_input(
                "Target (exchanges)",
                min_value=1,
                value=100,
                step=1,
                key=f"{form}.target",
                help="Counted exchanges the partnership commits to (often 100).",
            )
            rate = rate_column.number_input(
                "Full rate (EUR)",
                min_value=0.0,
                max_value=1100.0,
                value=1100.0,
                step=50.0,
                format="%.2f",
                key=f"{form}.rate",
                help="The lump sum for a full stay, at most EUR 1,100; halved for stays under "
                "5 working days or under 200 km. Rates by host country can be set once the "
                "partnership exists.",
            )
            st.markdown("**Its coordinator** (optional: you can add one on the Users tab later)")
            email_column, password_column = st.columns(2)
            coordinator_email = email_column.text_input(
                "Coordinator's email",
                key=f"{form}.email",
                help="The person who logs this partnership's exchanges. The email of an "
                "existing coordinator adds this partnership to theirs.",
            )
            coordinator_password = password_column.text_input(
                "Initial password",
                type="password",
                key=f"{form}.password",
                help=PASSWORD_HELP[sso] + " Leave it empty for an existing coordinator.",
            )
            st.caption(
                "Reporting periods start as interim (month 12, when the action is longer) and "
                "final (the action end); change them below once the partnership exists."
            )
            create = st.form_submit_button("Create partnership", type="primary")
        if create:
            if start is None or end is None:
                st.error("Give the action's start and end dates.")
            else:
                created = write(
                    partnerships.add_partnership_with_coordinator,
                    actor=user,
                    spinner="Creating the partnership...",
                    acronym=acronym,
                    name=name,
                    action_start=start,
                    action_end=end,
                    target_exchanges=int(target),
                    full_rate_eur=float(rate),
                    coordinator_email=coordinator_email or None,
                    coordinator_password=coordinator_password or None,
                    password_required=not sso,
                )
                if created is not None:
                    made, coordinator = created
                    who = (
                        f" {coordinator.email} coordinates it and can sign in now."
                        if coordinator is not None
                        else " Add its coordinator on the Users tab."
                    )
                    saved(
                        form,
                        f"Created partnership {made.acronym}: {iso(made.action_start)} to "
                        f"{iso(made.action_end)}, target {number(made.target_exchanges)} "
                        f"exchanges.{who}",
                    )

    if not table.empty:
        change_partnership(user, table, programme_now)
