"""HTTP beside the pages: the read API for other tools (`api`), its OpenAPI description and
the per-token rate limit.

Its public names load on first use (`xchange.lazy`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from xchange.lazy import lazy_names

if TYPE_CHECKING:
    from xchange.web.api import api_routes

# Public name -> the submodule that defines it (read by `__getattr__` and by
# tests/test_architecture.py, which follows these names to their module).
_SUBMODULES = {
    "api_routes": "api",
}
__all__ = [
    "api_routes",
]

__getattr__, __dir__ = lazy_names(__name__, _SUBMODULES)
