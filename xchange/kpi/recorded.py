"""Figures as recorded then: today's sums corrected by the records that changed since.

Two readings of every figure at a date (DOMAIN.md):

- as known now (the default): the stays ended by the date, by the statuses recorded now;
- as recorded then: the register exactly as it stood at the end of that day in Brussels, so
  pipeline and cancelled are that day's too.

A rebuild of a million rows is not needed: the records untouched since the moment stood then
as they stand now, so the figures then are today's sums (the summaries, for the chosen as-of
date and definitions) minus the touched records' contributions now plus their contributions as
they stood (`db.history.records_at`). The programme's settings are taken as they stood too.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Connection
from sqlmodel import Session

from xchange.db import history
from xchange.db.versioning import as_it_stood
from xchange.kpi.cache import RECORDED_CACHE, listen_for_changes
from xchange.kpi.counting import FIGURES, Definitions, Filters
from xchange.models import BeyondReading, Programme

if TYPE_CHECKING:  # numpy and pandas are imported where used: `xchange kpi` needs neither
    import numpy as np
    import numpy.typing as npt
    import pandas as pd

# What the figures read of an exchange, as the audit trail records it.
FIELDS = (
    "partnership_id",
    "status",
    "modality",
    "end_date",
    "visitor_is_sme",
    "host_is_sme",
    "visitor_community",
    "host_community",
    "ecosystem",
    "visitor_type",
    "host_type",
    "visitor_country",
    "host_country",
)
KNOWN_NOW = "as known now"


def reading(recorded_at: datetime | None) -> str:
    """The reading in words: "as known now" or "as recorded on 31 Dec 2025"."""
    if recorded_at is None:
        return KNOWN_NOW
    day = history.stored_moment(recorded_at).astimezone(history.BRUSSELS).date()
    return f"as recorded on {day.day} {day:%b %Y}"


def stood_at(session: Session | Connection, moment: datetime) -> history.StoodAt:
    """The records touched after `moment`, now and then; kept per session until it writes."""
    connection = session.connection() if isinstance(session, Session) else session
    if not isinstance(session, Session):
        return history.records_at(connection, moment, FIELDS)
    cache: dict[datetime, history.StoodAt] = session.info.setdefault(RECORDED_CACHE, {})
    if moment not in cache:
        listen_for_changes(session)
        cache[moment] = history.records_at(connection, moment, FIELDS)
    return cache[moment]


def programme_then(session: Session | Connection, moment: datetime) -> dict[str, Any]:
    """The programme's settings as they stood at `moment` (from today's row and its trail)."""
    connection = session.connection() if isinstance(session, Session) else session
    row = connection.execute(Programme.__table__.select().where(Programme.__table__.c.id == 1))  # type: ignore[attr-defined]
    found = row.first()
    now = dict(found._mapping) if found is not None else Programme(id=1).model_dump()
    reader = session if isinstance(session, Session) else Session(bind=session)
    return as_it_stood(reader, "programme", 1, history.stored_moment(moment), now)


def definitions_then(session: Session | Connection, moment: datetime) -> Definitions:
    """The counting definitions as the programme's settings stood at `moment`."""
    settings = programme_then(session, moment)
    return Definitions(
        beyond_reading=str(settings.get("beyond_reading") or BeyondReading.BROAD.value),
        count_virtual=bool(settings.get("count_virtual")),
    )


def net_sums(
    stood: history.StoodAt,
    keys: list[str],
    as_of: date,
    definitions: Definitions,
    filters: Filters,
) -> dict[tuple[Any, ...], npt.NDArray[np.int64]]:
    """What the records touched after the moment add to today's sums to give those then:
    their figures as they stood, less their figures now, by `keys` (one pass over both)."""
    import numpy as np
    import pandas as pd

    both = pd.concat([stood.now, stood.then], ignore_index=True)
    weights = np.concatenate(
        [np.full(len(stood.now), -1, dtype=np.int64), np.ones(len(stood.then), dtype=np.int64)]
    )
    return state_sums(both, keys, as_of, definitions, filters, weights)


