"""Step Functions as a serverlite service: the JSON 1.0 endpoint (``AWSStepFunctions``),
the template's state machines, and the executions ``serverlite up`` runs."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from serverlite.aws import backend
from serverlite.aws.backend import AwsError, JsonService, MiB, Operation, Operations
from serverlite.template.model import Application

from . import iam_actions, ops_executions, ops_machines, ops_tasks, provision
from .asl.errors import StatesError
from .connectors import ServiceConnectors
from .context import SfnContext
from .executions import Executions
from .names import Arns
from .observed import ExecutionObserver
from .runtime import Clock
from .store import StepFunctionsDb
from .tokens import TokenBoard

if TYPE_CHECKING:
    from serverlite.invoker import Invoker

log = logging.getLogger("serverlite.stepfunctions")
DB_FILE = "stepfunctions.db"

OPERATIONS: dict[str, Operation] = {
    "CreateStateMachine": ops_machines.create_state_machine,
    "UpdateStateMachine": ops_machines.update_state_machine,
    "DescribeStateMachine": ops_machines.describe_state_machine,
    "ListStateMachines": ops_machines.list_state_machines,
    "DeleteStateMachine": ops_machines.delete_state_machine,
    "ValidateStateMachineDefinition": ops_machines.validate_state_machine_definition,
    "TagResource": ops_machines.tag_resource,
    "UntagResource": ops_machines.untag_resource,
    "ListTagsForResource": ops_machines.list_tags_for_resource,
    "StartExecution": ops_executions.start_execution,
    "StartSyncExecution": ops_executions.start_sync_execution,
    "StopExecution": ops_executions.stop_execution,
    "DescribeExecution": ops_executions.describe_execution,
    "ListExecutions": ops_executions.list_executions,
    "GetExecutionHistory": ops_executions.get_execution_history,
    "RedriveExecution": ops_executions.redrive_execution,
    "DescribeStateMachineForExecution": ops_executions.describe_state_machine_for_execution,
    "SendTaskSuccess": ops_tasks.send_task_success,
    "SendTaskFailure": ops_tasks.send_task_failure,
    "SendTaskHeartbeat": ops_tasks.send_task_heartbeat,
    "TestState": ops_tasks.test_state,
}


class StepFunctionsService(backend.Backend):
    name = "stepfunctions"
    title = "Step Functions"

    def __init__(self, context: backend.ServiceContext) -> None:
        self.aws = context.aws
        self.db = StepFunctionsDb(context.state_dir / DB_FILE)
        self.clock = Clock(context.clock, context.time_scale)
        self.arns = Arns(context.region, context.account_id)
        self.tokens = TokenBoard(self.db, context.clock)
        self.executions = Executions(
            self.db, self.tokens, self.clock, context.region, context.account_id
        )
        self.executions.observed = ExecutionObserver(context.observer, context.clock)
        self.ctx = SfnContext(self.db, self.arns, self.clock, self.tokens, self.executions)
        self._json = JsonService(
            "AWSStepFunctions",
            "1.0",
            Operations(
                "Step Functions",
                self.ctx,
                OPERATIONS,
                internal="InternalFailure",
                iam=iam_actions.iam_map(context.region, context.account_id),
            ),
            # An execution's input and a definition are at most 256 KiB and 1 MiB; JSON
            # escaping inside JSON can double them on the wire.
            max_request_bytes=4 * MiB,
        )

    @property
    def json(self) -> JsonService:
        return self._json

    def provision(self, app: Application) -> list[backend.ProvisionedResource]:
        return provision.apply(self.ctx, app)

    async def start_event_sources(self, invoker: Invoker) -> None:
        self.executions.connectors = ServiceConnectors(
            self.aws, invoker.invoke, self._start_nested, self._wait_nested
        )
        if self.aws.has("s3"):
            self.executions.read_object = self._read_object
        names = {m.arn: m.name for m in self.db.machines()}
        resumed = self.executions.resume_all(names)
        if resumed:
            log.info("Step Functions: %d running execution(s) resumed", resumed)

    async def _start_nested(
        self, arn: str, value: Any, name: str | None, parent: str, state: str
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"stateMachineArn": arn, "input": _text(value)}
        if name:
            body["name"] = name
        try:
            started = ops_executions.start_execution(self.ctx, body)
        except AwsError as exc:
            raise StatesError(f"StepFunctions.{exc.code}Exception", exc.message) from exc
        return {"ExecutionArn": started["executionArn"], "StartDate": started["startDate"]}

    async def _wait_nested(self, arn: str) -> dict[str, Any]:
        await self.executions.wait(arn)
        found = ops_executions.describe_execution(self.ctx, {"executionArn": arn})
        return {_pascal(k): v for k, v in found.items()}

    async def _read_object(self, action: str, arguments: dict[str, Any]) -> str | list[Any]:
        """What an ItemReader reads from the local S3: the object's text (``getObject``)
        or the listing's objects as AWS gives them to a Map (``listObjectsV2``). S3's
        errors name the failure: ``States.ItemReaderFailed`` with ``S3.NoSuchKey: ...``."""
        try:
            if action == "listObjectsV2":
                return await self._list_objects(arguments)
            result = await self.aws.call("s3", "GetObject", _s3_params(arguments))
        except AwsError as exc:
            raise StatesError("States.ItemReaderFailed", f"S3.{exc.code}: {exc.message}") from exc
        body = result.get("Body", b"")
        return body.decode() if isinstance(body, bytes) else str(body)

    async def _list_objects(self, arguments: dict[str, Any]) -> list[Any]:
        params = _s3_params(arguments)
        items: list[Any] = []
        while True:
            page = await self.aws.call("s3", "ListObjectsV2", params)
            # AWS's item per object: Etag (sic), Key, LastModified in epoch seconds, Size,
            # StorageClass
            items.extend(
                {
                    "Etag": entry["ETag"],
                    "Key": entry["Key"],
                    "LastModified": _epoch(entry["LastModified"]),
                    "Size": entry["Size"],
                    "StorageClass": entry["StorageClass"],
                }
                for entry in page.get("Contents", [])
            )
            token = page.get("NextContinuationToken")
            if not page.get("IsTruncated") or not token:
                return items
            params = {**params, "ContinuationToken": token}

    async def stop_event_sources(self) -> None:
        await self.executions.close()
        self.executions.connectors = None

    def clock_moved(self) -> None:
        self.clock.moved()

    def reset(self) -> None:
        """Executions and their histories forgotten; the state machines stay."""
        self.executions.forget()

    def close(self) -> None:
        self.db.close()


def _s3_params(arguments: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in arguments.items() if v is not None}


def _epoch(timestamp: Any) -> int:
    return int(datetime.fromisoformat(str(timestamp).replace("Z", "+00:00")).timestamp())


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _pascal(name: str) -> str:
    return name[0].upper() + name[1:]


__all__ = ["asyncio"]
