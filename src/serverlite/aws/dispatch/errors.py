"""AWS's error responses, one shape per wire protocol, made in one place.

    JSON 1.0/1.1   {"__type": "<namespace>#Code", "message": ...}, x-amzn-RequestId
    query          <ErrorResponse><Error><Type>Sender|Receiver</Type><Code/><Message/>
                   </Error><RequestId/></ErrorResponse>, text/xml
    rest-json      x-amzn-ErrorType: Code, {"Type": "User"|"Service", "message": ...}
    rest-xml (S3)  <Error><Code/><Message/><RequestId/></Error> (``rest_xml.error``)

*Framework* errors are the ones AWS's front end answers before a service's own model
is involved: the request is unsigned, unreadable, too large, names no operation the
service has, or the service failed. The query protocol names them bare
(``MissingAuthenticationToken``); the JSON protocols add ``Exception`` and, in JSON
1.0/1.1, the ``com.amazon.coral.service#`` namespace
(``com.amazon.coral.service#MissingAuthenticationTokenException``). botocore reads the
code after the ``#``.
"""

from __future__ import annotations

from starlette.responses import Response
from starlette.types import Scope

from serverlite import fastjson
from serverlite.aws.backend import AwsError
from serverlite.ids import request_id as new_request_id
from serverlite.xml_text import escape

CORAL = "com.amazon.coral.service#"
ACCESS_DENIED = "AccessDenied"

# Framework errors as the query protocol names them; JSON protocols add "Exception".
FRAMEWORK = frozenset(
    {
        "AccessDenied",
        "IncompleteSignature",
        "InternalFailure",
        "MissingAuthenticationToken",
        "RequestEntityTooLarge",
        "SerializationException",
        "UnknownOperation",
    }
)


def _json_code(code: str) -> str:
    if code in FRAMEWORK and not code.endswith("Exception"):
        return f"{code}Exception"
    return code


def json_error(
    exc: AwsError, request_id: str, *, version: str = "1.0", namespace: str = ""
) -> Response:
    code = _json_code(exc.code)
    if exc.code in FRAMEWORK:
        namespace = CORAL
    body = {"__type": f"{namespace}{code}", "message": exc.message, **exc.fields}
    return Response(
        fastjson.dumps(body),
        status_code=exc.status,
        media_type=f"application/x-amz-json-{version}",
        headers={**exc.headers, "x-amzn-RequestId": request_id},
    )


def query_error(exc: AwsError, request_id: str, *, namespace: str = "") -> Response:
    ns = f' xmlns="{namespace}"' if namespace else ""
    kind = "Sender" if exc.status < 500 else "Receiver"
    body = (
        f"<ErrorResponse{ns}><Error><Type>{kind}</Type><Code>{escape(exc.code)}</Code>"
        f"<Message>{escape(exc.message)}</Message></Error>"
        f"<RequestId>{request_id}</RequestId></ErrorResponse>"
    )
    return Response(
        body,
        status_code=exc.status,
        media_type="text/xml",
        headers={**exc.headers, "x-amzn-RequestId": request_id},
    )


def rest_json_error(exc: AwsError, request_id: str, *, message_key: str = "message") -> Response:
    """Lambda's shape (``message``); Scheduler's capitalises it (``Message``)."""
    kind = "User" if exc.status < 500 else "Service"
    body = {"Type": kind, exc.message_key or message_key: exc.message, **exc.fields}
    return Response(
        fastjson.dumps(body),
        status_code=exc.status,
        media_type="application/json",
        headers={
            **exc.headers,
            "x-amzn-ErrorType": _json_code(exc.code),
            "x-amzn-RequestId": request_id,
        },
    )


def protocol_of(scope: Scope) -> str:
    """ "json", "query", "rest-xml" or "rest-json": what a request speaks, from its
    headers alone."""
    from serverlite.aws.dispatch import rest_xml

    if rest_xml.is_s3(scope):
        return "rest-xml"
    content_type = ""
    for name, value in scope["headers"]:
        if name == b"x-amz-target":
            return "json"
        if name == b"content-type":
            content_type = value.decode("latin-1")
    if content_type.startswith("application/x-www-form-urlencoded"):
        return "query"
    if scope["path"] == "/" and b"Action=" in scope.get("query_string", b""):
        return "query"
    return "rest-json"


def error_for(scope: Scope, exc: AwsError, request_id: str | None = None) -> Response:
    """A framework error in the shape of the protocol the request speaks."""
    request_id = request_id or new_request_id()
    protocol = protocol_of(scope)
    if protocol == "json":
        version = "1.1" if _header(scope, b"content-type").endswith("1.1") else "1.0"
        return json_error(exc, request_id, version=version)
    if protocol == "query":
        return query_error(exc, request_id)
    if protocol == "rest-xml":
        from serverlite.aws.dispatch import rest_xml

        return rest_xml.error(exc, request_id, head=scope["method"] == "HEAD")
    return rest_json_error(exc, request_id)


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return ""
