"""DynamoDB's errors, worded as AWS words them.

Every error is an ``AwsError`` (the JSON protocol turns it into ``__type`` and
``message``); these helpers name the codes so call sites read as AWS's docs do.
"""

from __future__ import annotations

from typing import Any

from serverlite.aws.backend import AwsError

CONDITION_FAILED_MESSAGE = "The conditional request failed"


def validation(message: str) -> AwsError:
    return AwsError("ValidationException", message)


def not_found(message: str = "Requested resource not found") -> AwsError:
    return AwsError("ResourceNotFoundException", message)


def table_not_found(name: str) -> AwsError:
    # DescribeTable and other table-level calls name the table; item calls do not.
    return not_found(f"Requested resource not found: Table: {name} not found")


def in_use(message: str) -> AwsError:
    return AwsError("ResourceInUseException", message)


def limit_exceeded(message: str) -> AwsError:
    return AwsError("LimitExceededException", message)


def serialization(message: str) -> AwsError:
    return AwsError("SerializationException", message)


def condition_failed(item: dict[str, Any] | None = None) -> AwsError:
    """ConditionalCheckFailedException, with ``Item`` when asked for
    (ReturnValuesOnConditionCheckFailure=ALL_OLD)."""
    fields: dict[str, Any] = {"Item": item} if item is not None else {}
    return AwsError("ConditionalCheckFailedException", CONDITION_FAILED_MESSAGE, **fields)


def invalid_parameter(detail: str) -> AwsError:
    return validation(f"One or more parameter values were invalid: {detail}")


def constraint(value: Any, where: str, rule: str) -> AwsError:
    """The service-side model check: ``1 validation error detected: Value ... at ...``."""
    return validation(
        f"1 validation error detected: Value '{value}' at '{where}' failed to satisfy "
        f"constraint: {rule}"
    )
