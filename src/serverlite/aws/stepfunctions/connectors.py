"""Task resources, run against the local cloud.

    Lambda        a function ARN, ``lambda:invoke`` (+ ``.waitForTaskToken``): the invoker
    optimized     ``sqs:sendMessage``, ``sns:publish``, ``dynamodb:getItem|putItem|
                  updateItem|deleteItem``, ``events:putEvents``, ``states:startExecution``
                  (``.sync``, ``.sync:2``): the emulated services, in-process
    AWS SDK       ``aws-sdk:SERVICE:action``: the operation ``Action`` of the emulated
                  service, its errors named ``Service.Code`` (``DynamoDb.
                  ConditionalCheckFailedException``), as the SDK integrations name them

A function error is named by the function's ``errorType`` (``Lambda.Unknown`` when it
has none), and the invoker's own refusals are ``Lambda.<exception>``.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from serverlite.aws.backend import AwsClient, AwsError
from serverlite.errors import InvokeError
from serverlite.invoker.types import InvokeRequest, InvokeResult

from .asl.errors import RUNTIME, TASK_FAILED, StatesError
from .asl.resources import Resource
from .engine_task import TaskCall

Invoke = Callable[[InvokeRequest], Awaitable[InvokeResult]]
StartNested = Callable[[str, Any, str | None, str, str], Awaitable[dict[str, Any]]]
WaitNested = Callable[[str], Awaitable[dict[str, Any]]]

# The SDK integrations' service names (aws-sdk:<name>) -> serverlite's service, and the
# prefix of their error names (the AWS SDK for Java v2's client name).
SDK_SERVICES: dict[str, tuple[str, str]] = {
    "dynamodb": ("dynamodb", "DynamoDb"),
    "sqs": ("sqs", "Sqs"),
    "sns": ("sns", "Sns"),
    "eventbridge": ("events", "EventBridge"),
    "ssm": ("ssm", "Ssm"),
    "secretsmanager": ("secretsmanager", "SecretsManager"),
    "lambda": ("lambda", "Lambda"),
    "sfn": ("stepfunctions", "Sfn"),
    "kinesis": ("kinesis", "Kinesis"),
    "s3": ("s3", "S3"),
    "scheduler": ("scheduler", "Scheduler"),
}
_OPTIMIZED: dict[tuple[str, str], tuple[str, str]] = {
    ("sqs", "sendMessage"): ("sqs", "SendMessage"),
    ("sns", "publish"): ("sns", "Publish"),
    ("dynamodb", "getItem"): ("dynamodb", "GetItem"),
    ("dynamodb", "putItem"): ("dynamodb", "PutItem"),
    ("dynamodb", "updateItem"): ("dynamodb", "UpdateItem"),
    ("dynamodb", "deleteItem"): ("dynamodb", "DeleteItem"),
    ("events", "putEvents"): ("events", "PutEvents"),
    ("s3", "getObject"): ("s3", "GetObject"),
    ("s3", "putObject"): ("s3", "PutObject"),
}
_ERROR_PREFIX = {
    "sqs": "SQS",
    "sns": "SNS",
    "dynamodb": "DynamoDB",
    "events": "EventBridge",
    "s3": "S3",
}


def _metadata(request_id: str = "") -> dict[str, Any]:
    return {
        "SdkHttpMetadata": {"HttpHeaders": {}, "HttpStatusCode": 200},
        "SdkResponseMetadata": {"RequestId": request_id},
    }


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


class ServiceConnectors:
    def __init__(
        self,
        aws: AwsClient,
        invoke: Invoke,
        start_nested: StartNested,
        wait_nested: WaitNested,
    ) -> None:
        self.aws = aws
        self.invoke = invoke
        self.start_nested = start_nested
        self.wait_nested = wait_nested

    async def run(self, call: TaskCall) -> Any:
        resource = call.resource
        trace = call.trace_header
        if resource.function:
            return await self._function(resource.arn, call.parameters, trace)
        if resource.service == "lambda" and resource.action == "invoke":
            return await self._lambda_invoke(call.parameters, resource.pattern == "token", trace)
        if resource.service == "states" and resource.action == "startExecution":
            return await self._start_execution(call)
        if resource.service.startswith("aws-sdk:"):
            return await self._sdk(resource, call.parameters, trace)
        target = _OPTIMIZED.get((resource.service, resource.action))
        if target is None:
            raise StatesError(
                RUNTIME,
                f"serverlite does not emulate the resource {resource.arn} (see "
                "docs/stepfunctions.md for the integrations it runs)",
            )
        return await self._optimized(resource, target, call.parameters)

    # -- Lambda ------------------------------------------------------------------------

    async def _function(self, arn: str, parameters: Any, trace: str | None) -> Any:
        result = await self._invoke(arn, parameters, "RequestResponse", None, trace)
        return _payload(result)

    async def _lambda_invoke(self, parameters: Any, token: bool, trace: str | None) -> Any:
        if not isinstance(parameters, dict) or "FunctionName" not in parameters:
            raise StatesError(
                RUNTIME, "The field 'FunctionName' is required by arn:aws:states:::lambda:invoke"
            )
        kind = str(parameters.get("InvocationType", "RequestResponse"))
        result = await self._invoke(
            str(parameters["FunctionName"]),
            parameters.get("Payload", {}),
            kind,
            parameters.get("Qualifier"),
            trace,
        )
        shaped: dict[str, Any] = {
            "ExecutedVersion": result.executed_version or "$LATEST",
            "StatusCode": result.status_code,
            **_metadata(result.request_id),
        }
        if kind == "RequestResponse":
            shaped["Payload"] = _payload(result)
        return shaped

    async def _invoke(
        self, function: str, payload: Any, kind: str, qualifier: Any, trace: str | None = None
    ) -> InvokeResult:
        body = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
        try:
            result = await self.invoke(
                InvokeRequest(
                    function=function,
                    payload=body,
                    invocation_type=kind,
                    qualifier=str(qualifier) if qualifier else None,
                    trace_id=trace,  # a traced machine's task subsegment is the parent
                )
            )
        except InvokeError as exc:
            raise StatesError(f"Lambda.{exc.code}", exc.message) from exc
        if result.function_error:
            raise _function_error(result.payload)
        return result

    # -- optimized integrations ----------------------------------------------------------

    async def _optimized(self, resource: Resource, target: tuple[str, str], parameters: Any) -> Any:
        service, operation = target
        params = dict(parameters) if isinstance(parameters, dict) else {}
        # The optimized integrations take a JSON object where the API takes a string.
        for field in ("MessageBody", "Message"):
            if field in params and not isinstance(params[field], str):
                params[field] = _text(params[field])
        if operation == "PutEvents":
            params["Entries"] = [
                {**entry, "Detail": _text(entry["Detail"])} if "Detail" in entry else entry
                for entry in params.get("Entries", [])
            ]
        result = await self._call(service, operation, params, _ERROR_PREFIX.get(service, service))
        if operation == "PutEvents" and result.get("FailedEntryCount"):
            raise StatesError("EventBridge.FailedEntry", json.dumps(result))
        return {**result, **_metadata()}

    # -- AWS SDK integrations ---------------------------------------------------------------

    async def _sdk(self, resource: Resource, parameters: Any, trace: str | None) -> Any:
        name = resource.service.split(":", 1)[1]
        known = SDK_SERVICES.get(name)
        action = resource.action
        if not action:
            raise StatesError(RUNTIME, f"The resource {resource.arn} names no action")
        operation = action[0].upper() + action[1:]
        params = dict(parameters) if isinstance(parameters, dict) else {}
        if known is None:
            raise StatesError(
                RUNTIME,
                f"serverlite does not emulate {name}: the task {resource.arn} cannot run locally",
            )
        service, prefix = known
        if service == "lambda" and operation == "Invoke":
            result = await self._invoke(
                str(params.get("FunctionName", "")),
                params.get("Payload", {}),
                str(params.get("InvocationType", "RequestResponse")),
                params.get("Qualifier"),
                trace,
            )
            return {
                "ExecutedVersion": result.executed_version or "$LATEST",
                "StatusCode": result.status_code,
                "Payload": result.payload.decode(errors="replace"),
            }
        return await self._call(service, operation, params, prefix)

    async def _call(
        self, service: str, operation: str, params: dict[str, Any], prefix: str
    ) -> dict[str, Any]:
        if not self.aws.has(service):
            raise StatesError(
                f"{prefix}.ServiceUnavailable", f"serverlite does not emulate {service} here"
            )
        if service == "s3" and "Body" in params and not isinstance(params["Body"], str):
            params = {**params, "Body": _text(params["Body"])}  # a JSON body goes as its text
        try:
            result = await self.aws.call(service, operation, params)
            if isinstance(result.get("Body"), bytes):  # GetObject: the state gets the text
                result = {**result, "Body": result["Body"].decode(errors="replace")}
            return result
        except AwsError as exc:
            code = exc.code.rsplit("#", 1)[-1]
            if code in ("UnknownOperation", "UnknownOperationException"):
                raise StatesError(RUNTIME, f"{service} has no operation {operation}") from exc
            raise StatesError(
                f"{prefix}.{code}",
                f"{exc.message} (Service: {prefix}, Status Code: {exc.status}, Error Code: {code})",
            ) from exc

    # -- nested executions -------------------------------------------------------------

    async def _start_execution(self, call: TaskCall) -> Any:
        params = call.parameters if isinstance(call.parameters, dict) else {}
        arn = params.get("StateMachineArn")
        if not isinstance(arn, str):
            raise StatesError(RUNTIME, "The field 'StateMachineArn' is required")
        started = await self.start_nested(
            arn, params.get("Input", {}), params.get("Name"), call.execution.arn, call.state
        )
        if call.resource.pattern not in ("sync", "sync2"):
            return {**started, **_metadata()}
        described = await self.wait_nested(str(started["ExecutionArn"]))
        if described.get("Status") != "SUCCEEDED":
            raise StatesError(
                TASK_FAILED if described.get("Status") == "FAILED" else "States.TaskFailed",
                json.dumps(described, default=str),
            )
        if call.resource.pattern == "sync2" and isinstance(described.get("Output"), str):
            described = {**described, "Output": json.loads(described["Output"])}
        return described


def _payload(result: InvokeResult) -> Any:
    text = result.payload.decode(errors="replace")
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def _function_error(body: bytes) -> StatesError:
    text = body.decode(errors="replace")
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    error = "Lambda.Unknown"
    if isinstance(parsed, dict) and isinstance(parsed.get("errorType"), str):
        error = parsed["errorType"]
    return StatesError(error, text)
