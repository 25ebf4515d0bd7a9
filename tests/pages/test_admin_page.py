"""The administration page, driven through Streamlit's AppTest on a copy of a demo register.

Each test gets its own copy of one demo database (made once per module), since the page writes.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from sqlmodel import col, func, select
from streamlit.testing.v1 import AppTest

from tests.pages import helpers
from tests.pages.helpers import Register, fresh_caches
from xchange import ui
from xchange.db import engine as db
from xchange.models import AuditEvent, Organisation, Partnership, Programme, User
from xchange.programme import partnerships
from xchange.register import organisations, service

PAGE = "pages/6_Admin.py"


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Register:
    return helpers.demo_register(tmp_path_factory.mktemp("admin") / "demo.db")


@pytest.fixture
def register(
    demo_template: Register, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Register]:
    """This test's own copy of the demo register (the page writes)."""
    copy = tmp_path / "demo.db"
    shutil.copyfile(demo_template.url.removeprefix("sqlite:///"), copy)
    url = f"sqlite:///{copy}"
    monkeypatch.setenv("XCHANGE_DATABASE_URL", url)
    fresh_caches()
    yield Register(url, demo_template.accounts)
    fresh_caches()


def sign_in(email: str, password: str) -> AppTest:
    return helpers.sign_in(helpers.open_dashboard(), email, password)


def admin_page(register: Register) -> AppTest:
    at = sign_in(*register.accounts["admin"])
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def click(at: AppTest, label: str) -> AppTest:
    """Click the (form submit) button with this label."""
    matches = [b for b in at.button if b.label == label]
    assert len(matches) == 1, [b.label for b in at.button]
    return matches[0].click().run()


def plain(text: object) -> str:
    """Text as a person reads it: without the invisible marks and escapes of `ui.escape`."""
    return str(text).replace("\u200b", "").replace("\\", "")


def messages(at: AppTest, kind: str) -> list[str]:
    return [plain(m.value) for m in getattr(at, kind)]


def table(at: AppTest, column: str) -> pd.DataFrame:
    """The one table (list or editor) with this column."""
    found = [t.value for t in at.dataframe if column in t.value.columns]
    assert len(found) == 1, [list(t.value.columns) for t in at.dataframe]
    return found[0]


def audit_ids(url: str) -> int:
    engine = db.make_engine(url)
    try:
        with db.read_session(engine) as session:
            return int(session.exec(select(func.max(AuditEvent.id))).one() or 0)
    finally:
        engine.dispose()


# --- who may open it -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "refusal"),
    [
        (
            "coordinator",  # coordinators write: read-only would be untrue
            "Partnership coordinators cannot open this page: it is not for your role (only for "
            "administrators).",
        ),
        (
            "officer",
            "Commission officers cannot open this page: it changes the register, and your "
            "access is read-only.",
        ),
    ],
)
def test_a_non_admin_cannot_open_the_page(register: Register, role: str, refusal: str) -> None:
    at = sign_in(*register.accounts[role])
    at.switch_page(PAGE).run()
    assert not at.exception
    assert messages(at, "error") == [refusal]
    assert not at.tabs
    assert not [t for t in at.text_input if t.key and t.key.startswith("new_partnership.")]


def test_every_tab_is_there_and_every_input_says_what_it_is_for(register: Register) -> None:
    at = admin_page(register)
    assert [t.label for t in at.tabs] == [
        "Partnerships",
        "Users",
        "Programme settings",
        "Organisations",
    ]
    inputs = [
        *at.text_input,
        *at.number_input,
        *at.date_input,
        *at.selectbox,
        *at.multiselect,
        *at.checkbox,
        *at.radio,
    ]
    assert len(inputs) > 30
    without_help = [w.label for w in inputs if not (w.help or "").strip()]
    assert without_help == []
    # The lists read like the dashboard: ISO dates, formatted money, plain headings.
    partnership_list = table(at, "Coordinators")
    assert {"Partnership", "Action start", "Target", "Full rate", "Coordinators"} <= set(
        partnership_list.columns
    )
    assert set(partnership_list["Full rate"]) == {"EUR 1,100.00"}
    assert "coordinator@demo.eu" in set(partnership_list["Coordinators"])
    users = table(at, "Email")
    assert set(users["Email"]) == {"admin@demo.eu", "officer@demo.eu", "coordinator@demo.eu"}
    assert "Partnership coordinator" in set(users["Role"])


