"""Lambda's function URL API on the AWS endpoint: Create/Get/Update/Delete and
ListFunctionUrlConfigs, in rest-json as botocore's ``lambda`` client sends them.

A URL the API creates is served at once on a port from the operating system; its
``FunctionUrl`` is that local URL (as the template's URLs are localized), while the id
in it is the one the event's ``domainName`` carries.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from serverlite import fastjson
from serverlite.aws.backend import (
    AwsError,
    Operation,
    Operations,
    RestJsonService,
    RestResponse,
    RestRoute,
)
from serverlite.function_urls.configs import FunctionUrls
from serverlite.function_urls.model import (
    AUTH_TYPES,
    INVOKE_MODES,
    UrlConfig,
    cors_document,
    cors_spec,
)
from serverlite.invoker import Invoker
from serverlite.template.model import FunctionSpec

PATH = "/2021-10-31/functions/{name}/url"


@dataclasses.dataclass(frozen=True)
class UrlApi:
    invoker: Invoker
    urls: FunctionUrls
    local_url: Callable[[str], str | None]  # url id -> where it is served, if it is


def _error(code: str, message: str, status: int) -> AwsError:
    error = AwsError(code, message, status)
    error.message_key = "Message"
    return error


def _not_found() -> AwsError:
    return _error("ResourceNotFoundException", "The resource you requested does not exist.", 404)


def _function(api: UrlApi, request: dict[str, Any]) -> FunctionSpec:
    name = request["path"]["name"]
    fn = api.invoker.app.find_function(name.split(":")[6] if name.startswith("arn:") else name)
    if fn is None:
        arn = f"arn:aws:lambda:{api.invoker.app.region}:{api.invoker.app.account_id}"
        raise _error("ResourceNotFoundException", f"Function not found: {arn}:function:{name}", 404)
    return fn


def _qualifier(api: UrlApi, fn: FunctionSpec, request: dict[str, Any]) -> str | None:
    qualifier = request["query"].get("Qualifier")
    if qualifier in (None, "", "$LATEST"):
        return None
    versions = api.invoker.versions
    if qualifier.isdigit() or versions is None or versions.alias(fn, qualifier) is None:
        # A URL points at $LATEST or an alias, never at a version.
        raise _error("ResourceNotFoundException", f"Function not found: {fn.arn}:{qualifier}", 404)
    return str(qualifier)


def _check(body: dict[str, Any]) -> None:
    for key, allowed, field in (
        ("AuthType", AUTH_TYPES, "authType"),
        ("InvokeMode", INVOKE_MODES, "invokeMode"),
    ):
        value = body.get(key)
        if value is not None and value not in allowed:
            raise _error(
                "ValidationException",
                f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy "
                f"constraint: Member must satisfy enum value set: [{', '.join(allowed)}]",
                400,
            )


def _document(api: UrlApi, config: UrlConfig, *, modified: bool = True) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "FunctionUrl": api.local_url(config.url_id) or config.aws_url,
        "FunctionArn": config.function_arn,
        "AuthType": config.auth_type,
        "CreationTime": config.created,
        "InvokeMode": config.invoke_mode,
    }
    if modified:
        doc["LastModifiedTime"] = config.modified
    cors = cors_document(config.cors)
    if cors is not None:
        doc["Cors"] = cors
    return doc


def create(api: UrlApi, request: dict[str, Any]) -> RestResponse:
    fn = _function(api, request)
    qualifier = _qualifier(api, fn, request)
    body = request["body"]
    _check(body)
    if api.urls.get(fn.name, qualifier) is not None:
        arn = f"{fn.arn}:{qualifier}" if qualifier else fn.arn
        raise _error(
            "ResourceConflictException",
            f"Failed to create function url config for [functionArn = {arn}]. Error message: "
            " FunctionUrlConfig exists for this Lambda function",
            409,
        )
    config = api.urls.put(
        UrlConfig(
            url_id="",
            function=fn.name,
            function_arn=f"{fn.arn}:{qualifier}" if qualifier else fn.arn,
            qualifier=qualifier,
            auth_type=str(body.get("AuthType") or "NONE"),
            invoke_mode=str(body.get("InvokeMode") or "BUFFERED"),
            cors=cors_spec(body.get("Cors")),
        )
    )
    return RestResponse(fastjson.dumps(_document(api, config, modified=False)), 201)


def _existing(api: UrlApi, request: dict[str, Any]) -> UrlConfig:
    fn = _function(api, request)
    config = api.urls.get(fn.name, _qualifier(api, fn, request))
    if config is None:
        raise _not_found()
    return config


def get(api: UrlApi, request: dict[str, Any]) -> dict[str, Any]:
    return _document(api, _existing(api, request))


def update(api: UrlApi, request: dict[str, Any]) -> dict[str, Any]:
    config = _existing(api, request)
    body = request["body"]
    _check(body)
    updated = dataclasses.replace(
        config,
        auth_type=str(body.get("AuthType") or config.auth_type),
        invoke_mode=str(body.get("InvokeMode") or config.invoke_mode),
        cors=cors_spec(body["Cors"]) if "Cors" in body else config.cors,
    )
    return _document(api, api.urls.put(updated))


def delete(api: UrlApi, request: dict[str, Any]) -> RestResponse:
    api.urls.delete(_existing(api, request))
    return RestResponse(b"", 204, media_type=None)


def list_configs(api: UrlApi, request: dict[str, Any]) -> dict[str, Any]:
    fn = _function(api, request)
    return {"FunctionUrlConfigs": [_document(api, c) for c in api.urls.of_function(fn.name)]}


ROUTES = (
    RestRoute("POST", PATH, "CreateFunctionUrlConfig", json=True),
    RestRoute("GET", PATH, "GetFunctionUrlConfig"),
    RestRoute("PUT", PATH, "UpdateFunctionUrlConfig", json=True),
    RestRoute("DELETE", PATH, "DeleteFunctionUrlConfig"),
    RestRoute("GET", "/2021-10-31/functions/{name}/urls", "ListFunctionUrlConfigs"),
)
OPERATIONS: dict[str, Operation] = {
    "CreateFunctionUrlConfig": create,
    "GetFunctionUrlConfig": get,
    "UpdateFunctionUrlConfig": update,
    "DeleteFunctionUrlConfig": delete,
    "ListFunctionUrlConfigs": list_configs,
}


def face(api: UrlApi) -> RestJsonService:
    return RestJsonService(
        ROUTES,
        Operations(
            "Lambda",
            api,
            OPERATIONS,
            malformed="InvalidParameterValueException",
            internal="ServiceException",
        ),
    )
