"""ARNs and names of state machines and executions, and the errors about them.

arn:aws:states:REGION:ACCOUNT:stateMachine:NAME
arn:aws:states:REGION:ACCOUNT:execution:MACHINE:NAME     (Standard)
arn:aws:states:REGION:ACCOUNT:express:MACHINE:NAME:UUID  (Express)
"""

from __future__ import annotations

import re
from typing import Any

from serverlite.aws.backend import AwsError

MAX_NAME = 80
# AWS: names may not contain whitespace, brackets < > { } [ ], wildcards ? *, the
# characters " # % \ ^ | ~ ` $ & , ; : / or control characters.
_BAD_NAME = re.compile(r"[\s<>{}\[\]?*\"#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f]")


class Arns:
    def __init__(self, region: str, account_id: str) -> None:
        self.region = region
        self.account_id = account_id
        self.prefix = f"arn:aws:states:{region}:{account_id}:"

    def machine(self, name: str) -> str:
        return f"{self.prefix}stateMachine:{name}"

    def execution(self, machine_name: str, name: str) -> str:
        return f"{self.prefix}execution:{machine_name}:{name}"

    def express(self, machine_name: str, name: str, run_id: str) -> str:
        return f"{self.prefix}express:{machine_name}:{name}:{run_id}"


def check_name(name: Any, field: str = "name") -> str:
    if not isinstance(name, str) or not name:
        raise AwsError(
            "ValidationException",
            f"1 validation error detected: Value null at "
            f"'{field}' failed to satisfy constraint: Member must not be null",
        )
    if len(name) > MAX_NAME or _BAD_NAME.search(name):
        raise AwsError("InvalidName", f"Invalid Name: '{name}'")
    return name


def resource_kind(arn: Any) -> str:
    """ "stateMachine", "execution", "express", ... of a Step Functions ARN ("" if none)."""
    if not isinstance(arn, str):
        return ""
    parts = arn.split(":")
    if len(parts) < 7 or parts[0] != "arn" or parts[2] != "states":
        return ""
    return parts[5]


def machine_arn(arn: Any) -> str:
    if resource_kind(arn) != "stateMachine":
        raise AwsError(
            "InvalidArn", f"Invalid Arn: 'Resource type not valid in this context: {_kind_or(arn)}'"
        )
    return ":".join(str(arn).split(":")[:7])  # a version or alias ARN names its machine


def execution_arn(arn: Any) -> str:
    kind = resource_kind(arn)
    if kind == "express":
        raise AwsError(
            "InvalidArn", "Invalid Arn: 'Resource type not valid in this context: express'"
        )
    if kind != "execution":
        raise AwsError(
            "InvalidArn", f"Invalid Arn: 'Resource type not valid in this context: {_kind_or(arn)}'"
        )
    return str(arn)


def _kind_or(arn: Any) -> str:
    kind = resource_kind(arn)
    if kind:
        return kind
    return f"Invalid ARN prefix: {arn}" if isinstance(arn, str) else "null"


def machine_of_execution(arn: str) -> tuple[str, str]:
    """(machine name, execution name) of an execution ARN."""
    parts = arn.split(":")
    return parts[6], parts[7] if len(parts) > 7 else ""
