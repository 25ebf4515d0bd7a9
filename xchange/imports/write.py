"""Writing a planned import in the caller's transaction.

New organisations, people and exchanges go in through the driver (`xchange.db.bulk`; on SQLite a
large table is staged through Arrow and copied in with one INSERT ... SELECT): the ORM's object
per row would cap an import at a few hundred rows a second. Each created exchange gets a create
event naming its batch, written by the database from the rows just inserted. Updates are one
`executemany` that checks each record's version, so a record changed meanwhile fails the whole
import instead of being overwritten. A large import (against the size of the table) suspends
the KPI summary triggers and adds the new rows' sums (or rebuilds the sums, when it also
updates) once (`summary.suspended`) and, on SQLite, rebuilds the indexes once
(`bulk.fast_load`): both are far cheaper than row by row. Pandas and Arrow work that does not
need the connection (the new rows' sums, staging the exchanges) runs on a helper thread while
the connection writes.

Taking an import back is `xchange.imports.undo`, which shares the helpers here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from datetime import date, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa
from sqlmodel import Session

from xchange.db import bulk, summary
from xchange.db.engine import is_conflict, is_sqlite
from xchange.errors import WriteConflict, XchangeError
from xchange.imports.plan import (
    AUDIT,
    DATE_VALUES,
    EXCHANGE,
    IMPORTED,
    NEW_ID,
    STORED,
    ImportPlan,
    objects,
)
from xchange.imports.report import ImportReport
from xchange.models import AuditEvent, ImportBatch, User, utcnow

VISIT_INDEX = "uq_exchange_one_physical_visit"
# Below this many rows, triggers and indexes are kept: row by row is cheap enough.
BULK_MIN_ROWS = 2_000
# The batch's audit event keys naming the rows it created (`id_ranges`), by table: an undo
# removes those nothing uses any more (`import_created`).
CREATED_KEYS = {"organisation": "new_organisations", "person": "new_people"}


def write_plan(*, session: Session, actor: User, plan: ImportPlan, report: ImportReport) -> int:
    """Write `plan` into the session's transaction; the new ImportBatch's id."""
    batch = ImportBatch(
        filename=report.filename[:300],
        created_by=actor.id,
        created_rows=len(plan.create),
        updated_rows=len(plan.update),
    )
    session.add(batch)
    session.flush()
    assert batch.id is not None
    connection = session.connection()
    now = utcnow()
    stamp = timestamp_text(now, connection)
    values = plan.values.copy(deep=False)  # copy-on-write: filling ids leaves the plan's alone
    try:
        # Arrow and pandas work on a second core, while this thread mostly waits on SQLite
        # (the driver lets go of the interpreter lock while the database works): one helper,
        # so that its jobs queue instead of competing with this thread for the interpreter.
        with ThreadPoolExecutor(max_workers=1) as helper, ExitStack() as stack:
            created_rows: list[pd.DataFrame] = []  # the new exchanges, once known
            only_creates = len(plan.create) >= BULK_MIN_ROWS and not len(plan.update)
            added = (lambda: _sums(created_rows[0])) if only_creates else None
            stack.enter_context(bulk_mode(connection, len(values), len(plan.orgs.new), added))
            if _moves_visits(plan):
                stack.enter_context(visits_checked_at_end(connection))
            org_columns, org_ids = _new_organisations(connection, plan)
            person_ids = _insert_people(connection, plan.people, stamp)
            for side in ("visitor", "host"):
                _fill_organisations(values, side, org_ids)
            _fill_people(values, person_ids)
            everything = len(plan.create) == len(values)  # a first import: no copy needed
            created = values if everything else values.loc[plan.create]
            ids = _reserve_ids(connection, "exchange", len(created))
            columns = _exchange_columns(created, ids)
            staging = None
            if bulk.stages(connection, len(created)):
                # Staged on the helper thread while the organisations go in. Made into Arrow
                # arrays here first: that needs the interpreter, the staging itself does not.
                table = bulk.arrow_table(columns)
                staging = helper.submit(bulk.stage_columns, table)
                stack.callback(_discard, staging)
            created_rows.append(created)
            _insert_organisations(connection, plan, org_columns, stamp)
            # Updates first: a visit one of them moves away may be taken by a new row.
            updated = objects(values.loc[plan.update])
            _update_exchanges(connection, updated, plan, actor, batch.id, now)
            constants = _exchange_constants(actor, batch.id, stamp)
            rows = columns if staging is None else staging.result()
            bulk.insert_columns(connection, "exchange", rows, constants)
            _insert_create_events(connection, actor, batch.id, now)
            events = _update_events(updated, plan.stored, batch.id)
            insert_events(connection, events, actor, batch.id, stamp)
    except Exception as exc:
        if not is_conflict(exc):  # a COPY's violation comes from the driver, unwrapped
            raise
        raise WriteConflict(
            "The register changed while the file was being imported (another person saved "
            f"the same exchange or organisation meanwhile): nothing was imported. Import "
            f"{report.filename} again to check it against the register as it is now."
        ) from exc
    counts = {
        "filename": report.filename,
        "created": len(plan.create),
        "updated": len(plan.update),
        "unchanged": len(plan.unchanged),
        "refused": len(plan.refused),
        CREATED_KEYS["organisation"]: id_ranges(org_ids.tolist()),
        CREATED_KEYS["person"]: id_ranges(person_ids.values()),
    }
    audit_batch(session, actor, batch.id, "import", counts)
    return batch.id


# --- bulk mode -------------------------------------------------------------------------------


@contextmanager
def bulk_mode(
    connection: sa.Connection,
    exchanges: int,
    organisations: int,
    added: Callable[[], dict[str, pd.DataFrame]] | None = None,
) -> Iterator[None]:
    """Suspend the summary triggers and (SQLite) the indexes of tables the write grows a lot.

    `added`: when the write only inserts exchanges, gives their sums (`summary.sums_of`), which
    are then added to the summaries instead of a rebuild (`summary.suspended`).
    """
    stored = {
        table: int(connection.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar() or 0)  # noqa: S608
        for table in ("exchange", "organisation")
    }
    heavy = [
        table
        for table, rows in (("exchange", exchanges), ("organisation", organisations))
        if rows >= BULK_MIN_ROWS and rows * 2 >= stored[table]
    ]
    with ExitStack() as stack:
        if "exchange" in heavy:
            stack.enter_context(summary.suspended(connection, added=added))
        if heavy:
            stack.enter_context(bulk.fast_load(connection, heavy))
        yield


def _active(frame: pd.DataFrame) -> pd.Series:
    """Rows that are a visit in the sense of the visit-once rule: physical, not cancelled."""
    return (frame["modality"] == "physical") & (frame["status"] != "cancelled")


def _moves_visits(plan: ImportPlan) -> bool:
    """True when a row takes a visitor whose stored visit is another record this import
    rewrites (two records swapping visitors, say): valid once all rows are written, but not
    after each single one, so the visit-once index must be checked at the end."""
    stored = plan.stored[_active(plan.stored)] if len(plan.stored) else plan.stored
    if not len(stored):
        return False
    holder = dict(zip(stored["visitor_org_id"], stored["id"], strict=True))
    rows = plan.values[_active(plan.values)]
    own = plan.stored["id"].reindex(rows.index)
    return any(
        org in holder and holder[org] != (None if pd.isna(mine) else mine)
        for org, mine in zip(rows["visitor_org_id"], own, strict=True)
    )


@contextmanager
def visits_checked_at_end(connection: sa.Connection) -> Iterator[None]:
    """Drop the visit-once unique index, and build it again (checking every row) at the end.

    PostgreSQL cannot defer a unique index, only a constraint, and the rule has a WHERE: this
    is the deferred check by hand. Inside the caller's transaction, so a failure rolls it back.
    """
    index = next(i for i in EXCHANGE.indexes if i.name == VISIT_INDEX)
    present = VISIT_INDEX in {i["name"] for i in sa.inspect(connection).get_indexes("exchange")}
    if present:  # bulk.fast_load may have dropped it already, and will build it again itself
        index.drop(connection)
    yield
    if present:
        index.create(connection)


def timestamp_text(moment: datetime, connection: sa.Connection) -> str:
    """A UTC moment as the timestamp columns store it (see `bulk.timestamp_texts`)."""
    text = moment.strftime("%Y-%m-%d %H:%M:%S.%f")
    return text if is_sqlite(connection) else text + "+00"


def _reserve_ids(connection: sa.Connection, table: str, n: int) -> list[int]:
    """`n` unused ids: after the largest on SQLite (this transaction holds the write lock),
    from the id sequence on PostgreSQL (safe beside concurrent writers)."""
    if n == 0:
        return []
    if is_sqlite(connection):
        first = bulk.next_id(connection, table)
        return list(range(first, first + n))
    sql = (
        f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) "  # noqa: S608 (our names)
        f"FROM generate_series(1, {int(n)})"
    )
    return [int(i) for i in connection.exec_driver_sql(sql).scalars()]


def _fill_organisations(values: pd.DataFrame, side: str, ids: npt.NDArray[np.int64]) -> None:
    """Put the new organisations' ids (`ids`: by row of the plan's `orgs.new`) where the
    `{side}_org_id` column holds NEW_ID."""
    new = values[f"{side}_new"].to_numpy(dtype=object)
    mask = pd.notna(new)
    if mask.any():
        filled = values[f"{side}_org_id"].to_numpy(dtype=object).copy()
        filled[mask] = ids[new[mask].astype(np.int64)].tolist()
        values[f"{side}_org_id"] = filled


def _fill_people(values: pd.DataFrame, ids: dict[str, int]) -> None:
    """Put the new people's ids (`ids`: by name) where `representative_id` holds NEW_ID."""
    filled = values["representative_id"].to_numpy(dtype=object).copy()
    mask = (filled == NEW_ID).astype(bool)
    if mask.any():
        names = values["representative"].to_numpy(dtype=object)[mask].tolist()
        filled[mask] = list(map(ids.__getitem__, names))  # few distinct names: a dict is quick
        values["representative_id"] = filled


