"""The CloudWatch Logs backend: JSON 1.1 (``Logs_20140328``), over the log store that
functions write to; ``AWS::Logs::LogGroup`` resources exist with their retention, and
``AWS::Logs::SubscriptionFilter`` resources and SAM's ``CloudWatchLogs`` events are
subscription filters, delivered while event sources run."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from serverlite.aws.arn_sender import ArnSender
from serverlite.aws.backend import (
    AwsError,
    Backend,
    JsonService,
    Operations,
    ProvisionedResource,
    ServiceContext,
)
from serverlite.aws.logs import ops, ops_subscriptions
from serverlite.aws.logs.context import LogsContext
from serverlite.aws.logs.insights import QueryError, event_row, results, run
from serverlite.aws.logs.live_tail import start_live_tail
from serverlite.aws.logs.subscription_delivery import SubscriptionDelivery
from serverlite.aws.logs.subscriptions import SubscriptionFilter
from serverlite.observe.observer import Observer

if TYPE_CHECKING:
    from serverlite.invoker.invoker import Invoker
    from serverlite.template.model import Application

MAX_QUERY_LIMIT = 10_000


def start_query(ctx: LogsContext, params: dict[str, Any]) -> dict[str, Any]:
    names = list(params.get("logGroupNames") or params.get("logGroupIdentifiers") or [])
    if params.get("logGroupName"):
        names.append(params["logGroupName"])
    if not names:
        raise ops.invalid("A query names at least one log group.")
    query = params.get("queryString")
    if not isinstance(query, str) or not query.strip():
        raise ops.invalid("queryString is required.")
    start, end = params.get("startTime"), params.get("endTime")
    if not isinstance(start, int) or not isinstance(end, int) or end < start:
        raise ops.invalid("startTime and endTime are epoch seconds, endTime not before startTime.")
    limit = params.get("limit")
    if limit is not None and not 1 <= limit <= MAX_QUERY_LIMIT:
        raise ops.invalid("limit is between 1 and 10000.")
    rows = []
    scanned = 0
    for name in names:
        group = ops._group_name({"logGroupName": name})
        if ctx.store.group(group) is None:
            raise ops.not_found()
        events = ctx.store.events(group, start_ms=start * 1000, end_ms=end * 1000 + 999)
        scanned += sum(len(e.message) for e in events)
        rows += [event_row(e, group, ctx.account_id) for e in events]
    try:
        found = run(query, rows, limit or 1000)
    except QueryError as exc:
        raise AwsError("MalformedQueryException", str(exc)) from exc
    query_id = str(uuid.uuid4())
    ctx.queries[query_id] = {
        "results": results(found),
        "statistics": {
            "recordsMatched": float(len(found)),
            "recordsScanned": float(len(rows)),
            "bytesScanned": float(scanned),
        },
        "status": "Complete",
    }
    return {"queryId": query_id}


def get_query_results(ctx: LogsContext, params: dict[str, Any]) -> dict[str, Any]:
    found = ctx.queries.get(params.get("queryId", ""))
    if found is None:
        raise AwsError("ResourceNotFoundException", "The specified query does not exist.")
    return {"queryLanguage": "CWLI", **found}


def stop_query(ctx: LogsContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"success": False}  # queries complete when started: nothing left to stop


OPERATIONS = {
    "CreateLogGroup": ops.create_log_group,
    "DeleteLogGroup": ops.delete_log_group,
    "CreateLogStream": ops.create_log_stream,
    "DescribeLogGroups": ops.describe_log_groups,
    "DescribeLogStreams": ops.describe_log_streams,
    "GetLogEvents": ops.get_log_events,
    "FilterLogEvents": ops.filter_log_events,
    "PutLogEvents": ops.put_log_events,
    "PutRetentionPolicy": ops.put_retention_policy,
    "DeleteRetentionPolicy": ops.delete_retention_policy,
    "StartQuery": start_query,
    "GetQueryResults": get_query_results,
    "StopQuery": stop_query,
    "StartLiveTail": start_live_tail,
    **ops_subscriptions.OPERATIONS,
}


class LogsBackend(Backend):
    name = "logs"
    title = "CloudWatch Logs"

    def __init__(self, context: ServiceContext) -> None:
        self.ctx = LogsContext(context)
        self._json = JsonService(
            "Logs_20140328",
            "1.1",
            Operations(
                "CloudWatch Logs",
                self.ctx,
                OPERATIONS,
                malformed="InvalidParameterException",
                internal="ServiceUnavailableException",
            ),
            max_request_bytes=2 * 1024 * 1024,
        )
        self._delivery: asyncio.Task[None] | None = None
        self._app: Application | None = None

    @property
    def json(self) -> JsonService:
        return self._json

    def reset(self) -> None:
        """Log groups as the template declares them; streams and a test's groups gone
        (the events themselves are the log store's, reset with it)."""
        self.ctx.store.forget_groups()
        if self._app is not None:
            self.provision(self._app)

    def provision(self, app: Application) -> list[ProvisionedResource]:
        self._app = app
        made = []
        store = self.ctx.store
        for res in app.resources:
            if res.type != "AWS::Logs::LogGroup":
                continue
            name = res.properties.get("LogGroupName") or res.physical_id
            days = res.properties.get("RetentionInDays")
            store.create_group(str(name))
            store.set_retention(str(name), int(days) if days else None)
            detail = f"retention {days} days" if days else "kept forever"
            made.append(ProvisionedResource("logs", "log group", str(name), detail))
        for item in self._template_filters(app):
            store.create_group(item.log_group)  # a function's group exists once it logs
            self.ctx.subscriptions.put(item)  # a restart keeps a filter's cursor
            made.append(
                ProvisionedResource(
                    "logs",
                    "subscription filter",
                    f"{item.log_group} -> {item.destination_arn.rsplit(':', 1)[-1]}",
                    f"pattern {item.pattern!r}" if item.pattern else "every event",
                )
            )
        return made

    def _template_filters(self, app: Application) -> list[SubscriptionFilter]:
        """AWS::Logs::SubscriptionFilter resources, and SAM's CloudWatchLogs events (a
        filter to the function, named as SAM names the resource: function id + event)."""
        now = self.ctx.store.now_ms()
        found = []
        for res in app.resources:
            if res.type != "AWS::Logs::SubscriptionFilter":
                continue
            props = res.properties
            found.append(
                SubscriptionFilter(
                    str(props.get("LogGroupName", "")),
                    str(props.get("FilterName") or res.physical_id),
                    str(props.get("FilterPattern", "")),
                    str(props.get("DestinationArn", "")),
                    str(props["RoleArn"]) if props.get("RoleArn") else None,
                    str(props.get("Distribution") or "ByLogStream"),
                    now,
                    0,
                )
            )
        for fn in app.functions:
            for event in fn.events:
                if event.type != "CloudWatchLogs":
                    continue
                props = event.properties
                found.append(
                    SubscriptionFilter(
                        str(props.get("LogGroupName", "")),
                        f"{fn.logical_id}{event.name}",
                        str(props.get("FilterPattern", "")),
                        fn.arn,
                        None,
                        "ByLogStream",
                        now,
                        0,
                    )
                )
        last = self.ctx.subscriptions.last_batch() if found else 0
        return [replace(f, cursor=last) for f in found if f.log_group]

    async def start_event_sources(self, invoker: Invoker) -> None:
        self.ctx.invoker = invoker
        observer = self.ctx.context.observer
        if not isinstance(observer, Observer) or observer.logs is None:
            return  # no logs kept: nothing to deliver
        sender = ArnSender(self.ctx.context.aws, invoker.invoke, self.ctx.context.endpoint_url)
        delivery = SubscriptionDelivery(
            self.ctx.subscriptions,
            self.ctx.store.logs,
            sender,
            self.ctx.context.aws,
            self.ctx.account_id,
        )
        self._delivery = asyncio.create_task(delivery.run())

    def begin_shutdown(self) -> None:
        self.ctx.live_tails_end.set()  # open Live Tail sessions end

    async def stop_event_sources(self) -> None:
        task, self._delivery = self._delivery, None
        self.ctx.invoker = None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
