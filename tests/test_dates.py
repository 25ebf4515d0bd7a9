"""Dates have bounds, and nothing derived from dates loops or fails on any date a row can hold.

- `xchange.dates`: quarters as numbers, ranges clamped to the accepted quarters;
- every way in refuses a date outside 2000-01-01 .. 2100-12-31 naming the field: the parse path
  (random dates over date.min .. date.max), the service and an import, partnerships, the
  programme's settings, and the CLI's date and quarter options (a usage error, exit code 2);
- rows stored before the bounds existed (years 1 to 9999, written straight into the database)
  leave list_choices, the breakdown by quarter, the forecast, the pack's data and the CLI's
  `kpi --by quarter`, `kpi --forecast` and `report` working, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import shlex
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tests.imports.test_importer import BASE, csv_bytes, make_register, row, xlsx_bytes
from xchange import dates
from xchange.cli import cli
from xchange.db.engine import LOCAL_ADMIN_EMAIL, read_session, write_session
from xchange.errors import InvalidInput, ValidationFailed
from xchange.kpi import breakdowns, overview, targets
from xchange.models import Exchange, User, quarter_of
from xchange.pack import build as pack
from xchange.programme import settings as programme_settings
from xchange.programme.partnerships import InvalidPartnership, add_partnership, update_partnership
from xchange.reference import parse_quarter
from xchange.register import attention, service
from xchange.register import queries as register
from xchange.register.parsing import COLUMNS, parse_table
from xchange.register.service import ExchangeIn

TODAY = date(2026, 6, 30)
ANY_DATE = st.dates(min_value=date.min, max_value=date.max)

# --- quarters as numbers ---------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(day=ANY_DATE)
def test_a_quarter_index_round_trips_for_any_date(day: date) -> None:
    stored = quarter_of(day)
    assert dates.index_of(stored) == dates.quarter_index(day)
    assert dates.quarter_at(dates.quarter_index(day)) == stored
    first, last = dates.quarter_days(stored)
    assert first <= day <= last
    assert dates.index_of(stored.replace("Q", "-Q")) == dates.quarter_index(day)


@settings(max_examples=200, deadline=None)
@given(first=ANY_DATE, last=ANY_DATE)
def test_a_quarter_range_is_clamped_to_the_accepted_quarters(first: date, last: date) -> None:
    quarters = dates.quarter_range(quarter_of(first), quarter_of(last))
    assert len(quarters) <= dates.QUARTERS
    indexes = [dates.index_of(q) for q in quarters]
    assert indexes == list(range(indexes[0], indexes[0] + len(indexes))) if indexes else True
    assert all(dates.FIRST_QUARTER <= i <= dates.LAST_QUARTER for i in indexes)
    assert dates.quarter_range(first, last) == quarters  # days or quarters alike


def test_the_widest_range_runs_from_2000q1_to_2100q4() -> None:
    quarters = dates.quarter_range("1Q1", "9999Q4")
    assert (quarters[0], quarters[-1], len(quarters)) == ("2000Q1", "2100Q4", 404)
    assert dates.quarter_range("2026Q3", "2026Q2") == []


def test_quarters_sort_in_time_order_whatever_their_digits() -> None:
    stored = ["9999Q4", "2026Q3", "1Q1", "999Q2", "10Q1", "2026Q1", "200Q4"]
    assert dates.sort_quarters(stored) == [
        "1Q1",
        "10Q1",
        "200Q4",
        "999Q2",
        "2026Q1",
        "2026Q3",
        "9999Q4",
    ]
    assert dates.previous_quarter("2026Q1") == "2025Q4"
    assert dates.previous_quarter("1Q1") == "0Q4"  # a filter value, never a date


@pytest.mark.parametrize("text", ["2026Q5", "2026Q0", "Q3", "20260Q1", "", "abc"])
def test_a_quarter_index_refuses_what_is_no_quarter(text: str) -> None:
    with pytest.raises(ValueError, match="not like 2026Q3"):
        dates.index_of(text)


@pytest.mark.parametrize(
    ("text", "accepted"),
    [("2000Q1", True), ("2100-Q4", True), ("1999Q4", False), ("2101Q1", False), ("9999Q4", False)],
)
def test_a_typed_quarter_lies_within_the_bounds(text: str, accepted: bool) -> None:
    if accepted:
        first, last = parse_quarter(text)
        assert dates.within(first) and dates.within(last)
    else:
        with pytest.raises(ValueError, match="outside the dates the tracker accepts"):
            parse_quarter(text)


# --- the parse path: random dates over the whole range a cell can hold -----------------------

VALID_ROW: dict[str, Any] = {
    name: BASE.get(name, "") for name in COLUMNS if name not in ("start_date", "end_date")
}


def spellings(day: date) -> list[object]:
    """The ways a form or a file gives a day: a date, ISO text, and the two European spellings."""
    year = f"{day.year:04d}"
    return [
        day,
        day.isoformat(),
        f"{day.day:02d}/{day.month:02d}/{year}",
        f"{day.day:02d}.{day.month:02d}.{year}",
    ]


@settings(max_examples=300, deadline=None)
@given(day=ANY_DATE, spelling=st.integers(0, 3), field=st.sampled_from(["start_date", "end_date"]))
@example(day=date(1999, 12, 31), spelling=1, field="start_date")
@example(day=date(2000, 1, 1), spelling=1, field="start_date")
@example(day=date(2100, 12, 31), spelling=2, field="end_date")
@example(day=date(2101, 1, 1), spelling=3, field="end_date")
@example(day=date(9999, 12, 10), spelling=1, field="end_date")
@example(day=date(1, 1, 1), spelling=0, field="start_date")
def test_the_parse_path_accepts_dates_within_the_bounds_only(
    day: date, spelling: int, field: str
) -> None:
    other = "end_date" if field == "start_date" else "start_date"
    raw = pd.DataFrame([{**VALID_ROW, field: spellings(day)[spelling], other: "2025-03-12"}])
    raw.index = pd.Index([7])
    parsed, issues = parse_table(raw)
    refused = [i for i in issues if i.code == "date_out_of_range"]
    assert [i for i in issues if i.code == "unreadable_date"] == []
    if dates.EARLIEST <= day <= dates.LATEST:
        assert refused == []
        assert parsed.loc[7, field].date() == day
    else:
        [issue] = refused
        label = "Start date" if field == "start_date" else "End date"
        assert (issue.field, issue.row, issue.severity) == (field, 7, "error")
        assert issue.message == (
            f"{label} {day.isoformat()} is outside the dates the tracker accepts "
            "(between 2000-01-01 and 2100-12-31)"
        )
        assert pd.isna(parsed.loc[7, field])  # nothing derives a quarter from it


# --- the service, an import, partnerships, the programme's settings ---------------------------


def admin(session: Session) -> User:
    return session.exec(select(User).where(User.email == LOCAL_ADMIN_EMAIL)).one()


def stay(number: int, **changes: Any) -> ExchangeIn:
    """A valid completed five-day stay (Mon 10 to Fri 14 March 2025) of GTEX."""
    values: dict[str, Any] = {
        "partnership": "GTEX",
        "reference": f"X-{number:03d}",
        "status": "completed",
        "start_date": date(2025, 3, 10),
        "end_date": date(2025, 3, 14),
        "visitor_organisation": f"Visitor {number}",
        "visitor_type": "cluster organisation",
        "visitor_country": "DE",
        "visitor_is_sme": False,
        "visitor_community": "partner",
        "host_organisation": "Host Hub",
        "host_type": "university",
        "host_country": "FR",
        "host_is_sme": True,
        "host_community": "external",
        "distance_km": 850.0,
    }
    return ExchangeIn(**{**values, **changes})


def with_gtex(engine: Engine) -> None:
    with write_session(engine) as session:
        add_partnership(
            session=session,
            actor=admin(session),
            acronym="GTEX",
            name="Green Textiles",
            action_start=date(2025, 1, 1),
            action_end=date(2027, 12, 31),
        )


def exchange_count(engine: Engine) -> int:
    with read_session(engine) as session:
        return len(session.exec(select(Exchange.id)).all())


@pytest.mark.parametrize(
    "changes",
    [
        {"start_date": date(9999, 12, 1), "end_date": date(9999, 12, 10), "status": "planned"},
        {"start_date": date(1, 1, 1), "end_date": date(1, 1, 5)},
        {"start_date": date(1999, 12, 27), "end_date": date(1999, 12, 31)},
    ],
    ids=["9999", "0001", "1999"],
)
def test_the_service_refuses_a_stay_outside_the_bounds(
    engine: Engine, changes: dict[str, Any]
) -> None:
    with_gtex(engine)
    with pytest.raises(ValidationFailed) as refused, write_session(engine) as session:
        service.create_exchange(
            session=session, actor=admin(session), data=stay(1, **changes), today=TODAY
        )
    found = {(i.code, i.field) for i in refused.value.issues if i.severity == "error"}
    assert {("date_out_of_range", "start_date"), ("date_out_of_range", "end_date")} <= found
    assert exchange_count(engine) == 0


def test_completion_and_payment_dates_have_bounds(engine: Engine) -> None:
    with_gtex(engine)
    with write_session(engine) as session:
        data = stay(1, status="confirmed")
        created = service.create_exchange(
            session=session, actor=admin(session), data=data, today=TODAY
        )
        assert created.id is not None
        exchange_id, version = created.id, created.version
    for call, field in [
        (
            lambda s: service.complete_exchange(
                session=s,
                actor=admin(s),
                exchange_id=exchange_id,
                expected_version=version,
                validated_on=date(9999, 1, 1),
                validated_by="Officer",
                today=TODAY,
            ),
            "validated_on",
        ),
        (
            lambda s: service.record_payment(
                session=s,
                actor=admin(s),
                exchange_id=exchange_id,
                expected_version=version,
                paid_on=date(1, 1, 1),
                paid_eur=Decimal("1100"),
            ),
            "paid_on",
        ),
    ]:
        with pytest.raises(ValidationFailed) as refused, write_session(engine) as session:
            call(session)
        [issue] = refused.value.issues
        assert (issue.code, issue.field) == ("date_out_of_range", field)
        assert "outside the dates the tracker accepts" in issue.message
    with read_session(engine) as session:
        stored = session.get(Exchange, exchange_id)
        assert stored is not None
        assert (stored.status, stored.version, stored.paid_on) == ("confirmed", version, None)


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_an_import_refuses_year_9999_and_year_1_row_by_row(engine: Engine, kind: str) -> None:
    imports = make_register(engine)
    records = [
        row(reference="R-001", start_date="2025-03-10", end_date="2025-03-14"),
        row(
            reference="R-002",
            visitor_organisation="Far Future",
            status="planned",
            start_date="9999-12-01",
            end_date="9999-12-10",
        ),
        row(
            reference="R-003",
            visitor_organisation="Far Past",
            start_date="08.01.0999",
            end_date="01/01/0001",
        ),
    ]
    if kind == "csv":
        data, name = csv_bytes(records), "stays.csv"
    else:  # typed date cells as far as Excel goes (9999-12-31), text where it cannot
        cells: list[list[Any]] = [list(BASE)]
        for record in records:
            typed = dict(record)
            if record["reference"] == "R-002":
                typed["start_date"], typed["end_date"] = date(9999, 12, 1), date(9999, 12, 10)
            cells.append([typed[c] for c in BASE])
        data, name = xlsx_bytes({"Exchanges": cells}), "stays.xlsx"
    report = imports.load(data, name)
    assert report.refused
    refused = sorted((i.row, i.field) for i in report.errors if i.code == "date_out_of_range")
    assert refused == [(3, "end_date"), (3, "start_date"), (4, "end_date"), (4, "start_date")]
    assert imports.exchanges() == {}


def test_a_partnership_s_action_dates_have_bounds(engine: Engine) -> None:
    with_gtex(engine)
    for start, end, field in [
        (date(1999, 12, 31), date(2027, 12, 31), "Action start 1999-12-31"),
        (date(2026, 1, 1), date(9999, 12, 31), "Action end 9999-12-31"),
    ]:
        with (
            pytest.raises(InvalidPartnership, match=f"^{field} is outside the dates"),
            write_session(engine) as session,
        ):
            add_partnership(
                session=session,
                actor=admin(session),
                acronym="AGRI",
                name="Agri",
                action_start=start,
                action_end=end,
            )
        with (
            pytest.raises(InvalidPartnership, match=f"^{field} is outside the dates"),
            write_session(engine) as session,
        ):
            update_partnership(
                session=session,
                actor=admin(session),
                partnership_id=1,
                expected_version=1,
                name="Green Textiles",
                action_start=start,
                action_end=end,
                target_exchanges=100,
            )


def test_the_virtual_window_and_country_validity_have_bounds(engine: Engine) -> None:
    with read_session(engine) as session:
        current = programme_settings.read_settings(session)
        version = programme_settings.programme_version(session)
    window = [
        ({"virtual_window_start": date(1, 1, 1)}, "Start of the window for virtual stays 0001"),
        ({"virtual_window_end": date(2101, 1, 1)}, "End of the window for virtual stays 2101"),
    ]
    for changes, message in window:
        changed = programme_settings.ProgrammeSettings(**{**current.__dict__, **changes})
        with (
            pytest.raises(InvalidInput, match=f"^{message}-01-01 is outside the dates"),
            write_session(engine) as session,
        ):
            programme_settings.update_programme(
                session=session,
                actor=admin(session),
                expected_version=version,
                settings=changed,
            )
    E = programme_settings.Eligibility
    for entry, message in [
        (E("UK", None, date(9999, 12, 31)), "United Kingdom eligible until 9999-12-31"),
        (E("FR", date(1999, 1, 1), None), "France eligible from 1999-01-01"),
    ]:
        with (
            pytest.raises(InvalidInput, match=f"^{message} is outside the dates"),
            write_session(engine) as session,
        ):
            programme_settings.set_eligible_countries(
                session=session,
                actor=admin(session),
                expected_version=version,
                countries=[E("DE", None, None), entry],
            )


# --- the CLI's date and quarter options ------------------------------------------------------


def xc(url: str, command: str) -> Result:
    return CliRunner().invoke(cli, ["--db", url, *shlex.split(command)], prog_name="xchange")


BOUNDED_OPTIONS = [
    ("kpi --as-of {day}", "--as-of"),
    ("kpi --forecast --as-of {day}", "--as-of"),
    ("export -o {out}/x.csv --from {day}", "--from"),
    ("export -o {out}/x.csv --to {day}", "--to"),
    ("audit --from {day} --to 2026-01-01", "--from"),
    ("audit --from 2026-01-01 --to {day}", "--to"),
    ("erase-person --expired --today {day}", "--today"),
    ("partnership add NEW --name New --start {day} --end 2027-01-01", "--start"),
    ("report --quarter {quarter} -o {out}", "--quarter"),
    ("snapshot --quarter {quarter}", "--quarter"),
]


@pytest.mark.parametrize(("command", "option"), BOUNDED_OPTIONS)
@pytest.mark.parametrize(
    ("day", "quarter"), [("9999-12-10", "9999Q4"), ("0001-01-01", "1-Q1"), ("2101-01-01", "2101Q1")]
)
def test_the_cli_refuses_dates_and_quarters_outside_the_bounds(
    sqlite_url: str, tmp_path: Path, command: str, option: str, day: str, quarter: str
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    result = xc(sqlite_url, command.format(day=day, quarter=quarter, out=out))
    assert result.exit_code == 2, result.output
    assert f"Invalid value for '{option}'" in result.stderr
    assert "is not like 2026Q3" in result.stderr or "outside the dates" in result.stderr
    assert list(out.iterdir()) == []  # nothing written


def test_the_cli_accepts_the_bounds_themselves(sqlite_url: str, tmp_path: Path) -> None:
    assert xc(sqlite_url, "kpi --as-of 2000-01-01").exit_code == 0
    assert xc(sqlite_url, "kpi --as-of 2100-12-31 --by quarter").exit_code == 0
    result = xc(sqlite_url, f"export -o {tmp_path}/x.csv --from 2000-01-01 --to 2100-12-31")
    assert result.exit_code == 0, result.output


# --- rows stored before the bounds: every reader finishes --------------------------------------


class TooSlow(Exception):
    pass


@contextmanager
def finishes_within(seconds: int) -> Iterator[None]:
    """Fail (rather than hang the suite) when the block runs longer than `seconds`: the walk
    over quarter strings this guards against never ended. A generous bound, not a timing."""

    def interrupt(*_args: Any) -> None:
        raise TooSlow(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@dataclass
class Stored:
    engine: Engine
    url: str

    def put(self, reference: str, start: date, end: date, status: str) -> None:
        """Rewrite a stored stay's dates, as a database from before the bounds may hold them
        (no validation: the summaries follow by their triggers)."""
        with self.engine.begin() as connection:
            connection.execute(
                sa.text(
                    "UPDATE exchange SET start_date = :start, end_date = :end, "
                    "end_quarter = :quarter, status = :status WHERE reference = :reference"
                ),
                {
                    "start": start,
                    "end": end,
                    "quarter": quarter_of(end),
                    "status": status,
                    "reference": reference,
                },
            )

    def action(self, start: date, end: date) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                sa.text("UPDATE partnership SET action_start = :start, action_end = :end"),
                {"start": start, "end": end},
            )


def stored_register(engine: Engine) -> Stored:
    """GTEX with three completed stays and a confirmed one, all valid when logged."""
    with_gtex(engine)
    with write_session(engine) as session:
        for number in range(1, 4):
            service.create_exchange(
                session=session, actor=admin(session), data=stay(number), today=TODAY
            )
        ahead = stay(4, status="confirmed", start_date=date(2026, 9, 7), end_date=date(2026, 9, 11))
        service.create_exchange(session=session, actor=admin(session), data=ahead, today=TODAY)
    return Stored(engine, engine.url.render_as_string(hide_password=False))


@pytest.fixture
def stored(engine: Engine) -> Stored:
    return stored_register(engine)


def read_everything(engine: Engine, as_of: date) -> None:
    """Every reader that derives quarters, paths or forecasts from stored dates."""
    with read_session(engine) as session:
        actor = admin(session)
        choices = register.list_choices(session, actor=actor)
        assert len(choices.quarters) <= dates.QUARTERS
        assert choices.quarters == dates.sort_quarters(choices.quarters)
        table = breakdowns.by_quarter(session, as_of=as_of).table
        assert list(table["quarter"]) == dates.sort_quarters(list(table["quarter"]))
        targets.forecast(session, as_of=as_of)
        targets.partnership_forecasts(session, as_of=as_of)
        overview.filter_choices(session, today=as_of)
        attention.needs_attention(session, actor=actor, today=as_of)
        data = pack.gather(session, actor=actor, quarter="2026Q2", today=TODAY)
        pack.figures(data)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    days=st.lists(st.tuples(ANY_DATE, ANY_DATE), min_size=3, max_size=3),
    statuses=st.lists(st.sampled_from(["completed", "planned", "confirmed"]), min_size=3),
    action=st.tuples(ANY_DATE, ANY_DATE),
    as_of=ANY_DATE,  # the pages and the CLI bound it; the readers need not rely on that
)
@example(
    days=[(date(9999, 12, 1), date(9999, 12, 10))] * 3,
    statuses=["planned", "planned", "planned"],
    action=(date(2025, 1, 1), date(2027, 12, 31)),
    as_of=TODAY,
)
@example(
    days=[(date(1, 1, 1), date(1, 1, 5)), (date(999, 1, 8), date(999, 1, 12))] * 2,
    statuses=["completed", "completed", "completed"],
    action=(date(1, 1, 1), date(9999, 12, 31)),
    as_of=TODAY,
)
def test_stored_rows_with_any_dates_leave_every_reader_working(
    stored: Stored,
    days: list[tuple[date, date]],
    statuses: list[str],
    action: tuple[date, date],
    as_of: date,
) -> None:
    for number, ((start, end), status) in enumerate(zip(days, statuses, strict=False), 1):
        stored.put(f"X-{number:03d}", min(start, end), max(start, end), status)
    stored.action(min(action), max(action))
    with finishes_within(60):
        read_everything(stored.engine, as_of)


def test_a_stay_of_year_1_still_counts_where_it_belongs(stored: Stored) -> None:
    """A completed stay stored in year 1 is counted as of any later day, listed in its own
    quarter before the others; the quarters between are not filled in (only 2000Q1 on)."""
    stored.put("X-001", date(1, 1, 1), date(1, 1, 5), "completed")
    stored.put("X-002", date(999, 1, 8), date(999, 1, 12), "completed")
    with read_session(stored.engine) as session:
        table = breakdowns.by_quarter(session, as_of=TODAY).table
        assert list(table["quarter"])[:3] == ["1Q1", "999Q1", "2025Q1"]
        assert list(table["cumulative_counted"])[:3] == [1, 2, 3]
        assert targets.forecast(session, as_of=TODAY).counted == 3


def test_year_9999_is_no_filter_choice_but_the_stay_is_listed(stored: Stored) -> None:
    stored.put("X-001", date(9999, 12, 1), date(9999, 12, 10), "planned")
    stored.put("X-002", date(1, 1, 1), date(1, 1, 5), "completed")
    with read_session(stored.engine) as session, finishes_within(60):
        actor = admin(session)
        assert register.list_choices(session, actor=actor).quarters == [
            "2025Q1",
            "2025Q2",
            "2025Q3",
            "2025Q4",
            "2026Q1",
            "2026Q2",
            "2026Q3",
        ]
        listed = register.find_exchanges(session, actor=actor)
        assert set(listed["reference"]) == {"X-001", "X-002", "X-003", "X-004"}
        # Still open, it needs attention: the rules, run again, refuse its dates.
        items = attention.needs_attention(session, actor=actor, today=TODAY)
        flagged = [i for i in items if i.reference == "X-001" and i.kind == "rule_error"]
        assert any("9999-12-10 is outside the dates" in i.message for i in flagged), items


@pytest.mark.parametrize(
    "command", ["kpi --by quarter", "kpi --forecast", "kpi --by quarter --json", "report"]
)
def test_the_cli_reads_a_register_holding_year_1_and_year_9999(
    stored: Stored, tmp_path: Path, command: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XCHANGE_CHROMIUM", "/nonexistent/chromium")  # the pack's data only
    stored.put("X-001", date(1, 1, 1), date(1, 1, 5), "completed")
    stored.put("X-002", date(9999, 12, 1), date(9999, 12, 10), "planned")
    if command == "report":
        command = f"report --quarter {quarter_of(date.today() - timedelta(days=92))} -o {tmp_path}"
    with finishes_within(120):
        result = xc(stored.url, command)
    assert result.exit_code == 0, (result.output, result.exception)
    if command.startswith("kpi --by quarter"):
        assert "1-Q1" in result.stdout or "1Q1" in result.stdout
