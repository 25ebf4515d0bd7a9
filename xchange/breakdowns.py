"""KPI breakdowns for any scope and filters: by partnership, quarter, reporting period, country,
flow, ecosystem, organisation type; SME sides, distinct organisations, reduced rates, lump sums.

Every breakdown is one or two GROUP BY queries in the database. They read the trigger-kept
summaries (`xchange.summary`) when the filters allow it and the exchange table otherwise (an
ecosystem, country or organisation-type filter, which the summaries do not carry). The counting
rules are the ones of `xchange.kpi`; each result carries the definitions that produced it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session

from xchange import reference
from xchange.kpi import (
    FIGURES,
    Definitions,
    Filters,
    X,
    filter_conditions,
    grouped,
    programme_of,
    sum_if,
)
from xchange.models import Exchange, Partnership, ReportingPeriod, quarter_of


@dataclass
class Breakdown:
    """A table of figures with what produced it: the as-of date, scope, filters, definitions."""

    table: pd.DataFrame
    as_of: date
    definitions: Definitions
    filters: Filters = field(default_factory=Filters)

    def records(self) -> list[dict[str, Any]]:
        """JSON-ready rows (shares as fractions, None where nothing is counted)."""
        frame = self.table.astype(object).where(self.table.notna(), None)
        return [
            {str(k): (v.isoformat() if isinstance(v, date) else v) for k, v in row.items()}
            for row in frame.to_dict(orient="records")
        ]


def add_shares(frame: pd.DataFrame) -> pd.DataFrame:
    """SME and beyond shares as ratios of sums; None where nothing is counted."""
    counted = frame["counted"].where(frame["counted"] > 0)
    frame["sme_share"] = (frame["involving_sme"] / counted).astype(object)
    frame["beyond_share"] = (frame["beyond_community"] / counted).astype(object)
    for name in ("sme_share", "beyond_share"):
        frame[name] = frame[name].where(frame[name].notna(), None)
    return frame


def _context(session: Session, as_of: date | None) -> tuple[date, Definitions]:
    return as_of or date.today(), Definitions.of(programme_of(session))


# --- breakdowns ------------------------------------------------------------------------------


def by_partnership(
    session: Session, *, as_of: date | None = None, filters: Filters = Filters()
) -> Breakdown:
    """Counted, SME, beyond, pipeline, cancelled and virtual for each partnership in scope,
    with each partnership's target and progress (partnerships with no exchanges show zeros)."""
    as_of, definitions = _context(session, as_of)
    sums = grouped(
        session, ["partnership_id"], as_of=as_of, definitions=definitions, filters=filters
    )
    partnerships = session.execute(
        sa.select(
            Partnership.id,
            Partnership.acronym,
            Partnership.name,  # type: ignore[call-overload]
            Partnership.target_exchanges,
            Partnership.action_start,
            Partnership.action_end,
        )
    ).all()
    frame = pd.DataFrame(
        partnerships,
        columns=["partnership_id", "acronym", "name", "target", "action_start", "action_end"],
    )
    if filters.partnership_ids:
        frame = frame[frame["partnership_id"].isin(filters.partnership_ids)]
    frame = frame.merge(sums, on="partnership_id", how="left")
    for name in FIGURES:
        frame[name] = frame[name].fillna(0).astype("int64")
    frame["progress"] = frame["counted"] / frame["target"]
    frame = add_shares(frame).sort_values("acronym", key=lambda s: s.str.casefold())
    return Breakdown(frame.reset_index(drop=True), as_of, definitions, filters)


def by_quarter(
    session: Session, *, as_of: date | None = None, filters: Filters = Filters()
) -> Breakdown:
    """Figures by quarter of the end date, with cumulative counted, SME and beyond totals and
    cumulative shares. Quarters without exchanges between the first and the as-of quarter are
    listed with zeros, so a cumulative line has no gaps."""
    as_of, definitions = _context(session, as_of)
    frame = grouped(session, ["end_quarter"], as_of=as_of, definitions=definitions, filters=filters)
    frame = frame[frame["end_quarter"] <= quarter_of(as_of)] if len(frame) else frame
    if len(frame):
        quarters = quarter_range(str(frame["end_quarter"].min()), quarter_of(as_of))
        frame = (
            frame.set_index("end_quarter")
            .reindex(quarters, fill_value=0)
            .rename_axis("end_quarter")
            .reset_index()
        )
    frame = frame.rename(columns={"end_quarter": "quarter"})
    for name in ("counted", "involving_sme", "beyond_community"):
        frame[f"cumulative_{name}"] = frame[name].cumsum()
    frame = add_shares(frame)
    total = frame["cumulative_counted"].where(frame["cumulative_counted"] > 0)
    frame["cumulative_sme_share"] = (frame["cumulative_involving_sme"] / total).astype(object)
    frame["cumulative_beyond_share"] = (frame["cumulative_beyond_community"] / total).astype(object)
    for name in ("cumulative_sme_share", "cumulative_beyond_share"):
        frame[name] = frame[name].where(frame[name].notna(), None)
    return Breakdown(frame.reset_index(drop=True), as_of, definitions, filters)


