"""The wire dispatchers without sockets: a Starlette request built from a scope, the
response read back; each malformed input answered in the protocol's AWS shape."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest
from starlette.requests import Request
from starlette.responses import Response

from serverlite.aws.backend import (
    AwsError,
    JsonService,
    Operations,
    QueryService,
    RestJsonService,
    RestResponse,
    RestRoute,
)
from serverlite.aws.dispatch import calls, json_rpc, lane, query, rest_json
from serverlite.aws.dispatch.faults import FAULTS, ServiceFaults
from serverlite.aws.dispatch.shield import Shield
from serverlite.observe.publishing import Publisher
from serverlite.observe.service_metrics import PUBLISHER
from serverlite.observe.tracing import CURRENT, Tracer


def request(
    body: bytes = b"", method: str = "POST", path: str = "/", query: str = "", **headers: str
) -> Request:
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "query_string": query.encode(),
        "headers": [(k.lower().replace("_", "-").encode(), v.encode()) for k, v in headers.items()],
    }
    return Request(scope, receive)


def echo(context: Any, body: dict[str, Any]) -> dict[str, Any]:
    return {"echo": body, "context": context}


async def waits(context: Any, body: dict[str, Any]) -> dict[str, Any]:
    await asyncio.sleep(0)
    return {"waited": True}


def breaks(context: Any, body: dict[str, Any]) -> dict[str, Any]:
    raise RuntimeError("a bug")


def wrong_shape(context: Any, body: dict[str, Any]) -> dict[str, Any]:
    return {"n": len(body["Items"])}  # a KeyError on a request botocore would not send


OPS = Operations(
    "Demo",
    "ctx",
    {"Echo": echo, "Waits": waits, "Breaks": breaks, "WrongShape": wrong_shape},
    malformed="InvalidParameterValue",
    internal="InternalServerError",
)
JSON = {"Demo_1": JsonService("Demo_1", "1.1", OPS, "com.demo#", max_request_bytes=64)}


def run(coroutine: Any) -> Response:
    return asyncio.run(coroutine)  # type: ignore[no-any-return]


def json_call(operation: str, body: bytes, **headers: str) -> tuple[int, dict[str, Any]]:
    response = run(
        json_rpc.dispatch(request(body, X_Amz_Target=f"Demo_1.{operation}", **headers), JSON)
    )
    assert response.headers["content-type"] == "application/x-amz-json-1.1"
    assert response.headers["x-amzn-requestid"]
    return response.status_code, json.loads(response.body)


def test_json_success_and_async_operations() -> None:
    assert json_call("Echo", b'{"a": 1}') == (200, {"echo": {"a": 1}, "context": "ctx"})
    assert json_call("Echo", b"") == (200, {"echo": {}, "context": "ctx"})
    assert json_call("Waits", b"{}") == (200, {"waited": True})


@pytest.mark.parametrize(
    "body",
    [
        b'{"a": ',
        b"[1]",
        b'"text"',
        b'{"a": "\xff"}',
        b'{"a": "\\ud800"}',
        b"[" * 40 + b"]" * 40,
        b"NaN",
    ],
)
def test_json_malformed_bodies_are_serialization_exceptions(body: bytes) -> None:
    JSON["Demo_1"] = JsonService("Demo_1", "1.1", OPS, "com.demo#", max_request_bytes=4096)
    status, error = json_call("Echo", body)
    assert status == 400
    assert error["__type"] == "com.amazon.coral.service#SerializationException"


def test_json_deep_nesting_is_refused_not_a_recursion_error() -> None:
    JSON["Demo_1"] = JsonService("Demo_1", "1.1", OPS, max_request_bytes=300_000)
    status, error = json_call("Echo", b"[" * 100_000 + b"]" * 100_000)
    assert (status, error["__type"]) == (400, "com.amazon.coral.service#SerializationException")


def test_json_unknown_operations_limits_and_failures(caplog: pytest.LogCaptureFixture) -> None:
    JSON["Demo_1"] = JsonService("Demo_1", "1.1", OPS, "com.demo#", max_request_bytes=64)
    status, error = json_call("Nope", b"{}")
    assert (status, error["__type"]) == (400, "com.amazon.coral.service#UnknownOperationException")
    status, error = json_call("Echo", b"{}" + b" " * 64, Content_Length="66")
    assert (status, error["__type"]) == (
        413,
        "com.amazon.coral.service#RequestEntityTooLargeException",
    )
    assert error["message"] == "Request must be smaller than 64 bytes for the Echo operation"
    status, error = json_call("WrongShape", b"{}")  # the JSON protocol's name, not the service's
    assert (status, error["__type"]) == (400, "com.amazon.coral.service#SerializationException")
    with caplog.at_level(logging.ERROR, logger="serverlite.aws"):
        status, error = json_call("Breaks", b"{}")
    assert (status, error["__type"]) == (500, "com.demo#InternalServerError")
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.exc_info is not None  # logged once, with the traceback and the request id
    assert error["message"].split("request ")[1].rstrip(")") in record.getMessage()
    response = run(json_rpc.dispatch(request(b"{}", X_Amz_Target="Other.Echo"), JSON))
    assert (response.status_code, json.loads(response.body)["__type"]) == (
        400,
        "com.amazon.coral.service#UnknownOperationException",
    )


QUERY = {
    "sns": QueryService(
        "sns", OPS, "http://sns.amazonaws.com/doc/2010-03-31/", max_request_bytes=100
    )
}
SIGNED = (
    "AWS4-HMAC-SHA256 Credential=a/20260101/us-east-1/sns/aws4_request, "
    "SignedHeaders=host, Signature=0"
)


def query_call(body: bytes) -> tuple[int, str]:
    response = run(query.dispatch(request(body, Authorization=SIGNED), QUERY))
    assert response.headers["content-type"].startswith("text/xml")
    return response.status_code, bytes(response.body).decode()


def test_query_errors_are_xml() -> None:
    status, xml = query_call(b"Action=ListTopics")
    assert status == 400 and "<Code>InvalidAction</Code>" in xml  # not in this table
    status, xml = query_call(b"Action=Publish&" + b"x" * 100)
    assert status == 413 and "<Code>RequestEntityTooLarge</Code>" in xml
    status, xml = query_call(b"Action=Publish&Message=\xff")
    assert status == 400 and "<Code>MalformedQueryString</Code>" in xml
    assert "<Type>Sender</Type>" in xml and '<ErrorResponse xmlns="http://sns' in xml


def test_query_names_errors_as_the_query_protocol_does() -> None:
    def sqs_style(context: Any, body: dict[str, Any]) -> dict[str, Any]:
        error = AwsError("QueueDoesNotExist", "The specified queue does not exist.")
        error.query_code = "AWS.SimpleQueueService.NonExistentQueue"
        raise error

    ops = Operations("SNS", None, {"Publish": sqs_style})
    services = {"sns": QueryService("sns", ops)}
    response = run(
        query.dispatch(
            request(b"Action=Publish&TopicArn=t&Message=m", Authorization=SIGNED), services
        )
    )
    assert "<Code>AWS.SimpleQueueService.NonExistentQueue</Code>" in bytes(response.body).decode()


def rest_op(context: Any, parts: dict[str, Any]) -> Any:
    if parts["path"]["name"] == "raw":
        return RestResponse(b"payload", 202, {"X-Extra": "1"})
    return {"name": parts["path"]["name"], "body": parts["body"]}


REST = RestJsonService(
    (RestRoute("POST", "/things/{name}", "PutThing", json=True),),
    Operations("Demo", None, {"PutThing": rest_op}, malformed="ValidationException"),
    max_request_bytes=32,
    message_key="Message",
)


def rest_call(name: str, body: bytes) -> Response:
    """The route's ASGI app called as Starlette's router calls it; its answer read back."""
    [route] = rest_json.routes(REST)
    req = request(body, path=f"/things/{name}")
    req.scope["path_params"] = {"name": name}
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    run(route.app(req.scope, req.receive, send))
    start, answer = sent
    response = Response(answer["body"], start["status"])
    response.raw_headers = start["headers"]
    return response


def test_rest_json_answers_and_errors() -> None:
    response = rest_call("a", b'{"x": 1}')
    assert (response.status_code, json.loads(response.body)) == (
        200,
        {"name": "a", "body": {"x": 1}},
    )
    response = rest_call("raw", b"{}")
    assert (response.status_code, response.body, response.headers["x-extra"]) == (
        202,
        b"payload",
        "1",
    )
    response = rest_call("a", b"[1]")
    assert response.status_code == 400
    assert response.headers["x-amzn-errortype"] == "SerializationException"
    assert set(json.loads(response.body)) == {"Type", "Message"}
    response = rest_call("a", b"{}" + b" " * 40)
    assert (response.status_code, response.headers["x-amzn-errortype"]) == (
        413,
        "RequestEntityTooLargeException",
    )


def test_calls_in_process_share_the_rules() -> None:
    with pytest.raises(AwsError) as info:
        asyncio.run(calls.call(OPS, "Nope", {}, "r-1"))
    assert info.value.code == "UnknownOperation"
    with pytest.raises(AwsError) as info:
        asyncio.run(calls.call(OPS, "WrongShape", {}, "r-1"))
    assert (info.value.code, info.value.status) == ("InvalidParameterValue", 400)
    with pytest.raises(AwsError) as info:
        asyncio.run(calls.call(OPS, "Breaks", {}, "r-1"))
    assert (info.value.code, info.value.status) == ("InternalServerError", 500)


def test_the_shield_answers_what_nothing_else_did(caplog: pytest.LogCaptureFixture) -> None:
    async def broken(scope: Any, receive: Any, send: Any) -> None:
        raise RuntimeError("a bug outside any dispatcher")

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    req = request(b"{}", X_Amz_Target="Demo_1.Echo", Content_Type="application/x-amz-json-1.1")
    with caplog.at_level(logging.ERROR, logger="serverlite.aws"):
        asyncio.run(Shield(broken)(req.scope, req.receive, send))  # does not raise
    assert sent[0]["status"] == 500
    error = json.loads(sent[1]["body"])
    assert error["__type"] == "com.amazon.coral.service#InternalFailureException"
    assert len([r for r in caplog.records if r.exc_info]) == 1


@pytest.mark.parametrize(
    ("result", "request_id"),
    [
        (RestResponse(b'{"a": 1}'), "r-1"),
        (RestResponse(b"payload", 202, {"X-Extra": "1", "x-amzn-RequestId": "inv-1"}), "r-2"),
        (RestResponse(b"", 204, {"x-amzn-RequestId": "inv-2"}, media_type=None), "r-3"),
        (RestResponse(b"<a/>", 200, {}, media_type="text/xml"), "r-4"),
        (RestResponse(b"{}", 200, {"Content-Type": "application/x-amz-json-1.1"}), "r-5"),
    ],
)
def test_rest_json_heads_are_what_starlette_would_send(
    result: RestResponse, request_id: str
) -> None:
    """The route answers without a Response object; its head is byte for byte the one
    Starlette's Response made from the same answer."""
    expected = Response(
        result.body,
        status_code=result.status,
        headers={"x-amzn-RequestId": request_id, **result.headers},
        media_type=result.media_type,
    )
    start = rest_json._start(result, request_id)
    assert (start["status"], start["headers"]) == (expected.status_code, expected.raw_headers)


