"""SNS as a serverlite service: the query-protocol endpoint, the template's topics and
subscriptions, and the delivery worker that runs under ``serverlite up``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from serverlite.aws.arn_sender import ArnSender
from serverlite.aws.backend import (
    AwsClient,
    AwsError,
    Backend,
    MiB,
    Operations,
    ProvisionedResource,
    QueryService,
    ServiceContext,
)
from serverlite.template.model import Application
from serverlite.template.sqs_subscriptions import queue_subscriptions

from . import iam_actions, ops_publish, ops_subscriptions, ops_topics
from .context import SnsContext
from .db import Db
from .outbox import Outbox
from .provision import provision
from .senders import SubscriptionSenders
from .store import TopicStore
from .worker import SubscriptionWorker

if TYPE_CHECKING:
    from serverlite.invoker import Invoker

log = logging.getLogger("serverlite.sns")
DB_FILE = "sns.db"
XML_NAMESPACE = "http://sns.amazonaws.com/doc/2010-03-31/"
# SNS's limit is a 256 KiB message (and batch); percent-encoded in a form, non-ASCII
# text takes up to 3x that, so only bodies past 1 MiB are refused at the door.
MAX_REQUEST_BYTES = MiB

Operation = Callable[[SnsContext, Mapping[str, Any]], dict[str, Any]]
OPERATIONS: dict[str, Operation] = {
    "CreateTopic": ops_topics.create_topic,
    "DeleteTopic": ops_topics.delete_topic,
    "ListTopics": ops_topics.list_topics,
    "GetTopicAttributes": ops_topics.get_topic_attributes,
    "SetTopicAttributes": ops_topics.set_topic_attributes,
    "TagResource": ops_topics.tag_resource,
    "UntagResource": ops_topics.untag_resource,
    "ListTagsForResource": ops_topics.list_tags_for_resource,
    "Subscribe": ops_subscriptions.subscribe,
    "ConfirmSubscription": ops_subscriptions.confirm_subscription,
    "Unsubscribe": ops_subscriptions.unsubscribe,
    "ListSubscriptions": ops_subscriptions.list_subscriptions,
    "ListSubscriptionsByTopic": ops_subscriptions.list_subscriptions_by_topic,
    "GetSubscriptionAttributes": ops_subscriptions.get_subscription_attributes,
    "SetSubscriptionAttributes": ops_subscriptions.set_subscription_attributes,
    "Publish": ops_publish.publish,
    "PublishBatch": ops_publish.publish_batch,
}


class SnsService(Backend):
    name = "sns"  # the query protocol only: no json face
    title = "SNS"

    def __init__(self, context: ServiceContext) -> None:
        self.aws = context.aws  # the services notifications go to (SQS), in-process
        self.endpoint_url = context.endpoint_url
        self.time_scale = context.time_scale
        self.db = Db(context.state_dir / DB_FILE)
        self.ctx = SnsContext(
            topics=TopicStore(self.db),
            outbox=Outbox(self.db),
            region=context.region,
            account=context.account_id,
            clock=context.clock,
            wake=self._wake,
        )
        self._query = QueryService(
            "sns",
            Operations(
                "SNS",
                self.ctx,
                OPERATIONS,
                malformed="InvalidParameter",
                internal="InternalError",
                iam=iam_actions.iam_map(context.region, context.account_id),
            ),
            XML_NAMESPACE,
            MAX_REQUEST_BYTES,
        )
        self._worker: SubscriptionWorker | None = None
        self._task: asyncio.Task[None] | None = None
        self._app: Application | None = None

    @property
    def query(self) -> QueryService:
        return self._query

    # -- template ------------------------------------------------------------------

    def provision(self, app: Application) -> list[ProvisionedResource]:
        self._app = app
        return provision(self.ctx, app)

    # -- the delivery worker (serverlite up only) ----------------------------------

    async def start_event_sources(self, invoker: Invoker) -> None:
        """Start delivering (``serverlite up`` only; LocalCloud calls this)."""
        await self._create_implicit_queues(self.aws)
        sender = ArnSender(self.aws, invoker.invoke, self.endpoint_url)
        senders = SubscriptionSenders(sender, self.endpoint_url)
        self._worker = SubscriptionWorker(self.ctx, senders, time_scale=self.time_scale)
        self._task = asyncio.create_task(self._worker.run(), name="sns-delivery")

    async def _create_implicit_queues(self, aws: AwsClient) -> None:
        """SAM's ``SqsSubscription: true`` queues, made through SQS when it runs here."""
        if self._app is None:
            return
        queues = queue_subscriptions(self._app)
        if queues and not aws.has("sqs"):
            # SQS's event source mappings drain these queues (SQS reads the same
            # declarations); without SQS nothing reaches the functions.
            log.warning("SNS: SqsSubscription needs SQS, which is not running")
            return
        implicit = [queue for queue in queues if queue.implicit]
        for queue in implicit:
            try:
                await aws.call("sqs", "CreateQueue", {"QueueName": queue.queue_name})
            except AwsError as exc:
                log.warning("SNS: queue %s not created: %s", queue.queue_name, exc.message)

    async def stop_event_sources(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._worker = None

    def _wake(self) -> None:
        """Publish committed deliveries: the worker sends them now (when it runs)."""
        if self._worker is not None:
            self._worker.wake()

    def template_provisioned(self) -> None:
        self.db.snapshot()

    def reset(self) -> None:
        """Topics and subscriptions as the template made them; messages, deliveries and
        what a test created or changed gone."""
        self.db.restore()

    def pending_deliveries(self) -> int:
        return self.ctx.outbox.pending()

    def close(self) -> None:
        self.db.close()
