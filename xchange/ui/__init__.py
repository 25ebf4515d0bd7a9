"""Streamlit glue: the cached engine, sign-in, the menu by role, and shared widgets.

The only module of the package that imports streamlit. Every page starts with `page_setup`,
which signs the person in (a local account, or Streamlit's OIDC sign-in when `[auth]` is in
.streamlit/secrets.toml), refuses pages their role may not open, and draws the menu.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

import streamlit as st
from sqlalchemy.engine import Engine

from xchange.accounts import access, auth
from xchange.config import get_settings
from xchange.db import engine as db
from xchange.errors import SignInRefused
from xchange.kpi import overview
from xchange.kpi.sums import Filters
from xchange.models import Role, User
from xchange.presentation import euros, iso, number, percent

__all__ = ["data_version", "engine", "euros", "iso", "number", "page_setup", "percent"]


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
    PageLink(
        "pages/6_Admin.py",
        "Administration",
        ":material/admin_panel_settings:",
        frozenset({Role.ADMIN.value}),
        True,
    ),
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
        return None
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


def _sign_in_form() -> None:
    st.title("ClusterXchange tracker")
    st.caption(
        "The register of ClusterXchange exchanges and its KPIs, for partnership "
        "coordinators and Commission officers."
    )
    notice = st.session_state.pop("sign_in_message", None)
    if notice:
        st.info(escape(notice))
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
            f"{escape(email) if email else 'This identity'} {reason}: ask an administrator to "
            "add you with the right role."
        )
        st.button("Sign out", on_click=st.logout)
        return None
    start_session(user)
    return user


def require_user() -> User:
    """The signed-in user; otherwise the sign-in form is shown and the page stops."""
    if oidc_configured():
        user = _oidc_sign_in() if current_user() is None else current_user()
    else:
        user = current_user()
        if user is None:
            _sign_in_form()
    if user is None:
        st.stop()
        raise AssertionError("unreachable")  # st.stop() raises
    return user


def _menu(user: User) -> None:
    with st.sidebar:
        st.markdown(f"**{escape(user.email)}**  \n{ROLE_NAMES.get(user.role, user.role)}")
        for page in pages_for(user.role):
            st.page_link(page.path, label=page.label, icon=page.icon)
        st.divider()
        if oidc_configured():
            st.button("Sign out", on_click=st.logout, key="sign_out")
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
    user = require_user()
    page = next(p for p in PAGES if p.path == path)
    _menu(user)
    if user.role not in page.roles:
        st.error(refusal(user.role, page))
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


# --- shared widgets --------------------------------------------------------------------------

_ZERO_WIDTH = "\u200b"


def escape(text: object) -> str:
    """User text for a Markdown body (messages, captions, st.table cells): shown as typed.

    Markdown syntax is backslash-escaped; emails, web addresses and `:codes:` (emoji, icons,
    colours), which Streamlit turns into links or symbols even when escaped, get an invisible
    zero-width space. HTML is never rendered anyway (no unsafe_allow_html anywhere).
    """
    escaped = re.sub(r"([\\`*_\[\]<>#|~$&])", r"\\\1", str(text))
    escaped = re.sub(r"(?m)^(\s*)([-+=])", r"\1\\\2", escaped)
    escaped = re.sub(r"(?m)^(\s*)(\d+)([.)])", r"\1\2\\\3", escaped)
    escaped = re.sub(r":(?=[\w/])", ":" + _ZERO_WIDTH, escaped)
    escaped = escaped.replace("@", "@" + _ZERO_WIDTH)
    return re.sub(r"(?i)\b(www)\.", r"\1" + _ZERO_WIDTH + ".", escaped)


@st.cache_data(show_spinner=False, max_entries=64)
def _overview(filters: Filters, as_of: date, version: int, url: str) -> overview.Overview:
    with db.read_session(engine()) as session:
        return overview.overview(session, as_of=as_of, filters=filters)


def cached_overview(filters: Filters, as_of: date) -> overview.Overview:
    """The dashboard's figures, cached until the next write anywhere (see data_version)."""
    return _overview(filters, as_of, data_version(), get_settings().database_url)


@st.cache_data(show_spinner=False, max_entries=8)
def _filter_choices(version: int, today: date, url: str) -> overview.FilterChoices:
    with db.read_session(engine()) as session:
        return overview.filter_choices(session, today=today)


def cached_filter_choices() -> overview.FilterChoices:
    """The dashboard filters' choices, cached like the figures."""
    return _filter_choices(data_version(), date.today(), get_settings().database_url)


