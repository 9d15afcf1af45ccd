"""Events coming in: PutEvents, events forwarded from another bus, and TestEventPattern.

PutEvents answers one result per entry, in order: an EventId, or an ErrorCode and
ErrorMessage (AWS keeps going after a bad entry). The deliveries and archive
copies of every accepted entry are committed in one transaction before the
answer, so an acknowledged event survives a kill -9.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from serverlite import ids
from serverlite.aws.backend import AwsError
from serverlite.patterns import compile_pattern, parse_event

from .envelope import (
    MAX_ENTRIES,
    MAX_REQUEST_BYTES,
    EntryError,
    build_event,
    check_entry,
    entry_size,
    event_time,
)
from .names import Arns, bus_name, validation
from .operations import check_pattern
from .router import RuleRouter
from .store import EventsDb, NewDelivery

MAX_HOPS = 5  # bus-to-bus forwarding stops here, so a loop of buses cannot spin forever
# The API reference lists `resources` as mandatory too, but AWS answers events without it
# (observed): these six are what it refuses an event for lacking.
TEST_EVENT_FIELDS = ("id", "account", "source", "time", "region", "detail-type")


class Ingest:
    def __init__(
        self,
        db: EventsDb,
        router: RuleRouter,
        arns: Arns,
        clock: Callable[[], float],
        wake: Callable[[], None],
    ) -> None:
        self.db = db
        self.router = router
        self.arns = arns
        self.clock = clock
        self._wake = wake  # the delivery worker has work

    def put_events(self, body: dict[str, Any]) -> dict[str, Any]:
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
        now = self.clock()
        results: list[dict[str, str]] = []
        deliveries: list[NewDelivery] = []
        archived: list[tuple[str, str]] = []
        buses = {b.name for b in self.db.buses()}
        for entry in entries:
            outcome = self._entry(entry if isinstance(entry, dict) else {}, buses, now)
            if isinstance(outcome, EntryError):
                results.append(outcome.result())
                continue
            event_id, bus, event_json = outcome
            routed = self.router.route(bus, event_json, now)
            deliveries += routed.deliveries
            archived += routed.archived
            results.append({"EventId": event_id})
        if deliveries or archived:
            self.db.enqueue(deliveries, now, archived)
        if deliveries:
            self._wake()
        failed = sum(1 for r in results if "ErrorCode" in r)
        return {"FailedEntryCount": failed, "Entries": results}

    def _entry(
        self, entry: dict[str, Any], buses: set[str], now: float
    ) -> EntryError | tuple[str, str, str]:
        error = check_entry(entry)
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
            account=self.arns.account,
            region=self.arns.region,
            time=event_time(entry.get("Time"), now),
            resources=entry.get("Resources") or (),
        )
        return event_id, bus, event_json

    def forward(self, bus: str, event_json: str, hops: int) -> int:
        """An event delivered to a bus target: route it on that bus (cross-bus)."""
        if self.db.bus(bus) is None:
            raise LookupError(f"Event bus {bus} does not exist.")
        if hops > MAX_HOPS:
            raise OverflowError(f"the event crossed more than {MAX_HOPS} buses")
        now = self.clock()
        routed = self.router.route(bus, event_json, now, hops=hops)
        if routed.deliveries or routed.archived:
            self.db.enqueue(routed.deliveries, now, routed.archived)
        if routed.deliveries:
            self._wake()
        return len(routed.deliveries)

    def test_event_pattern(self, body: dict[str, Any]) -> dict[str, Any]:
        pattern = check_pattern(body.get("EventPattern"))
        text = body.get("Event")
        try:
            event = parse_event(str(text))
        except ValueError:
            event = None
        if not isinstance(event, dict) or any(field not in event for field in TEST_EVENT_FIELDS):
            raise validation("Parameter Event is not valid.")
        return {"Result": compile_pattern(pattern).matches(event)}
