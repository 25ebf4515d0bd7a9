"""The dashboard's one call: its batch forecasts equal the one-by-one forecasts."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from xchange.db.engine import read_session
from xchange.demo import load as demo
from xchange.kpi import overview, targets
from xchange.kpi.sums import Filters
from xchange.models import Partnership

TODAY = date(2026, 11, 25)


@pytest.fixture
def register(sqlite_engine: Engine) -> Engine:
    demo.load_demo(sqlite_engine, exchanges=500, seed=3, today=TODAY)
    return sqlite_engine


@pytest.mark.parametrize("filters", [Filters(), Filters(ecosystems=("DIGI", "AGRI"))])
def test_batch_forecasts_equal_one_by_one(register: Engine, filters: Filters) -> None:
    with read_session(register) as session:
        batch = targets.partnership_forecasts(session, as_of=TODAY, filters=filters)
        partnerships = session.exec(select(Partnership)).all()
        assert set(batch) == {p.id for p in partnerships}
        for p in partnerships:
            one = targets.forecast(session, as_of=TODAY, partnership=p, filters=filters)
            other = batch[p.id or 0]
            assert other.statuses == one.statuses, p.acronym
            assert other.gaps == one.gaps
            assert other.projection == pytest.approx(one.projection)
            assert other.expected_now == pytest.approx(one.expected_now)


def test_overview_lists_each_partnership_with_its_status(register: Engine) -> None:
    with read_session(register) as session:
        view = overview.overview(session, as_of=TODAY)
    table = view.partnerships
    assert len(table) == 12
    assert set(table["status"]) <= {"on track", "at risk", "off track", "no data"}
    # The sum over partnerships is the programme figure.
    assert int(table["counted"].sum()) == view.headline.counted
    assert not view.empty
