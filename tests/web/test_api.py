"""The read API over HTTP, against the served app (`streamlit run serve.py`): the figures of
`xchange kpi --json`, the export's rows for the token's owner, and every refusal."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from click.testing import CliRunner
from sqlmodel import col, select

from tests.web.conftest import TOKENS, Site
from xchange.cli import cli
from xchange.db import engine as db
from xchange.exports import exchanges as exporting
from xchange.models import ApiToken, AuditEvent, User

pytestmark = pytest.mark.browser  # a served app, as the browser tests


def get(site: Site, path: str, token: str | None = "admin", **kwargs: Any) -> requests.Response:
    headers = kwargs.pop("headers", {})
    if token is not None:
        headers["Authorization"] = f"Bearer {site.secrets[token]}"
    return requests.get(f"{site.address}{path}", headers=headers, timeout=60, **kwargs)


def cli_kpi(site: Site, email: str, *options: str) -> dict[str, Any]:
    result = CliRunner().invoke(
        cli, ["--db", site.url, "--user", email, "kpi", "--json", *options], prog_name="xchange"
    )
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.output))


@pytest.mark.parametrize(
    ("params", "options"),
    [
        ({}, ()),
        (
            {"partnership": "GTEX", "as_of": "2026-06-30"},
            ("--partnership", "GTEX", "--as-of", "2026-06-30"),
        ),
        ({"by": "quarter"}, ("--by", "quarter")),
        ({"by": "country", "partnership": "AERO"}, ("--by", "country", "--partnership", "AERO")),
        ({"forecast": "true", "as_of": "2026-03-31"}, ("--forecast", "--as-of", "2026-03-31")),
        (
            {"as_of": "2026-03-31", "as_recorded": "true", "by": "partnership"},
            ("--as-of", "2026-03-31", "--as-recorded", "--by", "partnership"),
        ),
    ],
    ids=["programme", "partnership-as-of", "by-quarter", "by-country", "forecast", "as-recorded"],
)
def test_the_kpi_endpoint_answers_the_figures_of_the_command_line(
    site: Site, params: dict[str, str], options: tuple[str, ...]
) -> None:
    # A coordinator reads every partnership's figures, as on the dashboard and the CLI.
    answer = get(site, "/api/v1/kpi", token="coordinator", params=params)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/json"
    assert answer.json() == cli_kpi(site, TOKENS["coordinator"], *options)
    assert answer.json()["counted"] > 0 or params.get("as_of")


@pytest.mark.parametrize("who", ["coordinator", "officer", "admin"])
def test_the_exchanges_endpoint_answers_the_export_rows_of_the_token_s_owner(
    site: Site, who: str
) -> None:
    engine = db.make_engine(site.url)
    try:
        with db.read_session(engine) as session:
            owner = session.exec(select(User).where(User.email == TOKENS[who])).one()
            expected = exporting.export_csv(session=session, actor=owner)
            frame = exporting.export_frame(session=session, actor=owner)
    finally:
        engine.dispose()
    as_csv = get(site, "/api/v1/exchanges", token=who, params={"format": "csv"})
    assert as_csv.status_code == 200
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert as_csv.content == expected  # byte for byte: the export's own
    # JSON: the same rows and columns, typed.
    as_json = get(site, "/api/v1/exchanges", token=who).json()
    assert as_json["count"] == len(frame) > 0
    first = as_json["exchanges"][0]
    assert list(first) == list(exporting.EXPORT_COLUMNS)
    assert first["reference"] == frame["reference"].iloc[0]
    assert first["end_date"] == frame["end_date"].iloc[0].isoformat()
    people = {row["representative"] for row in as_json["exchanges"]} - {None}
    if who == "officer":  # pseudonyms, never names
        assert people and all(p.startswith("person-") for p in people)
    else:
        assert people and not any(p.startswith("person-") for p in people)
    if who == "coordinator":  # their own partnerships only
        assert {row["partnership"] for row in as_json["exchanges"]} == {"GTEX", "MTC"}


def test_csv_follows_the_accept_header_and_format_wins(site: Site) -> None:
    wanted = get(
        site, "/api/v1/exchanges", headers={"Accept": "text/csv"}, params={"to": "2025-12-31"}
    )
    assert wanted.headers["content-type"].startswith("text/csv")
    preferred = get(
        site,
        "/api/v1/exchanges",
        headers={"Accept": "text/csv;q=0.5, application/json"},
        params={"to": "2025-12-31"},
    )
    assert preferred.headers["content-type"] == "application/json"
    overridden = get(
        site,
        "/api/v1/exchanges",
        headers={"Accept": "text/csv"},
        params={"format": "json", "to": "2025-12-31"},
    )
    assert overridden.headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "Send an API token as the header Authorization: Bearer TOKEN"),
        ({"Authorization": "Basic YWRtaW46eA=="}, "Send an API token"),
        ({"Authorization": "Bearer xcx_not-a-token"}, "The API token is not known"),
        # The sign-in cookie is never read, whatever it holds.
        ({"Cookie": "xchange_session=anything"}, "Send an API token"),
    ],
    ids=["none", "basic", "unknown", "cookie"],
)
def test_a_request_without_a_usable_token_is_refused(
    site: Site, headers: dict[str, str], message: str
) -> None:
    for path in ("/api/v1/kpi", "/api/v1/exchanges"):
        answer = get(site, path, token=None, headers=dict(headers))
        assert answer.status_code == 401
        assert answer.headers["www-authenticate"] == "Bearer"
        assert answer.json()["error"].startswith(message)


def test_a_revoked_token_is_refused(site: Site) -> None:
    answer = get(site, "/api/v1/kpi", token="revoked")
    assert answer.status_code == 401
    assert answer.json() == {
        "status": 401,
        "error": "The API token 'revoked' was revoked: create a new one.",
    }


def test_another_partnership_s_records_are_refused(site: Site) -> None:
    answer = get(site, "/api/v1/exchanges", token="coordinator", params={"partnership": "AERO"})
    assert answer.status_code == 403
    assert answer.json()["error"] == (
        "coordinator@demo.eu may not see partnership AERO: not one of their partnerships."
    )
    # Its own: allowed.
    assert get(site, "/api/v1/exchanges", token="coordinator", params={"partnership": "GTEX"}).ok


@pytest.mark.parametrize(
    ("path", "params", "parameter", "message"),
    [
        (
            "kpi",
            {"as_of": "2026-13-01"},
            "as_of",
            "as_of: '2026-13-01' is not a date like 2026-09-30.",
        ),
        ("kpi", {"as_of": "1999-12-31"}, "as_of", "as_of: 1999-12-31 is outside the dates"),
        ("kpi", {"by": "month"}, "by", "by: one of partnership, quarter,"),
        ("kpi", {"forecast": "maybe"}, "forecast", "forecast: true or false, not 'maybe'."),
        (
            "kpi",
            {"partnership": "NOPE"},
            "partnership",
            "partnership: There is no partnership 'NOPE'",
        ),
        ("kpi", {"partnerships": "GTEX"}, "partnerships", "partnerships: not a parameter here"),
        (
            "exchanges",
            {"from": "2026-06-01", "to": "2026-01-01"},
            "to",
            "to: 2026-01-01 is before from 2026-06-01.",
        ),
        ("exchanges", {"format": "xlsx"}, "format", "format: one of csv, json, not 'xlsx'."),
        (
            "exchanges",
            {"partnership": "NOPE"},
            "partnership",
            "partnership: There is no partnership 'NOPE'",
        ),
    ],
)
def test_a_bad_filter_is_refused_naming_the_parameter(
    site: Site, path: str, params: dict[str, str], parameter: str, message: str
) -> None:
    answer = get(site, f"/api/v1/{path}", params=params)
    assert answer.status_code == 400
    body = answer.json()
    assert body["parameter"] == parameter
    assert body["error"].lower().startswith(message.lower()), body


def test_a_parameter_given_twice_is_refused(site: Site) -> None:
    answer = get(site, "/api/v1/kpi?by=quarter&by=period")
    assert (answer.status_code, answer.json()["error"]) == (400, "by: give it once.")


def test_past_the_rate_a_token_gets_429_with_retry_after(site: Site) -> None:
    with requests.Session() as http:
        http.headers["Authorization"] = f"Bearer {site.secrets['rate']}"
        statuses = [
            http.get(f"{site.address}/api/v1/kpi", timeout=60).status_code for _ in range(60)
        ]
        assert statuses == [200] * 60
        refused = http.get(f"{site.address}/api/v1/kpi", timeout=60)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert "more than 60 requests in a minute" in refused.json()["error"]
    # Another token is counted apart.
    assert get(site, "/api/v1/kpi", token="officer").status_code == 200


def test_a_token_s_first_use_of_the_day_is_on_record_once(site: Site) -> None:
    for _ in range(3):
        assert get(site, "/api/v1/kpi", token="officer").ok
    engine = db.make_engine(site.url)
    try:
        with db.read_session(engine) as session:
            officer = session.exec(select(ApiToken).where(ApiToken.name == "officer")).one()
            used = session.exec(
                select(AuditEvent.entity_id)
                .where(AuditEvent.entity == "api_token", AuditEvent.action == "use")
                .order_by(col(AuditEvent.id))
            ).all()
    finally:
        engine.dispose()
    # Every token used by the tests so far, each once (they all ran today).
    assert officer.id in used
    assert len(used) == len(set(used))


def test_the_openapi_description_is_served_without_a_token(site: Site) -> None:
    answer = get(site, "/api/v1/openapi.json", token=None)
    assert answer.status_code == 200
    document = answer.json()
    assert set(document["paths"]) == {"/api/v1/kpi", "/api/v1/exchanges"}
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_the_api_only_reads_and_the_pages_are_still_served(site: Site) -> None:
    headers = {"Authorization": f"Bearer {site.secrets['admin']}"}
    for method in ("POST", "PUT", "DELETE"):
        answer = requests.request(
            method, f"{site.address}/api/v1/exchanges", headers=headers, timeout=60
        )
        assert answer.status_code == 405, method
    page = requests.get(site.address, timeout=60)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
