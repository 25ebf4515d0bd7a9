"""The KPI summaries (kpi_daily, kpi_flow) stay equal to a fresh GROUP BY over `exchange`.

After every kind of write (through the service, plain SQL, or a bulk load inside
`summary.suspended`) the trigger-kept tables must hold what recomputing them from scratch gives.
The expected sums are written here, independently of `xchange.db.summary`, as one GROUP BY each.

Triggers leave a row behind when its last exchange moves away (every measure back to 0); such
rows weigh nothing in any sum and the KPI queries skip them (`kpi.summary_conditions`), so the
comparison leaves them out too (and checks that they are all zeros).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from xchange.db import summary
from xchange.db.engine import LOCAL_ADMIN_EMAIL, alembic_config, make_engine, upgrade, write_session
from xchange.models import Exchange, KpiDaily, KpiFlow, Organisation, Partnership, User
from xchange.programme.partnerships import add_partnership
from xchange.register import service
from xchange.register.service import ExchangeIn

TODAY = date(2026, 11, 25)
MONDAY = date(2026, 2, 2)  # Q1; stays run Monday to Friday

BASE: dict[str, Any] = {
    "partnership": "ALPHA",
    "status": "completed",
    "modality": "physical",
    "start_date": MONDAY,
    "end_date": MONDAY + timedelta(days=4),
    "visitor_type": "cluster organisation",
    "visitor_country": "DE",
    "visitor_is_sme": False,
    "visitor_community": "partner",
    "host_organisation": "Host Hub",
    "host_type": "university",
    "host_country": "FR",
    "host_is_sme": False,
    "host_community": "partner",
}

E = sa.table(
    "exchange",
    *(
        sa.column(name)
        for name in (
            "partnership_id",
            "end_quarter",
            "status",
            "modality",
            "visitor_country",
            "host_country",
            "involves_sme",
            "visitor_external",
            "host_external",
            "visitor_partner",
            "host_partner",
            "visitor_is_sme",
            "host_is_sme",
            "reduced_rate",
            "lump_sum_cents",
            "paid_cents",
            "paid_on",
        )
    ),
    sa.column("end_date", sa.Date),
)


def _flag(condition: Any) -> Any:
    return sa.func.sum(sa.case((condition, 1), else_=0))


# Each summary table: its key columns, and each measure as a SQL sum over the exchange table.
EXPECTED: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    "kpi_daily": (
        ("partnership_id", "end_date", "end_quarter", "status", "modality"),
        {
            "n": sa.func.count(),
            "sme": _flag(E.c.involves_sme),
            "beyond_broad": _flag(sa.or_(E.c.visitor_external, E.c.host_external)),
            "beyond_narrow": _flag(sa.not_(sa.and_(E.c.visitor_partner, E.c.host_partner))),
            "visitor_sme": _flag(E.c.visitor_is_sme),
            "host_sme": _flag(E.c.host_is_sme),
            "reduced": _flag(E.c.reduced_rate),
            "lump_sum_cents": sa.func.sum(E.c.lump_sum_cents),
            "paid_cents": sa.func.sum(sa.func.coalesce(E.c.paid_cents, 0)),
            "paid_n": _flag(E.c.paid_on.isnot(None)),
        },
    ),
    "kpi_flow": (
        ("partnership_id", "end_quarter", "status", "modality", "visitor_country", "host_country"),
        {
            "n": sa.func.count(),
            "sme": _flag(E.c.involves_sme),
            "beyond_broad": _flag(sa.or_(E.c.visitor_external, E.c.host_external)),
            "beyond_narrow": _flag(sa.not_(sa.and_(E.c.visitor_partner, E.c.host_partner))),
        },
    ),
}
MODELS = {"kpi_daily": KpiDaily, "kpi_flow": KpiFlow}

Sums = dict[tuple[Any, ...], tuple[int, ...]]


def expected_sums(connection: sa.Connection, table: str) -> Sums:
    """The summary `table` recomputed from `exchange`: key -> measures."""
    keys, measures = EXPECTED[table]
    key_columns = [E.c[k] for k in keys]
    query = sa.select(*key_columns, *measures.values()).select_from(E).group_by(*key_columns)
    return {
        tuple(row[: len(keys)]): tuple(int(v) for v in row[len(keys) :])
        for row in connection.execute(query)
    }


def stored_sums(connection: sa.Connection, table: str) -> Sums:
    """The summary `table` as the triggers left it, rows gone back to zero left out."""
    keys, measures = EXPECTED[table]
    model_table = MODELS[table].__table__  # type: ignore[attr-defined]
    rows = connection.execute(
        sa.select(*(model_table.c[k] for k in keys), *(model_table.c[m] for m in measures))
    ).all()
    found: Sums = {}
    for row in rows:
        key, values = tuple(row[: len(keys)]), tuple(int(v) for v in row[len(keys) :])
        assert min(values) >= 0, (table, key, values)
        if values[0] == 0:  # n == 0: every exchange of this key has moved away
            assert set(values) == {0}, (table, key, values)
            continue
        found[key] = values
    return found


def assert_summaries_match(engine: Engine) -> None:
    """Both summaries equal the GROUP BY, and equal what `summary.rebuild` computes."""
    with engine.connect() as connection, connection.begin() as transaction:
        for table in EXPECTED:
            assert stored_sums(connection, table) == expected_sums(connection, table), table
        summary.rebuild(connection)  # rolled back below: the check must not repair anything
        for table in EXPECTED:
            assert stored_sums(connection, table) == expected_sums(connection, table), table
        transaction.rollback()


# --- a small register and the writes -----------------------------------------------------------


def admin(session: Session) -> User:
    return session.exec(select(User).where(User.email == LOCAL_ADMIN_EMAIL)).one()


def add_partnerships(session: Session) -> None:
    for acronym in ("ALPHA", "BETA"):
        add_partnership(
            session=session,
            actor=admin(session),
            acronym=acronym,
            name=f"{acronym} partnership",
            action_start=date(2025, 7, 1),
            action_end=date(2027, 6, 30),
        )


def create(session: Session, n: int, **changes: Any) -> Exchange:
    values = {**BASE, "reference": f"R-{n:03}", "visitor_organisation": f"Visitor {n:03}"}
    values.update(changes)
    return service.create_exchange(
        session=session, actor=admin(session), data=ExchangeIn(**values), today=TODAY
    )


# Four exchanges of different kinds; `ids` maps their names to ids.
REGISTER: dict[str, dict[str, Any]] = {
    # Completed, physical, an SME host beyond the community.
    "counted": {"host_is_sme": True, "host_type": "SME", "host_community": "external"},
    # Took place, its closing report not yet validated: ready to complete.
    "confirmed": {"status": "confirmed", "visitor_country": "IT", "host_community": "member"},
    # Virtual, in another partnership; never funded.
    "virtual": {"partnership": "BETA", "modality": "virtual", "host_country": "ES"},
    # Next year: pipeline.
    "planned": {
        "status": "planned",
        "start_date": date(2027, 1, 11),
        "end_date": date(2027, 1, 15),
        "distance_km": 120.0,  # reduced rate
    },
}


def seed(engine: Engine) -> dict[str, int]:
    with write_session(engine) as session:
        add_partnerships(session)
        ids = {}
        for n, (name, changes) in enumerate(REGISTER.items(), start=1):
            exchange = create(session, n, **changes)
            assert exchange.id is not None
            ids[name] = exchange.id
    return ids


def update(session: Session, exchange_id: int, **changes: Any) -> Exchange:
    exchange = session.get(Exchange, exchange_id)
    assert exchange is not None
    data = service.exchange_in(session, exchange).model_copy(update=changes)
    return service.update_exchange(
        session=session,
        actor=admin(session),
        exchange_id=exchange_id,
        expected_version=exchange.version,
        data=data,
        today=TODAY,
    )


def version(session: Session, exchange_id: int) -> int:
    exchange = session.get(Exchange, exchange_id)
    assert exchange is not None
    return exchange.version


def _create(session: Session, ids: dict[str, int]) -> None:
    create(session, 10, visitor_is_sme=True, visitor_type="SME", visitor_community="external")


def _update_counted_field(session: Session, ids: dict[str, int]) -> None:
    # SME and community are measures: the old sums go, the new ones come.
    update(session, ids["counted"], host_is_sme=False, host_community="partner")


def _update_other_field(session: Session, ids: dict[str, int]) -> None:
    update(session, ids["counted"], notes="a note changes no figure")


def _cancel(session: Session, ids: dict[str, int]) -> None:
    service.cancel_exchange(
        session=session,
        actor=admin(session),
        exchange_id=ids["counted"],
        expected_version=version(session, ids["counted"]),
        reason="The host closed",
    )


def _complete(session: Session, ids: dict[str, int]) -> None:
    service.complete_exchange(
        session=session,
        actor=admin(session),
        exchange_id=ids["confirmed"],
        expected_version=version(session, ids["confirmed"]),
        validated_on=TODAY,
        validated_by="Officer",
        today=TODAY,
    )


def _pay(session: Session, ids: dict[str, int]) -> None:
    service.record_payment(
        session=session,
        actor=admin(session),
        exchange_id=ids["counted"],
        expected_version=version(session, ids["counted"]),
        paid_on=TODAY,
        paid_eur=550,
    )


def _end_date_to_next_quarter(session: Session, ids: dict[str, int]) -> None:
    # Q1 -> Q2: a key of both summaries changes (end date and quarter).
    update(session, ids["counted"], start_date=date(2026, 4, 6), end_date=date(2026, 4, 10))


def _move_partnership_and_country(session: Session, ids: dict[str, int]) -> None:
    update(session, ids["confirmed"], partnership="BETA", host_country="AT")


def _delete_by_sql(session: Session, ids: dict[str, int]) -> None:
    session.execute(sa.text("DELETE FROM exchange WHERE id = :id"), {"id": ids["counted"]})


def _bulk_copies(session: Session) -> list[dict[str, Any]]:
    """Copies of the register's rows (three of each, some paid, every fourth completed) with
    new references and visitors, ready to insert."""
    connection = session.connection()
    table = Exchange.__table__  # type: ignore[attr-defined]
    rows = [dict(r._mapping) for r in connection.execute(sa.select(table))]
    copies = []
    for n, row in enumerate(rows * 3):
        org = connection.execute(
            sa.insert(Organisation.__table__).values(  # type: ignore[attr-defined]
                name=f"Bulk {n}",
                name_key=f"bulk {n}",
                type="cluster_organisation",
                country=row["visitor_country"],
                is_sme=False,
                created_at=row["created_at"],
            )
        ).inserted_primary_key
        assert org is not None
        row = {**row, "reference": f"BULK-{n}", "visitor_org_id": org[0]}
        row.pop("id")
        if n % 4 == 0:
            row["status"] = "completed"
        if n % 3 == 0:
            row |= {"paid_on": date(2026, 3, 1), "paid_cents": 55_000}
        copies.append(row)
    return copies


def _bulk_insert_suspended(session: Session, ids: dict[str, int]) -> None:
    """Copies of the register's rows, written in bulk; the summaries rebuilt."""
    copies = _bulk_copies(session)
    connection = session.connection()
    with summary.suspended(connection):
        for row in copies:
            connection.execute(sa.insert(Exchange.__table__).values(**row))  # type: ignore[attr-defined]


