"""The one way serverlite sends to an ARN (destinations, DLQs, EventBridge targets, SNS
subscriptions): the request each kind of target gets, and how failures are classified
(not retried when the target is missing or refuses the payload, retried when throttled
or transient), as EventBridge's dead-letter ERROR_CODEs name them."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from serverlite.aws.arn_sender import TARGET_SERVICES, ArnSender, arn_service, queue_url
from serverlite.aws.backend import AwsError
from serverlite.errors import FunctionNotFound, InvokeError, TooManyRequests
from serverlite.invoker.async_queue import Attempt, QueuedEvent
from serverlite.invoker.destinations import Destinations
from serverlite.invoker.types import InvokeRequest, InvokeResult
from serverlite.sending import DELIVERED, Message, Outcome
from serverlite.template.model import DestinationSpec, EventInvokeConfigSpec, FunctionSpec

QUEUE = "arn:aws:sqs:us-east-1:123456789012:work.fifo"
TOPIC = "arn:aws:sns:us-east-1:123456789012:news"
FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:worker"
BUS = "arn:aws:events:us-east-1:123456789012:event-bus/default"


class FakeAws:
    def __init__(self, services: tuple[str, ...] = ("sqs", "sns", "events")) -> None:
        self.services = services
        self.calls: list[tuple[str, str, dict[str, Any]]] = []
        self.raises: Exception | None = None
        self.answer: dict[str, Any] = {}

    def has(self, service: str) -> bool:
        return service in self.services

    async def call(self, service: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        self.calls.append((service, operation, params))
        if self.raises is not None:
            raise self.raises
        return self.answer


class FakeInvoke:
    def __init__(self) -> None:
        self.requests: list[InvokeRequest] = []
        self.raises: InvokeError | None = None

    async def __call__(self, request: InvokeRequest) -> InvokeResult:
        self.requests.append(request)
        if self.raises is not None:
            raise self.raises
        return InvokeResult(status_code=202, request_id="r")


def sender(aws: FakeAws | None = None, invoke: FakeInvoke | None = None) -> ArnSender:
    return ArnSender(aws or FakeAws(), invoke or FakeInvoke(), "http://127.0.0.1:4566/")


def send(s: ArnSender, arn: str, message: Message) -> Outcome:
    return asyncio.run(s.send(arn, message))


def test_a_queue_gets_send_message_with_its_local_url_attributes_and_fifo_ids() -> None:
    aws = FakeAws()
    attrs = {"RequestID": {"DataType": "String", "StringValue": "r-1"}}
    outcome = send(sender(aws), QUEUE, Message("hi", attrs, group_id="g", dedup_id="d"))
    assert outcome == DELIVERED
    assert aws.calls == [
        (
            "sqs",
            "SendMessage",
            {
                "QueueUrl": "http://127.0.0.1:4566/123456789012/work.fifo",
                "MessageBody": "hi",
                "MessageAttributes": attrs,
                "MessageGroupId": "g",
                "MessageDeduplicationId": "d",
            },
        )
    ]


def test_a_topic_gets_publish_and_a_function_an_asynchronous_invoke() -> None:
    aws, invoke = FakeAws(), FakeInvoke()
    s = sender(aws, invoke)
    assert send(s, TOPIC, Message("news")) == DELIVERED
    assert send(s, FUNCTION, Message('{"a": 1}')) == DELIVERED
    assert aws.calls == [("sns", "Publish", {"TopicArn": TOPIC, "Message": "news"})]
    (request,) = invoke.requests
    assert (request.function, request.payload, request.invocation_type) == (
        FUNCTION,
        b'{"a": 1}',
        "Event",
    )


def test_a_bus_gets_put_events_and_a_failed_entry_is_a_failure() -> None:
    aws = FakeAws()
    message = Message("{}", source="lambda", detail_type="Result", resources=(FUNCTION,))
    assert send(sender(aws), BUS, message) == DELIVERED
    ((_, operation, params),) = aws.calls
    assert operation == "PutEvents"
    assert params["Entries"] == [
        {
            "Source": "lambda",
            "DetailType": "Result",
            "Detail": "{}",
            "Resources": [FUNCTION],
            "EventBusName": BUS,
        }
    ]
    aws.answer = {"FailedEntryCount": 1, "Entries": [{"ErrorCode": "InternalException"}]}
    assert send(sender(aws), BUS, message).status == "failed"


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (AwsError("AWS.SimpleQueueService.NonExistentQueue", "gone"), "failed", "NO_RESOURCE"),
        (AwsError("NotFoundException", "gone", 404), "failed", "NO_RESOURCE"),
        (AwsError("ThrottlingException", "slow down"), "retry", "THROTTLING"),
        (AwsError("InternalError", "boom", 500), "retry", "INTERNAL_ERROR"),
        (AwsError("InvalidParameter", "bad"), "failed", "INVALID_PARAMETER"),
    ],
)
def test_service_errors_are_classified_as_aws_classifies_them(
    error: AwsError, status: str, code: str
) -> None:
    aws = FakeAws()
    aws.raises = error
    outcome = send(sender(aws), TOPIC, Message("x"))
    assert (outcome.status, outcome.code) == (status, code)
    assert error.code in outcome.message


def test_invoke_errors_are_classified_too() -> None:
    invoke = FakeInvoke()
    invoke.raises = FunctionNotFound("worker")
    assert send(sender(invoke=invoke), FUNCTION, Message("{}")).code == "NO_RESOURCE"
    invoke.raises = TooManyRequests("Rate Exceeded.")
    assert send(sender(invoke=invoke), FUNCTION, Message("{}")).status == "retry"


def test_a_target_serverlite_does_not_emulate_fails_without_a_call() -> None:
    aws = FakeAws(services=("sqs",))
    kinesis = "arn:aws:kinesis:us-east-1:123456789012:stream/s"
    assert send(sender(aws), kinesis, Message("x")).code == "INVALID_PARAMETER"
    assert send(sender(aws), TOPIC, Message("x")).code == "NO_RESOURCE"  # SNS not running
    assert send(sender(aws), "not-an-arn", Message("x")).status == "failed"
    assert aws.calls == []


def test_every_target_service_has_a_sender_and_arns_parse() -> None:
    s = sender()
    assert set(TARGET_SERVICES) == set(s._targets)
    assert arn_service(QUEUE) == "sqs" and arn_service("queue") == ""
    assert queue_url("http://h:1", QUEUE) == "http://h:1/123456789012/work.fifo"


class FakeSender:
    def __init__(self) -> None:
        self.sent: list[tuple[str, Message]] = []

    async def send(self, arn: str, message: Message) -> Outcome:
        self.sent.append((arn, message))
        return DELIVERED


def test_destinations_see_only_the_sender_protocol() -> None:
    fn = FunctionSpec(
        logical_id="Worker",
        stack_path=(),
        name="worker",
        arn=FUNCTION,
        handler="app.handler",
        runtime="python3.12",
        code_dir=Path("."),
        event_invoke_config=EventInvokeConfigSpec(on_failure=DestinationSpec("EventBridge", BUS)),
        dead_letter_queue=DestinationSpec("SQS", QUEUE),
    )

    class App:
        def find_function(self, name: str) -> FunctionSpec:
            return fn

    out = FakeSender()
    event = QueuedEvent(
        "r-1", "worker", b'{"k": 1}', None, enqueued_at=0.0, attempts=3, throttles=0
    )
    failed = Attempt("error", b'{"errorMessage": "boom"}', "Unhandled")
    destinations = Destinations(App(), out)  # type: ignore[arg-type]
    asyncio.run(destinations.finish(event, "RetriesExhausted", failed))
    (bus, record), (dlq, dead) = out.sent
    assert (bus, record.source) == (BUS, "lambda")
    assert record.detail_type == "Lambda Function Invocation Result - Failure"
    assert record.resources == (BUS, f"{FUNCTION}:$LATEST")
    assert json.loads(record.body)["requestContext"]["condition"] == "RetriesExhausted"
    assert (dlq, dead.body) == (QUEUE, '{"k": 1}')
    assert dead.attributes["ErrorMessage"]["StringValue"] == "boom"
