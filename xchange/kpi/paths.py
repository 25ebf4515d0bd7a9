"""The target path: each partnership's expected cumulative count at each quarter end, linear
from action start (0) to action end (its target) unless milestones say otherwise; the
programme's path is the sum of the partnerships' paths scaled to end at the programme target."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import pandas as pd
from sqlmodel import Session, select

from xchange import dates
from xchange.models import Partnership, PathMilestone
from xchange.programme.row import read_programme


def quarter_end(quarter: str) -> date:
    """Last day of a stored quarter (`2026Q3` -> 2026-09-30)."""
    return dates.quarter_days(quarter)[1]


def expected_at(
    day: date,
    start: date,
    end: date,
    target: int,
    milestones: Sequence[tuple[date, int]] = (),
) -> float:
    """Expected cumulative exchanges on `day`: piecewise linear through (start, 0), the
    milestones and (end, target); 0 before the start, the target after the end."""
    points = [
        (start, 0.0),
        *((d, float(c)) for d, c in sorted(milestones) if start < d < end),
        (end, float(target)),
    ]
    if day <= start:
        return 0.0
    if day >= end:
        return float(target)
    for (d0, c0), (d1, c1) in zip(points, points[1:], strict=False):
        if d0 <= day <= d1:
            return c0 + (c1 - c0) * (day - d0).days / max((d1 - d0).days, 1)
    return float(target)


def partnership_path(
    partnership: Partnership, milestones: Sequence[tuple[date, int]]
) -> pd.DataFrame:
    """Quarter, quarter end and expected cumulative count over the partnership's action."""
    # Clamped to the accepted quarters: an action stored before the bounds may run to 9999.
    quarters = dates.quarter_range(partnership.action_start, partnership.action_end)
    rows = []
    for quarter in quarters:
        day = min(quarter_end(quarter), partnership.action_end)
        rows.append(
            (
                quarter,
                day,
                expected_at(
                    day,
                    partnership.action_start,
                    partnership.action_end,
                    partnership.target_exchanges,
                    milestones,
                ),
            )
        )
    return pd.DataFrame(rows, columns=["quarter", "quarter_end", "expected"])


def milestones_by_partnership(session: Session) -> dict[int, list[tuple[date, int]]]:
    found: dict[int, list[tuple[date, int]]] = {}
    for m in session.exec(select(PathMilestone)).all():
        found.setdefault(m.partnership_id, []).append((m.due_on, m.cumulative))
    return found


@dataclass
class TargetPath:
    """The expected cumulative count per quarter, and any warning about the targets."""

    scope: str
    table: pd.DataFrame  # quarter, quarter_end, expected
    target: int
    warnings: list[str] = field(default_factory=list)


def target_path(session: Session, *, partnership_ids: tuple[int, ...] = ()) -> TargetPath:
    """The path of one or several partnerships, or of the programme (no ids).

    The programme's path is the sum of every partnership's path scaled so that it ends at the
    programme's target; a warning says when the partnership targets do not add up to it.
    """
    programme = read_programme(session)
    partnerships = list(session.exec(select(Partnership)).all())
    chosen = [p for p in partnerships if not partnership_ids or p.id in partnership_ids]
    milestones = milestones_by_partnership(session)
    paths = [partnership_path(p, milestones.get(p.id or 0, [])) for p in chosen]
    if not paths:
        empty = pd.DataFrame(columns=["quarter", "quarter_end", "expected"])
        target = programme.target_exchanges if not partnership_ids else 0
        return TargetPath("programme" if not partnership_ids else "", empty, target)
    quarters = dates.sort_quarters(list({q for path in paths for q in path["quarter"]}))
    total = pd.Series(0.0, index=quarters)
    for path, p in zip(paths, chosen, strict=True):
        own = path.set_index("quarter")["expected"].reindex(quarters)
        # Before its action a partnership expects nothing; after it, its whole target.
        end = max(map(dates.index_of, path["quarter"]), default=dates.LAST_QUARTER)
        own[[q for q in quarters if dates.index_of(q) > end]] = float(p.target_exchanges)
        total += own.fillna(0.0)
    summed_targets = sum(p.target_exchanges for p in chosen)
    warnings: list[str] = []
    if partnership_ids:
        scope = ", ".join(p.acronym for p in chosen)
        target = summed_targets
    else:
        scope, target = "programme", programme.target_exchanges
        if summed_targets != target:
            warnings.append(
                f"The partnerships' targets add up to {summed_targets:,}, not the programme's "
                f"{target:,}: the programme path is their paths scaled to end at {target:,}."
            )
        if summed_targets:
            total = total * (target / summed_targets)
    table = pd.DataFrame(
        {
            "quarter": quarters,
            "quarter_end": [quarter_end(q) for q in quarters],
            "expected": total.to_numpy(),
        }
    )
    return TargetPath(scope, table, target, warnings)


def expected_on(path: TargetPath, day: date) -> float:
    """The path's value on `day`, interpolated between quarter ends."""
    if path.table.empty:
        return 0.0
    ends = list(path.table["quarter_end"])
    values = list(path.table["expected"])
    if day >= ends[-1]:
        return float(values[-1])
    previous_end, previous_value = ends[0] - timedelta(days=91), 0.0
    for end, value in zip(ends, values, strict=True):
        if day <= end:
            span = max((end - previous_end).days, 1)
            return previous_value + (value - previous_value) * (day - previous_end).days / span
        previous_end, previous_value = end, value
    return float(values[-1])
