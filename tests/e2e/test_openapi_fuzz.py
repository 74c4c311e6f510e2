"""Our own OpenAPI document against our real server: schemathesis generates valid and
invalid requests for every operation; none may get a 500, and every response must be
what the document says (status, envelope, schema)."""

from __future__ import annotations

import base64

import hypothesis
import pytest
import schemathesis
from schemathesis import Case
from schemathesis.schemas import BaseSchema
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    positive_data_acceptance,
)

from tests.e2e.conftest import LiveServer


@pytest.fixture(scope="module")
def api_schema(live_server: LiveServer) -> BaseSchema:
    return schemathesis.openapi.from_url(f"{live_server.base_url}/v1/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@hypothesis.settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=list(hypothesis.HealthCheck),
    derandomize=True,
)
@pytest.mark.slow
def test_every_operation_keeps_its_documented_promises(case: Case, live_server: LiveServer) -> None:
    token = base64.b64encode(f"{live_server.api_key}:{live_server.api_secret}".encode()).decode()
    case.call_and_validate(
        base_url=live_server.base_url,
        headers={"Authorization": f"Basic {token}"},
        # Two checks are off, both for reasons of design, and covered by targeted tests
        # (tests/test_inputs.py): a schema-valid request may still be refused with 400 (an
        # opaque cursor we never issued, a startDate after its endDate), and a request with
        # an unknown query parameter is served, not refused, as clients migrating from
        # Smile may send some. Every other check stays on: no 5xx, documented statuses,
        # content types, headers and response schemas.
        excluded_checks=[positive_data_acceptance, negative_data_rejection],
    )
