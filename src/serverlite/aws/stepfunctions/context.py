"""What Step Functions' operations run against, and the request helpers they share.
The operations are ``op(ctx, request) -> response`` functions in ``ops_machines``,
``ops_executions`` and ``ops_tasks``."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from serverlite.aws.backend import AwsError

from .executions import Executions
from .names import Arns
from .runtime import Clock
from .store import Machine, StepFunctionsDb
from .tokens import TokenBoard

MAX_INPUT = 256 * 1024  # bytes of an execution's input (InvalidExecutionInput past it)
PAGE_DEFAULT = 100
PAGE_MAX = 1000


@dataclass
class SfnContext:
    db: StepFunctionsDb
    arns: Arns
    clock: Clock
    tokens: TokenBoard
    executions: Executions

    def machine(self, arn: str) -> Machine:
        found = self.db.machine(arn)
        if found is None:
            raise AwsError("StateMachineDoesNotExist", f"State Machine Does Not Exist: '{arn}'")
        return found


def required(body: Mapping[str, Any], field: str) -> Any:
    value = body.get(field)
    if value is None:
        raise AwsError(
            "ValidationException",
            f"1 validation error detected: Value null at '{field}' failed to satisfy "
            "constraint: Member must not be null",
        )
    return value


def execution_input(body: Mapping[str, Any]) -> tuple[str, Any]:
    """The input as given (text) and as JSON; ``{}`` when none is given."""
    text = body.get("input")
    if text is None:
        return "{}", {}
    if not isinstance(text, str):
        raise AwsError("InvalidExecutionInput", "Invalid execution input: not a string")
    if len(text.encode()) > MAX_INPUT:
        raise AwsError(
            "InvalidExecutionInput",
            f"Invalid execution input: the input is larger than {MAX_INPUT} bytes",
        )
    try:
        return text, json.loads(text)
    except ValueError as exc:
        raise AwsError(
            "InvalidExecutionInput", f"Invalid State Machine Execution Input: '{exc}'"
        ) from exc


def page(body: Mapping[str, Any], items: list[Any]) -> tuple[list[Any], str | None]:
    """One page of ``items`` by ``maxResults`` / ``nextToken`` (an offset, opaque)."""
    size = body.get("maxResults") or PAGE_DEFAULT
    if not isinstance(size, int) or size < 0 or size > PAGE_MAX:
        raise AwsError(
            "ValidationException",
            f"1 validation error detected: Value '{size}' at 'maxResults' failed to satisfy "
            f"constraint: Member must have value less than or equal to {PAGE_MAX}",
        )
    size = size or PAGE_DEFAULT
    start = 0
    token = body.get("nextToken")
    if token is not None:
        try:
            start = int(json.loads(base64.b64decode(token))["offset"])
        except (ValueError, KeyError, TypeError) as exc:
            raise AwsError("InvalidToken", f"Invalid Token: '{token}'") from exc
    chunk = items[start : start + size]
    more = start + size < len(items)
    next_token = (
        base64.b64encode(json.dumps({"offset": start + size}).encode()).decode() if more else None
    )
    return chunk, next_token