def own_partnership_ids(user: User) -> set[int]:
    """The partnerships a coordinator writes for (empty for other roles)."""
    if user.role != Role.COORDINATOR:
        return set()
    with db.read_session(engine()) as session:
        return access.partnership_ids_writable(session=session, actor=user) or set()


# --- exchange form ---------------------------------------------------------------------------
# The coordinators' pages (Log an exchange, Exchanges, Needs attention): the exchange form with
# its messages beside each field, reads and writes through the package with its errors turned
# into messages, and the cached lists those pages show. Imported here, with the section, so that
# sections of this module stay independent of each other.

import logging  # noqa: E402
from collections.abc import Callable  # noqa: E402
from decimal import Decimal  # noqa: E402
from typing import Any, TypeVar  # noqa: E402

import pandas as pd  # noqa: E402
from streamlit.delta_generator import DeltaGenerator  # noqa: E402

from xchange.errors import StaleRecord, ValidationFailed, XchangeError  # noqa: E402
from xchange.kpi import sums as kpi  # noqa: E402
from xchange.reference import ACTIVITY_LABELS, ECOSYSTEMS, ORG_TYPE_LABELS, country_name  # noqa: E402
from xchange.register import attention, service  # noqa: E402
from xchange.register import queries as register  # noqa: E402
from xchange.register.parsing import field_label  # noqa: E402
from xchange.register.rules import Validation  # noqa: E402

T = TypeVar("T")
EXCHANGES_PAGE = "pages/2_Exchanges.py"
SIDES = ("visitor", "host")
STATUSES = list(register.STATUS_LABELS)

FORM_HELP = {
    "partnership": "The partnership that sends (and pays) the visitor: the exchange counts for it.",
    "reference": "Your own reference, unique within the partnership (e.g. GTEX-2026-0042). "
    "An import with the same reference updates this record instead of adding another.",
    "status": "Planned: agreed in principle. Confirmed: the agreement is signed. Completed: the "
    "stay took place and its closing report was validated. Cancelled: will not take place.",
    "modality": "A physical stay travels to the host. Virtual stays are recorded but never "
    "funded, and counted apart.",
    "start_date": "First day at the host (travel days are not part of the stay).",
    "end_date": "Last day at the host. A stay lasts at least 3 working days and at most one "
    "calendar month.",
    "visitor_organisation": "Legal name of the organisation that travels. Type part of it and "
    "press Enter: organisations already in the register are offered below.",
    "host_organisation": "Legal name of the organisation that receives the visitor. Type part "
    "of it and press Enter: organisations already in the register are offered below.",
    "pick": "Picking one fills its country, type and SME status as the register knows them.",
    "country": "Country of the organisation; the two sides must be in different eligible "
    "countries.",
    "visitor_type": "Visitors are cluster, business network or scale-up support organisations, "
    "or SMEs.",
    "host_type": "Any type of organisation may host.",
    "is_sme": "As declared: fewer than 250 staff and turnover up to EUR 50 M or balance sheet "
    "up to EUR 43 M (EU Recommendation 2003/361).",
    "community": "Relative to the sending partnership. Partner: a consortium member. Member: a "
    "member organisation of a partner cluster. External: beyond the partnership community "
    "(what the 25 % target counts).",
    "ecosystem": "The EU industrial ecosystem the exchange serves; reports break figures down "
    "by it.",
    "activity": "What the stay is mainly for; reports break figures down by it.",
    "distance_km": "Distance between the two organisations. Under 200 km the lump sum is "
    "halved; leave empty when unknown.",
    "representative": "Name of the person who travels. Personal data: optional, and erased "
    "after the retention period.",
    "lump_sum_eur": "Leave empty to pay what the rule gives (shown above). Give an amount only "
    "when your partnership pays a different one, at most EUR 1,100.00.",
    "cancellation_reason": "Why the exchange will not take place (required to cancel).",
    "notes": "Anything else worth keeping with the record; searchable in the Exchanges list.",
}


# Field names as the form labels them (for the "still to fill in" line).
FORM_LABELS = {
    "partnership": "Partnership",
    "reference": "Reference",
    "status": "Status",
    "start_date": "First day at the host",
    "end_date": "Last day at the host",
    **{
        f"{side}_{name}": f"{who}: {what}"
        for side, who in (("visitor", "Visiting organisation"), ("host", "Host organisation"))
        for name, what in (
            ("organisation", "legal name"),
            ("country", "country"),
            ("type", "type"),
            ("is_sme", "SME or not"),
            ("community", "community"),
        )
    },
}


def flash(message: str) -> None:
    """A confirmation (plain text) to show at the top of the page after the rerun that
    follows a write."""
    st.session_state.setdefault("flash", []).append(message)


