"""The coordinators' pages (Log an exchange, Exchanges, Needs attention) through Streamlit's
AppTest, on a demo register: each test gets its own copy, since these pages write."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
import streamlit as st
from sqlalchemy.engine import Engine
from sqlmodel import func, select
from streamlit.testing.v1 import AppTest

from tests.pages import helpers
from tests.pages.helpers import ROOT, fresh_caches, open_dashboard, sign_in
from xchange.db import engine as db
from xchange.db.engine import LOCAL_ADMIN_EMAIL
from xchange.models import AuditEvent, Exchange, Partnership, User
from xchange.register import attention, service
from xchange.register import queries as register_module
from xchange.register.service import ExchangeIn

TIMEOUT = 90
LOG, EXCHANGES, ATTENTION = (
    "pages/1_Log_exchange.py",
    "pages/2_Exchanges.py",
    "pages/3_Needs_attention.py",
)
TODAY = date.today()
# Monday to Friday of last week: a stay that has ended, five working days.
LAST_MONDAY = TODAY - timedelta(days=TODAY.weekday() + 7)
LAST_FRIDAY = LAST_MONDAY + timedelta(days=4)


class Register(helpers.Register):
    """This test's own copy of the demo register, and its accounts: role -> (email, password)."""

    def engine(self) -> Engine:
        return db.make_engine(self.url)

    def scalar(self, query: Any) -> Any:
        engine = self.engine()
        try:
            with db.read_session(engine) as session:
                return session.exec(query).one()
        finally:
            engine.dispose()

    def exchange(self, exchange_id: int) -> Exchange:
        engine = self.engine()
        try:
            with db.read_session(engine) as session:
                exchange = session.get(Exchange, exchange_id)
                assert exchange is not None
                session.expunge(exchange)
                return exchange
        finally:
            engine.dispose()

    def user(self, role: str) -> User:
        email = self.accounts[role][0]
        user: User = self.scalar(select(User).where(User.email == email))
        return user

    def first(self, acronym: str, status: str, *, ended: bool | None = None) -> int:
        """The id of the first exchange of `acronym` in `status` (ended before today, or not)."""
        query = (
            select(Exchange.id)
            .join(Partnership, sa.column("partnership_id") == Partnership.id)
            .where(Partnership.acronym == acronym, Exchange.status == status)
            .order_by(sa.literal_column("exchange.id"))
        )
        if ended is not None:
            query = query.where(Exchange.end_date < TODAY if ended else Exchange.end_date >= TODAY)
        found: int = self.scalar(query.limit(1))
        return found

    def write(self, action: Any, **kwargs: Any) -> Any:
        """A service write as another person would make it, outside the page."""
        engine = self.engine()
        try:
            with db.write_session(engine) as session:
                return action(session=session, **kwargs)
        finally:
            engine.dispose()


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> helpers.Register:
    return helpers.demo_register(tmp_path_factory.mktemp("coordinator-pages") / "demo.db")


