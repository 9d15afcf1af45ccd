"""CreateEventBus, DeleteEventBus, DescribeEventBus, ListEventBuses."""

from __future__ import annotations

from typing import Any

from serverlite.aws.backend import AwsError

from .context import EventsContext, page
from .names import BUS_NAME, DEFAULT_BUS, bus_name, check_name, not_found, validation
from .records import Bus


def require_bus(ctx: EventsContext, name: str) -> Bus:
    bus = ctx.db.bus(name)
    if bus is None:
        raise not_found(f"Event bus {name} does not exist.")
    return bus


def bus_shape(ctx: EventsContext, bus: Bus) -> dict[str, Any]:
    result: dict[str, Any] = {
        "Name": bus.name,
        "Arn": ctx.arns.bus(bus.name),
        "CreationTime": bus.created,
        "LastModifiedTime": bus.modified,
    }
    if bus.description:
        result["Description"] = bus.description
    return result


def create_event_bus(ctx: EventsContext, body: dict[str, Any]) -> dict[str, Any]:
    name = check_name(body.get("Name"), "name", BUS_NAME, 256)
    if "/" in name and not body.get("EventSourceName"):
        raise validation("Event bus name must not contain '/'.")
    if ctx.db.bus(name) is not None:
        raise AwsError("ResourceAlreadyExistsException", f"Event bus {name} already exists.")
    now = ctx.clock()
    ctx.db.put_bus(Bus(name, str(body.get("Description") or ""), now, now))
    result: dict[str, Any] = {"EventBusArn": ctx.arns.bus(name)}
    if body.get("Description"):
        result["Description"] = body["Description"]
    return result


def delete_event_bus(ctx: EventsContext, body: dict[str, Any]) -> dict[str, Any]:
    name = check_name(body.get("Name"), "name", BUS_NAME, 256)
    if name == DEFAULT_BUS:
        raise validation("Cannot delete event bus default.")
    ctx.db.delete_bus(name)  # deleting a bus that does not exist succeeds, as on AWS
    ctx.rules_changed()
    return {}


def describe_event_bus(ctx: EventsContext, body: dict[str, Any]) -> dict[str, Any]:
    return bus_shape(ctx, require_bus(ctx, bus_name(body.get("Name"))))


def list_event_buses(ctx: EventsContext, body: dict[str, Any]) -> dict[str, Any]:
    prefix = str(body.get("NamePrefix") or "")
    buses = [bus_shape(ctx, b) for b in ctx.db.buses() if b.name.startswith(prefix)]
    return page(buses, body, "EventBuses")