def show_flash() -> None:
    """The pending confirmations, once, shown as typed."""
    for message in st.session_state.pop("flash", []):
        st.success(escape(message), icon=":material/check_circle:")


def read(action: Callable[..., T], **kwargs: Any) -> T:
    """`action(session=..., **kwargs)` in a read session; XchangeErrors come out as they are."""
    with db.read_session(engine()) as session:
        return action(session=session, **kwargs)


def read_or_stop(action: Callable[..., T], **kwargs: Any) -> T:
    """Like `read`, but a refusal or a missing record shows its message and stops the page."""
    try:
        return read(action, **kwargs)
    except XchangeError as exc:
        st.error(escape(exc), icon=":material/block:")
        st.stop()
        raise AssertionError("unreachable") from exc  # st.stop() raises


def write(
    action: Callable[..., T],
    *,
    on_stale: Callable[[], None] | None = None,
    reload_label: str = "Reload the exchange",
    reload_key: str = "stale_reload",
    spinner: str | None = None,
    check_foreign_keys: bool = True,
    **kwargs: Any,
) -> T | None:
    """`action(session=..., **kwargs)` in one write transaction; None when it was refused.

    A refusal shows why where the call is made, every word of it as text (messages may quote
    what users typed or imported): a stale record says what changed meanwhile, with a button
    (`reload_label`) calling `on_stale`; failed rules list each message. `spinner`: what to say
    while it runs. `check_foreign_keys`: as for `db.write_session`.
    """

    def work() -> T:
        with db.write_session(engine(), check_foreign_keys=check_foreign_keys) as session:
            return action(session=session, **kwargs)

    try:
        if spinner is None:
            return db.with_retry(work)
        with st.spinner(escape(spinner)):
            return db.with_retry(work)
    except StaleRecord as exc:
        changes = read(register.describe_changes, changes=exc.changes)
        listed = "".join(f"\n- {escape(line)}" for line in changes)
        st.error(
            f"{escape(exc)}" + (f"\n\nChanged meanwhile:{listed}" if listed else ""),
            icon=":material/sync_problem:",
        )
        if on_stale is not None:
            st.button(
                reload_label,
                on_click=on_stale,
                key=reload_key,
                help="Forget what you typed and show the record as saved now.",
            )
    except ValidationFailed as exc:
        listed = "\n".join(f"- {escape(i.message)}" for i in exc.issues if i.severity == "error")
        st.error(f"Not saved:\n{listed}", icon=":material/error:")
    except XchangeError as exc:
        st.error(f"Not saved: {escape(exc)}", icon=":material/block:")
    except Exception as exc:
        if not db.is_database_error(exc):
            raise
        # The person gets one sentence; the operator gets the traceback in the server's log.
        logging.getLogger(__name__).exception("a write failed in the database")
        st.error(
            f"Not saved: the database reported an error ({escape(db.database_error_line(exc))}),"
            " so nothing was changed; try again, and tell an administrator if it happens again.",
            icon=":material/error:",
        )
    return None


def reloads(form: str) -> dict[str, Any]:
    """`write`'s arguments for a form whose save may meet a stale record: its Reload button
    forgets what the form holds, and the version it read (see `seen_version`)."""
    return {
        "on_stale": lambda: clear_form(form),
        "reload_label": "Reload the current values",
        "reload_key": f"{form}.reload",
    }


def saved(form: str, message: str) -> None:
    """After a successful write: the form starts again from the saved record, the message
    shows after the rerun."""
    clear_form(form)
    flash(message)
    st.rerun()


def seen_version(form: str, current: int) -> int:
    """The record's version when `form` was first shown: what its save expects. Kept until
    the form is saved or reloaded (`clear_form`), so that someone else's save in between is
    noticed."""
    return int(st.session_state.setdefault(f"{form}.version", current))


# The form: one widget per ExchangeIn field, keyed `<form key>.<field>`.


@dataclass
class ExchangeForm:
    """A drawn exchange form: its values and a place beside each field for its messages."""

    key: str
    data: service.ExchangeIn
    slots: dict[str, DeltaGenerator]
    figures: DeltaGenerator
    summary: DeltaGenerator


def _k(form: str, name: str) -> str:
    return f"{form}.{name}"