@pytest.fixture
def register(
    demo_template: helpers.Register, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Register]:
    path = tmp_path / "demo.db"
    shutil.copyfile(demo_template.url.removeprefix("sqlite:///"), path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("XCHANGE_DATABASE_URL", url)
    fresh_caches()
    yield Register(url, demo_template.accounts)
    fresh_caches()


def signed_in(register: Register, role: str) -> AppTest:
    at = sign_in(open_dashboard(TIMEOUT), *register.accounts[role])
    assert not at.exception
    return at


def go(at: AppTest, page: str, **query: int) -> AppTest:
    at.query_params = {name: str(value) for name, value in query.items()}
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def plain(text: object) -> str:
    """Text as a person reads it: without the invisible marks and escapes of `ui.escape`."""
    return str(text).replace("\u200b", "").replace("\\", "")


def texts(elements: Any) -> str:
    return "\n".join(plain(e.value) for e in elements)


def table(at: AppTest) -> pd.DataFrame:
    """The first st.table on the page, as read."""
    return at.table[0].value.map(plain)


def counted(at: AppTest) -> str:
    return str({m.label: m.value for m in at.metric}["Exchanges counted"])


def exchanges(register: Register) -> int:
    return int(register.scalar(select(func.count()).select_from(Exchange)))


def audit_events(register: Register) -> int:
    return int(register.scalar(select(func.count()).select_from(AuditEvent)))


def fill_side(at: AppTest, side: str, **values: Any) -> None:
    """Set one side's widgets of the log form (name first: it may fill the others)."""
    at.text_input(key=f"log.{side}_organisation.name").input(values.pop("name")).run()
    for name, value in values.items():
        widget = at.radio if name == "is_sme" else at.selectbox
        widget(key=f"log.{side}_{name}").set_value(value)
    at.run()


def fill_log_form(at: AppTest, reference: str, **changes: Any) -> None:
    values: dict[str, Any] = {
        "partnership": "GTEX",
        "status": "completed",
        "start_date": LAST_MONDAY,
        "end_date": LAST_FRIDAY,
        "ecosystem": "TEXT",
        "activity": "knowledge_sharing",
        **changes,
    }
    at.text_input(key="log.reference").input(reference)
    for name, value in values.items():
        element = at.date_input if name.endswith("_date") else at.selectbox
        element(key=f"log.{name}").set_value(value)
    at.run()
    fill_side(
        at,
        "visitor",
        name="Baltic Test Textiles Cluster",
        country=changes.get("visitor_country", "LT"),
        type="cluster_organisation",
        is_sme=False,
        community="external",
    )


# --- Log an exchange -------------------------------------------------------------------------


def test_a_coordinator_logs_an_exchange_and_the_headline_changes(register: Register) -> None:
    at = signed_in(register, "coordinator")
    before = counted(at)
    go(at, LOG)
    options = at.selectbox(key="log.partnership").options  # as shown: "GTEX · its name"
    assert [option.split(" · ")[0] for option in options] == ["GTEX", "MTC"]
    fill_log_form(at, "GTEX-TEST-0001")
    # The host is picked from the register: its country, type and SME status fill in.
    at.text_input(key="log.host_organisation.name").input("Leather Skills").run()
    pick = at.selectbox(key="log.host_organisation.pick")
    pick.set_value(pick.options[0]).run()
    assert at.text_input(key="log.host_organisation.name").value.startswith("Leather Skills")
    assert at.selectbox(key="log.host_country").value == "BE"
    assert at.selectbox(key="log.host_type").value is not None
    assert at.radio(key="log.host_is_sme").value is not None
    at.selectbox(key="log.host_community").set_value("partner").run()
    # Working days and lump sum are computed as the form changes.
    assert {m.label: m.value for m in at.metric} == {
        "Working days": "5",
        "Lump sum": "EUR 1,100.00",
    }
    assert not at.error

    next(b for b in at.button if b.label == "Save exchange").click().run()
    assert not at.exception and not at.error
    new_id = int(register.scalar(select(func.max(Exchange.id))))
    assert register.exchange(new_id).reference == "GTEX-TEST-0001"
    assert "Saved GTEX / GTEX-TEST-0001" in texts(at.success)
    # The confirmation shows the partnership's new headline and links to the record.
    assert [m.label for m in at.metric][0] == "GTEX: exchanges counted"
    links = [link.proto for link in at.main.get("page_link")]
    assert any(link.query_string == f"exchange={new_id}" for link in links)
    # The form is empty again, for the next one.
    assert at.text_input(key="log.reference").value == ""

    go(at, "dashboard.py")
    after = counted(at)
    assert int(after.split(" of ")[0].replace(",", "")) == (
        int(before.split(" of ")[0].replace(",", "")) + 1
    )

    # Find it in the list, open it.
    go(at, EXCHANGES)
    at.text_input(key="list.text").input("GTEX-TEST-0001").run()
    assert list(at.dataframe[0].value["Reference"]) == ["GTEX-TEST-0001"]
    at.selectbox(key="list.open.0").set_value(new_id).run()
    assert at.query_params == {"exchange": str(new_id)}
    assert "GTEX / GTEX-TEST-0001" in texts(at.subheader)


def test_invalid_input_shows_the_fields_message_and_writes_nothing(register: Register) -> None:
    at = go(signed_in(register, "coordinator"), LOG)
    rows, events = exchanges(register), audit_events(register)
    # Nothing filled in: the empty fields are listed, not shouted at, until one tries to save.
    assert not at.error
    assert "14 required fields are still empty." in texts(at.caption)
    next(b for b in at.button if b.label == "Save exchange").click().run()
    # Each empty required field now says so beside it.
    assert texts(at.error).count("Required.") == 14
    assert "Not saved: fix the problems marked in red above. Nothing was written." in texts(
        at.error
    )

    fill_log_form(at, "GTEX-TEST-0002")
    fill_side(
        at,
        "host",
        name="Vilnius Test Host",
        country="LT",  # the visitor's country too
        type="university",
        is_sme=False,
        community="partner",
    )
    # The rule's message shows beside the host country before anything is saved.
    message = "Host country LT is the visitor's country too: an exchange crosses a border"
    assert message in texts(at.error)
    next(b for b in at.button if b.label == "Save exchange").click().run()
    assert message in texts(at.error)
    assert "Nothing was written" in texts(at.error)
    assert (exchanges(register), audit_events(register)) == (rows, events)


def test_an_end_before_the_start_is_shown_beside_the_end_date(register: Register) -> None:
    at = go(signed_in(register, "coordinator"), LOG)
    at.date_input(key="log.start_date").set_value(LAST_FRIDAY)
    at.date_input(key="log.end_date").set_value(LAST_MONDAY).run()
    assert (
        f"End date {LAST_MONDAY.isoformat()} is before start date {LAST_FRIDAY.isoformat()}"
        in texts(at.error)
    )


# --- Exchanges: permissions ------------------------------------------------------------------


def test_the_list_shows_only_the_coordinators_partnerships(register: Register) -> None:
    at = go(signed_in(register, "coordinator"), EXCHANGES)
    table = at.dataframe[0].value
    assert set(table["Partnership"]) == {"GTEX", "MTC"}
    assert at.multiselect(key="list.partnerships").options == ["GTEX", "MTC"]
    at.multiselect(key="list.statuses").set_value(["cancelled"]).run()
    assert set(at.dataframe[0].value["Status"]) == {"Cancelled"}


def test_a_coordinator_cannot_open_another_partnerships_exchange(register: Register) -> None:
    other = register.first("AERO", "completed")
    at = go(signed_in(register, "coordinator"), EXCHANGES, exchange=other)
    assert "may not see partnership AERO" in texts(at.error)
    assert not at.segmented_control
    assert [b.label for b in at.main.button] == ["Back to the list"]


def test_a_coordinator_cannot_save_for_another_partnership(
    register: Register, monkeypatch: pytest.MonkeyPatch
) -> None:
    own = register.first("GTEX", "confirmed", ended=False)
    at = go(signed_in(register, "coordinator"), EXCHANGES, exchange=own)
    at.segmented_control[0].set_value("Edit").run()
    assert [o.split(" · ")[0] for o in at.selectbox(key=f"edit.{own}.partnership").options] == [
        "GTEX",
        "MTC",
    ]
    # Were the form ever to offer another partnership, the service would still refuse, and
    # record the refusal.
    offered = register_module.form_choices

    def too_generous(session: Any, *, actor: User) -> register_module.FormChoices:
        choices = offered(session, actor=actor)
        return replace(choices, partnerships={**choices.partnerships, "AERO": "Aerospace"})

    monkeypatch.setattr(register_module, "form_choices", too_generous)
    st.cache_data.clear()
    at.run()
    at.selectbox(key=f"edit.{own}.partnership").set_value("AERO").run()
    rows, events = exchanges(register), audit_events(register)
    next(b for b in at.button if b.label == "Save changes").click().run()
    assert "Not saved: coordinator@demo.eu may not write for partnership AERO" in texts(at.error)
    stored = register.exchange(own)
    gtex = register.scalar(select(Partnership.id).where(Partnership.acronym == "GTEX"))
    assert (stored.partnership_id, stored.version) == (gtex, 1)
    refused = register.scalar(select(AuditEvent).order_by(sa.literal_column("id").desc()).limit(1))
    assert audit_events(register) == events + 1 and refused.action == "refused"

    go(at, LOG)
    fill_log_form(at, "AERO-TEST-1", partnership="AERO")
    fill_side(
        at,
        "host",
        name="Warsaw Test Host",
        country="PL",
        type="university",
        is_sme=False,
        community="partner",
    )
    next(b for b in at.button if b.label == "Save exchange").click().run()
    assert "Not saved: coordinator@demo.eu may not write for partnership AERO" in texts(at.error)
    assert exchanges(register) == rows


# --- Exchanges: writing ----------------------------------------------------------------------


def test_a_stale_edit_is_refused_and_names_what_changed(register: Register) -> None:
    xid = register.first("GTEX", "confirmed", ended=False)
    at = go(signed_in(register, "coordinator"), EXCHANGES, exchange=xid)
    at.segmented_control[0].set_value("Edit").run()
    at.text_area(key=f"edit.{xid}.notes").input("My edit").run()
    # Someone else changes the record between opening and saving.
    admin = register.user("admin")
    activity = "market_research"
    data = register.write(lambda session: service.exchange_in(session, session.get(Exchange, xid)))
    assert data.activity != activity, "pick another activity for this record"
    register.write(
        service.update_exchange,
        actor=admin,
        exchange_id=xid,
        expected_version=1,
        data=data.model_copy(update={"notes": "The admin's note", "activity": activity}),
    )
    next(b for b in at.button if b.label == "Save changes").click().run()
    error = texts(at.error)
    assert f"Exchange {xid} was changed by someone else since you opened it" in error
    assert "nothing was saved" in error and "Changed meanwhile:" in error
    assert "Notes: (empty) → The admin's note" in error
    assert "Activity:" in error and "→ market research" in error
    assert register.exchange(xid).notes == "The admin's note"  # nothing overwritten
    # Reloading starts the edit again from the current values.
    next(b for b in at.button if b.label == "Reload the exchange").click().run()
    at.segmented_control[0].set_value("Edit").run()
    assert at.text_area(key=f"edit.{xid}.notes").value == "The admin's note"


def test_edit_saves_and_the_history_shows_the_change(register: Register) -> None:
    xid = register.first("MTC", "planned")
    at = go(signed_in(register, "coordinator"), EXCHANGES, exchange=xid)
    at.segmented_control[0].set_value("Edit").run()
    at.text_area(key=f"edit.{xid}.notes").input("Agreement sent").run()
    at.selectbox(key=f"edit.{xid}.status").set_value("confirmed").run()
    next(b for b in at.button if b.label == "Save changes").click().run()
    assert not at.exception and not at.error
    assert "Saved: now version 2." in texts(at.success)
    stored = register.exchange(xid)
    assert (stored.status, stored.notes, stored.version) == ("confirmed", "Agreement sent", 2)

    at.segmented_control[0].set_value("History").run()
    trail = table(at)
    rows = {(r["What"], r["Field"]): (r["Before"], r["After"]) for _, r in trail.iterrows()}
    assert rows[("Changed", "Status")] == ("Planned", "Confirmed")
    assert rows[("Changed", "Notes")] == ("(empty)", "Agreement sent")
    # The demo's own history (its creation, by the local administrator who loaded it) comes
    # first; the changes are the coordinator's.
    who = {(r["Field"], r["Who"]) for _, r in trail.iterrows() if r["What"] == "Changed"}
    assert who == {("Status", "coordinator@demo.eu"), ("Notes", "coordinator@demo.eu")}
    assert set(trail["Who"]) == {"coordinator@demo.eu", LOCAL_ADMIN_EMAIL}


def test_cancel_needs_a_reason(register: Register) -> None:
    xid = register.first("MTC", "planned")
    at = go(signed_in(register, "coordinator"), EXCHANGES, exchange=xid)
    at.segmented_control[0].set_value("Cancel").run()
    cancel = next(b for b in at.button if b.label == "Cancel this exchange")
    cancel.click().run()
    assert "A cancelled exchange needs a cancellation reason" in texts(at.error)
    assert register.exchange(xid).status == "planned"
    at.text_area(key=f"record.{xid}.reason").input("The host withdrew").run()
    next(b for b in at.button if b.label == "Cancel this exchange").click().run()
    assert "Cancelled: it no longer counts." in texts(at.success)
    stored = register.exchange(xid)
    assert (stored.status, stored.cancellation_reason) == ("cancelled", "The host withdrew")
    facts = dict(zip(table(at).iloc[:, 0], table(at).iloc[:, 1], strict=True))
    assert facts["Status"] == "Cancelled"
    assert facts["Cancellation reason"] == "The host withdrew"


def test_complete_then_pay(register: Register) -> None:
    xid = register.first("GTEX", "confirmed", ended=True)
    at = go(signed_in(register, "coordinator"), EXCHANGES, exchange=xid)
    at.segmented_control[0].set_value("Complete and pay").run()
    at.text_input(key=f"record.{xid}.validated_by").input("GTEX office").run()
    next(b for b in at.button if b.label == "Mark completed").click().run()
    assert not at.error
    assert "Marked completed" in texts(at.success)
    stored = register.exchange(xid)
    assert (stored.status, stored.validated_on, stored.validated_by) == (
        "completed",
        TODAY,
        "GTEX office",
    )
    # The payment form follows, with the lump sum as the amount.
    amount = at.number_input(key=f"record.{xid}.paid_eur")
    assert amount.value == stored.lump_sum_cents / 100
    amount.set_value(500.0).run()
    next(b for b in at.button if b.label == "Record payment").click().run()
    assert "Payment recorded." in texts(at.success)
    stored = register.exchange(xid)
    assert (stored.paid_on, stored.paid_cents, stored.version) == (TODAY, 50_000, 3)


# --- officers --------------------------------------------------------------------------------


@pytest.mark.parametrize("page", [LOG, ATTENTION])
def test_an_officer_cannot_reach_a_writing_page(register: Register, page: str) -> None:
    at = go(signed_in(register, "officer"), page)
    assert any("cannot open this page" in e.value for e in at.error)
    assert not at.main.text_input and not at.main.button


def test_an_officer_reads_an_exchange_without_edit_buttons(register: Register) -> None:
    xid = register.first("GTEX", "confirmed", ended=True)
    at = go(signed_in(register, "officer"), EXCHANGES, exchange=xid)
    assert at.segmented_control[0].options == ["Details", "History"]
    assert [b.label for b in at.main.button] == ["Back to the list"]
    facts = table(at).iloc[:, 0].tolist()
    assert "Representative" not in facts  # personal data
    at.segmented_control[0].set_value("History").run()
    assert not at.exception and not at.main.button[1:]


# --- Needs attention -------------------------------------------------------------------------


def test_needs_attention_lists_overdue_and_unpaid_items(register: Register) -> None:
    coordinator = register.user("coordinator")
    # A planned stay whose dates have passed.
    register.write(
        service.create_exchange,
        actor=coordinator,
        data=ExchangeIn(
            partnership="MTC",
            reference="MTC-LATE-1",
            status="planned",
            start_date=LAST_MONDAY,
            end_date=LAST_FRIDAY,
            visitor_organisation="Late Visitor Cluster",
            visitor_type="cluster organisation",
            visitor_country="PL",
            visitor_is_sme=False,
            visitor_community="member",
            host_organisation="Late Host Hub",
            host_type="university",
            host_country="CZ",
            host_is_sme=False,
            host_community="external",
        ),
    )
    engine = register.engine()
    with db.read_session(engine) as session:
        expected = attention.by_kind(
            attention.needs_attention(session, actor=coordinator, today=TODAY)
        )
    engine.dispose()
    at = go(signed_in(register, "coordinator"), ATTENTION)
    headings = texts(at.subheader)
    for kind in ("dates_passed", "not_validated", "unpaid"):
        assert expected[kind], kind
        assert f"{attention.KINDS[kind]} ({len(expected[kind])})" in headings
    body = texts(at.markdown)
    assert "MTC / MTC-LATE-1" in body and "Still planned, but the stay ended on" in body
    assert "is not recorded as paid" in body
    # Each item links to its record on the Exchanges page.
    links = {link.proto.query_string for link in at.main.get("page_link")}
    late = expected["dates_passed"][0].exchange_id
    assert f"exchange={late}" in links
    assert f"exchange={expected['unpaid'][0].exchange_id}" in links
    # Opening one lands on the record.
    go(at, EXCHANGES, exchange=late)
    assert "MTC / MTC-LATE-1" in texts(at.subheader)
    assert "still planned but its dates have passed" in texts(at.warning)


# --- the house rules ---------------------------------------------------------------------------


@pytest.mark.parametrize("page", [LOG, EXCHANGES, ATTENTION])
def test_the_pages_are_thin_adapters(page: str) -> None:
    """STYLE rule 2: widgets in, xchange calls, render out; no SQL, no classes, no raw HTML."""
    import ast

    source = (ROOT / page).read_text()
    tree = ast.parse(source)
    imported = {
        (node.module or "") if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    # The package's rooms and leaves, never the storage layer (xchange.db): a page calls what a
    # room offers.
    rooms = {"xchange", "xchange.models", "xchange.reference"} | {
        f"xchange.{room}" for room in ("register", "kpi", "imports", "exports", "pack")
    }
    assert imported <= {"__future__", "datetime", "functools", "streamlit"} | rooms
    assert not [node for node in ast.walk(tree) if isinstance(node, ast.ClassDef)]
    assert "unsafe_allow_html" not in source and "session.exec" not in source


@pytest.mark.parametrize("module", ["register/queries", "register/attention"])
def test_the_package_modules_do_not_import_streamlit(module: str) -> None:
    source = (ROOT / "xchange" / f"{module}.py").read_text()
    assert "import streamlit" not in source and "from streamlit" not in source
