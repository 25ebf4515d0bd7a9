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
    from xchange.kpi.overview import FilterChoices, Overview, filter_choices
    from xchange.kpi.snapshots import Comparison, compare, take_snapshot
    from xchange.kpi.sums import Definitions, Filters, Headline, headline, share
    from xchange.kpi.targets import (
        Forecast,
        KpiStatus,
        TargetPath,
        expected_at,
        forecast,
        pace_quarters,
        partnership_forecasts,
        partnership_path,
        projections,
        quarter_end,
        share_gap,
        share_status,
        target_path,
    )

# Public name -> the submodule that defines it (read by `__getattr__` and by
# tests/test_architecture.py, which follows these names to their module).
_SUBMODULES = {
    "add_shares": "breakdowns",
    "Breakdown": "breakdowns",
    "by_country": "breakdowns",
    "by_ecosystem": "breakdowns",
    "by_org_type": "breakdowns",
    "by_partnership": "breakdowns",
    "by_period": "breakdowns",
    "by_quarter": "breakdowns",
    "compare": "snapshots",
    "Comparison": "snapshots",
    "countries": "breakdowns",
    "CountryTables": "breakdowns",
    "Definitions": "sums",
    "expected_at": "targets",
    "filter_choices": "overview",
    "FilterChoices": "overview",
    "Filters": "sums",
    "flows": "breakdowns",
    "Forecast": "targets",
    "forecast": "targets",
    "Headline": "sums",
    "headline": "sums",
    "KpiStatus": "targets",
    "last_activity": "breakdowns",
    "money_and_sides": "breakdowns",
    "Overview": "overview",
    "pace_quarters": "targets",
    "partnership_forecasts": "targets",
    "partnership_path": "targets",
    "projections": "targets",
    "quarter_end": "targets",
    "ratios": "breakdowns",
    "share": "sums",
    "share_gap": "targets",
    "share_status": "targets",
    "take_snapshot": "snapshots",
    "target_path": "targets",
    "TargetPath": "targets",
}
__all__ = [
    "add_shares",
    "Breakdown",
    "by_country",
    "by_ecosystem",
    "by_org_type",
    "by_partnership",
    "by_period",
    "by_quarter",
    "compare",
    "Comparison",
    "countries",
    "CountryTables",
    "Definitions",
    "expected_at",
    "filter_choices",
    "FilterChoices",
    "Filters",
    "flows",
    "Forecast",
    "forecast",
    "Headline",
    "headline",
    "KpiStatus",
    "last_activity",
    "money_and_sides",
    "Overview",
    "pace_quarters",
    "partnership_forecasts",
    "partnership_path",
    "projections",
    "quarter_end",
    "ratios",
    "share",
    "share_gap",
    "share_status",
    "take_snapshot",
    "target_path",
    "TargetPath",
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
