"""StartLiveTail: a stream of the log events ingested while the session is open.

As CloudWatch Logs sends it: a ``sessionStart`` event, then a ``sessionUpdate`` every
second (an empty one when nothing arrived) with up to 500 log events, sampled down to
500 (``sessionMetadata.sampled``) when more matched, until the client closes the
stream or three hours pass (``SessionTimeoutException``).

botocore sends StartLiveTail to the host ``stream-`` + the endpoint's host (the
operation's endpoint host prefix), which does not resolve for a loopback endpoint: a
client sets ``AWS_DISABLE_HOST_PREFIX_INJECTION=true`` or
``Config(inject_host_prefix=False)`` (``serverlite aws`` and functions have it set).
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import AsyncIterator
from typing import Any

from serverlite.aws.backend import AwsError, EventStreamOutput
from serverlite.aws.logs.context import LogsContext
from serverlite.aws.logs.ops import Params, _group_name, invalid, not_found
from serverlite.observe.filter_pattern import PatternError, compile_pattern

UPDATE_S = 1.0
MAX_RESULTS = 500  # a sessionUpdate's events; more are sampled down to these
SESSION_S = 3 * 3600
MAX_GROUPS = 10
MAX_STREAMS = 100


def start_live_tail(ctx: LogsContext, params: Params) -> EventStreamOutput:
    identifiers = params.get("logGroupIdentifiers")
    if not isinstance(identifiers, list) or not 1 <= len(identifiers) <= MAX_GROUPS:
        raise invalid("logGroupIdentifiers names 1 to 10 log groups.")
    groups = {str(i): _group_name({"logGroupIdentifier": i}) for i in identifiers}
    for name in groups.values():
        if ctx.store.group(name) is None:
            raise not_found()
    names = params.get("logStreamNames")
    prefixes = params.get("logStreamNamePrefixes")
    if names and prefixes:
        raise invalid("logStreamNames and logStreamNamePrefixes are mutually exclusive.")
    if (names or prefixes) and len(groups) != 1:
        raise invalid(
            "logStreamNames and logStreamNamePrefixes can be given with exactly one log group."
        )
    if len(names or prefixes or ()) > MAX_STREAMS:
        raise invalid("At most 100 log stream names or prefixes.")
    pattern = params.get("logEventFilterPattern")
    try:
        matches = compile_pattern(pattern or "")
    except PatternError as exc:
        raise invalid(f"Invalid filter pattern: {exc}") from exc
    start: Params = {
        "requestId": str(uuid.uuid4()),
        "sessionId": str(uuid.uuid4()),
        "logGroupIdentifiers": list(groups),
    }
    if names:
        start["logStreamNames"] = names
    if prefixes:
        start["logStreamNamePrefixes"] = prefixes
    if pattern:
        start["logEventFilterPattern"] = pattern

    def wanted(stream: str, message: str) -> bool:
        if names and stream not in names:
            return False
        if prefixes and not any(stream.startswith(p) for p in prefixes):
            return False
        return matches(message)

    return EventStreamOutput({}, _session(ctx, start, groups, wanted))


async def _session(
    ctx: LogsContext, start: Params, groups: dict[str, str], wanted: Any
) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    cursor = await asyncio.to_thread(ctx.subscriptions.last_batch)
    cursors = dict.fromkeys(groups, cursor)
    began = ctx.context.clock()
    ended = ctx.live_tails_end
    yield "sessionStart", start
    while not ended.is_set():
        await asyncio.sleep(UPDATE_S)
        if ctx.context.clock() - began >= SESSION_S:
            raise AwsError("SessionTimeoutException", "Session timed out after three hours.")
        results = []
        now = ctx.store.now_ms()
        for identifier, group in groups.items():
            stored = await asyncio.to_thread(
                ctx.store.logs.read, group, after_id=cursors[identifier]
            )
            if stored:
                cursors[identifier] = stored[-1].id
            results += [
                {
                    "logStreamName": e.log_stream,
                    "logGroupIdentifier": identifier,
                    "message": e.message,
                    "timestamp": e.timestamp_ms,
                    "ingestionTime": now,
                }
                for e in stored
                if wanted(e.log_stream, e.message)
            ]
        sampled = len(results) > MAX_RESULTS
        if sampled:  # sampled down, the order kept
            keep = sorted(random.sample(range(len(results)), MAX_RESULTS))
            results = [results[i] for i in keep]
        yield "sessionUpdate", {"sessionMetadata": {"sampled": sampled}, "sessionResults": results}
