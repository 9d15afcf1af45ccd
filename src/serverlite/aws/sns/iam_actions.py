"""Each SNS operation's IAM action and resource (the topic's ARN).

From the Service Authorization Reference ("Actions, resources, and condition keys for
Amazon SNS"): PublishBatch asks for ``sns:Publish``; the subscription operations
(Unsubscribe, Get/SetSubscriptionAttributes) and the listings act on no topic. A
Publish to a phone number (no TopicArn or TargetArn) acts on none either.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from serverlite.iam.request import IamRequest

from .names import topic_arn

ON_NOTHING = frozenset(
    {
        "ListTopics", "ListSubscriptions", "Unsubscribe", "GetSubscriptionAttributes",
        "SetSubscriptionAttributes",
    }
)  # fmt: skip
BY_RESOURCE_ARN = frozenset({"TagResource", "UntagResource", "ListTagsForResource"})


def iam_map(region: str, account: str) -> Callable[[str, dict[str, Any]], Sequence[IamRequest]]:
    def requests(operation: str, request: dict[str, Any]) -> Sequence[IamRequest]:
        action = "sns:Publish" if operation == "PublishBatch" else f"sns:{operation}"
        if operation in ON_NOTHING:
            return (IamRequest(action),)
        if operation in BY_RESOURCE_ARN:
            return (IamRequest(action, str(request["ResourceArn"])),)
        if operation == "CreateTopic":
            return (IamRequest(action, topic_arn(region, account, str(request["Name"]))),)
        target = request.get("TopicArn") or request.get("TargetArn")
        return (IamRequest(action, str(target) if target else "*"),)

    return requests
