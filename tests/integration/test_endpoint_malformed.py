"""Every service on the endpoint answers the same malformed requests in its own AWS
error shape, and the connection stays usable: one keep-alive connection carries every
bad request and, after each, a good one. (Raw http.client: boto3 validates too much to
send these.)"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.integration.conftest import Server, sigv4

pytestmark = pytest.mark.integration

MiB = 1024 * 1024
CORAL = "com.amazon.coral.service#"
DEEP = b"[" * 100_000 + b"]" * 100_000
BODIES = {
    "bad JSON": b'{"TableName": ',
    "array body": b"[1, 2]",
    "invalid UTF-8": b'{"Name": "\xff\xfe"}',
    "lone surrogate": b'{"Name": "\\ud800"}',
    "deep nesting": DEEP,
}


@dataclass(frozen=True)
class Json:
    """A JSON 1.0/1.1 service: (target prefix, version, a good operation, its limit)."""

    signing: str
    prefix: str
    version: str
    good: str
    limit: int


JSON_SERVICES = [
    Json("dynamodb", "DynamoDB_20120810", "1.0", "ListTables", 16 * MiB),
    Json("sqs", "AmazonSQS", "1.0", "ListQueues", 4 * MiB),
    Json("ssm", "AmazonSSM", "1.1", "DescribeParameters", 128 * 1024),
    Json("secretsmanager", "secretsmanager", "1.1", "ListSecrets", MiB),
    Json("events", "AWSEvents", "1.1", "ListEventBuses", 4 * MiB),
]
QUERY_SERVICES = [("sns", "ListTopics", MiB), ("sqs", "ListQueues", 4 * MiB)]


class Connection:
    """One keep-alive connection; fails if the server ever closes it."""

    def __init__(self, server: Server) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        self.conn.connect()
        self.sock = self.conn.sock

    def send(
        self, method: str, path: str, body: Any, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        self.conn.request(
            method,
            path,
            body=body,
            headers=headers,
        )
        response = self.conn.getresponse()
        data = response.read()
        found = {k.lower(): v for k, v in response.getheaders()}
        assert found.get("connection", "").lower() != "close", (path, found)
        assert self.conn.sock is self.sock, "the server closed the connection"
        return response.status, found, data


@pytest.fixture
def connection(app_server: Server) -> Iterator[Connection]:
    conn = Connection(app_server)
    yield conn
    conn.conn.close()


def _json_headers(service: Json, operation: str) -> dict[str, str]:
    return {
        "X-Amz-Target": f"{service.prefix}.{operation}",
        "Content-Type": f"application/x-amz-json-{service.version}",
        "Authorization": sigv4(service.signing),
    }


def _json_error(status: int, headers: dict[str, str], body: bytes, service: Json) -> str:
    assert headers["content-type"] == f"application/x-amz-json-{service.version}"
    assert headers["x-amzn-requestid"]
    error = json.loads(body)
    assert set(error) >= {"__type", "message"}, error
    return str(error["__type"])


@pytest.mark.parametrize("service", JSON_SERVICES, ids=lambda s: s.prefix)
def test_json_services(connection: Connection, service: Json) -> None:
    def good() -> None:
        status, _, body = connection.send("POST", "/", b"{}", _json_headers(service, service.good))
        assert status == 200, body

    for case, bad in BODIES.items():
        status, headers, body = connection.send(
            "POST", "/", bad, _json_headers(service, service.good)
        )
        # SSM's limit is under the 200 KB of 100,000-deep nesting: refused at the door
        code = "RequestEntityTooLarge" if len(bad) > service.limit else "Serialization"
        assert status == (413 if len(bad) > service.limit else 400), (case, body)
        assert _json_error(status, headers, body, service) == f"{CORAL}{code}Exception", case
        good()
    status, headers, body = connection.send(
        "POST", "/", b"{}", _json_headers(service, "NoSuchOperation")
    )
    assert status == 400
    assert (
        _json_error(status, headers, body, service)
        == "com.amazon.coral.service#UnknownOperationException"
    )
    good()
    status, headers, body = connection.send(
        "POST", "/", b" " * (service.limit + 1), _json_headers(service, service.good)
    )
    assert status == 413
    assert (
        _json_error(status, headers, body, service)
        == "com.amazon.coral.service#RequestEntityTooLargeException"
    )
    assert f"smaller than {service.limit} bytes" in json.loads(body)["message"]
    good()


@pytest.mark.parametrize(("signing", "good_action", "limit"), QUERY_SERVICES)
def test_query_services(connection: Connection, signing: str, good_action: str, limit: int) -> None:
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Authorization": sigv4(signing)}

    def good() -> None:
        status, _, body = connection.send("POST", "/", f"Action={good_action}".encode(), headers)
        assert status == 200, body
        assert body.startswith(f"<{good_action}Response".encode())

    cases = {
        **BODIES,
        "unknown operation": b"Action=NoSuchOperation",
        "over the limit": b"Action=" + b"x" * limit,
    }
    for case, bad in cases.items():
        status, found, body = connection.send("POST", "/", bad, headers)
        assert status == (413 if case == "over the limit" else 400), (case, body)
        assert found["content-type"].startswith("text/xml")
        assert body.startswith(b"<ErrorResponse") and b"<Type>Sender</Type>" in body, (case, body)
        good()


def test_rest_json_services(connection: Connection) -> None:
    lambda_headers = {"Authorization": sigv4("lambda"), "Content-Type": "application/json"}
    scheduler_headers = {"Authorization": sigv4("scheduler"), "Content-Type": "application/json"}

    def good() -> None:
        assert connection.send("GET", "/2015-03-31/functions/", None, lambda_headers)[0] == 200
        assert connection.send("GET", "/schedules", None, scheduler_headers)[0] == 200

    invoke = "/2015-03-31/functions/Behaviours/invocations"
    for case in ("bad JSON", "invalid UTF-8", "deep nesting"):  # Lambda takes any JSON value
        status, found, body = connection.send("POST", invoke, BODIES[case], lambda_headers)
        assert status == 400, (case, body)
        assert found["x-amzn-errortype"] == "InvalidRequestContentException"
        good()
    for case, bad in BODIES.items():
        status, found, body = connection.send("POST", "/schedules/s", bad, scheduler_headers)
        assert status == 400, (case, body)
        assert found["x-amzn-errortype"] == "SerializationException"
        assert "Message" in json.loads(body)
        good()
    for path, headers in (
        ("/2015-03-31/nothing", lambda_headers),
        ("/schedule-groups", scheduler_headers),
    ):
        status, found, _ = connection.send("GET", path, None, headers)
        assert (status, found["x-amzn-errortype"]) == (404, "UnknownOperationException")
        good()
    status, found, body = connection.send("POST", invoke, b"x" * (6 * MiB + 1), lambda_headers)
    assert (status, found["x-amzn-errortype"]) == (413, "RequestTooLargeException")
    assert (
        json.loads(body)["message"]
        == "Request must be smaller than 6291456 bytes for the InvokeFunction operation"
    )
    good()
    status, found, _ = connection.send("POST", "/schedules/s", b" " * (MiB + 1), scheduler_headers)
    assert (status, found["x-amzn-errortype"]) == (413, "RequestEntityTooLargeException")
    good()