def _start(form: str, initial: service.ExchangeIn | None, choices: register.FormChoices) -> None:
    """Put the initial values in place for every field the session does not hold yet."""
    values: dict[str, Any] = (
        initial or service.ExchangeIn(partnership="", reference="")
    ).model_dump()
    if not values["partnership"] and len(choices.partnerships) == 1:
        values["partnership"] = next(iter(choices.partnerships))
    values["partnership"] = values["partnership"] or None
    for side in SIDES:
        values[f"{side}_organisation.name"] = values.pop(f"{side}_organisation")
        for name in ("type", "country", "community"):
            values[f"{side}_{name}"] = values[f"{side}_{name}"] or None
    for name in ("lump_sum_eur", "distance_km"):
        values[name] = None if values[name] is None else float(values[name])
    for name in ("representative", "cancellation_reason", "notes"):
        values[name] = values[name] or ""
    for name, value in values.items():
        st.session_state.setdefault(_k(form, name), value)


def clear_form(form: str) -> None:
    """Forget a form's values (after saving, or to start again from the stored record)."""
    for name in [k for k in st.session_state if str(k).startswith(f"{form}.")]:
        del st.session_state[name]


def _pick(form: str, side: str, found: dict[int, register.OrganisationChoice]) -> None:
    """Callback: the picked organisation fills its side's name, country, type and SME status."""
    chosen = found.get(st.session_state.get(_k(form, f"{side}_organisation.pick")) or -1)
    if chosen is not None:
        st.session_state[_k(form, f"{side}_organisation.name")] = chosen.name
        st.session_state[_k(form, f"{side}_country")] = chosen.country
        st.session_state[_k(form, f"{side}_type")] = chosen.type
        st.session_state[_k(form, f"{side}_is_sme")] = chosen.is_sme
    st.session_state[_k(form, f"{side}_organisation.pick")] = None


def _slot() -> DeltaGenerator:
    return st.container()


def _side(
    form: str, side: str, choices: register.FormChoices, slots: dict[str, DeltaGenerator]
) -> None:
    """One side's organisation: name with the register's matches, country, type, SME, community."""
    title = "Visiting organisation" if side == "visitor" else "Host organisation"
    st.markdown(f"**{title}**")
    name = st.text_input(
        "Legal name",
        key=_k(form, f"{side}_organisation.name"),
        help=FORM_HELP[f"{side}_organisation"],
        placeholder="Start typing: known organisations are offered",
    )
    slots[f"{side}_organisation"] = _slot()
    found = {c.id: c for c in cached_organisation_choices(name or "")}
    country_key, type_key, sme_key = (
        _k(form, f"{side}_{n}") for n in ("country", "type", "is_sme")
    )
    same = [c for c in found.values() if c.matches(name or "", st.session_state.get(country_key))]
    if len(same) == 1 and st.session_state.get(type_key) is None:
        # A known organisation typed in full: take its profile, as picking it would.
        st.session_state[country_key] = same[0].country
        st.session_state[type_key] = same[0].type
        st.session_state[sme_key] = same[0].is_sme
    others = [i for i, c in found.items() if c not in same]
    if same:
        st.caption(f"In the register: {escape(same[0].label)}.")
    elif name and name.strip():
        st.caption("New organisation: it is added to the register when you save.")
    if others:
        st.selectbox(
            "Or pick a known organisation",
            options=others,
            index=None,
            format_func=lambda i: found[i].label,
            key=_k(form, f"{side}_organisation.pick"),
            on_change=_pick,
            args=(form, side, found),
            placeholder=f"{len(others)} known organisation{'s' if len(others) > 1 else ''} "
            "with a similar name",
            help=FORM_HELP["pick"],
        )
    countries = list(choices.countries)
    if (current := st.session_state.get(country_key)) and current not in choices.countries:
        countries.append(current)  # a stored value no longer listed stays visible
    st.selectbox(
        "Country",
        options=countries,
        index=None,
        format_func=lambda code: f"{country_name(code)} ({code})",
        key=country_key,
        placeholder="Choose a country",
        help=FORM_HELP["country"],
    )
    slots[f"{side}_country"] = _slot()
    types = choices.visitor_types if side == "visitor" else choices.host_types
    if (kind := st.session_state.get(type_key)) and kind not in types:
        types = [*types, kind]
    st.selectbox(
        "Type",
        options=types,
        index=None,
        format_func=lambda t: ORG_TYPE_LABELS.get(t, t),
        key=type_key,
        placeholder="Choose a type",
        help=FORM_HELP[f"{side}_type"],
    )
    slots[f"{side}_type"] = _slot()
    st.radio(
        "Is it an SME?",
        options=[True, False],
        index=None,
        format_func=lambda yes: "Yes" if yes else "No",
        key=sme_key,
        horizontal=True,
        help=FORM_HELP["is_sme"],
    )
    slots[f"{side}_is_sme"] = _slot()
    st.selectbox(
        "Community",
        options=list(register.COMMUNITY_LABELS),
        index=None,
        format_func=lambda c: register.COMMUNITY_LABELS.get(c, c),
        key=_k(form, f"{side}_community"),
        placeholder="Choose partner, member or external",
        help=FORM_HELP["community"],
    )
    slots[f"{side}_community"] = _slot()


