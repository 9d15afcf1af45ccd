"""An operation run from a service's table: the one place that turns a name and a
request into a result or an AwsError.

Every service gives a table of operations, ``op(context, request) -> response`` (or an
awaitable of it: SQS's long-polling ReceiveMessage). The wire dispatchers and
in-process callers (destinations, rule targets, SNS fan-out) run operations through
``call`` alone, so an unknown name, a request of the wrong shape and an unexpected
failure are answered the same way whichever way the request came.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from serverlite.aws.json_protocol import AwsError

log = logging.getLogger("serverlite.aws")

Result = dict[str, Any] | Awaitable[dict[str, Any]]
Operation = Callable[[Any, dict[str, Any]], Result]
# botocore checks shapes before sending; only a hand-made request gets a string where a
# list belongs, so these, raised by an operation, mean the request was malformed.
SHAPE_ERRORS = (TypeError, AttributeError, KeyError, ValueError)


@dataclass(frozen=True)
class Operations:
    """A service's operations and how its errors are named."""

    service: str  # "DynamoDB", "SQS", ...: for messages and logs
    context: Any  # passed to every operation
    table: Mapping[str, Operation]
    malformed: str = "SerializationException"  # a request of the wrong shape
    internal: str = "InternalFailure"  # the service's own modelled 500


async def call(
    ops: Operations, name: str, request: dict[str, Any], request_id: str
) -> dict[str, Any]:
    operation = ops.table.get(name)
    if operation is None:
        raise AwsError("UnknownOperation", f"serverlite's {ops.service} does not implement {name}")
    try:
        result = operation(ops.context, request)
        if not isinstance(result, dict):
            result = await result
        return result
    except AwsError:
        raise
    except SHAPE_ERRORS as exc:
        log.warning(
            "%s %s (request %s): malformed request", ops.service, name, request_id, exc_info=True
        )
        raise AwsError(ops.malformed, f"The {name} request is malformed: {exc}") from exc
    except Exception as exc:
        log.exception("%s %s failed (request %s)", ops.service, name, request_id)
        raise AwsError(
            ops.internal, f"{ops.service} failed on {name} (request {request_id})", 500
        ) from exc
