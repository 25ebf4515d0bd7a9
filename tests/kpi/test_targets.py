"""Targets as a path, the forecast at the end of the action, statuses and gap arithmetic.

The path and the threshold functions are pure and table-tested without a database. The forecast
runs on a small register logged through the service (built once for the module on SQLite and
copied for each test; once more on PostgreSQL for the check that both give the same forecast):

- LONG (2026-01-01 to 2027-12-31, target 100): counted stays ending 1 in 2026Q1, 2 in Q2, 4 in
  Q3, 2 in Q4 before 25 November (3 of the 9 involve an SME); confirmed stays ending in
  December 2026, in March 2027 and, after the action, in January 2028; one planned for May 2027.
- SHORT (2025-07-01 to 2026-12-31, target 20): counted stays ending in 2026Q2 and 2026Q3; two
  confirmed stays ending in December 2026.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from tests import factories
from tests.factories import engine_on_copy, set_programme, stay
from xchange.db.engine import read_session, write_session
from xchange.kpi import targets
from xchange.kpi.sums import Filters
from xchange.kpi.targets import AT_RISK, NO_DATA, OFF_TRACK, ON_TRACK
from xchange.models import Partnership, PathMilestone
from xchange.programme.partnerships import find_partnership
from xchange.register import service
from xchange.register.service import ExchangeIn

TODAY = date(2026, 11, 25)
START, END = date(2026, 1, 1), date(2027, 1, 1)  # 365 days


# --- the path ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "milestones", "expected"),
    [
        # Before the start nothing is expected, on it neither...
        pytest.param(date(2025, 12, 1), (), 0.0, id="before-start"),
        pytest.param(START, (), 0.0, id="on-start"),
        # ...then linearly to the target on the end day, and the target after it.
        pytest.param(date(2026, 7, 2), (), 100 * 182 / 365, id="linear-midway"),
        pytest.param(date(2026, 12, 31), (), 100 * 364 / 365, id="day-before-end"),
        pytest.param(END, (), 100.0, id="on-end"),
        pytest.param(date(2027, 6, 1), (), 100.0, id="after-end"),
        # A milestone bends the line: 20 by 1 July (181 days in), then on to 100 at the end.
        pytest.param(date(2026, 7, 1), ((date(2026, 7, 1), 20),), 20.0, id="on-a-milestone"),
        pytest.param(
            date(2026, 4, 1), ((date(2026, 7, 1), 20),), 20 * 90 / 181, id="before-a-milestone"
        ),
        pytest.param(
            date(2026, 10, 1), ((date(2026, 7, 1), 20),), 20 + 80 * 92 / 184, id="after-milestone"
        ),
        # Milestones are taken in date order, whatever order they come in.
        pytest.param(
            date(2026, 5, 1),
            ((date(2026, 7, 1), 50), (date(2026, 4, 1), 40)),
            40 + 10 * 30 / 91,
            id="unsorted-milestones",
        ),
        # Milestones outside the action are ignored: the line stays straight.
        pytest.param(
            date(2026, 7, 2),
            ((date(2025, 6, 1), 50), (date(2027, 6, 1), 10), (START, 30), (END, 5)),
            100 * 182 / 365,
            id="milestones-outside-ignored",
        ),
    ],
)
def test_expected_at(day: date, milestones: tuple[tuple[date, int], ...], expected: float) -> None:
    assert targets.expected_at(day, START, END, 100, milestones) == pytest.approx(expected)


def partnership(start: date, end: date, target: int) -> Partnership:
    return Partnership(
        acronym="P", name="P", action_start=start, action_end=end, target_exchanges=target
    )


def path_rows(table: Any) -> list[tuple[str, date, float]]:
    return [(q, d, pytest.approx(e)) for q, d, e in table.itertuples(index=False)]


def test_partnership_path_linear() -> None:
    path = targets.partnership_path(partnership(date(2026, 1, 1), date(2026, 12, 31), 100), [])
    assert list(path.columns) == ["quarter", "quarter_end", "expected"]
    assert path_rows(path) == [
        ("2026Q1", date(2026, 3, 31), 100 * 89 / 364),
        ("2026Q2", date(2026, 6, 30), 100 * 180 / 364),
        ("2026Q3", date(2026, 9, 30), 100 * 272 / 364),
        ("2026Q4", date(2026, 12, 31), 100.0),
    ]


def test_partnership_path_mid_quarter_action_with_a_milestone() -> None:
    """An action from mid-February to mid-August: its first and last quarters are partial, the
    last one ends on the action's end day; a milestone of 10 by 30 April."""
    p = partnership(date(2026, 2, 15), date(2026, 8, 14), 40)
    path = targets.partnership_path(p, [(date(2026, 4, 30), 10)])
    assert path_rows(path) == [
        ("2026Q1", date(2026, 3, 31), 10 * 44 / 74),
        ("2026Q2", date(2026, 6, 30), 10 + 30 * 61 / 106),
        ("2026Q3", date(2026, 8, 14), 40.0),  # the action's end, not the quarter's
    ]