def exchange_form(
    form: str, *, choices: register.FormChoices, initial: service.ExchangeIn | None = None
) -> ExchangeForm:
    """Draw the exchange form (outside st.form, so every change reruns and is checked at once)
    and return its values. `form` keys the widgets; `initial` prefills them once."""
    _start(form, initial, choices)
    slots: dict[str, DeltaGenerator] = {}
    partnerships = list(choices.partnerships)
    if (own := st.session_state.get(_k(form, "partnership"))) and own not in partnerships:
        partnerships.append(own)
    top = st.columns(4)
    with top[0]:
        st.selectbox(
            "Partnership",
            options=partnerships,
            index=None,
            format_func=lambda a: f"{a} · {choices.partnerships.get(a, '')}".rstrip(" ·"),
            key=_k(form, "partnership"),
            placeholder="Choose your partnership",
            help=FORM_HELP["partnership"],
        )
        slots["partnership"] = _slot()
    with top[1]:
        st.text_input(
            "Reference",
            key=_k(form, "reference"),
            help=FORM_HELP["reference"],
            placeholder="e.g. GTEX-2026-0042",
        )
        slots["reference"] = _slot()
    with top[2]:
        st.selectbox(
            "Status",
            options=STATUSES,
            format_func=lambda s: register.STATUS_LABELS.get(s, s),
            key=_k(form, "status"),
            help=FORM_HELP["status"],
        )
        slots["status"] = _slot()
    with top[3]:
        st.radio(
            "Modality",
            options=list(register.MODALITY_LABELS),
            format_func=lambda m: register.MODALITY_LABELS.get(m, m),
            key=_k(form, "modality"),
            horizontal=True,
            help=FORM_HELP["modality"],
        )
        slots["modality"] = _slot()

    dates = st.columns([1, 1, 2])
    for column, name, label in (
        (dates[0], "start_date", "First day at the host"),
        (dates[1], "end_date", "Last day at the host"),
    ):
        with column:
            st.date_input(label, key=_k(form, name), format="YYYY-MM-DD", help=FORM_HELP[name])
            slots[name] = _slot()
    with dates[2]:
        figures = st.container()

    sides = st.columns(2, border=True)
    for column, side in zip(sides, SIDES, strict=True):
        with column:
            _side(form, side, choices, slots)

    st.markdown("**For the reports**")
    extra = st.columns(4)
    with extra[0]:
        st.selectbox(
            "Ecosystem",
            options=list(ECOSYSTEMS),
            index=None,
            format_func=lambda code: ECOSYSTEMS.get(code, code),
            key=_k(form, "ecosystem"),
            placeholder="Choose one of the 14",
            help=FORM_HELP["ecosystem"],
        )
        slots["ecosystem"] = _slot()
    with extra[1]:
        st.selectbox(
            "Activity",
            options=list(ACTIVITY_LABELS),
            index=None,
            format_func=lambda a: str(ACTIVITY_LABELS.get(a, a)).capitalize(),
            key=_k(form, "activity"),
            placeholder="Choose an activity",
            help=FORM_HELP["activity"],
        )
        slots["activity"] = _slot()
    with extra[2]:
        st.number_input(
            "Distance (km)",
            min_value=0.0,
            step=10.0,
            format="%.0f",
            key=_k(form, "distance_km"),
            placeholder="Unknown",
            help=FORM_HELP["distance_km"],
        )
        slots["distance_km"] = _slot()
    with extra[3]:
        st.number_input(
            "Lump sum (EUR), if not the rule's",
            min_value=0.0,
            max_value=1100.0,
            step=50.0,
            format="%.2f",
            key=_k(form, "lump_sum_eur"),
            placeholder="The rule's amount",
            help=FORM_HELP["lump_sum_eur"],
        )
        slots["lump_sum_eur"] = _slot()
    st.text_input(
        "Representative (optional)",
        key=_k(form, "representative"),
        help=FORM_HELP["representative"],
    )
    slots["representative"] = _slot()
    if st.session_state.get(_k(form, "status")) == "cancelled":
        st.text_area(
            "Cancellation reason",
            key=_k(form, "cancellation_reason"),
            help=FORM_HELP["cancellation_reason"],
        )
        slots["cancellation_reason"] = _slot()
    st.text_area("Notes (optional)", key=_k(form, "notes"), help=FORM_HELP["notes"], height=80)
    slots["notes"] = _slot()
    summary = st.container()

    return ExchangeForm(form, _values(form), slots, figures, summary)


