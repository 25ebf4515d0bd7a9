"""A hostile workbook uploaded to the served tracker: the page explains the refusal and the
server goes on answering (before, a 2 KB workbook aborted the server for everyone)."""

from __future__ import annotations

import csv
import io
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.helpers import CHROMIUM_ARGS, chromium_path, screenshot, served
from tests.imports.workbooks import sparse_workbook
from xchange.db import engine as db
from xchange.demo import load as demo

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('browser-import') / 'demo.db'}"
    engine = db.make_engine(url)
    db.upgrade(engine)
    summary = demo.load_demo(engine, exchanges=50, seed=11)
    engine.dispose()
    accounts = {role: (email, password) for email, role, password in summary.accounts}
    with served(url) as address:
        yield address, accounts


def healthy(address: str) -> bool:
    with urllib.request.urlopen(f"{address}/_stcore/health", timeout=10) as answer:  # noqa: S310
        return bool(answer.status == 200 and answer.read() == b"ok")


def test_a_sparse_workbook_is_refused_and_the_server_carries_on(site: tuple[str, dict]) -> None:
    from playwright.sync_api import sync_playwright

    address, accounts = site
    email, password = accounts["coordinator"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        page: Any = browser.new_page(viewport={"width": 1400, "height": 1600})
        page.set_default_timeout(90_000)  # a loaded machine renders a cold app slowly
        page.goto(address, wait_until="networkidle")
        page.get_by_label("Email").fill(email)
        page.get_by_role("textbox", name="Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_text("ClusterXchange progress").wait_for(timeout=90_000)
        sidebar = page.locator('[data-testid="stSidebar"]')
        sidebar.get_by_role("link", name="Import a file").click()
        page.get_by_role("heading", name="Import a file").first.wait_for(timeout=90_000)

        page.locator('input[type="file"]').set_input_files(
            files=[
                {
                    "name": "sparse.xlsx",
                    "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    "buffer": sparse_workbook("XFD1048576"),
                }
            ]
        )
        refusal = page.get_by_text("sparse.xlsx has cells up to row 1,048,576 and up to column XFD")
        refusal.wait_for(timeout=60_000)
        assert "delete the cells after the table" in refusal.inner_text()
        screenshot(page, "import-sparse-workbook-refused")

        # The server answers, this session and a new one alike.
        assert healthy(address)
        sidebar.get_by_role("link", name="Dashboard").click()
        page.get_by_text("ClusterXchange progress").wait_for(timeout=90_000)
        other = browser.new_page()
        other.set_default_timeout(90_000)  # a loaded machine renders a cold app slowly
        other.goto(address, wait_until="networkidle")
        other.get_by_role("button", name="Sign in").wait_for(timeout=90_000)
        browser.close()


def test_an_officer_downloads_a_semicolon_csv_from_the_export_page(
    site: tuple[str, dict],
) -> None:
    from playwright.sync_api import sync_playwright

    address, accounts = site
    email, password = accounts["officer"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        page: Any = browser.new_page(
            viewport={"width": 1400, "height": 1200}, accept_downloads=True
        )
        page.set_default_timeout(90_000)  # a loaded machine renders a cold app slowly
        page.goto(address, wait_until="networkidle")
        page.get_by_label("Email").fill(email)
        page.get_by_role("textbox", name="Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_text("ClusterXchange progress").wait_for(timeout=90_000)
        sidebar = page.locator('[data-testid="stSidebar"]')
        assert "Import a file" not in sidebar.inner_text()
        sidebar.get_by_role("link", name="Export").click()
        page.get_by_role("heading", name="Export").first.wait_for(timeout=90_000)
        page.get_by_text("CSV, semicolons and decimal commas", exact=False).click()
        page.get_by_role("button", name="Prepare the export").click()
        download_button = page.get_by_role("button", name="Download the exchanges (CSV)")
        download_button.wait_for(timeout=90_000)
        screenshot(page, "export-officer")
        with page.expect_download() as download:
            download_button.click()
        data = open(download.value.path(), "rb").read()  # noqa: SIM115 (read at once)
        browser.close()
    assert data.startswith(b"\xef\xbb\xbfreference;partnership;")
    records = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert len(records) == 50  # the demo's 50 exchanges: every partnership
    named = {r["representative"] for r in records} - {""}
    assert named and all(name.startswith("person-") for name in named)