# --- the programme's path ----------------------------------------------------------------------


@pytest.fixture
def two_actions(sqlite_engine: Engine) -> Engine:
    """EARLY: 2026 (target 100); LATE: July 2026 to June 2027 (target 300). No exchanges."""
    with write_session(sqlite_engine) as session:
        factories.partnership(session, "EARLY", date(2026, 1, 1), date(2026, 12, 31), 100)
        factories.partnership(session, "LATE", date(2026, 7, 1), date(2027, 6, 30), 300)
    return sqlite_engine


def early(day: date) -> float:
    return targets.expected_at(day, date(2026, 1, 1), date(2026, 12, 31), 100)


def late(day: date) -> float:
    return targets.expected_at(day, date(2026, 7, 1), date(2027, 6, 30), 300)


QUARTER_ENDS = [
    ("2026Q1", date(2026, 3, 31)),
    ("2026Q2", date(2026, 6, 30)),
    ("2026Q3", date(2026, 9, 30)),
    ("2026Q4", date(2026, 12, 31)),
    ("2027Q1", date(2027, 3, 31)),
    ("2027Q2", date(2027, 6, 30)),
]


def test_programme_path_scaled_with_a_warning(two_actions: Engine) -> None:
    with read_session(two_actions) as session:
        path = targets.target_path(session)
    assert (path.scope, path.target) == ("programme", 1000)
    assert path.warnings == [
        "The partnerships' targets add up to 400, not the programme's 1,000: the programme "
        "path is their paths scaled to end at 1,000."
    ]
    # Each quarter: EARLY's path (its whole target once its action is over) plus LATE's (nothing
    # before its start), scaled by 1000 / 400.
    assert path_rows(path.table) == [(q, d, 2.5 * (early(d) + late(d))) for q, d in QUARTER_ENDS]
    assert path.table["expected"].iloc[-1] == pytest.approx(1000)


def test_programme_path_without_a_warning_when_targets_add_up(two_actions: Engine) -> None:
    set_programme(two_actions, target_exchanges=400)
    with read_session(two_actions) as session:
        path = targets.target_path(session)
    assert (path.target, path.warnings) == (400, [])
    assert path_rows(path.table) == [(q, d, early(d) + late(d)) for q, d in QUARTER_ENDS]


def test_path_of_one_and_of_several_partnerships(two_actions: Engine) -> None:
    with read_session(two_actions) as session:
        ids = {p.acronym: p.id for p in session.exec(select(Partnership)).all()}
        one = targets.target_path(session, partnership_ids=(ids["LATE"],))
        both = targets.target_path(session, partnership_ids=(ids["EARLY"], ids["LATE"]))
    assert (one.scope, one.target, one.warnings) == ("LATE", 300, [])
    assert path_rows(one.table) == [(q, d, late(d)) for q, d in QUARTER_ENDS[2:]]
    # Several partnerships: their own targets add up, never scaled, never a warning.
    assert (both.scope, both.target, both.warnings) == ("EARLY, LATE", 400, [])
    assert path_rows(both.table) == [(q, d, early(d) + late(d)) for q, d in QUARTER_ENDS]