def _new_organisations(
    connection: sa.Connection, plan: ImportPlan
) -> tuple[dict[str, bulk.Column], npt.NDArray[np.int64]]:
    """The new organisations' columns, with ids reserved, and those ids by row of the plan's
    `orgs.new`.

    Numbered in the order of their unique (name_key, country) index, so that the index grows
    at its end instead of taking 100,000 keys all over its tree (a third as long).
    """
    new = plan.orgs.new
    keys = pa.table({"k": pa.array(new["name_key"].array), "c": pa.array(new["country"].array)})
    order = pc.sort_indices(keys, sort_keys=[("k", "ascending"), ("c", "ascending")]).to_numpy()
    new = new.take(order).reset_index(drop=True)  # Arrow sorts 7 times faster
    ids = _reserve_ids(connection, "organisation", len(new))
    by_plan_row = np.empty(len(new), dtype=np.int64)
    by_plan_row[order] = ids
    columns: dict[str, bulk.Column] = {
        "id": ids,
        "name": new["name"],
        "name_key": new["name_key"],
        "type": new["type"],
        "country": new["country"],
        "is_sme": new["is_sme"].astype(bool),
    }
    return columns, by_plan_row


def _insert_organisations(
    connection: sa.Connection, plan: ImportPlan, columns: dict[str, bulk.Column], stamp: str
) -> None:
    bulk.insert_columns(connection, "organisation", columns, {"created_at": stamp})
    if plan.orgs.profiles:
        connection.execute(
            sa.text("UPDATE organisation SET type = :type, is_sme = :sme WHERE id = :id"),
            [{"id": i, "type": t, "sme": s} for i, t, s in plan.orgs.profiles],
        )


