"""Deterministic demo data: `xchange demo`, the test fixtures and the benchmarks share it.

    summary = load_demo(engine, exchanges=2400, seed=2026)   # fills an empty register
    frame = demo_frame(1000, seed=7, today=date(2026, 5, 4))  # the same rows as import columns

The same (exchanges, seed, today) gives the same register, byte for byte, except what cannot
be: password hashes are salted, and the bulk load's audit event carries the moment it ran.
Every exchange follows the rules (`xchange.register.rules.validate` finds no error; a planned stay whose
dates have passed and the few virtual stays outside a virtual window draw warnings, as they
should), and the facts the register stores beside each exchange are `rules.derived_facts`'
(computed over whole arrays by `demo_facts`, and checked against it at every load).

A million exchanges load in about 40 s on SQLite (benchmarks/demo.py): the generator works on
whole columns (`demo_gen`, `demo_orgs`) and rows go in through the driver (`bulk`), not the ORM.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from datetime import time as clock
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from xchange.accounts.auth import hash_password
from xchange.db import bulk, summary
from xchange.db.engine import LOCAL_ADMIN_EMAIL, is_sqlite
from xchange.demo.facts import (
    FACT_COLUMNS,
    stored_facts,
    typed_table,
    verify_facts,
    verify_keys,
)
from xchange.demo.generate import Array, DemoData, DemoPartnership, generate
from xchange.demo.history import write_history
from xchange.demo.orgs import only_where
from xchange.demo.words import PARTNERSHIPS, PASSWORD_WORDS
from xchange.errors import XchangeError
from xchange.models import (
    AuditEvent,
    Exchange,
    HostCountryRate,
    Partnership,
    PathMilestone,
    ReportingPeriod,
    Role,
    User,
    UserPartnership,
)
from xchange.programme.partnerships import default_reporting_periods
from xchange.reference import (
    ACTIVITY_LABELS,
    ECOSYSTEMS,
    ORG_TYPE_LABELS,
)

DEFAULT_EXCHANGES = 2400
DEFAULT_SEED = 2026

# One account per role. The coordinator writes for two partnerships: one on track, one short
# of SMEs, so that signing in as them shows both faces of the dashboard.
DEMO_ACCOUNTS: tuple[tuple[str, Role], ...] = (
    ("admin@demo.eu", Role.ADMIN),
    ("officer@demo.eu", Role.OFFICER),
    ("coordinator@demo.eu", Role.COORDINATOR),
)
COORDINATED = ("GTEX", "MTC")

EMPTY_REQUIRED = "The database already holds exchanges: demo data goes into an empty register."

# Share of the target each partnership should have reached at its interim report (month 12).
INTERIM_PATH_SHARE = 0.4


def demo_passwords(seed: int = DEFAULT_SEED) -> dict[str, str]:
    """Each demo account's password, derived from `seed`: `{"admin@demo.eu": "demo-cobalt-4821"}`.

    At least 10 characters (the sign-in policy's minimum).
    """
    draw = random.Random(seed)
    return {
        email: f"demo-{draw.choice(PASSWORD_WORDS)}-{draw.randrange(1000, 10000)}"
        for email, _role in DEMO_ACCOUNTS
    }


DEMO_PASSWORDS: dict[str, str] = demo_passwords(DEFAULT_SEED)


@dataclass(frozen=True)
class DemoSummary:
    """What `load_demo` wrote, for the CLI to report; `accounts` are (email, role, password)."""

    partnerships: int
    organisations: int
    exchanges: int
    accounts: list[tuple[str, str, str]] = field(default_factory=list)
    seconds: float = 0.0


# --- the data as import columns ----------------------------------------------------------


def demo_frame(exchanges: int, seed: int = DEFAULT_SEED, today: date | None = None) -> pd.DataFrame:
    """The exchanges `load_demo` would write, as canonical import columns spelt as in a file.

    Dates `2025-03-14`, yes/no, type and activity labels, ecosystem names, ISO country codes;
    blanks are None and `lump_sum_eur` is blank (the rule computes it). The partnerships must
    exist: `load_demo(engine, exchanges=0, seed=seed, today=today)` creates them alone.
    """
    data = generate(exchanges, seed, today or date.today())
    typed = typed_table(data)
    frame = pd.DataFrame(index=typed.index)

    def labels(column: str, table: dict[Any, str]) -> pd.Series:
        mapping = {str(key): value for key, value in table.items()}
        return typed[column].map(mapping).astype(object).where(typed[column].notna(), None)

    for name in typed.columns:
        if pd.api.types.is_datetime64_any_dtype(typed[name]):
            frame[name] = typed[name].dt.strftime("%Y-%m-%d").astype(object)
        elif typed[name].dtype == "boolean":
            frame[name] = np.where(typed[name].to_numpy(dtype=bool), "yes", "no").astype(object)
        elif name == "distance_km":
            frame[name] = [None if pd.isna(v) else f"{v:.1f}" for v in typed[name]]
        else:
            frame[name] = typed[name].astype(object).where(typed[name].notna(), None)
    for side in ("visitor", "host"):
        frame[f"{side}_type"] = labels(f"{side}_type", ORG_TYPE_LABELS)
    frame["activity"] = labels("activity", ACTIVITY_LABELS)
    frame["ecosystem"] = labels("ecosystem", ECOSYSTEMS)
    frame["lump_sum_eur"] = None
    return frame


# --- loading -------------------------------------------------------------------------------


def load_demo(
    engine: Engine,
    *,
    exchanges: int = DEFAULT_EXCHANGES,
    seed: int = DEFAULT_SEED,
    today: date | None = None,
) -> DemoSummary:
    """Fill an empty register: partnerships, organisations, people, exchanges, demo accounts.

    Everything is dated relative to `today` (default: the real today), so the story stays
    current. All of it is written in one transaction; each exchange's history is in the audit
    trail at its simulated dates (`demo.history`), and one more event of the local
    administrator records the load. Raises XchangeError when the register already holds exchanges, or a demo
    partnership or account already exists.
    """
    began = time.perf_counter()
    today = today or date.today()
    with engine.connect() as connection:
        _check_empty(connection)
    data = generate(exchanges, seed, today)
    facts = stored_facts(data)
    verify_facts(data, facts, today)
    verify_keys(data)
    passwords = demo_passwords(seed)
    hashes = {email: hash_password(password) for email, password in passwords.items()}

    writer = engine.execution_options(sqlite_begin="IMMEDIATE") if is_sqlite(engine) else engine
    with writer.begin() as connection:
        _check_empty(connection)  # again, now that this transaction holds the write lock
        session = Session(bind=connection)
        admin = session.exec(select(User).where(User.email == LOCAL_ADMIN_EMAIL)).one()
        partnership_ids = _write_partnerships(session, data.partnerships)
        _write_accounts(session, hashes, partnership_ids, data.partnerships)
        session.flush()
        _write_bulk(connection, data, facts, partnership_ids, (admin.id, admin.email))
        session.add(
            AuditEvent(
                actor_id=admin.id,
                actor_label=admin.email,
                entity="demo",
                action="bulk_load",
                changes={"exchanges": data.exchanges, "seed": seed},
            )
        )
        session.flush()
        session.close()
    bulk.vacuum_analyze(engine, ("organisation", "person", "exchange", *summary.TABLES))
    return DemoSummary(
        partnerships=len(data.partnerships),
        organisations=len(data.org_name),
        exchanges=data.exchanges,
        accounts=[(email, role.value, passwords[email]) for email, role in DEMO_ACCOUNTS],
        seconds=time.perf_counter() - began,
    )


def _check_empty(connection: sa.Connection) -> None:
    """Refuse a register that holds exchanges, or any demo partnership or account."""
    if connection.execute(select(Exchange.id).limit(1)).first() is not None:
        raise XchangeError(EMPTY_REQUIRED)
    acronyms = [spec.acronym for spec in PARTNERSHIPS]
    taken = (
        connection.execute(
            select(Partnership.acronym).where(col(Partnership.acronym).in_(acronyms))
        )
        .scalars()
        .all()
    )
    emails = [email for email, _role in DEMO_ACCOUNTS]
    users = (
        connection.execute(select(User.email).where(col(User.email).in_(emails))).scalars().all()
    )
    if taken or users:
        names = ", ".join(sorted([*taken, *users]))
        raise XchangeError(
            f"The database already holds demo partnerships or accounts ({names}): "
            "demo data goes into an empty register."
        )


def _at(day: date, hour: int = 9) -> datetime:
    """A fixed moment on `day` (UTC), so that rows made with the ORM are deterministic too."""
    return datetime.combine(day, clock(hour), tzinfo=UTC)


def _write_partnerships(session: Session, parts: list[DemoPartnership]) -> list[int]:
    """Partnerships with reporting periods, path milestones and host-country rates; their ids."""
    ids = []
    for part in parts:
        row = Partnership(
            acronym=part.acronym,
            name=part.spec.name,
            action_start=part.action_start,
            action_end=part.action_end,
            target_exchanges=part.spec.target,
            created_at=_at(part.action_start),
        )
        session.add(row)
        session.flush()
        assert row.id is not None
        ids.append(row.id)
        for label, ends_on in default_reporting_periods(part.action_start, part.action_end):
            session.add(ReportingPeriod(partnership_id=row.id, label=label, ends_on=ends_on))
            share = INTERIM_PATH_SHARE if label == "interim" else 1.0
            session.add(
                PathMilestone(
                    partnership_id=row.id,
                    due_on=ends_on,
                    cumulative=round(part.spec.target * share),
                )
            )
        for country, cents in sorted(part.spec.host_rates.items()):
            session.add(HostCountryRate(partnership_id=row.id, country=country, rate_cents=cents))
    return ids


def _write_accounts(
    session: Session, hashes: dict[str, str], ids: list[int], parts: list[DemoPartnership]
) -> None:
    """The demo accounts; the coordinator writes for the COORDINATED partnerships."""
    opened = _at(min(part.action_start for part in parts), 8)
    for email, role in DEMO_ACCOUNTS:
        user = User(email=email, role=role.value, password_hash=hashes[email], created_at=opened)
        session.add(user)
        session.flush()
        assert user.id is not None
        if role == Role.COORDINATOR:
            for part, pid in zip(parts, ids, strict=True):
                if part.acronym in COORDINATED:
                    session.add(UserPartnership(user_id=user.id, partnership_id=pid))


def _write_bulk(
    connection: sa.Connection,
    data: DemoData,
    facts: dict[str, Array],
    partnership_ids: list[int],
    admin: tuple[int | None, str],
) -> None:
    """Organisations, people, exchanges and their history (`demo.history`), through the driver
    (see `xchange.db.bulk`)."""
    sqlite = is_sqlite(connection)
    org_base = bulk.next_id(connection, "organisation")
    person_base = bulk.next_id(connection, "person")
    exchange_base = bulk.next_id(connection, "exchange")
    m, k = len(data.org_name), len(data.person_name)
    # (A second thread preparing the exchange rows while SQLite inserts organisations made both
    # slower: the two threads wait on each other for the interpreter lock at every row.)
    with bulk.fast_load(connection, ("organisation", "person", "exchange", "audit_event")):
        organisations = zip(
            range(org_base, org_base + m),
            data.org_name.tolist(),
            data.org_key.tolist(),
            data.org_type.tolist(),
            data.org_country.tolist(),
            data.org_is_sme.tolist(),
            data.org_size_class.tolist(),
            bulk.timestamp_texts(data.org_created, sqlite=sqlite),
            strict=True,
        )
        bulk.insert_rows(connection, "organisation", ORGANISATION_COLUMNS, organisations)
        people = zip(
            range(person_base, person_base + k),
            data.person_name.tolist(),
            [None] * k,
            bulk.timestamp_texts(data.person_created, sqlite=sqlite),
            strict=True,
        )
        bulk.insert_rows(connection, "person", PERSON_COLUMNS, people)
        bases = (exchange_base, org_base, person_base)
        columns = exchange_columns(data, facts, partnership_ids, bases, sqlite)
        rows = zip(*columns.values(), strict=True)
        constants = exchange_constants(admin[0])
        # The KPI summaries' per-row triggers would double the cost: sum once at the end.
        with summary.suspended(connection):
            bulk.insert_rows(connection, "exchange", tuple(columns), rows, constants)
        write_history(connection, data, exchange_base, admin)
    for table in ("organisation", "person", "exchange"):
        bulk.sync_id_sequence(connection, table)


PERSON_COLUMNS = ("id", "name", "contact", "created_at")
ORGANISATION_COLUMNS = (
    "id",
    "name",
    "name_key",
    "type",
    "country",
    "is_sme",
    "size_class",
    "created_at",
)


def exchange_constants(admin_id: int | None) -> dict[str, int | None]:
    """The exchange columns that hold the same value in every demo row."""
    return {"import_batch_id": None, "created_by": admin_id, "updated_by": admin_id, "version": 1}


def exchange_columns(
    data: DemoData,
    facts: dict[str, Array],
    partnership_ids: list[int],
    bases: tuple[int, int, int],
    sqlite: bool,
) -> dict[str, list[Any]]:
    """The exchange table's other columns as lists of stored values (ids from the `bases` on)."""
    exchange_base, org_base, person_base = bases
    n = data.exchanges

    lump = facts["lump_sum_cents"]
    distance = data.distance_km.astype(object)
    distance[np.isnan(data.distance_km)] = None
    paid_cents = lump.astype(object)
    paid_cents[np.isnat(data.paid_on)] = None
    columns: dict[str, list[Any]] = {
        "id": list(range(exchange_base, exchange_base + n)),
        "partnership_id": np.array(partnership_ids)[data.partnership].tolist(),
        "reference": data.reference.tolist(),
        "status": data.status.tolist(),
        "modality": data.modality.tolist(),
        "start_date": bulk.date_texts(data.start),
        "end_date": bulk.date_texts(data.end),
        "visitor_org_id": (data.visitor + org_base).tolist(),
        "host_org_id": (data.host + org_base).tolist(),
        "visitor_type": data.org_type[data.visitor].tolist(),
        "host_type": data.org_type[data.host].tolist(),
        "visitor_country": data.org_country[data.visitor].tolist(),
        "host_country": data.org_country[data.host].tolist(),
        "visitor_is_sme": data.org_is_sme[data.visitor].tolist(),
        "host_is_sme": data.org_is_sme[data.host].tolist(),
        "visitor_community": data.visitor_community.tolist(),
        "host_community": data.host_community.tolist(),
        "ecosystem": data.ecosystem.tolist(),
        "activity": data.activity.tolist(),
        "representative_id": only_where(
            data.representative >= 0, data.representative + person_base
        ).tolist(),
        "distance_km": distance.tolist(),
        "lump_sum_cents": lump.tolist(),
        "cancellation_reason": data.cancellation_reason.tolist(),
        "validated_on": bulk.date_texts(data.validated_on),
        "validated_by": data.validated_by.tolist(),
        "paid_on": bulk.date_texts(data.paid_on),
        "paid_cents": paid_cents.tolist(),
        "notes": data.notes.tolist(),
        "created_at": bulk.timestamp_texts(data.created, sqlite=sqlite),
        "updated_at": bulk.timestamp_texts(data.updated, sqlite=sqlite),
    }
    # What the register stores beside the logged values: the rules' own facts.
    for name in FACT_COLUMNS:
        if name != "lump_sum_cents":
            columns[name] = facts[name].tolist()
    return columns
