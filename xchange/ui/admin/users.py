"""The Users tab of the Administration page: accounts, roles, access and passwords."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from xchange.accounts import auth
from xchange.db.engine import LOCAL_ADMIN_EMAIL
from xchange.models import Role, User
from xchange.programme import partnerships
from xchange.ui.actions import read, reloads, saved, seen_version, write
from xchange.ui.admin.widgets import PASSWORD_HELP
from xchange.ui.session import ROLE_NAMES, keep_signed_in, oidc_configured


def users_tab(user: User) -> None:
    """The Users tab: who signs in, a form to add someone, and the one picked to change."""
    sso = oidc_configured()
    table = read(partnerships.partnership_table)
    listed = read(auth.list_users)
    acronyms = list(table["acronym"])
    people = [(u, own) for u, own in listed if u.email != LOCAL_ADMIN_EMAIL]
    if not people:
        st.info("Nobody but the command line's local administrator yet: add a user below.")
    else:
        st.dataframe(
            pd.DataFrame(
                {
                    "Email": [u.email for u, _ in people],
                    "Role": [ROLE_NAMES.get(u.role, u.role) for u, _ in people],
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
                format_func=lambda r: ROLE_NAMES.get(r, r),
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
                "Initial password", type="password", key=f"{form}.password", help=PASSWORD_HELP[sso]
            )
            add = st.form_submit_button("Add user", type="primary")
        if add:
            if not password and not sso:
                st.error(
                    "Give an initial password: without single sign-on, it is how they sign in."
                )
            else:
                added = write(
                    auth.add_user,
                    actor=user,
                    email=email,
                    role=role,
                    password=password or None,
                    partnerships=chosen,
                )
                if added is not None:
                    saved(
                        form,
                        f"Added {added.email} as {ROLE_NAMES.get(added.role, added.role)}: "
                        "they can sign in now.",
                    )

    if people:
        st.subheader("Change a user")
        by_id = {int(u.id or 0): (u, own) for u, own in people}
        picked_user = st.selectbox(
            "User to change",
            options=list(by_id),
            format_func=lambda uid: (
                f"{by_id[uid][0].email} ({ROLE_NAMES.get(by_id[uid][0].role, '')}"
                + ("" if by_id[uid][0].active else ", deactivated")
                + ")"
            ),
            key="edit_user.pick",
            help="Their role and partnerships, their access, their password.",
        )
        target_user, own = by_id[int(picked_user)]
        uid = int(picked_user)
        form = f"user.{uid}"
        expected = seen_version(form, target_user.version)
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
                format_func=lambda r: ROLE_NAMES.get(r, r),
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
            saved_user = write(
                auth.set_role_and_partnerships,
                actor=user,
                **reloads(form),
                user_id=uid,
                expected_version=expected,
                role=role,
                partnerships=chosen,
            )
            if saved_user is not None:
                saved(form, f"Saved the role and partnerships of {saved_user.email}.")

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
            switched = write(
                auth.set_active,
                actor=user,
                **reloads(form),
                user_id=uid,
                expected_version=expected,
                active=not target_user.active,
            )
            if switched is not None:
                state = "reactivated" if switched.active else "deactivated"
                saved(form, f"{switched.email} is {state}.")

        with password_column, st.form(f"{form}.password_form"):
            st.markdown("##### Password")
            new_password = st.text_input(
                "New password",
                type="password",
                key=f"{form}.password",
                help=PASSWORD_HELP[sso] + " Setting it also lifts a lock after failed sign-ins.",
            )
            reset = st.form_submit_button("Set password")
        if reset:
            changed = write(
                auth.set_password,
                actor=user,
                **reloads(form),
                user_id=uid,
                expected_version=expected,
                password=new_password,
            )
            if changed is not None:
                if uid == user.id:
                    keep_signed_in(changed)  # the other sessions end; this one carries on
                saved(
                    form,
                    f"New password set for {changed.email}: give it to them through another "
                    "channel than the email.",
                )
