"""Accessibility in a real browser, on one served demo app: axe-core finds no serious or
critical WCAG 2.1 A/AA violation on any page for any role; chart titles fit their charts at
1,024 and 1,920 px and chart text is 11 px or more; a coordinator logs an exchange with the
keyboard alone. Screenshots go to test-artifacts/."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest

from tests.browser.axe import axe_source, serious_violations
from tests.browser.helpers import CHROMIUM_ARGS, chromium_path, screenshot, served
from xchange.db import engine as db
from xchange.demo import load as demo
from xchange.models import Role
from xchange.ui.session import pages_for

pytestmark = pytest.mark.browser

TODAY = date.today()
LAST_MONDAY = TODAY - timedelta(days=TODAY.weekday() + 7)
REFERENCE = "GTEX-KEYBOARD-0001"
HEADINGS = {"Dashboard": "ClusterXchange progress"}  # a page's title, when not its label


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('browser-a11y') / 'demo.db'}"
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


def settle(page: Any) -> None:
    """Wait until the rerun a change started has finished drawing (no stale element left)."""
    page.wait_for_timeout(400)
    page.wait_for_function(
        "() => !document.querySelector('[data-stale=\"true\"]')"
        " && !document.querySelector('[data-testid=\"stStatusWidget\"]')",
        timeout=90_000,
    )


def signed_in(
    browser: Any, address: str, account: tuple[str, str], width: int = 1400, height: int = 1600
) -> Any:
    page = browser.new_page(viewport={"width": width, "height": height})
    page.set_default_timeout(90_000)  # a loaded machine renders a cold app slowly
    page.goto(address, wait_until="networkidle")
    page.get_by_label("Email").fill(account[0])
    page.get_by_role("textbox", name="Password").fill(account[1])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("ClusterXchange progress").wait_for()
    settle(page)
    return page


def menu(page: Any, label: str) -> None:
    page.locator('[data-testid="stSidebar"]').get_by_role("link", name=label).click()
    page.get_by_role("heading", name=HEADINGS.get(label, label)).first.wait_for()
    settle(page)


def pick_breakdown(page: Any, view: str) -> None:
    picker = page.locator('[data-testid="stButtonGroup"]').filter(has_text="Organisation type")
    picker.get_by_text(view, exact=True).click()
    settle(page)
    page.locator('[data-testid="stExpander"]').filter(has_text="Figures: By").or_(
        page.locator('[data-testid="stExpander"]').filter(has_text="Figures: Lump sums")
    ).first.wait_for()
    page.wait_for_timeout(800)  # let plotly draw


# --- axe-core ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.ADMIN, Role.OFFICER, Role.COORDINATOR])
def test_axe_finds_nothing_serious_on_any_page(
    site: tuple[str, dict], browser: Any, role: Role
) -> None:
    address, accounts = site
    source = axe_source()
    found: dict[str, list[str]] = {}
    page = browser.new_page(viewport={"width": 1400, "height": 1600})
    page.goto(address, wait_until="networkidle")
    page.get_by_role("button", name="Sign in").wait_for(timeout=90_000)
    found["Sign in"] = serious_violations(page, source)
    page.close()

    page = signed_in(browser, address, accounts[role.value])
    for link in pages_for(role):
        menu(page, link.label)
        page.wait_for_timeout(800)  # charts and tables draw after the rerun ends
        found[link.label] = serious_violations(page, source)
        if link.label == "Dashboard":  # a breakdown and its figures, opened
            pick_breakdown(page, "Lump sums")
            page.get_by_text("Figures: Lump sums per partnership").click()
            settle(page)
            found["Dashboard, lump sums"] = serious_violations(page, source)
    screenshot(page, f"a11y-{role.value}-last-page")
    page.close()
    assert {name: v for name, v in found.items() if v} == {}
    assert len(found) == len(pages_for(role)) + 2


# --- chart titles and type ---------------------------------------------------------------------

MEASURE = """() => [...document.querySelectorAll('.js-plotly-plot')].map(plot => {
    const svg = plot.querySelector('svg.main-svg').getBoundingClientRect();
    const titles = [...plot.querySelectorAll('[class^="gtitle"]')].map(t => {
        const box = t.getBoundingClientRect();
        return {text: t.textContent, left: box.left - svg.left, right: box.right - svg.left};
    });
    const sizes = [...plot.querySelectorAll('svg text')]
        .filter(t => t.textContent.trim() && t.getClientRects().length)
        .map(t => parseFloat(getComputedStyle(t).fontSize));
    return {width: svg.width, titles: titles, smallest: Math.min(...sizes)};
})"""


@pytest.mark.parametrize("width", [1024, 1920])
def test_no_chart_title_is_cut_and_chart_text_is_readable(
    site: tuple[str, dict], browser: Any, width: int
) -> None:
    address, accounts = site
    # Tall enough to show every chart at once (the page scrolls inside itself).
    page = signed_in(browser, address, accounts["officer"], width=width, height=4200)
    page.locator(".js-plotly-plot .gtitle").nth(3).wait_for()
    drawn = page.evaluate(MEASURE)
    pick_breakdown(page, "Country")  # two charts side by side
    drawn += page.evaluate(MEASURE)[len(drawn) :]
    screenshot(page, f"dashboard-charts-{width}")
    page.close()
    assert len(drawn) >= 6
    for chart in drawn:
        assert chart["titles"], chart
        for title in chart["titles"]:
            assert title["left"] >= 0 and title["right"] <= chart["width"], (width, title, chart)
        assert chart["smallest"] >= 11, (width, chart)


# --- the keyboard alone ------------------------------------------------------------------------


def tab_to(page: Any, target: Any, limit: int = 200) -> None:
    """Press Tab until `target` (or an element inside it) has the focus."""
    inside = "e => e === document.activeElement || e.contains(document.activeElement)"
    for _ in range(limit):
        if target.evaluate(inside):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {target}")


def key_choose(page: Any, box: Any, option: str) -> None:
    tab_to(page, box)
    page.keyboard.type(option)
    page.get_by_role("option").filter(has_text=option).first.wait_for()
    page.keyboard.press("Enter")
    settle(page)


def key_type(page: Any, box: Any, text: str) -> None:
    tab_to(page, box)
    page.keyboard.type(text)
    page.keyboard.press("Enter")
    settle(page)


def key_date(page: Any, group: Any, day: date) -> None:
    tab_to(page, group.locator('[role="spinbutton"]').first)
    page.keyboard.type(day.strftime("%Y%m%d"))
    page.keyboard.press("Tab")
    settle(page)


def key_radio(page: Any, group: Any, option: str) -> None:
    tab_to(page, group)
    for _ in range(4):
        if group.get_by_role("radio", name=option).is_checked():
            break
        page.keyboard.press("ArrowDown")
        settle(page)
    assert group.get_by_role("radio", name=option).is_checked()


def test_a_coordinator_logs_an_exchange_with_the_keyboard_alone(
    site: tuple[str, dict], browser: Any
) -> None:
    address, accounts = site
    page = signed_in(browser, address, accounts["coordinator"])
    # To the menu and into the page by keyboard too: Tab to the link, Enter.
    tab_to(
        page, page.locator('[data-testid="stSidebar"]').get_by_role("link", name="Log an exchange")
    )
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Log an exchange").first.wait_for()
    settle(page)
    main = page.locator('[data-testid="stMain"]')
    key_choose(page, main.get_by_role("combobox", name="Partnership", exact=True), "GTEX")
    key_type(page, main.get_by_role("textbox", name="Reference", exact=True), REFERENCE)
    key_choose(page, main.get_by_role("combobox", name="Status", exact=True), "Completed")
    key_date(page, main.get_by_role("group", name="First day at the host", exact=True), LAST_MONDAY)
    key_date(
        page,
        main.get_by_role("group", name="Last day at the host", exact=True),
        LAST_MONDAY + timedelta(days=4),
    )
    columns = main.locator('[data-testid="stColumn"]')
    visitor = columns.filter(has_text="Visiting organisation").last
    host = columns.filter(has_text="Host organisation").last
    key_type(
        page,
        visitor.get_by_role("textbox", name="Legal name", exact=True),
        "Keyboard Textiles Cluster",
    )
    key_choose(page, visitor.get_by_role("combobox", name="Country", exact=True), "Lithuania")
    key_choose(
        page, visitor.get_by_role("combobox", name="Type", exact=True), "cluster organisation"
    )
    key_radio(page, visitor.get_by_role("radiogroup", name="Is it an SME?"), "No")
    key_choose(page, visitor.get_by_role("combobox", name="Community", exact=True), "External")
    key_type(page, host.get_by_role("textbox", name="Legal name", exact=True), "Leather Skills")
    key_choose(
        page,
        host.get_by_role("combobox", name="Or pick a known organisation", exact=True),
        "Leather Skills",
    )
    key_choose(page, host.get_by_role("combobox", name="Community", exact=True), "Partner")
    key_choose(page, main.get_by_role("combobox", name="Ecosystem", exact=True), "Textiles")
    screenshot(page, "keyboard-log-exchange-filled")
    tab_to(page, page.get_by_role("button", name="Save exchange"))
    page.keyboard.press("Enter")
    page.get_by_text(f"Saved GTEX / {REFERENCE}").wait_for()
    screenshot(page, "keyboard-log-exchange-saved")
    page.close()
