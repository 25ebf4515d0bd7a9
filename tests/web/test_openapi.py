"""Property-based tests of the API against its own OpenAPI description (schemathesis): for
valid and invalid parameters alike, the served app never answers with a server error, and
what it answers conforms to the description (status codes, content types, schemas)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.web.conftest import Site

pytestmark = pytest.mark.browser  # a served app, as the browser tests

# Bounded: every operation gets examples of each mode, and the run stays within seconds.
EXAMPLES = 30


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_server_error_and_answers_as_described(site: Site, mode: GenerationMode) -> None:
    schema = schemathesis.openapi.from_url(f"{site.address}/api/v1/openapi.json")
    # A token per mode: the other's requests do not count against its rate.
    headers = {"Authorization": f"Bearer {site.secrets[f'schema-{mode.value}']}"}
    checks = [not_a_server_error]
    if mode == GenerationMode.POSITIVE:
        checks += [status_code_conformance, content_type_conformance, response_schema_conformance]

    @given(case=schema.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much],
    )
    def run(case: schemathesis.Case) -> None:
        response = case.call(base_url=site.address, headers=headers)
        case.validate_response(response, checks=checks)

    run()