def _bulk_insert_added(session: Session, ids: dict[str, int]) -> None:
    """The same copies, their sums added from the rows in hand (as a large import does)."""
    copies = _bulk_copies(session)
    connection = session.connection()
    sums: Mapping[str, Any] = summary.sums_of(pd.DataFrame(copies, dtype=object))
    with summary.suspended(connection, added=lambda: sums):
        for row in copies:
            connection.execute(sa.insert(Exchange.__table__).values(**row))  # type: ignore[attr-defined]


WRITES: dict[str, Callable[[Session, dict[str, int]], None]] = {
    "create": _create,
    "update-counted-field": _update_counted_field,
    "update-unwatched-field": _update_other_field,
    "cancel": _cancel,
    "complete": _complete,
    "record-payment": _pay,
    "end-date-to-another-quarter": _end_date_to_next_quarter,
    "move-partnership-and-host-country": _move_partnership_and_country,
    "delete-by-sql": _delete_by_sql,
    "bulk-insert-suspended": _bulk_insert_suspended,
    "bulk-insert-added": _bulk_insert_added,
}


@pytest.mark.parametrize("write", WRITES)
def test_summaries_follow_each_kind_of_write(engine: Engine, write: str) -> None:
    ids = seed(engine)
    assert_summaries_match(engine)
    with write_session(engine) as session:
        WRITES[write](session, ids)
    assert_summaries_match(engine)


