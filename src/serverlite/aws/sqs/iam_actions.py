"""Each SQS operation's IAM action and resource (the queue's ARN).

From the Service Authorization Reference ("Actions, resources, and condition keys for
Amazon SQS"): the batch operations have no actions of their own; SendMessageBatch
asks for ``sqs:SendMessage``, DeleteMessageBatch for ``sqs:DeleteMessage`` and
ChangeMessageVisibilityBatch for ``sqs:ChangeMessageVisibility`` (AWS's refusal of a
SendMessageBatch names ``sqs:sendmessage``). ListQueues acts on no queue.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from serverlite.iam.request import IamRequest

from .names import QueueRef, parse_url, queue_arn

BATCH = {
    "SendMessageBatch": "SendMessage",
    "DeleteMessageBatch": "DeleteMessage",
    "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
}
BY_NAME = frozenset({"CreateQueue", "GetQueueUrl"})  # the queue named by QueueName
BY_SOURCE_ARN = frozenset({"StartMessageMoveTask", "ListMessageMoveTasks"})
ON_NOTHING = frozenset({"ListQueues", "CancelMessageMoveTask"})  # resource "*"


def iam_map(region: str, account: str) -> Callable[[str, dict[str, Any]], Sequence[IamRequest]]:
    def requests(operation: str, request: dict[str, Any]) -> Sequence[IamRequest]:
        action = f"sqs:{BATCH.get(operation, operation)}"
        if operation in ON_NOTHING:
            return (IamRequest(action),)
        if operation in BY_SOURCE_ARN:
            return (IamRequest(action, str(request["SourceArn"])),)
        if operation in BY_NAME:
            owner = str(request.get("QueueOwnerAWSAccountId") or account)
            ref = QueueRef(owner, str(request["QueueName"]))
        else:
            ref = parse_url(str(request["QueueUrl"]))
        return (IamRequest(action, queue_arn(region, ref)),)

    return requests