# --- partnerships and users ------------------------------------------------------------------


def test_an_admin_sets_up_a_partnership_and_its_coordinator_who_signs_in(
    register: Register,
) -> None:
    at = admin_page(register)
    at.text_input(key="new_partnership.acronym").input("NOVA")
    at.text_input(key="new_partnership.name").input("Nova Health Partnership")
    at.date_input(key="new_partnership.start").set_value(date(2026, 1, 1))
    at.date_input(key="new_partnership.end").set_value(date(2027, 10, 31))
    at.number_input(key="new_partnership.target").set_value(90)
    at.text_input(key="new_partnership.email").input("Lena@Nova.eu")
    at.text_input(key="new_partnership.password").input("nova passphrase 2026")
    at = click(at, "Create partnership")
    assert not at.exception
    assert messages(at, "error") == []
    assert messages(at, "success") == [
        "Created partnership NOVA: 2026-01-01 to 2027-10-31, target 90 exchanges. "
        "lena@nova.eu coordinates it and can sign in now."
    ]
    listed = table(at, "Coordinators").set_index("Partnership")
    assert listed.loc["NOVA", "Coordinators"] == "lena@nova.eu"
    assert listed.loc["NOVA", "Reporting periods"] == "interim 2026-12-31, final 2027-10-31"
    # The form is empty again for the next one.
    assert at.text_input(key="new_partnership.acronym").value == ""

    # The new coordinator signs in and lands on their partnership.
    coordinator = sign_in("lena@nova.eu", "nova passphrase 2026")
    assert not coordinator.exception
    assert messages(coordinator, "error") == []
    own = coordinator.multiselect[0].value
    assert [coordinator.multiselect[0].format_func(pid) for pid in own] == ["NOVA"]
    menu = [link.proto.label for link in coordinator.sidebar.get("page_link")]
    assert "Administration" not in menu and "Log an exchange" in menu


def test_invalid_input_shows_a_clear_message_and_writes_nothing(register: Register) -> None:
    before = audit_ids(register.url)
    at = admin_page(register)
    at.text_input(key="new_partnership.acronym").input("NOVA")
    at.text_input(key="new_partnership.name").input("Nova")
    at.date_input(key="new_partnership.start").set_value(date(2027, 1, 1))
    at.date_input(key="new_partnership.end").set_value(date(2026, 1, 1))
    at.text_input(key="new_partnership.email").input("lena@nova.eu")
    at.text_input(key="new_partnership.password").input("nova passphrase 2026")
    at = click(at, "Create partnership")
    assert messages(at, "error") == [
        "Not saved: The action ends (2026-01-01) before it starts (2027-01-01)"
    ]
    assert messages(at, "success") == []
    # What was typed stays, to be corrected.
    assert at.text_input(key="new_partnership.acronym").value == "NOVA"

    # A new coordinator without a password could never sign in: refused too.
    at.date_input(key="new_partnership.end").set_value(date(2028, 1, 1))
    at.text_input(key="new_partnership.password").set_value("")
    at = click(at, "Create partnership")
    assert messages(at, "error") == [
        "Not saved: Give lena@nova.eu an initial password: without single sign-on, it is how "
        "they sign in."
    ]

    at.text_input(key="new_user.email").input("someone@x.eu")
    at.text_input(key="new_user.password").input("short")
    at = click(at, "Add user")
    assert "Not saved: A password needs at least 10 characters." in messages(at, "error")

    assert audit_ids(register.url) == before
    engine = db.make_engine(register.url)
    with db.read_session(engine) as session:
        assert partnerships.find_partnership(session, "NOVA") is None
        assert session.exec(select(User).where(User.email == "someone@x.eu")).first() is None
    engine.dispose()


