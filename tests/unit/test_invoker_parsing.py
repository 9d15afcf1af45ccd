import base64
import json

import pytest

from serverlite.errors import InvalidRequestContent
from serverlite.invoker.invoker import _check_json, _decode_client_context, _split_function_ref


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("my-fn", ("my-fn", None)),
        ("my-fn:$LATEST", ("my-fn", "$LATEST")),
        ("123456789012:function:my-fn", ("my-fn", None)),
        ("123456789012:function:my-fn:prod", ("my-fn", "prod")),
        ("arn:aws:lambda:us-east-1:123456789012:function:my-fn", ("my-fn", None)),
        ("arn:aws:lambda:us-east-1:123456789012:function:my-fn:7", ("my-fn", "7")),
    ],
)
def test_function_references_as_the_invoke_api_accepts_them(ref, expected):
    assert _split_function_ref(ref) == expected


def test_invalid_json_payload_is_refused_in_aws_words():
    with pytest.raises(InvalidRequestContent, match="^Could not parse request body into json"):
        _check_json(b"{not json")
    _check_json(b"")
    _check_json(b'"a string is JSON"')


def test_client_context_is_base64_json_object():
    encoded = base64.b64encode(json.dumps({"custom": {"a": 1}}).encode()).decode()
    assert _decode_client_context(encoded) == {"custom": {"a": 1}}
    assert _decode_client_context(None) is None
    with pytest.raises(InvalidRequestContent):
        _decode_client_context("%%%")
    with pytest.raises(InvalidRequestContent):
        _decode_client_context(base64.b64encode(b"[1]").decode())