def _values(form: str) -> service.ExchangeIn:
    """The form's current values as the service takes them (blank text as None)."""

    def get(name: str) -> Any:
        return st.session_state.get(_k(form, name))

    def text(name: str) -> str | None:
        return (get(name) or "").strip() or None

    values: dict[str, Any] = {
        "partnership": get("partnership") or "",
        "reference": text("reference") or "",
        "status": get("status") or "planned",
        "modality": get("modality") or "physical",
        "start_date": get("start_date"),
        "end_date": get("end_date"),
        "ecosystem": get("ecosystem"),
        "activity": get("activity"),
        "representative": text("representative"),
        "distance_km": None if get("distance_km") is None else float(get("distance_km")),
        "lump_sum_eur": (
            None if get("lump_sum_eur") is None else Decimal(f"{get('lump_sum_eur'):.2f}")
        ),
        "cancellation_reason": text("cancellation_reason")
        if get("status") == "cancelled"
        else None,
        "notes": text("notes"),
    }
    for side in SIDES:
        values[f"{side}_organisation"] = text(f"{side}_organisation.name") or ""
        values[f"{side}_is_sme"] = get(f"{side}_is_sme")
        for name in ("type", "country", "community"):
            values[f"{side}_{name}"] = get(f"{side}_{name}") or ""
    return service.ExchangeIn(**values)


def check(data: service.ExchangeIn, exchange_id: int | None = None) -> Validation:
    """The rules over the form's values, nothing written (run on every change); the messages
    name only records the signed-in user may read."""
    return read(service.check_exchange, data=data, exchange_id=exchange_id, reader=current_user())


def show_checks(form: ExchangeForm, validation: Validation, *, tried: bool) -> None:
    """Each error and warning beside its field, the working days and lump sum beside the dates.

    Empty required fields are listed once at the bottom until the person tries to save
    (`tried`); after that each gets its message beside it too.
    """
    row = validation.table.iloc[0]
    with form.figures:
        left, right = st.columns(2)
        dated = form.data.start_date is not None and form.data.end_date is not None
        left.metric("Working days", number(int(row["working_days"])) if dated else "–")
        right.metric("Lump sum", euros(int(row["lump_sum_cents"]) / 100) if dated else "–")
        if dated and form.data.lump_sum_eur is None:
            st.caption(
                "The rule's amount: halved under 5 working days or 200 km; nothing "
                "for a virtual stay."
            )
        elif dated:
            st.caption(
                f"Your amount; the rule gives {euros(int(row['rule_lump_sum_cents']) / 100)}."
            )
    empty: list[str] = []
    for issue in validation.issues:
        if issue.code == "missing_value" and not tried:
            empty.append(FORM_LABELS.get(issue.field, field_label(issue.field)))
            continue
        slot = form.slots.get(issue.field)
        # Beside its field an empty value needs no more words than that.
        message = "Required." if slot and issue.code == "missing_value" else issue.message
        slot = slot or form.summary
        if issue.severity == "error":
            slot.error(escape(message), icon=":material/error:")
        else:
            slot.warning(escape(issue.message), icon=":material/warning:")
    with form.summary:
        if len(empty) > 6:
            st.caption(f"{len(empty)} required fields are still empty.")
        elif empty:
            st.caption(f"Still to fill in: {', '.join(empty)}.")
        errors = len([i for i in validation.errors if tried or i.code != "missing_value"])
        if errors:
            st.caption(
                f"{errors} problem{'s' if errors > 1 else ''} to fix before saving, marked "
                "beside their fields. Warnings never block saving."
            )


# Cached reads (keyed by data_version, so any write refreshes them).


@st.cache_data(show_spinner=False, max_entries=32)
def _form_choices(user_id: int, version: int, url: str) -> register.FormChoices:
    with db.read_session(engine()) as session:
        actor = session.get(User, user_id)
        assert actor is not None
        return register.form_choices(session, actor=actor)


def cached_form_choices(user: User) -> register.FormChoices:
    """What the exchange form offers `user`: their partnerships, countries, types."""
    return _form_choices(user.id or 0, data_version(), get_settings().database_url)


@st.cache_data(show_spinner=False, max_entries=256)
def _organisation_choices(query: str, version: int, url: str) -> list[register.OrganisationChoice]:
    with db.read_session(engine()) as session:
        return register.organisation_choices(session, query)


def cached_organisation_choices(query: str) -> list[register.OrganisationChoice]:
    """Known organisations whose name contains `query` (two characters at least)."""
    return _organisation_choices(query.strip(), data_version(), get_settings().database_url)


