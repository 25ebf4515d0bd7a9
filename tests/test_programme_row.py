"""programme.row: the one way to read the programme's settings row."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from xchange.db.engine import read_session
from xchange.errors import NotFound
from xchange.models import Programme
from xchange.programme.row import programme, read_programme


def test_the_row_reads_the_same_on_a_session_and_on_a_connection(engine: Engine) -> None:
    with read_session(engine) as session:
        on_session = read_programme(session)
    with engine.connect() as connection:
        on_connection = read_programme(connection)
    assert on_session.id == on_connection.id == 1
    assert on_session.target_exchanges == on_connection.target_exchanges


def test_before_init_reads_give_the_defaults_and_writes_are_refused() -> None:
    bare = sa.create_engine("sqlite://")
    Programme.__table__.create(bare)  # type: ignore[attr-defined]
    with Session(bare) as session:
        assert read_programme(session).target_exchanges == Programme().target_exchanges
        with pytest.raises(NotFound, match="xchange init"):
            programme(session)
