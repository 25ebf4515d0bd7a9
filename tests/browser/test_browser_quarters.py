"""A quarter's report in a real browser: the coordinator submits a closed quarter with a
comment on the Reports page, the officer finds it waiting for review and approves it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlmodel import select

from tests.browser.helpers import CHROMIUM_ARGS, chromium_path, screenshot, served
from tests.browser.test_browser_coordinator import menu, settle
from xchange.db import engine as db
from xchange.demo import load as demo
from xchange.models import QuarterReport

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, dict]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('browser-quarters') / 'demo.db'}"
    engine = db.make_engine(url)
    db.upgrade(engine)
    summary = demo.load_demo(engine, exchanges=200, seed=7)
    engine.dispose()
    accounts = {role: (email, password) for email, role, password in summary.accounts}
    with served(url) as address:
        yield address, url, accounts


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def signed_in(browser: Any, address: str, account: tuple[str, str]) -> Any:
    page = browser.new_page(viewport={"width": 1400, "height": 2400})
    page.set_default_timeout(90_000)
    page.goto(address, wait_until="networkidle")
    page.get_by_label("Email").fill(account[0])
    page.get_by_role("textbox", name="Password").fill(account[1])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("ClusterXchange progress").wait_for(timeout=90_000)
    settle(page)
    return page


def reports(url: str) -> list[tuple[str, str | None, str | None]]:
    engine = db.make_engine(url)
    try:
        with db.read_session(engine) as session:
            rows = session.exec(select(QuarterReport)).all()
            return [(r.state, r.comment, r.decided_by) for r in rows]
    finally:
        engine.dispose()


def test_a_coordinator_submits_and_an_officer_approves(
    site: tuple[str, str, dict], browser: Any
) -> None:
    address, url, accounts = site
    page = signed_in(browser, address, accounts["coordinator"])
    menu(page, "Quarterly reports")
    main = page.locator('[data-testid="stMain"]')
    main.get_by_role("heading", name="Submit a quarter").wait_for(timeout=90_000)
    comment = main.get_by_role("textbox", name="Comment for the officer", exact=True)
    comment.fill("Every closing report validated")
    settle(page)
    screenshot(page, "quarters-coordinator-submit")
    main.get_by_role("button", name="Submit the quarter").click()
    page.get_by_text("an officer reviews it next").wait_for(timeout=90_000)
    settle(page)
    assert reports(url) == [("submitted", "Every closing report validated", None)]
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="Sign in").wait_for(timeout=90_000)
    page.close()

    officer = accounts["officer"]
    page = signed_in(browser, address, officer)
    menu(page, "Quarterly reports")
    main = page.locator('[data-testid="stMain"]')
    main.get_by_role("heading", name="Waiting for review").wait_for(timeout=90_000)
    main.get_by_text("Every closing report validated").first.wait_for(timeout=90_000)
    screenshot(page, "quarters-officer-review")
    main.get_by_role("button", name="Approve").first.click()
    page.get_by_text("it is locked").wait_for(timeout=90_000)
    settle(page)
    main.get_by_text("No submitted quarter waits for review.").wait_for(timeout=90_000)
    assert reports(url) == [("approved", "Every closing report validated", officer[0])]
    table = main.locator('[data-testid="stDataFrame"]').last
    table.wait_for(timeout=90_000)
    screenshot(page, "quarters-officer-approved")
    page.close()
