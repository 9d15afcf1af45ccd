"""Archives and replays: CreateArchive, UpdateArchive, DescribeArchive, ListArchives,
DeleteArchive, StartReplay, DescribeReplay, ListReplays, CancelReplay, and the
replay batches the delivery worker runs.

An archive keeps a copy of every event on its bus that matches its pattern (all
events when it has none), for RetentionDays (0: for ever). StartReplay sends the
events archived in a time window back to the bus, to its rules only (not to
archives) or to the rules named in FilterArns, each carrying "replay-name". The
window is the archive's receipt time. A replay runs in the background worker
and survives a restart: it resumes after the last event it replayed.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from serverlite.aws.backend import AwsError

from .context import EventsContext, check_pattern, page
from .envelope import with_replay_name
from .names import ARCHIVE_NAME, RULE_NAME, check_name, not_found, validation
from .records import Archive, Replay
from .store import NewDelivery

REPLAY_BATCH = 100
DAY_S = 86400


# -- archives ----------------------------------------------------------------------
def _require(ctx: EventsContext, name: str) -> Archive:
    archive = ctx.db.archive(name)
    if archive is None:
        raise not_found(f"Archive {name} does not exist.")
    return archive


def create_archive(ctx: EventsContext, body: dict[str, Any]) -> dict[str, Any]:
    name = check_name(body.get("ArchiveName"), "archiveName", ARCHIVE_NAME, 48)
    source = str(body.get("EventSourceArn") or "")
    bus = source.partition(":event-bus/")[2]
    if not bus or ctx.db.bus(bus) is None:
        raise not_found(f"Event bus {bus or source} does not exist.")
    if ctx.db.archive(name) is not None:
        raise AwsError("ResourceAlreadyExistsException", f"Archive {name} already exists.")
    pattern = body.get("EventPattern")
    if pattern:
        check_pattern(pattern)
    now = ctx.clock()
    archive = Archive(
        name,
        bus,
        str(body.get("Description") or ""),
        pattern or None,
        _retention(body.get("RetentionDays")),
        now,
        "ENABLED",
    )
    ctx.db.put_archive(archive)
    ctx.router.invalidate()
    return {"ArchiveArn": ctx.arns.archive(name), "State": "ENABLED", "CreationTime": now}


def update_archive(ctx: EventsContext, body: dict[str, Any]) -> dict[str, Any]:
    archive = _require(ctx, str(body.get("ArchiveName")))
    if body.get("EventPattern"):
        check_pattern(body["EventPattern"])
    archive = replace(
        archive,
        description=str(body.get("Description", archive.description) or ""),
        pattern=body.get("EventPattern", archive.pattern) or None,
        retention_days=_retention(body.get("RetentionDays", archive.retention_days)),
    )
    ctx.db.put_archive(archive)
    ctx.router.invalidate()
    return {
        "ArchiveArn": ctx.arns.archive(archive.name),
        "State": archive.state,
        "CreationTime": archive.created,
    }


def describe_archive(ctx: EventsContext, body: dict[str, Any]) -> dict[str, Any]:
    archive = _expired(ctx, _require(ctx, str(body.get("ArchiveName"))))
    result = _archive(ctx, archive)
    result["ArchiveArn"] = ctx.arns.archive(archive.name)
    if archive.description:
        result["Description"] = archive.description
    if archive.pattern:
        result["EventPattern"] = archive.pattern
    return result


def _archive(ctx: EventsContext, archive: Archive) -> dict[str, Any]:
    return {
        "ArchiveName": archive.name,
        "EventSourceArn": ctx.arns.bus(archive.bus),
        "State": archive.state,
        "RetentionDays": archive.retention_days,
        "SizeBytes": archive.size_bytes,
        "EventCount": archive.event_count,
        "CreationTime": archive.created,
    }


def _expired(ctx: EventsContext, archive: Archive) -> Archive:
    """Drop events past the retention period (lazily, when the archive is read)."""
    if archive.retention_days:
        ctx.db.expire_archived(archive.name, ctx.clock() - archive.retention_days * DAY_S)
        return ctx.db.archive(archive.name) or archive
    return archive


def list_archives(ctx: EventsContext, body: dict[str, Any]) -> dict[str, Any]:
    filters = [body.get(k) for k in ("NamePrefix", "EventSourceArn", "State")]
    if sum(f is not None for f in filters) > 1:
        raise validation(
            "At most one filter is allowed for ListArchives. "
            "Use either : State, EventSourceArn, or NamePrefix."
        )
    prefix, source, state = filters
    archives = [
        _archive(ctx, a)
        for a in ctx.db.archives()
        if a.name.startswith(prefix or "")
        and (source is None or ctx.arns.bus(a.bus) == source)
        and (state is None or a.state == state)
    ]
    return page(archives, body, "Archives")


def delete_archive(ctx: EventsContext, body: dict[str, Any]) -> dict[str, Any]:
    archive = _require(ctx, str(body.get("ArchiveName")))
    ctx.db.delete_archive(archive.name)
    ctx.router.invalidate()
    return {}


# -- replays -----------------------------------------------------------------------
def start_replay(ctx: EventsContext, body: dict[str, Any]) -> dict[str, Any]:
    name = check_name(body.get("ReplayName"), "replayName", RULE_NAME, 64)
    source = str(body.get("EventSourceArn") or "")
    archive = ctx.db.archive(source.partition(":archive/")[2])
    if archive is None:
        raise validation(
            f"Parameter EventSourceArn is not valid. Reason: Archive "
            f"{source.rpartition('/')[2]} does not exist."
        )
    destination = body.get("Destination") or {}
    if destination.get("Arn") != ctx.arns.bus(archive.bus):
        raise validation(
            "Parameter Destination.Arn is not valid. "
            "Reason: Cross event bus replay is not permitted."
        )
    start, end = body.get("EventStartTime"), body.get("EventEndTime")
    if not isinstance(start, int | float) or not isinstance(end, int | float):
        raise validation("Parameters EventStartTime and EventEndTime are required.")
    if start >= end:
        raise validation(
            "Parameter EventEndTime is not valid. "
            "Reason: EventStartTime must be before EventEndTime."
        )
    if ctx.db.replay(name) is not None:
        raise AwsError("ResourceAlreadyExistsException", f"Replay {name} already exists.")
    now = ctx.clock()
    ctx.db.put_replay(
        Replay(
            name,
            archive.name,
            str(body.get("Description") or ""),
            float(start),
            float(end),
            dict(destination),
            "STARTING",
            "",
            now,
            None,
            None,
            0,
        )
    )
    ctx.wake_replays()
    return {"ReplayArn": ctx.arns.replay(name), "State": "STARTING", "ReplayStartTime": now}


def describe_replay(ctx: EventsContext, body: dict[str, Any]) -> dict[str, Any]:
    replay = ctx.db.replay(str(body.get("ReplayName")))
    if replay is None:
        raise not_found(f"Replay {body.get('ReplayName')} does not exist.")
    result = _replay(ctx, replay)
    result["ReplayArn"] = ctx.arns.replay(replay.name)
    result["Destination"] = replay.destination
    if replay.description:
        result["Description"] = replay.description
    return result


def _replay(ctx: EventsContext, replay: Replay) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ReplayName": replay.name,
        "EventSourceArn": ctx.arns.archive(replay.archive),
        "State": replay.state,
        "EventStartTime": replay.start,
        "EventEndTime": replay.end,
        "ReplayStartTime": replay.started,
    }
    if replay.reason:
        result["StateReason"] = replay.reason
    if replay.finished is not None:
        result["ReplayEndTime"] = replay.finished
    if replay.last_replayed is not None:
        result["EventLastReplayedTime"] = replay.last_replayed
    return result


def list_replays(ctx: EventsContext, body: dict[str, Any]) -> dict[str, Any]:
    prefix, state = str(body.get("NamePrefix") or ""), body.get("State")
    source = body.get("EventSourceArn")
    replays = [
        _replay(ctx, r)
        for r in ctx.db.replays()
        if r.name.startswith(prefix)
        and (state is None or r.state == state)
        and (source is None or ctx.arns.archive(r.archive) == source)
    ]
    return page(replays, body, "Replays")


def cancel_replay(ctx: EventsContext, body: dict[str, Any]) -> dict[str, Any]:
    replay = ctx.db.replay(str(body.get("ReplayName")))
    if replay is None:
        raise not_found(f"Replay {body.get('ReplayName')} does not exist.")
    if replay.state not in ("STARTING", "RUNNING"):
        raise AwsError("IllegalStatusException", f"Replay {replay.name} is not running.")
    ctx.db.put_replay(replace(replay, state="CANCELLED", finished=ctx.clock()))
    return {"ReplayArn": ctx.arns.replay(replay.name), "State": "CANCELLING"}


# -- the worker's side -----------------------------------------------------------------
def run_replays(ctx: EventsContext) -> bool:
    """Replay a batch of every running replay; True while any has more to do."""
    busy = False
    for replay in ctx.db.replays():
        if replay.state in ("STARTING", "RUNNING"):
            busy = _replay_batch(ctx, replay) or busy
    return busy


def _replay_batch(ctx: EventsContext, replay: Replay) -> bool:
    archive = ctx.db.archive(replay.archive)
    if archive is None:
        ctx.db.put_replay(
            replace(replay, state="FAILED", reason="The archive was deleted.", finished=ctx.clock())
        )
        return False
    rows = ctx.db.archived_after(
        archive.name, replay.cursor, replay.start, replay.end, REPLAY_BATCH
    )
    filters = replay.destination.get("FilterArns") or None
    deliveries: list[NewDelivery] = []
    for _, at, event in rows:
        event_json = with_replay_name(event, replay.name)
        routed = ctx.router.route(archive.bus, event_json, at, only_rules=filters, archive=False)
        deliveries += routed.deliveries
    now = ctx.clock()
    if deliveries:
        ctx.db.enqueue(deliveries, now)
        ctx.wake_replays()
    done = len(rows) < REPLAY_BATCH
    ctx.db.put_replay(
        replace(
            replay,
            state="COMPLETED" if done else "RUNNING",
            cursor=rows[-1][0] if rows else replay.cursor,
            last_replayed=rows[-1][1] if rows else replay.last_replayed,
            finished=now if done else None,
        )
    )
    return not done


def _retention(value: Any) -> int:
    if value is None:
        return 0
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise validation(
            f"1 validation error detected: Value '{value}' at 'retentionDays' failed to "
            "satisfy constraint: Member must have value greater than or equal to 0"
        )
    return value
