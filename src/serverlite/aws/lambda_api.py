"""The Lambda API on the AWS endpoint: Invoke (and InvokeAsync), GetFunction, ListFunctions.

Speaks rest-json as botocore's ``lambda`` client does, so ``boto3.client("lambda",
endpoint_url=...)`` and ``aws lambda invoke --endpoint-url ...`` work unchanged.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from serverlite.aws.errors import from_invoke_error
from serverlite.errors import FunctionNotFound, InvokeError
from serverlite.invoker import Invoker, InvokeRequest
from serverlite.template.model import FunctionSpec

API = "/2015-03-31/functions"


def configuration(fn: FunctionSpec) -> dict[str, Any]:
    """FunctionConfiguration as GetFunctionConfiguration returns it."""
    config: dict[str, Any] = {
        "FunctionName": fn.name,
        "FunctionArn": fn.arn,
        "Runtime": fn.runtime,
        "Role": fn.role or f"arn:aws:iam::{fn.arn.split(':')[4]}:role/{fn.name}-role",
        "Handler": fn.handler,
        "Description": fn.description,
        "Timeout": fn.timeout_s,
        "MemorySize": fn.memory_mb,
        "Version": "$LATEST",
        "Environment": {"Variables": dict(fn.environment)},
        "Architectures": list(fn.architectures),
        "EphemeralStorage": {"Size": fn.ephemeral_storage_mb},
        "Layers": [{"Arn": layer.arn} for layer in fn.layers],
        "PackageType": "Zip",
        "State": "Active",
        "LastUpdateStatus": "Successful",
    }
    if fn.dead_letter_queue is not None:
        config["DeadLetterConfig"] = {"TargetArn": fn.dead_letter_queue.arn}
    return config


def _latest(exc: FunctionNotFound) -> FunctionNotFound:
    """Invoke names the version it looked for: an unqualified name is ``...:$LATEST``
    (LocalStack's AWS-validated snapshot test_invoke_exceptions, recorded 2025-11)."""
    arn = exc.message.rpartition(" ")[2]
    if arn.startswith("arn:") and arn.count(":") == 6:
        return FunctionNotFound(f"{exc.message}:$LATEST")
    return exc


def routes(invoker: Invoker) -> list[Route]:
    async def invoke(request: Request) -> Response:
        headers = request.headers
        try:
            result = await invoker.invoke(
                InvokeRequest(
                    function=request.path_params["name"],
                    payload=await request.body(),
                    invocation_type=headers.get("x-amz-invocation-type", "RequestResponse"),
                    log_type=headers.get("x-amz-log-type", "None"),
                    qualifier=request.query_params.get("Qualifier"),
                    client_context=headers.get("x-amz-client-context"),
                    trace_id=headers.get("x-amzn-trace-id"),
                )
            )
        except FunctionNotFound as exc:
            return from_invoke_error(_latest(exc))
        except InvokeError as exc:
            return from_invoke_error(exc)
        out = {"x-amzn-RequestId": result.request_id}
        if result.executed_version and result.status_code == 200:
            out["X-Amz-Executed-Version"] = result.executed_version
        if result.function_error:
            out["X-Amz-Function-Error"] = result.function_error
        if result.log_result is not None:
            out["X-Amz-Log-Result"] = result.log_result
        if result.status_code != 200:
            return Response(status_code=result.status_code, headers=out)
        return Response(result.payload, status_code=200, headers=out, media_type="application/json")

    async def invoke_async(request: Request) -> Response:
        # The deprecated InvokeAsync API (2014-11-13): an Event invocation.
        try:
            result = await invoker.invoke(
                InvokeRequest(
                    function=request.path_params["name"],
                    payload=await request.body(),
                    invocation_type="Event",
                )
            )
        except InvokeError as exc:
            return from_invoke_error(exc)
        return JSONResponse(
            {"Status": 202}, status_code=202, headers={"x-amzn-RequestId": result.request_id}
        )

    async def get_function(request: Request) -> Response:
        try:
            fn = invoker.resolve(request.path_params["name"], request.query_params.get("Qualifier"))
        except InvokeError as exc:
            return from_invoke_error(exc)
        return JSONResponse(
            {
                "Configuration": configuration(fn),
                "Code": {"RepositoryType": "Local", "Location": fn.code_dir.as_uri()},
            }
        )

    async def get_configuration(request: Request) -> Response:
        try:
            fn = invoker.resolve(request.path_params["name"], request.query_params.get("Qualifier"))
        except InvokeError as exc:
            return from_invoke_error(exc)
        return JSONResponse(configuration(fn))

    async def list_functions(request: Request) -> Response:
        return JSONResponse({"Functions": [configuration(fn) for fn in invoker.app.functions]})

    return [
        Route(f"{API}/{{name}}/invocations", invoke, methods=["POST"]),
        Route("/2014-11-13/functions/{name}/invoke-async/", invoke_async, methods=["POST"]),
        Route(f"{API}/", list_functions, methods=["GET"]),
        Route(API, list_functions, methods=["GET"]),
        Route(f"{API}/{{name}}", get_function, methods=["GET"]),
        Route(f"{API}/{{name}}/configuration", get_configuration, methods=["GET"]),
    ]