def state_sums(
    frame: pd.DataFrame,
    keys: list[str],
    as_of: date,
    definitions: Definitions,
    filters: Filters,
    weights: npt.NDArray[np.int64] | None = None,
) -> dict[tuple[Any, ...], npt.NDArray[np.int64]]:
    """The six figures of records `frame` (FIELDS, as the trail spells them) by `keys`,
    counted as `kpi.counting` counts them in SQL; each record `weights` times (default once)."""
    import numpy as np
    import pandas as pd

    if not len(frame):
        return {}
    t = _typed(frame, quarters="end_quarter" in keys or bool(filters.quarters))
    keep = np.ones(len(t), dtype=bool)
    if filters.partnership_ids:
        keep &= t["partnership_id"].isin(filters.partnership_ids).to_numpy()
    if filters.ecosystems:
        keep &= t["ecosystem"].isin(filters.ecosystems).to_numpy()
    if filters.countries:
        keep &= (
            t["visitor_country"].isin(filters.countries) | t["host_country"].isin(filters.countries)
        ).to_numpy()
    if filters.org_types:
        keep &= (
            t["visitor_type"].isin(filters.org_types) | t["host_type"].isin(filters.org_types)
        ).to_numpy()
    if filters.modality:
        keep &= (t["modality"] == filters.modality).to_numpy()
    if filters.quarters:
        keep &= t["end_quarter"].isin(filters.quarters).to_numpy()
    t = t[keep]
    weight = np.ones(len(t), dtype=np.int64) if weights is None else weights[keep]
    status, modality = t["status"].to_numpy(), t["modality"].to_numpy()
    ended = (t["end_date"] <= pd.Timestamp(as_of)).to_numpy()
    completed = (status == "completed") & ended
    physical = modality == "physical"
    counted = completed if definitions.count_virtual else completed & physical
    virtual = np.zeros(len(t), dtype=bool) if definitions.count_virtual else completed & ~physical
    communities = t["visitor_community"].to_numpy(), t["host_community"].to_numpy()
    if definitions.beyond_reading == BeyondReading.NARROW:
        beyond = ~((communities[0] == "partner") & (communities[1] == "partner"))
    else:
        beyond = (communities[0] == "external") | (communities[1] == "external")
    sme = t["visitor_is_sme"].to_numpy(dtype=bool) | t["host_is_sme"].to_numpy(dtype=bool)
    pipeline = np.isin(status, ("planned", "confirmed"))
    if not keys:  # the headline: plain sums, no frame
        columns = (counted, counted & sme, counted & beyond, pipeline, status == "cancelled")
        return {(): np.array([int(weight[c].sum()) for c in (*columns, virtual)], np.int64)}
    figures = (
        pd.DataFrame(
            {
                "counted": counted,
                "involving_sme": counted & sme,
                "beyond_community": counted & beyond,
                "pipeline": pipeline,
                "cancelled": status == "cancelled",
                "virtual": virtual,
            },
            index=t.index,
        )
        .astype(np.int64)
        .mul(weight, axis=0)
    )
    grouped = pd.concat([t[keys], figures], axis=1).groupby(keys, sort=False, dropna=False).sum()
    values = grouped[list(FIGURES)].to_numpy(dtype=np.int64)
    groups = [g if isinstance(g, tuple) else (g,) for g in grouped.index]
    return {tuple(_key(v) for v in g): row for g, row in zip(groups, values, strict=True)}


# Yes as the database and the trail spell it: SQLite's 1, PostgreSQL's JSON text "true".
_YES = {True: True, "true": True, "1": True, "t": True}  # 1 and 1.0 hash as True


def _typed(frame: pd.DataFrame, *, quarters: bool = True) -> pd.DataFrame:
    """Stored values and the trail's JSON made comparable: the end date as a timestamp (a date,
    or ISO text) with its quarter (when `quarters`), yes/no as booleans, the partnership as a
    number."""
    import pandas as pd

    t = frame.copy()
    end = pd.to_datetime(t["end_date"].astype("string"), errors="coerce", format="ISO8601")
    t["end_date"] = end
    if quarters:
        year, quarter = end.dt.year.astype("Int64"), ((end.dt.month - 1) // 3 + 1).astype("Int64")
        t["end_quarter"] = year.astype("string") + "Q" + quarter.astype("string")
    for name in ("visitor_is_sme", "host_is_sme"):
        t[name] = t[name].map(_YES).fillna(False).astype(bool)
    t["partnership_id"] = pd.to_numeric(t["partnership_id"], errors="coerce").astype("Int64")
    return t


def _key(value: Any) -> Any:
    """A group key as the SQL sums give it: dates as dates, numbers as Python ints, blanks
    None."""
    import pandas as pd

    if pd.isna(value):
        return None
    if isinstance(value, datetime):  # a pandas Timestamp
        return value.date()
    return value.item() if hasattr(value, "item") else value