def quarter_range(first: str, last: str) -> list[str]:
    """Every quarter from `first` to `last`, both included: `2025Q4`, `2026Q1`..."""
    year, q = int(first[:4]), int(first[-1])
    quarters = []
    while f"{year}Q{q}" <= last:
        quarters.append(f"{year}Q{q}")
        year, q = (year + 1, 1) if q == 4 else (year, q + 1)
    return quarters


def by_period(
    session: Session, *, as_of: date | None = None, filters: Filters = Filters()
) -> Breakdown:
    """Figures by reporting period (interim, final...) of each partnership: an exchange falls in
    the first period whose end is on or after its end date; later ones are "after the action"."""
    as_of, definitions = _context(session, as_of)
    daily = grouped(
        session,
        ["partnership_id", "end_date"],
        as_of=as_of,
        definitions=definitions,
        filters=filters,
    )
    periods = pd.DataFrame(
        session.execute(
            sa.select(
                ReportingPeriod.partnership_id,
                ReportingPeriod.label,  # type: ignore[call-overload]
                ReportingPeriod.ends_on,
            )
        ).all(),
        columns=["partnership_id", "period", "ends_on"],
    )
    acronyms: dict[int, str] = {
        int(pid): str(acronym)
        for pid, acronym in session.execute(
            sa.select(Partnership.id, Partnership.acronym)  # type: ignore[call-overload]
        ).all()
    }

    if len(daily) and len(periods):
        # Each day's sums go to the partnership's first period ending on or after that day.
        daily["end_date"] = pd.to_datetime(daily["end_date"])
        periods["ends_on"] = pd.to_datetime(periods["ends_on"])
        daily = pd.merge_asof(
            daily.sort_values("end_date"),
            periods.sort_values("ends_on"),
            left_on="end_date",
            right_on="ends_on",
            by="partnership_id",
            direction="forward",
        )
        daily["period"] = daily["period"].fillna("after the action")
        daily["ends_on"] = daily["ends_on"].dt.date
        frame = daily.groupby(
            ["partnership_id", "period", "ends_on"], dropna=False, as_index=False
        )[list(FIGURES)].sum()
    else:
        frame = pd.DataFrame(columns=["partnership_id", "period", "ends_on", *FIGURES])
    frame.insert(1, "acronym", frame["partnership_id"].map(acronyms))
    frame = add_shares(frame.sort_values(["acronym", "ends_on"], na_position="last"))
    return Breakdown(frame.reset_index(drop=True), as_of, definitions, filters)


def _flow_grouped(
    session: Session, keys: list[str], *, as_of: date, definitions: Definitions, filters: Filters
) -> pd.DataFrame:
    """Figures grouped by country keys (kpi.grouped picks kpi_flow when it can)."""
    return grouped(session, keys, as_of=as_of, definitions=definitions, filters=filters)


@dataclass
class CountryTables:
    """Flows and both sides' country totals, from one grouped query."""

    flows: Breakdown
    visitor: Breakdown
    host: Breakdown


def countries(
    session: Session, *, as_of: date | None = None, filters: Filters = Filters()
) -> CountryTables:
    """Flows by country pair, and figures by visitor and by host country, largest first.

    The three come from one query by country pair: the country totals are its sums.
    """
    as_of, definitions = _context(session, as_of)
    pairs = _flow_grouped(
        session,
        ["visitor_country", "host_country"],
        as_of=as_of,
        definitions=definitions,
        filters=filters,
    )
    flow_table = add_shares(
        pairs.sort_values(
            ["counted", "visitor_country", "host_country"], ascending=[False, True, True]
        )
    ).reset_index(drop=True)
    sides = []
    for side in ("visitor", "host"):
        key = f"{side}_country"
        frame = pairs.groupby(key, as_index=False)[list(FIGURES)].sum()
        frame = frame.rename(columns={key: "country"})
        frame.insert(1, "country_name", frame["country"].map(reference.country_name))
        frame = add_shares(frame.sort_values(["counted", "country"], ascending=[False, True]))
        sides.append(Breakdown(frame.reset_index(drop=True), as_of, definitions, filters))
    return CountryTables(Breakdown(flow_table, as_of, definitions, filters), *sides)


def by_country(
    session: Session,
    *,
    side: str = "visitor",
    as_of: date | None = None,
    filters: Filters = Filters(),
) -> Breakdown:
    """Figures by the visitor's (or host's) country, most counted first."""
    if side not in ("visitor", "host"):
        raise ValueError(f"side must be visitor or host, not {side!r}")
    tables = countries(session, as_of=as_of, filters=filters)
    return tables.visitor if side == "visitor" else tables.host


