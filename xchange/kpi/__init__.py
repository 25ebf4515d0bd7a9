"""The KPIs: sums over the register, breakdowns by quarter, partnership, country pair and
ecosystem, targets and forecasts, the overview a dashboard shows, and quarter snapshots.

Importing the room costs nothing: each public name below loads its submodule on first use
(PEP 562), so a command or the file-reading child pays only for what it touches.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from xchange.kpi.breakdowns import (
        Breakdown,
        CountryTables,
        add_shares,
        by_country,
        by_ecosystem,
        by_org_type,
        by_partnership,
        by_period,
        by_quarter,
        countries,
        flows,
        last_activity,
        money_and_sides,
        ratios,
    )
    from xchange.kpi.cache import listen_for_changes
    from xchange.kpi.counting import Definitions, Filters, beyond_condition, filter_conditions
    from xchange.kpi.grouping import (
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
    from xchange.kpi.overview import FilterChoices, Overview, filter_choices
    from xchange.kpi.paths import (
        TargetPath,
        expected_at,
        expected_on,
        milestones_by_partnership,
        partnership_path,
        quarter_end,
        target_path,
    )
    from xchange.kpi.snapshots import Comparison, compare, take_snapshot
    from xchange.kpi.sums import Headline, Targets, headline, programme_targets, share
    from xchange.kpi.targets import (
        DAYS_PER_QUARTER,
        TOLERANCE,
        Forecast,
        KpiStatus,
        forecast,
        pace_quarters,
        partnership_forecasts,
        projections,
        share_gap,
        share_status,
    )

# Public name -> the submodule that defines it (read by `__getattr__` and by
# tests/test_architecture.py, which follows these names to their module).
_SUBMODULES = {
    "add_shares": "breakdowns",
    "beyond_condition": "counting",
    "Breakdown": "breakdowns",
    "by_country": "breakdowns",
    "by_ecosystem": "breakdowns",
    "by_org_type": "breakdowns",
    "by_partnership": "breakdowns",
    "by_period": "breakdowns",
    "by_quarter": "breakdowns",
    "compare": "snapshots",
    "Comparison": "snapshots",
    "completed_in_quarter": "grouping",
    "countries": "breakdowns",
    "CountryTables": "breakdowns",
    "DAYS_PER_QUARTER": "targets",
    "Definitions": "counting",
    "expected_at": "paths",
    "expected_on": "paths",
    "figure_sums": "grouping",
    "filter_choices": "overview",
    "filter_conditions": "counting",
    "FilterChoices": "overview",
    "Filters": "counting",
    "flows": "breakdowns",
    "Forecast": "targets",
    "forecast": "targets",
    "grouped": "grouping",
    "grouped_sums": "grouping",
    "Headline": "sums",
    "headline": "sums",
    "KpiStatus": "targets",
    "last_activity": "breakdowns",
    "listen_for_changes": "cache",
    "milestones_by_partnership": "paths",
    "money_and_sides": "breakdowns",
    "Overview": "overview",
    "pace_quarters": "targets",
    "partnership_forecasts": "targets",
    "partnership_path": "paths",
    "programme_targets": "sums",
    "projections": "targets",
    "quarter_bounds": "grouping",
    "quarter_end": "paths",
    "ratios": "breakdowns",
    "raw_source": "grouping",
    "result_sums": "grouping",
    "share": "sums",
    "share_gap": "targets",
    "share_status": "targets",
    "Source": "grouping",
    "sum_if": "grouping",
    "summary_conditions": "grouping",
    "summary_source": "grouping",
    "Sums": "grouping",
    "take_snapshot": "snapshots",
    "target_path": "paths",
    "TargetPath": "paths",
    "Targets": "sums",
    "TOLERANCE": "targets",
    "uses_summary": "grouping",
}
__all__ = [
    "add_shares",
    "beyond_condition",
    "Breakdown",
    "by_country",
    "by_ecosystem",
    "by_org_type",
    "by_partnership",
    "by_period",
    "by_quarter",
    "compare",
    "Comparison",
    "completed_in_quarter",
    "countries",
    "CountryTables",
    "DAYS_PER_QUARTER",
    "Definitions",
    "expected_at",
    "expected_on",
    "figure_sums",
    "filter_choices",
    "filter_conditions",
    "FilterChoices",
    "Filters",
    "flows",
    "Forecast",
    "forecast",
    "grouped",
    "grouped_sums",
    "Headline",
    "headline",
    "KpiStatus",
    "last_activity",
    "listen_for_changes",
    "milestones_by_partnership",
    "money_and_sides",
    "Overview",
    "pace_quarters",
    "partnership_forecasts",
    "partnership_path",
    "programme_targets",
    "projections",
    "quarter_bounds",
    "quarter_end",
    "ratios",
    "raw_source",
    "result_sums",
    "share",
    "share_gap",
    "share_status",
    "Source",
    "sum_if",
    "summary_conditions",
    "summary_source",
    "Sums",
    "take_snapshot",
    "target_path",
    "TargetPath",
    "Targets",
    "TOLERANCE",
    "uses_summary",
]


def __getattr__(name: str) -> Any:
    module = _SUBMODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # once loaded, a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_SUBMODULES})
