"""Figure sums grouped by keys, in SQL: from the exchange table itself, or from the daily and
flow summary tables when the filters allow (`uses_summary`); one row of six figures per group."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Session

from xchange import dates
from xchange.kpi.cache import FINE_CACHE, listen_for_changes
from xchange.kpi.counting import (
    DAILY,
    FIGURES,
    FLOW,
    Definitions,
    Filters,
    X,
    beyond_condition,
    filter_conditions,
)
from xchange.models import BeyondReading, quarter_of

if TYPE_CHECKING:  # imported where a frame or an array is built: `xchange kpi` needs neither
    import numpy as np
    import numpy.typing as npt
    import pandas as pd


@dataclass(frozen=True)
class Source:
    """Where figures are summed from, and how one row weighs in each measure."""

    table: sa.TableClause
    n: sa.ColumnElement[Any]
    sme: sa.ColumnElement[Any]
    beyond: sa.ColumnElement[Any]
    has_end_date: bool = True


def raw_source(definitions: Definitions) -> Source:
    one = sa.literal(1)
    return Source(
        X,
        one,
        sa.case((X.c.involves_sme, 1), else_=0),
        sa.case((beyond_condition(definitions), 1), else_=0),
    )


def summary_source(table: sa.TableClause, definitions: Definitions) -> Source:
    beyond = (
        "beyond_narrow" if definitions.beyond_reading == BeyondReading.NARROW else "beyond_broad"
    )
    return Source(table, table.c.n, table.c.sme, table.c[beyond], "end_date" in table.c)


def sum_if(condition: sa.ColumnElement[bool], weight: sa.ColumnElement[Any]) -> Any:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, weight), else_=0)), 0)


def figure_sums(
    source: Source,
    as_of: date,
    definitions: Definitions,
    counted_until: sa.ColumnElement[bool] | None = None,
) -> list[Any]:
    """The six figures as SQL sums over `source`.

    `counted_until` replaces "end date on or before as-of" for sources without end dates.
    """
    t = source.table.c
    ended = counted_until if counted_until is not None else (t.end_date <= as_of)
    completed = (t.status == "completed") & ended
    counted = completed if definitions.count_virtual else completed & (t.modality == "physical")
    virtual = sa.false() if definitions.count_virtual else completed & (t.modality == "virtual")
    sums = {
        "counted": sum_if(counted, source.n),
        "involving_sme": sum_if(counted, source.sme),
        "beyond_community": sum_if(counted, source.beyond),
        "pipeline": sum_if(t.status.in_(("planned", "confirmed")), source.n),
        "cancelled": sum_if(t.status == "cancelled", source.n),
        "virtual": sum_if(virtual, source.n),
    }
    # PostgreSQL sums BIGINT columns as NUMERIC, which arrives as Decimal: slow to build and
    # to convert. Counts fit a BIGINT.
    return [sa.cast(value, sa.BigInteger).label(name) for name, value in sums.items()]


def uses_summary(filters: Filters) -> bool:
    """The summaries carry partnership, dates, status and modality, not the other filters."""
    return not (filters.ecosystems or filters.countries or filters.org_types)


def summary_conditions(table: sa.TableClause, filters: Filters) -> list[Any]:
    # A row whose exchanges all moved away (n back to 0) stays behind the triggers: skip it, or
    # its quarter, date or countries would show as a group of zeros the raw table does not have.
    conditions: list[Any] = [table.c.n != 0]
    if filters.partnership_ids:
        conditions.append(table.c.partnership_id.in_(filters.partnership_ids))
    if filters.modality:
        conditions.append(table.c.modality == filters.modality)
    if filters.quarters:
        conditions.append(table.c.end_quarter.in_(filters.quarters))
    return conditions


@dataclass(frozen=True)
class Sums:
    """Grouped figures as plain columns: one list per key, and each group's six figures.

    `incomplete_before`: as recorded then, the moment before which the audit trail cannot say
    what some records held (`db.history`); None when it can.
    """

    keys: list[list[Any]]
    rows: list[tuple[int, ...]]
    incomplete_before: datetime | None = None

    @cached_property
    def figures(self) -> npt.NDArray[np.int64]:
        """The figures as a (groups, 6) int64 array. numpy is imported here, when a breakdown
        asks: the headline (`xchange kpi`) reads `rows` and saves its import, about 0.1 s."""
        import numpy as np

        return np.array(self.rows, dtype=np.int64).reshape(len(self.rows), len(FIGURES))

    @classmethod
    def of_array(
        cls,
        keys: list[list[Any]],
        figures: npt.NDArray[np.int64],
        incomplete_before: datetime | None = None,
    ) -> Sums:
        """Sums from a (groups, 6) array of figures."""
        return cls(keys, [tuple(row) for row in figures.tolist()], incomplete_before)

    def frame(self, names: list[str]) -> pd.DataFrame:
        """The sums as `grouped` returns them: the keys, then the six figures as int64."""
        import pandas as pd

        some = len(self.figures) > 0
        data: dict[str, Any] = {
            name: pd.Series(self.keys[i], dtype=None if some else object)
            for i, name in enumerate(names)
        }
        data.update({name: self.figures[:, i] for i, name in enumerate(FIGURES)})
        return pd.DataFrame(data, columns=[*names, *FIGURES])

    @classmethod
    def of(cls, frame: pd.DataFrame, keys: list[str]) -> Sums:
        import numpy as np

        return cls.of_array(
            [frame[key].tolist() for key in keys],
            frame[list(FIGURES)].to_numpy(dtype=np.int64).reshape(len(frame), len(FIGURES)),
        )


def grouped(
    session: Session | Connection,
    keys: list[str],
    *,
    as_of: date,
    definitions: Definitions,
    filters: Filters,
) -> pd.DataFrame:
    """The six figures grouped by `keys` (rows in no particular order), from the smallest
    source that can answer:

    - kpi_daily, when no ecosystem, country or type filter applies and the keys are its columns;
    - kpi_flow by whole quarters, corrected to the day for the as-of quarter from the exchange
      table (see `_grouped_by_quarters`), when the keys and a country filter fit kpi_flow;
    - the exchange table otherwise (its covering indexes keep that an index-only read).
    """
    sums = grouped_sums(session, keys, as_of=as_of, definitions=definitions, filters=filters)
    return sums.frame(keys)


def grouped_sums(
    session: Session | Connection,
    keys: list[str],
    *,
    as_of: date,
    definitions: Definitions,
    filters: Filters,
) -> Sums:
    """`grouped` as plain columns, for callers that take the figures apart anyway (the
    breakdowns): on a few hundred rows a DataFrame costs more to build than the query.

    With `filters.recorded_at`, the register as recorded then (`_as_recorded`)."""
    if filters.recorded_at is not None:
        return _as_recorded(session, keys, as_of, filters)
    if uses_summary(filters) and all(key in DAILY.c for key in keys):
        return _grouped_on(session, DAILY, keys, as_of, definitions, filters)
    if not (filters.ecosystems or filters.org_types) and all(key in FLOW.c for key in keys):
        return _grouped_by_quarters(session, keys, as_of, definitions, filters)
    if isinstance(session, Session) and all(key in FINE_KEYS for key in keys):
        fine = _fine_raw(session, as_of, definitions, filters)
        if not keys:
            return Sums.of(fine[list(FIGURES)].sum().to_frame().T, [])
        return Sums.of(fine.groupby(keys, as_index=False)[list(FIGURES)].sum(), keys)
    return _grouped_on(session, X, keys, as_of, definitions, filters)


def _as_recorded(
    session: Session | Connection, keys: list[str], as_of: date, filters: Filters
) -> Sums:
    """The figures as recorded at `filters.recorded_at`: today's sums, by the definitions as
    they stood, minus the touched records as they are now plus the same as they stood then."""
    import numpy as np

    from xchange.kpi import recorded  # numpy and the audit trail: only for this reading

    assert filters.recorded_at is not None
    definitions = recorded.definitions_then(session, filters.recorded_at)
    now = replace(filters, recorded_at=None)
    base = grouped_sums(session, keys, as_of=as_of, definitions=definitions, filters=now)
    stood = recorded.stood_at(session, filters.recorded_at)
    known = _groups(base, keys)
    totals = dict(zip(known, base.figures.copy(), strict=True))
    if not keys:
        totals = {(): base.figures.sum(axis=0) if len(base.figures) else _stack([]).sum(axis=0)}
    for group, row in recorded.net_sums(stood, keys, as_of, definitions, now).items():
        found = totals.get(group)
        totals[group] = row if found is None else found + row
    # A group the correction alone brings in, all zeros, has no exchange then: left out.
    present = set(known)
    groups = [g for g in totals if g in present or np.any(totals[g]) or not keys]
    if keys:
        groups = sorted(groups, key=_order)
    return Sums.of_array(
        [list(column) for column in zip(*groups, strict=True)] if groups else [[] for _ in keys],
        _stack([totals[group] for group in groups]),
        stood.incomplete_before,
    )


def _groups(sums: Sums, keys: list[str]) -> list[tuple[Any, ...]]:
    """The group of each row of `sums`: its keys' values (`()` for each row without keys)."""
    if not keys:
        return [()] * len(sums.rows)
    return [tuple(group) for group in zip(*sums.keys, strict=True)]


