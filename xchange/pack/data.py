"""The figures of a quarterly pack, gathered once: what every chart, sheet and page shows."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime

import pandas as pd
from sqlmodel import Session

from xchange.accounts import access
from xchange.db.history import end_of_day
from xchange.kpi import breakdowns, overview, snapshots, targets
from xchange.kpi.details import Details, details_for
from xchange.kpi.recorded import reading
from xchange.kpi.sums import Definitions, Filters, Headline
from xchange.models import User, quarter_of
from xchange.programme.partnerships import get_partnership
from xchange.reference import parse_quarter, quarter_label

# File stem -> what the chart shows (the report's caption and the sheet's name).
CHARTS: dict[str, str] = {
    "progress": "Progress",
    "sme-share": "SME share",
    "beyond-share": "Beyond share",
    "partnerships": "Partnerships",
    "flows": "Flows",
    "ecosystems": "Ecosystems",
}
FLOWS_TOP = 40  # country pairs drawn one by one; the rest are grouped as "Other"


@dataclass
class PackData:
    """Everything a pack shows, for one quarter and scope."""

    quarter: str  # 2026Q3
    scope: str  # "programme" or a partnership's acronym
    title: str  # "Programme" or "GTEX — Green Tech Exchange"
    as_of: date
    generated: datetime
    definitions: Definitions
    headline: Headline
    forecast: targets.Forecast
    path: targets.TargetPath
    quarters: pd.DataFrame  # breakdowns.by_quarter
    partnerships: pd.DataFrame  # overview's partnerships: by_partnership + expected_now
    flows: pd.DataFrame
    ecosystems: pd.DataFrame
    comparisons: list[snapshots.Comparison]
    details: Details  # countries, organisation types, lump sums (as the dashboard shows them)
    source: FiguresSource = field(default_factory=lambda: FiguresSource())
    # A programme pack: each partnership's acronym and the figures it used for it.
    sources: list[tuple[str, FiguresSource]] = field(default_factory=list)

    @property
    def label(self) -> str:
        """`Programme` or the acronym, as the charts' titles say it."""
        return "Programme" if self.scope == "programme" else self.scope


@dataclass(frozen=True)
class FiguresSource:
    """Which figures a pack prints: the register as known now (`recorded_at` None), or as
    recorded at a moment (a past quarter's last day)."""

    recorded_at: datetime | None = None
    # Set where a partnership's past quarter prints its approved report (`approved_figures`).
    approved: str = ""

    def describe(self) -> str:
        """ "the register as known now", "the register as recorded on 31 Dec 2025", or the
        approved quarter report it prints."""
        return self.approved or f"the register {reading(self.recorded_at)}"


def figures_source(
    session: Session, *, quarter: str, partnership_id: int | None, today: date | None = None
) -> FiguresSource:
    """The figures a pack of `quarter` prints for the programme (`partnership_id` None) or one
    partnership: while the quarter runs, the register as known now; once it has ended, the
    register as recorded at its last day (Brussels), so that the pack shows what could be
    reported then, not what was learnt since.

    The one place that chooses: approved figures, where a quarter has them, come here.
    """
    _first, last = parse_quarter(quarter)
    if last >= (today or date.today()):
        return FiguresSource()
    return FiguresSource(recorded_at=end_of_day(last))


def as_of_for(quarter: str, today: date | None = None) -> date:
    """The quarter's last day, or today while it runs; ValueError for a quarter not begun."""
    first, last = parse_quarter(quarter)
    today = today or date.today()
    if first > today:
        raise ValueError(f"{quarter_label(quarter)} has not begun: there is nothing to report yet")
    return min(last, today)


def gather(
    session: Session,
    *,
    actor: User,
    quarter: str,
    partnership: str | None = None,
    today: date | None = None,
) -> PackData:
    """The figures of `quarter` for the programme or one partnership (by acronym).

    A pack holds KPI figures only (counts, shares, country pairs, ecosystems: no record), so
    every active user may pack the programme or any partnership, as the dashboard shows them
    (`access.require_kpi_read`; PermissionDenied for an unknown or deactivated account).
    """
    as_of = as_of_for(quarter, today)
    first, _ = parse_quarter(quarter)
    quarter = quarter_of(first)
    access.require_kpi_read(session=session, actor=actor)
    chosen = get_partnership(session, partnership) if partnership else None
    ids: tuple[int, ...] = () if chosen is None else (chosen.id or 0,)
    source = figures_source(
        session, quarter=quarter, partnership_id=chosen.id if chosen else None, today=today
    )
    filters = Filters(partnership_ids=ids, recorded_at=source.recorded_at)
    view = overview.overview(session, as_of=as_of, filters=filters)
    scope = chosen.acronym if chosen else "programme"
    sources = (
        []
        if chosen
        else [
            (acronym, figures_source(session, quarter=quarter, partnership_id=pid, today=today))
            for pid, acronym in zip(
                view.partnerships["partnership_id"], view.partnerships["acronym"], strict=True
            )
        ]
    )
    data = PackData(
        quarter=quarter,
        scope=scope,
        title=f"{chosen.acronym} — {chosen.name}" if chosen else "Programme",
        as_of=as_of,
        generated=datetime.now(UTC).replace(microsecond=0),
        definitions=view.definitions,
        headline=view.headline,
        forecast=view.forecast,
        path=view.path,
        quarters=view.quarters,
        partnerships=view.partnerships,
        flows=view.flows,
        ecosystems=breakdowns.by_ecosystem(session, as_of=as_of, filters=filters).table,
        comparisons=snapshots.compare(session, scope=scope, before=quarter),
        details=details_for(session, as_of=as_of, filters=filters),
        source=source,
        sources=sources,
    )
    return approved_figures(session, data, today or date.today())


def approved_figures(session: Session, data: PackData, today: date) -> PackData:
    """A partnership's past quarter prints its approved report's figures where there is one,
    and says so; otherwise `data` as gathered."""
    if data.scope == "programme" or data.as_of >= today:
        return data
    revision = snapshots.approved_revision(session, scope=data.scope, quarter=data.quarter)
    if revision is None:
        return data
    figures = {
        k: v
        for k, v in revision.figures.items()
        if k not in ("progress", "sme_share", "beyond_share")
    }
    figures["as_of"] = date.fromisoformat(figures["as_of"])
    figures["definitions"] = Definitions(**figures.get("definitions", {}))
    tables = snapshots.pack_tables(revision)
    approved = snapshots.approval_of(session, revision)
    return replace(
        data,
        headline=Headline(**figures),
        definitions=figures["definitions"],
        quarters=tables.get("quarters", data.quarters),
        partnerships=tables.get("partnerships", data.partnerships),
        flows=tables.get("flows", data.flows),
        ecosystems=tables.get("ecosystems", data.ecosystems),
        source=replace(
            data.source,
            approved=f"the approved quarter report (revision {revision.revision}; {approved})",
        ),
    )
