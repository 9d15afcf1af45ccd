import asyncio
import base64
import json
import socket
from pathlib import Path

import pytest

from serverlite.errors import InvalidRequestContent, TooManyRequests
from serverlite.functions.environment_process import Environment, Invocation
from serverlite.functions.zygote import Spawned
from serverlite.invoker import InvokeRequest
from serverlite.invoker.async_queue import QueuedEvent
from serverlite.invoker.concurrency import ConcurrencyLimits
from serverlite.invoker.invoker import (
    Invoker,
    _check_json,
    _decode_client_context,
    _split_function_ref,
)
from serverlite.template.model import FunctionSpec


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


def test_a_queued_event_no_environment_could_take_is_throttled_not_lost():
    """The pool raises TooManyRequests when no environment came free within the
    function's timeout: the async queue must retry the event, not drop it."""
    fn = FunctionSpec(
        logical_id="Fn",
        stack_path=(),
        name="Fn",
        arn="arn:aws:lambda:us-east-1:123456789012:function:Fn",
        handler="app.handler",
        runtime="python3.11",
        code_dir=Path("."),
    )

    class App:
        def find_function(self, name: str) -> FunctionSpec | None:
            return fn if name == "Fn" else None

    class FullPool:
        async def run(self, fn: FunctionSpec, invocation: object) -> None:
            raise TooManyRequests("Rate Exceeded.", Reason="ConcurrentInvocationLimitExceeded")

    concurrency = ConcurrencyLimits([fn])
    invoker = Invoker(App(), FullPool(), concurrency)  # type: ignore[arg-type]
    event = QueuedEvent("r-1", "Fn", b"{}", None, 0.0, 0, 0)
    attempt = asyncio.run(invoker.run_queued(event))
    assert attempt.status == "throttled"
    assert concurrency.running("Fn") == 0


def test_a_gateway_event_travels_to_the_environment_as_its_json_payload():
    """The event goes as the JSON the gateway made anyway, not marshalled into the frame's
    header besides: that cost the serving process more than json.loads costs the
    environment, which runs beside it."""
    fn = FunctionSpec("Fn", (), "Fn", "arn:aws:lambda:us-east-1:1:function:Fn", "app.handler",
                      "python3.11", Path("."))  # fmt: skip
    frames = []

    class App:
        def find_function(self, name: str) -> FunctionSpec | None:
            return fn if name == "Fn" else None

    class FramingPool:
        async def run(self, fn: FunctionSpec, invocation: Invocation) -> None:
            with socket.socket(socket.AF_UNIX) as unused:  # the frame is made, not sent
                env = Environment(fn, Spawned(0, unused, -1), "stream", 0)
                frames.append(env._frame(invocation, 3.0))
            raise TooManyRequests("Rate Exceeded.")  # no result needed

    invoker = Invoker(App(), FramingPool(), ConcurrencyLimits([fn]))  # type: ignore[arg-type]
    event = {"path": "/hello", "headers": {"Host": "h"}}
    payload = json.dumps(event).encode()
    with pytest.raises(TooManyRequests):
        asyncio.run(invoker.invoke(InvokeRequest("Fn", payload=payload, event=event)))
    [(header, body)] = frames
    assert body == payload
    assert "event" not in header