def _order(group: tuple[Any, ...]) -> tuple[str, ...]:
    return tuple(str(value) for value in group)


def _stack(rows: list[npt.NDArray[np.int64]]) -> npt.NDArray[np.int64]:
    import numpy as np

    return np.array(rows, dtype=np.int64).reshape(len(rows), len(FIGURES))


# The raw table's figures at this grain answer the dashboard's breakdowns (headline,
# partnerships, quarters, countries, flows) by summing in pandas: one scan for all of them.
FINE_KEYS = ("partnership_id", "end_quarter", "visitor_country", "host_country")


def _fine_raw(
    session: Session, as_of: date, definitions: Definitions, filters: Filters
) -> pd.DataFrame:
    """The exchange table grouped at FINE_KEYS, computed once per session and question.

    Kept in `session.info` until the session flushes or its transaction ends.
    """
    cache: dict[Any, pd.DataFrame] = session.info.setdefault(FINE_CACHE, {})
    key = (as_of, definitions, filters)
    if key not in cache:
        listen_for_changes(session)
        cache[key] = _grouped_on(session, X, list(FINE_KEYS), as_of, definitions, filters).frame(
            list(FINE_KEYS)
        )
    return cache[key]


def _grouped_on(
    session: Session | Connection,
    table: sa.TableClause,
    keys: list[str],
    as_of: date,
    definitions: Definitions,
    filters: Filters,
) -> Sums:
    if table is X:
        source, conditions = raw_source(definitions), filter_conditions(filters)
    else:
        source = summary_source(table, definitions)
        conditions = summary_conditions(table, filters)
    columns: list[Any] = [table.c[key] for key in keys]
    if table is X:
        # Group by an expression, not the bare column: SQLite would otherwise walk the
        # single-column index in group order and read every row of the table, where a filtered
        # scan of a covering index reads no row at all.
        columns = [sa.func.coalesce(table.c[key], sa.null()).label(key) for key in keys]
    query = sa.select(*columns, *figure_sums(source, as_of, definitions)).select_from(table)
    return result_sums(session, query.where(*conditions).group_by(*columns), len(keys))


