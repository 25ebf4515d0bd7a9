"""A coordinator in a real browser: signs in, logs an exchange, finds and edits it, reads its
history and their to-do list, signs out. Screenshots of each page go to test-artifacts/."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest

from tests.browser.helpers import CHROMIUM_ARGS, chromium_path, screenshot, served
from xchange.db import engine as db
from xchange.demo import load as demo

pytestmark = pytest.mark.browser

TODAY = date.today()
LAST_MONDAY = TODAY - timedelta(days=TODAY.weekday() + 7)
REFERENCE = "GTEX-BROWSER-0001"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('browser-coordinator') / 'demo.db'}"
    engine = db.make_engine(url)
    db.upgrade(engine)
    summary = demo.load_demo(engine, exchanges=400, seed=7)
    engine.dispose()
    accounts = {role: (email, password) for email, role, password in summary.accounts}
    with served(url) as address:
        yield address, accounts


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    path = chromium_path()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


# Streamlit widgets, driven as a person would: every change reruns the page; wait for it.


def settle(page: Any) -> None:
    """Wait until the rerun a change started has finished drawing (no stale element left)."""
    page.wait_for_timeout(400)
    page.wait_for_function(
        "() => !document.querySelector('[data-stale=\"true\"]')"
        " && !document.querySelector('[data-testid=\"stStatusWidget\"]')",
        timeout=90_000,
    )


def choose(page: Any, scope: Any, label: str, option: str) -> None:
    box = scope.get_by_role("combobox", name=label, exact=True)
    box.click()
    box.fill(option)
    page.get_by_role("option").filter(has_text=option).first.click()
    settle(page)


def type_in(page: Any, scope: Any, label: str, text: str) -> None:
    box = scope.get_by_role("textbox", name=label, exact=True)
    box.fill(text)
    box.press("Enter" if box.evaluate("e => e.tagName") == "INPUT" else "Tab")
    settle(page)


def date_in(page: Any, scope: Any, label: str, day: date) -> None:
    group = scope.get_by_role("group", name=label, exact=True)
    group.locator('[role="spinbutton"]').first.click()
    page.keyboard.type(day.strftime("%Y%m%d"))
    page.keyboard.press("Tab")
    settle(page)


HEADINGS = {"Dashboard": "ClusterXchange progress"}  # a page's title, when not its label


def menu(page: Any, label: str) -> None:
    page.locator('[data-testid="stSidebar"]').get_by_role("link", name=label).click()
    page.get_by_role("heading", name=HEADINGS.get(label, label)).first.wait_for(timeout=90_000)
    settle(page)


def metric(page: Any, label: str) -> str:
    card = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    card.wait_for(timeout=90_000)
    return str(card.locator('[data-testid="stMetricValue"]').inner_text())


def test_a_coordinator_logs_finds_edits_and_reads_the_history(
    site: tuple[str, dict], browser: Any
) -> None:
    address, accounts = site
    page = browser.new_page(viewport={"width": 1400, "height": 1600})
    page.set_default_timeout(90_000)  # a loaded machine renders a cold app slowly
    email, password = accounts["coordinator"]
    page.goto(address, wait_until="networkidle")
    page.get_by_label("Email").fill(email)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("ClusterXchange progress").wait_for(timeout=90_000)
    before = int(metric(page, "Exchanges counted").split(" of ")[0].replace(",", ""))

    # Log a completed stay of last week: a new visitor, a host picked from the register.
    menu(page, "Log an exchange")
    main = page.locator('[data-testid="stMain"]')
    screenshot(page, "coordinator-log-exchange-empty")
    choose(page, main, "Partnership", "GTEX")
    type_in(page, main, "Reference", REFERENCE)
    choose(page, main, "Status", "Completed")
    date_in(page, main, "First day at the host", LAST_MONDAY)
    date_in(page, main, "Last day at the host", LAST_MONDAY + timedelta(days=4))
    visitor = main.locator('[data-testid="stColumn"]').filter(has_text="Visiting organisation")
    host = main.locator('[data-testid="stColumn"]').filter(has_text="Host organisation")
    type_in(page, visitor.last, "Legal name", "Baltic Browser Textiles Cluster")
    choose(page, visitor.last, "Country", "Lithuania")
    choose(page, visitor.last, "Type", "cluster organisation")
    visitor.last.get_by_role("radiogroup", name="Is it an SME?").get_by_text("No").click()
    settle(page)
    choose(page, visitor.last, "Community", "External")
    type_in(page, host.last, "Legal name", "Leather Skills")
    choose(page, host.last, "Or pick a known organisation", "Leather Skills")
    choose(page, host.last, "Community", "Partner")
    choose(page, main, "Ecosystem", "Textiles")
    assert metric(page, "Working days") == "5"
    assert metric(page, "Lump sum") == "EUR 1,100.00"
    screenshot(page, "coordinator-log-exchange-filled")
    page.get_by_role("button", name="Save exchange").click()
    page.get_by_text(f"Saved GTEX / {REFERENCE}").wait_for(timeout=90_000)
    settle(page)
    assert metric(page, "GTEX: exchanges counted").endswith(" of 100")
    screenshot(page, "coordinator-log-exchange-saved")

    # The dashboard counts it.
    menu(page, "Dashboard")
    after = int(metric(page, "Exchanges counted").split(" of ")[0].replace(",", ""))
    assert after == before + 1

    # Find it in the list and open it.
    menu(page, "Exchanges")
    screenshot(page, "coordinator-exchanges-list")
    type_in(page, main, "Search", REFERENCE)
    page.get_by_text("Exchanges 1–1 of 1.").wait_for(timeout=90_000)
    choose(page, main, "Open an exchange", REFERENCE)
    page.get_by_role("heading", name=f"GTEX / {REFERENCE}").wait_for(timeout=90_000)
    settle(page)
    screenshot(page, "coordinator-exchange-details")

    # Edit it: a note and an activity.
    main.get_by_role("radio", name="Edit").or_(
        main.get_by_role("button", name="Edit")
    ).first.click()
    settle(page)
    choose(page, main, "Activity", "Knowledge sharing")
    type_in(page, main, "Notes (optional)", "Agreed at the Vilnius meeting")
    screenshot(page, "coordinator-exchange-edit")
    page.get_by_role("button", name="Save changes").click()
    page.get_by_text("Saved: now version 2.").wait_for(timeout=90_000)
    settle(page)

    # Its history: who changed what, in plain words.
    main.get_by_role("radio", name="History").or_(
        main.get_by_role("button", name="History")
    ).first.click()
    settle(page)
    table = main.locator('[data-testid="stTable"]')
    table.wait_for(timeout=90_000)
    text = table.inner_text().replace("\u200b", "")  # ui.escape keeps emails from linking
    assert "Logged" in text and "Changed" in text
    assert "Agreed at the Vilnius meeting" in text and "knowledge sharing" in text
    assert email in text
    screenshot(page, "coordinator-exchange-history")

    # The to-do list.
    menu(page, "Needs attention")
    page.get_by_text("Completed, lump sum not paid").first.wait_for(timeout=90_000)
    page.set_viewport_size({"width": 1400, "height": 4000})  # the page scrolls inside itself
    settle(page)
    screenshot(page, "coordinator-needs-attention")
    # The new exchange is completed and unpaid: it is on the list, with a link to it.
    assert main.get_by_text(f"GTEX / {REFERENCE}").count() >= 1

    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="Sign in").wait_for(timeout=90_000)
    page.close()