def test_an_admin_changes_a_coordinators_partnerships_and_deactivates_them(
    register: Register,
) -> None:
    at = admin_page(register)
    email = register.accounts["coordinator"][0]
    chosen = next(uid for uid, address in _user_ids(register.url).items() if address == email)
    at = at.selectbox(key="edit_user.pick").set_value(chosen).run()
    form = f"user.{chosen}"
    assert at.multiselect(key=f"{form}.partnerships").value == ["GTEX", "MTC"]
    at.multiselect(key=f"{form}.partnerships").set_value(["GTEX"])
    at = click(at, "Save role and partnerships")
    assert messages(at, "success") == [f"Saved the role and partnerships of {email}."]
    assert at.multiselect(key=f"{form}.partnerships").value == ["GTEX"]

    at = at.button(key=f"{form}.deactivate").click().run()
    assert messages(at, "success") == [f"{email} is deactivated."]
    refused = sign_in(*register.accounts["coordinator"])
    assert messages(refused, "error") == ["This account is deactivated: ask an administrator."]
    at = at.button(key=f"{form}.reactivate").click().run()
    assert messages(at, "success") == [f"{email} is reactivated."]

    at.text_input(key=f"{form}.password").input("a fresh passphrase 9")
    at = click(at, "Set password")
    assert messages(at, "success")[0].startswith(f"New password set for {email}")
    assert not sign_in(email, "a fresh passphrase 9").text_input  # signed in: no form


def _user_ids(url: str) -> dict[int, str]:
    engine = db.make_engine(url)
    with db.read_session(engine) as session:
        found = {int(u.id or 0): u.email for u in session.exec(select(User)).all()}
    engine.dispose()
    return found


def test_an_admin_cannot_deactivate_themselves(register: Register) -> None:
    at = admin_page(register)
    email = register.accounts["admin"][0]
    own = next(uid for uid, address in _user_ids(register.url).items() if address == email)
    at = at.selectbox(key="edit_user.pick").set_value(own).run()
    at = at.button(key=f"user.{own}.deactivate").click().run()
    assert messages(at, "error") == [
        "Not saved: You cannot deactivate your own account: ask another administrator."
    ]


def test_a_stale_edit_says_so_and_offers_to_reload(register: Register) -> None:
    at = admin_page(register)
    pick = at.selectbox(key="edit_partnership.pick")
    pid = int(pick.value)
    form = f"partnership.{pid}"
    # Another administrator saves the same partnership meanwhile.
    engine = db.make_engine(register.url)
    with db.write_session(engine) as session:
        row = session.get(Partnership, pid)
        assert row is not None
        admin = session.exec(select(User).where(User.email == register.accounts["admin"][0])).one()
        partnerships.update_partnership(
            session=session,
            actor=admin,
            partnership_id=pid,
            expected_version=row.version,
            name=row.name,
            action_start=row.action_start,
            action_end=row.action_end,
            target_exchanges=row.target_exchanges + 7,
            full_rate_eur=row.full_rate_cents / 100,
        )
        acronym, saved_target = row.acronym, row.target_exchanges
    engine.dispose()

    at.number_input(key=f"{form}.target").set_value(55)
    at = click(at, "Save terms")
    [error] = messages(at, "error")
    assert error.startswith(f"Partnership {acronym} was changed by someone else")
    assert "nothing was saved" in error
    at = at.button(key=f"{form}.reload").click().run()
    assert at.number_input(key=f"{form}.target").value == saved_target
    # Now the save goes through, from the version just read.
    at.number_input(key=f"{form}.target").set_value(55)
    at = click(at, "Save terms")
    assert messages(at, "success") == [f"Saved the terms of {acronym}."]
    assert at.number_input(key=f"{form}.target").value == 55


def test_programme_settings_are_saved_and_shown_again(register: Register) -> None:
    at = admin_page(register)
    at.number_input(key="programme.target").set_value(1200)
    at.radio(key="programme.reading").set_value("narrow")
    at = click(at, "Save settings")
    assert messages(at, "success") == ["Saved the programme settings."]
    assert at.number_input(key="programme.target").value == 1200
    engine = db.make_engine(register.url)
    with db.read_session(engine) as session:
        row = session.get(Programme, 1)
        assert row is not None
        assert (row.target_exchanges, row.beyond_reading, row.version) == (1200, "narrow", 2)
    engine.dispose()

    # A window that ends before it starts is refused in words, and nothing changes.
    at.date_input(key="programme.window_start").set_value(date(2021, 1, 1))
    at.date_input(key="programme.window_end").set_value(date(2020, 1, 1))
    at = click(at, "Save settings")
    assert messages(at, "error") == [
        "Not saved: The window for virtual stays ends (2020-01-01) before it starts (2021-01-01)."
    ]


