"""Addresses through AppTest: the dashboard's filters and as-of date read from and written to
the query, and a record opened by partnership and reference (or refused, saying why)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from tests.pages import helpers
from tests.pages.helpers import ROOT, TIMEOUT, Register, fresh_caches, sign_in
from xchange.ui import webforms


@pytest.fixture(scope="module")
def demo_register(tmp_path_factory: pytest.TempPathFactory) -> Register:
    return helpers.demo_register(tmp_path_factory.mktemp("addresses") / "demo.db", exchanges=200)


@pytest.fixture
def register(demo_register: Register, monkeypatch: pytest.MonkeyPatch) -> Iterator[Register]:
    monkeypatch.setenv("XCHANGE_DATABASE_URL", demo_register.url)
    fresh_caches()
    yield demo_register
    fresh_caches()


def opened(register: Register, role: str, page: str, query: dict[str, list[str]]) -> AppTest:
    """`page` opened at an address with `query` by `role` (signed in on the dashboard first:
    AppTest opens other pages from there; the browser tests sign in from the address itself)."""
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=TIMEOUT)
    if page == "dashboard.py":
        at.query_params.update(query)
    email, password = register.accounts[role]
    at = sign_in(at.run(), email, password)
    if page != "dashboard.py":
        at.query_params = dict(query)
        at.switch_page(page).run()
    return at


def named(at: AppTest, key: str) -> list[str]:
    """The values the address holds for `key` ([] when none)."""
    value = at.query_params.get(key)
    return [] if value is None else [value] if isinstance(value, str) else list(value)


def test_a_shared_dashboard_address_sets_the_view_and_says_what_it_left_out(
    register: Register,
) -> None:
    at = opened(
        register,
        "officer",
        "dashboard.py",
        {"partnership": ["aero", "NOPE"], "quarter": ["2025Q3"], "as_of": ["2026-01-31"]},
    )
    assert not at.exception
    partnerships, quarters = at.multiselect[0], at.multiselect[1]
    assert [partnerships.format_func(v) for v in partnerships.value] == ["AERO"]
    assert quarters.value == ["2025Q3"]
    assert at.date_input[0].value == date(2026, 1, 31)
    assert any("partnership NOPE" in w.value for w in at.warning)
    assert "as of 2026-01-31" in at.caption[0].value
    # The address now names what is shown, and only that.
    assert named(at, "partnership") == ["AERO"] and named(at, "as_of") == ["2026-01-31"]

    at = at.date_input[0].set_value(date.today()).run()  # today: left out of the address
    assert named(at, "as_of") == []
    at = at.multiselect[0].set_value([]).run()
    assert named(at, "partnership") == []
    assert not any("partnership NOPE" in w.value for w in at.warning)  # the view changed


def test_a_record_opens_by_partnership_and_reference_for_its_readers_only(
    register: Register,
) -> None:
    at = opened(
        register,
        "coordinator",
        "pages/2_Exchanges.py",
        {"partnership": ["gtex"], "reference": ["GTEX-2025-0002"]},
    )
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.subheader[0].value.endswith("GTEX-2025-0002")
    at = opened(
        register,
        "coordinator",
        "pages/2_Exchanges.py",
        {"partnership": ["AERO"], "reference": ["AERO-2025-0001"]},
    )
    assert len(at.error) == 1 and at.error[0].value.endswith(
        "may not see partnership AERO: not one of their partnerships."
    )
    at = opened(
        register,
        "officer",
        "pages/2_Exchanges.py",
        {"partnership": ["GTEX"], "reference": ["GTEX-1999-9999"]},
    )
    assert [e.value for e in at.error] == ["GTEX has no exchange with reference 'GTEX-1999-9999'."]


@pytest.mark.parametrize(
    ("path", "address"),
    [
        ("dashboard.py", "/"),
        ("pages/2_Exchanges.py", "/Exchanges"),
        ("pages/1_Log_exchange.py", "/Log_exchange"),
    ],
)
def test_a_page_file_has_the_address_streamlit_serves_it_at(path: str, address: str) -> None:
    # The sign-in form's `next` is built from it: a wrong one would land people elsewhere.
    assert webforms.url_path(path) == address
