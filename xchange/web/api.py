"""The read-only API for other tools: `/api/v1/kpi`, `/api/v1/exchanges` and the OpenAPI
description, served beside the pages (`serve.py` mounts `api_routes()`).

    curl -H "Authorization: Bearer $TOKEN" "http://localhost:8501/api/v1/kpi?by=quarter"

Each endpoint answers what the command line answers, from the same package call: the KPI
endpoint `xchange kpi --json` (`kpi.figures`), the exchanges endpoint `xchange export`
(`exports.exchanges`, officers pseudonymised). A request is authenticated by a personal API
token sent as `Authorization: Bearer TOKEN` and nothing else: the sign-in cookie is never read,
so a page another site opens in a signed-in browser cannot read through the API. The token's
owner is the actor, with the rights the database gives them now.

Refusals are JSON, `{"status": 400, "error": "one sentence", "parameter": "as_of"}`: 400 a
parameter that cannot be used (named), 401 no usable token, 403 another partnership's records,
429 more than `XCHANGE_API_RATE_PER_MINUTE` requests in a minute (with `Retry-After`).

The endpoints are plain functions: Starlette runs them in its thread pool, so the database
calls, which block, never hold up the pages' event loop.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from xchange import dates
from xchange.accounts import tokens
from xchange.config import get_settings
from xchange.db import engine as db
from xchange.errors import NotAuthenticated, NotFound, PermissionDenied, XchangeError
from xchange.models import User, utcnow
from xchange.web.ratelimit import RateLimiter, retry_after

log = logging.getLogger(__name__)

PREFIX = "/api/v1"
# Never cached by a proxy or the browser: the answers hold records and depend on the token.
NO_STORE = {"Cache-Control": "no-store"}
TRUE = {"true", "1", "yes"}
FALSE = {"false", "0", "no"}


class ApiError(Exception):
    """A refusal with its HTTP status; `parameter` names the query parameter at fault."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        parameter: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.parameter = parameter
        self.headers = dict(headers or {})


def api_routes() -> list[BaseRoute]:
    """The API's routes, for `st.App(..., routes=api_routes())`."""
    return [
        Route(f"{PREFIX}/kpi", _guarded(kpi), methods=["GET"]),
        Route(f"{PREFIX}/exchanges", _guarded(exchanges), methods=["GET"]),
        Route(f"{PREFIX}/openapi.json", openapi, methods=["GET"]),
    ]


def kpi(request: Request, actor: User, session: Session) -> Response:
    """`GET /api/v1/kpi?partnership=&as_of=&by=&forecast=&as_recorded=`: `xchange kpi
    --json`'s figures (`as_recorded`: the register as recorded at the end of the as-of day).

    KPI figures are for every active user (`access.require_kpi_read`): any partnership's.
    """
    from xchange.kpi import figures

    query = _query(request, {"partnership", "as_of", "by", "forecast", "as_recorded"})
    as_of = _day(query, "as_of")
    by = _choice(query, "by", figures.BY_CHOICES)
    forecast = _flag(query, "forecast")
    recorded = _flag(query, "as_recorded")
    try:
        found = figures.figures(
            session,
            acronym=query.get("partnership"),
            as_of=as_of,
            by=by,
            forecast=forecast,
            recorded=recorded,
        )
    except NotFound as exc:
        raise ApiError(400, f"partnership: {exc}", parameter="partnership") from exc
    return Response(
        figures.as_json(found.as_dict()), media_type="application/json", headers=NO_STORE
    )


def exchanges(request: Request, actor: User, session: Session) -> Response:
    """`GET /api/v1/exchanges?partnership=&from=&to=&format=`: `xchange export`'s rows for
    the token's owner, as CSV (the export's bytes) or JSON (`{"count", "exchanges"}`)."""
    from xchange.exports import exchanges as exporting

    query = _query(request, {"partnership", "from", "to", "format"})
    date_from, date_to = _day(query, "from"), _day(query, "to")
    if date_from and date_to and date_to < date_from:
        raise ApiError(400, f"to: {date_to} is before from {date_from}.", parameter="to")
    csv = _wants_csv(query, request.headers.get("accept", ""))
    try:
        frame = exporting.export_frame(
            session=session,
            actor=actor,
            partnership=query.get("partnership"),
            date_from=date_from,
            date_to=date_to,
        )
    except NotFound as exc:
        raise ApiError(400, f"partnership: {exc}", parameter="partnership") from exc
    if csv:
        return Response(
            exporting.frame_csv(frame),
            media_type="text/csv; charset=utf-8",
            headers={**NO_STORE, "Content-Disposition": 'attachment; filename="exchanges.csv"'},
        )
    rows = [
        {name: _plain(value) for name, value in zip(frame.columns, row, strict=True)}
        for row in frame.itertuples(index=False, name=None)
    ]
    return JSONResponse({"count": len(rows), "exchanges": rows}, headers=NO_STORE)


def openapi(request: Request) -> Response:
    """`GET /api/v1/openapi.json`: the API's description (no token needed: it holds no data)."""
    from xchange.web.openapi import document

    return JSONResponse(document())


def engine() -> Engine:
    """One engine per server process and database URL, migrated on first use (as the pages')."""
    return _engine(get_settings().database_url)