# --- organisations -----------------------------------------------------------------------------


def log_a_duplicate(url: str) -> tuple[int, str, str]:
    """Log a planned stay hosted by an existing organisation spelt otherwise ("NAME Ltd"):
    returns the original's id, its name and the new spelling."""
    engine = db.make_engine(url)
    with db.write_session(engine) as session:
        admin = session.exec(select(User).where(col(User.role) == "admin")).first()
        assert admin is not None
        host = session.exec(
            select(Organisation)
            .where(Organisation.type == "university")
            .order_by(col(Organisation.id))
        ).first()
        assert host is not None and host.id is not None
        latest = max(partnerships.list_partnerships(session), key=lambda p: p.action_end)
        start = date.today() + timedelta(days=14 - date.today().weekday())  # a Monday
        visitor_country = "AT" if host.country != "AT" else "BE"
        variant = f"{host.name.upper()} Ltd"
        service.create_exchange(
            session=session,
            actor=admin,
            data=service.ExchangeIn(
                partnership=latest.acronym,
                reference="ADMIN-TEST-1",
                status="planned",
                start_date=start,
                end_date=start + timedelta(days=4),
                visitor_organisation="Nordlicht Test Cluster",
                visitor_type="cluster organisation",
                visitor_country=visitor_country,
                visitor_is_sme=False,
                visitor_community="external",
                host_organisation=variant,
                host_type="university",
                host_country=host.country,
                host_is_sme=False,
                host_community="member",
            ),
        )
        found = (host.id, host.name, variant)
    engine.dispose()
    return found


def test_an_admin_merges_two_organisations(register: Register) -> None:
    original_id, original, variant = log_a_duplicate(register.url)
    at = admin_page(register)
    suggestions = table(at, "Merge into it")
    assert list(suggestions["Merge into it"].str.startswith(variant)) == [True]
    assert suggestions["Exchanges that move"].tolist() == [1]

    at = at.selectbox(key="merge.suggestion").set_value(0).run()
    at = at.button(key="merge.use_suggestion").click().run()
    assert at.selectbox(key=f"merge.keep_#{original_id}").value == original_id
    described = [m.value for m in at.markdown if "merges into" in m.value]
    assert len(described) == 1 and "1 exchange moves (0 as visitor, 1 as host)" in described[0]

    at = at.button(key="merge.start").click().run()
    [confirmation] = messages(at, "warning")
    assert confirmation == (
        f"Merge {variant} into {original}? 1 exchange moves and {variant} is deleted. "
        "This cannot be undone here."
    )
    at = at.button(key="merge.yes").click().run()
    assert not at.exception
    assert messages(at, "success")[0] == f"Merged {variant} into {original}: 1 exchange moved."
    assert any("No likely duplicates" in m for m in messages(at, "info"))

    engine = db.make_engine(register.url)
    with db.read_session(engine) as session:
        assert organisations.find_duplicates(session) == []
        assert organisations.get_summary(session, original_id).hosts >= 1
        names = session.exec(select(Organisation.name)).all()
        assert variant not in names
    engine.dispose()


def test_a_merge_that_breaks_the_one_visit_rule_is_refused_in_words(register: Register) -> None:
    engine = db.make_engine(register.url)
    with db.read_session(engine) as session:
        visitors = [
            o
            for o in organisations.search_organisations(session, "", limit=400)
            if o.active_visits == 1
        ]
    engine.dispose()
    keep, merge = visitors[0], visitors[1]
    at = admin_page(register)
    at.text_input(key="merge.keep_query").input(f"#{keep.id}")
    at.text_input(key="merge.merge_query").input(f"#{merge.id}")
    at.run()
    problems = messages(at, "error")
    assert len(problems) == 1 and problems[0].startswith("Both organisations visit physically")
    assert "an organisation visits only once" in problems[0]
    assert not [b for b in at.button if b.key == "merge.start"]  # no way to go on


