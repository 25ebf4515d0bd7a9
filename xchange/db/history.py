"""The register as it stood at a moment, rebuilt from the audit trail backwards from today's rows.

    stood = records_at(connection, end_of_day(date(2025, 12, 31)), FIELDS)
    stood.now    # today's rows of the records the trail says changed since (by id)
    stood.then   # those records as they stood at the moment (records created later left out)

Every write to an exchange is audited old -> new (`versioning.record_change`, the import's
bulk events, an undo's deletion event holding every value it removed, a merge's moves), so a
record untouched since a moment stood then as it stands now: only the records with an event
after the moment (or created after it) need rebuilding. Undoing a record's later events newest
first leaves each field at the old value of the first later event that changed it, so that is
what is read, for all records at once. Ids used twice (SQLite hands a deleted record's id to
the next one) come out right too: a first later event that creates means "not there then", and
nothing after a deletion (which holds every value) speaks of the record before it.

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

    `now` and `then` are indexed by exchange id and hold `fields` as object columns, stored
    values and the trail's JSON values mixed (a date or its ISO text, 1 or true): readers
    normalise them (`kpi.recorded`). `then` leaves out records that did not exist at the
    moment, `now` those deleted since.
    """

    moment: datetime
    now: pd.DataFrame
    then: pd.DataFrame
    incomplete_before: datetime | None


def records_at(connection: sa.Connection, moment: datetime, fields: Sequence[str]) -> StoodAt:
    """The exchanges touched after `moment`, now and as they stood then (see the module).

    Each field of a touched record stood then as the oldest value the trail gives it after
    the moment: the old value of the first event after it that changed the field, else the
    value now; after a deletion event (which holds every value the record had), a field it
    does not name was null. The record was there then unless its first event after the
    moment created it (or, with no event since and no create event at all, it was created
    after). The database reads the events' JSON apart, a row per changed field, and pandas
    settles them by record: no Python work per event.
    """
    import pandas as pd

    moment = stored_moment(moment)
    sqlite = connection.dialect.name == "sqlite"
    # Through the driver: its rows are plain tuples, which SQLAlchemy's rows (fetched one by
    # one, then probed by pandas) cost several times more to hand over. Object columns:
    # inferring Arrow text columns would cost more than everything else here.
    found = _driver_rows(connection, _changes_query(fields, sqlite), _bound(moment, sqlite))
    changes = pd.DataFrame(found, columns=["seq", "entity_id", *_CHANGE], dtype=object)
    # Events in the trail's order (moment, then id): ids alone need not follow the moments.
    changes["seq"] = changes.groupby("seq", sort=False).ngroup()
    later = connection.execute(
        sa.select(_EXCHANGES.c.id, _EXCHANGES.c.created_at).where(_EXCHANGES.c.created_at > moment)
    )
    created_after = pd.DataFrame(list(map(tuple, later)), columns=["id", "created_at"])
    touched = pd.Index(changes["entity_id"].unique())
    ids = sorted(set(touched.astype(int)) | set(created_after["id"].astype(int)))
    names = ", ".join(fields)
    current = keyed_rows(connection, f"SELECT id, {names} FROM exchange", "id", ids)  # noqa: S608
    rows = [tuple(row) for row in current]
    now = pd.DataFrame(rows, columns=["id", *fields], dtype=object).set_index("id")
    first = changes.drop_duplicates("entity_id", keep="first").set_index("entity_id")
    was_there = first.index[first["action"] != "create"]
    # Created after the moment with no event since: counted from `created_at` when it has no
    # create event at all (the history before it is unknown).
    quiet = created_after[~created_after["id"].isin(touched)]
    unborn = _without_create_event(connection, quiet["id"].astype(int).tolist())
    untouched = now.index.difference(touched).difference(pd.Index(sorted(unborn)))
    index = pd.Index(was_there.union(untouched), name="id")
    then = _oldest_values(changes, now.reindex(index), fields)
    latest = created_after.loc[created_after["id"].isin(unborn), "created_at"].max()
    return StoodAt(
        moment=moment,
        now=now,
        then=then,
        incomplete_before=None if pd.isna(latest) else _moment_of(latest),
    )


# A row per event and changed field: its action, the field, its old value, the new one's
# JSON type ("null" for a version going to null: a deletion).
_CHANGE = ("action", "field", "old", "new_type")


def _oldest_values(changes: pd.DataFrame, now: pd.DataFrame, fields: Sequence[str]) -> pd.DataFrame:
    """`now`'s records (indexed by id) with each field as it stood before `changes`."""
    deleted = changes[(changes["field"] == "version") & (changes["new_type"] == "null")]
    first_deletion = deleted.drop_duplicates("entity_id").set_index("entity_id")["seq"]
    rows = changes[changes["field"].isin(fields)].copy()
    limit = rows["entity_id"].map(first_deletion)
    # After a record's first deletion, the trail speaks of the record before it no more.
    rows = rows[limit.isna() | (rows["seq"] <= limit)]
    oldest = rows.drop_duplicates(["entity_id", "field"], keep="first")
    then = now.astype(object)
    wiped = then.index.isin(first_deletion.index)
    for name in fields:
        values = oldest[oldest["field"] == name].set_index("entity_id")["old"]
        column = then[name].where(~wiped, None)
        had = then.index.isin(values.index)
        then[name] = column.where(~had, values.reindex(then.index).astype(object))
    return then


def _driver_rows(connection: sa.Connection, sql: str, moment: Any) -> list[Any]:
    """The rows of `sql` (one `%s` for the moment) through the database driver."""
    driver = connection.connection.driver_connection
    assert driver is not None
    mark = "?" if connection.dialect.name == "sqlite" else "%s"
    cursor = driver.cursor()
    try:
        cursor.execute(sql.replace("%s", mark), [moment])
        return list(cursor.fetchall())
    finally:
        cursor.close()


def _changes_query(fields: Sequence[str], sqlite: bool) -> str:
    """A row per exchange event after the moment and field it changed among `fields`, and for
    `version` where a create begins it or a deletion ends it (`_CHANGE`), oldest event
    first."""
    wanted = ", ".join(f"'{name}'" for name in fields)
    # SQLite would seek the (entity, entity_id) index and read every exchange event, where
    # the moment's index reads only the later ones: `+` keeps it off the first (PostgreSQL's
    # statistics choose right by themselves).
    entity = "+e.entity" if sqlite else "e.entity"
    if sqlite:
        old, new_type = "json_extract(j.value, '$[0]')", "json_type(j.value, '$[1]')"
    else:
        old, new_type = "j.value ->> 0", "json_typeof(j.value -> 1)"
    # Field names are the caller's constants, never input.
    return (
        f"SELECT e.id, e.entity_id, e.action, j.key, {old}, {new_type} "  # noqa: S608
        "FROM audit_event AS e, json_each(e.changes) AS j "
        f"WHERE {entity} = 'exchange' AND e.at > %s AND e.action <> 'refused' "
        # The version matters only where it begins (a create) or ends (a deletion).
        f"AND e.entity_id IS NOT NULL AND (j.key IN ({wanted}) OR (j.key = 'version' AND "
        f"(e.action = 'create' OR {new_type} = 'null'))) ORDER BY e.at, e.id"
    )


def _bound(moment: datetime, sqlite: bool) -> Any:
    """`moment` as the driver compares it with the stored text (SQLite) or timestamp."""
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else moment


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


def _moment_of(value: Any) -> datetime | None:
    """A stored moment (SQLite gives text) as a datetime in UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
