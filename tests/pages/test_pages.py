"""The dashboard and sign-in, driven through Streamlit's AppTest on a real demo database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from tests.pages import helpers
from tests.pages.helpers import Register, fresh_caches, open_dashboard, sign_in
from xchange.db import engine as db
from xchange.models import User


@pytest.fixture(scope="module")
def demo_register(tmp_path_factory: pytest.TempPathFactory) -> Register:
    return helpers.demo_register(tmp_path_factory.mktemp("pages") / "demo.db")


@pytest.fixture
def register(demo_register: Register, monkeypatch: pytest.MonkeyPatch) -> Iterator[Register]:
    monkeypatch.setenv("XCHANGE_DATABASE_URL", demo_register.url)
    fresh_caches()
    yield demo_register
    fresh_caches()


def signed_in(register: Register, role: str) -> AppTest:
    email, password = register.accounts[role]
    return sign_in(open_dashboard(), email, password)


def menu(at: AppTest) -> list[str]:
    return [link.proto.label for link in at.sidebar.get("page_link")]


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


# --- sign-in ---------------------------------------------------------------------------------


def test_the_dashboard_asks_for_a_sign_in_first(register: Register) -> None:
    at = open_dashboard()
    assert not at.exception
    assert [t.label for t in at.text_input] == ["Email", "Password"]
    assert not at.metric  # no figure before signing in


def test_a_wrong_password_is_refused(register: Register) -> None:
    email, _ = register.accounts["officer"]
    at = sign_in(open_dashboard(), email, "not-the-password")
    assert [e.value for e in at.error] == ["Wrong email or password."]
    assert not at.metric


def test_an_unknown_email_gets_the_same_message(register: Register) -> None:
    at = sign_in(open_dashboard(), "nobody@example.eu", "whatever-password")
    assert [e.value for e in at.error] == ["Wrong email or password."]


def test_a_deactivated_user_is_refused(register: Register) -> None:
    email, password = register.accounts["officer"]
    engine = db.make_engine(register.url)
    with engine.begin() as connection:
        connection.execute(sa.update(User).where(sa.column("email") == email).values(active=False))
    try:
        at = sign_in(open_dashboard(), email, password)
        assert [e.value for e in at.error] == ["This account is deactivated: ask an administrator."]
        assert not at.metric
    finally:
        with engine.begin() as connection:
            connection.execute(
                sa.update(User).where(sa.column("email") == email).values(active=True)
            )
        engine.dispose()


def test_a_user_deactivated_while_signed_in_is_signed_out(register: Register) -> None:
    at = signed_in(register, "officer")
    assert at.metric
    email, _ = register.accounts["officer"]
    engine = db.make_engine(register.url)
    with engine.begin() as connection:
        connection.execute(sa.update(User).where(sa.column("email") == email).values(active=False))
    try:
        at.run()
        assert not at.metric
        assert "deactivated" in " ".join(i.value for i in at.info)
    finally:
        with engine.begin() as connection:
            connection.execute(
                sa.update(User).where(sa.column("email") == email).values(active=True)
            )
        engine.dispose()


def test_sign_out_returns_to_the_sign_in_form(register: Register) -> None:
    at = signed_in(register, "admin")
    at.sidebar.button(key="sign_out").click().run()
    assert [t.label for t in at.text_input] == ["Email", "Password"]
    assert not at.metric


# --- what each role sees ---------------------------------------------------------------------


WRITING_PAGES = {"Log an exchange", "Needs attention", "Import a file", "Administration"}


def test_an_officer_sees_no_page_that_writes(register: Register) -> None:
    at = signed_in(register, "officer")
    assert menu(at) == ["Dashboard", "Exchanges", "Quarterly reports", "Export", "Account"]
    assert not WRITING_PAGES & set(menu(at))


@pytest.mark.parametrize(
    "page",
    [
        "pages/1_Log_exchange.py",
        "pages/3_Needs_attention.py",
        "pages/4_Import.py",
        "pages/6_Admin.py",
    ],
)
def test_an_officer_cannot_reach_a_writing_page_by_its_address(
    register: Register, page: str
) -> None:
    at = signed_in(register, "officer")
    at.switch_page(page).run()
    assert not at.exception
    assert any("cannot open this page" in e.value for e in at.error)


def test_a_coordinator_sees_their_pages_but_not_administration(register: Register) -> None:
    at = signed_in(register, "coordinator")
    assert menu(at) == [
        "Dashboard",
        "Log an exchange",
        "Exchanges",
        "Needs attention",
        "Import a file",
        "Quarterly reports",
        "Export",
        "Account",
    ]


def test_an_admin_sees_every_page(register: Register) -> None:
    at = signed_in(register, "admin")
    assert "Administration" in menu(at)
    assert len(menu(at)) == 9


def test_a_coordinator_lands_on_their_own_partnerships(register: Register) -> None:
    at = signed_in(register, "coordinator")
    own = at.multiselect[0].value
    assert own, "a coordinator's dashboard starts on their partnerships"
    chosen = {at.multiselect[0].format_func(pid) for pid in own}
    caption = at.caption[0].value
    assert all(acronym in caption for acronym in chosen)
    # Their target is their partnerships' own, not the programme's 1,000.
    assert not metrics(at)["Exchanges counted"].endswith("of 1,000")


# --- the dashboard's figures -----------------------------------------------------------------


def test_the_headline_matches_the_kpi_engine(register: Register) -> None:
    from xchange.kpi import sums as kpi

    at = signed_in(register, "officer")
    engine = db.make_engine(register.url)
    with db.read_session(engine) as session:
        figures = kpi.headline(session, as_of=date.today())
    engine.dispose()
    shown = metrics(at)
    assert shown["Exchanges counted"] == f"{figures.counted:,} of 1,000"
    assert shown["Involving an SME"] == f"{figures.sme_share * 100:.1f} %"  # type: ignore[operator]
    assert shown["Beyond the partnership community"] == (
        f"{figures.beyond_share * 100:.1f} %"  # type: ignore[operator]
    )
    # Each of the three cards states its status, and a reason in words follows it.
    labels = ("**On track**", "**At risk**", "**Off track**", "**No data**")
    statuses = [m.value for m in at.markdown if m.value.endswith(labels)]
    assert len(statuses) == 3
    captions = [c.value for c in at.caption]
    assert any(c.startswith(("Projected", "1,")) or "counted:" in c for c in captions)


def test_filters_change_the_figures(register: Register) -> None:
    at = signed_in(register, "officer")
    programme = metrics(at)["Exchanges counted"]
    at.multiselect[0].select(1).run()  # the partnership with id 1
    one = metrics(at)["Exchanges counted"]
    assert one != programme
    at.multiselect[0].set_value([]).run()
    at.multiselect[2].select("DIGI").run()  # one ecosystem
    narrowed = metrics(at)["Exchanges counted"]
    assert narrowed != programme
    assert any("Filters narrow the figures" in w.value for w in at.warning)


def test_the_partnership_table_lists_every_partnership_with_status(register: Register) -> None:
    at = signed_in(register, "officer")
    # The partnerships' table, among the charts' figures (each a table too).
    table = next(d.value for d in at.dataframe if "Why" in d.value.columns)
    assert len(table) == 12
    assert set(table["Status"]) <= {"On track", "At risk", "Off track", "No data"}
    assert {"Progress", "SME share", "Beyond share", "Last activity", "Why"} <= set(table.columns)


def test_the_dashboard_states_the_definitions_in_use(register: Register) -> None:
    at = signed_in(register, "officer")
    assert "broad reading" in at.caption[0].value
    assert "virtual stays are counted apart" in at.caption[0].value


def test_the_dashboard_reads_the_figures_as_recorded_then(register: Register) -> None:
    """Beside the as-of date, "as recorded then": the register as it stood that day, which the
    caption states; the demo's stays completed since are not yet counted."""
    at = signed_in(register, "officer")
    assert "as known now" in at.caption[0].value
    now = metrics(at)
    day = date.today() - timedelta(days=200)
    at.date_input(key="dash.as_of").set_value(day).run()
    known = metrics(at)
    at.radio(key="dash.reading").set_value("as recorded then").run()
    assert not at.exception
    assert f"as recorded on {day.day} {day:%b %Y}" in at.caption[0].value
    assert metrics(at) != known != now


def test_charts_are_drawn_without_map_data(register: Register) -> None:
    at = signed_in(register, "officer")
    charts = at.get("plotly_chart")
    assert len(charts) == 4
    for chart in charts:
        spec = chart.proto.spec
        assert '"type":"scattergeo"' not in spec.replace(" ", "")
        assert "choropleth" not in spec


def test_an_empty_register_says_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from xchange.accounts import auth
    from xchange.models import Role

    url = f"sqlite:///{tmp_path / 'empty.db'}"
    engine = db.make_engine(url)
    db.upgrade(engine)
    with db.write_session(engine) as session:
        session.add(
            User(
                email="officer@ec.europa.eu",
                role=Role.OFFICER.value,
                password_hash=auth.hash_password("officer-password-1"),
            )
        )
    engine.dispose()
    monkeypatch.setenv("XCHANGE_DATABASE_URL", url)
    fresh_caches()
    at = sign_in(open_dashboard(), "officer@ec.europa.eu", "officer-password-1")
    assert not at.exception
    assert [i.value for i in at.info] == ["No exchanges yet: log one or import a file."]
    fresh_caches()