def lane_for(
    chain: Any, refused: Any = lambda scope: False, **options: Any
) -> tuple[lane.Lane, list[str]]:
    """A lane over REST's route whose chain records what reached it."""
    passed: list[str] = []

    async def recorded(scope: Any, receive: Any, send: Any) -> None:
        passed.append(f"{scope['method']} {scope['path']}")
        await chain(scope, receive, send)

    options = {"faults": None, "tracer": None, "publisher": None, **options}
    return lane.Lane(recorded, rest_json.routes(REST), refused=refused, **options), passed


async def nothing(scope: Any, receive: Any, send: Any) -> None:
    pass


def sent_by(app: Any, req: Request) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    run(app(req.scope, req.receive, send))
    return sent


def test_the_lane_takes_only_what_its_route_fully_matches() -> None:
    """Invoke's lane answers a matching method and path with the route's endpoint and
    the router's path parameters; anything else (another method: the router's 405,
    another path) goes on down the chain."""
    taken, passed = lane_for(nothing)
    for method, path in (("GET", "/things/a"), ("POST", "/things/a/b"), ("POST", "/other")):
        run(taken(request(b"{}", method=method, path=path).scope, None, nothing))
    assert passed == ["GET /things/a", "POST /things/a/b", "POST /other"]
    req = request(b'{"x": 1}', path="/things/a%20b")
    req.scope["path"] = "/things/a b"  # as uvicorn decodes it
    sent = sent_by(taken, req)
    assert (sent[0]["status"], json.loads(sent[1]["body"])) == (
        200,
        {"name": "a b", "body": {"x": 1}},
    )
    assert len(passed) == 3


