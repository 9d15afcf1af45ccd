"""Function URLs without sockets: the 2.0 event, CORS, the SigV4 check."""

from __future__ import annotations

import time

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from serverlite.function_urls import auth, cors
from serverlite.function_urls.events import build_event
from serverlite.function_urls.model import UrlConfig, cors_spec
from serverlite.gateway.http import HttpRequest
from serverlite.iam import credentials

URL = UrlConfig("a" * 32, "Fn", "arn:aws:lambda:us-east-1:123456789012:function:Fn", None, "NONE")
HOST = "127.0.0.1:9000"


def test_event_of_an_anonymous_binary_request():
    request = HttpRequest(
        "PUT",
        "/a%20b",
        "x=1",
        [("Content-Type", "application/octet-stream"), ("X-A", "1"), ("x-a", "2")],
        b"\xff\x00",
    )
    event = build_event(request, URL, "rid", 1_700_000_000.5, "123456789012")
    assert event["rawPath"] == "/a b"
    assert event["headers"]["x-a"] == "1,2"
    assert event["isBase64Encoded"] is True and event["body"] == "/wA="
    context = event["requestContext"]
    assert context["accountId"] == "anonymous"
    assert "authorizer" not in context
    assert context["time"] == "14/Nov/2023:22:13:20 +0000"
    assert context["timeEpoch"] == 1_700_000_000_500


def test_cors_replaces_the_functions_headers_for_allowed_origins():
    spec = cors_spec({"AllowOrigins": ["*"], "AllowCredentials": True, "ExposeHeaders": ["X-A"]})
    request = HttpRequest("GET", "/", headers=[("Origin", "https://a.example")])
    out = cors.response_headers(spec, request, [("Access-Control-Allow-Origin", "nope")])
    assert out == [
        ("Access-Control-Allow-Origin", "https://a.example"),  # "*" cannot carry credentials
        ("Access-Control-Expose-Headers", "x-a"),
        ("Access-Control-Allow-Credentials", "true"),
    ]
    assert cors.preflight(spec, HttpRequest("OPTIONS", "/")) is None  # not a preflight
    assert cors.response_headers(None, request, []) == []


def _signed(key: str, secret: str, body: bytes = b"x") -> HttpRequest:
    aws = AWSRequest("POST", f"http://{HOST}/p?q=1", data=body)
    SigV4Auth(Credentials(key, secret), "lambda", "us-east-1").add_auth(aws)
    return HttpRequest("POST", "/p", "q=1", list(aws.headers.items()), body)


def test_sigv4_check_verifies_a_functions_credentials_signature():
    known = auth.known_keys(["arn:aws:lambda:us-east-1:123456789012:function:caller"])
    (keys,) = known.values()
    key, secret = keys.access_key_id, keys.secret_access_key
    assert keys == credentials.for_function("arn:aws:lambda:us-east-1:123456789012:function:caller")
    now = time.time()
    good = _signed(key, secret)
    assert auth.check(good, "us-east-1", HOST, now, known) == auth.Caller(key)
    assert auth.check(good, "eu-west-1", HOST, now, known) is None  # signed for another region
    forged = _signed(key, "guessed")
    assert auth.check(forged, "us-east-1", HOST, now, known) is None
    assert auth.check(_signed("AKIDOTHER", "any"), "us-east-1", HOST, now, known) is not None
    assert auth.check(good, "us-east-1", HOST, now + 16 * 60, known) is None  # too old
    assert auth.check(HttpRequest("POST", "/"), "us-east-1", HOST, now, known) is None
