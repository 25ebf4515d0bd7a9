"""The programme itself: its settings row (targets, definitions, eligible countries) read one
way, and the partnerships with their members and targets.

Its public names load on first use (`xchange.lazy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from xchange.lazy import lazy_names

if TYPE_CHECKING:
    from xchange.programme.checks import (
        InvalidPartnership,
        bump_partnership,
        by_date,
        check_milestones,
        check_partnership_version,
        check_periods,
        check_share,
        check_terms,
        default_reporting_periods,
        milestones_json,
        periods_json,
    )
    from xchange.programme.lookup import (
        eligible_countries,
        find_partnership,
        get_partnership,
        get_partnership_by_id,
        host_rates,
        list_partnerships,
        partnership_table,
        path_milestones,
        reporting_periods,
    )
    from xchange.programme.partnerships import (
        add_partnership,
        add_partnership_with_coordinator,
        update_partnership,
    )
    from xchange.programme.period import Outside, stays_outside
    from xchange.programme.quarters import (
        Lock,
        day_text,
        locked_among,
        locks,
        refuse_locked,
        report_for,
        states,
    )
    from xchange.programme.row import programme, read_programme
    from xchange.programme.schedules import set_host_rates, set_milestones, set_reporting_periods
    from xchange.programme.settings import (
        Eligibility,
        ProgrammeSettings,
        check_eligibility,
        check_settings,
        default_settings,
        programme_version,
        read_eligibility,
        read_settings,
        set_eligible_countries,
        update_programme,
    )

# Public name -> the submodule that defines it (read by `__getattr__` and by
# tests/test_architecture.py, which follows these names to their module).
_SUBMODULES = {
    "add_partnership": "partnerships",
    "add_partnership_with_coordinator": "partnerships",
    "bump_partnership": "checks",
    "by_date": "checks",
    "check_eligibility": "settings",
    "check_milestones": "checks",
    "check_partnership_version": "checks",
    "check_periods": "checks",
    "check_settings": "settings",
    "check_share": "checks",
    "check_terms": "checks",
    "default_reporting_periods": "checks",
    "default_settings": "settings",
    "Eligibility": "settings",
    "eligible_countries": "lookup",
    "find_partnership": "lookup",
    "get_partnership": "lookup",
    "get_partnership_by_id": "lookup",
    "host_rates": "lookup",
    "InvalidPartnership": "checks",
    "list_partnerships": "lookup",
    "Lock": "quarters",
    "Outside": "period",
    "stays_outside": "period",
    "day_text": "quarters",
    "locked_among": "quarters",
    "locks": "quarters",
    "refuse_locked": "quarters",
    "report_for": "quarters",
    "states": "quarters",
    "milestones_json": "checks",
    "partnership_table": "lookup",
    "path_milestones": "lookup",
    "periods_json": "checks",
    "programme": "row",
    "programme_version": "settings",
    "ProgrammeSettings": "settings",
    "read_eligibility": "settings",
    "read_programme": "row",
    "read_settings": "settings",
    "reporting_periods": "lookup",
    "set_eligible_countries": "settings",
    "set_host_rates": "schedules",
    "set_milestones": "schedules",
    "set_reporting_periods": "schedules",
    "update_partnership": "partnerships",
    "update_programme": "settings",
}
__all__ = [
    "add_partnership",
    "add_partnership_with_coordinator",
    "bump_partnership",
    "by_date",
    "check_eligibility",
    "check_milestones",
    "check_partnership_version",
    "check_periods",
    "check_settings",
    "check_share",
    "check_terms",
    "default_reporting_periods",
    "default_settings",
    "Eligibility",
    "eligible_countries",
    "find_partnership",
    "get_partnership",
    "get_partnership_by_id",
    "host_rates",
    "InvalidPartnership",
    "list_partnerships",
    "Lock",
    "Outside",
    "stays_outside",
    "day_text",
    "locked_among",
    "locks",
    "refuse_locked",
    "report_for",
    "states",
    "milestones_json",
    "partnership_table",
    "path_milestones",
    "periods_json",
    "programme",
    "programme_version",
    "ProgrammeSettings",
    "read_eligibility",
    "read_programme",
    "read_settings",
    "reporting_periods",
    "set_eligible_countries",
    "set_host_rates",
    "set_milestones",
    "set_reporting_periods",
    "update_partnership",
    "update_programme",
]

__getattr__, __dir__ = lazy_names(__name__, _SUBMODULES)
