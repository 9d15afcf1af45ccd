"""What a service gives the endpoint's dispatchers, and the error every service raises.

A service's operations are a table, ``op(context, request) -> response`` (or an
awaitable of it), wrapped in ``Operations`` with the names its errors take. A JSON
1.0/1.1 service (``X-Amz-Target: Prefix.Operation``) gives a ``JsonService``; a
rest-json one (method + path) a ``RestJsonService``; a query one a ``QueryService``
(``query_protocol``). The dispatchers (``serverlite.aws.dispatch``) do the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from serverlite.errors import ServerliteError

MiB = 1024 * 1024


class AwsError(ServerliteError):
    """An error answered in AWS's shape: code (the exception name), message, HTTP status."""

    def __init__(self, code: str, message: str, status: int = 400, **fields: Any) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.fields = fields
        self.headers: dict[str, str] = {}  # extra response headers (SQS: x-amzn-query-error)
        self.query_code: str | None = None  # the code on the query protocol, when it differs
        self.message_key: str | None = None  # rest-json: "message" or "Message", per error


Operation = Callable[[Any, dict[str, Any]], Any]  # -> dict, or an awaitable of one


@dataclass(frozen=True)
class Operations:
    """A service's operations and how its errors are named."""

    service: str  # "DynamoDB", "SQS", ...: for messages and logs
    context: Any  # passed to every operation
    table: Mapping[str, Operation]
    malformed: str = "SerializationException"  # a request of the wrong shape
    internal: str = "InternalFailure"  # the service's own modelled 500 error
    too_large: str = "RequestEntityTooLarge"  # a body over the limit (413)


@dataclass(frozen=True)
class JsonService:
    target_prefix: str  # the part of X-Amz-Target before the dot
    json_version: str  # "1.0" or "1.1": the response content type
    operations: Operations
    error_namespace: str = ""  # e.g. "com.amazonaws.dynamodb.v20120810#"
    max_request_bytes: int = MiB  # larger bodies are refused while read (413)


@dataclass(frozen=True)
class RestRoute:
    method: str
    path: str  # a Starlette path: "/2015-03-31/functions/{name}/invocations"
    operation: str  # its name in the table
    json: bool = False  # the body is a JSON document: the dispatcher parses it (or refuses)


@dataclass(frozen=True)
class RestResponse:
    """What a rest-json operation answers when it is not a JSON document with 200."""

    body: bytes = b""
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    media_type: str | None = "application/json"


@dataclass(frozen=True)
class RestJsonService:
    """Operations take ``{"path": {...}, "query": {...}, "headers": {...}, "body": ...}``
    (the body as bytes, or as a dict for a ``json`` route) and answer a JSON document
    (200) or a ``RestResponse``."""

    routes: tuple[RestRoute, ...]
    operations: Operations
    max_request_bytes: int = MiB
    message_key: str = "message"  # Lambda's errors say "message", Scheduler's "Message"
