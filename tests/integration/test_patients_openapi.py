"""schemathesis against the patients API as `serverlite up` serves it: the OpenAPI
document the API itself serves (GET /openapi.json, generated from its code), then
requests generated from that document over real HTTP through the gateway's JWT
authorizer to the functions and PostgreSQL; every answer must be no 5xx and exactly
as documented (status, media type, body schema, headers), and data the document
calls invalid must be refused.

Bounded and deterministic for CI: few examples per operation, derandomized, and only
127.0.0.1 is ever called (the document's server is the API the request came through).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, assume, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.config import SchemathesisConfig

from tests.integration.patients_service import ADMIN_A, DOC_A, Issuer, jwt_issuer, patients_up

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    negative_data_rejection,
]
SETTINGS = settings(
    max_examples=50,
    derandomize=True,  # the same examples on every run
    deadline=None,  # a cold start is a legitimate slow example
    database=None,  # no .hypothesis/ replaying another run's failures
    suppress_health_check=list(HealthCheck),  # bodies are big and the filters strict
)


@dataclass
class Api:
    url: str
    issuer: Issuer

    def headers(self, path: str) -> dict[str, str]:
        """A clinician's token with patients:read and patients:write; an admin's for
        the audit trail (the only route that needs patients:audit)."""
        who = ADMIN_A if path.endswith("/audit") else DOC_A
        return self.issuer.bearer(**who)


@pytest.fixture(scope="module")
def api() -> Iterator[Api]:
    with jwt_issuer() as issuer, patients_up(issuer) as (_, url):
        yield Api(url, issuer)


@pytest.fixture(scope="module")
def api_schema(api: Api) -> Any:
    # Data the document forbids must be refused: with any 4xx the document lists (the
    # default list lacks 410, 412 and 413, e.g. a body over 64 KiB is rightly 413).
    config = SchemathesisConfig.from_dict(
        {"checks": {"negative_data_rejection": {"expected-statuses": ["4xx"]}}}
    )
    schema = schemathesis.openapi.from_url(f"{api.url}/openapi.json", config=config)
    assert schema.config.base_url is None  # the document's own server entry is used
    return schema


# The routes of services/patients/template.yaml (the unit tests check that the document
# has exactly these); parametrized by hand, because schemathesis.pytest.from_fixture
# (a schema loaded from a fixture) fails on pytest 9.2 (it sets Node._nodeid).
WITH_INPUT = [
    "GET /patients",
    "POST /patients/_search",
    "POST /patients",
    "GET /patients/{id}",
    "GET /patients/{id}/_history/{vid}",
    "PUT /patients/{id}",
    "DELETE /patients/{id}",
    "GET /patients/{id}/audit",
]
OPERATIONS = [*WITH_INPUT, "GET /openapi.json", "GET /metadata"]  # no input to get wrong


def test_the_document_is_served_without_a_token(api: Api, api_schema: Any) -> None:
    response = httpx.get(f"{api.url}/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.oai.openapi+json")
    document = response.json()
    assert document["openapi"].startswith("3.1")
    assert document["servers"] == [{"url": api.url}]
    labels = {
        f"{method.upper()} {path}" for path, item in document["paths"].items() for method in item
    }
    assert labels == set(OPERATIONS)


@pytest.mark.parametrize(
    ("label", "mode"),
    [(label, GenerationMode.POSITIVE) for label in OPERATIONS]
    + [(label, GenerationMode.NEGATIVE) for label in WITH_INPUT],
    ids=str,
)
def test_every_operation_answers_as_documented(
    api: Api, api_schema: Any, label: str, mode: GenerationMode
) -> None:
    """Positive: data the document allows; negative: data it forbids (to be refused)."""
    method, path = label.split(" ")
    operation = api_schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @SETTINGS
    def answers_as_documented(case: Any) -> None:
        assume(_reaches_the_server(case))
        assert urlsplit(case.operation.base_url).hostname == "127.0.0.1"
        case.call_and_validate(headers=api.headers(path), checks=CHECKS)

    answers_as_documented()


# Headers that frame the HTTP message itself: a generated value (``Transfer-Encoding:
# ]d>qAh``) makes a request no HTTP server can read, refused with a plain 400 before any
# API sees it (on AWS, by the front end before API Gateway), so not the API's answer.
_FRAMING = frozenset(
    ("transfer-encoding", "content-length", "connection", "te", "upgrade", "expect")
)
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # RFC 9110's field-name


def _reaches_the_server(case: Any) -> bool:
    """Whether the request reaches the API as generated.

    - A header whose name is no RFC 9110 token, or one that frames the message, makes
      an unreadable request, refused by the HTTP server (see ``_FRAMING``).
    - requests drops a form field whose value is None or empty when it encodes a form,
      so a negative POST search body made of such fields (an extra parameter: null)
      reaches the server as another request, a valid one, which is rightly answered 200.
    """
    for name in case.headers or {}:
        if name.lower() in _FRAMING or _TOKEN.fullmatch(name) is None:
            return False
    if case.media_type != "application/x-www-form-urlencoded" or not isinstance(case.body, dict):
        return True
    return all(value is not None and value not in ([], {}) for value in case.body.values())


def test_chains_of_calls_answer_as_documented(api: Api, api_schema: Any) -> None:
    """Stateful: create a patient, then read, update, delete it and read its audit
    trail through the document's links (ids and ETags from earlier answers)."""

    class Machine(api_schema.as_state_machine()):
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": api.headers(case.path)}

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            case.validate_response(response, checks=CHECKS)

    Machine.run(
        settings=settings(SETTINGS, max_examples=30, stateful_step_count=8),
    )