def _grouped_by_quarters(
    session: Session | Connection,
    keys: list[str],
    as_of: date,
    definitions: Definitions,
    filters: Filters,
) -> Sums:
    """Whole quarters from kpi_flow, corrected to the day for the as-of quarter from the
    exchange table (a range of its covering index).

    Either kpi_flow's quarters before the as-of quarter plus that quarter's completed stays
    ended by as-of, or its quarters up to and including the as-of quarter minus those ended
    after as-of: whichever side holds fewer completed stays (kpi_daily knows, per day). For
    as-of today the side after it is empty (a stay cannot be completed before it ends), so the
    dashboard reads no exchange row at all.
    """
    current = quarter_of(as_of)
    first_day, last_day = quarter_bounds(as_of)
    before, after = completed_in_quarter(session, as_of, filters)
    subtract = after < before
    source = summary_source(FLOW, definitions)
    columns = [FLOW.c[key] for key in keys]
    # Text order is time order only between years of as many digits (`dates`); a year of
    # fewer digits is earlier (quarters stored before the dates had bounds may have them).
    length = sa.func.length(FLOW.c.end_quarter)
    same = FLOW.c.end_quarter <= current if subtract else FLOW.c.end_quarter < current
    until = (length < len(current)) | ((length == len(current)) & same)
    sums = figure_sums(source, as_of, definitions, counted_until=until)
    conditions = summary_conditions(FLOW, filters)
    if filters.countries:
        conditions.append(
            sa.or_(
                FLOW.c.visitor_country.in_(filters.countries),
                FLOW.c.host_country.in_(filters.countries),
            )
        )
    whole = result_sums(
        session, sa.select(*columns, *sums).where(*conditions).group_by(*columns), len(keys)
    )
    if min(before, after) == 0:
        return whole
    # Counted and virtual only here: pipeline and cancelled came whole from kpi_flow.
    days = (
        (X.c.end_date > as_of) & (X.c.end_date <= last_day)
        if subtract
        else (X.c.end_date >= first_day) & (X.c.end_date <= as_of)
    )
    raw_columns = [X.c[key] for key in keys]
    partial = result_sums(
        session,
        sa.select(
            *raw_columns,
            *figure_sums(raw_source(definitions), as_of, definitions, counted_until=days),
        )
        .where(*filter_conditions(filters), days, X.c.status == "completed")
        .group_by(*raw_columns),
        len(keys),
    )
    correction = partial.figures.copy()
    correction[:, [FIGURES.index("pipeline"), FIGURES.index("cancelled")]] = 0
    if subtract:
        correction = -correction
    if not keys:
        figures = whole.figures.sum(axis=0) + correction.sum(axis=0)
        return Sums.of_array([], figures.reshape(1, len(FIGURES)))
    # Both parts summed by key. A group whose completed stays all ended after as-of nets to
    # zeros and stays listed, as the exchange table lists it (its exchanges exist, none counts).
    totals: dict[tuple[Any, ...], npt.NDArray[np.int64]] = {}
    for part, figures in ((whole, whole.figures), (partial, correction)):
        for group, row in zip(zip(*part.keys, strict=True), figures, strict=True):
            found = totals.get(group)
            totals[group] = row.copy() if found is None else found + row
    # Sorted by key with groups of missing keys left out, as a pandas groupby gives them.
    groups = sorted(group for group in totals if None not in group)
    return Sums(
        [list(column) for column in zip(*groups, strict=True)] if groups else [[] for _ in keys],
        [tuple(totals[group].tolist()) for group in groups],
    )


