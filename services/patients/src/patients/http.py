"""HTTP API (payload 2.0) requests in, FHIR responses out. Pure.

Requests with a body must say ``Content-Type: application/fhir+json`` (or
``application/json``), in UTF-8, at most MAX_BODY_BYTES, holding one JSON value with
no duplicate keys and no NaN/Infinity; anything else is refused before it is read.
Responses are ``application/fhir+json`` and never cached (they hold PHI).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from patients.errors import (
    FhirError,
    Invalid,
    NotAcceptable,
    TooLarge,
    UnsupportedMediaType,
    operation_outcome,
)

MAX_BODY_BYTES = 64 * 1024
FHIR_JSON = "application/fhir+json"
ACCEPTED_TYPES = (FHIR_JSON, "application/json")
FORM = "application/x-www-form-urlencoded"
_ACCEPTABLE = (FHIR_JSON, "application/json", "application/*", "*/*")
BASE_HEADERS = {
    "Content-Type": f"{FHIR_JSON}; charset=utf-8",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}


@dataclass(frozen=True)
class ApiRequest:
    request_id: str
    headers: Mapping[str, str]  # lowercase names
    path_id: str | None
    query: Mapping[str, str]
    base_url: str
    body: str | None = None
    is_base64: bool = False
    path_version: str | None = None  # vread's {vid}
    method: str = "GET"
    event: Mapping[str, Any] = field(default_factory=dict, repr=False)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass(frozen=True)
class Reply:
    status: int
    body: Mapping[str, Any] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    def to_api_gateway(self) -> dict[str, Any]:
        response: dict[str, Any] = {
            "statusCode": self.status,
            "headers": {**BASE_HEADERS, **self.headers},
        }
        if self.body is not None:
            response["body"] = json.dumps(self.body, separators=(",", ":"), ensure_ascii=False)
        return response


def error_reply(error: FhirError) -> Reply:
    return Reply(error.status, operation_outcome(error))


def from_event(event: Mapping[str, Any]) -> ApiRequest:
    context = event.get("requestContext") or {}
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    # The gateway's domain name, not the client's Host header (links must not be steered).
    host = str(context.get("domainName") or headers.get("host") or "localhost")
    local = urlsplit(f"//{host}").hostname in ("127.0.0.1", "localhost", "::1")
    proto = headers.get("x-forwarded-proto") or ("http" if local else "https")
    stage = context.get("stage")
    prefix = f"/{stage}" if stage and stage != "$default" else ""
    return ApiRequest(
        request_id=str(context.get("requestId") or "unknown"),
        headers=headers,
        path_id=(event.get("pathParameters") or {}).get("id"),
        path_version=(event.get("pathParameters") or {}).get("vid"),
        method=str((context.get("http") or {}).get("method") or "GET").upper(),
        query=dict(event.get("queryStringParameters") or {}),
        base_url=f"{proto}://{host}{prefix}",
        body=event.get("body"),
        is_base64=bool(event.get("isBase64Encoded")),
        event=event,
    )


def check_accept(request: ApiRequest) -> None:
    accept = request.header("accept")
    if not accept:
        return
    types = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    if not any(t in _ACCEPTABLE for t in types):
        raise NotAcceptable(f"this server answers {FHIR_JSON}; the Accept header allows none")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError("a key appears twice in one object")
        result[key] = value
    return result


def _body_bytes(request: ApiRequest, accepted: tuple[str, ...], max_bytes: int) -> bytes:
    """The request's body, after the content type, size and encoding checks."""
    content_type = request.header("content-type")
    wanted = " or ".join(accepted)
    if not content_type:
        raise UnsupportedMediaType(f"Content-Type is required: {wanted}")
    media, *params = [p.strip().lower() for p in content_type.split(";")]
    if media not in accepted:
        raise UnsupportedMediaType(f"Content-Type must be {wanted}")
    for param in params:
        name, _, value = param.partition("=")
        if name.strip() == "charset" and value.strip().strip('"') not in ("utf-8", "utf8"):
            raise UnsupportedMediaType("the body must be UTF-8")
    raw = request.body or ""
    if len(raw) > max_bytes * 2:  # cheap early refusal before decoding anything
        raise TooLarge(f"the body is larger than {max_bytes} bytes")
    try:
        data = base64.b64decode(raw, validate=True) if request.is_base64 else raw.encode()
    except (binascii.Error, ValueError):
        raise Invalid("the body is not valid base64") from None
    if len(data) > max_bytes:
        raise TooLarge(f"the body is larger than {max_bytes} bytes")
    return data


def fhir_body(request: ApiRequest, max_bytes: int = MAX_BODY_BYTES) -> Any:
    """The request's JSON body (application/fhir+json or application/json)."""
    data = _body_bytes(request, ACCEPTED_TYPES, max_bytes)
    if not data.strip():
        raise Invalid("the body is empty: send a FHIR Patient resource")
    try:
        return json.loads(
            data.decode("utf-8"),
            object_pairs_hook=_no_duplicates,
            parse_constant=_reject_constant,
        )
    except UnicodeDecodeError:
        raise Invalid("the body is not UTF-8") from None
    except RecursionError:
        raise Invalid("the body nests too deeply") from None
    except ValueError as exc:
        reason = str(exc).split(":")[0] if isinstance(exc, json.JSONDecodeError) else str(exc)
        raise Invalid(f"the body is not valid JSON: {reason}") from None


def form_body(request: ApiRequest, max_bytes: int = MAX_BODY_BYTES) -> dict[str, str]:
    """A form body's parameters (application/x-www-form-urlencoded, FHIR's POST search);
    a name given twice has its values joined with commas, as API Gateway joins a
    repeated query parameter's."""
    data = _body_bytes(request, (FORM,), max_bytes)
    try:
        pairs = parse_qsl(
            data.decode("utf-8"), keep_blank_values=True, errors="strict", max_num_fields=100
        )
    except UnicodeDecodeError:
        raise Invalid("the body is not UTF-8") from None
    except ValueError:
        raise Invalid("the body has too many parameters") from None
    return join_values(pairs)


def join_values(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    joined: dict[str, str] = {}
    for name, value in pairs:
        joined[name] = f"{joined[name]},{value}" if name in joined else value
    return joined
