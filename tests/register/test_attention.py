"""A coordinator's to-do list: what needs attention, for whom, in which order. Every test runs on
SQLite and on PostgreSQL (`engine`); the register is built through the service, as pages do."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tests.register.test_register import World, make_world
from xchange.db.engine import read_session, write_session
from xchange.register import attention, service
from xchange.register.attention import AttentionItem

TODAY = date(2025, 6, 30)  # a Monday


@pytest.fixture
def world(engine: Engine) -> World:
    return make_world(engine)


def items(world: World, actor: str = "coordinator", today: date = TODAY) -> list[AttentionItem]:
    with read_session(world.engine) as session:
        return attention.needs_attention(session, actor=world.users[actor], today=today)


def summary(found: list[AttentionItem]) -> list[tuple[str, str]]:
    return [(item.kind, item.reference) for item in found]


def test_each_kind_of_item_and_its_order(world: World) -> None:
    # Still planned: one started last week, one ended in March, one next month (fine).
    world.log(1, status="planned", start_date=date(2025, 6, 23), end_date=date(2025, 7, 4))
    world.log(2, status="planned")  # 10 to 14 March
    world.log(3, status="planned", start_date=date(2025, 7, 7), end_date=date(2025, 7, 11))
    # Confirmed: one ended (not validated), one under way (fine).
    world.log(4, start_date=date(2025, 6, 2), end_date=date(2025, 6, 6))
    world.log(5, start_date=date(2025, 6, 23), end_date=date(2025, 7, 4))
    # Completed: one unpaid, one paid (fine), one virtual (nothing to pay, fine).
    world.log(6, status="completed")
    paid = world.log(7, status="completed")
    world.log(8, status="completed", modality="virtual")
    # Cancelled, with data missing: never needs attention.
    world.log(9, status="cancelled", cancellation_reason="no", ecosystem=None, activity=None)
    assert paid.id is not None
    with write_session(world.engine) as session:
        service.record_payment(
            session=session,
            actor=world.users["admin"],
            exchange_id=paid.id,
            expected_version=1,
            paid_on=date(2025, 4, 1),
            paid_eur=Decimal("1100"),
        )

    found = items(world)
    assert summary(found) == [
        ("dates_passed", "ALPHA-002"),  # oldest first: started 10 March
        ("dates_passed", "ALPHA-001"),
        ("not_validated", "ALPHA-004"),
        ("unpaid", "ALPHA-006"),
    ]
    messages = {item.reference: item.message for item in found}
    assert messages["ALPHA-001"] == (
        "Still planned, but the stay started on 2025-06-23 (Visitor Cluster 1 (DE) → Beta Hub "
        "(FR), 2025-06-23 to 2025-07-04): confirm it, mark it completed or cancel it."
    )
    assert messages["ALPHA-002"].startswith("Still planned, but the stay ended on 2025-03-14")
    assert messages["ALPHA-004"].startswith("Ended on 2025-06-06, 24 days ago")
    assert "lump sum of EUR 1,100.00 is not recorded as paid" in messages["ALPHA-006"]
    first = found[0]
    assert (first.partnership, first.heading) == ("ALPHA", attention.KINDS["dates_passed"])
    assert first.since == date(2025, 3, 10)


def test_warnings_never_resolved_are_listed_once(world: World) -> None:
    # Two working days (Thu-Fri) next month: a warning while planned or confirmed.
    world.log(1, start_date=date(2025, 7, 10), end_date=date(2025, 7, 11))
    # A lump sum other than the rule's: kept, with a warning.
    world.log(2, start_date=date(2025, 7, 14), end_date=date(2025, 7, 18), lump_sum_eur=900)
    # Planned with its dates passed is a warning too, but `dates_passed` already lists it.
    world.log(3, status="planned")
    found = [i for i in items(world) if i.kind == "rule_warning"]
    assert summary(found) == [("rule_warning", "ALPHA-001"), ("rule_warning", "ALPHA-002")]
    assert found[0].message == (
        "2025-07-10 to 2025-07-11 has 2 working days: the stay must have at least 3 to be "
        "completed."
    )
    assert found[1].message == "Lump sum EUR 900.00 differs from the rule's EUR 1,100.00."


def test_a_record_that_breaks_a_rule_now_is_listed(world: World) -> None:
    world.log(1, start_date=date(2025, 7, 7), end_date=date(2025, 7, 11), host_country="IT")
    with write_session(world.engine) as session:  # Italy leaves the programme (a setting)
        session.execute(sa.text("DELETE FROM eligible_country WHERE code = 'IT'"))
    (found,) = [i for i in items(world) if i.kind == "rule_error"]
    assert found.reference == "ALPHA-001"
    assert found.message.startswith("Host country Italy (IT) is not eligible")


def test_missing_report_data(world: World) -> None:
    world.log(1, ecosystem=None)
    world.log(2, ecosystem=None, activity=None, distance_km=None)
    world.log(3, modality="virtual", distance_km=None)  # no distance needed for a virtual stay
    world.log(4, status="completed", activity=None)
    found = [i for i in items(world) if i.kind == "missing_data"]
    assert summary(found) == [
        ("missing_data", "ALPHA-001"),
        ("missing_data", "ALPHA-002"),
        ("missing_data", "ALPHA-004"),
    ]
    assert found[0].message.startswith("No ecosystem recorded (Visitor Cluster 1 (DE)")
    assert found[1].message.startswith("No ecosystem, activity and distance recorded")
    assert found[2].message.startswith("No activity recorded")


def test_each_actor_gets_their_own_partnerships(world: World) -> None:
    world.log(1, status="completed")
    world.log(2, partnership="BETA", reference="BETA-001", status="completed")
    assert summary(items(world, "coordinator")) == [("unpaid", "ALPHA-001")]
    assert summary(items(world, "other coordinator")) == [("unpaid", "BETA-001")]
    assert {i.reference for i in items(world, "admin")} == {"ALPHA-001", "BETA-001"}
    assert items(world, "deactivated") == []


def test_nothing_to_do(world: World) -> None:
    assert items(world) == []
    world.log(1, start_date=date(2025, 7, 7), end_date=date(2025, 7, 11))
    assert items(world) == []
    # The day after it ends, it needs validating.
    assert summary(items(world, today=date(2025, 7, 12))) == [("not_validated", "ALPHA-001")]


def test_items_group_by_kind_in_order() -> None:
    one = AttentionItem("unpaid", 1, "A-1", "ALPHA", "m")
    two = AttentionItem("dates_passed", 2, "A-2", "ALPHA", "m")
    grouped = attention.by_kind([one, two])
    assert list(grouped) == list(attention.KINDS)
    assert grouped["unpaid"] == [one] and grouped["dates_passed"] == [two]
    assert grouped["missing_data"] == []
    assert set(attention.ADVICE) == set(attention.KINDS)
