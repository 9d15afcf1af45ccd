"""SQS as a serverlite service: the JSON endpoint (``AmazonSQS``, what botocore 1.44
speaks), the query protocol (older SDKs, the v1 CLI), the template's queues, and the
event source mappings that run under ``serverlite up``."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from serverlite.aws.backend import (
    Backend,
    JsonService,
    MiB,
    Operation,
    Operations,
    ProvisionedResource,
    ServiceContext,
)
from serverlite.invoker import Invoker
from serverlite.template.model import Application

from . import errors, iam_actions, ops_messages, ops_moves, ops_queues
from .engine import SqsEngine
from .mapping.spec import SqsMapping, mappings
from .provision import provision
from .query_protocol import XML_NAMESPACE, SqsQueryService

if TYPE_CHECKING:
    from .mapping.runner import MappingRunner

log = logging.getLogger("serverlite.sqs")

DB_FILE = "sqs.db"

# SQS's limit is a 1 MiB message (and batch); on the wire a body of non-ASCII text
# escaped by botocore's JSON (\uXXXX, 12 bytes for an emoji) or percent-encoded in a
# query form takes up to 3x that, so the endpoint refuses only past 4 MiB and leaves
# the 1 MiB check, with AWS's own message, to SendMessage.
MAX_REQUEST_BYTES = 4 * MiB

OPERATIONS: dict[str, Operation] = {
    "CreateQueue": ops_queues.create_queue,
    "GetQueueUrl": ops_queues.get_queue_url,
    "ListQueues": ops_queues.list_queues,
    "GetQueueAttributes": ops_queues.get_queue_attributes,
    "SetQueueAttributes": ops_queues.set_queue_attributes,
    "DeleteQueue": ops_queues.delete_queue,
    "PurgeQueue": ops_queues.purge_queue,
    "TagQueue": ops_queues.tag_queue,
    "UntagQueue": ops_queues.untag_queue,
    "ListQueueTags": ops_queues.list_queue_tags,
    "ListDeadLetterSourceQueues": ops_queues.list_dead_letter_source_queues,
    "AddPermission": ops_queues.add_permission,
    "RemovePermission": ops_queues.remove_permission,
    "SendMessage": ops_messages.send_message,
    "SendMessageBatch": ops_messages.send_message_batch,
    "DeleteMessage": ops_messages.delete_message,
    "DeleteMessageBatch": ops_messages.delete_message_batch,
    "ChangeMessageVisibility": ops_messages.change_message_visibility,
    "ChangeMessageVisibilityBatch": ops_messages.change_message_visibility_batch,
    "StartMessageMoveTask": ops_moves.start_message_move_task,
    "ListMessageMoveTasks": ops_moves.list_message_move_tasks,
    "CancelMessageMoveTask": ops_moves.cancel_message_move_task,
    "ReceiveMessage": ops_messages.receive_message,  # async: long polling waits
}


class SqsService(Backend):
    name = "sqs"
    title = "SQS"

    def __init__(self, context: ServiceContext) -> None:
        self.engine = SqsEngine(
            context.state_dir / DB_FILE,
            region=context.region,
            account=context.account_id,
            endpoint=context.endpoint_url,
            clock=context.clock,
        )
        operations = Operations(
            "SQS",
            self.engine,
            OPERATIONS,
            malformed="InvalidParameterValue",
            internal="InternalError",
            iam=iam_actions.iam_map(context.region, context.account_id),
            query_codes=errors.QUERY_CODES,
        )
        self._json = JsonService(
            target_prefix="AmazonSQS",
            json_version="1.0",
            operations=operations,
            error_namespace=errors.ERROR_NAMESPACE,
            max_request_bytes=MAX_REQUEST_BYTES,
        )
        self._query = SqsQueryService(
            signing_name="sqs",
            operations=operations,
            xml_namespace=XML_NAMESPACE,
            max_request_bytes=MAX_REQUEST_BYTES,
        )
        self.mappings: list[SqsMapping] = []
        self._runner: MappingRunner | None = None

    @property
    def json(self) -> JsonService:
        return self._json

    @property
    def query(self) -> SqsQueryService:
        """The query-protocol face: older SDKs and the v1 CLI send form-encoded requests."""
        return self._query

    # -- template ------------------------------------------------------------------

    def provision(self, app: Application) -> list[ProvisionedResource]:
        rows = provision(self.engine, app)
        self.mappings = mappings(app)
        for mapping in self.mappings:
            state = "" if mapping.enabled else " (disabled)"
            rows.append(
                ProvisionedResource(
                    "lambda",
                    "SQS event source",
                    f"{mapping.queue.name} -> {mapping.function}",
                    f"batch {mapping.batch_size}{state}",
                )
            )
        return rows

    # -- event sources (serverlite up only) ----------------------------------------

    async def start_event_sources(self, invoker: Invoker) -> None:
        if not self.mappings:  # the pollers' modules are imported by a template with some
            return
        from .mapping.runner import MappingRunner

        self._runner = MappingRunner(self.engine, invoker, self.mappings)
        self._runner.start()

    async def stop_event_sources(self) -> None:
        if self._runner is not None:
            await self._runner.stop()
            self._runner = None

    def begin_shutdown(self) -> None:
        """The endpoint is stopping: answer waiting long polls at once."""
        self.engine.begin_shutdown()

    def reset(self) -> None:
        self.engine.db.truncate()

    def close(self) -> None:
        self.engine.close()