def test_the_writes_do_change_the_summaries(engine: Engine) -> None:
    """Guards the test above: the summaries are not empty and moved with the writes."""
    ids = seed(engine)
    with engine.connect() as connection:
        before = stored_sums(connection, "kpi_daily")
    assert sum(values[0] for values in before.values()) == len(REGISTER)
    with write_session(engine) as session:
        _end_date_to_next_quarter(session, ids)
        _complete(session, ids)
    with engine.connect() as connection:
        after = stored_sums(connection, "kpi_daily")
    by_quarter: Counter[tuple[str, str]] = Counter()
    for (_, _, quarter, status, _), values in after.items():
        by_quarter[quarter, status] += values[0]
    # The moved stay in Q2; the virtual one and the one just completed in Q1; the planned one.
    assert by_quarter == {
        ("2026Q2", "completed"): 1,
        ("2026Q1", "completed"): 2,
        ("2027Q1", "planned"): 1,
    }


# --- random sequences of writes (SQLite) -----------------------------------------------------

operations = st.lists(
    st.tuples(
        st.sampled_from(("create", "update", "move", "cancel", "complete", "pay", "delete")),
        st.integers(min_value=0, max_value=50),  # picks an exchange, a date, a flag
    ),
    min_size=1,
    max_size=6,
)


