"""Lazy room APIs (PEP 562): a subpackage's public names, loaded from their submodule on first use.

    # xchange/db/__init__.py
    _SUBMODULES = {"make_engine": "engine", ...}
    __getattr__, __dir__ = lazy_names(__name__, _SUBMODULES)

Importing a room then costs nothing: the command line and the file-reading child pay only for
the submodules (and SQLAlchemy, pandas...) they touch.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_names(
    package: str, submodules: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The `__getattr__` and `__dir__` of `package`, resolving each name of `submodules`
    (public name -> submodule) on first use and keeping it as a plain attribute after."""

    def __getattr__(name: str) -> Any:
        module = submodules.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *submodules})

    return __getattr__, __dir__
