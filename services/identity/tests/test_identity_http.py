import base64
import json

import pytest
from identity.domain import InvalidClient, InvalidRequest, TooManyAttempts
from identity.http import form_body, json_body, refuse, source_ip


def _event(body: str, content_type: str | None, b64: bool = False) -> dict:
    headers = {"content-type": content_type} if content_type else {}
    raw = base64.b64encode(body.encode()).decode() if b64 else body
    return {"headers": headers, "body": raw, "isBase64Encoded": b64}


def test_token_requests_are_forms_or_json():
    form = "grant_type=client_credentials&scope=locations%3Aread"
    expected = {"grant_type": "client_credentials", "scope": "locations:read"}
    assert form_body(_event(form, "application/x-www-form-urlencoded")) == expected
    assert form_body(_event(form, "application/x-www-form-urlencoded", b64=True)) == expected
    assert form_body(_event(json.dumps(expected), "application/json; charset=utf-8")) == expected
    with pytest.raises(InvalidRequest, match="repeat"):
        form_body(_event("scope=a&scope=b", "application/x-www-form-urlencoded"))
    with pytest.raises(InvalidRequest, match="Content-Type"):
        form_body(_event(form, "text/plain"))
    with pytest.raises(InvalidRequest, match="object of strings"):
        form_body(_event('{"grant_type": 1}', "application/json"))


def test_json_bodies():
    assert json_body(_event('{"a": 1}', None)) == {"a": 1}
    assert json_body(_event("", None)) is None
    with pytest.raises(InvalidRequest, match="not valid JSON"):
        json_body(_event("{nope", "application/json"))


def test_refusals_say_why_and_when_to_come_back():
    limited = refuse(TooManyAttempts("slow down", retry_after=42))
    assert limited["statusCode"] == 429
    assert limited["headers"]["Retry-After"] == "42"
    assert limited["headers"]["Cache-Control"] == "no-store"
    assert json.loads(limited["body"]) == {"error": "too_many_attempts", "message": "slow down"}
    unknown = refuse(InvalidClient("client authentication failed"))
    assert unknown["statusCode"] == 401
    assert unknown["headers"]["WWW-Authenticate"].startswith("Basic")


def test_source_ip():
    assert source_ip({"requestContext": {"http": {"sourceIp": "10.1.2.3"}}}) == "10.1.2.3"
    assert source_ip({}) == "unknown"
