"""The dashboard's breakdowns and lump sums, and every chart's text alternative (AppTest on a
real demo database): the figures shown are the KPI engine's."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from tests.pages import helpers
from tests.pages.helpers import Register, fresh_caches, open_dashboard, sign_in
from xchange.db import engine as db
from xchange.kpi import breakdowns
from xchange.presentation import number


@pytest.fixture(scope="module")
def demo_register(tmp_path_factory: pytest.TempPathFactory) -> Register:
    return helpers.demo_register(tmp_path_factory.mktemp("breakdowns") / "demo.db", exchanges=300)


@pytest.fixture
def register(demo_register: Register, monkeypatch: pytest.MonkeyPatch) -> Iterator[Register]:
    monkeypatch.setenv("XCHANGE_DATABASE_URL", demo_register.url)
    fresh_caches()
    yield demo_register
    fresh_caches()


def officer(register: Register) -> AppTest:
    email, password = register.accounts["officer"]
    at = sign_in(open_dashboard(), email, password)
    assert not at.exception
    return at


def figures(at: AppTest, title: str) -> list[list[Any]]:
    """The rows of the table in the expander "Figures: <title>"."""
    expander = next(e for e in at.expander if e.label == f"Figures: {title}")
    frame = expander.dataframe[0].value
    return [list(row) for row in frame.itertuples(index=False)]


def test_every_chart_has_its_figures_and_a_description(register: Register) -> None:
    at = officer(register)
    charts = at.get("plotly_chart")
    labels = [e.label for e in at.expander if e.label.startswith("Figures: ")]
    assert len(labels) == len(charts) == 4
    for chart in charts:
        assert chart.proto.alt  # read by screen readers in place of the drawing
    assert labels[:4] == [
        "Figures: Exchanges counted, cumulative",
        "Figures: SME share",
        "Figures: Beyond-community share",
        "Figures: Counted exchanges between countries",
    ]


def pick(at: AppTest, view: str) -> AppTest:
    control = next(s for s in at.get("button_group") if "Break down by" in str(s.proto.label))
    control.set_value(view).run()  # type: ignore[attr-defined]
    assert not at.exception
    return at


def test_no_breakdown_is_counted_before_one_is_picked(register: Register) -> None:
    at = officer(register)
    assert "Pick a breakdown to draw it with its figures." in [c.value for c in at.caption]
    assert not [e for e in at.expander if e.label == "Figures: By visitor country"]


def test_the_lump_sums_are_the_engines(register: Register) -> None:
    at = pick(officer(register), "Lump sums")
    engine = db.make_engine(register.url)
    with db.read_session(engine) as session:
        programme = breakdowns.money_and_sides(session, as_of=date.today())
        table = breakdowns.money_by_partnership(session, as_of=date.today()).table
    engine.dispose()
    rows = figures(at, "Lump sums per partnership")
    assert [r[0] for r in rows] == [*table["acronym"], "Total"]
    total = rows[-1]
    assert total[4] == pytest.approx(programme["lump_sums_committed_eur"])
    assert total[5] == pytest.approx(programme["lump_sums_paid_eur"])
    assert total[3] == pytest.approx(programme["reduced_rate_share"] * 100)  # shown in percent
    assert programme["lump_sums_committed_eur"] > 0  # the demo commits lump sums
    summary = next(m.value for m in at.markdown if m.value.startswith("Committed:"))
    assert f"EUR {programme['lump_sums_committed_eur']:,.2f}" in summary


@pytest.mark.parametrize(
    ("view", "title", "side_column"),
    [
        ("Country", "By visitor country", None),
        ("Ecosystem", "By industrial ecosystem", None),
        ("Organisation type", "By organisation type", 0),
    ],
)
def test_each_breakdown_adds_up_to_the_headline(
    register: Register, view: str, title: str, side_column: int | None
) -> None:
    at = officer(register)
    counted = next(m.value for m in at.metric if m.label == "Exchanges counted").split(" of ")[0]
    pick(at, view)
    rows = figures(at, title)
    assert len(at.get("plotly_chart")) == 4 + (2 if view == "Country" else 1)
    counted_column = 2 if view != "Ecosystem" else 1
    if side_column is None:
        shown = sum(int(r[counted_column]) for r in rows)
        assert number(shown) == counted
    else:  # each side counts every exchange once
        for side in ("visitor", "host"):
            shown = sum(int(r[counted_column]) for r in rows if r[0] == side)
            assert number(shown) == counted
