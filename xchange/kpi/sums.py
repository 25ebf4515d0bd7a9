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
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Session

from xchange.db import history
from xchange.db.versioning import as_it_stood
from xchange.kpi.cache import TARGETS_CACHE, listen_for_changes
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
from xchange.kpi.grouping import (
    FINE_KEYS,
    Source,
    Sums,
    completed_in_quarter,
    figure_sums,
    grouped,
    grouped_sums,
    quarter_bounds,
    raw_source,
    result_sums,
    sum_if,
    summary_conditions,
    summary_source,
    uses_summary,
)
from xchange.kpi.recorded import KNOWN_NOW, definitions_then, programme_then, reading
from xchange.models import Exchange, Partnership, Programme

# The counting rules and the grouped sums have modules of their own; their names stay
# importable from here, where the breakdowns, targets and pages find them.
__all__ = [
    "DAILY",
    "Definitions",
    "Exchange",
    "FIGURES",
    "FINE_KEYS",
    "FLOW",
    "Filters",
    "Headline",
    "Source",
    "Sums",
    "Targets",
    "X",
    "beyond_condition",
    "completed_in_quarter",
    "figure_sums",
    "filter_conditions",
    "grouped",
    "grouped_sums",
    "headline",
    "programme_targets",
    "quarter_bounds",
    "raw_source",
    "result_sums",
    "share",
    "sum_if",
    "summary_conditions",
    "summary_source",
    "uses_summary",
]


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
    # "as known now" or "as recorded on 31 Dec 2025" (`kpi.recorded.reading`): every result
    # states its reading.
    reading: str = KNOWN_NOW
    # As recorded then: the day before which the audit trail cannot say what some records
    # held (records without a create event), when the figures' moment lies before it.
    history_incomplete_before: date | None = None

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
        incomplete = self.history_incomplete_before
        data["history_incomplete_before"] = None if incomplete is None else incomplete.isoformat()
        return data

    def describe_reading(self) -> str:
        """The reading in words, with the history's gap if any: "as recorded on 31 Dec 2025
        (history incomplete before 7 Dec 2026)"."""
        if self.history_incomplete_before is None:
            return self.reading
        day = self.history_incomplete_before
        return f"{self.reading} (history incomplete before {day.day} {day:%b %Y})"


def headline(
    session: Session | Connection,
    *,
    as_of: date | None = None,
    partnership: Partnership | None = None,
    filters: Filters = Filters(),
    recorded: bool = False,
) -> Headline:
    """Headline figures for the programme, or for one partnership, as of a date (default today).

    `recorded`: the register as recorded at the end of that day (Brussels), its records and
    the programme's and partnerships' settings as they stood (`kpi.recorded`), rather than as
    known now; `filters.recorded_at` says the same for any moment.
    """
    as_of = as_of or date.today()
    if recorded:
        filters = replace(filters, recorded_at=history.end_of_day(as_of))
    moment = filters.recorded_at
    programme = programme_targets(session) if moment is None else targets_then(session, moment)
    definitions = programme.definitions
    if partnership is not None:
        filters = replace(filters, partnership_ids=(partnership.id or 0,))
    sums = grouped_sums(session, [], as_of=as_of, definitions=definitions, filters=filters)
    row = sums.rows[0] if sums.rows else (0,) * len(FIGURES)
    chosen = _partnerships(session, filters.partnership_ids, moment)
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
        reading=reading(moment),
        history_incomplete_before=_incomplete(sums.incomplete_before, moment),
        **{name: int(row[i]) for i, name in enumerate(FIGURES)},
    )


def _incomplete(before: datetime | None, moment: datetime | None) -> date | None:
    """The day (Brussels) the history is complete from, if the figures' moment lies before."""
    if before is None or moment is None or history.stored_moment(moment) >= before:
        return None
    return before.astimezone(history.BRUSSELS).date()


def targets_then(session: Session | Connection, moment: datetime) -> Targets:
    """The programme's targets and definitions as they stood at `moment`."""
    settings = programme_then(session, moment)
    return Targets(
        target_exchanges=int(settings["target_exchanges"]),
        sme_share_target=float(settings["sme_share_target"]),
        beyond_share_target=float(settings["beyond_share_target"]),
        definitions=definitions_then(session, moment),
    )


def _or(value: float | None, default: float) -> float:
    return default if value is None else value


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


def programme_targets(session: Session | Connection) -> Targets:
    """The programme's targets and definitions, read once per session transaction.

    One light Core read, not an ORM load: the headline and every breakdown ask for them, and
    an ORM `get` that nothing keeps (the identity map holds it weakly) reads the row each time.
    Kept in `session.info` until the session flushes or its transaction ends.
    """
    if isinstance(session, Session) and not (session.new or session.dirty or session.deleted):
        cached: Targets | None = session.info.get(TARGETS_CACHE)
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
        listen_for_changes(session)
        session.info[TARGETS_CACHE] = found
    return found


def _partnerships(
    session: Session | Connection, ids: tuple[int, ...], moment: datetime | None = None
) -> list[Partnership]:
    """The partnerships with these ids, by acronym; their targets as they stood at `moment`."""
    if not ids:
        return []
    rows = list(session.execute(sa.select(Partnership).where(sa.column("id").in_(ids))).scalars())
    if moment is not None and isinstance(session, Session):
        targets = ("target_exchanges", "sme_share_target", "beyond_share_target")
        rows = [
            Partnership(
                **{
                    **p.model_dump(),
                    **{
                        k: v
                        for k, v in as_it_stood(
                            session, "partnership", p.id or 0, moment, p.model_dump()
                        ).items()
                        if k in targets
                    },
                }
            )
            for p in rows
        ]
    return sorted(rows, key=lambda p: p.acronym.casefold())