def test_what_the_chain_would_refuse_goes_down_the_chain() -> None:
    """A request admission refuses, or S3's, is the chain's to answer, as before the
    lane (its checks are asked; a check that fails leaves the request to the chain)."""

    def refused(scope: Any) -> bool:
        if scope["path"] == "/things/broken":
            raise RuntimeError("a bug in a check")
        return scope["path"] == "/things/refused"

    taken, passed = lane_for(nothing, refused)
    for name in ("refused", "broken"):
        assert sent_by(taken, request(b"{}", path=f"/things/{name}")) == []
    assert passed == ["POST /things/refused", "POST /things/broken"]


def test_the_lane_answers_failures_as_the_shield_does(caplog: pytest.LogCaptureFixture) -> None:
    """An exception no dispatcher answered: AWS's InternalFailure (rest-json's shape),
    logged once; once the head is out, it is raised (only closing can tell the
    client), as the shield does."""
    taken, _ = lane_for(nothing)

    async def broken(*args: Any) -> Any:
        raise RuntimeError("a bug outside any dispatcher")

    req = request(b"{}", path="/things/a")
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    with caplog.at_level(logging.ERROR, logger="serverlite.aws"):
        run(taken(req.scope, broken, send))
    assert (sent[0]["status"], dict(sent[0]["headers"])[b"x-amzn-errortype"]) == (
        500,
        b"InternalFailureException",
    )
    assert len([r for r in caplog.records if r.exc_info]) == 1
    tried: list[dict[str, Any]] = []

    async def breaks(message: dict[str, Any]) -> None:
        tried.append(message)
        raise OSError("the connection broke under the head")

    req = request(b"{}", path="/things/a")
    with pytest.raises(OSError):
        run(taken(req.scope, req.receive, breaks))
    assert [message["status"] for message in tried] == [200]  # no second answer tried


