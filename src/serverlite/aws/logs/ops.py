"""CloudWatch Logs operations: groups, streams, reading, filtering and writing events.

Tokens are offsets into the filtered event list (a read repeats its filter); GetLogEvents
answers the token it was given once a direction has no more events, which is how the
AWS CLI knows to stop paging.
"""

from __future__ import annotations

import re
from typing import Any

from serverlite.aws.backend import AwsError
from serverlite.aws.logs.context import LogsContext
from serverlite.aws.logs.store import Event
from serverlite.observe.filter_pattern import PatternError, compile_pattern

Params = dict[str, Any]
RETENTION_DAYS = frozenset(
    (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
     2922, 3288, 3653)
)  # fmt: skip
_GROUP_NAME = re.compile(r"[\.\-_/#A-Za-z0-9]{1,512}")
MAX_BATCH_EVENTS = 10_000
MAX_BATCH_BYTES = 1_048_576
PAGE = 10_000


def not_found(what: str = "log group") -> AwsError:
    return AwsError("ResourceNotFoundException", f"The specified {what} does not exist.")


def invalid(message: str) -> AwsError:
    return AwsError("InvalidParameterException", message)


def _group_name(params: Params) -> str:
    name = params.get("logGroupName") or params.get("logGroupIdentifier")
    if not isinstance(name, str) or not name:
        raise invalid("Either logGroupName or logGroupIdentifier must be given.")
    if name.startswith("arn:"):
        name = name.split(":log-group:", 1)[-1].removesuffix(":*")
    return name


def _existing_group(ctx: LogsContext, params: Params) -> str:
    name = _group_name(params)
    if ctx.store.group(name) is None:
        raise not_found()
    return name


def _group_arn(ctx: LogsContext, name: str) -> str:
    return f"arn:aws:logs:{ctx.region}:{ctx.account_id}:log-group:{name}"


def create_log_group(ctx: LogsContext, params: Params) -> Params:
    name = _group_name(params)
    if not _GROUP_NAME.fullmatch(name):
        raise invalid(f"1 validation error detected: Value '{name}' at 'logGroupName' failed "
                      "to satisfy constraint: Member must satisfy regular expression pattern: "
                      "[\\.\\-_/#A-Za-z0-9]+")  # fmt: skip
    if ctx.store.group(name) is not None or not ctx.store.create_group(name):
        raise AwsError("ResourceAlreadyExistsException", "The specified log group already exists")
    return {}


def delete_log_group(ctx: LogsContext, params: Params) -> Params:
    name = _existing_group(ctx, params)
    ctx.store.delete_group(name)
    ctx.subscriptions.delete(name)  # a group's subscription filters go with it
    return {}


def put_retention_policy(ctx: LogsContext, params: Params) -> Params:
    name = _existing_group(ctx, params)
    days = params.get("retentionInDays")
    if days not in RETENTION_DAYS:
        raise invalid(
            f"1 validation error detected: Value '{days}' at 'retentionInDays' failed to "
            "satisfy constraint: Member must satisfy enum value set"
        )
    ctx.store.set_retention(name, int(days))
    return {}


def delete_retention_policy(ctx: LogsContext, params: Params) -> Params:
    ctx.store.set_retention(_existing_group(ctx, params), None)
    return {}


def create_log_stream(ctx: LogsContext, params: Params) -> Params:
    group = _existing_group(ctx, params)
    stream = params.get("logStreamName")
    if not isinstance(stream, str) or not stream or ":" in stream or "*" in stream:
        raise invalid("logStreamName must be 1 to 512 characters without ':' or '*'.")
    if any(s.name == stream for s in ctx.store.streams(group)):
        raise AwsError("ResourceAlreadyExistsException", "The specified log stream already exists")
    ctx.store.create_stream(group, stream)
    return {}


def describe_log_groups(ctx: LogsContext, params: Params) -> Params:
    prefix = params.get("logGroupNamePrefix")
    pattern = params.get("logGroupNamePattern")
    if prefix and pattern:
        raise invalid("logGroupNamePrefix and logGroupNamePattern are mutually exclusive.")
    groups = [
        g
        for g in ctx.store.groups()
        if (not prefix or g.name.startswith(prefix))
        and (not pattern or pattern.lower() in g.name.lower())
    ]
    items = []
    for g in groups:
        item: Params = {
            "logGroupName": g.name,
            "creationTime": g.created_ms,
            "metricFilterCount": 0,
            "arn": _group_arn(ctx, g.name) + ":*",
            "logGroupArn": _group_arn(ctx, g.name),
            "storedBytes": g.stored_bytes,
            "logGroupClass": "STANDARD",
        }
        if g.retention_days:
            item["retentionInDays"] = g.retention_days
        items.append(item)
    return _page(items, "logGroups", params, limit_max=50)


def describe_log_streams(ctx: LogsContext, params: Params) -> Params:
    group = _existing_group(ctx, params)
    prefix = params.get("logStreamNamePrefix")
    order = params.get("orderBy", "LogStreamName")
    if prefix and order == "LastEventTime":
        raise invalid("Cannot order by LastEventTime with a logStreamNamePrefix.")
    streams = [s for s in ctx.store.streams(group) if not prefix or s.name.startswith(prefix)]
    if order == "LastEventTime":
        streams.sort(key=lambda s: s.last_ms or 0, reverse=bool(params.get("descending")))
    else:
        streams.sort(key=lambda s: s.name, reverse=bool(params.get("descending")))
    items = []
    for s in streams:
        item: Params = {
            "logStreamName": s.name,
            "creationTime": s.created_ms,
            "arn": f"{_group_arn(ctx, group)}:log-stream:{s.name}",
            "storedBytes": s.stored_bytes,
        }
        if s.first_ms is not None:
            item |= {
                "firstEventTimestamp": s.first_ms,
                "lastEventTimestamp": s.last_ms,
                "lastIngestionTime": s.last_ms,
            }
        items.append(item)
    return _page(items, "logStreams", params, limit_max=50)