def completed_in_quarter(
    session: Session | Connection, as_of: date, filters: Filters
) -> tuple[int, int]:
    """Completed stays of the as-of quarter ended by as-of, and ended after it, from kpi_daily
    (its partnership, quarter and modality filters only: an upper bound for the others)."""
    first_day, last_day = quarter_bounds(as_of)
    completed = (DAILY.c.status == "completed") & DAILY.c.end_date.between(first_day, last_day)
    by_as_of = DAILY.c.end_date <= as_of
    row = session.execute(
        sa.select(sum_if(by_as_of, DAILY.c.n), sum_if(sa.not_(by_as_of), DAILY.c.n)).where(
            completed, *summary_conditions(DAILY, filters)
        )
    ).one()
    return int(row[0]), int(row[1])


def quarter_bounds(day: date) -> tuple[date, date]:
    """The first and the last day of `day`'s quarter."""
    return dates.quarter_days(quarter_of(day))


def result_sums(session: Session | Connection, query: sa.Select[Any], width: int) -> Sums:
    """The rows of `query` (`width` keys, then the six figures) as plain columns."""
    rows = session.execute(query).all()
    if not rows:
        return Sums([[] for _ in range(width)], [])
    columns = list(zip(*rows, strict=True))
    return Sums(
        [list(column) for column in columns[:width]],
        [tuple(int(value) for value in row[width:]) for row in rows],
    )
