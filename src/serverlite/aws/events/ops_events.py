"""Events coming in: PutEvents, TestEventPattern, and events forwarded from another bus.

PutEvents answers one result per entry, in order: an EventId, or an ErrorCode and
ErrorMessage (AWS keeps going after a bad entry). The deliveries and archive
copies of every accepted entry are committed in one transaction before the
answer, so an acknowledged event survives a kill -9.
"""

from __future__ import annotations

from typing import Any

from serverlite import ids
from serverlite.aws.backend import AwsError
from serverlite.observe.tracing import current_header
from serverlite.patterns import compile_pattern, parse_event

from .context import EventsContext, check_pattern
from .envelope import (
    MAX_ENTRIES,
    MAX_REQUEST_BYTES,
    EntryError,
    build_event,
    check_entry,
    entry_size,
    event_time,
)
from .names import bus_name, validation
from .store import NewDelivery

MAX_HOPS = 5  # bus-to-bus forwarding stops here, so a loop of buses cannot spin forever
# The API reference lists `resources` as mandatory too, but AWS answers events without it
# (observed): these six are what it refuses an event for lacking.
TEST_EVENT_FIELDS = ("id", "account", "source", "time", "region", "detail-type")


def put_service_events(ctx: EventsContext, body: dict[str, Any]) -> dict[str, Any]:
    """PutEvents as an AWS service sends its own events (S3's ``aws.s3``): in-process
    only, never on the wire, where an aws.* source is NotAuthorizedForSourceException."""
    return put_events(ctx, body, service=True)


def put_events(
    ctx: EventsContext, body: dict[str, Any], *, service: bool = False
) -> dict[str, Any]:
    entries = body.get("Entries")
    if not isinstance(entries, list) or not entries:
        raise validation(
            "1 validation error detected: Value null at 'entries' failed to "
            "satisfy constraint: Member must not be null"
        )
    if len(entries) > MAX_ENTRIES:
        raise validation(
            "1 validation error detected: Value '[PutEventsRequestEntry]' at 'entries' failed "
            "to satisfy constraint: Member must have length less than or equal to "
            f"{MAX_ENTRIES}"
        )
    if sum(entry_size(e) for e in entries if isinstance(e, dict)) > MAX_REQUEST_BYTES:
        raise validation("Total size of the entries in the request is over the limit.")
    now = ctx.clock()
    results: list[dict[str, str]] = []
    deliveries: list[NewDelivery] = []
    archived: list[tuple[str, str]] = []
    buses = {b.name for b in ctx.db.buses()}
    for entry in entries:
        outcome = _entry(ctx, entry if isinstance(entry, dict) else {}, buses, now, service)
        if isinstance(outcome, EntryError):
            results.append(outcome.result())
            continue
        event_id, bus, event_json = outcome
        routed = ctx.router.route(bus, event_json, now)
        ctx.metrics.matched(bus, routed.rules)
        trace = entry.get("TraceHeader") if isinstance(entry, dict) else None
        trace = trace if isinstance(trace, str) and trace else current_header()
        if trace:  # targets continue the sender's X-Ray trace (the entry's TraceHeader)
            deliveries += [({**t, "_trace": trace}, p, e) for t, p, e in routed.deliveries]
        else:
            deliveries += routed.deliveries
        archived += routed.archived
        results.append({"EventId": event_id})
        if not service:  # a custom event is billed; AWS services' events are free
            ctx.metrics.published(bus, entry_size(entry))
    if deliveries or archived:
        ctx.db.enqueue(deliveries, now, archived)
    if deliveries:
        ctx.wake()
    failed = sum(1 for r in results if "ErrorCode" in r)
    return {"FailedEntryCount": failed, "Entries": results}


def _entry(
    ctx: EventsContext, entry: dict[str, Any], buses: set[str], now: float, service: bool
) -> EntryError | tuple[str, str, str]:
    error = check_entry(entry, service=service)
    if error is not None:
        return error
    try:
        bus = bus_name(entry.get("EventBusName"))
    except AwsError as exc:
        return EntryError("InvalidArgument", exc.message)
    if bus not in buses:
        return EntryError("ResourceNotFoundException", f"Event bus {bus} does not exist.")
    event_id = ids.request_id()
    event_json = build_event(
        event_id=event_id,
        source=entry["Source"],
        detail_type=entry["DetailType"],
        detail_json=entry["Detail"],
        account=ctx.arns.account,
        region=ctx.arns.region,
        time=event_time(entry.get("Time"), now),
        resources=entry.get("Resources") or (),
    )
    return event_id, bus, event_json


def forward(ctx: EventsContext, bus: str, event_json: str, hops: int) -> int:
    """An event delivered to a bus target: route it on that bus (cross-bus)."""
    if ctx.db.bus(bus) is None:
        raise LookupError(f"Event bus {bus} does not exist.")
    if hops > MAX_HOPS:
        raise OverflowError(f"the event crossed more than {MAX_HOPS} buses")
    now = ctx.clock()
    routed = ctx.router.route(bus, event_json, now, hops=hops)
    ctx.metrics.matched(bus, routed.rules)
    if routed.deliveries or routed.archived:
        ctx.db.enqueue(routed.deliveries, now, routed.archived)
    if routed.deliveries:
        ctx.wake()
    return len(routed.deliveries)


def test_event_pattern(ctx: EventsContext, body: dict[str, Any]) -> dict[str, Any]:
    pattern = check_pattern(body.get("EventPattern"))
    text = body.get("Event")
    try:
        event = parse_event(str(text))
    except ValueError:
        event = None
    if not isinstance(event, dict) or any(field not in event for field in TEST_EVENT_FIELDS):
        raise validation("Parameter Event is not valid.")
    return {"Result": compile_pattern(pattern).matches(event)}
