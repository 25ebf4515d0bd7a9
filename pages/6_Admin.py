"""Administration (admins only): partnerships, users, the programme's settings, organisations.

Each form makes one `xchange` call through `ui.admin_write`, which shows a refusal in plain words
and writes nothing; a save reruns the page with a confirmation at the top.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from xchange import ui
from xchange.accounts import auth
from xchange.db.engine import LOCAL_ADMIN_EMAIL
from xchange.models import BeyondReading, Role
from xchange.programme import partnerships, settings
from xchange.reference import ORG_TYPE_LABELS, country_name
from xchange.register import organisations

user = ui.page_setup("pages/6_Admin.py", "Administration")
st.title("Administration")
st.caption(
    "Set up partnerships and the people who sign in, the programme's targets and counting "
    "rules, and merge organisations logged twice. Every change is recorded in the audit trail "
    "under your name."
)
ui.show_flash()
sso = ui.oidc_configured()
PASSWORD_HELP = (
    "At least 10 characters, not only digits, not the email address. Give it to them through "
    "another channel than the email; an administrator can reset it here at any time."
    + (" Leave it empty when they sign in through single sign-on." if sso else "")
)

EDITOR_HELP = "Add a line in the empty row at the bottom; select lines to delete them."

partnerships_tab, users_tab, settings_tab, organisations_tab = st.tabs(
    ["Partnerships", "Users", "Programme settings", "Organisations"]
)

# --- partnerships ------------------------------------------------------------------------------

with partnerships_tab:
    table = ui.read(partnerships.partnership_table)
    programme_now = ui.read(settings.read_settings)
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
                        lambda v: "programme's" if pd.isna(v) else ui.percent(v)
                    ),
                    "Beyond share target": table["beyond_share_target"].map(
                        lambda v: "programme's" if pd.isna(v) else ui.percent(v)
                    ),
                    "Full rate": table["full_rate_eur"].map(ui.euros),
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
                help=PASSWORD_HELP + " Leave it empty for an existing coordinator.",
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
                created = ui.write(
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
                    ui.saved(
                        form,
                        f"Created partnership {made.acronym}: {ui.iso(made.action_start)} to "
                        f"{ui.iso(made.action_end)}, target {ui.number(made.target_exchanges)} "
                        f"exchanges.{who}",
                    )

    if not table.empty:
        st.subheader("Change a partnership")
        rows = table.set_index("id")
        picked = st.selectbox(
            "Partnership to change",
            options=list(rows.index),
            format_func=lambda pid: f"{rows.at[pid, 'acronym']}: {rows.at[pid, 'name']}",
            key="edit_partnership.pick",
            help="Its terms, host-country rates, reporting periods and target path.",
        )
        pid = int(picked)
        row = rows.loc[pid]
        form = f"partnership.{pid}"
        expected = ui.seen_version(form, int(row["version"]))

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
                sme_share = ui.admin_percent(
                    "SME share (%)",
                    None if pd.isna(row["sme_share_target"]) else float(row["sme_share_target"]),
                    key=f"{form}.sme",
                    optional=True,
                    help="Share of counted exchanges that involve an SME. Leave empty to follow "
                    f"the programme's ({ui.percent(programme_now.sme_share_target)}).",
                )
            with beyond_column:
                beyond_share = ui.admin_percent(
                    "Beyond-community share (%)",
                    None
                    if pd.isna(row["beyond_share_target"])
                    else float(row["beyond_share_target"]),
                    key=f"{form}.beyond",
                    optional=True,
                    help="Share of counted exchanges involving participants beyond the "
                    "partnership community. Leave empty to follow the programme's "
                    f"({ui.percent(programme_now.beyond_share_target)}).",
                )
            save_terms = st.form_submit_button("Save terms", type="primary")
        if save_terms:
            if start is None or end is None:
                st.error("Give the action's start and end dates.")
            else:
                saved = ui.write(
                    partnerships.update_partnership,
                    actor=user,
                    **ui.reloads(form),
                    partnership_id=pid,
                    expected_version=expected,
                    name=name,
                    action_start=start,
                    action_end=end,
                    target_exchanges=int(target),
                    sme_share_target=sme_share,
                    beyond_share_target=beyond_share,
                    full_rate_eur=float(rate),
                )
                if saved is not None:
                    ui.saved(form, f"Saved the terms of {saved.acronym}.")

        rates_column, periods_column, path_column = st.columns(3)
        with rates_column:
            st.markdown("##### Host-country rates")
            rates_now = ui.read(partnerships.host_rates, partnership_id=pid)
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
                full_rate = ui.euros(row["full_rate_eur"])
                st.caption(
                    f"Stays hosted elsewhere get the full rate ({full_rate})."
                    if rates_now
                    else f"None yet: every stay gets the full rate ({full_rate})."
                )
                st.caption(EDITOR_HELP)
                save_rates = st.form_submit_button(
                    "Save rates", help="Replaces the partnership's host-country rates."
                )
            if save_rates:
                saved = ui.write(
                    partnerships.set_host_rates,
                    actor=user,
                    **ui.reloads(form),
                    partnership_id=pid,
                    expected_version=expected,
                    rates=[(country or "", euros) for country, euros in ui.admin_rows(edited)],
                )
                if saved is not None:
                    ui.saved(form, f"Saved the host-country rates of {saved.acronym}.")

        with periods_column:
            st.markdown("##### Reporting periods")
            periods_now = ui.read(partnerships.reporting_periods, partnership_id=pid)
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
                saved = ui.write(
                    partnerships.set_reporting_periods,
                    actor=user,
                    **ui.reloads(form),
                    partnership_id=pid,
                    expected_version=expected,
                    periods=[(label, day) for label, day in ui.admin_rows(edited)],
                )
                if saved is not None:
                    ui.saved(form, f"Saved the reporting periods of {saved.acronym}.")

        with path_column:
            st.markdown("##### Target path")
            marks_now = ui.read(partnerships.path_milestones, partnership_id=pid)
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
                    "count grows evenly from 0 at the start to the target at the end. "
                    + EDITOR_HELP
                )
                save_path = st.form_submit_button(
                    "Save path", help="Replaces the partnership's milestones."
                )
            if save_path:
                saved = ui.write(
                    partnerships.set_milestones,
                    actor=user,
                    **ui.reloads(form),
                    partnership_id=pid,
                    expected_version=expected,
                    milestones=[(day, count) for day, count in ui.admin_rows(edited)],
                )
                if saved is not None:
                    ui.saved(form, f"Saved the target path of {saved.acronym}.")

# --- users -------------------------------------------------------------------------------------

with users_tab:
    listed = ui.read(auth.list_users)
    acronyms = list(table["acronym"])
    people = [(u, own) for u, own in listed if u.email != LOCAL_ADMIN_EMAIL]
    if not people:
        st.info("Nobody but the command line's local administrator yet: add a user below.")
    else:
        st.dataframe(
            pd.DataFrame(
                {
                    "Email": [u.email for u, _ in people],
                    "Role": [ui.ROLE_NAMES.get(u.role, u.role) for u, _ in people],
                    "Partnerships": [", ".join(own) for _, own in people],
                    "Active": [u.active for u, _ in people],
                    "Signs in with": [
                        "password" if u.password_hash else "single sign-on" for u, _ in people
                    ],
                    "Failed sign-ins": [u.failed_logins for u, _ in people],
                    "Added on": [u.created_at.date() for u, _ in people],
                }
            ),
            hide_index=True,
            width="stretch",
            column_config={
                "Active": st.column_config.CheckboxColumn(
                    help="A deactivated account can neither sign in nor write."
                ),
                "Added on": st.column_config.DateColumn(format="YYYY-MM-DD"),
                "Failed sign-ins": st.column_config.NumberColumn(
                    help="In a row; a new password resets it and lifts any lock."
                ),
            },
        )

    roles = [r.value for r in Role]
    with st.expander("Add a user", icon=":material/person_add:", expanded=not people):
        form = "new_user"
        with st.form(form):
            email_column, role_column = st.columns(2)
            email = email_column.text_input(
                "Email",
                key=f"{form}.email",
                help="They sign in with it; any case.",
            )
            role = role_column.selectbox(
                "Role",
                options=roles,
                index=roles.index(Role.COORDINATOR.value),
                format_func=lambda r: ui.ROLE_NAMES.get(r, r),
                key=f"{form}.role",
                help="Coordinators log their partnerships' exchanges; Commission officers read "
                "everything and change nothing; administrators do everything, this page "
                "included.",
            )
            chosen = st.multiselect(
                "Partnerships",
                options=acronyms,
                key=f"{form}.partnerships",
                placeholder="Coordinators only: the partnerships they log for",
                help="A coordinator needs at least one; other roles none.",
            )
            password = st.text_input(
                "Initial password", type="password", key=f"{form}.password", help=PASSWORD_HELP
            )
            add = st.form_submit_button("Add user", type="primary")
        if add:
            if not password and not sso:
                st.error(
                    "Give an initial password: without single sign-on, it is how they sign in."
                )
            else:
                added = ui.write(
                    auth.add_user,
                    actor=user,
                    email=email,
                    role=role,
                    password=password or None,
                    partnerships=chosen,
                )
                if added is not None:
                    ui.saved(
                        form,
                        f"Added {added.email} as {ui.ROLE_NAMES.get(added.role, added.role)}: "
                        "they can sign in now.",
                    )

    if people:
        st.subheader("Change a user")
        by_id = {int(u.id or 0): (u, own) for u, own in people}
        picked_user = st.selectbox(
            "User to change",
            options=list(by_id),
            format_func=lambda uid: (
                f"{by_id[uid][0].email} ({ui.ROLE_NAMES.get(by_id[uid][0].role, '')}"
                + ("" if by_id[uid][0].active else ", deactivated")
                + ")"
            ),
            key="edit_user.pick",
            help="Their role and partnerships, their access, their password.",
        )
        target_user, own = by_id[int(picked_user)]
        uid = int(picked_user)
        form = f"user.{uid}"
        expected = ui.seen_version(form, target_user.version)
        if uid == user.id:
            st.caption(
                "This is your own account: another administrator must change your role or "
                "deactivate you."
            )
        role_column, access_column, password_column = st.columns(3)
        with role_column, st.form(f"{form}.role_form"):
            st.markdown("##### Role and partnerships")
            role = st.selectbox(
                "Role",
                options=roles,
                index=roles.index(target_user.role) if target_user.role in roles else 0,
                format_func=lambda r: ui.ROLE_NAMES.get(r, r),
                key=f"{form}.role",
                help="You cannot change your own role: ask another administrator.",
            )
            chosen = st.multiselect(
                "Partnerships",
                options=acronyms,
                default=[a for a in own if a in acronyms],
                key=f"{form}.partnerships",
                placeholder="Coordinators only",
                help="The partnerships a coordinator logs for; empty for other roles.",
            )
            save_role = st.form_submit_button("Save role and partnerships", type="primary")
        if save_role:
            saved_user = ui.write(
                auth.set_role_and_partnerships,
                actor=user,
                **ui.reloads(form),
                user_id=uid,
                expected_version=expected,
                role=role,
                partnerships=chosen,
            )
            if saved_user is not None:
                ui.saved(form, f"Saved the role and partnerships of {saved_user.email}.")

        with access_column, st.container(border=True):
            st.markdown("##### Access")
            if target_user.active:
                st.markdown("Active: this account can sign in and work.")
                toggle = st.button(
                    "Deactivate this account",
                    key=f"{form}.deactivate",
                    icon=":material/block:",
                    help="They can no longer sign in or write, at once; what they logged stays.",
                )
            else:
                st.markdown("**Deactivated**: this account can neither sign in nor write.")
                toggle = st.button(
                    "Reactivate this account",
                    key=f"{form}.reactivate",
                    icon=":material/check_circle:",
                    help="They can sign in again with their password.",
                )
        if toggle:
            switched = ui.write(
                auth.set_active,
                actor=user,
                **ui.reloads(form),
                user_id=uid,
                expected_version=expected,
                active=not target_user.active,
            )
            if switched is not None:
                state = "reactivated" if switched.active else "deactivated"
                ui.saved(form, f"{switched.email} is {state}.")

        with password_column, st.form(f"{form}.password_form"):
            st.markdown("##### Password")
            new_password = st.text_input(
                "New password",
                type="password",
                key=f"{form}.password",
                help=PASSWORD_HELP + " Setting it also lifts a lock after failed sign-ins.",
            )
            reset = st.form_submit_button("Set password")
        if reset:
            changed = ui.write(
                auth.set_password,
                actor=user,
                **ui.reloads(form),
                user_id=uid,
                expected_version=expected,
                password=new_password,
            )
            if changed is not None:
                if uid == user.id:
                    ui.start_session(changed)  # the other sessions end; this one carries on
                ui.saved(
                    form,
                    f"New password set for {changed.email}: give it to them through another "
                    "channel than the email.",
                )

# --- programme settings ----------------------------------------------------------------------

with settings_tab:
    form = "programme"
    current = programme_now
    expected = ui.seen_version(form, ui.read(settings.programme_version))
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
            f"(the call's: {ui.number(defaults.target_exchanges)}).",
        )
        with sme_column:
            sme_share = ui.admin_percent(
                "SME share (%)",
                current.sme_share_target,
                key=f"{form}.sme",
                help="Share of counted exchanges in which the visitor or the host is an SME "
                f"(the call's: {ui.percent(defaults.sme_share_target)}). A partnership may have "
                "its own.",
            )
        with beyond_column:
            beyond_share = ui.admin_percent(
                "Beyond-community share (%)",
                current.beyond_share_target,
                key=f"{form}.beyond",
                help="Share of counted exchanges involving participants beyond the partnership "
                f"community (the call's: {ui.percent(defaults.beyond_share_target)}).",
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
            at_risk_ratio = ui.admin_percent(
                "At risk from (% of the target)",
                current.at_risk_ratio,
                key=f"{form}.ratio",
                help="A count projected below its target is at risk, not off track, while the "
                f"projection reaches this share of it (default {ui.percent(defaults.at_risk_ratio)}).",
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
        st.caption(
            "New settings apply to the next validation and the next figures; exchanges already "
            "stored are not checked again."
        )
        save_settings = st.form_submit_button("Save settings", type="primary")
    if save_settings:
        saved_programme = ui.write(
            settings.update_programme,
            actor=user,
            **ui.reloads(form),
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
            ),
        )
        if saved_programme is not None:
            ui.saved(form, "Saved the programme settings.")

    st.markdown("##### Eligible countries")
    eligibility = ui.read(settings.read_eligibility)
    with st.form(f"{form}.countries"):
        edited = st.data_editor(
            pd.DataFrame(
                {
                    "Country": [e.code for e in eligibility],
                    "Name": [country_name(e.code) for e in eligibility],
                    "Eligible from": pd.to_datetime([e.valid_from for e in eligibility]),
                    "Eligible until": pd.to_datetime([e.valid_to for e in eligibility]),
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
            f"{ui.number(len(eligibility))} lines. A stay is eligible when both countries are "
            "on the day it starts. A date shown as None sets no limit on that side. List a "
            "country twice for two separate periods. " + EDITOR_HELP
        )
        save_countries = st.form_submit_button(
            "Save eligible countries", help="Replaces the whole list."
        )
    if save_countries:
        saved_countries = ui.write(
            settings.set_eligible_countries,
            actor=user,
            **ui.reloads(form),
            expected_version=expected,
            countries=[
                settings.Eligibility(code or "", valid_from, valid_to)
                for code, _, valid_from, valid_to in ui.admin_rows(edited)
            ],
        )
        if saved_countries is not None:
            ui.saved(
                form, f"Saved the eligible countries ({ui.number(len(saved_countries))} lines)."
            )

# --- organisations -----------------------------------------------------------------------------

with organisations_tab:
    st.markdown("##### Suggested duplicates")
    with st.spinner("Looking for organisations logged twice..."):
        pairs = ui.cached_duplicates()
    if not pairs:
        st.info(
            "No likely duplicates: no two organisations in one country have names that read "
            "the same without case, accents, punctuation and legal form."
        )
    else:
        st.caption(
            f"{ui.number(len(pairs))} {'pair' if len(pairs) == 1 else 'pairs'} in one country "
            "whose names read the same without "
            "case, accents, punctuation and legal form (GmbH, SA, SRL, Ltd...). The busier one "
            "is proposed to keep. Check before merging: two branches may share a name."
        )
        st.dataframe(
            pd.DataFrame(
                {
                    "Keep": [p.keep.label() for p in pairs],
                    "Its exchanges": [p.keep.exchanges for p in pairs],
                    "Merge into it": [p.merge.label() for p in pairs],
                    "Exchanges that move": [p.merge.exchanges for p in pairs],
                }
            ),
            hide_index=True,
            width="stretch",
            column_config={
                "Its exchanges": st.column_config.NumberColumn(format="localized"),
                "Exchanges that move": st.column_config.NumberColumn(format="localized"),
            },
        )
        suggestion = st.selectbox(
            "Review a suggestion",
            options=list(range(len(pairs))),
            index=None,
            format_func=lambda i: f"{pairs[i].merge.label()} into {pairs[i].keep.label()}",
            key="merge.suggestion",
            placeholder="Pick a pair to review below",
            help="Fills in the two organisations below; nothing is merged until you confirm.",
        )
        if suggestion is not None and st.button(
            "Review this pair",
            key="merge.use_suggestion",
            help="Puts the pair in the merge form below.",
        ):
            chosen_pair = pairs[int(suggestion)]
            st.session_state["merge.keep_query"] = f"#{chosen_pair.keep.id}"
            st.session_state["merge.merge_query"] = f"#{chosen_pair.merge.id}"
            st.session_state.pop("merge.confirm", None)
            st.rerun()

    st.markdown("##### Merge two organisations")
    st.caption(
        "Every exchange of the second moves to the first, as visitor or as host; the second is "
        "then deleted. Exchanges keep the type, SME status and country they were logged with, "
        "so no KPI changes."
    )
    keep_column, merge_column = st.columns(2)
    picks: dict[str, int | None] = {}
    for column, side, label, what in (
        (keep_column, "keep", "Organisation to keep", "the organisation that stays"),
        (merge_column, "merge", "Organisation to merge into it", "the duplicate, deleted after"),
    ):
        with column:
            query = st.text_input(
                f"Find {what}",
                key=f"merge.{side}_query",
                placeholder="Part of the name, or #id",
                help="Any part of the name, in any case; #12 finds the organisation with id 12.",
            )
            found = ui.read(organisations.search_organisations, text=query, limit=50)
            labels = {o.id: f"{o.label()} · {o.exchanges:,} exchanges" for o in found}
            picks[side] = st.selectbox(
                label,
                options=list(labels),
                index=0 if query.startswith("#") and labels else None,
                format_func=labels.get,
                key=f"merge.{side}_{query}",
                placeholder="No match: change the search" if not labels else "Pick one",
                help="The first 50 matches, by name.",
            )
    keep_id, merge_id = picks["keep"], picks["merge"]
    if keep_id is not None and merge_id is not None:
        if keep_id == merge_id:
            st.warning("Pick two different organisations: one to keep, one to merge into it.")
        else:
            preview = ui.read(
                organisations.preview_merge, keep_id=int(keep_id), merge_id=int(merge_id)
            )
            with st.container(border=True):
                st.markdown(f"**{ui.escape(preview.describe())}**")
                for note in preview.notes:
                    st.info(ui.escape(note))
                for problem in preview.problems:
                    st.error(ui.escape(problem))
                if preview.ok:
                    pending = st.session_state.get("merge.confirm") == (keep_id, merge_id)
                    if not pending:
                        if st.button(
                            "Merge...",
                            key="merge.start",
                            icon=":material/merge:",
                            help="Asks for confirmation first.",
                        ):
                            st.session_state["merge.confirm"] = (keep_id, merge_id)
                            st.rerun()
                    else:
                        merged, kept_name = (
                            ui.escape(preview.merge.name),
                            ui.escape(preview.keep.name),
                        )
                        st.warning(
                            f"Merge {merged} into {kept_name}? "
                            f"{ui.number(preview.moves)} "
                            f"{'exchange moves' if preview.moves == 1 else 'exchanges move'} and "
                            f"{merged} is deleted. This cannot be undone here.",
                            icon=":material/warning:",
                        )
                        yes_column, no_column = st.columns(2)
                        confirmed = yes_column.button(
                            f"Yes, merge into {kept_name}",
                            type="primary",
                            key="merge.yes",
                            help="Moves the exchanges and deletes the duplicate.",
                        )
                        if no_column.button("Cancel", key="merge.no", help="Nothing is changed."):
                            st.session_state.pop("merge.confirm", None)
                            st.rerun()
                        if confirmed:
                            kept = ui.write(
                                organisations.merge_organisations,
                                actor=user,
                                spinner="Merging...",
                                keep_id=int(keep_id),
                                merge_id=int(merge_id),
                            )
                            st.session_state.pop("merge.confirm", None)
                            if kept is not None:
                                ui.saved(
                                    "merge",
                                    f"Merged {preview.merge.name} into {kept.name}: "
                                    f"{ui.number(preview.moves)} "
                                    f"{'exchange' if preview.moves == 1 else 'exchanges'} moved.",
                                )
