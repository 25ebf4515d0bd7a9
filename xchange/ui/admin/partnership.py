"""Changing one partnership on the Administration page: terms, rates, periods, target path."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from xchange.models import User
from xchange.presentation import euros, percent
from xchange.programme import partnerships, settings
from xchange.ui.actions import read, reloads, saved, seen_version, write
from xchange.ui.admin.widgets import EDITOR_HELP, admin_percent, admin_rows


def change_partnership(
    user: User, table: pd.DataFrame, programme_now: settings.ProgrammeSettings
) -> None:
    """One partnership picked from `table`: its terms, host-country rates, reporting periods
    and target path, each saved on its own at the version read when it was first shown."""
    st.subheader("Change a partnership")
    rows = table.set_index("id")
    labels = {
        int(i): f"{acronym}: {name}"
        for i, acronym, name in zip(table["id"], table["acronym"], table["name"], strict=True)
    }
    picked = st.selectbox(
        "Partnership to change",
        options=list(labels),
        format_func=lambda pid: labels[pid],
        key="edit_partnership.pick",
        help="Its terms, host-country rates, reporting periods and target path.",
    )
    pid = int(picked or next(iter(labels)))
    row: dict[str, Any] = {str(k): v for k, v in rows.loc[pid].items()}
    form = f"partnership.{pid}"
    expected = seen_version(form, int(row["version"]))

    st.markdown("##### Terms")
    with st.form(f"{form}.terms"):
        name = st.text_input(
            "Full name",
            value=str(row["name"]),
            max_chars=300,
            key=f"{form}.name",
            help="As in the grant agreement. The acronym stays: import files use it.",
        )
        start_column, end_column, target_column, rate_column = st.columns(4)
        start = start_column.date_input(
            "Action start",
            value=row["action_start"],
            format="YYYY-MM-DD",
            key=f"{form}.start",
            help="First day of the action.",
        )
        end = end_column.date_input(
            "Action end",
            value=row["action_end"],
            format="YYYY-MM-DD",
            key=f"{form}.end",
            help="Last day of the action. The final reporting period, and a milestone on "
            "the old end, move with it.",
        )
        target = target_column.number_input(
            "Target (exchanges)",
            min_value=1,
            value=int(row["target_exchanges"]),
            step=1,
            key=f"{form}.target",
            help="Counted exchanges the partnership commits to.",
        )
        rate = rate_column.number_input(
            "Full rate (EUR)",
            min_value=0.0,
            max_value=1100.0,
            value=float(row["full_rate_eur"]),
            step=50.0,
            format="%.2f",
            key=f"{form}.rate",
            help="The lump sum for a full stay where no host-country rate applies; at most "
            "EUR 1,100.",
        )
        sme_column, beyond_column = st.columns(2)
        with sme_column:
            sme_share = admin_percent(
                "SME share (%)",
                None if pd.isna(row["sme_share_target"]) else float(row["sme_share_target"]),
                key=f"{form}.sme",
                optional=True,
                help="Share of counted exchanges that involve an SME. Leave empty to follow "
                f"the programme's ({percent(programme_now.sme_share_target)}).",
            )
        with beyond_column:
            beyond_share = admin_percent(
                "Beyond-community share (%)",
                None if pd.isna(row["beyond_share_target"]) else float(row["beyond_share_target"]),
                key=f"{form}.beyond",
                optional=True,
                help="Share of counted exchanges involving participants beyond the "
                "partnership community. Leave empty to follow the programme's "
                f"({percent(programme_now.beyond_share_target)}).",
            )
        leave_outside = st.checkbox(
            "Save new action dates even if stays fall outside them",
            key=f"{form}.outside",
            help="Without it, saving dates that leave stored stays outside the action names "
            "them and saves nothing; with it, they are listed in Needs attention.",
        )
        save_terms = st.form_submit_button("Save terms", type="primary")
    if save_terms:
        if start is None or end is None:
            st.error("Give the action's start and end dates.")
        else:
            updated = write(
                partnerships.update_partnership,
                actor=user,
                **reloads(form),
                partnership_id=pid,
                expected_version=expected,
                name=name,
                action_start=start,
                action_end=end,
                target_exchanges=int(target),
                sme_share_target=sme_share,
                beyond_share_target=beyond_share,
                full_rate_eur=float(rate),
                leave_stays_outside=bool(leave_outside),
            )
            if updated is not None:
                saved(form, f"Saved the terms of {updated.acronym}.")

    rates_column, periods_column, path_column = st.columns(3)
    with rates_column:
        st.markdown("##### Host-country rates")
        rates_now = read(partnerships.host_rates, partnership_id=pid)
        with st.form(f"{form}.rates"):
            edited = st.data_editor(
                pd.DataFrame(
                    {
                        "Host country": list(rates_now),
                        "Full rate (EUR)": [cents / 100 for cents in rates_now.values()],
                    },
                    columns=["Host country", "Full rate (EUR)"],
                ).astype({"Host country": "string", "Full rate (EUR)": "float"}),
                num_rows="dynamic",
                hide_index=True,
                width="stretch",
                key=f"{form}.rates_table",
                column_config={
                    "Host country": st.column_config.TextColumn(
                        help="Code or English name (FR, France, EL for Greece)."
                    ),
                    "Full rate (EUR)": st.column_config.NumberColumn(
                        min_value=0.0, max_value=1100.0, format="%.2f", help="At most 1,100."
                    ),
                },
            )
            st.caption(
                f"Stays hosted elsewhere get the full rate ({euros(row['full_rate_eur'])})."
                if rates_now
                else f"None yet: every stay gets the full rate ({euros(row['full_rate_eur'])})."
            )
            st.caption(EDITOR_HELP)
            save_rates = st.form_submit_button(
                "Save rates", help="Replaces the partnership's host-country rates."
            )
        if save_rates:
            updated = write(
                partnerships.set_host_rates,
                actor=user,
                **reloads(form),
                partnership_id=pid,
                expected_version=expected,
                rates=[(country or "", euros) for country, euros in admin_rows(edited)],
            )
            if updated is not None:
                saved(form, f"Saved the host-country rates of {updated.acronym}.")

    with periods_column:
        st.markdown("##### Reporting periods")
        periods_now = read(partnerships.reporting_periods, partnership_id=pid)
        with st.form(f"{form}.periods"):
            edited = st.data_editor(
                pd.DataFrame(
                    {
                        "Label": [p.label for p in periods_now],
                        # datetime64, so that the date column is editable even when empty
                        "Last day": pd.to_datetime([p.ends_on for p in periods_now]),
                    },
                    columns=["Label", "Last day"],
                ),
                num_rows="dynamic",
                hide_index=True,
                width="stretch",
                key=f"{form}.periods_table",
                column_config={
                    "Label": st.column_config.TextColumn(
                        max_chars=40, help="How reports name the period (interim, final)."
                    ),
                    "Last day": st.column_config.DateColumn(
                        format="YYYY-MM-DD",
                        help="An exchange falls in the first period ending on or after its "
                        "end date.",
                    ),
                },
            )
            st.caption(EDITOR_HELP)
            save_periods = st.form_submit_button(
                "Save periods", help="Replaces the partnership's reporting periods."
            )
        if save_periods:
            updated = write(
                partnerships.set_reporting_periods,
                actor=user,
                **reloads(form),
                partnership_id=pid,
                expected_version=expected,
                periods=[(label, day) for label, day in admin_rows(edited)],
            )
            if updated is not None:
                saved(form, f"Saved the reporting periods of {updated.acronym}.")

    with path_column:
        st.markdown("##### Target path")
        marks_now = read(partnerships.path_milestones, partnership_id=pid)
        with st.form(f"{form}.milestones"):
            edited = st.data_editor(
                pd.DataFrame(
                    {
                        "Due on": pd.to_datetime([m.due_on for m in marks_now]),
                        "Exchanges by then": [m.cumulative for m in marks_now],
                    },
                    columns=["Due on", "Exchanges by then"],
                ).astype({"Exchanges by then": "Int64"}),
                num_rows="dynamic",
                hide_index=True,
                width="stretch",
                key=f"{form}.milestones_table",
                column_config={
                    "Due on": st.column_config.DateColumn(
                        format="YYYY-MM-DD", help="A date within the action."
                    ),
                    "Exchanges by then": st.column_config.NumberColumn(
                        min_value=0,
                        step=1,
                        format="localized",
                        help="Counted exchanges expected by that date, in total.",
                    ),
                },
            )
            st.caption(
                "Counted exchanges expected by each date. Without milestones the expected "
                "count grows evenly from 0 at the start to the target at the end. " + EDITOR_HELP
            )
            save_path = st.form_submit_button(
                "Save path", help="Replaces the partnership's milestones."
            )
        if save_path:
            updated = write(
                partnerships.set_milestones,
                actor=user,
                **reloads(form),
                partnership_id=pid,
                expected_version=expected,
                milestones=[(day, count) for day, count in admin_rows(edited)],
            )
            if updated is not None:
                saved(form, f"Saved the target path of {updated.acronym}.")