@st.cache_data(show_spinner=False, max_entries=16)
def _list_choices(user_id: int, version: int, url: str) -> register.ListChoices:
    with db.read_session(engine()) as session:
        actor = session.get(User, user_id)
        assert actor is not None
        return register.list_choices(session, actor=actor)


def cached_list_choices(user: User) -> register.ListChoices:
    """The Exchanges list's filter choices for `user` (only what they may read)."""
    return _list_choices(user.id or 0, data_version(), get_settings().database_url)


@st.cache_data(show_spinner=False, max_entries=64)
def _exchanges(
    user_id: int, filters: tuple[Any, ...], limit: int, offset: int, version: int, url: str
) -> tuple[pd.DataFrame, int]:
    keys = ("partnership_ids", "statuses", "quarters", "countries", "organisation", "text")
    search = dict(zip(keys, filters, strict=True))
    with db.read_session(engine()) as session:
        actor = session.get(User, user_id)
        assert actor is not None
        found = register.find_exchanges(session, actor=actor, limit=limit, offset=offset, **search)
        return found, register.count_exchanges(session, actor=actor, **search)


def cached_exchanges(
    user: User,
    *,
    partnership_ids: tuple[int, ...] = (),
    statuses: tuple[str, ...] = (),
    quarters: tuple[str, ...] = (),
    countries: tuple[str, ...] = (),
    organisation: str | None = None,
    text: str | None = None,
    limit: int = 200,
    offset: int = 0,
) -> tuple[pd.DataFrame, int]:
    """One page of `register.find_exchanges` and the number of matches in all."""
    filters = (partnership_ids, statuses, quarters, countries, organisation or None, text or None)
    return _exchanges(
        user.id or 0, filters, limit, offset, data_version(), get_settings().database_url
    )


@st.cache_data(show_spinner=False, max_entries=16)
def _attention(user_id: int, today: date, version: int, url: str) -> list[attention.AttentionItem]:
    with db.read_session(engine()) as session:
        actor = session.get(User, user_id)
        assert actor is not None
        return attention.needs_attention(session, actor=actor, today=today)


def cached_attention(user: User) -> list[attention.AttentionItem]:
    """`user`'s to-do list for today, cached until the next write anywhere."""
    return _attention(user.id or 0, date.today(), data_version(), get_settings().database_url)


@st.cache_data(show_spinner=False, max_entries=16)
def _headline(partnership_id: int, as_of: date, version: int, url: str) -> kpi.Headline:
    with db.read_session(engine()) as session:
        return kpi.headline(
            session, as_of=as_of, filters=Filters(partnership_ids=(partnership_id,))
        )


def cached_headline(partnership_id: int) -> kpi.Headline:
    """One partnership's headline figures today (what its dashboard shows)."""
    return _headline(partnership_id, date.today(), data_version(), get_settings().database_url)


def exchange_table(frame: pd.DataFrame, *, key: str) -> int | None:
    """The list of exchanges in plain words; the id of the row clicked, if any."""
    shown = pd.DataFrame(
        {
            "Reference": frame["reference"],
            "Partnership": frame["partnership"],
            "Status": frame["status"].map(register.STATUS_LABELS),
            "Modality": frame["modality"].map(register.MODALITY_LABELS),
            "First day": pd.to_datetime(frame["start_date"]),
            "Last day": pd.to_datetime(frame["end_date"]),
            "Quarter": frame["quarter"],
            "Visiting organisation": frame["visitor"],
            "From": frame["visitor_country"],
            "Host organisation": frame["host"],
            "To": frame["host_country"],
            "Working days": frame["working_days"],
            "Lump sum": frame["lump_sum_eur"],
            "Paid on": pd.to_datetime(frame["paid_on"]),
        }
    )
    event = st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="single-row",
        key=key,
        height=min(40 + 35 * len(shown), 600),  # up to 16 rows before it scrolls
        column_config={
            "First day": st.column_config.DateColumn(format="YYYY-MM-DD"),
            "Last day": st.column_config.DateColumn(format="YYYY-MM-DD"),
            "Paid on": st.column_config.DateColumn(format="YYYY-MM-DD"),
            "Lump sum": st.column_config.NumberColumn(format="EUR %,.2f"),
            "Working days": st.column_config.NumberColumn(format="%d"),
        },
    )
    rows = event.selection.rows if hasattr(event, "selection") else []
    return int(frame["id"].iloc[rows[0]]) if rows else None


