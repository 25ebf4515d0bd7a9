"""Exchanges out as files that are safe to open and import again: CSV and XLSX exports,
the templates, the audit trail, and the formula guard that keeps cells from running.

Importing the room costs nothing: each public name below loads its submodule on first use
(PEP 562), so a command or the file-reading child pays only for what it touches.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from xchange.exports.audit import audit_csv, events_between
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


def __getattr__(name: str) -> Any:
    module = _SUBMODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # once loaded, a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_SUBMODULES})