# --- sessions and versions of users ------------------------------------------------------------


def _pick_user(at: AppTest, email: str, url: str) -> tuple[AppTest, str]:
    chosen = next(uid for uid, address in _user_ids(url).items() if address == email)
    return at.selectbox(key="edit_user.pick").set_value(chosen).run(), f"user.{chosen}"


def test_a_new_password_signs_the_users_other_sessions_out(register: Register) -> None:
    email, password = register.accounts["coordinator"]
    elsewhere = sign_in(email, password)
    assert not elsewhere.text_input  # signed in: no form
    at, form = _pick_user(admin_page(register), email, register.url)
    at.text_input(key=f"{form}.password").input("a fresh passphrase 9")
    at = click(at, "Set password")
    assert messages(at, "success")[0].startswith(f"New password set for {email}")

    elsewhere.run()  # their next interaction
    assert [t.label for t in elsewhere.text_input] == ["Email", "Password"]
    assert messages(elsewhere, "info") == [
        "Your password was changed or your access ended: please sign in again."
    ]
    assert not sign_in(email, "a fresh passphrase 9").text_input


def test_an_admin_changing_their_own_password_stays_signed_in_here_only(
    register: Register,
) -> None:
    email, password = register.accounts["admin"]
    other = sign_in(email, password)
    at, form = _pick_user(admin_page(register), email, register.url)
    at.text_input(key=f"{form}.password").input("my own new passphrase 1")
    at = click(at, "Set password")
    assert messages(at, "success")[0].startswith(f"New password set for {email}")
    at.run()
    assert at.tabs and not [t for t in at.text_input if t.label == "Password"]
    other.run()
    assert [t.label for t in other.text_input] == ["Email", "Password"]


def test_two_admins_editing_one_user_the_second_is_told_to_reload(register: Register) -> None:
    email = register.accounts["coordinator"][0]
    first, form = _pick_user(admin_page(register), email, register.url)
    second, _ = _pick_user(admin_page(register), email, register.url)
    first.multiselect(key=f"{form}.partnerships").set_value(["GTEX"])
    first = click(first, "Save role and partnerships")
    assert messages(first, "success") == [f"Saved the role and partnerships of {email}."]

    before = audit_ids(register.url)
    second.multiselect(key=f"{form}.partnerships").set_value(["MTC"])
    second = click(second, "Save role and partnerships")
    [error] = messages(second, "error")
    assert error.startswith(f"User {email} was changed by someone else since you opened it")
    assert "Changed meanwhile:\n- Partnerships:" in error
    assert audit_ids(register.url) == before  # nothing written
    second = second.button(key=f"{form}.reload").click().run()
    assert second.multiselect(key=f"{form}.partnerships").value == ["GTEX"]
    second.multiselect(key=f"{form}.partnerships").set_value(["MTC"])
    second = click(second, "Save role and partnerships")
    assert messages(second, "success") == [f"Saved the role and partnerships of {email}."]


# --- names shown as text -----------------------------------------------------------------------

HOSTILE = "*bold* <b>x</b> [a](javascript:alert(1)) ![i](http://example.invalid/x.png)"
SHOWN_AS_MARKDOWN = ("markdown", "caption", "info", "error", "warning", "success", "subheader")


def bodies_naming_it(at: AppTest) -> list[str]:
    """Every Markdown body and label on the page that names the hostile organisation."""
    bodies = [str(e.value) for kind in SHOWN_AS_MARKDOWN for e in getattr(at, kind)]
    bodies += [str(b.label) for b in at.button]
    bodies += [str(link.proto.label) for link in at.get("page_link")]
    return [body for body in bodies if "x.png" in body]


def assert_shown_literally(at: AppTest, *, at_least: int) -> None:
    found = bodies_naming_it(at)
    assert len(found) >= at_least, found
    for body in found:
        assert HOSTILE not in body  # never the raw Markdown
        assert ui.escape(HOSTILE) in body, body
        assert HOSTILE in plain(body)  # which reads as the name typed