def text_table(frame: pd.DataFrame, *, hide_header: bool = False) -> None:
    """A static table whose cells show exactly their text (st.table reads Markdown)."""
    st.table(
        frame.astype(str).map(escape),
        hide_index=True,
        hide_header=hide_header,
        border="horizontal",
    )


def open_link(exchange_id: int, label: str) -> None:
    """A link that opens one exchange on the Exchanges page; `label` is shown as typed."""
    st.page_link(
        EXCHANGES_PAGE,
        label=escape(label),
        icon=":material/open_in_new:",
        query_params={"exchange": str(exchange_id)},
    )


# The record on the Exchanges page: which one is open, at which version it was read.


def open_record(exchange_id: int) -> None:
    """Open one exchange on the Exchanges page (from that page)."""
    st.query_params["exchange"] = str(exchange_id)


def close_record() -> None:
    """Back to the list: forget the open record and any row picked in the table."""
    st.query_params.pop("exchange", None)
    st.session_state["list.generation"] = st.session_state.get("list.generation", 0) + 1


def opened_record() -> int | None:
    """The id of the exchange open on the Exchanges page (the `exchange` query parameter);
    0 for a value that is no id."""
    raw = st.query_params.get("exchange")
    if raw is None:
        return None
    return int(raw) if raw.isdigit() else 0


def opened_version(exchange_id: int, current: int) -> int:
    """The version of the record this person read when they opened it (or last saved or
    reloaded it): what their next write expects to find."""
    versions: dict[int, int] = st.session_state.setdefault("record.versions", {})
    return versions.setdefault(exchange_id, current)


def reload_record(exchange_id: int) -> None:
    """Callback: read the record again, dropping an edit in progress."""
    st.session_state.setdefault("record.versions", {}).pop(exchange_id, None)
    clear_form(f"edit.{exchange_id}")


def saved_record(exchange_id: int, version: int, message: str, *, section: str | None) -> None:
    """After a write: the new version is the one read, the edit form starts again from it, the
    confirmation shows after the rerun, and `section` (if any) is shown."""
    st.session_state.setdefault("record.versions", {})[exchange_id] = version
    clear_form(f"edit.{exchange_id}")
    flash(message)
    if section:
        st.session_state["record.goto"] = section


def section_picker(options: list[str], *, key: str) -> str:
    """The record's sections as a segmented control; starts on the first."""
    goto = st.session_state.pop("record.goto", None)
    if goto in options:
        st.session_state[key] = goto
    elif st.session_state.get(key) not in options:
        st.session_state[key] = options[0]
    chosen = st.segmented_control(
        "Section",
        options,
        key=key,
        required=True,
        label_visibility="collapsed",
        help="What to see or do with this exchange.",
    )
    return str(chosen or options[0])


# --- administration --------------------------------------------------------------------------
# Widgets of the administration page (pages/6_Admin.py); it reads, writes and confirms through
# `read`, `write`, `saved` and `flash` above, like every page.

from xchange.register import organisations  # noqa: E402


def admin_percent(
    label: str, fraction: float | None, *, key: str, help: str, optional: bool = False
) -> float | None:
    """A share typed in percent (50.0), returned as a fraction (0.5); empty -> None when
    `optional`."""
    typed = st.number_input(
        label,
        min_value=0.0,
        max_value=100.0,
        value=None if fraction is None else round(fraction * 100, 2),
        step=1.0,
        format="%.1f",
        key=key,
        help=help,
        placeholder="the programme's" if optional else None,
    )
    return None if typed is None else round(float(typed) / 100, 6)


def admin_rows(frame: pd.DataFrame) -> list[list[Any]]:
    """An edited table's rows as plain values: empty cells None, dates as `date`; rows left
    entirely empty (a new row never filled in) dropped."""
    rows: list[list[Any]] = []
    for values in frame.itertuples(index=False):
        row: list[Any] = []
        for value in values:
            if value is None or (not isinstance(value, str) and pd.isna(value)):
                row.append(None)
            elif isinstance(value, pd.Timestamp):
                row.append(value.date())
            elif isinstance(value, str):
                row.append(value.strip() or None)
            else:
                row.append(value.item() if hasattr(value, "item") else value)
        if any(cell is not None for cell in row):
            rows.append(row)
    return rows


@st.cache_data(show_spinner=False, max_entries=4)
def _admin_duplicates(version: int, url: str) -> list[organisations.DuplicatePair]:
    with db.read_session(engine()) as session:
        return organisations.find_duplicates(session)


def cached_duplicates() -> list[organisations.DuplicatePair]:
    """Suggested pairs of organisations logged twice, until the next write anywhere."""
    return _admin_duplicates(data_version(), get_settings().database_url)