def test_path_with_milestones(two_actions: Engine) -> None:
    with write_session(two_actions) as session:
        found = find_partnership(session, "EARLY")
        assert found is not None and found.id is not None
        session.add(PathMilestone(partnership_id=found.id, due_on=date(2026, 6, 30), cumulative=80))
        early_id = found.id
    with read_session(two_actions) as session:
        path = targets.target_path(session, partnership_ids=(early_id,))
    assert path_rows(path.table) == [
        ("2026Q1", date(2026, 3, 31), 80 * 89 / 180),
        ("2026Q2", date(2026, 6, 30), 80.0),
        ("2026Q3", date(2026, 9, 30), 80 + 20 * 92 / 184),
        ("2026Q4", date(2026, 12, 31), 100.0),
    ]


def test_programme_path_without_partnerships(sqlite_engine: Engine) -> None:
    with read_session(sqlite_engine) as session:
        path = targets.target_path(session)
    assert (path.scope, path.target, path.warnings, len(path.table)) == ("programme", 1000, [], 0)


# --- statuses and gaps (pure) ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "floor", "expected"),
    [
        pytest.param(0.6, 0.5, ON_TRACK, id="above-the-floor"),
        # At the floor is on track (a target is met at or above it).
        pytest.param(0.5, 0.5, ON_TRACK, id="exactly-at-the-floor"),
        pytest.param(29 / 100, 0.29, ON_TRACK, id="exactly-at-an-odd-floor"),
        pytest.param(0.4999, 0.5, AT_RISK, id="just-below-the-floor"),
        # Exactly 5 points below is still at risk...
        pytest.param(45 / 100, 0.5, AT_RISK, id="exactly-5-points-below"),
        pytest.param(20 / 100, 0.25, AT_RISK, id="exactly-5-points-below-25"),
        # ...also where floating point makes 0.4 - 0.05 a hair more than 0.35.
        pytest.param(35 / 100, 0.4, AT_RISK, id="exactly-5-points-below-40"),
        pytest.param(7 / 20, 0.4, AT_RISK, id="exactly-5-points-below-40-of-20"),
        # Below that, off track.
        pytest.param(0.4499, 0.5, OFF_TRACK, id="more-than-5-points-below"),
        pytest.param(0.0, 0.25, OFF_TRACK, id="nothing-beyond"),
        # Nothing counted: no data, not 0 %.
        pytest.param(None, 0.5, NO_DATA, id="no-data"),
    ],
)
def test_share_status_thresholds(value: float | None, floor: float, expected: str) -> None:
    assert targets.share_status(value, floor, 0.05, "an SME").status == expected


def test_share_status_reasons() -> None:
    def reason(value: float | None, floor: float) -> str:
        return targets.share_status(value, floor, 0.05, "an SME").reason

    assert (
        reason(0.5, 0.5)
        == "50.0 % of counted exchanges involve an SME, at or above the 50 % floor."
    )
    assert reason(0.47, 0.5) == "47.0 % involve an SME, 3.0 points below the 50 % floor."
    assert reason(0.3, 0.5) == "Only 30.0 % involve an SME, 20.0 points below the 50 % floor."
    assert reason(None, 0.5) == "No exchange is counted yet, so the an SME share has no data."
    beyond = targets.share_status(0.1, 0.25, 0.05, "participants beyond the community")
    assert (beyond.kpi, beyond.status) == ("beyond_share", OFF_TRACK)


def test_share_status_margin() -> None:
    """The margin is a parameter (the programme's setting): wider, and 40 % is at risk."""
    assert targets.share_status(0.4, 0.5, 0.05, "an SME").status == OFF_TRACK
    assert targets.share_status(0.4, 0.5, 0.10, "an SME").status == AT_RISK
    assert targets.share_status(0.4, 0.5, 0.0, "an SME").status == OFF_TRACK
    assert targets.share_status(0.5, 0.5, 0.0, "an SME").status == ON_TRACK


