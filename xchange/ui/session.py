"""Signing in and the menu: the cached engine, the current user, the sign-in forms (local or
OIDC), the menu by role, and `page_setup`, which every page calls first.

Who is signed in comes, in this order, from this browser session's state (OIDC, AppTest, or a
browser without cookies) or from the sign-in cookie, checked against the database on every run
(`accounts.websessions`): a sign-out, a deactivation or a password change in one tab ends the
others at their next interaction. A browser holding the anti-forgery cookie signs in through
the form that posts to the sign-in route (`ui.webforms`), which sets the cookie; one without it
(AppTest) gets the in-session form.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import streamlit as st
from sqlalchemy.engine import Engine

from xchange.accounts import auth, websessions
from xchange.config import get_settings
from xchange.db import engine as db
from xchange.errors import SignInRefused
from xchange.models import Role, User
from xchange.ui import webforms
from xchange.ui.text import escape


@dataclass(frozen=True)
class PageLink:
    """A page in the menu and the roles that may open it."""

    path: str
    label: str
    icon: str
    roles: frozenset[str]
    writes: bool = False


ALL_ROLES = frozenset(r.value for r in Role)
WRITERS = frozenset({Role.ADMIN.value, Role.COORDINATOR.value})
PAGES = (
    PageLink("dashboard.py", "Dashboard", ":material/monitoring:", ALL_ROLES),
    PageLink("pages/1_Log_exchange.py", "Log an exchange", ":material/add_circle:", WRITERS, True),
    PageLink("pages/2_Exchanges.py", "Exchanges", ":material/list_alt:", ALL_ROLES),
    PageLink(
        "pages/3_Needs_attention.py",
        "Needs attention",
        ":material/notification_important:",
        WRITERS,
        True,
    ),
    PageLink("pages/4_Import.py", "Import a file", ":material/upload_file:", WRITERS, True),
    PageLink("pages/5_Reports.py", "Quarterly reports", ":material/summarize:", ALL_ROLES),
    PageLink("pages/7_Export.py", "Export", ":material/download:", ALL_ROLES),
    PageLink(
        "pages/6_Admin.py",
        "Administration",
        ":material/admin_panel_settings:",
        frozenset({Role.ADMIN.value}),
        True,
    ),
    PageLink("pages/8_Account.py", "Account", ":material/key:", ALL_ROLES),
)
ROLE_NAMES = {
    "admin": "Administrator",
    "coordinator": "Partnership coordinator",
    "officer": "Commission officer",
}


def engine() -> Engine:
    """One engine per server process and database URL, created and migrated on first use."""
    return _engine(get_settings().database_url)


@st.cache_resource(show_spinner=False)
def _engine(url: str) -> Engine:
    made = db.make_engine(url)
    db.upgrade(made)
    return made


def data_version() -> int:
    """A number that changes with every write (the newest audit event's id), from any process:
    part of every cached query's key, so a write anywhere clears the cached figures."""
    with engine().connect() as connection:
        return int(
            connection.exec_driver_sql("SELECT COALESCE(MAX(id), 0) FROM audit_event").scalar_one()
        )


def pages_for(role: str) -> list[PageLink]:
    """The pages a role may open, in menu order (officers get no page that writes)."""
    return [page for page in PAGES if role in page.roles]


# --- signing in ------------------------------------------------------------------------------


def oidc_configured() -> bool:
    """True when .streamlit/secrets.toml has an [auth] section: sign in through OIDC."""
    try:
        return "auth" in st.secrets
    except (FileNotFoundError, KeyError, st.errors.StreamlitAPIException):
        return False
    except Exception:  # no secrets file at all raises a parse-free error on some versions
        return False


def current_user() -> User | None:
    """The signed-in, active user of this browser session, read again on every run.

    The session ends when it expires, when the account is deactivated, and when its password
    is changed elsewhere (`auth.revoke_sessions`): the user's session epoch then differs from
    the one this session signed in at.
    """
    user_id = st.session_state.get("user_id")
    signed_in_at: datetime | None = st.session_state.get("signed_in_at")
    epoch = st.session_state.get("session_epoch")
    if user_id is None or signed_in_at is None or epoch is None:
        return _cookie_user()
    if auth.session_expired(signed_in_at):
        sign_out(message="Your session expired: please sign in again.")
        return None
    with db.read_session(engine()) as session:
        user = session.get(User, user_id)
        if user is None or not user.active:
            sign_out(message="This account is deactivated: ask an administrator.")
            return None
        if not auth.session_current(user, int(epoch)):
            sign_out(
                message="Your password was changed or your access ended: please sign in again."
            )
            return None
        session.expunge(user)
        return user


def _cookie_user() -> User | None:
    """The user this browser's sign-in cookie names, while the database still knows it."""
    token = webforms.session_token()
    if token is None:
        return None
    try:
        with db.read_session(engine()) as session:
            user = websessions.user_for(session=session, token=token)
            session.expunge(user)
    except SignInRefused as refusal:
        st.session_state["sign_in_message"] = str(refusal)
        return None
    return user


def keep_signed_in(user: User) -> None:
    """Carry this browser's sign-in on at `user`'s new session epoch (after changing one's own
    password, which ends every other sign-in)."""
    token = webforms.session_token()
    if token is not None and st.session_state.get("user_id") is None:
        with db.write_session(engine()) as session:
            websessions.carry_on(session=session, token=token, user=user)
    else:
        start_session(user)


def start_session(user: User) -> None:
    """Sign `user` in for this browser session (or carry this session on at the user's new
    session epoch, after changing their own password)."""
    st.session_state["user_id"] = user.id
    st.session_state.setdefault("signed_in_at", datetime.now(UTC))
    st.session_state["session_epoch"] = user.session_epoch


def sign_out(message: str | None = None) -> None:
    """Forget this browser session's user (and the OIDC identity, if any)."""
    for key in ("user_id", "signed_in_at", "session_epoch"):
        st.session_state.pop(key, None)
    if message:
        st.session_state["sign_in_message"] = message


def client_address() -> str | None:
    """The address this browser session connects from, as the server sees it (None when local
    or unknown): sign-in failures are counted per email and address. Behind a reverse proxy
    every client has the proxy's address unless the proxy passes the client's on."""
    try:
        return st.context.ip_address
    except Exception:  # no script run context (bare mode): no address
        return None


def _sign_in_form(path: str) -> None:
    st.title("ClusterXchange tracker")
    st.caption(
        "The register of ClusterXchange exchanges and its KPIs, for partnership "
        "coordinators and Commission officers."
    )
    notice = st.session_state.pop("sign_in_message", None)
    code = str(st.query_params.get("notice", ""))
    if code in websessions.REFUSALS:
        st.error(escape(websessions.NOTICES[code]))  # the sign-in route refused the last try
    elif code in websessions.NOTICES or notice:
        st.info(escape(websessions.NOTICES.get(code, notice)))
    if webforms.can_post():
        webforms.sign_in_form(webforms.page_address(path))
        return
    with st.form("sign_in"):
        email = st.text_input("Email", autocomplete="username")
        password = st.text_input("Password", type="password", autocomplete="current-password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        try:
            with db.read_session(engine()) as session:
                user = auth.authenticate(
                    session=session, email=email, password=password, client=client_address()
                )
                session.expunge(user)
        except SignInRefused as exc:
            st.error(escape(exc))
            return
        st.session_state.pop("signed_in_at", None)
        start_session(user)
        st.rerun()


def _oidc_sign_in() -> User | None:
    """The user matching the OIDC identity's email; an unknown email gets only a message."""
    if not st.user.is_logged_in:
        st.title("ClusterXchange tracker")
        st.button("Sign in", type="primary", on_click=st.login)
        return None
    email = str(st.user.get("email") or "")
    with db.read_session(engine()) as session:
        user = auth.user_by_email(session=session, email=email)
        if user is not None:
            session.expunge(user)
    if user is None or not user.active:
        st.title("ClusterXchange tracker")
        reason = "is deactivated" if user is not None else "has no account in this tracker"
        st.warning(
            f"{escape(email) if email else 'This identity'} {escape(reason)}: ask an administrator to "
            "add you with the right role."
        )
        st.button("Sign out", on_click=st.logout)
        return None
    start_session(user)
    return user


def require_user(path: str = "dashboard.py") -> User:
    """The signed-in user; otherwise the sign-in form is shown and the page stops. `path` is
    the page's file: signing in from it comes back to it, with its query."""
    if oidc_configured():
        user = _oidc_sign_in() if current_user() is None else current_user()
    else:
        user = current_user()
        if user is None:
            _sign_in_form(path)
    if user is None:
        st.stop()
        raise AssertionError("unreachable")  # st.stop() raises
    return user


def _menu(user: User) -> None:
    with st.sidebar:
        st.markdown(f"**{escape(user.email)}**  \n{escape(ROLE_NAMES.get(user.role, user.role))}")
        for page in pages_for(user.role):
            st.page_link(page.path, label=escape(page.label), icon=page.icon)
        st.divider()
        if oidc_configured():
            st.button("Sign out", on_click=st.logout, key="sign_out")
        elif st.session_state.get("user_id") is None:
            webforms.sign_out_form()  # signed in by the cookie: the route forgets it
        elif st.button("Sign out", key="sign_out"):
            sign_out(message="You are signed out.")
            st.switch_page("dashboard.py")


def page_setup(path: str, title: str) -> User:
    """Start a page: configure it, sign in, refuse it to roles that may not open it, draw the
    menu. `path` is the page's file as listed in PAGES."""
    st.set_page_config(
        page_title=f"{title} · ClusterXchange tracker",
        page_icon=":material/sync_alt:",
        layout="wide",
    )
    user = require_user(path)
    if "notice" in st.query_params:
        del st.query_params["notice"]  # said once; a bookmark of this page should not repeat it
    page = next(p for p in PAGES if p.path == path)
    _menu(user)
    if user.role not in page.roles:
        st.error(escape(refusal(user.role, page)))
        st.page_link("dashboard.py", label="Back to the dashboard", icon=":material/arrow_back:")
        st.stop()
    return user


def refusal(role: str, page: PageLink) -> str:
    """Why `role` may not open `page`: read-only access only for a role that writes nowhere."""
    who = f"{ROLE_NAMES.get(role, role)}s cannot open this page"
    if page.writes and role not in WRITERS:
        return f"{who}: it changes the register, and your access is read-only."
    allowed = [ROLE_NAMES.get(r, r).lower() + "s" for r in sorted(page.roles)]
    return f"{who}: it is not for your role (only for {' and '.join(allowed)})."
