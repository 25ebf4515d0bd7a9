"""The programme itself: its settings row (targets, definitions, eligible countries) read one
way, and the partnerships with their members and targets.

Importing the room costs nothing: each public name below loads its submodule on first use
(PEP 562), so a command or the file-reading child pays only for what it touches.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from xchange.programme.partnerships import (
        InvalidPartnership,
        add_partnership,
        add_partnership_with_coordinator,
        default_reporting_periods,
        eligible_countries,
        find_partnership,
        get_partnership,
        get_partnership_by_id,
        host_rates,
        list_partnerships,
        partnership_table,
        path_milestones,
        reporting_periods,
        set_host_rates,
        set_milestones,
        set_reporting_periods,
        update_partnership,
    )
    from xchange.programme.row import programme, read_programme
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
    "check_eligibility": "settings",
    "check_settings": "settings",
    "default_reporting_periods": "partnerships",
    "default_settings": "settings",
    "Eligibility": "settings",
    "eligible_countries": "partnerships",
    "find_partnership": "partnerships",
    "get_partnership": "partnerships",
    "get_partnership_by_id": "partnerships",
    "host_rates": "partnerships",
    "InvalidPartnership": "partnerships",
    "list_partnerships": "partnerships",
    "partnership_table": "partnerships",
    "path_milestones": "partnerships",
    "programme": "row",
    "programme_version": "settings",
    "ProgrammeSettings": "settings",
    "read_eligibility": "settings",
    "read_programme": "row",
    "read_settings": "settings",
    "reporting_periods": "partnerships",
    "set_eligible_countries": "settings",
    "set_host_rates": "partnerships",
    "set_milestones": "partnerships",
    "set_reporting_periods": "partnerships",
    "update_partnership": "partnerships",
    "update_programme": "settings",
}
__all__ = [
    "add_partnership",
    "add_partnership_with_coordinator",
    "check_eligibility",
    "check_settings",
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
    "partnership_table",
    "path_milestones",
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


def __getattr__(name: str) -> Any:
    module = _SUBMODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # once loaded, a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_SUBMODULES})
