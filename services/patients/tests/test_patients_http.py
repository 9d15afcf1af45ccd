"""Request bodies: content types, sizes, encodings and JSON strictness. No I/O."""

from __future__ import annotations

import base64
import json

import pytest
from patients.errors import FhirError, Invalid, NotAcceptable, TooLarge, UnsupportedMediaType
from patients.http import FORM, ApiRequest, check_accept, fhir_body, form_body, from_event


def request(body: str | None, content_type: str | None = "application/fhir+json", **kw):
    headers = {"content-type": content_type} if content_type else {}
    return ApiRequest("r-1", headers, None, {}, "http://x", body, **kw)


def test_fhir_json_and_plain_json_bodies_are_read():
    assert fhir_body(request('{"a": 1}')) == {"a": 1}
    assert fhir_body(request('{"a": 1}', "application/json; charset=UTF-8")) == {"a": 1}
    encoded = base64.b64encode(b'{"a": 1}').decode()
    assert fhir_body(request(encoded, is_base64=True)) == {"a": 1}


@pytest.mark.parametrize(
    ("body", "content_type", "error"),
    [
        ('{"a": 1}', None, UnsupportedMediaType),
        ('{"a": 1}', "text/plain", UnsupportedMediaType),
        ("<Patient/>", "application/fhir+xml", UnsupportedMediaType),
        ('{"a": 1}', "application/fhir+json; charset=latin-1", UnsupportedMediaType),
        ("x" * (64 * 1024 + 1), "application/fhir+json", TooLarge),
        ("", "application/fhir+json", Invalid),
        ("{", "application/fhir+json", Invalid),
        ('{"a": 1, "a": 2}', "application/fhir+json", Invalid),
        ('{"a": NaN}', "application/fhir+json", Invalid),
        ("[" * 100000 + "]" * 100000, "application/fhir+json", TooLarge),
    ],
)
def test_bad_bodies_are_refused_with_the_right_status(body, content_type, error):
    with pytest.raises(error):
        fhir_body(request(body, content_type))


def test_deep_nesting_and_bad_encodings_are_invalid():
    with pytest.raises(Invalid):
        fhir_body(request("[" * 30000 + "]" * 30000))
    with pytest.raises(Invalid):
        fhir_body(request("not base64!", is_base64=True))
    with pytest.raises(Invalid):
        fhir_body(request(base64.b64encode(b"\xff\xfe").decode(), is_base64=True))


def test_json_errors_do_not_echo_the_body():
    with pytest.raises(Invalid) as caught:
        fhir_body(request('{"family": "Lovelace", }'))
    assert "Lovelace" not in caught.value.diagnostics


def test_form_bodies_for_post_searches():
    """FHIR R4 http.html#search: POST [base]/[type]/_search, application/x-www-form-urlencoded."""
    body = "family=Lovelace&given=Ada%20B&family=Byron&_count=5"
    assert form_body(request(body, FORM)) == {
        "family": "Lovelace,Byron",  # a repeated name: OR, as API Gateway joins query values
        "given": "Ada B",
        "_count": "5",
    }
    encoded = base64.b64encode(b"given=Ada").decode()
    assert form_body(request(encoded, FORM, is_base64=True)) == {"given": "Ada"}
    assert form_body(request("", FORM)) == {}
    with pytest.raises(UnsupportedMediaType):
        form_body(request("family=x", "application/fhir+json"))
    with pytest.raises(Invalid):
        form_body(request("family=%FF", FORM))  # not UTF-8
    with pytest.raises(Invalid):
        form_body(request("&".join(["a=1"] * 101), FORM))
    with pytest.raises(TooLarge):
        form_body(request("family=" + "x" * 70_000, FORM))


def test_accept_must_allow_fhir_json():
    check_accept(ApiRequest("r", {"accept": "application/fhir+json"}, None, {}, ""))
    check_accept(ApiRequest("r", {"accept": "text/html, */*;q=0.8"}, None, {}, ""))
    with pytest.raises(NotAcceptable):
        check_accept(ApiRequest("r", {"accept": "application/fhir+xml"}, None, {}, ""))


def test_requests_from_http_api_events():
    event = {
        "headers": {"Host": "127.0.0.1:3001", "Content-Type": "application/fhir+json"},
        "requestContext": {"requestId": "abc", "stage": "$default"},
        "pathParameters": {"id": "p-1"},
        "queryStringParameters": {"family": "x"},
        "body": "{}",
    }
    req = from_event(event)
    assert (req.request_id, req.path_id, req.base_url) == ("abc", "p-1", "http://127.0.0.1:3001")
    assert req.header("Content-Type") == "application/fhir+json"
    assert (
        from_event({"headers": {"host": "api.example.org"}}).base_url == "https://api.example.org"
    )


def test_operation_outcomes_carry_status_code_and_expression():
    from patients.errors import Issue, operation_outcome

    error = Invalid("bad", issues=(Issue("value", "bad date", ("Patient.birthDate",)),))
    assert isinstance(error, FhirError)
    assert error.status == 400
    assert operation_outcome(error) == {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "error",
                "code": "value",
                "diagnostics": "bad date",
                "expression": ["Patient.birthDate"],
            }
        ],
    }
    assert json.dumps(operation_outcome(TooLarge("big")))
