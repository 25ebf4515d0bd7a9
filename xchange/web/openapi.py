"""The API's OpenAPI 3 description, written as data: two endpoints are few enough to describe
by hand, and a test (schemathesis) holds this document to what the server answers."""

from __future__ import annotations

from typing import Any

from xchange.kpi.figures import BY_CHOICES


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _query(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
    }


_DATE = {"type": "string", "format": "date", "example": "2026-09-30"}
_PARTNERSHIP = _query(
    "partnership", "A partnership's acronym, e.g. GTEX (default: the programme)", {"type": "string"}
)
_REFUSALS = {
    "400": _error("A query parameter is not usable; the message names it"),
    "401": _error("No token, or an unknown or revoked one, or its owner is deactivated"),
    "429": {
        "description": "More requests than the token may make in a minute",
        "headers": {
            "Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}
        },
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    },
}
_SHARE = {"type": ["number", "null"], "description": "A fraction (0.523 is 52.3 %); null: no data"}


def document() -> dict[str, Any]:
    """The OpenAPI 3.1 document served at /api/v1/openapi.json."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ClusterXchange tracker API",
            "version": "1",
            "description": (
                "Read-only figures and records for other tools (Excel, Power BI, scripts). "
                "Send a personal API token (Account page, or `xchange token create`) as "
                "`Authorization: Bearer TOKEN`. Each token reads what its owner may read."
            ),
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": {
            "/api/v1/kpi": {
                "get": {
                    "operationId": "kpi",
                    "summary": "Headline KPIs, a breakdown and the forecast, as `xchange kpi --json`",
                    "parameters": [
                        _PARTNERSHIP,
                        _query("as_of", "Figures as of this date (default: today)", _DATE),
                        _query(
                            "by",
                            "A breakdown beside the headline",
                            {"type": "string", "enum": list(BY_CHOICES)},
                        ),
                        _query(
                            "forecast",
                            "Add pace, projection, required pace and status",
                            {"type": "boolean"},
                        ),
                        _query(
                            "as_recorded",
                            "The register as recorded at the end of the as-of day (Brussels), "
                            "rather than as known now; `reading` in the answer says which",
                            {"type": "boolean"},
                        ),
                    ],
                    "responses": {
                        "200": {
                            "description": "The figures",
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/Kpi"}}
                            },
                        },
                        **_REFUSALS,
                    },
                }
            },
            "/api/v1/exchanges": {
                "get": {
                    "operationId": "exchanges",
                    "summary": "Exchanges in the export's columns, as `xchange export`",
                    "description": (
                        "Coordinators get their own partnerships' exchanges, officers and "
                        "administrators every partnership's; officers get a pseudonym for "
                        "each representative. CSV or JSON: `format`, else the Accept header, "
                        "else JSON."
                    ),
                    "parameters": [
                        _PARTNERSHIP,
                        _query("from", "End date on or after", _DATE),
                        _query("to", "End date on or before", _DATE),
                        _query(
                            "format",
                            "csv or json (default: from Accept, else json)",
                            {"type": "string", "enum": ["csv", "json"]},
                        ),
                    ],
                    "responses": {
                        "200": {
                            "description": "The exchanges",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Exchanges"}
                                },
                                "text/csv": {"schema": {"type": "string"}},
                            },
                        },
                        "403": _error("The partnership is not one of the token owner's"),
                        **_REFUSALS,
                    },
                }
            },
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["status", "error"],
                    "properties": {
                        "status": {"type": "integer"},
                        "error": {"type": "string", "description": "One sentence saying why"},
                        "parameter": {"type": "string", "description": "The parameter at fault"},
                    },
                },
                "Kpi": {
                    "type": "object",
                    "required": ["scope", "as_of", "counted", "target"],
                    "properties": {
                        "scope": {"type": "string"},
                        "as_of": {"type": "string", "format": "date"},
                        "counted": {"type": "integer"},
                        "target": {"type": "integer"},
                        "progress": _SHARE,
                        "involving_sme": {"type": "integer"},
                        "sme_target": {"type": "number"},
                        "sme_share": _SHARE,
                        "beyond_community": {"type": "integer"},
                        "beyond_target": {"type": "number"},
                        "beyond_share": _SHARE,
                        "pipeline": {"type": "integer"},
                        "virtual": {"type": "integer"},
                        "cancelled": {"type": "integer"},
                        "reading": {
                            "type": "string",
                            "description": '"as known now" or "as recorded on 31 Dec 2025"',
                        },
                        "history_incomplete_before": {
                            "type": ["string", "null"],
                            "format": "date",
                            "description": "As recorded: the audit trail is incomplete before it",
                        },
                        "by": {"type": "string", "enum": list(BY_CHOICES)},
                        "rows": {"type": "array", "items": {"type": "object"}},
                        "forecast": {"type": "object"},
                        "definitions": {
                            "type": "object",
                            "description": "How the figures were counted (readings, settings)",
                        },
                    },
                },
                "Exchanges": {
                    "type": "object",
                    "required": ["count", "exchanges"],
                    "properties": {
                        "count": {"type": "integer"},
                        "exchanges": {"type": "array", "items": {"type": "object"}},
                    },
                },
            },
        },
    }
