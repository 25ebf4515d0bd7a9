"""Demo data: deterministic, realistic, and every exchange follows the rules (xchange.demo.load)."""

from __future__ import annotations

import unicodedata
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from xchange.accounts.auth import verify_password
from xchange.db import summary
from xchange.db.engine import LOCAL_ADMIN_EMAIL, is_sqlite, make_engine, upgrade
from xchange.demo import facts as demo_facts
from xchange.demo import generate as demo_gen
from xchange.demo import load as demo
from xchange.demo import words as demo_words
from xchange.errors import XchangeError
from xchange.models import (
    AuditEvent,
    Exchange,
    HostCountryRate,
    Organisation,
    Partnership,
    PathMilestone,
    Person,
    ReportingPeriod,
    User,
    UserPartnership,
)
from xchange.reference import DEFAULT_ELIGIBLE, name_key
from xchange.register.parsing import COLUMNS
from xchange.register.rules import derived_facts, load_context, validate

TODAY = date(2026, 5, 20)
SEED = 7
# Warnings the demo may draw, and why: a planned stay whose dates passed is the "overdue"
# story; the programme has no virtual window, so each virtual stay is outside it.
EXPECTED_WARNINGS = {"planned_dates_passed", "virtual_outside_window"}
FACTS = (
    "end_quarter",
    "working_days",
    "reduced_rate",
    "involves_sme",
    "visitor_external",
    "host_external",
    "visitor_partner",
    "host_partner",
)


