"""EventBridge names and ARNs, and AWS's shape of a validation error."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from serverlite.aws.backend import AwsError

DEFAULT_BUS = "default"
RULE_NAME = re.compile(r"[\.\-_A-Za-z0-9]+")
BUS_NAME = re.compile(r"[/\.\-_A-Za-z0-9]+")
ARCHIVE_NAME = RULE_NAME


def validation(message: str) -> AwsError:
    return AwsError("ValidationException", message)


def not_found(message: str) -> AwsError:
    return AwsError("ResourceNotFoundException", message)


def check_name(value: Any, field: str, pattern: re.Pattern[str], maximum: int) -> str:
    """A required name, with AWS's "1 validation error detected" message when bad."""
    if not isinstance(value, str) or not value:
        raise validation(
            f"1 validation error detected: Value null at '{field}' failed to "
            "satisfy constraint: Member must not be null"
        )
    if len(value) > maximum:
        raise validation(
            f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy "
            f"constraint: Member must have length less than or equal to {maximum}"
        )
    if not pattern.fullmatch(value):
        raise validation(
            f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy "
            f"constraint: Member must satisfy regular expression pattern: {pattern.pattern}"
        )
    return value


@dataclass(frozen=True)
class Arns:
    region: str
    account: str

    def _arn(self, resource: str) -> str:
        return f"arn:aws:events:{self.region}:{self.account}:{resource}"

    def bus(self, name: str) -> str:
        return self._arn(f"event-bus/{name}")

    def rule(self, bus: str, name: str) -> str:
        return self._arn(f"rule/{name}" if bus == DEFAULT_BUS else f"rule/{bus}/{name}")

    def archive(self, name: str) -> str:
        return self._arn(f"archive/{name}")

    def replay(self, name: str) -> str:
        return self._arn(f"replay/{name}")


def bus_name(value: Any) -> str:
    """EventBusName given as a name or an ARN (None: the default bus)."""
    if value is None or value == "":
        return DEFAULT_BUS
    if not isinstance(value, str):
        raise validation("Parameter EventBusName is not valid.")
    if value.startswith("arn:"):
        _, _, resource = value.partition(":event-bus/")
        if not resource:
            raise validation(
                f"Parameter {value} is not valid. Reason: Provided Arn is not in correct format."
            )
        return resource
    return value


def arn_resource(arn: str) -> str:
    """Everything after the account: ``function:name``, ``queue-name``, ``event-bus/x``."""
    return arn.split(":", 5)[5] if arn.count(":") >= 5 else ""
