"""The tracker in a real browser: headless Chromium driven by Playwright against streamlit run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.browser.helpers import CHROMIUM_ARGS, chromium_path, screenshot, served
from xchange.db import engine as db
from xchange.demo import load as demo

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, dict[str, tuple[str, str]]]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'demo.db'}"
    engine = db.make_engine(url)
    db.upgrade(engine)
    summary = demo.load_demo(engine, exchanges=600, seed=11)
    engine.dispose()
    accounts = {role: (email, password) for email, role, password in summary.accounts}
    with served(url) as address:
        yield address, accounts


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    path = chromium_path()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def sign_in(page: object, address: str, email: str, password: str) -> None:
    page.goto(address, wait_until="networkidle")  # type: ignore[attr-defined]
    page.get_by_label("Email").fill(email)  # type: ignore[attr-defined]
    page.get_by_role("textbox", name="Password").fill(password)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Sign in").click()  # type: ignore[attr-defined]
    page.get_by_text("ClusterXchange progress").wait_for(timeout=90_000)  # type: ignore[attr-defined]


def headline(page: object) -> str:
    metric = page.locator('[data-testid="stMetric"]').first  # type: ignore[attr-defined]
    metric.wait_for(timeout=90_000)
    return str(metric.locator('[data-testid="stMetricValue"]').inner_text())


def test_an_officer_signs_in_reads_filters_and_signs_out(
    site: tuple[str, dict], browser: object
) -> None:
    address, accounts = site
    page = browser.new_page(viewport={"width": 1400, "height": 3200})  # type: ignore[attr-defined]
    page.set_default_timeout(90_000)  # a loaded machine renders a cold app slowly
    email, password = accounts["officer"]
    sign_in(page, address, email, password)

    programme = headline(page)
    assert programme.endswith("of 1,000")
    page.get_by_text("need a look").first.wait_for(timeout=90_000)
    page.wait_for_timeout(1500)  # let the charts draw before the picture
    path = screenshot(page, "dashboard-officer")
    assert path.stat().st_size > 50_000

    # Filter on one partnership: the headline changes to that partnership's own target.
    picker = page.locator('[data-testid="stMultiSelect"]').first
    picker.click()
    # Typed, then taken with Enter: the list narrows to the one option, so a click cannot land
    # on another one while a loaded machine still draws the list (it did, at load 5).
    page.keyboard.type("GTEX")
    option = page.get_by_role("option", name="GTEX", exact=True)
    option.wait_for(timeout=90_000)
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    # The choice shows as a tag in the picker before the app reruns with it.
    picker.get_by_text("GTEX", exact=True).wait_for(timeout=90_000)
    for _ in range(120):  # the app reruns with the filter; wait for the new headline
        if not headline(page).endswith("of 1,000"):
            break
        page.wait_for_timeout(500)
    assert headline(page) != programme
    screenshot(page, "dashboard-officer-one-partnership")

    # The officer's menu offers no page that writes.
    sidebar = page.locator('[data-testid="stSidebar"]').inner_text()
    assert "Log an exchange" not in sidebar and "Administration" not in sidebar

    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="Sign in").wait_for(timeout=90_000)
    assert page.locator('[data-testid="stMetric"]').count() == 0
    page.close()
