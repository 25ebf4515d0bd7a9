"""Figure builders: the traces carry exactly the breakdown's numbers, labelled for print.

Most cases use small hand-made tables shaped like the breakdowns' (the same columns, shares
computed by `breakdowns.add_shares`); one case feeds the builders the real breakdowns of a
database with exchanges logged through the service. The static export renders every figure
with kaleido and the system's Chromium: skipped without a browser, except under `CI=true`,
where a missing browser is a failure.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from xchange.db.engine import LOCAL_ADMIN_EMAIL, read_session, write_session
from xchange.kpi import breakdowns, targets
from xchange.kpi.sums import Definitions, Headline
from xchange.kpi.targets import Forecast, TargetPath
from xchange.models import User
from xchange.pack import charts, render
from xchange.programme.partnerships import add_partnership, find_partnership
from xchange.register.service import ExchangeIn, create_exchange

AS_OF = date(2026, 8, 14)  # in 2026Q3, which is still running
GEO_TYPES = {
    "scattergeo",
    "choropleth",
    "scattermap",
    "choroplethmap",
    "densitymap",
    "scattermapbox",
    "choroplethmapbox",
    "densitymapbox",
}


# --- tables shaped like the breakdowns' ---------------------------------------------------------


def quarter_table(rows: list[tuple[str, int, int, int]]) -> pd.DataFrame:
    """Like `breakdowns.by_quarter(...).table` from (quarter, counted, involving SME, beyond)."""
    frame = pd.DataFrame(rows, columns=["quarter", "counted", "involving_sme", "beyond_community"])
    for name in ("pipeline", "cancelled", "virtual"):
        frame[name] = 0
    for name in ("counted", "involving_sme", "beyond_community"):
        frame[f"cumulative_{name}"] = frame[name].cumsum()
    frame = breakdowns.add_shares(frame)
    total = frame["cumulative_counted"].where(frame["cumulative_counted"] > 0)
    for kind, part in (("sme", "involving_sme"), ("beyond", "beyond_community")):
        share = (frame[f"cumulative_{part}"] / total).astype(object)
        frame[f"cumulative_{kind}_share"] = share.where(share.notna(), None)
    return frame


# 2026Q2 counts nothing (its share is "no data"); its pipeline does not matter here.
QUARTERS = quarter_table([("2026Q1", 4, 2, 1), ("2026Q2", 0, 0, 0), ("2026Q3", 6, 3, 3)])
EMPTY_QUARTERS = quarter_table([])

PATH = TargetPath(
    "programme",
    pd.DataFrame(
        {
            "quarter": ["2026Q1", "2026Q2", "2026Q3", "2026Q4", "2027Q1"],
            "quarter_end": [
                date(2026, 3, 31),
                date(2026, 6, 30),
                date(2026, 9, 30),
                date(2026, 12, 31),
                date(2027, 3, 31),
            ],
            "expected": [150.5, 400.0, 650.25, 850.0, 1000.0],
        }
    ),
    1000,
)


def forecast(
    *, counted: int = 10, projection: float = 1234.4, end: date = date(2027, 3, 31)
) -> Forecast:
    figures = Headline(
        as_of=AS_OF,
        scope="programme",
        counted=counted,
        target=1000,
        involving_sme=5,
        sme_target=0.5,
        beyond_community=4,
        beyond_target=0.25,
        pipeline=3,
        cancelled=0,
        virtual=0,
    )
    return Forecast(
        scope="programme",
        as_of=AS_OF,
        action_end=end,
        counted=counted,
        target=1000,
        pace=5.0,
        quarters_left=2.5,
        confirmed_ahead=2,
        projection=projection,
        required_pace=396.0,
        expected_now=500.0,
        statuses=[],
        gaps=[],
        headline=figures,
    )


PARTNERSHIPS = pd.DataFrame(
    {
        "acronym": ["AAA", "BBB", "CCC"],
        "counted": [62, 1500, 0],
        "target": [100, 1000, 80],
        "expected_now": [50.0, 700.0, 20.0],
    }
)
FLOWS = pd.DataFrame(
    {
        "visitor_country": ["IT", "DE", "FR", "GR", "PL"],
        "host_country": ["ES", "FR", "DE", "TR", "DE"],
        "counted": [1200, 30, 20, 5, 0],  # the last has only a pipeline: not drawn
        "involving_sme": [600, 15, 10, 5, 0],
        "sme_share": [0.5, 0.5, 0.5, 1.0, None],
    }
)
ECOSYSTEMS = breakdowns.add_shares(
    pd.DataFrame(
        {
            "ecosystem": [None, "DIGI", "AGRI", "TOUR"],
            "counted": [3, 1200, 40, 0],
            "involving_sme": [1, 628, 20, 0],
            "beyond_community": [0, 300, 10, 0],
            "ecosystem_name": ["not given", "Digital", "Agri-food", "Tourism"],
        }
    )
)


def trace(fig: go.Figure, name: str) -> Any:
    """The one trace called `name` (its start, for names that carry a number)."""
    found = [t for t in fig.data if (t.name or "").startswith(name)]
    assert len(found) == 1, [t.name for t in fig.data]
    return found[0]


def texts_of(fig: go.Figure) -> list[str]:
    return [a.text for a in fig.layout.annotations]


# --- progress ------------------------------------------------------------------------------------


def test_progress_chart_draws_counted_path_forecast_and_target() -> None:
    fig = charts.progress_chart(QUARTERS, PATH, forecast(), scope="programme", as_of=AS_OF)

    counted = trace(fig, "Counted (cumulative)")
    assert counted.x == ("2026-Q1", "2026-Q2", "2026-Q3")
    assert counted.y == (4, 4, 10)  # cumulative, the empty quarter flat
    assert counted.line.dash is None  # solid
    path = trace(fig, "Target path")
    assert path.x == ("2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4", "2027-Q1")
    assert path.y == (150.5, 400.0, 650.25, 850.0, 1000.0)  # ends at the target
    assert path.line.dash == "dash"
    ahead = trace(fig, "Forecast: 1,234 by 2027-03-31")
    assert ahead.x == ("2026-Q3", "2027-Q1")  # from the last actual point to the action's end
    assert ahead.y == (10, 1234.4)
    assert ahead.line.dash == "dot"

    assert "Target: 1,000" in texts_of(fig)
    assert [s.y0 for s in fig.layout.shapes] == [1000]
    assert fig.layout.title.text == "Programme — cumulative exchanges counted, as of 2026-Q3"
    assert fig.layout.yaxis.title.text == "Exchanges (cumulative)"
    assert list(fig.layout.xaxis.categoryarray) == list(path.x)
    # Hover text reads like the reports: 1,000 and dates.
    assert counted.customdata[2][0] == "10"
    assert list(path.customdata[2]) == ["650", "2026-09-30"]


def test_progress_chart_for_a_partnership_without_forecast_after_its_action() -> None:
    path = TargetPath("GTEX", PATH.table, 100)
    ended = forecast(end=date(2026, 6, 30))  # the action ended before the as-of date

    fig = charts.progress_chart(QUARTERS, path, ended, scope="GTEX", as_of=AS_OF)

    assert [t.name for t in fig.data] == ["Target path", "Counted (cumulative)"]
    assert fig.layout.title.text.startswith("GTEX — ")
    assert "Target: 100" in texts_of(fig)

    assert [
        t.name for t in charts.progress_chart(QUARTERS, path, None, scope="GTEX", as_of=AS_OF).data
    ] == [
        "Target path",
        "Counted (cumulative)",
    ]


def test_progress_chart_states_a_path_warning() -> None:
    path = TargetPath("programme", PATH.table, 1000, ["The partnerships' targets add up to 900."])
    fig = charts.progress_chart(QUARTERS, path, None, scope="programme", as_of=AS_OF)
    lines = fig.layout.title.subtitle.text.split("<br>")
    assert lines[-1] == "The partnerships' targets add up to 900."  # a line of its own


# --- shares --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "floor", "bars", "line", "label"),
    [
        # 2 of 4, nothing counted, 3 of 6; cumulated 2 of 4, 2 of 4, 5 of 10.
        ("sme", 0.5, (50.0, None, 50.0), (50.0, 50.0, 50.0), "Floor 50 %"),
        # 1 of 4, nothing counted, 3 of 6; cumulated 1 of 4, 1 of 4, 4 of 10.
        ("beyond", 0.25, (25.0, None, 50.0), (25.0, 25.0, 40.0), "Floor 25 %"),
    ],
)
def test_share_chart_in_percent_with_gaps_and_floor(
    kind: str, floor: float, bars: tuple[float | None, ...], line: tuple[float, ...], label: str
) -> None:
    fig = charts.share_chart(QUARTERS, kind=kind, floor=floor, scope="programme", as_of=AS_OF)  # type: ignore[arg-type]

    quarter = trace(fig, "Share in the quarter")
    assert quarter.type == "bar"
    assert quarter.x == ("2026-Q1", "2026-Q2", "2026-Q3")
    assert quarter.y == pytest.approx(bars)  # the empty quarter is a gap, not 0 %
    assert quarter.y[1] is None
    cumulative = trace(fig, "Cumulative share")
    assert cumulative.y == pytest.approx(line)
    assert cumulative.connectgaps is False
    assert [s.y0 for s in fig.layout.shapes] == [floor * 100]
    assert label in texts_of(fig)
    assert "no data" in texts_of(fig)
    assert tuple(fig.layout.yaxis.range) == (0, 100)
    assert fig.layout.yaxis.ticksuffix == " %"
    assert "Programme" in fig.layout.title.text and "2026-Q3" in fig.layout.title.text
    assert quarter.text[2] == f"{bars[2]:.1f} %<br>of 6"


def test_share_chart_floor_label_and_reading() -> None:
    fig = charts.share_chart(
        QUARTERS,
        kind="beyond",
        floor=0.255,
        scope="GTEX",
        as_of=AS_OF,
        definitions=Definitions(beyond_reading="narrow"),
    )
    assert "Floor 25.5 %" in texts_of(fig)
    assert "narrow reading" in fig.layout.title.subtitle.text
    assert fig.layout.title.text.startswith("GTEX — share involving participants beyond")


def test_share_chart_rejects_an_unknown_kind() -> None:
    with pytest.raises(ValueError, match="kind"):
        charts.share_chart(QUARTERS, kind="virtual", floor=0.5, scope="programme", as_of=AS_OF)  # type: ignore[arg-type]


# --- partnerships --------------------------------------------------------------------------------


def test_partnerships_chart_sorted_progress_with_text_and_marks() -> None:
    fig = charts.partnerships_chart(PARTNERSHIPS, as_of=AS_OF)

    bars = trace(fig, "Counted")
    assert bars.orientation == "h"
    assert bars.y == ("BBB", "AAA", "CCC")  # highest progress first (drawn on top)
    assert bars.x == pytest.approx((150.0, 62.0, 0.0))
    assert bars.text == ("1,500 of 1,000", "62 of 100", "0 of 80")
    assert {"1,500 of 1,000", "62 of 100", "0 of 80"} <= set(texts_of(fig))
    assert bars.customdata[1][1] == "62.0 %"
    marks = trace(fig, "Expected by now")
    assert marks.x == pytest.approx((70.0, 50.0, 25.0))
    assert [s.x0 for s in fig.layout.shapes] == [100]
    assert "Target (100 %)" in texts_of(fig)
    assert fig.layout.xaxis.ticksuffix == " %"
    assert "2026-Q3" in fig.layout.title.text


def test_an_acronym_is_drawn_as_typed_never_as_markup() -> None:
    # plotly draws <b>, <a href=...> and entities in titles, ticks and hover labels.
    hostile = '<a href="http://example.invalid">G</a><b>&amp;</b>'
    table = PARTNERSHIPS.assign(acronym=[hostile, "BBB", "CCC"])
    fig = charts.partnerships_chart(table, as_of=AS_OF)
    shown = charts.plain(hostile)
    assert shown == '&lt;a href="http://example.invalid"&gt;G&lt;/a&gt;&lt;b&gt;&amp;amp;&lt;/b&gt;'
    assert shown in fig.data[0].y and hostile not in fig.data[0].y
    assert hostile not in json.dumps(fig.to_plotly_json(), default=str)
    progress = charts.progress_chart(QUARTERS, PATH, forecast(), scope=hostile, as_of=AS_OF)
    assert progress.layout.title.text.startswith(f"{shown} — ")


def test_partnerships_chart_without_expected_column_or_target() -> None:
    table = PARTNERSHIPS.drop(columns="expected_now").assign(target=[100, 1000, 0])
    fig = charts.partnerships_chart(table, as_of=AS_OF)
    assert [t.type for t in fig.data] == ["bar"]
    assert fig.data[0].y[-1] == "CCC" and fig.data[0].x[-1] is None
    assert fig.data[0].text[-1] == "0, no target"


# --- flows ---------------------------------------------------------------------------------------


def test_flows_chart_is_a_sankey_of_top_flows_with_the_rest_as_other() -> None:
    fig = charts.flows_chart(FLOWS, scope="programme", as_of=AS_OF, top=2)

    assert [t.type for t in fig.data] == ["sankey"]
    sankey = fig.data[0]
    labels = list(sankey.node.label)
    # Visitors on the left (Italy, Germany, Other), hosts on the right (Spain, France, Other).
    assert labels == [
        "Italy",
        "Germany",
        "Other (2 smaller pairs)",
        "Spain",
        "France",
        "Other (2 smaller pairs)",
    ]
    assert sankey.link.source == (0, 1, 2)
    assert sankey.link.target == (3, 4, 5)
    assert sankey.link.value == (1200, 30, 25)  # FR→DE 20 + GR→TR 5; PL→DE counts nothing
    assert sankey.link.customdata[0] == "Italy → Spain: 1,200 counted, SME share 50.0 %"
    assert all(x < 0.5 for x in sankey.node.x[:3]) and all(x > 0.5 for x in sankey.node.x[3:])
    assert "1,255 counted exchanges in 4 country pairs" in fig.layout.title.subtitle.text
    assert fig.layout.title.text == "Programme — flows between countries, as of 2026-Q3"


def test_flows_chart_names_every_country_when_all_fit() -> None:
    fig = charts.flows_chart(FLOWS, scope="GTEX", as_of=AS_OF)
    labels = list(fig.data[0].node.label)
    assert "Türkiye" in labels or "Turkey" in labels
    assert not any(label.startswith("Other") for label in labels)
    assert sum(fig.data[0].link.value) == 1255


# --- ecosystems ----------------------------------------------------------------------------------


def test_ecosystems_chart_counted_with_sme_share_text() -> None:
    fig = charts.ecosystems_chart(ECOSYSTEMS, scope="programme", as_of=AS_OF)

    bars = fig.data[0]
    assert bars.orientation == "h"
    assert bars.y == ("Digital", "Agri-food", "Tourism", "Not given")  # largest first, unknown last
    assert bars.x == (1200, 40, 0, 3)
    assert bars.text == (
        "1,200 (SME 52.3 %)",
        "40 (SME 50.0 %)",
        "0 (SME no data)",  # nothing counted: no share, not 0 %
        "3 (SME 33.3 %)",
    )
    assert list(bars.customdata[0]) == ["1,200", "628", "52.3 %"]
    assert "Programme" in fig.layout.title.text and "2026-Q3" in fig.layout.title.text


# --- every builder -------------------------------------------------------------------------------

Builder = Callable[[], go.Figure]

BUILDERS: dict[str, Builder] = {
    "progress": lambda: charts.progress_chart(
        QUARTERS, PATH, forecast(), scope="programme", as_of=AS_OF
    ),
    "sme": lambda: charts.share_chart(
        QUARTERS, kind="sme", floor=0.5, scope="programme", as_of=AS_OF
    ),
    "beyond": lambda: charts.share_chart(
        QUARTERS, kind="beyond", floor=0.25, scope="programme", as_of=AS_OF
    ),
    "partnerships": lambda: charts.partnerships_chart(PARTNERSHIPS, as_of=AS_OF),
    "flows": lambda: charts.flows_chart(FLOWS, scope="programme", as_of=AS_OF),
    "ecosystems": lambda: charts.ecosystems_chart(ECOSYSTEMS, scope="programme", as_of=AS_OF),
}

EMPTY_BUILDERS: dict[str, Builder] = {
    # No exchange at all: the path alone, and no forecast trace from nowhere... but the target.
    "progress": lambda: charts.progress_chart(
        EMPTY_QUARTERS, PATH, None, scope="programme", as_of=AS_OF
    ),
    # Quarters listed with zeros only (a pipeline, nothing counted): still "no data".
    "progress-zeros": lambda: charts.progress_chart(
        quarter_table([("2026Q3", 0, 0, 0)]), PATH, None, scope="programme", as_of=AS_OF
    ),
    "sme": lambda: charts.share_chart(
        EMPTY_QUARTERS, kind="sme", floor=0.5, scope="programme", as_of=AS_OF
    ),
    "beyond-zeros": lambda: charts.share_chart(
        quarter_table([("2026Q3", 0, 0, 0)]),
        kind="beyond",
        floor=0.25,
        scope="programme",
        as_of=AS_OF,
    ),
    "partnerships": lambda: charts.partnerships_chart(PARTNERSHIPS.iloc[0:0], as_of=AS_OF),
    "partnerships-zeros": lambda: charts.partnerships_chart(
        PARTNERSHIPS.assign(counted=0), as_of=AS_OF
    ),
    "flows": lambda: charts.flows_chart(FLOWS.iloc[0:0], scope="programme", as_of=AS_OF),
    "flows-zeros": lambda: charts.flows_chart(
        FLOWS.assign(counted=0), scope="programme", as_of=AS_OF
    ),
    "ecosystems": lambda: charts.ecosystems_chart(
        ECOSYSTEMS.iloc[0:0], scope="programme", as_of=AS_OF
    ),
}


@pytest.mark.parametrize("build", EMPTY_BUILDERS.values(), ids=EMPTY_BUILDERS.keys())
def test_empty_data_says_so(build: Builder) -> None:
    fig = build()
    assert charts.EMPTY_MESSAGE == "No exchanges counted yet"
    assert charts.EMPTY_MESSAGE in texts_of(fig)
    assert all(t.type != "scatter" or "Counted" not in (t.name or "") for t in fig.data)


def test_empty_progress_keeps_path_and_target() -> None:
    fig = EMPTY_BUILDERS["progress"]()
    assert [t.name for t in fig.data] == ["Target path"]
    assert "Target: 1,000" in texts_of(fig)


ALL = {**BUILDERS, **{f"empty-{k}": v for k, v in EMPTY_BUILDERS.items()}}


@pytest.mark.parametrize("build", ALL.values(), ids=ALL.keys())
def test_house_style_offline_and_no_map(build: Builder) -> None:
    fig = build()
    assert not {t.type for t in fig.data} & GEO_TYPES
    text = fig.to_json().lower()
    assert "mathjax" not in text
    assert "https://" not in text and "http://" not in text
    layout = fig.layout
    assert layout.template.layout.font.family == charts.FONT_FAMILY
    assert layout.template.layout.paper_bgcolor == "white"
    assert layout.template.layout.plot_bgcolor == "white"
    assert layout.template.layout.legend.orientation == "h"
    assert layout.height >= 420
    assert json.loads(fig.to_json())["layout"]["title"]["text"]


def test_lines_differ_without_colour() -> None:
    fig = BUILDERS["progress"]()
    styles = {
        (t.line.dash, t.marker.symbol if isinstance(t.marker.symbol, str) else "mixed")
        for t in fig.data
    }
    assert len(styles) == len(fig.data) == 3


def test_config_hides_the_logo_and_math() -> None:
    config = charts.config(filename="progress")
    assert config["displaylogo"] is False
    assert config["typesetMath"] is False
    assert config["toImageButtonOptions"]["filename"] == "progress"


def test_house_style_wraps_a_long_subtitle() -> None:
    fig = charts.house_style(go.Figure(), title="T", subtitle="word " * 60)
    lines = fig.layout.title.subtitle.text.split("<br>")
    assert len(lines) > 1 and all(len(line) <= charts.SUBTITLE_WIDTH for line in lines)
    assert fig.layout.margin.t > 100


# --- fed by the real breakdowns ------------------------------------------------------------------

MONDAY = date(2026, 3, 2)
BASE: dict[str, Any] = {
    "partnership": "GTEX",
    "status": "completed",
    "modality": "physical",
    "visitor_type": "cluster organisation",
    "visitor_country": "DE",
    "visitor_is_sme": False,
    "visitor_community": "partner",
    "host_organisation": "Host Cluster",
    "host_type": "cluster organisation",
    "host_country": "FR",
    "host_is_sme": False,
    "host_community": "partner",
}


def log_exchanges(engine: Engine) -> None:
    """Three counted stays (2026Q1, 2026Q1, 2026Q3), one in the pipeline, in partnership GTEX."""
    stays: list[tuple[date, str, dict[str, Any]]] = [
        (MONDAY, "completed", {"visitor_is_sme": True, "visitor_type": "SME", "ecosystem": "DIGI"}),
        (MONDAY + timedelta(days=7), "completed", {"host_community": "external"}),
        (date(2026, 7, 6), "completed", {"visitor_country": "IT", "host_country": "ES"}),
        (date(2026, 11, 2), "confirmed", {}),
    ]
    with write_session(engine) as session:
        actor = session.exec(select(User).where(User.email == LOCAL_ADMIN_EMAIL)).one()
        add_partnership(
            session=session,
            actor=actor,
            acronym="GTEX",
            name="EU-GreenTex",
            action_start=date(2026, 1, 1),
            action_end=date(2027, 12, 31),
        )
        for n, (monday, status, extra) in enumerate(stays, start=1):
            data = {
                **BASE,
                "reference": f"X-{n:03}",
                "visitor_organisation": f"Visitor {n:03}",
                "status": status,
                "start_date": monday,
                "end_date": monday + timedelta(days=4),
                **extra,
            }
            create_exchange(session=session, actor=actor, data=ExchangeIn(**data), today=AS_OF)


def test_builders_take_the_real_breakdowns(sqlite_engine: Engine) -> None:
    log_exchanges(sqlite_engine)
    with read_session(sqlite_engine) as session:
        quarters = breakdowns.by_quarter(session, as_of=AS_OF).table
        path = targets.target_path(session)
        ahead = targets.forecast(session, as_of=AS_OF)
        gtex = find_partnership(session, "GTEX")
        assert gtex is not None
        partnerships = breakdowns.by_partnership(session, as_of=AS_OF).table
        partnerships["expected_now"] = targets.forecast(
            session, as_of=AS_OF, partnership=gtex
        ).expected_now
        flows = breakdowns.flows(session, as_of=AS_OF).table
        ecosystems = breakdowns.by_ecosystem(session, as_of=AS_OF).table

    progress = charts.progress_chart(quarters, path, ahead, scope="programme", as_of=AS_OF)
    assert trace(progress, "Counted").x == ("2026-Q1", "2026-Q2", "2026-Q3")
    assert trace(progress, "Counted").y == (2, 2, 3)
    assert trace(progress, "Target path").y[-1] == pytest.approx(path.target)
    assert trace(progress, "Forecast").y[-1] == pytest.approx(ahead.projection)

    sme = charts.share_chart(quarters, kind="sme", floor=0.5, scope="programme", as_of=AS_OF)
    assert trace(sme, "Share in the quarter").y == pytest.approx((50.0, None, 0.0))
    assert trace(sme, "Cumulative share").y == pytest.approx((50.0, 50.0, 100 / 3))
    beyond = charts.share_chart(quarters, kind="beyond", floor=0.25, scope="programme", as_of=AS_OF)
    assert trace(beyond, "Share in the quarter").y == pytest.approx((50.0, None, 0.0))

    bars = charts.partnerships_chart(partnerships, as_of=AS_OF).data[0]
    assert bars.y == ("GTEX",) and bars.x == pytest.approx((3.0,)) and bars.text == ("3 of 100",)

    sankey = charts.flows_chart(flows, scope="programme", as_of=AS_OF).data[0]
    assert list(sankey.node.label) == ["Germany", "Italy", "France", "Spain"]
    assert sankey.link.value == (2, 1)

    eco = charts.ecosystems_chart(ecosystems, scope="programme", as_of=AS_OF).data[0]
    assert dict(zip(eco.y, eco.x, strict=True)) == {"Digital": 1, "Not given": 2}


# --- static export -------------------------------------------------------------------------------


def _browser() -> str:
    """The Chromium to export with; skipped without one, a failure under CI=true."""
    path = os.environ.get("XCHANGE_TEST_CHROMIUM") or render.find_chromium()
    if path and os.access(path, os.X_OK):
        return path
    message = "no Chrome or Chromium (set XCHANGE_TEST_CHROMIUM or install Debian's chromium)"
    if os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.mark.slow
def test_every_chart_exports_to_png_and_pdf() -> None:
    from PIL import Image

    figures = [build() for build in ALL.values()]

    with render.ChartRenderer(_browser()) as renderer:
        images = renderer.render(figures, formats=("png", "pdf"))

    assert len(images) == len(figures)
    for image in images:
        with Image.open(io.BytesIO(image["png"])) as decoded:
            assert decoded.format == "PNG"
            assert decoded.size[0] == charts.EXPORT_WIDTH * charts.EXPORT_SCALE
        assert image["pdf"].startswith(b"%PDF")


def test_export_without_a_browser_is_a_clear_error(tmp_path: Any) -> None:
    missing = str(tmp_path / "no-chromium")
    with pytest.raises(render.ExportUnavailable, match="Chromium"):
        render.ChartRenderer(missing).render([BUILDERS["progress"]()])
