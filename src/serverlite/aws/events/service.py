"""EventBridge (and EventBridge Scheduler) as a serverlite service.

The JSON 1.1 endpoint (``AWSEvents``), the Scheduler's rest-json routes, the
template's buses, rules and schedules, and two background workers that
``serverlite up`` starts (as an event source): the delivery worker and the
schedule loop. Without them
(``serverlite invoke``) events are still accepted and stored; they are delivered
when a ``serverlite up`` next runs on the same state directory.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from serverlite.aws import backend
from serverlite.aws.arn_sender import ArnSender
from serverlite.aws.backend import (
    AwsError,
    JsonService,
    MiB,
    Operation,
    Operations,
    RestJsonService,
)
from serverlite.template.model import Application

from . import provision, scheduler_routes
from .archives import Archives
from .clock import Clock
from .delivery import TargetWorker
from .ingest import Ingest
from .names import Arns
from .operations import BusesAndRules
from .router import RuleRouter
from .scheduler_api import SchedulerApi
from .senders import TargetSenders
from .store import EventsDb
from .ticker import Ticker

if TYPE_CHECKING:
    from serverlite.invoker import Invoker

log = logging.getLogger("serverlite.events")
DB_FILE = "events.db"


@dataclass(frozen=True)
class EventsApi:
    """What EventBridge's operations run against."""

    rules: BusesAndRules
    ingest: Ingest
    archives: Archives


Method = Callable[[Any, dict[str, Any]], dict[str, Any]]


def _rules(method: Method) -> Operation:
    return lambda api, body: method(api.rules, body)


def _ingest(method: Method) -> Operation:
    return lambda api, body: method(api.ingest, body)


def _archives(method: Method) -> Operation:
    return lambda api, body: method(api.archives, body)


# The one table: op(api, request) -> response, as the JSON dispatcher runs them.
OPERATIONS: dict[str, Operation] = {
    "CreateEventBus": _rules(BusesAndRules.create_event_bus),
    "DeleteEventBus": _rules(BusesAndRules.delete_event_bus),
    "DescribeEventBus": _rules(BusesAndRules.describe_event_bus),
    "ListEventBuses": _rules(BusesAndRules.list_event_buses),
    "PutRule": _rules(BusesAndRules.put_rule),
    "DescribeRule": _rules(BusesAndRules.describe_rule),
    "ListRules": _rules(BusesAndRules.list_rules),
    "ListRuleNamesByTarget": _rules(BusesAndRules.list_rule_names_by_target),
    "DeleteRule": _rules(BusesAndRules.delete_rule),
    "EnableRule": _rules(BusesAndRules.enable_rule),
    "DisableRule": _rules(BusesAndRules.disable_rule),
    "PutTargets": _rules(BusesAndRules.put_targets),
    "RemoveTargets": _rules(BusesAndRules.remove_targets),
    "ListTargetsByRule": _rules(BusesAndRules.list_targets_by_rule),
    "PutEvents": _ingest(Ingest.put_events),
    "TestEventPattern": _ingest(Ingest.test_event_pattern),
    "CreateArchive": _archives(Archives.create_archive),
    "UpdateArchive": _archives(Archives.update_archive),
    "DescribeArchive": _archives(Archives.describe_archive),
    "ListArchives": _archives(Archives.list_archives),
    "DeleteArchive": _archives(Archives.delete_archive),
    "StartReplay": _archives(Archives.start_replay),
    "DescribeReplay": _archives(Archives.describe_replay),
    "ListReplays": _archives(Archives.list_replays),
    "CancelReplay": _archives(Archives.cancel_replay),
}


class EventsService(backend.Backend):
    name = "events"
    title = "EventBridge + Scheduler"

    def __init__(self, context: backend.ServiceContext) -> None:
        self.aws = context.aws  # the other services, reached in-process (SQS, SNS targets)
        self.endpoint_url = context.endpoint_url
        self.time_scale = context.time_scale
        self.arns = Arns(context.region, context.account_id)
        self.db = EventsDb(context.state_dir / DB_FILE)
        self.clock = context.clock
        self.router = RuleRouter(self.db, self.arns)
        self.ticker = Ticker(self.db, self.router, self.arns, Clock(context.clock), self._wake)
        self.worker: TargetWorker | None = None
        self.rules = BusesAndRules(
            self.db, self.router, self.arns, context.clock, self.ticker.changed
        )
        self.ingest = Ingest(self.db, self.router, self.arns, context.clock, self._wake)
        self.archives = Archives(self.db, self.router, self.arns, context.clock, self._wake_replays)
        self.scheduler = SchedulerApi(self.db, self.arns, context.clock, self.ticker.changed)
        self._rest = scheduler_routes.face(self.scheduler)
        self._sam_queues: set[str] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self._json = JsonService(
            "AWSEvents",
            "1.1",
            Operations(
                "EventBridge",
                EventsApi(self.rules, self.ingest, self.archives),
                OPERATIONS,
                internal="InternalException",
            ),
            # PutEvents takes 256 KB of entries (measured as AWS measures them, checked
            # by Ingest); a Detail is JSON inside JSON, escaped twice on the wire, so
            # the endpoint refuses only past 4 MiB.
            max_request_bytes=4 * MiB,
        )

    @property
    def json(self) -> JsonService:
        return self._json

    @property
    def rest(self) -> RestJsonService:
        """EventBridge Scheduler's rest-json API."""
        return self._rest

    def _wake(self) -> None:
        if self.worker is not None:
            self.worker.wake()

    def _wake_replays(self) -> None:
        if self.worker is not None:
            self.worker.wake_replays()

    # -- template ----------------------------------------------------------------------
    def provision(self, app: Application) -> list[backend.ProvisionedResource]:
        found = provision.declarations(app)
        lines = provision.apply(self.db, found, self.clock)
        self._sam_queues = found.sam_queues
        self.router.invalidate()
        self.ticker.changed()
        return lines

    # -- workers -----------------------------------------------------------------------
    async def start_event_sources(self, invoker: Invoker) -> None:
        """Start delivering and scheduling (``serverlite up`` only; LocalCloud calls this)."""
        clock = Clock(self.ticker.clock.real, self.time_scale)
        sender = ArnSender(self.aws, invoker.invoke, self.endpoint_url)
        senders = TargetSenders(sender, self.ingest.forward)
        self.worker = TargetWorker(self.db, senders, clock, run_replays=self.archives.run_replays)
        self.ticker.clock = clock  # the scaled clock of this run, from its start
        self.ticker.changed()
        await self._create_sam_queues()
        self._tasks = [
            asyncio.create_task(self.worker.run(), name="events-delivery"),
            asyncio.create_task(self.ticker.run(), name="events-schedules"),
        ]

    async def _create_sam_queues(self) -> None:
        """Queues SAM creates for ``DeadLetterConfig: {Type: SQS}``."""
        if not self._sam_queues:
            return
        if not self.aws.has("sqs"):
            log.warning(
                "the template's EventBridge dead-letter queues need SQS, which is not running"
            )
            return
        for arn in sorted(self._sam_queues):
            with contextlib.suppress(AwsError):
                await self.aws.call("sqs", "CreateQueue", {"QueueName": arn.rsplit(":", 1)[1]})

    async def stop_event_sources(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        self.worker = None

    def close(self) -> None:
        self.db.close()
