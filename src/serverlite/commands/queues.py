"""What ``serverlite queues``, ``serverlite send`` and ``serverlite redrive`` do: talk to a
running ``serverlite up`` over its AWS endpoint with boto3, as any client would."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from serverlite.commands import client as cli_client
from serverlite.errors import ConfigError

T = TypeVar("T")


@dataclass(frozen=True)
class QueueRow:
    name: str
    visible: int
    in_flight: int
    delayed: int
    dead_letter_queue: str = ""  # the DLQ's name, when the queue has a redrive policy
    dead_letter_depth: int | None = None


def client(endpoint_url: str, region: str) -> Any:
    return cli_client.client("sqs", endpoint_url, region)


def queue_url(sqs: Any, queue: str) -> str:
    """A queue name or URL -> its URL."""
    if "://" in queue:
        return queue
    return str(sqs.get_queue_url(QueueName=queue)["QueueUrl"])


def queue_rows(sqs: Any) -> list[QueueRow]:
    urls = sqs.list_queues().get("QueueUrls", [])
    attributes = {
        url: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"]) for url in urls
    }
    by_arn = {a["Attributes"]["QueueArn"]: a["Attributes"] for a in attributes.values()}
    rows = []
    for url in urls:
        values = attributes[url]["Attributes"]
        dlq_name, dlq_depth = "", None
        if "RedrivePolicy" in values:
            target = json.loads(values["RedrivePolicy"])["deadLetterTargetArn"]
            dlq_name = target.rsplit(":", 1)[-1]
            if target in by_arn:
                dlq_depth = int(by_arn[target]["ApproximateNumberOfMessages"])
        rows.append(
            QueueRow(
                name=url.rsplit("/", 1)[-1],
                visible=int(values["ApproximateNumberOfMessages"]),
                in_flight=int(values["ApproximateNumberOfMessagesNotVisible"]),
                delayed=int(values["ApproximateNumberOfMessagesDelayed"]),
                dead_letter_queue=dlq_name,
                dead_letter_depth=dlq_depth,
            )
        )
    return rows


def parse_attributes(pairs: Sequence[str]) -> dict[str, dict[str, str]]:
    """``K=V`` (String) or ``K:Number=V`` -> SendMessage's MessageAttributes."""
    attributes = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ConfigError(f"--attr takes KEY=VALUE (or KEY:Number=VALUE), got {pair!r}")
        name, _, kind = key.partition(":")
        attributes[name] = {"DataType": kind or "String", "StringValue": value}
    return attributes


def send(
    sqs: Any,
    queue: str,
    body: str,
    attributes: Sequence[str] = (),
    group_id: str | None = None,
    dedup_id: str | None = None,
) -> dict[str, Any]:
    request: dict[str, Any] = {"QueueUrl": queue_url(sqs, queue), "MessageBody": body}
    if attributes:
        request["MessageAttributes"] = parse_attributes(attributes)
    if group_id:
        request["MessageGroupId"] = group_id
    if dedup_id:
        request["MessageDeduplicationId"] = dedup_id
    result: dict[str, Any] = sqs.send_message(**request)
    return result


def redrive(sqs: Any, dead_letter_queue: str, to: str | None = None) -> dict[str, Any]:
    """Move the DLQ's messages back to their source queues (or to ``to``)."""

    def arn(queue: str) -> str:
        url = queue_url(sqs, queue)
        return str(
            sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
                "QueueArn"
            ]
        )

    source = arn(dead_letter_queue)
    request = {"SourceArn": source}
    if to:
        request["DestinationArn"] = arn(to)
    sqs.start_message_move_task(**request)
    task: dict[str, Any] = sqs.list_message_move_tasks(SourceArn=source, MaxResults=1)["Results"][0]
    return task


def run(endpoint_url: str, action: Callable[[], T]) -> T:
    with cli_client.talking_to(endpoint_url):
        return action()
