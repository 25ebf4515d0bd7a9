"""HTTP beside the pages: the routes and middleware that `serve.py` hands to `st.App`.

- `routes()`: every route the tracker serves besides Streamlit's own: the browser's sign-in
  and sign-out (`signin`) and the read API for other tools (`api`, with its OpenAPI
  description and the per-token rate limit). Another set joins here with one line.
- `middleware()`: the anti-forgery cookie that the pages' forms repeat (`guard`).

Streamlit keeps `/_stcore/`, `/static/`, `/media/` and `/component/`, and serves its own OIDC
sign-in at `/auth/*` and `/oauth2callback`: routes here never use those paths.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.middleware import Middleware
    from starlette.routing import BaseRoute

__all__ = ["middleware", "routes"]


def routes() -> list[BaseRoute]:
    """The tracker's own routes, for `st.App(routes=...)`."""
    from xchange.web.api import api_routes
    from xchange.web.signin import session_routes

    return [*session_routes(), *api_routes()]


def middleware() -> list[Middleware]:
    """The tracker's middleware, for `st.App(middleware=...)`."""
    from starlette.middleware import Middleware

    from xchange.web.guard import CsrfCookie

    return [Middleware(CsrfCookie)]
