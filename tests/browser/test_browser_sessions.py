"""Sign-ins that survive a reload, and addresses for records and views, in a real browser
against the app as served (`streamlit run serve.py`): the sign-in form posts to the route,
which sets the cookie; every page run checks it against the database.

One served demo register for the module. Accounts the tests end (deactivated, new password)
are their own, so the tests do not depend on each other's order."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlmodel import select

from tests import factories
from tests.browser.helpers import CHROMIUM_ARGS, chromium_path, screenshot, served
from xchange.accounts import auth, websessions
from xchange.accounts.passwords import hash_password
from xchange.db import engine as db
from xchange.demo import load as demo
from xchange.models import Exchange, Partnership, Role, User, UserPartnership

pytestmark = pytest.mark.browser

PASSWORD = "browser pass phrase 2026"
RECORD = "/Exchanges?partnership=GTEX&reference=GTEX-2025-0002"
# Made by the fixture, beside the demo accounts: a second officer, a coordinator of another
# partnership than the demo coordinator's, and two officers whose sign-ins the tests end.
EXTRA = {
    "second officer": ("second.officer@example.eu", Role.OFFICER),
    "aero coordinator": ("aero.coordinator@example.eu", Role.COORDINATOR),
    "leaving": ("leaving@example.eu", Role.OFFICER),
    "renewed": ("renewed@example.eu", Role.OFFICER),
}


@dataclass(frozen=True)
class Site:
    address: str
    url: str
    accounts: dict[str, tuple[str, str]]  # who -> (email, password)
    record_id: int  # the id of RECORD's exchange, for the old form of its address


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    url = f"sqlite:///{tmp_path_factory.mktemp('browser-sessions') / 'demo.db'}"
    engine = db.make_engine(url)
    db.upgrade(engine)
    summary = demo.load_demo(engine, exchanges=300, seed=5)
    accounts = {role: (email, password) for email, role, password in summary.accounts}
    with db.write_session(engine) as session:
        record_id = session.exec(
            select(Exchange.id).where(Exchange.reference == "GTEX-2025-0002")
        ).one()
        aero = session.exec(select(Partnership).where(Partnership.acronym == "AERO")).one()
        for who, (email, role) in EXTRA.items():
            user = factories.user(session, email, role)
            user.password_hash = hash_password(PASSWORD)
            if role == Role.COORDINATOR:
                session.add(
                    UserPartnership(
                        user_id=factories.ident(user.id), partnership_id=factories.ident(aero.id)
                    )
                )
            accounts[who] = (email, PASSWORD)
    engine.dispose()
    with served(url) as address:
        yield Site(address, url, accounts, factories.ident(record_id))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def new_page(context: Any) -> Any:
    page = context.new_page()
    page.set_default_timeout(90_000)  # a loaded machine renders a cold app slowly
    return page


def sign_in(page: Any, site: Site, who: str, path: str = "/") -> None:
    """Open `path`, meet the sign-in form there, sign in as `who`."""
    email, password = site.accounts[who]
    page.goto(site.address + path, wait_until="networkidle")
    page.get_by_label("Email").fill(email)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    signed_in(page, email)


def signed_in(page: Any, email: str) -> None:
    """Wait for the menu that names the signed-in user."""
    page.locator('[data-testid="stSidebar"]').get_by_text(email).wait_for()


def signed_out(page: Any, message: str) -> None:
    """Wait for the sign-in form, saying why."""
    page.get_by_role("button", name="Sign in").wait_for()
    page.get_by_text(message).wait_for()
    assert (
        page.locator('[data-testid="stSidebar"]').count() == 0
        or not page.locator('[data-testid="stSidebar"]')
        .get_by_role("button", name="Sign out")
        .count()
    )


def interact(page: Any) -> None:
    """The next interaction in a tab: open another page from the menu (no reload)."""
    page.locator('[data-testid="stSidebar"]').get_by_role("link", name="Quarterly reports").click()


def metric(page: Any, label: str) -> str:
    card = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    card.wait_for()
    return str(card.locator('[data-testid="stMetricValue"]').inner_text())


def change_user(site: Site, who: str, change: str) -> None:
    """What an administrator does elsewhere: deactivate `who`, or give them a new password."""
    engine = db.make_engine(site.url)
    try:
        with db.write_session(engine) as session:
            admin = session.exec(
                select(User).where(User.role == Role.ADMIN, User.password_hash.is_not(None))
            ).first()  # type: ignore[union-attr]
            target = session.exec(select(User).where(User.email == site.accounts[who][0])).one()
            common = {
                "session": session,
                "actor": admin,
                "user_id": target.id,
                "expected_version": target.version,
            }
            if change == "deactivate":
                auth.set_active(**common, active=False)
            else:
                auth.set_password(**common, password="another long pass phrase 2026")
    finally:
        engine.dispose()


def test_reload_new_tab_and_bookmark_keep_the_sign_in(site: Site, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1600})
    page = new_page(context)
    email = site.accounts["officer"][0]
    sign_in(page, site, "officer")
    page.reload(wait_until="networkidle")
    signed_in(page, email)
    tab = new_page(context)  # a new tab on another page
    tab.goto(site.address + "/Exchanges", wait_until="networkidle")
    signed_in(tab, email)
    tab.get_by_role("heading", name="Exchanges").wait_for()
    bookmark = new_page(context)  # a bookmark: an address with a query, the old form of a link
    bookmark.goto(f"{site.address}/Exchanges?exchange={site.record_id}", wait_until="networkidle")
    signed_in(bookmark, email)
    bookmark.get_by_text("GTEX / GTEX-2025-0002").wait_for()
    # Signing out in one tab ends the others at their next interaction.
    page.get_by_role("button", name="Sign out").click()
    signed_out(page, "You are signed out.")
    interact(tab)
    signed_out(tab, websessions.SIGNED_OUT)
    bookmark.reload(wait_until="networkidle")
    signed_out(bookmark, "Email")
    context.close()


@pytest.mark.parametrize(
    ("who", "change", "message"),
    [
        ("leaving", "deactivate", auth.DEACTIVATED),
        ("renewed", "password", websessions.REVOKED),
    ],
)
def test_deactivation_and_a_new_password_end_the_sign_in_in_every_tab(
    site: Site, browser: Any, who: str, change: str, message: str
) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1600})
    first, second = new_page(context), new_page(context)
    sign_in(first, site, who)
    second.goto(site.address + "/Exchanges", wait_until="networkidle")
    signed_in(second, site.accounts[who][0])
    change_user(site, who, change)
    for page in (first, second):
        interact(page)
        signed_out(page, message)
    context.close()


def test_a_record_address_opens_after_signing_in_from_it_and_only_for_its_readers(
    site: Site, browser: Any
) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1600})
    page = new_page(context)
    sign_in(page, site, "coordinator", RECORD)  # the demo coordinator writes for GTEX
    page.get_by_text("GTEX / GTEX-2025-0002").wait_for()
    assert page.url.endswith(RECORD)
    screenshot(page, "record-from-its-address")
    context.close()

    context = browser.new_context(viewport={"width": 1400, "height": 1600})
    page = new_page(context)
    sign_in(page, site, "aero coordinator", RECORD)
    page.get_by_text("may not see partnership GTEX").wait_for()
    assert page.get_by_text("GTEX / GTEX-2025-0002").count() == 0
    context.close()


def test_a_shared_dashboard_address_shows_the_same_figures_to_another_officer(
    site: Site, browser: Any
) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 2400})
    page = new_page(context)
    sign_in(page, site, "officer")
    programme = metric(page, "Exchanges counted")
    picker = page.locator('[data-testid="stMultiSelect"]').first
    picker.click()
    page.keyboard.type("AERO")
    page.get_by_role("option", name="AERO", exact=True).wait_for()
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    page.wait_for_url("**partnership=AERO**")
    for _ in range(120):  # the app reruns with the filter
        if metric(page, "Exchanges counted") != programme:
            break
        page.wait_for_timeout(500)
    figures = [metric(page, label) for label in ("Exchanges counted", "Involving an SME")]
    shared = page.url + "&partnership=NOPE"  # and a partnership this reader is not offered
    context.close()

    context = browser.new_context(viewport={"width": 1400, "height": 2400})
    other = new_page(context)
    sign_in(other, site, "second officer", shared.removeprefix(site.address))
    other.get_by_text("partnership NOPE").wait_for()  # said what was left out
    assert [metric(other, label) for label in ("Exchanges counted", "Involving an SME")] == figures
    assert "NOPE" not in other.url
    screenshot(other, "dashboard-shared-address")
    context.close()
