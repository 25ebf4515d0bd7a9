"""Exchanges out as files that are safe to open and import again: CSV and XLSX exports,
the templates, the audit trail, and the formula guard that keeps cells from running.

Its public names load on first use (`xchange.lazy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from xchange.lazy import lazy_names

if TYPE_CHECKING:
    from xchange.exports.audit import audit_csv, events_between
    from xchange.exports.dialects import DIALECTS, Dialect, dialect
    from xchange.exports.exchanges import (
        EXPORT_COLUMNS,
        export_csv,
        export_frame,
        export_xlsx,
        pseudonym,
    )
    from xchange.exports.formulas import neutralise, unneutralise
    from xchange.exports.templates import choices, template_csv, template_xlsx, write_header

# Public name -> the submodule that defines it (read by `__getattr__` and by
# tests/test_architecture.py, which follows these names to their module).
_SUBMODULES = {
    "audit_csv": "audit",
    "DIALECTS": "dialects",
    "Dialect": "dialects",
    "dialect": "dialects",
    "choices": "templates",
    "events_between": "audit",
    "EXPORT_COLUMNS": "exchanges",
    "export_csv": "exchanges",
    "export_frame": "exchanges",
    "export_xlsx": "exchanges",
    "neutralise": "formulas",
    "pseudonym": "exchanges",
    "template_csv": "templates",
    "template_xlsx": "templates",
    "unneutralise": "formulas",
    "write_header": "templates",
}
__all__ = [
    "audit_csv",
    "DIALECTS",
    "Dialect",
    "dialect",
    "choices",
    "events_between",
    "EXPORT_COLUMNS",
    "export_csv",
    "export_frame",
    "export_xlsx",
    "neutralise",
    "pseudonym",
    "template_csv",
    "template_xlsx",
    "unneutralise",
    "write_header",
]

__getattr__, __dir__ = lazy_names(__name__, _SUBMODULES)
