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

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Session

from xchange.models import BeyondReading, Exchange, Partnership, Programme

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


def _count_if(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[Any]:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def figure_columns(as_of: date, definitions: Definitions) -> list[sa.ColumnElement[Any]]:
    """The headline figures as labelled SQL aggregates over the exchange table."""
    counted = counted_condition(as_of, definitions)
    virtual: sa.ColumnElement[bool] = (
        (X.c.status == "completed") & (X.c.end_date <= as_of) & (X.c.modality == "virtual")
    )
    if definitions.count_virtual:  # then virtual stays are inside `counted`, not beside it
        virtual = sa.false()
    return [
        _count_if(counted).label("counted"),
        _count_if(counted & X.c.involves_sme).label("involving_sme"),
        _count_if(counted & beyond_condition(definitions)).label("beyond_community"),
        _count_if(X.c.status.in_(("planned", "confirmed"))).label("pipeline"),
        _count_if(X.c.status == "cancelled").label("cancelled"),
        _count_if(virtual).label("virtual"),
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
    programme = programme_of(session)
    definitions = Definitions.of(programme)
    if partnership is not None:
        filters = Filters(**{**asdict(filters), "partnership_ids": (partnership.id,)})
    query = sa.select(*figure_columns(as_of, definitions)).select_from(X)
    for condition in filter_conditions(filters):
        query = query.where(condition)
    row = _execute(session, query).one()
    if partnership is None:
        scope, target = "programme", programme.target_exchanges
        sme_target, beyond_target = programme.sme_share_target, programme.beyond_share_target
    else:
        scope, target = partnership.acronym, partnership.target_exchanges
        sme_target = _or(partnership.sme_share_target, programme.sme_share_target)
        beyond_target = _or(partnership.beyond_share_target, programme.beyond_share_target)
    return Headline(
        as_of=as_of,
        scope=scope,
        target=target,
        sme_target=sme_target,
        beyond_target=beyond_target,
        definitions=definitions,
        **{
            name: int(row._mapping[name])
            for name in (
                "counted",
                "involving_sme",
                "beyond_community",
                "pipeline",
                "cancelled",
                "virtual",
            )
        },
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


def _execute(session: Session | Connection, query: sa.Select[Any]) -> sa.Result[Any]:
    return session.execute(query)


__all__ = ["Definitions", "Exchange", "Filters", "Headline", "headline", "share"]
