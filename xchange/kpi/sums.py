"""How the KPIs count (DOMAIN.md), computed in SQL, never by loading the register into Python.

- Counted: `completed`, physical (virtual too if the programme says so), ended on or before the
  as-of date; each exchange counts once, for the partnership that sends the visitor.
- Involves an SME: the visitor or the host is an SME (as logged on the exchange).
- Beyond community: broad reading, the visitor or the host is `external`; narrow reading, either
  side is anything but `partner`.
- Shares are ratios of sums over counted exchanges; with nothing counted a share is None.
- Virtual: completed virtual stays ended by the as-of date that `counted` leaves out.
- Pipeline (`planned` + `confirmed`) and cancelled are today's figures.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlmodel import Session

from xchange import dates
from xchange.models import BeyondReading, Exchange, Partnership, Programme, quarter_of

if TYPE_CHECKING:  # pandas is imported where a frame is built: `xchange kpi` needs none
    import pandas as pd

X = sa.table(
    "exchange",
    sa.column("end_date", sa.Date),
    *(
        sa.column(name)
        for name in (
            "partnership_id",
            "status",
            "modality",
            "end_quarter",
            "involves_sme",
            "visitor_external",
            "host_external",
            "visitor_partner",
            "host_partner",
            "ecosystem",
            "visitor_country",
            "host_country",
            "visitor_type",
            "host_type",
            "reduced_rate",
            "lump_sum_cents",
            "paid_cents",
            "visitor_org_id",
            "host_org_id",
            "visitor_is_sme",
            "host_is_sme",
        )
    ),
)


@dataclass(frozen=True)
class Definitions:
    """The readings that produced a result; every result carries them."""

    beyond_reading: str = BeyondReading.BROAD.value
    count_virtual: bool = False

    @classmethod
    def of(cls, programme: Programme) -> Definitions:
        return cls(beyond_reading=programme.beyond_reading, count_virtual=programme.count_virtual)

    def describe(self) -> str:
        """The definitions in words, as reports state them."""
        beyond = (
            "the visitor or the host is external to the partnership community"
            if self.beyond_reading == BeyondReading.BROAD
            else "the visitor or the host is not a partner of the consortium"
        )
        virtual = "virtual stays count" if self.count_virtual else "virtual stays are counted apart"
        return f"Beyond community: {beyond} ({self.beyond_reading} reading); {virtual}."


@dataclass(frozen=True)
class Filters:
    """Which exchanges a figure covers; empty tuples mean no restriction."""

    partnership_ids: tuple[int, ...] = ()
    ecosystems: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()  # the visitor's or the host's country
    org_types: tuple[str, ...] = ()  # the visitor's or the host's type
    modality: str | None = None
    quarters: tuple[str, ...] = ()  # quarters of the end date, "2026Q3"


def counted_condition(as_of: date, definitions: Definitions) -> sa.ColumnElement[bool]:
    """SQL for "this exchange counts as of `as_of`"."""
    condition = (X.c.status == "completed") & (X.c.end_date <= as_of)
    if not definitions.count_virtual:
        condition &= X.c.modality == "physical"
    return condition


def beyond_condition(definitions: Definitions) -> sa.ColumnElement[bool]:
    """SQL for "this exchange involves participants beyond the partnership community"."""
    if definitions.beyond_reading == BeyondReading.NARROW:
        return sa.not_(sa.and_(X.c.visitor_partner, X.c.host_partner))
    return sa.or_(X.c.visitor_external, X.c.host_external)


def filter_conditions(filters: Filters) -> list[sa.ColumnElement[bool]]:
    """SQL conditions for `filters`."""
    conditions: list[sa.ColumnElement[bool]] = []
    if filters.partnership_ids:
        conditions.append(X.c.partnership_id.in_(filters.partnership_ids))
    if filters.ecosystems:
        conditions.append(X.c.ecosystem.in_(filters.ecosystems))
    if filters.countries:
        conditions.append(
            sa.or_(
                X.c.visitor_country.in_(filters.countries), X.c.host_country.in_(filters.countries)
            )
        )
    if filters.org_types:
        conditions.append(
            sa.or_(X.c.visitor_type.in_(filters.org_types), X.c.host_type.in_(filters.org_types))
        )
    if filters.modality:
        conditions.append(X.c.modality == filters.modality)
    if filters.quarters:
        conditions.append(X.c.end_quarter.in_(filters.quarters))
    return conditions


FIGURES = ("counted", "involving_sme", "beyond_community", "pipeline", "cancelled", "virtual")


DAILY = sa.table(
    "kpi_daily",
    sa.column("end_date", sa.Date),
    *(
        sa.column(name)
        for name in (
            "partnership_id",
            "end_quarter",
            "status",
            "modality",
            "n",
            "sme",
            "beyond_broad",
            "beyond_narrow",
            "visitor_sme",
            "host_sme",
            "reduced",
            "lump_sum_cents",
            "paid_cents",
            "paid_n",
        )
    ),
)
FLOW = sa.table(
    "kpi_flow",
    *(
        sa.column(name)
        for name in (
            "partnership_id",
            "end_quarter",
            "status",
            "modality",
            "visitor_country",
            "host_country",
            "n",
            "sme",
            "beyond_broad",
            "beyond_narrow",
        )
    ),
)


# --- sources: the exchange table (one row per exchange) or a summary (sums) ---------------------


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
    """Grouped figures as plain columns: one list per key, and a (rows, 6) int64 array."""

    keys: list[list[Any]]
    figures: npt.NDArray[np.int64]

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
        return cls(
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
    breakdowns): on a few hundred rows a DataFrame costs more to build than the query."""
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


