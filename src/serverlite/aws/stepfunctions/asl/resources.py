"""A Task's ``Resource``: which integration, and which pattern.

    arn:aws:lambda:REGION:ACCOUNT:function:NAME   a function, called with the input
    arn:aws:states:::lambda:invoke                 an optimized integration
    arn:aws:states:::sqs:sendMessage.waitForTaskToken   ... waiting for a task token
    arn:aws:states:::states:startExecution.sync:2  ... waiting for a nested execution
    arn:aws:states:::aws-sdk:dynamodb:getItem      an AWS SDK integration

``resource_type`` and ``resource`` are what the history's TaskScheduled event names
(``lambda`` / ``invoke``, ``aws-sdk:dynamodb`` / ``getItem``).
"""

from __future__ import annotations

from dataclasses import dataclass

PATTERNS = (".waitForTaskToken", ".sync:2", ".sync")


@dataclass(frozen=True)
class Resource:
    arn: str
    service: str  # "lambda", "sqs", "aws-sdk:dynamodb", "states", "activity"
    action: str  # "invoke", "sendMessage", "getItem"; the function ARN for a plain function
    pattern: str  # "request", "token", "sync", "sync2"
    function: bool = False  # a plain function ARN (LambdaFunction* history events)

    @property
    def resource_type(self) -> str:
        return self.service

    @property
    def resource_name(self) -> str:
        suffix = {"request": "", "token": ".waitForTaskToken", "sync": ".sync", "sync2": ".sync:2"}
        return self.action + suffix[self.pattern]


def parse(arn: str) -> Resource:
    parts = arn.split(":")
    if len(parts) >= 7 and parts[2] == "lambda" and parts[5] == "function":
        return Resource(arn, "lambda", arn, "request", function=True)
    if len(parts) >= 7 and parts[2] == "states" and parts[5] == "activity":
        return Resource(arn, "activity", parts[6], "request")
    if not arn.startswith("arn:aws:states:::") and not (
        len(parts) >= 6 and parts[2] == "states" and parts[3] == "" and parts[4] == ""
    ):
        return Resource(arn, "unknown", arn, "request")
    rest = arn[len("arn:aws:states:::") :]
    pattern = "request"
    for suffix, name in zip(PATTERNS, ("token", "sync2", "sync"), strict=True):
        if rest.endswith(suffix):
            rest, pattern = rest[: -len(suffix)], name
            break
    if rest.startswith("aws-sdk:"):
        _, service, action = [*rest.split(":", 2), "", ""][:3]
        return Resource(arn, f"aws-sdk:{service}", action, pattern)
    service, _, action = rest.partition(":")
    return Resource(arn, service, action, pattern)
