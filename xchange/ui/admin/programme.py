"""The Programme settings tab of the Administration page: targets, counting rules, countries."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from xchange.models import BeyondReading, User
from xchange.presentation import number, percent
from xchange.programme import settings
from xchange.reference import ORG_TYPE_LABELS, country_name
from xchange.ui.actions import read, reloads, saved, seen_version, write
from xchange.ui.admin.widgets import EDITOR_HELP, admin_percent, admin_rows


def programme_tab(user: User) -> None:
    """The Programme settings tab: targets, counting rules, eligible countries."""
    programme_now = read(settings.read_settings)
    form = "programme"
    current = programme_now
    expected = seen_version(form, read(settings.programme_version))
    defaults = settings.default_settings()
    with st.form(f"{form}.form"):
        st.markdown("##### Targets")
        name_column, target_column, sme_column, beyond_column = st.columns(4)
        name = name_column.text_input(
            "Programme name",
            value=current.name,
            max_chars=200,
            key=f"{form}.name",
            help="As reports title it.",
        )
        target = target_column.number_input(
            "Target (exchanges)",
            min_value=1,
            value=current.target_exchanges,
            step=10,
            key=f"{form}.target",
            help="Counted exchanges over all partnerships "
            f"(the call's: {number(defaults.target_exchanges)}).",
        )
        with sme_column:
            sme_share = admin_percent(
                "SME share (%)",
                current.sme_share_target,
                key=f"{form}.sme",
                help="Share of counted exchanges in which the visitor or the host is an SME "
                f"(the call's: {percent(defaults.sme_share_target)}). A partnership may have "
                "its own.",
            )
        with beyond_column:
            beyond_share = admin_percent(
                "Beyond-community share (%)",
                current.beyond_share_target,
                key=f"{form}.beyond",
                help="Share of counted exchanges involving participants beyond the partnership "
                f"community (the call's: {percent(defaults.beyond_share_target)}).",
            )

        st.markdown("##### How exchanges count")
        readings = [r.value for r in BeyondReading]
        reading = st.radio(
            "Beyond the partnership community means",
            options=readings,
            index=readings.index(current.beyond_reading),
            format_func=lambda r: {
                "broad": "the visitor or the host is external (broad reading, the default)",
                "narrow": "the visitor or the host is not a partner of the consortium: members "
                "of partner clusters count too (narrow reading)",
            }[r],
            key=f"{form}.reading",
            help="Every report states the reading it used.",
        )
        count_virtual = st.checkbox(
            "Count completed virtual stays in the KPIs",
            value=current.count_virtual,
            key=f"{form}.virtual",
            help="Off (the default): virtual stays are shown apart and never counted.",
        )
        window_start_column, window_end_column = st.columns(2)
        window_start = window_start_column.date_input(
            "Virtual stays accepted from",
            value=current.virtual_window_start,
            format="YYYY-MM-DD",
            key=f"{form}.window_start",
            help="A virtual stay outside the window is accepted with a warning. Leave both "
            "dates empty for no window: every virtual stay is then warned about.",
        )
        window_end = window_end_column.date_input(
            "Virtual stays accepted until",
            value=current.virtual_window_end,
            format="YYYY-MM-DD",
            key=f"{form}.window_end",
            help="The last day of the window (the end date of a stay is compared with it).",
        )

        st.markdown("##### When a figure is at risk")
        ratio_column, margin_column = st.columns(2)
        with ratio_column:
            at_risk_ratio = admin_percent(
                "At risk from (% of the target)",
                current.at_risk_ratio,
                key=f"{form}.ratio",
                help="A count projected below its target is at risk, not off track, while the "
                f"projection reaches this share of it (default {percent(defaults.at_risk_ratio)}).",
            )
        margin = margin_column.number_input(
            "At-risk margin for shares (percentage points)",
            min_value=0.0,
            max_value=99.9,
            value=round(current.at_risk_share_margin * 100, 2),
            step=0.5,
            format="%.1f",
            key=f"{form}.margin",
            help="A share below its floor is at risk, not off track, while it is at most this "
            f"many points below (default {defaults.at_risk_share_margin * 100:.1f}).",
        )

        tolerance = st.number_input(
            "Tolerance after an action's end (days)",
            min_value=0,
            max_value=366,
            value=int(current.action_period_tolerance_days),
            step=1,
            key=f"{form}.tolerance",
            help="A stay must lie within its partnership's action; it may end up to this many "
            "days after the action's end (default 0).",
        )

        st.markdown("##### Who may take part")
        type_values = list(ORG_TYPE_LABELS)
        visitor_types = st.multiselect(
            "Organisation types that may visit",
            options=type_values,
            default=[t for t in current.visitor_types if t in type_values],
            format_func=lambda t: ORG_TYPE_LABELS[t],
            key=f"{form}.visitors",
            help="The call: cluster and business network organisations, scale-up support "
            "organisations and SMEs.",
        )
        host_types = st.multiselect(
            "Organisation types that may host",
            options=type_values,
            default=[t for t in current.host_types if t in type_values],
            format_func=lambda t: ORG_TYPE_LABELS[t],
            key=f"{form}.hosts",
            help="The call: any type, large companies, public authorities and universities "
            "included.",
        )
        st.markdown("##### Personal data")
        retention = st.number_input(
            "Keep representatives' names for (months after the action ends)",
            min_value=settings.MIN_RETENTION_MONTHS,
            max_value=settings.MAX_RETENTION_MONTHS,
            value=current.retention_months,
            step=1,
            key=f"{form}.retention",
            help="Then `xchange erase-person --expired` erases them; exchanges and KPIs stay "
            f"(default {number(defaults.retention_months)}).",
        )
        st.caption(
            "New settings apply to the next validation and the next figures; exchanges already "
            "stored are not checked again."
        )
        save_settings = st.form_submit_button("Save settings", type="primary")
    if save_settings:
        saved_programme = write(
            settings.update_programme,
            actor=user,
            **reloads(form),
            expected_version=expected,
            settings=settings.ProgrammeSettings(
                name=name,
                target_exchanges=int(target),
                sme_share_target=sme_share if sme_share is not None else 0.0,
                beyond_share_target=beyond_share if beyond_share is not None else 0.0,
                beyond_reading=str(reading),
                count_virtual=bool(count_virtual),
                virtual_window_start=window_start,
                virtual_window_end=window_end,
                visitor_types=tuple(visitor_types),
                host_types=tuple(host_types),
                at_risk_ratio=at_risk_ratio if at_risk_ratio is not None else 0.0,
                at_risk_share_margin=round(float(margin) / 100, 6),
                retention_months=int(retention),
                action_period_tolerance_days=int(tolerance),
            ),
        )
        if saved_programme is not None:
            saved(form, "Saved the programme settings.")

    st.markdown("##### Eligible countries")
    eligibility = read(settings.read_eligibility)
    with st.form(f"{form}.countries"):
        edited = st.data_editor(
            pd.DataFrame(
                {
                    "Country": [e.code for e in eligibility],
                    "Name": [country_name(e.code) for e in eligibility],
                    "Eligible from": pd.to_datetime(
                        pd.Series([e.valid_from for e in eligibility], dtype=object)
                    ),
                    "Eligible until": pd.to_datetime(
                        pd.Series([e.valid_to for e in eligibility], dtype=object)
                    ),
                },
                columns=["Country", "Name", "Eligible from", "Eligible until"],
            ),
            num_rows="dynamic",
            hide_index=True,
            width="stretch",
            height=420,
            key=f"{form}.countries_table",
            column_config={
                "Country": st.column_config.TextColumn(
                    help="ISO code or English name (FR, France; EL and UK are read too)."
                ),
                "Name": st.column_config.TextColumn(disabled=True, help="Filled in on saving."),
                "Eligible from": st.column_config.DateColumn(
                    format="YYYY-MM-DD", help="Empty: since always."
                ),
                "Eligible until": st.column_config.DateColumn(
                    format="YYYY-MM-DD", help="Empty: still eligible."
                ),
            },
        )
        st.caption(
            f"{number(len(eligibility))} lines. A stay is eligible when both countries are "
            "on the day it starts. A date shown as None sets no limit on that side. List a "
            "country twice for two separate periods. " + EDITOR_HELP
        )
        save_countries = st.form_submit_button(
            "Save eligible countries", help="Replaces the whole list."
        )
    if save_countries:
        saved_countries = write(
            settings.set_eligible_countries,
            actor=user,
            **reloads(form),
            expected_version=expected,
            countries=[
                settings.Eligibility(code or "", valid_from, valid_to)
                for code, _, valid_from, valid_to in admin_rows(edited)
            ],
        )
        if saved_countries is not None:
            saved(form, f"Saved the eligible countries ({number(len(saved_countries))} lines).")
