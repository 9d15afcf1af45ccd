"""EventBridge: buses, rules, targets, PutEvents, archives and replays, schedules,
and EventBridge Scheduler.

    (the event pattern language is serverlite.patterns, shared with SNS and SQS)
    envelope            PutEvents entry checks and sizes, the event envelope
    transform           Input, InputPath and InputTransformer (JSON paths, templates)
    targets             what PutTargets accepts; what a target receives
    names               names and ARNs
    records, store      what is kept, on SQLite (events.db)
    router              which rules and archives an event matches (compiled, cached)
    context             what the operations run against; pattern, schedule and paging checks
    ops_buses           CreateEventBus, DeleteEventBus, DescribeEventBus, ListEventBuses
    ops_rules           rules and their targets
    ops_events          PutEvents, TestEventPattern, bus-to-bus forwarding
    ops_archives        archives and replays (and the replay batches the worker runs)
    senders, delivery   delivering to Lambda/SQS/SNS/buses with retries and DLQs
    cron, schedule_expressions, schedule_book, ticker, clock
                        rate()/cron()/at(), which schedule fires when, the schedule loop
    schedule_spec, ops_schedules
                        EventBridge Scheduler's API (rest-json): what a schedule is, its operations
    provision           the template's buses, rules and schedules
    service             the backend: the operations tables, provisioning, workers
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from serverlite.aws.backend import Backend, ServiceContext


def create(context: ServiceContext) -> Backend:
    """The backend; imported here, so importing the package alone stays cheap."""
    from .service import EventsService

    return EventsService(context)
