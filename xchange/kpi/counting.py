"""What the KPIs count and over what: the definitions, the filters and the tables read.

How the KPIs count (DOMAIN.md), computed in SQL, never by loading the register into Python.

- Counted: `completed`, physical (virtual too if the programme says so), ended on or before the
  as-of date; each exchange counts once, for the partnership that sends the visitor.
- Involves an SME: the visitor or the host is an SME (as logged on the exchange).
- Beyond community: broad reading, the visitor or the host is `external`; narrow reading, either
  side is anything but `partner`.
- Shares are ratios of sums over counted exchanges; with nothing counted a share is None.
- Virtual: completed virtual stays ended by the as-of date that `counted` leaves out.
- Pipeline (`planned` + `confirmed`) and cancelled are today's figures, as known now; that
  day's, as recorded then (`Filters.recorded_at`, `kpi.recorded`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from xchange.models import BeyondReading, Programme

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
    # The reading: None, as known now; a moment, the register as recorded then (see
    # `kpi.recorded`): records as they stood, the programme's settings as they stood.
    recorded_at: datetime | None = None


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