def apply(session: Session, operation: str, pick: int, n: int) -> None:
    """One service operation (or a plain SQL delete) on the exchange `pick` designates."""
    existing = session.exec(select(Exchange).order_by(sa.column("id"))).all()
    open_ones = [e for e in existing if e.status in ("planned", "confirmed")]
    monday = date(2026, 1, 5) + timedelta(weeks=pick % 40)
    if operation == "create" or not existing:
        create(
            session,
            100 + n,
            partnership=("ALPHA", "BETA")[pick % 2],
            status=("completed", "confirmed", "planned")[pick % 3],
            modality=("physical", "physical", "virtual")[pick % 3],
            start_date=monday,
            end_date=monday + timedelta(days=2 + pick % 3),
            visitor_is_sme=bool(pick % 2),
            host_community=("partner", "member", "external")[pick % 3],
        )
        return
    exchange = existing[pick % len(existing)]
    assert exchange.id is not None
    if operation == "update" and exchange.status != "cancelled":
        update(
            session,
            exchange.id,
            start_date=monday,
            end_date=monday + timedelta(days=4),
            host_is_sme=not exchange.host_is_sme,
            host_country=("FR", "AT", "ES")[pick % 3],
        )
    elif operation == "move" and exchange.status != "cancelled":
        partnership = session.get(Partnership, exchange.partnership_id)
        assert partnership is not None
        update(
            session, exchange.id, partnership="BETA" if partnership.acronym == "ALPHA" else "ALPHA"
        )
    elif operation == "cancel" and exchange.status != "cancelled":
        service.cancel_exchange(
            session=session,
            actor=admin(session),
            exchange_id=exchange.id,
            expected_version=exchange.version,
            reason="Cancelled",
        )
    elif operation == "complete" and open_ones:
        chosen = open_ones[pick % len(open_ones)]
        if chosen.end_date <= TODAY:
            assert chosen.id is not None
            service.complete_exchange(
                session=session,
                actor=admin(session),
                exchange_id=chosen.id,
                expected_version=chosen.version,
                validated_on=TODAY,
                validated_by="Officer",
                today=TODAY,
            )
    elif operation == "pay":
        service.record_payment(
            session=session,
            actor=admin(session),
            exchange_id=exchange.id,
            expected_version=exchange.version,
            paid_on=TODAY,
            paid_eur=pick * 10,
        )
    elif operation == "delete":
        session.execute(sa.text("DELETE FROM exchange WHERE id = :id"), {"id": exchange.id})


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=operations)
def test_summaries_follow_random_writes(
    sqlite_engine: Engine, steps: list[tuple[str, int]]
) -> None:
    # Each example reuses the test's database, emptied first (the deletes go through the
    # triggers too); the summaries are emptied with it so that no example sees another's rows.
    with write_session(sqlite_engine) as session:
        # The audit trail stays: it is append-only (migration 0005) and no figure reads it.
        for table in ("exchange", "organisation", "kpi_daily", "kpi_flow"):
            session.execute(sa.text(f"DELETE FROM {table}"))  # noqa: S608 (fixed names)
        if not session.exec(select(sa.func.count()).select_from(sa.table("partnership"))).one():
            add_partnerships(session)
    for n, (operation, pick) in enumerate(steps):
        with write_session(sqlite_engine) as session:
            apply(session, operation, pick, n)
        assert_summaries_match(sqlite_engine)