# The raw table's figures at this grain answer the dashboard's breakdowns (headline,
# partnerships, quarters, countries, flows) by summing in pandas: one scan for all of them.
FINE_KEYS = ("partnership_id", "end_quarter", "visitor_country", "host_country")
_FINE_CACHE = "xchange.kpi.sums.fine"


def _fine_raw(
    session: Session, as_of: date, definitions: Definitions, filters: Filters
) -> pd.DataFrame:
    """The exchange table grouped at FINE_KEYS, computed once per session and question.

    Kept in `session.info` until the session flushes or its transaction ends.
    """
    cache: dict[Any, pd.DataFrame] = session.info.setdefault(_FINE_CACHE, {})
    key = (as_of, definitions, filters)
    if key not in cache:
        _listen_for_changes(session)
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
    before, after = _completed_in_quarter(session, as_of, filters)
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
        return Sums([], figures.reshape(1, len(FIGURES)))
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
        _stack([totals[group] for group in groups]),
    )


def _completed_in_quarter(
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
        return Sums([[] for _ in range(width)], np.zeros((0, len(FIGURES)), dtype=np.int64))
    columns = list(zip(*rows, strict=True))
    figures = np.array(columns[width:], dtype=np.int64).T
    return Sums([list(column) for column in columns[:width]], figures)


def result_frame(
    session: Session | Connection, query: sa.Select[Any], keys: list[str]
) -> pd.DataFrame:
    """The rows of `query` (its keys, then the six figures) as a frame, figures as int64."""
    return result_sums(session, query, len(keys)).frame(keys)


def _stack(rows: list[npt.NDArray[np.int64]]) -> npt.NDArray[np.int64]:
    return np.array(rows, dtype=np.int64).reshape(len(rows), len(FIGURES))


def share(part: int, whole: int) -> float | None:
    """A ratio of sums; None ("no data") when nothing is counted."""
    return part / whole if whole else None


@dataclass
class Headline:
    """Where a scope stands: the figures `xchange kpi --json` prints."""

    as_of: date
    scope: str  # "programme" or a partnership acronym
    counted: int
    target: int
    involving_sme: int
    sme_target: float
    beyond_community: int
    beyond_target: float
    pipeline: int
    cancelled: int
    virtual: int
    definitions: Definitions = field(default_factory=Definitions)

    @property
    def progress(self) -> float | None:
        return share(self.counted, self.target)

    @property
    def sme_share(self) -> float | None:
        return share(self.involving_sme, self.counted)

    @property
    def beyond_share(self) -> float | None:
        return share(self.beyond_community, self.counted)

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values, shares as fractions (0.523), None where nothing counts."""
        data = asdict(self)
        data["as_of"] = self.as_of.isoformat()
        data["progress"] = self.progress
        data["sme_share"] = self.sme_share
        data["beyond_share"] = self.beyond_share
        data["definitions"] = asdict(self.definitions)
        return data


def headline(
    session: Session | Connection,
    *,
    as_of: date | None = None,
    partnership: Partnership | None = None,
    filters: Filters = Filters(),
) -> Headline:
    """Headline figures for the programme, or for one partnership, as of a date (default today)."""
    as_of = as_of or date.today()
    programme = programme_targets(session)
    definitions = programme.definitions
    if partnership is not None:
        filters = replace(filters, partnership_ids=(partnership.id or 0,))
    sums = grouped_sums(session, [], as_of=as_of, definitions=definitions, filters=filters)
    row = sums.figures[0] if len(sums.figures) else np.zeros(len(FIGURES), dtype=np.int64)
    chosen = _partnerships(session, filters.partnership_ids)
    if not filters.partnership_ids:
        scope, target = "programme", programme.target_exchanges
        sme_target, beyond_target = programme.sme_share_target, programme.beyond_share_target
    elif len(chosen) == 1:
        (only,) = chosen
        scope, target = only.acronym, only.target_exchanges
        sme_target = _or(only.sme_share_target, programme.sme_share_target)
        beyond_target = _or(only.beyond_share_target, programme.beyond_share_target)
    else:  # several partnerships: their own targets add up; share floors are the programme's
        scope = ", ".join(p.acronym for p in chosen)
        target = sum(p.target_exchanges for p in chosen)
        sme_target, beyond_target = programme.sme_share_target, programme.beyond_share_target
    return Headline(
        as_of=as_of,
        scope=scope,
        target=target,
        sme_target=sme_target,
        beyond_target=beyond_target,
        definitions=definitions,
        **{name: int(row[i]) for i, name in enumerate(FIGURES)},
    )


def _or(value: float | None, default: float) -> float:
    return default if value is None else value


def programme_of(session: Session | Connection) -> Programme:
    """The programme's settings row (the defaults when there is none), on a session or not."""
    if isinstance(session, Session):
        found = session.get(Programme, 1)
    else:  # a Connection has no `get`: read the row's columns and build the model from them
        row = session.execute(sa.select(Programme).where(sa.column("id") == 1)).first()
        found = Programme(**row._mapping) if row is not None else None
    return found or Programme()


@dataclass(frozen=True)
class Targets:
    """The programme's targets and definitions: what the headline and breakdowns need of it."""

    target_exchanges: int
    sme_share_target: float
    beyond_share_target: float
    definitions: Definitions


_TARGETS_COLUMNS = (
    "target_exchanges",
    "sme_share_target",
    "beyond_share_target",
    "beyond_reading",
    "count_virtual",
)
_TARGETS_QUERY: Any = (
    sa.select(*(sa.column(name) for name in _TARGETS_COLUMNS))
    .select_from(sa.table("programme", sa.column("id")))
    .where(sa.column("id") == 1)
)
_TARGETS_CACHE = "xchange.kpi.targets"


def programme_targets(session: Session | Connection) -> Targets:
    """The programme's targets and definitions, read once per session transaction.

    One light Core read, not an ORM load: the headline and every breakdown ask for them, and
    an ORM `get` that nothing keeps (the identity map holds it weakly) reads the row each time.
    Kept in `session.info` until the session flushes or its transaction ends.
    """
    if isinstance(session, Session) and not (session.new or session.dirty or session.deleted):
        cached: Targets | None = session.info.get(_TARGETS_CACHE)
        if cached is not None:
            return cached
    row = session.execute(_TARGETS_QUERY).first()
    default = Programme()
    values = (
        dict(row._mapping)
        if row is not None
        else {n: getattr(default, n) for n in _TARGETS_COLUMNS}
    )
    found = Targets(
        target_exchanges=int(values["target_exchanges"]),
        sme_share_target=float(values["sme_share_target"]),
        beyond_share_target=float(values["beyond_share_target"]),
        definitions=Definitions(
            beyond_reading=str(values["beyond_reading"]),
            count_virtual=bool(values["count_virtual"]),
        ),
    )
    if isinstance(session, Session):
        _listen_for_changes(session)
        session.info[_TARGETS_CACHE] = found
    return found


def _listen_for_changes(session: Session) -> None:
    """Forget this module's per-session caches when the session writes or its transaction
    ends (another may have written meanwhile)."""
    if not event.contains(session, "after_flush", _forget_caches):
        event.listen(session, "after_flush", _forget_caches)
        event.listen(session, "after_transaction_end", _forget_caches)


def _forget_caches(session: Session, *_args: Any) -> None:
    session.info.pop(_FINE_CACHE, None)
    session.info.pop(_TARGETS_CACHE, None)


def _partnerships(session: Session | Connection, ids: tuple[int, ...]) -> list[Partnership]:
    """The partnerships with these ids, by acronym."""
    if not ids:
        return []
    rows = session.execute(sa.select(Partnership).where(sa.column("id").in_(ids))).scalars()
    return sorted(rows, key=lambda p: p.acronym.casefold())


__all__ = ["Definitions", "Exchange", "Filters", "Headline", "headline", "share"]
