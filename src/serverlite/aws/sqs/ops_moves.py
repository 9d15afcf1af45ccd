"""Dead-letter queue redrive: StartMessageMoveTask, ListMessageMoveTasks,
CancelMessageMoveTask.

serverlite moves a task's messages at once, inside StartMessageMoveTask, so every
task is COMPLETED (or FAILED) by the time its handle is returned; AWS moves them in
the background at up to MaxNumberOfMessagesPerSecond. Messages in flight in the
dead-letter queue stay there. Without DestinationArn each message goes back to the
queue it came from (its DeadLetterQueueSourceArn); a message with no such source
(sent to the dead-letter queue directly) stays, and the task reports it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from serverlite import ids

from . import errors
from .engine import SqsEngine
from .ops_queues import dead_letter_sources
from .queue_store import MoveTask
from .records import Queue

MAX_RATE = 500
MAX_LISTED = 10

Params = Mapping[str, Any]
Result = dict[str, Any]


def _not_found(parameter: str) -> errors.SqsError:
    return errors.SqsError(
        "ResourceNotFoundException",
        f"The resource that you specified for the {parameter} parameter doesn't exist.",
    )


def _queue(engine: SqsEngine, params: Params, parameter: str) -> Queue:
    arn = params.get(parameter)
    if not isinstance(arn, str) or not arn:
        raise errors.missing_parameter(parameter)
    queue = engine.by_arn(arn)
    if queue is None:
        raise _not_found(parameter)
    return queue


def start_message_move_task(engine: SqsEngine, params: Params) -> Result:
    source = _queue(engine, params, "SourceArn")
    source_arn = engine.arn(source)
    if not dead_letter_sources(engine, source_arn):
        raise errors.invalid_parameter("Source queue must be configured as a Dead Letter Queue.")
    destination = _queue(engine, params, "DestinationArn") if params.get("DestinationArn") else None
    rate = params.get("MaxNumberOfMessagesPerSecond")
    if rate is not None and (not isinstance(rate, int) or not 1 <= rate <= MAX_RATE):
        raise errors.invalid_value(
            "MaxNumberOfMessagesPerSecond", rate, f"Must be between 1 and {MAX_RATE}."
        )
    now = engine.clock()
    moves: list[tuple[int, int]] = []
    stuck = 0
    targets: dict[str, Queue | None] = {}
    for message in engine.messages.visible(source.id, now):
        target = destination
        if target is None and message.dead_letter_source:
            arn = message.dead_letter_source
            if arn not in targets:
                targets[arn] = engine.by_arn(arn)
            target = targets[arn]
        if target is None:
            stuck += 1
            continue
        moves.append((message.seq, target.id))
    engine.messages.move(moves, now)
    for queue_id in {queue_id for _, queue_id in moves}:
        engine.notifier.notify(queue_id)
    handle = ids.request_id()
    engine.queues.add_move_task(
        MoveTask(
            handle=handle,
            source_arn=source_arn,
            destination_arn=params.get("DestinationArn"),
            max_per_second=rate,
            status="FAILED" if stuck else "COMPLETED",
            moved=len(moves),
            to_move=len(moves) + stuck,
            failure=(
                f"{stuck} messages have no source queue to return to (they were not moved "
                "here by a redrive policy); give a DestinationArn to move them"
                if stuck
                else None
            ),
            started=now,
        )
    )
    return {"TaskHandle": handle}


def list_message_move_tasks(engine: SqsEngine, params: Params) -> Result:
    source = _queue(engine, params, "SourceArn")
    limit = params.get("MaxResults", 1)
    if not isinstance(limit, int) or not 1 <= limit <= MAX_LISTED:
        raise errors.invalid_value("MaxResults", limit, f"Must be between 1 and {MAX_LISTED}.")
    results = []
    for task in engine.queues.move_tasks(engine.arn(source), limit):
        shown: Result = {
            "Status": task.status,
            "SourceArn": task.source_arn,
            "ApproximateNumberOfMessagesMoved": task.moved,
            "ApproximateNumberOfMessagesToMove": task.to_move,
            "StartedTimestamp": int(task.started * 1000),
        }
        if task.destination_arn:
            shown["DestinationArn"] = task.destination_arn
        if task.max_per_second is not None:
            shown["MaxNumberOfMessagesPerSecond"] = task.max_per_second
        if task.failure:
            shown["FailureReason"] = task.failure
        results.append(shown)
    return {"Results": results}


def cancel_message_move_task(engine: SqsEngine, params: Params) -> Result:
    handle = params.get("TaskHandle")
    if not isinstance(handle, str) or not handle:
        raise errors.missing_parameter("TaskHandle")
    for task in engine.queues.move_tasks(limit=1_000_000):
        if task.handle == handle:
            raise errors.invalid_parameter(
                f"Only a task in RUNNING status can be cancelled; this one is {task.status}."
            )
    raise _not_found("TaskHandle")
