import base64
import json

import pytest

from serverlite.gateway.responses import MalformedResponse, from_v1, from_v2


def dumps(value) -> bytes:
    return json.dumps(value).encode()


def test_v1_merges_headers_multi_values_first():
    # AWS: multiValueHeaders {"tesT-Multi": ["value-multi"]} with headers
    # {"test-multi": "value-solo"} -> "tesT-Multi: value-multi, value-solo" (observed on a
    # REST API: LocalStack's AWS-validated snapshot of
    # test_aws_proxy_response_payload_format_validation, "multi-headers-overwrite-casing").
    response = from_v1(
        dumps(
            {
                "statusCode": 201,
                "headers": {"A": "1", "B": "x"},
                "multiValueHeaders": {"B": ["2", "3"]},
                "body": "ok",
            }
        )
    )
    assert response.status == 201
    assert response.headers == [("B", "2"), ("B", "3"), ("A", "1"), ("B", "x")]
    assert response.body == b"ok"
    casing = from_v1(
        dumps(
            {
                "statusCode": 200,
                "multiValueHeaders": {"tesT-Multi": ["value-multi"]},
                "headers": {"test-multi": "value-solo"},
            }
        )
    )
    assert casing.headers == [("tesT-Multi", "value-multi"), ("tesT-Multi", "value-solo")]


def test_rest_responses_default_to_200_and_application_json():
    # AWS: {"headers": {"test-header": "value"}} -> 200; {"statusCode": 200} and
    # {"statusCode": 200, "headers": null} -> Content-Type: application/json with an
    # empty body (same recording: "only-headers", "no-body", "with-headers-null").
    only_headers = from_v1(dumps({"headers": {"test-header": "value"}}), rest=True)
    assert only_headers.status == 200
    assert only_headers.headers == [("test-header", "value"), ("Content-Type", "application/json")]
    bare = from_v1(dumps({"statusCode": 200, "headers": None}), rest=True)
    assert bare.headers == [("Content-Type", "application/json")] and bare.body == b""
    typed = from_v1(
        dumps({"statusCode": 201, "headers": {"content-type": "text/plain"}}), rest=True
    )
    assert typed.headers == [("content-type", "text/plain")]
    # AWS (same recording): {"statusCode": "201"} is a 201, {"statusCode": "test"} a 502.
    assert from_v1(dumps({"statusCode": "201"}), rest=True).status == 201
    with pytest.raises(MalformedResponse):
        from_v1(dumps({"statusCode": "test"}), rest=True)
    with pytest.raises(MalformedResponse):  # HTTP APIs on 1.0: still required here (unobserved)
        from_v1(dumps({"headers": {"a": "b"}}))


def test_v1_base64_body():
    raw = bytes(range(10))
    response = from_v1(
        dumps({"statusCode": 200, "isBase64Encoded": True, "body": base64.b64encode(raw).decode()})
    )
    assert response.body == raw


@pytest.mark.parametrize(
    "bad",
    [
        {"body": "no status"},
        {"statusCode": "abc"},
        {"statusCode": 200, "body": {"not": "a string"}},
        {"statusCode": 200, "unexpected": 1},
        {"statusCode": 200, "headers": {"A": ["list"]}},
        {"statusCode": 200, "isBase64Encoded": True, "body": "%%%"},
        ["not", "an", "object"],
    ],
)
def test_v1_malformed(bad):
    with pytest.raises(MalformedResponse):
        from_v1(dumps(bad))


def test_v2_bare_value_is_a_json_200():
    response = from_v2(dumps({"hello": "world"}))
    assert response.status == 200
    assert response.headers == [("Content-Type", "application/json")]
    assert json.loads(response.body) == {"hello": "world"}
    assert from_v2(dumps("text")).body == b'"text"'


def test_v2_cookies_become_set_cookie_headers():
    response = from_v2(dumps({"statusCode": 200, "cookies": ["a=1", "b=2"], "body": "x"}))
    assert [v for k, v in response.headers if k == "Set-Cookie"] == ["a=1", "b=2"]


def test_numbers_in_headers_become_the_text_json_wrote():
    big = 123456789012345678901234567890
    payload = (
        b'{"statusCode": 200, "headers": {"X-Big": %d, "X-Float": 1.5, "X-Int": 7}, "body": ""}'
        % big
    )
    response = from_v1(payload)
    assert ("X-Big", str(big)) in response.headers
    assert ("X-Float", "1.5") in response.headers
    assert ("X-Int", "7") in response.headers


def test_what_the_stdlib_reads_is_read_nan_included():
    response = from_v2(b'{"statusCode": 200, "headers": {"X-N": NaN}, "body": "\\ud800"}')
    assert response.status == 200
    assert ("X-N", "nan") in response.headers
    assert response.body == b"?"


def test_big_numbers_in_multi_value_headers_and_cookies_read_as_the_stdlib_does():
    big = 2**70  # orjson would read it as a float
    v1 = from_v1(b'{"statusCode": 200, "multiValueHeaders": {"X-Big": [%d, 1]}}' % big)
    assert v1.headers == [("X-Big", str(big)), ("X-Big", "1")]
    v2 = from_v2(b'{"statusCode": 200, "cookies": [%d, "a=1"], "body": "x"}' % big)
    assert [v for k, v in v2.headers if k == "Set-Cookie"] == [str(big), "a=1"]
