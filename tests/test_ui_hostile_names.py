"""Issue 15, done means: an organisation named in Markdown and HTML is shown literally on every
page that shows organisation names (Log an exchange, Exchanges list and record, Needs
attention, Administration), and so is a partnership acronym on the dashboard and its charts."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
import streamlit as st
from sqlmodel import col, select
from streamlit.testing.v1 import AppTest

from xchange import ui
from xchange.db import engine as db
from xchange.demo import load as demo
from xchange.models import User
from xchange.programme import partnerships
from xchange.register import organisations, service

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 60
NAME = "*bold* <b>x</b> [a](javascript:alert(1))"
ACRONYM = "*A* <b>y</b> [c](javascript:1)"  # within the 40 characters of an acronym
# Every element whose text Streamlit reads as Markdown.
MARKDOWN = ("markdown", "caption", "info", "error", "warning", "success", "subheader", "title")


@dataclass(frozen=True)
class Hostile:
    """A register where a partnership and an organisation have hostile names."""

    url: str
    coordinator: tuple[str, str]
    admin: tuple[str, str]
    exchange_id: int
    partnership_id: int
    organisation_id: int
    other_organisation_id: int


def _fresh_caches() -> None:
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    path = tmp_path_factory.mktemp("hostile") / "demo.db"
    engine = db.make_engine(f"sqlite:///{path}")
    db.upgrade(engine)
    summary = demo.load_demo(engine, exchanges=200, seed=7)
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path, {role: (email, password) for email, role, password in summary.accounts}


@pytest.fixture
def hostile(
    demo_template: tuple[Path, dict], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Hostile]:
    template, accounts = demo_template
    copy = tmp_path / "demo.db"
    shutil.copyfile(template, copy)
    url = f"sqlite:///{copy}"
    monkeypatch.setenv("XCHANGE_DATABASE_URL", url)
    _fresh_caches()
    coordinator = accounts["coordinator"]
    monday = date.today() - timedelta(days=date.today().weekday() + 35)  # overdue: still planned
    engine = db.make_engine(url)
    with db.write_session(engine) as session:
        admin = session.exec(select(User).where(col(User.email) == accounts["admin"][0])).one()
        made, _ = partnerships.add_partnership_with_coordinator(
            session=session,
            actor=admin,
            acronym=ACRONYM,
            name="Hostile names partnership",
            action_start=monday - timedelta(days=200),
            action_end=monday + timedelta(days=400),
            coordinator_email=coordinator[0],
        )
        created = service.create_exchange(
            session=session,
            actor=admin,
            data=service.ExchangeIn(
                partnership=ACRONYM,
                reference="HOSTILE-1",
                status="planned",
                start_date=monday,
                end_date=monday + timedelta(days=4),
                visitor_organisation="Nordlicht Test Cluster",
                visitor_type="cluster organisation",
                visitor_country="AT",
                visitor_is_sme=False,
                visitor_community="external",
                host_organisation=NAME,
                host_type="university",
                host_country="FR",
                host_is_sme=False,
                host_community="member",
            ),
        )
        [found] = organisations.search_organisations(session, "javascript", limit=5)
        [other] = organisations.search_organisations(session, "Nordlicht Test", limit=5)
        ids = (int(created.id or 0), int(made.id or 0), found.id, other.id)
    engine.dispose()
    yield Hostile(url, coordinator, accounts["admin"], *ids)
    _fresh_caches()


def signed_in(account: tuple[str, str]) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=TIMEOUT).run()
    at.text_input[0].input(account[0])
    at.text_input[1].input(account[1])
    at = at.button[0].click().run()
    assert not at.exception, at.exception
    return at


def shown_texts(at: AppTest) -> list[str]:
    """Every Markdown body and label on the page."""
    texts = [str(e.value) for kind in MARKDOWN for e in getattr(at, kind)]
    texts += [str(b.label) for b in at.button]
    texts += [str(m.label) for m in at.metric]
    texts += [str(link.proto.label) for link in at.get("page_link")]
    return texts


def assert_literal(at: AppTest, *, names: tuple[str, ...] = (NAME,)) -> None:
    """The page names one of `names` at least once, and always escaped: once the escaped names
    are taken out, nothing of them is left to read as Markdown."""
    assert not at.exception, at.exception
    naming = [t for t in shown_texts(at) if "javascript" in t]
    assert naming, shown_texts(at)
    for text in naming:
        rest = text
        for name in names:
            rest = rest.replace(ui.escape(name), "")
        assert "javascript" not in rest, text


def test_log_exchange_shows_the_name_literally(hostile: Hostile) -> None:
    at = signed_in(hostile.coordinator)
    at.switch_page("pages/1_Log_exchange.py").run()
    at.text_input(key="log.host_organisation.name").input(NAME).run()
    assert_literal(at)  # "In the register: ..."


def test_exchanges_list_and_record_show_the_names_literally(hostile: Hostile) -> None:
    at = signed_in(hostile.coordinator)
    at.switch_page("pages/2_Exchanges.py").run()
    assert not at.exception
    listed = [t.value for t in at.dataframe if "Host organisation" in t.value.columns]
    assert NAME in set(listed[0]["Host organisation"])  # a table cell is plain text
    at.query_params = {"exchange": str(hostile.exchange_id)}
    at.switch_page("pages/2_Exchanges.py").run()
    assert_literal(at, names=(NAME, ACRONYM))  # the title and the rules' messages
    cells = [v for t in at.table for v in t.value.astype(str).to_numpy().ravel()]
    assert any(ui.escape(NAME) in c for c in cells)  # the details (st.table reads Markdown)
    assert not any(NAME in c for c in cells)
    history = at.segmented_control[0].set_value("History").run()
    assert not history.exception


def test_needs_attention_shows_the_names_literally(hostile: Hostile) -> None:
    at = signed_in(hostile.coordinator)
    at.switch_page("pages/3_Needs_attention.py").run()
    for toggle in at.toggle:  # every item listed, not only the oldest 25 of a kind
        toggle.set_value(True)
    assert_literal(at.run(), names=(NAME, ACRONYM))


def test_the_merge_tab_shows_the_names_literally(hostile: Hostile) -> None:
    at = signed_in(hostile.admin)
    at.switch_page("pages/6_Admin.py").run()
    at.text_input(key="merge.keep_query").input(f"#{hostile.organisation_id}")
    at.text_input(key="merge.merge_query").input(f"#{hostile.other_organisation_id}")
    assert_literal(at.run(), names=(NAME, ACRONYM))  # the preview, and why not these two


def test_the_dashboard_and_its_charts_show_the_acronym_literally(hostile: Hostile) -> None:
    at = signed_in(hostile.coordinator)
    at.multiselect[0].set_value([hostile.partnership_id]).run()
    assert_literal(at, names=(ACRONYM,))  # the scope line (and any "needs a look" line)
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert charts
    for chart in charts:
        # Short titles: the scope (the acronym) is in the caption under the chart, checked
        # literal above; a title that names it must entity-encode it.
        title = chart["layout"]["title"]["text"]
        assert "<b>y</b>" not in title, title