def _page(items: list[Params], key: str, params: Params, *, limit_max: int) -> Params:
    limit = params.get("limit") or limit_max
    offset = _offset(params.get("nextToken"))
    result: Params = {key: items[offset : offset + limit]}
    if offset + limit < len(items):
        result["nextToken"] = f"o/{offset + limit}"
    return result


def _offset(token: Any) -> int:
    if token is None:
        return 0
    if isinstance(token, str) and token[:2] in ("o/", "f/", "b/") and token[2:].isdigit():
        return int(token[2:])
    raise invalid("The specified nextToken is invalid.")


def _event(e: Event, *, stream: bool) -> Params:
    item: Params = {"timestamp": e.timestamp, "message": e.message, "ingestionTime": e.ingestion}
    if stream:
        item |= {"logStreamName": e.stream, "eventId": e.event_id}
    return item


def get_log_events(ctx: LogsContext, params: Params) -> Params:
    group = _existing_group(ctx, params)
    stream = params.get("logStreamName")
    if not isinstance(stream, str) or not any(s.name == stream for s in ctx.store.streams(group)):
        raise not_found("log stream")
    events = ctx.store.events(
        group, streams={stream}, start_ms=params.get("startTime"), end_ms=params.get("endTime")
    )
    limit = min(int(params.get("limit") or PAGE), PAGE)
    token = params.get("nextToken")
    if token is None:
        # From the newest events backwards unless startFromHead, as CloudWatch pages.
        start = 0 if params.get("startFromHead") else max(0, len(events) - limit)
        end = min(len(events), start + limit)
    elif isinstance(token, str) and token.startswith("b/"):
        end = _offset(token)
        start = max(0, end - limit)
    else:
        start = _offset(token)
        end = min(len(events), start + limit)
    forward = f"f/{end}" if end < len(events) or token is None else token
    backward = f"b/{start}" if start > 0 or token is None else token
    if token is not None and token.startswith("f/") and start >= len(events):
        forward = token
    return {
        "events": [_event(e, stream=False) for e in events[start:end]],
        "nextForwardToken": forward if forward.startswith("f/") else f"f/{end}",
        "nextBackwardToken": backward if backward.startswith("b/") else f"b/{start}",
    }


def filter_log_events(ctx: LogsContext, params: Params) -> Params:
    group = _existing_group(ctx, params)
    names = params.get("logStreamNames")
    prefix = params.get("logStreamNamePrefix")
    if names and prefix:
        raise invalid("logStreamNames and logStreamNamePrefix are mutually exclusive.")
    try:
        matches = compile_pattern(params.get("filterPattern"))
    except PatternError as exc:
        raise invalid(f"Invalid filter pattern: {exc}") from exc
    events = [
        e
        for e in ctx.store.events(
            group,
            streams=set(names) if names else None,
            prefix=prefix,
            start_ms=params.get("startTime"),
            end_ms=params.get("endTime"),
        )
        if matches(e.message)
    ]
    limit = min(int(params.get("limit") or PAGE), PAGE)
    offset = _offset(params.get("nextToken"))
    page = events[offset : offset + limit]
    result: Params = {
        "events": [_event(e, stream=True) for e in page],
        "searchedLogStreams": [
            {"logStreamName": s, "searchedCompletely": True}
            for s in sorted({e.stream for e in page})
        ],
    }
    if offset + limit < len(events):
        result["nextToken"] = f"o/{offset + limit}"
    return result


def put_log_events(ctx: LogsContext, params: Params) -> Params:
    group = _existing_group(ctx, params)
    stream = params.get("logStreamName")
    if not isinstance(stream, str) or not any(s.name == stream for s in ctx.store.streams(group)):
        raise not_found("log stream")
    events = params.get("logEvents")
    if not isinstance(events, list) or not events:
        raise invalid("logEvents must hold at least one event.")
    if len(events) > MAX_BATCH_EVENTS:
        raise invalid("A batch holds at most 10,000 log events.")
    size = sum(len(str(e.get("message", "")).encode()) + 26 for e in events)
    if size > MAX_BATCH_BYTES:
        raise invalid("A batch of log events is at most 1,048,576 bytes.")
    stamps = [e.get("timestamp") for e in events]
    if stamps != sorted(stamps):
        raise invalid("Log events in a single PutLogEvents request must be in chronological order.")
    now = ctx.store.now_ms()
    kept: list[tuple[int, str]] = []
    rejected: Params = {}
    for i, e in enumerate(events):
        stamp = int(e["timestamp"])
        if stamp < now - 14 * 86_400_000:  # older than 14 days: CloudWatch rejects them
            rejected["tooOldLogEventEndIndex"] = i + 1
        elif stamp > now + 2 * 3_600_000:  # more than 2 hours ahead
            rejected.setdefault("tooNewLogEventStartIndex", i)
        else:
            kept.append((stamp, str(e.get("message", ""))))
    if kept:
        ctx.sink.write(group, stream, kept)
    result: Params = {"nextSequenceToken": f"{now:056d}"}
    if rejected:
        result["rejectedLogEventsInfo"] = rejected
    return result
