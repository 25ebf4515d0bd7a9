"""Each demo exchange's history as audit events at its simulated dates, written in bulk.

A demo record was logged (created), confirmed, completed on its validation date, cancelled or
paid on days that reach two years back: the audit trail says so, event by event, as the
service would have recorded it, so that the figures as recorded on any past day
(`kpi.recorded`) read the demo's story instead of today's register. Working backwards from the
stored row, each event's old value is what the record held before it:

- create: `{"version": [null, 1]}` at the record's `created_at` (the record began then);
- confirm (confirmed and completed stays, halfway between logging and the stay's start):
  status planned -> confirmed;
- complete (on the validation day): status confirmed -> completed, validated_on, validated_by;
- cancel (on the cancellation day): status planned -> cancelled, the reason.

Payments are not written (no figure as recorded reads them, and a million more events would
cost the load a tenth of its time): as recorded, a demo record's payment shows from the start.

No moment lies after the load itself. Events of one moment are inserted in the order above, so
the trail's order (moment, then id) keeps each record's story in order.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import numpy as np
import sqlalchemy as sa

from xchange.db import bulk
from xchange.db.engine import is_sqlite
from xchange.demo.generate import Array, DemoData

COLUMNS = ("at", "actor_id", "actor_label", "entity", "entity_id", "action", "changes")


def write_history(
    connection: sa.Connection,
    data: DemoData,
    exchange_base: int,
    admin: tuple[int | None, str],
    now: datetime | None = None,
) -> int:
    """Insert every demo exchange's events (ids from `exchange_base` on); how many."""
    now64 = np.datetime64((now or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None), "s")
    n = data.exchanges
    ids = np.arange(exchange_base, exchange_base + n)
    created = np.minimum(data.created.astype("datetime64[s]"), now64)
    status = data.status
    completed = status == "completed"
    confirmed = completed | (status == "confirmed")
    cancelled = status == "cancelled"
    # Confirmed halfway between logging and the start (or today, for a start still ahead).
    start = np.minimum(data.start.astype("datetime64[s]"), now64)
    confirm_at = np.minimum(np.maximum(created + (start - created) // 2, created), now64)
    complete_at = np.minimum(
        np.maximum(_day_moment(data.validated_on), confirm_at), now64
    )  # NaT only where not completed
    cancel_at = np.minimum(np.maximum(data.updated.astype("datetime64[s]"), created), now64)

    sqlite = is_sqlite(connection)
    parts: list[tuple[Array, Array, str, list[str]]] = [
        (ids, created, "create", [json.dumps({"version": [None, 1]})] * n),
        (
            ids[confirmed],
            confirm_at[confirmed],
            "confirm",
            [json.dumps({"status": ["planned", "confirmed"]})] * int(confirmed.sum()),
        ),
        (ids[completed], complete_at[completed], "complete", _completions(data, completed)),
        (ids[cancelled], cancel_at[cancelled], "cancel", _cancellations(data, cancelled)),
    ]
    actor_id, actor_label = admin
    written = 0
    for entity_ids, moments, action, changes in parts:
        rows = zip(
            bulk.timestamp_texts(moments, sqlite=sqlite),
            entity_ids.tolist(),
            changes,
            strict=True,
        )
        constants: dict[str, int | str | None] = {
            "actor_id": actor_id,
            "actor_label": actor_label,
            "entity": "exchange",
            "action": action,
        }
        bulk.insert_rows(connection, "audit_event", ("at", "entity_id", "changes"), rows, constants)
        written += len(entity_ids)
    bulk.sync_id_sequence(connection, "audit_event")
    return written


def _day_moment(days: Array) -> Array:
    """10:00 UTC on each day (NaT stays NaT)."""
    return days.astype("datetime64[D]").astype("datetime64[s]") + np.timedelta64(10 * 3600, "s")


def _texts(values: Array) -> list[str]:
    """Each value as JSON, encoded once per distinct value (reasons and names recur)."""
    encoded: dict[Any, str] = {}
    return [encoded.setdefault(v, json.dumps(v)) for v in values.tolist()]


def _completions(data: DemoData, completed: Array) -> list[str]:
    days = bulk.date_texts(data.validated_on[completed])
    by = _texts(data.validated_by[completed])
    return [
        f'{{"status": ["confirmed", "completed"], "validated_on": [null, "{day}"], '
        f'"validated_by": [null, {name}]}}'
        for day, name in zip(days, by, strict=True)
    ]


def _cancellations(data: DemoData, cancelled: Array) -> list[str]:
    return [
        f'{{"status": ["planned", "cancelled"], "cancellation_reason": [null, {reason}]}}'
        for reason in _texts(data.cancellation_reason[cancelled])
    ]
