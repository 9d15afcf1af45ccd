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
from functools import partial
from typing import TYPE_CHECKING

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

from . import (
    iam_actions,
    ops_archives,
    ops_buses,
    ops_events,
    ops_rules,
    ops_schedules,
    provision,
    service_events_route,
)
from .clock import Clock
from .context import EventsContext
from .delivery import TargetWorker
from .metrics import EventsMetrics
from .names import Arns
from .router import RuleRouter
from .senders import TargetSenders
from .store import EventsDb
from .ticker import Ticker

if TYPE_CHECKING:
    from serverlite.invoker import Invoker

log = logging.getLogger("serverlite.events")
DB_FILE = "events.db"

# The one table: op(ctx, request) -> response, as the JSON dispatcher runs them.
OPERATIONS: dict[str, Operation] = {
    "CreateEventBus": ops_buses.create_event_bus,
    "DeleteEventBus": ops_buses.delete_event_bus,
    "DescribeEventBus": ops_buses.describe_event_bus,
    "ListEventBuses": ops_buses.list_event_buses,
    "PutRule": ops_rules.put_rule,
    "DescribeRule": ops_rules.describe_rule,
    "ListRules": ops_rules.list_rules,
    "ListRuleNamesByTarget": ops_rules.list_rule_names_by_target,
    "DeleteRule": ops_rules.delete_rule,
    "EnableRule": ops_rules.enable_rule,
    "DisableRule": ops_rules.disable_rule,
    "PutTargets": ops_rules.put_targets,
    "RemoveTargets": ops_rules.remove_targets,
    "ListTargetsByRule": ops_rules.list_targets_by_rule,
    "PutEvents": ops_events.put_events,
    "TestEventPattern": ops_events.test_event_pattern,
    "CreateArchive": ops_archives.create_archive,
    "UpdateArchive": ops_archives.update_archive,
    "DescribeArchive": ops_archives.describe_archive,
    "ListArchives": ops_archives.list_archives,
    "DeleteArchive": ops_archives.delete_archive,
    "StartReplay": ops_archives.start_replay,
    "DescribeReplay": ops_archives.describe_replay,
    "ListReplays": ops_archives.list_replays,
    "CancelReplay": ops_archives.cancel_replay,
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
        self.ctx = EventsContext(
            self.db,
            self.router,
            self.arns,
            context.clock,
            schedules_changed=self.ticker.changed,
            wake=self._wake,
            wake_replays=self._wake_replays,
            metrics=EventsMetrics(getattr(context.observer, "publisher", None)),
        )
        self.ticker.metrics = self.ctx.metrics
        self._rest = RestJsonService(
            (*ops_schedules.ROUTES, service_events_route.ROUTE),
            Operations(
                "Scheduler",
                self.ctx,
                {**ops_schedules.OPERATIONS, "PutServiceEvents": service_events_route.inject},
                malformed="ValidationException",
                internal="InternalServerException",
                iam=iam_actions.scheduler_map(context.region, context.account_id),
            ),
            max_request_bytes=MiB,  # a schedule's target input is at most 256 KB
            message_key="Message",
        )
        self._internal = Operations(
            "EventBridge",
            self.ctx,
            {"PutServiceEvents": ops_events.put_service_events},
            internal="InternalException",
        )
        self._sam_queues: set[str] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self._json = JsonService(
            "AWSEvents",
            "1.1",
            Operations(
                "EventBridge",
                self.ctx,
                OPERATIONS,
                internal="InternalException",
                iam=iam_actions.events_map(self.arns),
            ),
            # PutEvents takes 256 KB of entries (measured as AWS measures them, checked
            # in ops_events); a Detail is JSON inside JSON, escaped twice on the wire, so
            # the endpoint refuses only past 4 MiB.
            max_request_bytes=4 * MiB,
        )

    @property
    def internal(self) -> Operations:
        return self._internal

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
        # Resources SAM generates are listed too: the template names no such queue, and a
        # user looking for where undeliverable events went would not find it otherwise.
        lines += [
            backend.ProvisionedResource(
                "sqs", "queue", arn.rsplit(":", 1)[1], "SAM-generated: DeadLetterConfig Type SQS"
            )
            for arn in sorted(found.sam_queues)
        ]
        self.router.invalidate()
        self.ticker.changed()
        return lines

    # -- workers -----------------------------------------------------------------------
    async def start_event_sources(self, invoker: Invoker) -> None:
        """Start delivering and scheduling (``serverlite up`` only; LocalCloud calls this)."""
        clock = Clock(self.ticker.clock.real, self.time_scale)
        sender = ArnSender(self.aws, invoker.invoke, self.endpoint_url)
        senders = TargetSenders(sender, partial(ops_events.forward, self.ctx))
        run_replays = partial(ops_archives.run_replays, self.ctx)
        self.worker = TargetWorker(
            self.db, senders, clock, run_replays=run_replays, metrics=self.ctx.metrics
        )
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

    def clock_moved(self) -> None:
        self.ticker.changed()  # schedules due in the jump fire now

    def template_provisioned(self) -> None:
        self.db.snapshot()

    def reset(self) -> None:
        """Buses, rules, targets, archives and schedules as the template made them;
        archived events, replays, pending deliveries and a test's own changes gone."""
        self.db.restore()
        self.router.invalidate()  # compiled rules and archive patterns read again
        self.ticker.changed()  # the schedule book too

    def close(self) -> None:
        self.db.close()