# --- the triggers and `suspended` --------------------------------------------------------------


def trigger_names(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            query = (
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'exchange'"
            )
        else:
            query = (
                "SELECT tgname FROM pg_trigger"
                " WHERE tgrelid = 'exchange'::regclass AND NOT tgisinternal"
            )
        return set(connection.exec_driver_sql(query).scalars())


def expected_triggers(engine: Engine) -> set[str]:
    if engine.dialect.name == "sqlite":
        return {"kpi_summary_insert", "kpi_summary_delete", "kpi_summary_update"}
    # On PostgreSQL one trigger covers inserts and deletes.
    return {"kpi_summary_insert", "kpi_summary_update"}


def test_triggers_exist_after_upgrade_and_after_upgrading_again(engine: Engine) -> None:
    assert trigger_names(engine) == expected_triggers(engine)
    upgrade(engine)  # at head already: nothing to do, nothing lost
    assert trigger_names(engine) == expected_triggers(engine)
    seed(engine)
    assert_summaries_match(engine)


def test_a_new_database_gets_the_triggers(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'new.db'}")
    try:
        upgrade(engine)
        upgrade(engine)
        assert trigger_names(engine) == expected_triggers(engine)
    finally:
        engine.dispose()


def test_the_migration_builds_the_summaries_from_existing_exchanges(sqlite_engine: Engine) -> None:
    """Down to the register schema and up again: the summaries start from the stored rows."""
    from alembic import command

    seed(sqlite_engine)
    config = alembic_config(sqlite_engine.url.render_as_string(hide_password=False))
    with sqlite_engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")
    assert trigger_names(sqlite_engine) == set()
    upgrade(sqlite_engine)
    assert trigger_names(sqlite_engine) == expected_triggers(sqlite_engine)
    with sqlite_engine.connect() as connection:
        assert sum(v[0] for v in stored_sums(connection, "kpi_daily").values()) == len(REGISTER)
    assert_summaries_match(sqlite_engine)


class BulkLoadFailed(Exception):
    pass


def test_suspended_rolls_back_with_its_transaction(engine: Engine) -> None:
    """An error inside: triggers back in place, no row of the load, summaries untouched."""
    seed(engine)
    with engine.connect() as connection:
        before = {table: stored_sums(connection, table) for table in EXPECTED}
    with pytest.raises(BulkLoadFailed), write_session(engine) as session:
        _bulk_insert_suspended(session, {})  # a full load inside `suspended`...
        with summary.suspended(session.connection()):
            session.execute(sa.text("DELETE FROM exchange"))
            assert trigger_names_in(session) == set()  # dropped inside the transaction
            raise BulkLoadFailed  # ...then a second one fails half-way
    assert trigger_names(engine) == expected_triggers(engine)
    with engine.connect() as connection:
        count = connection.execute(sa.select(sa.func.count()).select_from(E)).scalar_one()
        assert count == len(REGISTER)
        assert {table: stored_sums(connection, table) for table in EXPECTED} == before
    assert_summaries_match(engine)
    # The triggers that came back work.
    with write_session(engine) as session:
        _create(session, {})
    assert_summaries_match(engine)


def trigger_names_in(session: Session) -> set[str]:
    """The triggers as this session's own transaction sees them."""
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'exchange'"
    else:
        query = (
            "SELECT tgname FROM pg_trigger"
            " WHERE tgrelid = 'exchange'::regclass AND NOT tgisinternal"
        )
    return set(connection.exec_driver_sql(query).scalars())
