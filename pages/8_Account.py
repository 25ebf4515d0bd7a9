"""Account: the signed-in user's personal API tokens, for Excel, Power BI and scripts. A new
token is shown once; the list shows when each was created, last used and revoked."""

from __future__ import annotations

import streamlit as st

from xchange import ui
from xchange.accounts import tokens

user = ui.page_setup("pages/8_Account.py", "Account")
NEW_TOKEN = "account.new_token"

st.title("Your account")
role = ui.ROLE_NAMES.get(user.role, user.role)
st.caption(f"Signed in as {ui.escape(user.email)} ({ui.escape(role)}).")
ui.show_flash()

st.subheader("API tokens")
st.caption(
    "Other tools (Excel's or Power BI's From Web, scripts) read the KPIs and the exchanges you "
    "may see through the API at /api/v1/, with a token sent as the header "
    "Authorization: Bearer TOKEN. A token reads only, what you may read, until you revoke it."
)

# Shown on the run right after it was created, and never again: only its hash is kept.
secret = st.session_state.pop(NEW_TOKEN, None)
if secret:
    st.success("Your new token: copy it now, it is not shown again.", icon=":material/key:")
    st.code(secret, language=None)

with st.form("account.create", clear_on_submit=True, border=False):
    name = st.text_input(
        "Name of a new token", max_chars=tokens.NAME_MAX, placeholder="e.g. Power BI"
    )
    if st.form_submit_button("Create a token", icon=":material/add:"):
        made = ui.write(tokens.create_token, actor=user, owner_email=user.email, name=name)
        if made is not None:
            st.session_state[NEW_TOKEN] = made[1]
            st.rerun()

rows = ui.read(tokens.list_tokens, actor=user, own_only=True)
if not rows:
    st.info("You have no tokens yet.", icon=":material/info:")
else:
    st.dataframe(
        [
            {
                "name": row.name,
                "created": row.created_at.strftime("%Y-%m-%d %H:%M UTC"),
                "last used": ui.iso(row.last_used_on) or "never",
                "revoked": row.revoked_at.strftime("%Y-%m-%d %H:%M UTC") if row.revoked_at else "",
            }
            for row, _ in rows
        ],
        hide_index=True,
    )
    live = [row.name for row, _ in rows if row.revoked_at is None]
    if live:
        with st.container(horizontal=True, vertical_alignment="bottom"):
            chosen = st.selectbox("Token to revoke", live)
            if st.button("Revoke", icon=":material/block:") and ui.write(
                tokens.revoke_token, actor=user, owner_email=user.email, name=chosen
            ):
                ui.flash(f"Token {chosen!r} revoked: its next request is refused.")
                st.rerun()
