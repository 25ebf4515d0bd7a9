"""The administration page in a real browser: each tab as an administrator sees it.

Headless Chromium (Debian's) drives `streamlit run` on a demo register with one organisation
logged twice; screenshots go to test-artifacts/admin-*.png for people to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.browser.helpers import CHROMIUM_ARGS, chromium_path, screenshot, served
from tests.pages.test_admin_page import log_a_duplicate
from xchange.db import engine as db
from xchange.demo import load as demo

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Site:
    """The served tracker: its address, database, accounts (role -> email, password) and the
    spelling of the organisation logged twice."""

    address: str
    url: str
    accounts: dict[str, tuple[str, str]]
    variant: str


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    url = f"sqlite:///{tmp_path_factory.mktemp('browser_admin') / 'demo.db'}"
    engine = db.make_engine(url)
    db.upgrade(engine)
    summary = demo.load_demo(engine, exchanges=600, seed=11)
    engine.dispose()
    _, _, variant = log_a_duplicate(url)
    accounts = {role: (email, password) for email, role, password in summary.accounts}
    with served(url) as address:
        yield Site(address, url, accounts, variant)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    path = chromium_path()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def open_admin(browser: object, address: str, email: str, password: str) -> object:
    page = browser.new_page(viewport={"width": 1400, "height": 2600})  # type: ignore[attr-defined]
    page.set_default_timeout(90_000)  # a loaded machine renders a cold app slowly
    page.goto(address, wait_until="networkidle")
    page.get_by_label("Email").fill(email)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("ClusterXchange progress").wait_for(timeout=90_000)
    page.get_by_role("link", name="Administration").click()
    page.get_by_role("heading", name="Administration").wait_for(timeout=90_000)
    page.get_by_role("tab", name="Partnerships").wait_for(timeout=90_000)
    return page


def show_tab(page: object, name: str, *, ready: str) -> None:
    """Open a tab and wait until `ready` (a label in it) shows and its widgets have drawn."""
    page.get_by_role("tab", name=name).click()  # type: ignore[attr-defined]
    # Visible text only: the tables keep a hidden copy of their headings for screen readers.
    page.locator(f'text="{ready}" >> visible=true').first.wait_for(timeout=90_000)  # type: ignore[attr-defined]
    # Streamlit loads some widgets' code on first use (dates, tables): grey boxes until then.
    page.wait_for_timeout(2000)  # type: ignore[attr-defined]


def test_each_admin_tab_as_an_administrator_sees_it(site: Site, browser: object) -> None:
    page = open_admin(browser, site.address, *site.accounts["admin"])

    page.get_by_text("Create a partnership").first.click()  # type: ignore[attr-defined]
    show_tab(page, "Partnerships", ready="Action start")
    assert screenshot(page, "admin-partnerships").stat().st_size > 30_000

    show_tab(page, "Users", ready="Change a user")
    assert screenshot(page, "admin-users").stat().st_size > 30_000

    show_tab(page, "Programme settings", ready="Eligible countries")
    assert screenshot(page, "admin-programme-settings").stat().st_size > 30_000

    show_tab(page, "Organisations", ready="Suggested duplicates")
    page.get_by_text(site.variant).first.wait_for(state="attached", timeout=90_000)  # type: ignore[attr-defined]
    assert screenshot(page, "admin-organisations").stat().st_size > 30_000

    # Review the suggestion up to the confirmation, which names both and what moves.
    picker = page.locator('[data-testid="stSelectbox"]').filter(has_text="Review a suggestion")  # type: ignore[attr-defined]
    picker.locator("input").click()
    page.get_by_role("option").first.click()  # type: ignore[attr-defined]
    page.get_by_role("button", name="Review this pair").click()  # type: ignore[attr-defined]
    page.get_by_role("button", name="Merge...").click(timeout=90_000)  # type: ignore[attr-defined]
    page.get_by_text("This cannot be undone here").wait_for(timeout=90_000)  # type: ignore[attr-defined]
    assert screenshot(page, "admin-organisations-merge").stat().st_size > 30_000
    page.close()  # type: ignore[attr-defined]
