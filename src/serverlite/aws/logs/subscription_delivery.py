"""Delivering subscription filters: the log events a filter matches, sent on to its
Lambda function (an asynchronous invoke of ``{"awslogs": {"data": ...}}``) or its
Kinesis stream (one record per payload, gzip bytes).

A background task reads each filter's new log batches every ``POLL_S``, applies its
filter pattern, and sends one payload per log stream per round, as CloudWatch Logs
does (a payload holds one stream's events), split so an invocation stays within
Lambda's asynchronous payload limit. A payload that could not be sent for a transient
reason (a throttle) is tried again on the next round; one whose destination does not
exist is dropped with a warning, once per filter.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

from serverlite.aws.backend import AwsClient, AwsError
from serverlite.aws.logs.subscriptions import (
    LogEvent,
    SubscriptionFilter,
    SubscriptionStore,
    compressed,
    data_message,
    lambda_event,
)
from serverlite.observe.filter_pattern import PatternError, compile_pattern
from serverlite.observe.logs import LogStore
from serverlite.sending import Message, TargetSender

log = logging.getLogger("serverlite.logs")
POLL_S = 0.25
BATCHES_A_ROUND = 500  # log batches read per filter per round
# Lambda's asynchronous payload limit is 256 KB; the messages of one payload are kept
# under it before compression, so the compressed, base64 event always fits.
MAX_PAYLOAD_BYTES = 256 * 1024
MAX_EVENTS = 10_000


def chunks(events: list[LogEvent]) -> Iterator[list[LogEvent]]:
    """Consecutive runs of ``events`` within MAX_PAYLOAD_BYTES and MAX_EVENTS."""
    run: list[LogEvent] = []
    size = 0
    for event in events:
        cost = len(event.message.encode()) + 64
        if run and (size + cost > MAX_PAYLOAD_BYTES or len(run) >= MAX_EVENTS):
            yield run
            run, size = [], 0
        run.append(event)
        size += cost
    if run:
        yield run


class SubscriptionDelivery:
    def __init__(
        self,
        subscriptions: SubscriptionStore,
        logs: LogStore,
        sender: TargetSender,
        aws: AwsClient,
        owner: str,
    ) -> None:
        self.subscriptions = subscriptions
        self.logs = logs
        self.sender = sender
        self.aws = aws
        self.owner = owner
        self._warned: set[tuple[str, str]] = set()

    async def run(self) -> None:
        # The filters are read again only when one was put or deleted (the store's
        # version): with none, a round costs nothing but the sleep.
        filters: list[SubscriptionFilter] = []
        seen = -1
        while True:
            try:
                if self.subscriptions.version != seen:
                    seen = self.subscriptions.version
                    filters = await asyncio.to_thread(self.subscriptions.filters)
                filters = [await self.deliver(item) for item in filters]
            except Exception:  # a bad round must not end delivery for good
                log.exception("subscription filters: a delivery round failed")
                seen = -1
            await asyncio.sleep(POLL_S)

    async def deliver(self, item: SubscriptionFilter) -> SubscriptionFilter:
        """Send what ``item`` matched since its cursor; advance the cursor past what
        was sent (or dropped). The filter, at its new cursor."""
        try:
            matches = compile_pattern(item.pattern)
        except PatternError:  # refused by PutSubscriptionFilter; a template's is checked
            return item
        stored = await asyncio.to_thread(
            self.logs.read, item.log_group, after_id=item.cursor, limit=BATCHES_A_ROUND
        )
        if not stored:
            return item
        by_stream: dict[str, list[LogEvent]] = {}
        index, batch = 0, -1
        for event in stored:
            index = index + 1 if event.id == batch else 0
            batch = event.id
            if matches(event.message):
                by_stream.setdefault(event.log_stream, []).append(
                    LogEvent(f"{event.id:020d}{index:06d}", event.timestamp_ms, event.message)
                )
        for stream, events in by_stream.items():
            for run in chunks(events):
                document = data_message(self.owner, item.log_group, stream, item.name, run)
                if not await self._send(item, stream, document):
                    return item  # tried again from the same cursor next round
        await asyncio.to_thread(
            self.subscriptions.advance, item.log_group, item.name, stored[-1].id
        )
        return replace(item, cursor=stored[-1].id)

    async def _send(self, item: SubscriptionFilter, stream: str, document: dict[str, Any]) -> bool:
        """True when the payload is delivered or dropped for good; False: try again."""
        service = item.destination_arn.split(":")[2]
        if service == "kinesis":
            return await self._kinesis(item, stream, document)
        body = json.dumps(lambda_event(document))
        outcome = await self.sender.send(item.destination_arn, Message(body=body))
        if outcome.status == "retry":
            return False
        if outcome.status == "failed":
            self._warn(item, f"{outcome.code}: {outcome.message}")
        return True

    async def _kinesis(
        self, item: SubscriptionFilter, stream: str, document: dict[str, Any]
    ) -> bool:
        params = {
            "StreamARN": item.destination_arn,
            "Data": compressed(document),
            "PartitionKey": partition_key(item.distribution, stream),
        }
        try:
            await self.aws.call("kinesis", "PutRecord", params)
        except AwsError as exc:
            if exc.status >= 500 or "Throughput" in exc.code or "Throttl" in exc.code:
                return False
            self._warn(item, f"{exc.code}: {exc.message}")
        return True

    def _warn(self, item: SubscriptionFilter, why: str) -> None:
        key = (item.log_group, item.name)
        if key not in self._warned:
            self._warned.add(key)
            log.warning(
                "subscription filter %s of %s: %s is not reachable (%s); its events are dropped",
                item.name,
                item.log_group,
                item.destination_arn,
                why,
            )


def partition_key(distribution: str, stream: str, random: Callable[[], str] | None = None) -> str:
    """ByLogStream keeps a log stream's payloads on one shard, in order; Random spreads
    them over the shards."""
    if distribution == "Random":
        return (random or (lambda: uuid.uuid4().hex))()
    return hashlib.sha256(stream.encode()).hexdigest()