def test_the_lane_makes_the_faults_and_the_trace_current() -> None:
    """The call runs with the cloud's faults, the request's trace header and the
    publisher current, as under the chain's middleware; they are reset after."""
    seen: list[Any] = []

    def looks(context: Any, parts: dict[str, Any]) -> dict[str, Any]:
        current = CURRENT.get()
        seen.extend([FAULTS.get(), current and current.header.root, PUBLISHER.get()])
        return {}

    service = RestJsonService(
        (RestRoute("POST", "/things/{name}", "PutThing", json=True),),
        Operations("Demo", None, {"PutThing": looks}),
    )
    faults, publisher = ServiceFaults(), Publisher(None)
    tracer = Tracer(None, region="us-east-1", account_id="123456789012")
    taken = lane.Lane(
        nothing,
        rest_json.routes(service),
        refused=lambda scope: False,
        faults=faults,
        tracer=tracer,
        publisher=publisher,
    )
    root = "1-5759e988-bd862e3fe1be46a994272793"
    req = request(b"{}", path="/things/a", X_Amzn_Trace_Id=f"Root={root};Sampled=1")
    assert sent_by(taken, req)[0]["status"] == 200
    assert seen == [faults, root, publisher]
    assert (FAULTS.get(), CURRENT.get(), PUBLISHER.get()) == (None, None, None)