@functools.cache
def _engine(url: str) -> Engine:
    made = db.make_engine(url)
    db.upgrade(made)
    return made


@functools.cache
def _limiter(per_minute: int) -> RateLimiter:
    return RateLimiter(per_minute)


# --- authentication and refusals -------------------------------------------------------------


def _guarded(
    work: Callable[[Request, User, Session], Response],
) -> Callable[[Request], Response]:
    """`work(request, actor, session)` behind the token check, its refusals turned into JSON.
    One read session for both: a request checks out one connection."""

    @functools.wraps(work)
    def endpoint(request: Request) -> Response:
        try:
            with db.read_session(engine()) as session:
                return work(request, _authenticate(request, session), session)
        except ApiError as exc:
            return _refusal(exc.status, str(exc), exc.parameter, exc.headers)
        except NotAuthenticated as exc:
            return _refusal(401, str(exc), None, {"WWW-Authenticate": "Bearer"})
        except PermissionDenied as exc:
            return _refusal(403, str(exc), None)
        except XchangeError as exc:
            return _refusal(400, str(exc), None)
        except Exception as exc:
            if not db.is_database_error(exc):
                raise
            log.exception("an API request failed in the database")
            return _refusal(503, "The database could not answer: try again shortly.", None)

    return endpoint


def _authenticate(request: Request, session: Session) -> User:
    """The owner of the request's bearer token; counts the request against the token's limit
    and records the token's first use of the day (in a write transaction of its own)."""
    scheme, _, secret = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise NotAuthenticated(
            "Send an API token as the header Authorization: Bearer TOKEN "
            "(create one on the Account page)."
        )
    owner, token = tokens.token_owner(session=session, secret=secret.strip())
    wait = _limiter(get_settings().api_rate_per_minute).hit(token.id)
    if wait > 0:
        raise ApiError(
            429,
            f"The token {token.name!r} made more than {get_settings().api_rate_per_minute} "
            "requests in a minute: wait and try again.",
            headers={"Retry-After": retry_after(wait)},
        )
    today = utcnow().date()
    if token.last_used_on != today:
        db.write(
            engine(),
            lambda session: tokens.mark_used(
                session=session, owner=owner, token=token, today=today
            ),
        )
    return owner


def _refusal(
    status: int, message: str, parameter: str | None, headers: Mapping[str, str] | None = None
) -> Response:
    body: dict[str, Any] = {"status": status, "error": message}
    if parameter is not None:
        body["parameter"] = parameter
    return JSONResponse(body, status_code=status, headers={**NO_STORE, **(headers or {})})


# --- query parameters ------------------------------------------------------------------------


def _query(request: Request, allowed: set[str]) -> dict[str, str]:
    """The query's parameters, each given at most once; an empty one counts as not given (a
    spreadsheet's blank cell). An unknown name is refused: a typo would silently widen the
    answer (`partnerships=GTEX` reading every partnership)."""
    params = request.query_params
    for name in params:
        if name not in allowed:
            known = ", ".join(sorted(allowed))
            raise ApiError(400, f"{name}: not a parameter here (use {known}).", parameter=name)
        if len(params.getlist(name)) > 1:
            raise ApiError(400, f"{name}: give it once.", parameter=name)
    return {name: value.strip() for name, value in params.items() if value.strip()}


def _day(query: Mapping[str, str], name: str) -> date | None:
    if name not in query:
        return None
    try:
        day = date.fromisoformat(query[name])
    except ValueError:
        raise ApiError(
            400, f"{name}: {query[name]!r} is not a date like 2026-09-30.", parameter=name
        ) from None
    if not dates.within(day):
        raise ApiError(
            400, f"{name}: {dates.out_of_range_message('', day).strip()}.", parameter=name
        )
    return day


def _choice(query: Mapping[str, str], name: str, choices: tuple[str, ...]) -> str | None:
    value = query.get(name)
    if value is not None and value not in choices:
        raise ApiError(400, f"{name}: one of {', '.join(choices)}, not {value!r}.", parameter=name)
    return value


def _flag(query: Mapping[str, str], name: str) -> bool:
    value = query.get(name, "false").lower()
    if value not in TRUE | FALSE:
        raise ApiError(400, f"{name}: true or false, not {query[name]!r}.", parameter=name)
    return value in TRUE


def _wants_csv(query: Mapping[str, str], accept: str) -> bool:
    """`format=csv|json` decides; else the Accept header's preference (`text/csv` above
    `application/json`); else JSON."""
    chosen = _choice(query, "format", ("csv", "json"))
    if chosen is not None:
        return chosen == "csv"
    weights: dict[str, float] = {}
    for part in accept.split(","):
        media, *options = (piece.strip() for piece in part.split(";"))
        weight = 1.0
        for option in options:
            key, _, value = option.partition("=")
            if key.strip() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        weights[media.lower()] = max(weight, weights.get(media.lower(), 0.0))
    return weights.get("text/csv", 0.0) > weights.get("application/json", 0.0)


def _plain(value: Any) -> Any:
    """An export cell as a JSON value: ISO dates, null for missing, numbers as numbers."""
    import pandas as pd

    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, date):
        return value.isoformat()
    return value.item() if hasattr(value, "item") else value