@pytest.mark.parametrize(
    ("part", "floor", "at_total", "what", "expected"),
    [
        pytest.param(
            488,
            0.5,
            1000,
            "an SME",
            "12 more exchanges involving an SME are needed to reach 50 % at 1,000.",
            id="the-issue-example",
        ),
        pytest.param(
            240,
            0.25,
            1000,
            "participants beyond the community",
            "10 more exchanges involving participants beyond the community are needed to reach "
            "25 % at 1,000.",
            id="beyond",
        ),
        # Half of 45 is 22.5: 23 are needed.
        pytest.param(
            20,
            0.5,
            45,
            "an SME",
            "3 more exchanges involving an SME are needed to reach 50 % at 45.",
        ),
        # 0.29 x 100 is 28.999999999999996 in floating point: still 29 needed.
        pytest.param(
            28,
            0.29,
            100,
            "an SME",
            "1 more exchanges involving an SME are needed to reach 29 % at 100.",
        ),
        # 0.07 x 100 is 7.000000000000001: 7 are enough.
        pytest.param(
            7, 0.07, 100, "an SME", "7 exchanges involving an SME already reach 7 % of 100."
        ),
        # Exactly at the floor is met; above it too.
        pytest.param(
            500, 0.5, 1000, "an SME", "500 exchanges involving an SME already reach 50 % of 1,000."
        ),
        pytest.param(
            612, 0.5, 1000, "an SME", "612 exchanges involving an SME already reach 50 % of 1,000."
        ),
        pytest.param(
            0,
            0.5,
            1000,
            "an SME",
            "500 more exchanges involving an SME are needed to reach 50 % at 1,000.",
        ),
    ],
)
def test_share_gap(part: int, floor: float, at_total: int, what: str, expected: str) -> None:
    assert targets.share_gap(part, floor, at_total, what) == expected


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        # The two complete quarters before the as-of quarter...
        pytest.param(date(2026, 11, 25), ("2026Q2", "2026Q3"), id="mid-quarter"),
        pytest.param(date(2026, 10, 1), ("2026Q2", "2026Q3"), id="first-day"),
        pytest.param(date(2026, 9, 29), ("2026Q1", "2026Q2"), id="day-before-last"),
        # ...unless the as-of date is its quarter's last day: then that quarter is complete.
        pytest.param(date(2026, 9, 30), ("2026Q2", "2026Q3"), id="last-day"),
        pytest.param(date(2026, 3, 31), ("2025Q4", "2026Q1"), id="last-day-q1"),
        pytest.param(date(2026, 1, 1), ("2025Q3", "2025Q4"), id="across-a-year"),
        pytest.param(date(2026, 12, 31), ("2026Q3", "2026Q4"), id="year-end"),
    ],
)
def test_pace_quarters(as_of: date, expected: tuple[str, str]) -> None:
    assert targets.pace_quarters(as_of) == expected


# --- the forecast ------------------------------------------------------------------------------


# (partnership, Monday of the stay, status, SME visitor)
STAYS = [
    ("LONG", date(2026, 3, 2), "completed", True),  # 2026Q1
    ("LONG", date(2026, 4, 6), "completed", True),  # 2026Q2
    ("LONG", date(2026, 5, 4), "completed", True),
    ("LONG", date(2026, 7, 6), "completed", False),  # 2026Q3
    ("LONG", date(2026, 8, 3), "completed", False),
    ("LONG", date(2026, 8, 31), "completed", False),
    ("LONG", date(2026, 9, 21), "completed", False),
    ("LONG", date(2026, 10, 5), "completed", False),  # 2026Q4
    ("LONG", date(2026, 11, 16), "completed", False),
    ("LONG", date(2026, 12, 7), "confirmed", False),  # ahead, within the action
    ("LONG", date(2027, 3, 8), "confirmed", False),
    ("LONG", date(2028, 1, 10), "confirmed", False),  # ahead, but after the action
    ("LONG", date(2027, 5, 10), "planned", False),  # not confirmed: not counted ahead
    ("SHORT", date(2026, 5, 11), "completed", False),  # 2026Q2
    ("SHORT", date(2026, 8, 10), "completed", False),  # 2026Q3
    ("SHORT", date(2026, 11, 30), "confirmed", False),
    ("SHORT", date(2026, 12, 14), "confirmed", False),
]
LONG_END, SHORT_END = date(2027, 12, 31), date(2026, 12, 31)


