"""The action-period rule on a database: a stay outside its partnership's action is refused,
one stored before the rule (or left outside by new action dates) is listed in Needs attention,
and the administration names such stays before saving new dates. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.factories import admin, partnership, set_programme
from xchange.db import engine as db
from xchange.errors import ValidationFailed
from xchange.programme.checks import InvalidPartnership
from xchange.programme.partnerships import update_partnership
from xchange.register import attention, service
from xchange.register.service import ExchangeIn

TODAY = date(2026, 3, 2)


def stay(reference: str, start: date, end: date) -> ExchangeIn:
    return ExchangeIn(
        partnership="ALPHA",
        reference=reference,
        status="confirmed",
        start_date=start,
        end_date=end,
        visitor_organisation=f"Visitor {reference}",
        visitor_type="cluster organisation",
        visitor_country="DE",
        visitor_is_sme=False,
        visitor_community="partner",
        host_organisation="Host Hub",
        host_type="university",
        host_country="FR",
        host_is_sme=True,
        host_community="external",
    )


def log(engine: Engine, data: ExchangeIn) -> None:
    with db.write_session(engine) as session:
        service.create_exchange(session=session, actor=admin(session), data=data, today=TODAY)


@pytest.fixture
def alpha(engine: Engine) -> int:
    with db.write_session(engine) as session:
        return partnership(session, "ALPHA", date(2025, 1, 1), date(2026, 12, 31)).id or 0


def test_a_stay_outside_the_action_is_refused(engine: Engine, alpha: int) -> None:
    with pytest.raises(ValidationFailed, match="after ALPHA's action ends") as refused:
        log(engine, stay("LATE", date(2027, 1, 4), date(2027, 1, 8)))
    assert [(i.code, i.field) for i in refused.value.issues if i.severity == "error"] == [
        ("after_action_end", "end_date")
    ]
    with pytest.raises(ValidationFailed, match="before ALPHA's action starts"):
        log(engine, stay("EARLY", date(2024, 12, 30), date(2025, 1, 3)))
    # The programme's tolerance lets a stay end a few days after the action.
    set_programme(engine, action_period_tolerance_days=10)
    log(engine, stay("LATE", date(2027, 1, 4), date(2027, 1, 8)))


def test_stays_left_outside_are_named_and_listed(engine: Engine, alpha: int) -> None:
    log(engine, stay("A-1", date(2026, 11, 2), date(2026, 11, 6)))
    with db.write_session(engine) as session:
        version = session.execute(sa.text("SELECT version FROM partnership")).scalar_one()
        terms = {
            "partnership_id": alpha,
            "expected_version": version,
            "name": "ALPHA partnership",
            "action_start": date(2025, 1, 1),
            "action_end": date(2026, 10, 31),
            "target_exchanges": 100,
        }
        with pytest.raises(InvalidPartnership, match="ALPHA/A-1 \\(2026-11-02 to 2026-11-06\\)"):
            update_partnership(session=session, actor=admin(session), **terms)
    with db.write_session(engine) as session:
        update_partnership(session=session, actor=admin(session), leave_stays_outside=True, **terms)
    with db.read_session(engine) as session:
        items = attention.needs_attention(session, actor=admin(session), today=TODAY)
    outside = [i for i in items if i.kind == "outside_action"]
    assert [(i.reference, i.message) for i in outside] == [
        (
            "A-1",
            "The stay from 2026-11-02 to 2026-11-06 lies outside the action, "
            "2025-01-01 to 2026-10-31.",
        )
    ]
    # Listed once: the rules' own error on the open record is the same fact.
    assert not [i for i in items if i.kind == "rule_error"]