def _sqlite_engine(path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    return engine


def _dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every demo table's rows in id order, typed by SQLAlchemy (comparable across databases).

    Left out: password hashes (salted) and the audit event's moment (when the load ran).
    """
    tables: dict[str, Any] = {
        "partnership": Partnership,
        "reporting_period": ReportingPeriod,
        "path_milestone": PathMilestone,
        "host_country_rate": HostCountryRate,
        "organisation": Organisation,
        "person": Person,
        "exchange": Exchange,
    }
    dump: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as connection:
        for name, model in tables.items():
            table = model.__table__
            rows = connection.execute(sa.select(table).order_by(table.c.id)).all()
            dump[name] = [tuple(row) for row in rows]
        demo_emails = [email for email, _role in demo.DEMO_ACCOUNTS]
        users = connection.execute(
            sa.select(User.email, User.role, User.created_at)
            .where(sa.column("email").in_(demo_emails))
            .order_by(User.email)
        ).all()
        dump["app_user"] = [tuple(row) for row in users]
        links = connection.execute(
            sa.select(UserPartnership.user_id, UserPartnership.partnership_id).order_by(
                UserPartnership.partnership_id
            )
        ).all()
        dump["user_partnership"] = [tuple(row) for row in links]
    return dump


def _canonical(engine: Engine) -> pd.DataFrame:
    """The stored exchanges as canonical import columns, in id order, with the stored facts."""
    visitor = aliased(Organisation)
    host = aliased(Organisation)
    x = Exchange.__table__.c
    query = (
        sa.select(
            x.reference,
            Partnership.acronym.label("partnership"),
            x.status,
            x.modality,
            x.start_date,
            x.end_date,
            visitor.name.label("visitor_organisation"),
            host.name.label("host_organisation"),
            x.visitor_type,
            x.host_type,
            x.visitor_country,
            x.host_country,
            x.visitor_is_sme,
            x.host_is_sme,
            x.visitor_community,
            x.host_community,
            x.ecosystem,
            x.activity,
            Person.name.label("representative"),
            x.distance_km,
            (x.lump_sum_cents / 100.0).label("lump_sum_eur"),
            x.cancellation_reason,
            x.notes,
            *(x[name] for name in FACTS),
            x.lump_sum_cents,
        )
        .join(Partnership, Partnership.id == x.partnership_id)
        .join(visitor, visitor.id == x.visitor_org_id)
        .join(host, host.id == x.host_org_id)
        .outerjoin(Person, Person.id == x.representative_id)
        .order_by(x.id)
    )
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    frame = pd.DataFrame([tuple(row) for row in rows], columns=list(rows[0]._fields))
    for side in ("visitor", "host"):
        frame[f"{side}_is_sme"] = frame[f"{side}_is_sme"].map({True: "yes", False: "no"})
    frame.index = pd.RangeIndex(2, len(frame) + 2)  # spreadsheet rows, as an import has them
    return frame


# --- determinism -------------------------------------------------------------------------------


def test_same_seed_same_data_on_either_database(engine: Engine, tmp_path: Path) -> None:
    demo.load_demo(engine, exchanges=1500, seed=SEED, today=TODAY)
    other = _sqlite_engine(tmp_path / "again.db")
    try:
        demo.load_demo(other, exchanges=1500, seed=SEED, today=TODAY)
        assert _dump(engine) == _dump(other)
    finally:
        other.dispose()


def test_same_seed_byte_identical_sqlite_files(tmp_path: Path) -> None:
    dumps = []
    for name in ("one.db", "two.db"):
        engine = _sqlite_engine(tmp_path / name)
        try:
            demo.load_demo(engine, exchanges=800, seed=SEED, today=TODAY)
            with engine.connect() as connection:
                # The stored text itself, not values read back: byte for byte.
                dumps.append(
                    [
                        connection.exec_driver_sql(f"SELECT * FROM {table} ORDER BY id").all()  # noqa: S608
                        for table in ("organisation", "person", "exchange", "partnership")
                    ]
                )
        finally:
            engine.dispose()
    assert dumps[0] == dumps[1]


def test_another_seed_or_day_gives_other_data() -> None:
    first = demo.demo_frame(300, seed=SEED, today=TODAY)
    assert not first.equals(demo.demo_frame(300, seed=SEED + 1, today=TODAY))
    assert not first.equals(demo.demo_frame(300, seed=SEED, today=date(2026, 8, 3)))
    assert first.equals(demo.demo_frame(300, seed=SEED, today=TODAY))


def test_passwords_follow_the_seed() -> None:
    assert demo.demo_passwords(SEED) == demo.demo_passwords(SEED)
    assert demo.demo_passwords(SEED) != demo.demo_passwords(SEED + 1)
    assert demo.demo_passwords(demo.DEFAULT_SEED) == demo.DEMO_PASSWORDS
    for password in demo.demo_passwords(SEED).values():
        assert password.startswith("demo-") and len(password) >= 10


# --- the rules ---------------------------------------------------------------------------------


def test_every_exchange_passes_the_rules(engine: Engine) -> None:
    demo.load_demo(engine, exchanges=2000, seed=SEED, today=TODAY)
    stored = _canonical(engine)
    raw = stored[list(COLUMNS)]
    with Session(engine) as session:
        ctx = load_context(session, raw, today=TODAY)
    result = validate(raw, ctx)

    assert result.errors == []
    assert {issue.code for issue in result.warnings} == EXPECTED_WARNINGS
    # Every stored fact is the rules' own, and the lump sum is the rule's (no "differs" warning).
    for name in FACTS:
        assert stored[name].tolist() == result.table[name].tolist(), name
    assert stored["lump_sum_cents"].tolist() == result.table["rule_lump_sum_cents"].tolist()


def test_demo_frame_is_what_load_demo_stores_and_imports_cleanly(sqlite_engine: Engine) -> None:
    demo.load_demo(sqlite_engine, exchanges=0, seed=SEED, today=TODAY)
    frame = demo.demo_frame(1200, seed=SEED, today=TODAY)
    frame.index = pd.RangeIndex(2, len(frame) + 2)
    with Session(sqlite_engine) as session:
        ctx = load_context(session, frame, today=TODAY)
    result = validate(frame, ctx)
    assert result.errors == []
    assert {issue.code for issue in result.warnings} <= EXPECTED_WARNINGS


def test_stored_facts_equal_derived_facts_on_every_row() -> None:
    data = demo_gen.generate(4000, SEED, TODAY)
    facts = demo_facts.stored_facts(data)
    expected = derived_facts(
        demo_facts.typed_table(data), demo_facts.rule_context(data.partnerships, TODAY)
    )
    for name in (*FACTS, "lump_sum_cents"):
        assert facts[name].tolist() == expected[name].tolist(), name
    demo_facts.verify_facts(data, facts, TODAY, rows=np.arange(data.exchanges))


def test_organisation_keys_are_name_keys() -> None:
    data = demo_gen.generate(3000, SEED, TODAY)
    demo_facts.verify_keys(data, rows=np.arange(len(data.org_name)))
    assert data.org_key.tolist() == [name_key(name) for name in data.org_name]
    # The shortcut behind the keys holds because every word is NFKC-normal.
    texts = [
        *(
            w
            for spec in demo_words.COUNTRIES.values()
            for w in (
                *spec.regions,
                *spec.cities,
                *spec.first_names,
                *spec.last_names,
                spec.sme_form,
                spec.large_form,
            )
        ),
        *(w for sector in demo_words.SECTORS.values() for w in sector),
        *(t for templates in demo_words.TEMPLATES.values() for t in templates),
        *demo_words.STEM_FIRST,
        *demo_words.STEM_MIDDLE,
        *demo_words.STEM_LAST,
        *demo_words.PRODUCTS,
        *demo_words.QUALIFIERS,
    ]
    assert [t for t in texts if unicodedata.normalize("NFKC", t) != t] == []
    assert list(demo_words.COUNTRIES) == list(DEFAULT_ELIGIBLE)


def test_verify_facts_catches_a_wrong_fact() -> None:
    data = demo_gen.generate(500, SEED, TODAY)
    facts = demo_facts.stored_facts(data)
    facts["working_days"] = facts["working_days"].copy()
    facts["working_days"][123] += 1
    with pytest.raises(AssertionError, match="working_days of exchange 123"):
        demo_facts.verify_facts(data, facts, TODAY, rows=np.arange(data.exchanges))


def test_bulk_rows_cover_every_column() -> None:
    # A column added to the schema must be added to the bulk load too: say so plainly here.
    data = demo_gen.generate(50, SEED, TODAY)
    facts = demo_facts.stored_facts(data)
    columns = demo.exchange_columns(data, facts, list(range(1, 13)), (1, 1, 1), True)
    written = [*columns, *demo.exchange_constants(1)]
    assert sorted(written) == sorted(column.name for column in Exchange.__table__.columns)
    assert set(demo.ORGANISATION_COLUMNS) == {c.name for c in Organisation.__table__.columns}
    assert set(demo.PERSON_COLUMNS) == {column.name for column in Person.__table__.columns}


def test_organisations_are_consistent(sqlite_engine: Engine) -> None:
    demo.load_demo(sqlite_engine, exchanges=1500, seed=SEED, today=TODAY)
    with Session(sqlite_engine) as session:
        orgs = session.exec(select(Organisation)).all()
        exchanges = session.exec(select(Exchange)).all()
    by_id = {org.id: org for org in orgs}
    for org in orgs:
        assert org.name_key == name_key(org.name)
        assert org.country in DEFAULT_ELIGIBLE
        if org.type == "sme":
            assert org.is_sme and org.size_class is not None
        if org.type in ("large_company", "public_authority", "university"):
            assert not org.is_sme
        if not org.is_sme:
            assert org.size_class is None
    visits: Counter[int] = Counter()
    for x in exchanges:
        visitor, host = by_id[x.visitor_org_id], by_id[x.host_org_id]
        # As logged: the organisation's own profile at the time.
        assert (x.visitor_type, x.visitor_country, x.visitor_is_sme) == (
            visitor.type,
            visitor.country,
            visitor.is_sme,
        )
        assert (x.host_type, x.host_country, x.host_is_sme) == (
            host.type,
            host.country,
            host.is_sme,
        )
        if x.modality == "physical" and x.status != "cancelled":
            visits[x.visitor_org_id] += 1
    assert max(visits.values()) == 1
    # Hosts repeat; most visitors are new organisations; a few cancelled visitors rebooked.
    hosts = Counter(x.host_org_id for x in exchanges)
    assert hosts.most_common(1)[0][1] > 10
    assert len({x.visitor_org_id for x in exchanges}) > 0.9 * len(exchanges)
    assert len({x.visitor_org_id for x in exchanges}) < len(exchanges)


# --- the story ---------------------------------------------------------------------------------


def test_shares_and_statuses_tell_the_intended_story() -> None:
    frame = demo.demo_frame(6000, seed=SEED, today=TODAY)
    data = demo_gen.generate(6000, SEED, TODAY)
    facts = pd.DataFrame(demo_facts.stored_facts(data))
    facts["partnership"] = frame["partnership"]
    facts["status"] = frame["status"]
    facts["modality"] = frame["modality"]
    counted = facts[(facts.status == "completed") & (facts.modality == "physical")]
    beyond = counted.visitor_external | counted.host_external
    assert 0.48 <= counted.involves_sme.mean() <= 0.58
    assert 0.23 <= beyond.mean() <= 0.33
    by_partnership = counted.assign(beyond=beyond).groupby("partnership")
    sme = by_partnership.involves_sme.mean()
    external = by_partnership.beyond.mean()
    assert sme["MTC"] < 0.35 and sme.idxmin() == "MTC"  # short of SMEs
    assert external["DGB"] < 0.12 and external.idxmin() == "DGB"  # inward-looking
    targets = pd.Series({spec.acronym: spec.target for spec in demo_words.PARTNERSHIPS})
    per_target = by_partnership.size() / targets
    assert per_target.idxmin() == "BRES"  # slow

    statuses = frame.status.value_counts(normalize=True)
    assert 0.03 <= statuses["cancelled"] <= 0.07
    assert statuses["completed"] > 0.6 and statuses["planned"] > 0.02
    assert frame.cancellation_reason.notna().tolist() == (frame.status == "cancelled").tolist()
    assert 0 < (frame.modality == "virtual").mean() < 0.03
    assert (facts.working_days >= 3).all()
    assert 0.1 < facts.reduced_rate.mean() < 0.3
    distance = pd.to_numeric(frame.distance_km)
    assert 0.8 < distance.notna().mean() < 0.95 and (distance < 200).any()
    assert frame.representative.notna().mean() > 0.3


def test_dates_are_relative_to_today(sqlite_engine: Engine) -> None:
    summary = demo.load_demo(sqlite_engine, exchanges=2000, seed=SEED, today=TODAY)
    assert (summary.partnerships, summary.exchanges) == (12, 2000)
    with Session(sqlite_engine) as session:
        parts = session.exec(select(Partnership)).all()
        exchanges = session.exec(select(Exchange)).all()
        periods = session.exec(select(ReportingPeriod)).all()
        rates = session.exec(select(HostCountryRate)).all()
    for part in parts:
        months = (
            (part.action_end.year - part.action_start.year) * 12
            + (part.action_end.month - part.action_start.month)
            + 1
        )
        assert 20 <= months <= 24 and part.action_start < TODAY
    ending_soon = [p for p in parts if (p.action_end - TODAY).days < 75]
    assert 1 <= len(ending_soon) <= 2
    assert sorted({p.target_exchanges for p in parts}) == [80, 100, 120]
    assert Counter(p.label for p in periods) == {"interim": 12, "final": 12}
    assert len({r.partnership_id for r in rates}) == 2
    # The last eight quarters, and a short pipeline ahead.
    quarters = sorted({x.end_quarter for x in exchanges})
    assert quarters[0] >= "2024Q3" and quarters[-1] <= "2026Q4" and len(quarters) >= 8
    for x in exchanges:
        assert x.created_at.date() < TODAY and x.updated_at >= x.created_at
        if x.status == "completed":
            assert x.end_date <= TODAY and x.validated_on is not None
            assert x.validated_on < TODAY and x.working_days >= 3
        if x.paid_on is not None:
            assert x.paid_on < TODAY and x.paid_cents == x.lump_sum_cents > 0
        if x.start_date > TODAY:
            assert x.status in ("planned", "confirmed", "cancelled")
    references = Counter((x.partnership_id, x.reference) for x in exchanges)
    assert max(references.values()) == 1


# --- accounts, audit, refusals -------------------------------------------------------------------


def test_accounts_audit_and_authorship(engine: Engine) -> None:
    summary = demo.load_demo(engine, exchanges=300, seed=SEED, today=TODAY)
    passwords = demo.demo_passwords(SEED)
    assert [(email, role) for email, role, _ in summary.accounts] == [
        ("admin@demo.eu", "admin"),
        ("officer@demo.eu", "officer"),
        ("coordinator@demo.eu", "coordinator"),
    ]
    with Session(engine) as session:
        admin = session.exec(select(User).where(User.email == LOCAL_ADMIN_EMAIL)).one()
        for email, role, password in summary.accounts:
            user = session.exec(select(User).where(User.email == email)).one()
            assert user.role == role and password == passwords[email]
            assert user.password_hash and verify_password(user.password_hash, password)
        coordinator = session.exec(select(User).where(User.email == "coordinator@demo.eu")).one()
        links = session.exec(
            select(Partnership.acronym)
            .join(UserPartnership, UserPartnership.partnership_id == Partnership.id)
            .where(UserPartnership.user_id == coordinator.id)
        ).all()
        assert sorted(links) == ["GTEX", "MTC"]
        events = session.exec(select(AuditEvent).where(AuditEvent.entity == "demo")).all()
        assert [(e.action, e.actor_id, e.changes) for e in events] == [
            ("bulk_load", admin.id, {"exchanges": 300, "seed": SEED})
        ]
        authors = session.exec(select(Exchange.created_by, Exchange.updated_by).distinct()).all()
        assert authors == [(admin.id, admin.id)]
        # Ids continue after the bulk rows (PostgreSQL sequences were moved past them).
        person = Person(name="Added Later")
        session.add(person)
        session.commit()
        assert person.id == len(session.exec(select(Person)).all())


def test_refuses_a_register_that_holds_exchanges(engine: Engine) -> None:
    demo.load_demo(engine, exchanges=50, seed=SEED, today=TODAY)
    with pytest.raises(XchangeError) as refused:
        demo.load_demo(engine, exchanges=50, seed=SEED + 1, today=TODAY)
    assert str(refused.value) == demo.EMPTY_REQUIRED
    with Session(engine) as session:
        assert len(session.exec(select(Exchange)).all()) == 50


def test_refuses_when_demo_partnerships_already_exist(sqlite_engine: Engine) -> None:
    demo.load_demo(sqlite_engine, exchanges=0, seed=SEED, today=TODAY)
    with pytest.raises(XchangeError, match="already holds demo partnerships or accounts"):
        demo.load_demo(sqlite_engine, exchanges=10, seed=SEED, today=TODAY)


def test_kpi_summaries_are_in_step_after_the_load(engine: Engine) -> None:
    demo.load_demo(engine, exchanges=1200, seed=SEED, today=TODAY)

    def sums() -> dict[str, list[tuple[Any, ...]]]:
        with engine.connect() as connection:
            return {
                table: sorted(
                    tuple(row)
                    for row in connection.exec_driver_sql(f"SELECT * FROM {table}").all()  # noqa: S608
                )
                for table in summary.TABLES
            }

    loaded = sums()
    assert loaded["kpi_daily"] and loaded["kpi_flow"]
    with engine.begin() as connection:
        summary.rebuild(connection)
    assert sums() == loaded
    # And the triggers are back: a later write moves the sums.
    with engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM exchange WHERE id = 1")
    assert sums() != loaded


def test_schema_is_unchanged_by_the_fast_load(sqlite_engine: Engine) -> None:
    def schema() -> list[tuple[Any, ...]]:
        with sqlite_engine.connect() as connection:
            rows = connection.exec_driver_sql(
                "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name"
            ).all()
        return [tuple(row) for row in rows]

    assert is_sqlite(sqlite_engine)
    before = schema()
    demo.load_demo(sqlite_engine, exchanges=400, seed=SEED, today=TODAY)
    assert schema() == before
    with sqlite_engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