def log_stay(url: str, reference: str, visitor: str, host: str, host_type: str) -> int:
    """A planned stay two weeks ahead in the newest partnership: its id."""
    engine = db.make_engine(url)
    with db.write_session(engine) as session:
        admin = session.exec(select(User).where(col(User.role) == "admin")).first()
        latest = max(partnerships.list_partnerships(session), key=lambda p: p.action_end)
        start = date.today() + timedelta(days=14 - date.today().weekday())  # a Monday
        created = service.create_exchange(
            session=session,
            actor=admin,  # type: ignore[arg-type]
            data=service.ExchangeIn(
                partnership=latest.acronym,
                reference=reference,
                status="planned",
                start_date=start,
                end_date=start + timedelta(days=4),
                visitor_organisation=visitor,
                visitor_type="cluster organisation",
                visitor_country="AT",
                visitor_is_sme=False,
                visitor_community="external",
                host_organisation=host,
                host_type=host_type,
                host_country="FR",
                host_is_sme=False,
                host_community="member",
            ),
        )
        exchange_id = int(created.id or 0)
    engine.dispose()
    return exchange_id


def test_organisation_names_show_as_text_on_the_merge_tab(register: Register) -> None:
    log_stay(register.url, "HOSTILE-1", "Nordlicht Test Cluster A", HOSTILE, "university")
    log_stay(register.url, "HOSTILE-2", "Nordlicht Test Cluster B", f"{HOSTILE} Ltd", "other")
    at = admin_page(register)
    pairs = table(at, "Merge into it")
    assert any(HOSTILE in name for name in pairs["Keep"])  # a table cell: plain text already
    at = at.selectbox(key="merge.suggestion").set_value(0).run()
    at = at.button(key="merge.use_suggestion").click().run()
    # The preview and its notes (their profiles differ).
    assert_shown_literally(at, at_least=2)
    assert any("Their profiles differ" in m for m in messages(at, "info"))

    at = at.button(key="merge.start").click().run()
    # The confirmation and the button's label.
    assert_shown_literally(at, at_least=4)
    assert any(plain(b.label).startswith(f"Yes, merge into {HOSTILE}") for b in at.button)
    at = at.button(key="merge.yes").click().run()
    assert not at.exception
    [done] = [m for m in at.success if "Merged" in m.value]
    assert_shown_literally(at, at_least=1)
    assert plain(done.value).startswith(f"Merged {HOSTILE}")


def test_organisation_names_show_as_text_in_a_refused_merge(register: Register) -> None:
    log_stay(register.url, "HOSTILE-3", f"{HOSTILE} one", "Host University One", "university")
    log_stay(register.url, "HOSTILE-4", f"{HOSTILE} two", "Host University Two", "university")
    engine = db.make_engine(register.url)
    with db.read_session(engine) as session:
        found = organisations.search_organisations(session, "x.png", limit=5)
    engine.dispose()
    at = admin_page(register)
    at.text_input(key="merge.keep_query").input(f"#{found[0].id}")
    at.text_input(key="merge.merge_query").input(f"#{found[1].id}")
    at.run()
    [problem] = messages(at, "error")
    assert problem.startswith("Both organisations visit physically")
    assert_shown_literally(at, at_least=2)  # the preview and the problem


def test_organisation_names_show_as_text_on_the_coordinators_pages(register: Register) -> None:
    xid = log_stay(register.url, "HOSTILE-5", "Nordlicht Test Cluster C", HOSTILE, "university")
    at = admin_page(register)
    at.query_params = {"exchange": str(xid)}
    at.switch_page("pages/2_Exchanges.py").run()
    assert not at.exception
    cells = [plain(v) for t in at.table for v in t.value.astype(str).to_numpy().ravel()]
    assert any(HOSTILE in cell for cell in cells)  # the record's details: shown as typed
    for t in at.table:
        for value in t.value.astype(str).to_numpy().ravel():
            assert HOSTILE not in value
    at.query_params = {}
    at.switch_page("pages/1_Log_exchange.py").run()
    at.text_input(key="log.host_organisation.name").input(HOSTILE).run()
    assert not at.exception
    assert_shown_literally(at, at_least=1)  # "In the register: ..."
