"""KPI breakdowns for any scope and filters: by partnership, quarter, reporting period, country,
flow, ecosystem, organisation type; SME sides, distinct organisations, reduced rates, lump sums.

Every breakdown is one or two GROUP BY queries in the database. They read the trigger-kept
summaries (`xchange.db.summary`) when the filters allow it and the exchange table otherwise (an
ecosystem, country or organisation-type filter, which the summaries do not carry). The counting
rules are the ones of `xchange.kpi.sums`; each result carries the definitions that produced it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session

from xchange import dates, reference
from xchange.kpi import money
from xchange.kpi.sums import (
    FIGURES,
    Definitions,
    Filters,
    Sums,
    X,
    filter_conditions,
    grouped,
    grouped_sums,
    programme_targets,
    sum_if,
)
from xchange.models import Exchange, Partnership, ReportingPeriod


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
    frame["sme_share"] = ratios(frame["involving_sme"], frame["counted"])
    frame["beyond_share"] = ratios(frame["beyond_community"], frame["counted"])
    return frame


def ratios(part: Any, whole: Any) -> npt.NDArray[np.object_]:
    """`part / whole` row by row as Python floats, None where `whole` is 0 (no data)."""
    numerators, denominators = np.asarray(part, dtype=float), np.asarray(whole, dtype=float)
    result = np.full(len(denominators), None, dtype=object)
    some = denominators > 0
    result[some] = numerators[some] / denominators[some]
    return result


# The breakdowns below build each table in one go from NumPy columns: on tables of a dozen to
# a few thousand rows, pandas' per-operation overhead (a column lookup, an insert, a merge)
# would otherwise cost more than the query.


def _key_column(values: list[Any]) -> pd.Series:
    """A key column typed as pandas types it when reading rows (object when there are none)."""
    return pd.Series(values, dtype=None if values else object)


def _key_type(values: list[Any]) -> Any:
    """The type pandas would give a key column of these values."""
    return _key_column(values[:1]).dtype


def _figure_columns(figures: npt.NDArray[np.int64]) -> dict[str, npt.NDArray[np.int64]]:
    return {name: figures[:, i] for i, name in enumerate(FIGURES)}


def _share_columns(figures: npt.NDArray[np.int64]) -> dict[str, npt.NDArray[np.object_]]:
    return {
        "sme_share": ratios(figures[:, 1], figures[:, 0]),
        "beyond_share": ratios(figures[:, 2], figures[:, 0]),
    }


def _figures_by(sums: Sums) -> dict[Any, npt.NDArray[np.int64]]:
    """Each group's six figures, by the group's (one) key."""
    return dict(zip(sums.keys[0], sums.figures, strict=True))


def _stack(rows: list[npt.NDArray[np.int64]]) -> npt.NDArray[np.int64]:
    return np.array(rows, dtype=np.int64).reshape(len(rows), len(FIGURES))


_ZEROS = np.zeros(len(FIGURES), dtype=np.int64)
_country_name = functools.cache(reference.country_name)


def _context(session: Session, as_of: date | None) -> tuple[date, Definitions]:
    return as_of or date.today(), programme_targets(session).definitions


# --- breakdowns ------------------------------------------------------------------------------


def by_partnership(
    session: Session, *, as_of: date | None = None, filters: Filters = Filters()
) -> Breakdown:
    """Counted, SME, beyond, pipeline, cancelled and virtual for each partnership in scope,
    with each partnership's target and progress (partnerships with no exchanges show zeros)."""
    as_of, definitions = _context(session, as_of)
    sums = grouped_sums(
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
    # In scope, by acronym (unique whatever its case, so this order is the only one).
    chosen = sorted(
        (p for p in partnerships if not filters.partnership_ids or p[0] in filters.partnership_ids),
        key=lambda p: str(p[1]).casefold(),
    )
    found = _figures_by(sums)
    figures = _stack([found.get(p[0], _ZEROS) for p in chosen])
    targets = np.array([p[3] for p in chosen], dtype=np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        progress = figures[:, 0] / targets
    columns = ["partnership_id", "acronym", "name", "target", "action_start", "action_end"]
    # The types pandas gives these columns when reading the rows (an empty table: ids as object).
    types = ["int64" if chosen else object, "str", "str", "int64", object, object]
    frame = pd.DataFrame(
        {
            **{
                name: pd.Series([p[i] for p in chosen], dtype=types[i])
                for i, name in enumerate(columns)
            },
            **_figure_columns(figures),
            "progress": progress,
            **_share_columns(figures),
        }
    )
    return Breakdown(frame, as_of, definitions, filters)


def by_quarter(
    session: Session, *, as_of: date | None = None, filters: Filters = Filters()
) -> Breakdown:
    """Figures by quarter of the end date, with cumulative counted, SME and beyond totals and
    cumulative shares. Quarters without exchanges between the first and the as-of quarter are
    listed with zeros, so a cumulative line has no gaps."""
    as_of, definitions = _context(session, as_of)
    sums = grouped_sums(
        session, ["end_quarter"], as_of=as_of, definitions=definitions, filters=filters
    )
    last = dates.quarter_index(as_of)
    found = {q: row for q, row in _figures_by(sums).items() if dates.index_of(str(q)) <= last}
    quarters = _quarters_to(found, as_of)
    figures = _stack([found.get(q, _ZEROS) for q in quarters])
    cumulative = np.cumsum(figures[:, :3], axis=0)
    frame = pd.DataFrame(
        {
            # With no quarter up to as-of, the column keeps the query's type (as a filter would).
            "quarter": pd.Series(quarters, dtype=None if quarters else _key_type(sums.keys[0])),
            **_figure_columns(figures),
            "cumulative_counted": cumulative[:, 0],
            "cumulative_involving_sme": cumulative[:, 1],
            "cumulative_beyond_community": cumulative[:, 2],
            **_share_columns(figures),
            "cumulative_sme_share": ratios(cumulative[:, 1], cumulative[:, 0]),
            "cumulative_beyond_share": ratios(cumulative[:, 2], cumulative[:, 0]),
        }
    )
    return Breakdown(frame, as_of, definitions, filters)


def _quarters_to(found: dict[Any, Any], as_of: date) -> list[str]:
    """The quarters `found`, and the ones without exchanges from the first of them to `as_of`,
    in time order. Only quarters within the accepted dates are filled in; one stored outside
    them (from before the bounds) is listed alone, so the list stays short whatever rows hold."""
    if not found:
        return []
    indexes = [dates.index_of(str(q)) for q in found]
    inside = [i for i in indexes if dates.FIRST_QUARTER <= i <= dates.LAST_QUARTER]
    filled = dates.quarter_range(dates.quarter_at(min(inside)), as_of) if inside else []
    return dates.sort_quarters(list({*map(str, found), *filled}))


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
    pairs = grouped_sums(
        session,
        ["visitor_country", "host_country"],
        as_of=as_of,
        definitions=definitions,
        filters=filters,
    )
    visitors = np.array(pairs.keys[0], dtype=str)
    hosts = np.array(pairs.keys[1], dtype=str)
    figures = pairs.figures
    # Most counted first, then by visitor and host country (np.lexsort: last key first).
    order = np.lexsort((hosts, visitors, -figures[:, 0]))
    flow_table = pd.DataFrame(
        {
            "visitor_country": _key_column(visitors[order].tolist()),
            "host_country": _key_column(hosts[order].tolist()),
            **_figure_columns(figures[order]),
            **_share_columns(figures[order]),
        }
    )
    sides = []
    for codes in (visitors, hosts):
        # The pairs' sums by one side's country.
        distinct, where = np.unique(codes, return_inverse=True)
        totals = np.zeros((len(distinct), len(FIGURES)), dtype=np.int64)
        np.add.at(totals, where.reshape(-1), figures)
        order = np.lexsort((distinct, -totals[:, 0]))
        countries = distinct[order].tolist()
        frame = pd.DataFrame(
            {
                "country": _key_column(countries),
                "country_name": _key_column([_country_name(code) for code in countries]),
                **_figure_columns(totals[order]),
                **_share_columns(totals[order]),
            }
        )
        sides.append(Breakdown(frame, as_of, definitions, filters))
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
    counted = money.counted_condition(as_of, definitions)
    t = X
    query = (
        sa.select(
            *money.money_columns(counted),
            sum_if(counted & t.c.visitor_is_sme, sa.literal(1)).label("sme_as_visitor"),
            sum_if(counted & t.c.host_is_sme, sa.literal(1)).label("sme_as_host"),
            sa.func.count(sa.distinct(sa.case((counted, t.c.visitor_org_id)))).label("visitors"),
            sa.func.count(sa.distinct(sa.case((counted, t.c.host_org_id)))).label("hosts"),
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
        "lump_sums_committed_eur": int(row["committed_cents"]) / 100,
        "lump_sums_paid_eur": int(row["paid_cents"]) / 100,
        "definitions": definitions,
    }


def money_by_partnership(
    session: Session, *, as_of: date | None = None, filters: Filters = Filters()
) -> Breakdown:
    """Lump sums committed, paid and unpaid (EUR) and halved-rate stays per partnership in
    scope (`xchange.kpi.money.by_partnership`); `money.total(table)` is the programme's row."""
    as_of, definitions = _context(session, as_of)
    table = money.by_partnership(session, as_of=as_of, definitions=definitions, filters=filters)
    return Breakdown(table, as_of, definitions, filters)


def last_activity(session: Session, partnership_ids: list[int]) -> dict[int, datetime | None]:
    """When each partnership's exchanges were last written (an index seek per partnership)."""
    found: dict[int, datetime | None] = {}
    for pid in partnership_ids:
        found[pid] = session.execute(
            sa.select(sa.func.max(Exchange.updated_at)).where(sa.column("partnership_id") == pid)
        ).scalar()
    return found
