"""The register as it stood at a moment, rebuilt from the audit trail backwards from today's rows.

    stood = records_at(connection, end_of_day(date(2025, 12, 31)), FIELDS)
    stood.now    # today's rows of the records the trail says changed since (by id)
    stood.then   # those records as they stood at the moment (records created later left out)

Every write to an exchange is audited old -> new (`versioning.record_change`, the import's
bulk events, an undo's deletion event holding every value it removed, a merge's moves), so a
record untouched since a moment stood then as it stands now: only the records with an event
after the moment (or created after it) need rebuilding, and each is rebuilt by undoing its
events newest first. Read as a state machine, ids used twice (SQLite hands a deleted record's
id to the next one) come out right too: a create event means "not there before", a deletion
event "there, with these values, before".

A record without a create event (loaded before the demo wrote its history) counts from its
`created_at` with its earliest audited values; `incomplete_before` then names the latest such
creation after the moment: before it, the trail cannot say what such a record held.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel.sql.sqltypes import UTCDateTime

from xchange.db.lookup import keyed_rows

if TYPE_CHECKING:  # pandas is imported where a frame is built: `xchange kpi` needs none
    import pandas as pd

# Days end in Brussels (the programme's working time); moments are stored in UTC.
BRUSSELS = ZoneInfo("Europe/Brussels")
_EVENTS = sa.table(
    "audit_event",
    sa.column("id"),
    sa.column("at", UTCDateTime()),
    sa.column("entity"),
    sa.column("entity_id"),
    sa.column("action"),
    sa.column("changes", sa.JSON()),
)
_EXCHANGES = sa.table("exchange", sa.column("id"), sa.column("created_at", UTCDateTime()))


def end_of_day(day: date) -> datetime:
    """The last moment of `day` in Brussels, in UTC: an event at or before it happened by the
    end of that day."""
    midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=BRUSSELS)
    return midnight.astimezone(UTC) - timedelta(microseconds=1)


def stored_moment(moment: datetime) -> datetime:
    """`moment` in UTC (a moment without a zone is taken as UTC, as the columns store it)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass(frozen=True)
class StoodAt:
    """The records that changed after `moment`: as they are now and as they stood then.

    `now` and `then` are indexed by exchange id and hold `fields` in the audit trail's
    spelling (dates as ISO text); `then` leaves out records that did not exist at the moment,
    `now` those deleted since.
    """

    moment: datetime
    now: pd.DataFrame
    then: pd.DataFrame
    incomplete_before: datetime | None


def records_at(connection: sa.Connection, moment: datetime, fields: Sequence[str]) -> StoodAt:
    """The exchanges touched after `moment`, now and as they stood then (see the module)."""
    moment = stored_moment(moment)
    events: dict[int, list[tuple[str, dict[str, Any]]]] = {}
    rows = connection.execute(
        sa.select(_EVENTS.c.entity_id, _EVENTS.c.action, _EVENTS.c.changes)
        .where(
            _EVENTS.c.entity == "exchange",
            _EVENTS.c.at > moment,
            _EVENTS.c.action != "refused",
            _EVENTS.c.entity_id.is_not(None),
        )
        .order_by(_EVENTS.c.at, _EVENTS.c.id)
    )
    for entity_id, action, changes in rows:
        events.setdefault(int(entity_id), []).append((action, changes or {}))
    created_after = {
        int(i): at
        for i, at in connection.execute(
            sa.select(_EXCHANGES.c.id, _EXCHANGES.c.created_at).where(
                _EXCHANGES.c.created_at > moment
            )
        )
    }
    ids = sorted(set(events) | set(created_after))
    names = ", ".join(fields)
    current = keyed_rows(connection, f"SELECT id, {names} FROM exchange", "id", ids)  # noqa: S608
    now = {int(row[0]): dict(zip(fields, map(_plain, row[1:]), strict=True)) for row in current}
    then: dict[int, dict[str, Any]] = {}
    unborn: list[int] = []  # still there after undoing every later event, yet created later
    for record_id in ids:
        state, created = _undo(now.get(record_id), events.get(record_id, []), fields)
        if state is None:
            continue
        if not created and record_id in created_after and record_id in now:
            unborn.append(record_id)
            continue
        then[record_id] = state
    without_create = _without_create_event(connection, unborn)
    for record_id in unborn:
        if record_id not in without_create:  # created before the moment after all
            state, _ = _undo(now[record_id], events.get(record_id, []), fields)
            if state is not None:
                then[record_id] = state
    latest = max((created_after[i] for i in without_create), default=None)
    return StoodAt(
        moment=moment,
        now=_frame(now, fields),
        then=_frame(then, fields),
        incomplete_before=_moment_of(latest),
    )


def _undo(
    state: dict[str, Any] | None, events: list[tuple[str, dict[str, Any]]], fields: Sequence[str]
) -> tuple[dict[str, Any] | None, bool]:
    """The record before `events` (oldest first), from `state` after them (None: not there);
    and whether a create event was undone (the record began after the moment)."""
    state = None if state is None else dict(state)
    created = False
    for action, changes in reversed(events):
        version = changes.get("version")
        if action == "create":
            state, created = None, True
        elif isinstance(version, list) and len(version) == 2 and version[1] is None:
            # A deletion (an undo's): the event holds every value the record had.
            state = dict.fromkeys(fields)
            state.update({k: v[0] for k, v in changes.items() if k in state and _pair(v)})
            created = False
        elif state is not None:
            for name, pair in changes.items():
                if name in state and _pair(pair):
                    state[name] = pair[0]
    return state, created


def _pair(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2


def _without_create_event(connection: sa.Connection, ids: list[int]) -> set[int]:
    """Those of `ids` that have no create event at all."""
    if not ids:
        return set()
    having = keyed_rows(
        connection,
        "SELECT entity_id FROM audit_event",
        "entity_id",
        ids,
        where="entity = 'exchange' AND action = 'create'",
    )
    return set(ids) - {int(row[0]) for row in having}


def _plain(value: Any) -> Any:
    """A stored value in the audit trail's spelling: dates as ISO text."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def _frame(records: dict[int, dict[str, Any]], fields: Sequence[str]) -> pd.DataFrame:
    import pandas as pd

    frame = pd.DataFrame.from_dict(records, orient="index", columns=list(fields))
    frame.index.name = "id"
    return frame


def _moment_of(value: Any) -> datetime | None:
    """A stored moment (SQLite gives text) as a datetime in UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
