"""Taking an import back: what it created is deleted, what it updated is restored.

The old values come from the audit trail (each update's `changes` holds `[old, new]`); the facts
derived from them are computed again by the rules. An undo is refused, naming the records,
where one was changed after the import (by a person, or by a later import not undone first),
since undoing would silently throw that change away. The undo is audited like any write.

On PostgreSQL the undo locks its batch and then its records (`SELECT ... FOR UPDATE`) before
it reads them: a second undo of the batch waits and is refused, an edit holding a record makes
the undo wait and then refuse, an edit that comes later waits and finds its version stale. The
organisations and people the import created go too, where nothing else refers to them
(`import_created`).
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from xchange.accounts import access
from xchange.db.engine import queue_imports
from xchange.errors import NotFound, PermissionDenied, QuarterLocked, XchangeError
from xchange.imports.created import lock_rows, remove_unused_created
from xchange.imports.plan import AUDIT, EXCHANGE, STORED, chunks, fetch_exchanges
from xchange.imports.write import (
    audit_batch,
    bulk_mode,
    insert_events,
    rewrite,
    timestamp_text,
    typed,
    visits_checked_at_end,
)
from xchange.models import AuditEvent, ImportBatch, Partnership, Role, User, utcnow
from xchange.programme.quarters import locked_among, locks
from xchange.register.service import _DERIVED, AUDITED

_SHOWN = 10  # conflicting records named in a refused undo


class UndoRefused(XchangeError):
    """An import cannot be taken back (a record changed after it, or it was undone already)."""


@dataclass(frozen=True)
class UndoReport:
    """What `undo_import` did."""

    batch_id: int
    deleted: int
    restored: int
    organisations_removed: int = 0
    people_removed: int = 0

    def summary(self) -> str:
        removed = ""
        if self.organisations_removed or self.people_removed:
            orgs, people = self.organisations_removed, self.people_removed
            removed = (
                f"; {orgs:,} organisation{'' if orgs == 1 else 's'} and {people:,} "
                f"{'person' if people == 1 else 'people'} it created, used by nothing else, removed"
            )
        return (
            f"Import {self.batch_id} undone: {self.deleted:,} exchanges it created deleted, "
            f"{self.restored:,} it updated restored{removed}"
        )


def undo_import(*, session: Session, actor: User, batch_id: int) -> UndoReport:
    """Take back import `batch_id`: delete what it created, restore what it updated.

    Raises NotFound, PermissionDenied, UndoRefused naming each record changed after the
    import (a later edit would be lost) or a batch already undone, or QuarterLocked when a
    record it deletes or restores ends (or would end) in an approved quarter.
    """
    batch = _locked_batch(session, batch_id)
    connection = session.connection()
    events = connection.execute(
        sa.select(AUDIT.c.id, AUDIT.c.entity_id, AUDIT.c.action, AUDIT.c.changes)
        .where(AUDIT.c.import_batch_id == batch_id, AUDIT.c.entity == "exchange")
        .where(AUDIT.c.action.in_(["create", "update"]))
        .order_by(AUDIT.c.id)
    ).all()
    by_id = {int(e.entity_id): e for e in events}
    # Read only once the rows are locked: an edit that committed meanwhile is seen (and
    # refuses the undo below), one that comes later waits for this transaction and is stale.
    lock_rows(connection, "exchange", list(by_id))
    current = _current(connection, list(by_id))
    _require_rights(session, actor, batch, {int(p) for p in current["partnership_id"]})
    _refuse_if_changed(session, batch_id, by_id, current)
    created = [i for i, e in by_id.items() if e.action == "create"]
    updated = [i for i, e in by_id.items() if e.action == "update"]
    restored = _restore(session, current.loc[updated], by_id)
    _refuse_if_locked(session, batch_id, current, restored)
    now = utcnow()
    stamp = timestamp_text(now, connection)
    try:
        with bulk_mode(connection, len(by_id), 0):
            deleted = 0
            for chunk in chunks(created):
                deleted += connection.execute(
                    sa.delete(EXCHANGE).where(EXCHANGE.c.id.in_(chunk))
                ).rowcount
            if deleted != len(created):  # cannot happen under the row locks: never half-undo
                raise UndoRefused(f"Import {batch_id} changed while it was being undone: try again")
            if restored:  # putting visits back may swap them between records, as the import did
                with visits_checked_at_end(connection):
                    rewrite(connection, restored, actor, None, now, restore_batch=True)
        removed = remove_unused_created(connection, batch_id, actor, stamp)
    except IntegrityError as exc:
        raise UndoRefused(
            f"Import {batch_id} cannot be undone: a restored record would clash with one saved "
            f"since (an organisation's second visit, or a reference taken again): {exc.orig}"
        ) from exc
    undo_events = [
        (int(record["id"]), "undo_import", _deletion_changes(record))
        for record in current.loc[created].to_dict("records")
    ]
    for params in restored:
        old = by_id[params["_id"]].changes
        reverse = {k: [v[1], v[0]] for k, v in old.items() if k != "version"}
        reverse["version"] = [params["_version"], params["_version"] + 1]
        undo_events.append((params["_id"], "undo_import", json.dumps(reverse)))
    insert_events(connection, undo_events, actor, batch_id, stamp)
    batch.undone_at = now
    session.add(batch)
    counts = {"deleted": len(created), "restored": len(restored), **removed}
    audit_batch(session, actor, batch_id, "undo", counts)
    return UndoReport(batch_id=batch_id, deleted=len(created), restored=len(restored), **removed)


def _locked_batch(session: Session, batch_id: int) -> ImportBatch:
    """The batch, locked for this transaction (PostgreSQL: a second undo waits here, then
    finds it undone); UndoRefused naming who undid it already. Imports and undos take turns
    (`db.queue_imports`), so an import cannot plan on records an undo is taking away."""
    queue_imports(session)
    batch = session.exec(
        select(ImportBatch)
        .where(ImportBatch.id == batch_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if batch is None:
        raise NotFound(f"There is no import {batch_id}")
    if batch.undone_at is not None:
        undone_by = session.exec(
            select(AuditEvent.actor_label)
            .where(AuditEvent.entity == "import_batch", AuditEvent.entity_id == batch_id)
            .where(AuditEvent.action == "undo")
            .order_by(sa.column("id").desc())
        ).first()
        raise UndoRefused(
            f"Import {batch_id} was already undone on {batch.undone_at:%Y-%m-%d %H:%M} "
            f"by {undone_by or 'an unknown user'}"
        )
    return batch


def _require_rights(
    session: Session, actor: User, batch: ImportBatch, partnership_ids: set[int]
) -> None:
    """PermissionDenied (recorded) unless `actor` may write for every partnership whose
    records the undo changes. An import that left nothing to take back touches none, yet its
    undo is a write recorded as the actor's: only an administrator, or its maker while they
    may still write, may undo it."""
    for partnership_id in sorted(partnership_ids):
        access.require_write(
            session=session,
            actor=actor,
            partnership_id=partnership_id,
            action="undo_import",
            entity="import_batch",
            entity_id=batch.id,
        )
    if partnership_ids:
        return
    writable = access.partnership_ids_writable(session=session, actor=actor)
    if writable is None or (writable and batch.created_by == actor.id):
        return
    standing = session.exec(select(User.role, User.active).where(User.id == actor.id)).first()
    if standing is not None and standing[1] and standing[0] == Role.OFFICER:
        reason = f"{actor.email} may not undo imports: officers have read-only access."
    elif not writable:
        reason = f"{actor.email} may not undo imports: the account may not write."
    else:
        reason = (
            f"{actor.email} may not undo import {batch.id}: it changed nothing, and only the "
            "person who made it or an administrator may undo it."
        )
    access.record_refusal(
        session=session,
        actor_id=None if standing is None else actor.id,
        actor_label=actor.email,
        entity="import_batch",
        entity_id=batch.id,
        changes={"attempted": "undo_import"},
    )
    raise PermissionDenied(reason)


def _refuse_if_locked(
    session: Session, batch_id: int, current: pd.DataFrame, restored: list[dict[str, Any]]
) -> None:
    """QuarterLocked when the undo would change an approved quarter: a record it deletes or
    restores ends in one now, or would end in one once restored (one query, then sets)."""
    found = locks(session)
    if not found:
        return
    pairs = list(zip(current["partnership_id"], current["end_quarter"], strict=True))
    pairs += [(p["partnership_id"], p["end_quarter"]) for p in restored]
    hit = locked_among(found, [p for p, _ in pairs], [q for _, q in pairs])
    if hit.any():
        first = pairs[int(hit.argmax())]
        raise QuarterLocked(
            f"Import {batch_id} cannot be undone: {found[(int(first[0]), first[1])].reason()}"
        )


def _current(connection: sa.Connection, ids: list[int]) -> pd.DataFrame:
    columns = ("id", "version", "import_batch_id", *STORED)
    return fetch_exchanges(connection, columns, sorted(ids)).set_index("id", drop=False)


def _refuse_if_changed(
    session: Session, batch_id: int, events: dict[int, Any], current: pd.DataFrame
) -> None:
    """UndoRefused naming every record of the batch that is gone or changed since.

    A change by a later import that has itself been undone does not count: undoing imports in
    the reverse order of their making is the usual way back.
    """
    problems = [f"exchange {i} (deleted since)" for i in sorted(set(events) - set(current.index))]
    acronyms = {p.id: p.acronym for p in session.exec(select(Partnership))}
    undone = set(
        session.exec(select(ImportBatch.id).where(sa.column("undone_at").is_not(None))).all()
    )
    first = min((e.id for e in events.values()), default=0)
    later: dict[int, list[Any]] = {}
    for chunk in chunks(sorted(current.index)):
        rows = session.connection().execute(
            sa.select(
                AUDIT.c.id,
                AUDIT.c.entity_id,
                AUDIT.c.action,
                AUDIT.c.actor_label,
                AUDIT.c.at,
                AUDIT.c.import_batch_id,
                AUDIT.c.changes,
            )
            .where(AUDIT.c.entity == "exchange", AUDIT.c.entity_id.in_(chunk))
            .where(AUDIT.c.id > first, AUDIT.c.action != "refused")
            .where(sa.or_(AUDIT.c.import_batch_id.is_(None), AUDIT.c.import_batch_id != batch_id))
            .order_by(AUDIT.c.id)
        )
        for row in rows:
            if row.id > events[int(row.entity_id)].id:
                later.setdefault(int(row.entity_id), []).append(row)
    for record in current.to_dict("records"):
        exchange_id = int(record["id"])
        name = f"{acronyms.get(record['partnership_id'], '?')}/{record['reference']}"
        since = later.get(exchange_id, [])
        kept = [e for e in since if e.import_batch_id is None or e.import_batch_id not in undone]
        if kept:
            event = kept[0]
            if event.import_batch_id is not None:
                problems.append(f"{name} (by import {event.import_batch_id}: undo that first)")
            else:
                problems.append(
                    f"{name} ({event.action} by {event.actor_label} on {event.at:%Y-%m-%d %H:%M})"
                )
            continue
        # The version the record should be at: after this import, or after the last undo.
        last = since[-1].changes if since else events[exchange_id].changes
        if record["version"] != (last or {}).get("version", [None, None])[1]:
            problems.append(f"{name} (changed outside the audit trail)")
    if problems:
        shown = "; ".join(problems[:_SHOWN])
        more = f"; and {len(problems) - _SHOWN:,} more" if len(problems) > _SHOWN else ""
        raise UndoRefused(
            f"Import {batch_id} cannot be undone: {len(problems):,} of its exchanges changed "
            f"after it, and undoing would lose those changes: {shown}{more}"
        )


def _restore(
    session: Session, current: pd.DataFrame, events: dict[int, Any]
) -> list[dict[str, Any]]:
    """executemany parameters putting each updated record back as it was before the import."""
    if not len(current):
        return []
    from xchange.register.parsing import parse_table
    from xchange.register.rules import derived_facts, load_context

    records = current.to_dict("records")
    for record in records:
        for name, (old, _new) in events[int(record["id"])].changes.items():
            # The version is not put back: it moves on, and the WHERE checks the current one.
            if name != "version" and (name in record or name == "import_batch_id"):
                record[name] = old
    frame = pd.DataFrame(records)
    acronyms = {p.id: p.acronym for p in session.exec(select(Partnership))}
    raw = frame[[c for c in frame.columns if c in STORED]].copy()
    raw["partnership"] = frame["partnership_id"].map(acronyms)
    raw["visitor_organisation"] = raw["host_organisation"] = "-"
    raw["representative"] = None
    raw["lump_sum_eur"] = frame["lump_sum_cents"].astype(float) / 100
    parsed, _issues = parse_table(raw)
    facts = derived_facts(parsed, load_context(session, raw.iloc[:0]))
    params = []
    for i, record in enumerate(records):
        values = {name: record[name] for name in STORED}
        values |= {name: _python(facts[name].iloc[i]) for name in _DERIVED}
        values["import_batch_id"] = record["import_batch_id"]
        values = typed(values)
        values |= {"_id": int(record["id"]), "_version": int(record["version"])}
        params.append(values)
    return params


def _deletion_changes(record: Mapping[Hashable, Any]) -> str:
    """Every audited value a deleted record held, as `[value, null]`: the trail keeps what the
    undo removed (an imported record's create event names only its batch)."""
    held = {name: record.get(name) for name in AUDITED}
    return json.dumps({name: [value, None] for name, value in held.items() if value is not None})


def _python(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value
