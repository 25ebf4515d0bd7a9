"""`xchange demo` writes each record's history at its simulated dates: the figures as recorded
on a past day are the demo's story on that day, not today's register."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from xchange.db import history
from xchange.db.engine import read_session
from xchange.demo import load as demo
from xchange.kpi import sums as kpi

TODAY = date(2026, 5, 20)  # before the real today: no simulated moment lies ahead of the load
SEED = 7


def expected(register: pd.DataFrame, day: date) -> dict[str, int]:
    """What the demo's story says held at the end of `day`, from the stored rows' dates."""
    end = pd.Timestamp(history.end_of_day(day))
    known = register[register["created_at"] <= end]
    done = (known["status"] == "completed") & (known["validated_on"] <= pd.Timestamp(day))
    gone = (known["status"] == "cancelled") & (known["updated_at"] <= end)
    ended = known["end_date"] <= pd.Timestamp(day)
    physical = known["modality"] == "physical"
    return {
        "counted": int((done & ended & physical).sum()),
        "pipeline": int((~done & ~gone).sum()),
        "cancelled": int(gone.sum()),
        "virtual": int((done & ended & ~physical).sum()),
    }


@pytest.fixture
def loaded(engine: Engine) -> pd.DataFrame:
    demo.load_demo(engine, exchanges=1200, seed=SEED, today=TODAY)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT status, modality, end_date, validated_on, created_at, updated_at "
                "FROM exchange"
            )
        ).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=list(rows[0]._fields))
    for name in ("end_date", "validated_on"):
        frame[name] = pd.to_datetime(frame[name])
    for name in ("created_at", "updated_at"):
        frame[name] = pd.to_datetime(frame[name], utc=True)
    return frame


@pytest.mark.parametrize("days_before", [500, 300, 120, 30, 1])
def test_figures_as_recorded_follow_the_demo_s_dates(
    engine: Engine, loaded: pd.DataFrame, days_before: int
) -> None:
    day = TODAY - timedelta(days=days_before)
    with read_session(engine) as session:
        then = kpi.headline(session, as_of=day, recorded=True)
    assert {
        name: getattr(then, name) for name in ("counted", "pipeline", "cancelled", "virtual")
    } == (expected(loaded, day))
    assert then.history_incomplete_before is None  # every demo record has its create event


def test_as_recorded_after_the_load_is_the_register_as_known_now(
    engine: Engine, loaded: pd.DataFrame
) -> None:
    from xchange.kpi.sums import Filters

    with read_session(engine) as session:
        now = kpi.headline(session, as_of=TODAY)
        then = kpi.headline(session, as_of=TODAY, filters=Filters(recorded_at=datetime.now(UTC)))
    assert {n: getattr(then, n) for n in kpi.FIGURES} == {n: getattr(now, n) for n in kpi.FIGURES}
    assert then.counted > 0 and then.pipeline > 0 and then.cancelled > 0


def test_records_without_a_create_event_say_the_history_is_incomplete(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A register loaded without its history (as the demo did before): its records count from
    their `created_at` as they are now, and the result says before when that holds."""
    monkeypatch.setattr(demo, "write_history", lambda *args, **kwargs: 0)
    demo.load_demo(engine, exchanges=400, seed=SEED, today=TODAY)
    day = TODAY - timedelta(days=300)
    with engine.connect() as connection:
        latest = connection.execute(sa.text("SELECT max(created_at) FROM exchange")).scalar()
        rows = connection.execute(
            sa.text("SELECT status, modality, end_date, created_at FROM exchange")
        ).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=["status", "modality", "end", "at"])
    frame["at"] = pd.to_datetime(frame["at"], utc=True)
    frame["end"] = pd.to_datetime(frame["end"])
    known = frame[frame["at"] <= pd.Timestamp(history.end_of_day(day))]
    with read_session(engine) as session:
        then = kpi.headline(session, as_of=day, recorded=True)
    assert then.counted == int(
        (
            (known["status"] == "completed")
            & (known["modality"] == "physical")
            & (known["end"] <= pd.Timestamp(day))
        ).sum()
    )
    stamp = pd.Timestamp(latest)
    stamp = stamp.tz_localize(UTC) if stamp.tzinfo is None else stamp  # SQLite: text in UTC
    latest_day = stamp.tz_convert(history.BRUSSELS).date()
    assert then.history_incomplete_before == latest_day
    assert f"(history incomplete before {latest_day.day} " in then.describe_reading()