def flows(
    session: Session, *, as_of: date | None = None, filters: Filters = Filters()
) -> Breakdown:
    """Counted exchanges by country pair (visitor country -> host country), largest first."""
    return countries(session, as_of=as_of, filters=filters).flows


def by_ecosystem(
    session: Session, *, as_of: date | None = None, filters: Filters = Filters()
) -> Breakdown:
    """Figures by industrial ecosystem (blank ecosystems as "not given")."""
    as_of, definitions = _context(session, as_of)
    frame = grouped(
        session, ["ecosystem"], as_of=as_of, definitions=definitions, filters=replace(filters)
    )
    frame["ecosystem_name"] = frame["ecosystem"].map(
        lambda code: (
            reference.ECOSYSTEMS.get(code, "not given") if isinstance(code, str) else "not given"
        )
    )
    frame = add_shares(frame.sort_values(["counted", "ecosystem_name"], ascending=[False, True]))
    return Breakdown(frame.reset_index(drop=True), as_of, definitions, filters)


def by_org_type(
    session: Session, *, as_of: date | None = None, filters: Filters = Filters()
) -> Breakdown:
    """Figures by organisation type of the visitor and of the host (one row per side and type)."""
    as_of, definitions = _context(session, as_of)
    parts = []
    for side in ("visitor", "host"):
        frame = grouped(
            session, [f"{side}_type"], as_of=as_of, definitions=definitions, filters=filters
        ).rename(columns={f"{side}_type": "type"})
        frame.insert(0, "side", side)
        parts.append(frame)
    frame = pd.concat(parts, ignore_index=True)
    frame.insert(2, "type_label", frame["type"].map(reference.ORG_TYPE_LABELS))
    frame = add_shares(frame.sort_values(["side", "counted"], ascending=[False, False]))
    return Breakdown(frame.reset_index(drop=True), as_of, definitions, filters)


def money_and_sides(
    session: Session, *, as_of: date | None = None, filters: Filters = Filters()
) -> dict[str, Any]:
    """SME as visitor vs as host, distinct organisations, reduced-rate share, lump sums.

    Over counted exchanges, except lump sums: committed = confirmed + completed stays (agreements
    signed), paid = payments recorded; both in EUR.
    """
    as_of, definitions = _context(session, as_of)
    counted = (X.c.status == "completed") & (X.c.end_date <= as_of)
    if not definitions.count_virtual:
        counted &= X.c.modality == "physical"
    t = X
    query = (
        sa.select(
            sum_if(counted, sa.literal(1)).label("counted"),
            sum_if(counted & t.c.visitor_is_sme, sa.literal(1)).label("sme_as_visitor"),
            sum_if(counted & t.c.host_is_sme, sa.literal(1)).label("sme_as_host"),
            sum_if(counted & t.c.reduced_rate, sa.literal(1)).label("reduced_rate"),
            sa.func.count(sa.distinct(sa.case((counted, t.c.visitor_org_id)))).label("visitors"),
            sa.func.count(sa.distinct(sa.case((counted, t.c.host_org_id)))).label("hosts"),
            sum_if(X.c.status.in_(("confirmed", "completed")), t.c.lump_sum_cents).label(
                "committed"
            ),
            sa.func.coalesce(sa.func.sum(t.c.paid_cents), 0).label("paid"),
        )
        .select_from(X)
        .where(*filter_conditions(filters))
    )
    row = session.execute(query).one()._mapping
    organisations_query = sa.select(sa.func.count()).select_from(
        sa.union(
            sa.select(t.c.visitor_org_id.label("org"))
            .select_from(X)
            .where(counted, *filter_conditions(filters)),
            sa.select(t.c.host_org_id.label("org"))
            .select_from(X)
            .where(counted, *filter_conditions(filters)),
        ).subquery()
    )
    total = int(row["counted"])
    return {
        "as_of": as_of.isoformat(),
        "counted": total,
        "sme_as_visitor": int(row["sme_as_visitor"]),
        "sme_as_host": int(row["sme_as_host"]),
        "distinct_visitors": int(row["visitors"]),
        "distinct_hosts": int(row["hosts"]),
        "distinct_organisations": int(session.execute(organisations_query).scalar_one()),
        "reduced_rate": int(row["reduced_rate"]),
        "reduced_rate_share": int(row["reduced_rate"]) / total if total else None,
        "lump_sums_committed_eur": int(row["committed"]) / 100,
        "lump_sums_paid_eur": int(row["paid"]) / 100,
        "definitions": definitions,
    }


def last_activity(session: Session, partnership_ids: list[int]) -> dict[int, datetime | None]:
    """When each partnership's exchanges were last written (an index seek per partnership)."""
    found: dict[int, datetime | None] = {}
    for pid in partnership_ids:
        found[pid] = session.execute(
            sa.select(sa.func.max(Exchange.updated_at)).where(sa.column("partnership_id") == pid)
        ).scalar()
    return found