def build_register(engine: Engine) -> None:
    with write_session(engine) as session:
        factories.partnership(session, "LONG", date(2026, 1, 1), LONG_END, 100)
        factories.partnership(session, "SHORT", date(2025, 7, 1), SHORT_END, 20)
        # Some stays end after their action: stored before the action-period rule.
        with factories.actions_widened(session):
            for n, (acronym, monday, status, sme) in enumerate(STAYS, start=1):
                data = ExchangeIn(
                    partnership=acronym,
                    reference=f"F-{n:02}",
                    status=status,
                    **stay(monday),
                    visitor_organisation=f"Visitor {n:02}",
                    visitor_type="SME" if sme else "cluster organisation",
                    visitor_country="DE",
                    visitor_is_sme=sme,
                    visitor_community="partner",
                    host_organisation="Host",
                    host_type="cluster organisation",
                    host_country="FR",
                    host_is_sme=False,
                    host_community="external" if n % 2 else "partner",
                )
                service.create_exchange(
                    session=session, actor=factories.admin(session), data=data, today=TODAY
                )


@pytest.fixture(scope="module")
def register_file(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("targets") / "xchange.db"
    return factories.register_file(sqlite_template, path, build_register)


@pytest.fixture
def register(register_file: Path, tmp_path: Path) -> Iterator[Engine]:
    yield from engine_on_copy(register_file, tmp_path)


def forecast(engine: Engine, acronym: str | None, as_of: date) -> targets.Forecast:
    with read_session(engine) as session:
        found = find_partnership(session, acronym) if acronym else None
        return targets.forecast(session, as_of=as_of, partnership=found)


def set_target(engine: Engine, acronym: str, target: int) -> None:
    with write_session(engine) as session:
        found = find_partnership(session, acronym)
        assert found is not None
        found.target_exchanges = target
        session.add(found)


LONG_LEFT = 401 / targets.DAYS_PER_QUARTER  # 25 November 2026 to 31 December 2027
SHORT_LEFT = 36 / targets.DAYS_PER_QUARTER  # to 31 December 2026


def test_forecast_with_the_pace_ahead_of_confirmed_stays(register: Engine) -> None:
    result = forecast(register, "LONG", TODAY)
    assert (result.scope, result.counted, result.target) == ("LONG", 9, 100)
    assert result.action_end == LONG_END
    assert result.pace == 3.0  # (2 in 2026Q2 + 4 in 2026Q3) / 2
    assert result.quarters_left == pytest.approx(LONG_LEFT)
    assert result.confirmed_ahead == 2  # December and March; not January 2028, nor the planned
    # 3 a quarter over 4.4 quarters (13.2) beats the 2 confirmed stays.
    assert result.projection == pytest.approx(9 + 3 * LONG_LEFT)
    assert result.required_pace == pytest.approx(91 / LONG_LEFT)
    assert result.expected_now == pytest.approx(100 * 328 / 729)  # linear from 1 January 2026
    exchanges, sme, beyond = result.statuses
    assert (exchanges.kpi, exchanges.status) == ("exchanges", OFF_TRACK)
    assert exchanges.reason == (
        "Projected 22 of 100 by 2027-12-31 at 3.0 a quarter; 20.7 a quarter are needed."
    )
    assert (sme.kpi, sme.status) == ("sme_share", OFF_TRACK)  # 3 of 9
    assert (beyond.kpi, beyond.status) == ("beyond_share", ON_TRACK)  # 5 of 9
    assert result.gaps == [
        "91 more counted exchanges are needed to reach 100.",
        "47 more exchanges involving an SME are needed to reach 50 % at 100.",
        # 5 of 9 is on track as a share, but 25 of the target of 100 are needed.
        "20 more exchanges involving participants beyond the community are needed to reach "
        "25 % at 100.",
    ]


def test_forecast_with_confirmed_stays_ahead_of_the_pace(register: Engine) -> None:
    result = forecast(register, "SHORT", TODAY)
    assert (result.counted, result.pace, result.confirmed_ahead) == (2, 1.0, 2)
    # 1 a quarter over 0.4 quarters is less than the 2 confirmed stays: they make the projection.
    assert result.projection == 4.0
    assert result.required_pace == pytest.approx(18 / SHORT_LEFT)
    # Less than a quarter left: the reason gives a count, not a pace.
    assert result.statuses[0].reason == (
        "Projected 4 of 20 by 2026-12-31 at 1.0 a quarter; 18 more are needed by 2026-12-31."
    )


@pytest.mark.parametrize(
    ("as_of", "pace"),
    [
        # The day before the quarter's last day: Q3 is not complete, the pace is Q1 and Q2's.
        pytest.param(date(2026, 9, 29), 1.5, id="day-before-quarter-end"),
        # On its last day Q3 is complete and counts: Q2 and Q3.
        pytest.param(date(2026, 9, 30), 3.0, id="quarter-end"),
        pytest.param(date(2026, 10, 1), 3.0, id="day-after"),
        pytest.param(date(2026, 6, 30), 1.5, id="q2-end"),
        pytest.param(date(2026, 3, 31), 0.5, id="q1-end"),
        pytest.param(date(2026, 1, 15), 0.0, id="nothing-yet"),
    ],
)
def test_forecast_pace_from_the_last_two_complete_quarters(
    register: Engine, as_of: date, pace: float
) -> None:
    assert forecast(register, "LONG", as_of).pace == pace


def test_forecast_after_the_action_end(register: Engine) -> None:
    result = forecast(register, "SHORT", date(2027, 2, 1))
    assert (result.quarters_left, result.required_pace, result.confirmed_ahead) == (0.0, None, 0)
    assert result.projection == 2.0  # nothing more to come
    assert result.statuses[0].reason == "Projected 2 of 20 by 2026-12-31 at 0.5 a quarter."


def test_programme_projection_is_the_sum_of_the_partnerships(register: Engine) -> None:
    programme = forecast(register, None, TODAY)
    long, short = forecast(register, "LONG", TODAY), forecast(register, "SHORT", TODAY)
    assert (programme.scope, programme.counted, programme.target) == ("programme", 11, 1000)
    assert programme.action_end == LONG_END  # the latest action's end
    # Each partnership projected to its own end: SHORT does not borrow LONG's time.
    assert programme.projection == pytest.approx(long.projection + short.projection)
    assert programme.projection == pytest.approx(9 + 3 * LONG_LEFT + 4)
    with read_session(register) as session:
        each = targets.projections(session, as_of=TODAY)
        ids = {p.acronym: p.id for p in session.exec(select(Partnership)).all()}
        both = targets.forecast(
            session, as_of=TODAY, filters=Filters(partnership_ids=tuple(ids.values()))
        )
    assert each == {
        ids["LONG"]: pytest.approx(long.projection),
        ids["SHORT"]: pytest.approx(short.projection),
    }
    assert both.projection == pytest.approx(programme.projection)
    assert (both.scope, both.target) == ("LONG, SHORT", 120)


@pytest.mark.parametrize(
    "filters",
    [
        pytest.param(Filters(countries=("DE",)), id="every-stay"),
        # No stay involves Austria: nothing counted, no pace, and no confirmed stay ahead either.
        pytest.param(Filters(countries=("AT",)), id="no-stay"),
        pytest.param(Filters(ecosystems=("DIGI",)), id="no-ecosystem-given"),
        pytest.param(Filters(modality="physical"), id="modality"),
    ],
)
def test_filtered_programme_projection_is_the_sum_of_the_partnerships(
    register: Engine, filters: Filters
) -> None:
    with read_session(register) as session:
        programme = targets.forecast(session, as_of=TODAY, filters=filters)
        parts = [
            targets.forecast(session, as_of=TODAY, partnership=p, filters=filters)
            for p in session.exec(select(Partnership)).all()
        ]
    assert programme.projection == pytest.approx(sum(part.projection for part in parts))
    assert programme.confirmed_ahead == sum(part.confirmed_ahead for part in parts)


@pytest.mark.parametrize(
    ("acronym", "as_of", "target", "status", "reason"),
    [
        # At the action's end the projection is the count: 9 for LONG.
        # A target is met at or above it: 9 of 9 is on track.
        pytest.param(
            "LONG",
            LONG_END,
            9,
            ON_TRACK,
            "9 counted: the target of 9 is met.",
            id="met-exactly",
        ),
        # 9 of 10 is exactly 90 %: at risk.
        pytest.param(
            "LONG",
            LONG_END,
            10,
            AT_RISK,
            "Projected 9 of 10 by 2027-12-31 at 0.0 a quarter.",
            id="exactly-90-percent",
        ),
        # 9 of 11 is 82 %: off track.
        pytest.param("LONG", LONG_END, 11, OFF_TRACK, None, id="below-90-percent"),
        # Projected (not yet counted) to reach the target exactly: on track.
        pytest.param(
            "SHORT",
            TODAY,
            4,
            ON_TRACK,
            "Projected 4 of 4 by 2026-12-31 at 1.0 a quarter.",
            id="projected-exactly",
        ),
        pytest.param(
            "SHORT", TODAY, 2, ON_TRACK, "2 counted: the target of 2 is met.", id="met-already"
        ),
        pytest.param("SHORT", TODAY, 5, OFF_TRACK, None, id="projected-80-percent"),
    ],
)
def test_exchanges_status_at_the_boundaries(
    register: Engine,
    acronym: str,
    as_of: date,
    target: int,
    status: str,
    reason: str | None,
) -> None:
    set_target(register, acronym, target)
    exchanges = forecast(register, acronym, as_of).statuses[0]
    assert exchanges.status == status
    if reason is not None:
        assert exchanges.reason == reason


def test_thresholds_come_from_the_programme(register: Engine) -> None:
    set_target(register, "SHORT", 5)
    assert forecast(register, "SHORT", TODAY).statuses[0].status == OFF_TRACK  # 4 of 5 < 90 %
    long = forecast(register, "LONG", TODAY)
    assert long.statuses[1].status == OFF_TRACK  # 3 of 9 SME, 16.7 points below 50 %

    set_programme(register, at_risk_ratio=0.8, at_risk_share_margin=0.2)
    assert forecast(register, "SHORT", TODAY).statuses[0].status == AT_RISK  # 4 of 5 = 80 %
    assert forecast(register, "LONG", TODAY).statuses[1].status == AT_RISK

    set_programme(register, sme_share_target=1 / 3)
    assert forecast(register, "LONG", TODAY).statuses[1].status == ON_TRACK


def test_forecast_with_nothing_counted(register: Engine) -> None:
    result = forecast(register, "LONG", date(2026, 2, 1))
    assert result.counted == 0
    assert [s.status for s in result.statuses] == [OFF_TRACK, NO_DATA, NO_DATA]


def test_sqlite_and_postgresql_give_the_same_forecast(register: Engine, pg_engine: Engine) -> None:
    build_register(pg_engine)
    for acronym in ("LONG", "SHORT", None):
        for as_of in (date(2026, 9, 30), TODAY):
            on_sqlite, on_postgres = (
                forecast(register, acronym, as_of),
                forecast(pg_engine, acronym, as_of),
            )
            assert on_sqlite.headline == on_postgres.headline
            assert (on_sqlite.statuses, on_sqlite.gaps) == (on_postgres.statuses, on_postgres.gaps)
            for name in ("pace", "quarters_left", "confirmed_ahead", "projection", "expected_now"):
                assert getattr(on_sqlite, name) == pytest.approx(getattr(on_postgres, name))
