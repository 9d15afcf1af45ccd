"""The AWS endpoint serves only what an SDK sends (a web page in the user's browser can
reach loopback too): a foreign Host, a browser's Origin or a missing SigV4 signature is
refused in AWS's error shape before any service runs."""

from __future__ import annotations

import http.client
import json
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import Server, aws_client, sigv4

pytestmark = pytest.mark.integration


def send(
    server: Server, method: str, path: str, body: bytes = b"", **headers: str
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request(
            method, path, body=body, headers={k.replace("_", "-"): v for k, v in headers.items()}
        )
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def test_a_plain_get_no_longer_runs_query_actions(app_server: Server) -> None:
    status, headers, body = send(app_server, "GET", "/?Action=CreateQueue&QueueName=from-a-page")
    assert status == 403
    assert headers["content-type"].startswith("text/xml")
    assert b"<Code>MissingAuthenticationToken</Code>" in body
    assert b"<Type>Sender</Type>" in body
    queues = aws_client(app_server, "sqs").list_queues().get("QueueUrls", [])
    assert not [url for url in queues if url.endswith("/from-a-page")]


def test_a_cross_origin_text_plain_post_does_not_invoke(app_server: Server, tmp_path: Path) -> None:
    event = json.dumps({"id": "from-a-page"}).encode()
    path = "/2015-03-31/functions/Marker/invocations"
    status, headers, body = send(
        app_server, "POST", path, event, Content_Type="text/plain", Origin="http://evil.example"
    )
    assert status == 403
    assert headers["x-amzn-errortype"] == "AccessDeniedException"
    assert "Origin" in json.loads(body)["message"]
    status, headers, body = send(app_server, "POST", path, event, Content_Type="text/plain")
    assert status == 403  # no Origin (a non-browser client), but unsigned
    assert headers["x-amzn-errortype"] == "MissingAuthenticationTokenException"
    assert json.loads(body)["message"] == "Request is missing Authentication Token"


def test_json_protocol_refusals_are_coral_errors(app_server: Server) -> None:
    target = {
        "X_Amz_Target": "AmazonSSM.DescribeParameters",
        "Content_Type": "application/x-amz-json-1.1",
    }
    status, headers, body = send(app_server, "POST", "/", b"{}", **target)
    assert status == 403
    assert headers["content-type"] == "application/x-amz-json-1.1"
    assert json.loads(body) == {
        "__type": "com.amazon.coral.service#MissingAuthenticationTokenException",
        "message": "Request is missing Authentication Token",
    }
    status, _, body = send(app_server, "POST", "/", b"{}", Authorization="Bearer abc", **target)
    assert status == 403
    error: dict[str, Any] = json.loads(body)
    assert error["__type"] == "com.amazon.coral.service#IncompleteSignatureException"
    assert error["message"].endswith("Authorization=Bearer abc")
    status, _, body = send(app_server, "POST", "/", b"{}", Authorization=sigv4("ssm"), **target)
    assert (status, json.loads(body)) == (200, {"Parameters": []})


def test_only_loopback_or_allowed_host_names(app_server: Server) -> None:
    signed = {"Authorization": sigv4("lambda")}
    status, headers, _ = send(
        app_server, "GET", "/2015-03-31/functions/", Host="attacker.example", **signed
    )
    assert status == 403  # a DNS-rebinding page's requests carry its own host name
    assert headers["x-amzn-errortype"] == "AccessDeniedException"
    for host in (f"localhost:{app_server.port}", f"127.0.0.1:{app_server.port}", "[::1]"):
        status, _, _ = send(app_server, "GET", "/2015-03-31/functions/", Host=host, **signed)
        assert status == 200, host


def test_presigned_queries_and_health_need_no_header(app_server: Server) -> None:
    presigned = (
        "/2015-03-31/functions/?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        "&X-Amz-Credential=test%2F20260101%2Fus-east-1%2Flambda%2Faws4_request"
        "&X-Amz-Date=20260101T000000Z&X-Amz-SignedHeaders=host&X-Amz-Signature=0"
    )
    assert send(app_server, "GET", presigned)[0] == 200
    assert send(app_server, "GET", "/_serverlite/health")[0] == 200
    assert send(app_server, "GET", "/_serverlite/health", Origin="http://evil.example")[0] == 403