def _insert_people(connection: sa.Connection, names: list[str], stamp: str) -> dict[str, int]:
    ids = _reserve_ids(connection, "person", len(names))
    rows = zip(ids, names, [stamp] * len(names), strict=True)
    bulk.insert_rows(connection, "person", ("id", "name", "created_at"), rows)
    return dict(zip(names, ids, strict=True))


def _exchange_columns(created: pd.DataFrame, ids: list[int]) -> dict[str, bulk.Column]:
    return {"id": ids, **{name: created[name] for name in STORED}}


def _exchange_constants(actor: User, batch_id: int, stamp: str) -> dict[str, int | str | None]:
    """What every exchange an import creates holds alike."""
    return {
        "import_batch_id": batch_id,
        "created_at": stamp,
        "created_by": actor.id,
        "updated_at": stamp,
        "updated_by": actor.id,
        "version": 1,
    }


def _discard(staging: Future[bulk.Staged]) -> None:
    """Remove a staged file that was not copied in (an error came first)."""
    if staging.exception() is None:
        staging.result().discard()


def _sums(rows: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The summary sums of new exchanges `rows`, for `add_sums`."""
    return summary.sums_of(rows[[name for name in summary.WATCHED if name in rows.columns]])


def _update_exchanges(
    connection: sa.Connection,
    changed: pd.DataFrame,
    plan: ImportPlan,
    actor: User,
    batch_id: int,
    now: datetime,
) -> None:
    """Rewrite changed records, each only if still at the version the plan read."""
    if not len(changed):
        return
    stored = plan.stored
    params = [
        {
            **typed({name: record[name] for name in STORED}),
            "_id": int(stored["id"][row]),
            "_version": int(stored["version"][row]),
        }
        for row, record in zip(changed.index, changed.to_dict("records"), strict=True)
    ]
    rewrite(connection, params, actor, batch_id, now)


def rewrite(
    connection: sa.Connection,
    params: list[dict[str, Any]],
    actor: User,
    batch_id: int | None,
    now: datetime,
    *,
    restore_batch: bool = False,
) -> None:
    """One executemany setting STORED columns by id and expected version; the version bumps."""
    names = [n for n in params[0] if not n.startswith("_")]
    statement = (
        sa.update(EXCHANGE)
        .where(EXCHANGE.c.id == sa.bindparam("_id"))
        .where(EXCHANGE.c.version == sa.bindparam("_version"))
        .values(
            {
                **{name: sa.bindparam(name) for name in names},
                "version": EXCHANGE.c.version + 1,
                "updated_at": now,
                "updated_by": actor.id,
            }
        )
    )
    if not restore_batch:
        statement = statement.values(import_batch_id=batch_id)
    done = connection.execute(statement, params).rowcount
    if done != len(params):
        missed = len(params) - done
        raise XchangeError(
            f"{missed:,} exchange{' was' if missed == 1 else 's were'} changed by someone else "
            "while this ran: nothing was written. Try again."
        )


def typed(record: dict[str, Any]) -> dict[str, Any]:
    """Audit spelling -> what the ORM's column types take (ISO dates back to dates)."""
    out = dict(record)
    for name in DATE_VALUES:
        if isinstance(out.get(name), str):
            out[name] = date.fromisoformat(out[name])
    return out


# --- audit events ----------------------------------------------------------------------------


def _insert_create_events(
    connection: sa.Connection, actor: User, batch_id: int, now: datetime
) -> None:
    """A create event for each record the import created, written by the database itself.

    The event names who, when and the batch, not every value: the values an import wrote are
    the record's own at version 1, and every later change is audited old -> new, so a copy of
    each field here would repeat what the record already proves (it was half of everything an
    import wrote to disk). A record the import created is the one of its batch at version 1.
    """
    changes = {"import_batch_id": [None, batch_id], "version": [None, 1]}
    rows = (
        sa.select(
            sa.literal(now, AUDIT.c.at.type),
            sa.literal(actor.id, AUDIT.c.actor_id.type),
            sa.literal(actor.email, AUDIT.c.actor_label.type),
            sa.literal("exchange", AUDIT.c.entity.type),
            EXCHANGE.c.id,
            sa.literal("create", AUDIT.c.action.type),
            sa.literal(changes, AUDIT.c.changes.type),
            EXCHANGE.c.import_batch_id,
        )
        .where(EXCHANGE.c.import_batch_id == batch_id, EXCHANGE.c.version == 1)
        .order_by(EXCHANGE.c.id)
    )
    columns = ("at", "actor_id", "actor_label", "entity", "entity_id", "action", "changes")
    connection.execute(sa.insert(AUDIT).from_select([*columns, "import_batch_id"], rows))


def _jsonable(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def _update_events(
    changed: pd.DataFrame, stored: pd.DataFrame, batch_id: int
) -> list[tuple[int, str, str]]:
    """(exchange id, action, changes JSON) for each updated record: [old, new] per field."""
    events = []
    for row, record in zip(changed.index, changed.to_dict("records"), strict=True):
        before = stored.loc[row]
        diff = {
            name: [_jsonable(before[name]), _jsonable(record[name])]
            for name in IMPORTED
            if before[name] != record[name]
        }
        if before["import_batch_id"] != batch_id:
            diff["import_batch_id"] = [before["import_batch_id"], batch_id]
        diff["version"] = [int(before["version"]), int(before["version"]) + 1]
        events.append((int(before["id"]), "update", json.dumps(diff)))
    return events


def id_ranges(ids: Iterable[int]) -> list[list[int]]:
    """Ids as inclusive `[first, last]` ranges: `[3, 4, 5, 9]` -> `[[3, 5], [9, 9]]`."""
    values = np.unique(np.fromiter(ids, dtype=np.int64))
    if not len(values):
        return []
    gaps = np.flatnonzero(np.diff(values) != 1)
    firsts = np.concatenate((values[:1], values[gaps + 1]))
    lasts = np.concatenate((values[gaps], values[-1:]))
    return [[int(a), int(b)] for a, b in zip(firsts, lasts, strict=True)]


def insert_events(
    connection: sa.Connection,
    events: list[tuple[int, str, str]],
    actor: User,
    batch_id: int | None,
    stamp: str,
    *,
    entity: str = "exchange",
) -> None:
    """Audit events `(entity id, action, changes JSON)` about `entity` rows, at `stamp`."""
    columns = (
        "at",
        "actor_id",
        "actor_label",
        "entity",
        "entity_id",
        "action",
        "changes",
        "import_batch_id",
    )
    ids = _reserve_ids(connection, "audit_event", len(events))
    rows = (
        (i, stamp, actor.id, actor.email, entity, entity_id, action, changes, batch_id)
        for i, (entity_id, action, changes) in zip(ids, events, strict=True)
    )
    bulk.insert_rows(connection, "audit_event", ("id", *columns), rows)


def audit_batch(
    session: Session, actor: User, batch_id: int, action: str, changes: dict[str, Any]
) -> None:
    session.add(
        AuditEvent(
            actor_id=actor.id,
            actor_label=actor.email,
            entity="import_batch",
            entity_id=batch_id,
            action=action,
            changes=changes,
            import_batch_id=batch_id,
        )
    )
    session.flush()
