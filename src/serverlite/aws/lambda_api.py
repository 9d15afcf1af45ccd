"""The Lambda API on the AWS endpoint: Invoke (and InvokeAsync), GetFunction, ListFunctions
(versions, aliases and provisioned concurrency: ``lambda_versions_api``).

Speaks rest-json as botocore's ``lambda`` client does, so ``boto3.client("lambda",
endpoint_url=...)`` and ``aws lambda invoke --endpoint-url ...`` work unchanged. The
rest-json dispatcher reads the request (Invoke's payload at most 6 MB, Lambda's limit
for a synchronous invocation) and answers errors in Lambda's shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from serverlite.aws import lambda_versions_api
from serverlite.aws.backend import (
    AwsError,
    IamMap,
    Operation,
    Operations,
    RestJsonService,
    RestResponse,
    RestRoute,
)
from serverlite.aws.lambda_config import configuration
from serverlite.errors import FunctionNotFound, InvokeError
from serverlite.iam.request import IamRequest
from serverlite.invoker import Invoker, InvokeRequest
from serverlite.observe.tracing import current_header
from serverlite.template.model import FunctionSpec

API = "/2015-03-31/functions"
MAX_PAYLOAD_BYTES = 6 * 1024 * 1024  # 6291456: "Request must be smaller than 6291456 bytes"


def _aws_error(exc: InvokeError) -> AwsError:
    error = AwsError(exc.code, exc.message, exc.status, **exc.fields)
    error.message_key = exc.message_key  # as botocore's lambda model spells it per error
    return error


def _latest(exc: FunctionNotFound) -> FunctionNotFound:
    """Invoke names the version it looked for: an unqualified name is ``...:$LATEST``
    (LocalStack's AWS-validated snapshot test_invoke_exceptions, recorded 2025-11)."""
    arn = exc.message.rpartition(" ")[2]
    if arn.startswith("arn:") and arn.count(":") == 6:
        return FunctionNotFound(f"{exc.message}:$LATEST")
    return exc


async def invoke(invoker: Invoker, request: dict[str, Any]) -> RestResponse:
    headers = request["headers"]
    try:
        result = await invoker.invoke(
            InvokeRequest(
                function=request["path"]["name"],
                payload=request["body"],
                invocation_type=headers.get("x-amz-invocation-type", "RequestResponse"),
                log_type=headers.get("x-amz-log-type", "None"),
                qualifier=request["query"].get("Qualifier"),
                client_context=headers.get("x-amz-client-context"),
                # The caller's subsegment for this call when it is traced (its Parent).
                trace_id=current_header() or headers.get("x-amzn-trace-id"),
                # One id for the call: the response's x-amzn-RequestId is the
                # invocation's (its context.aws_request_id), as on Lambda.
                request_id=request.get("request_id"),
            )
        )
    except FunctionNotFound as exc:
        raise _aws_error(_latest(exc)) from exc
    except InvokeError as exc:
        raise _aws_error(exc) from exc
    out = {"x-amzn-RequestId": result.request_id}
    if result.executed_version and result.status_code == 200:
        out["X-Amz-Executed-Version"] = result.executed_version
    if result.function_error:
        out["X-Amz-Function-Error"] = result.function_error
    if result.log_result is not None:
        out["X-Amz-Log-Result"] = result.log_result
    if result.status_code != 200:
        return RestResponse(b"", result.status_code, out, media_type=None)
    return RestResponse(result.payload, 200, out)


async def invoke_async(invoker: Invoker, request: dict[str, Any]) -> RestResponse:
    # The deprecated InvokeAsync API (2014-11-13): an Event invocation.
    try:
        result = await invoker.invoke(
            InvokeRequest(
                function=request["path"]["name"],
                payload=request["body"],
                invocation_type="Event",
                trace_id=current_header() or request["headers"].get("x-amzn-trace-id"),
                request_id=request.get("request_id"),
            )
        )
    except InvokeError as exc:
        raise _aws_error(exc) from exc
    return RestResponse(b'{"Status": 202}', 202, {"x-amzn-RequestId": result.request_id})


def _resolve(invoker: Invoker, request: dict[str, Any]) -> FunctionSpec:
    """The function, or the version a Qualifier names (an alias: its primary version)."""
    qualifier = request["query"].get("Qualifier")
    try:
        fn = invoker.resolve(request["path"]["name"], qualifier)
    except InvokeError as exc:
        raise _aws_error(exc) from exc
    versions = invoker.versions
    version = versions and qualifier and versions.resolved_version(fn, qualifier)
    return versions.spec(fn, version) if versions and version else fn


def get_function(invoker: Invoker, request: dict[str, Any]) -> dict[str, Any]:
    fn = _resolve(invoker, request)
    return {
        "Configuration": configuration(fn),
        "Code": {"RepositoryType": "Local", "Location": fn.code_dir.as_uri()},
    }


def get_function_configuration(invoker: Invoker, request: dict[str, Any]) -> dict[str, Any]:
    return configuration(_resolve(invoker, request))


def list_functions(invoker: Invoker, request: dict[str, Any]) -> dict[str, Any]:
    return {"Functions": [configuration(fn) for fn in invoker.app.functions]}


ROUTES = (
    RestRoute("POST", f"{API}/{{name}}/invocations", "InvokeFunction"),
    RestRoute("POST", "/2014-11-13/functions/{name}/invoke-async/", "InvokeAsync"),
    RestRoute("GET", f"{API}/", "ListFunctions"),
    RestRoute("GET", API, "ListFunctions"),
    RestRoute("GET", f"{API}/{{name}}", "GetFunction"),
    RestRoute("GET", f"{API}/{{name}}/configuration", "GetFunctionConfiguration"),
    *lambda_versions_api.ROUTES,
)
OPERATIONS: dict[str, Operation] = {
    "InvokeFunction": invoke,  # AWS's internal name, in its "too large" message
    "InvokeAsync": invoke_async,
    "ListFunctions": list_functions,
    "GetFunction": get_function,
    "GetFunctionConfiguration": get_function_configuration,
    **lambda_versions_api.OPERATIONS,
}


# IAM: each operation on the function it names (Service Authorization Reference, "AWS
# Lambda"): lambda:<Operation>, except Invoke and InvokeAsync, which are
# lambda:InvokeFunction; a qualifier is part of the ARN. ListFunctions acts on no
# function.
IAM_ACTIONS = {"InvokeFunction": "lambda:InvokeFunction", "InvokeAsync": "lambda:InvokeFunction"}


def iam_map(invoker: Invoker) -> IamMap:
    app = invoker.app

    def requests(operation: str, request: dict[str, Any]) -> Sequence[IamRequest] | None:
        action = IAM_ACTIONS.get(operation, f"lambda:{operation}")
        name = request["path"].get("name")
        if name is None:  # ListFunctions
            return (IamRequest(action),)
        arn = str(name)
        if not arn.startswith("arn:"):
            function, _, qualifier = arn.partition(":")
            arn = f"arn:aws:lambda:{app.region}:{app.account_id}:function:{function}"
            arn += f":{qualifier}" if qualifier else ""
        qualifier = request["query"].get("Qualifier")
        if qualifier and arn.count(":") == 6:
            arn += f":{qualifier}"
        return (IamRequest(action, arn),)

    return requests


def face(invoker: Invoker) -> RestJsonService:
    return RestJsonService(
        ROUTES,
        Operations(
            "Lambda",
            invoker,
            OPERATIONS,
            malformed="InvalidParameterValueException",
            internal="ServiceException",
            too_large="RequestTooLargeException",  # as the invoker names it (its model's name)
            iam=iam_map(invoker),
        ),
        max_request_bytes=MAX_PAYLOAD_BYTES,
    )
