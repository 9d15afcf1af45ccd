"""Lambda's versions, aliases and provisioned concurrency on the AWS endpoint.

PublishVersion, ListVersionsByFunction, Create/Get/List/Update/DeleteAlias and
Put/Get/DeleteProvisionedConcurrencyConfig, in rest-json as botocore's ``lambda``
client sends them; the state is the invoker's ``Versions`` (``invoker/versions.py``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from typing import Any

from serverlite import fastjson
from serverlite.aws.backend import AwsError, Operation, RestResponse, RestRoute
from serverlite.aws.lambda_config import configuration
from serverlite.errors import FunctionNotFound, InvalidParameterValue, InvokeError
from serverlite.invoker import Invoker
from serverlite.invoker.versions import (
    LATEST,
    Alias,
    ProvisionedConfigNotFound,
    ResourceConflict,
    Versions,
)
from serverlite.template.model import FunctionSpec

API = "/2015-03-31/functions"
PROVISIONED = "/2019-09-30/functions/{name}/provisioned-concurrency"
# Lambda's alias name pattern: letters, digits, - and _, not all digits (a version).
_ALIAS_NAME = re.compile(r"(?!^[0-9]+$)([a-zA-Z0-9-_]+)")
_background: set[asyncio.Task[None]] = set()


def _error(exc: InvokeError) -> AwsError:
    error = AwsError(exc.code, exc.message, exc.status, **exc.fields)
    error.message_key = exc.message_key
    return error


def _versions(invoker: Invoker) -> Versions:
    assert invoker.versions is not None
    return invoker.versions


def _function(invoker: Invoker, request: dict[str, Any]) -> FunctionSpec:
    try:
        return invoker.resolve(request["path"]["name"])
    except InvokeError as exc:
        raise _error(exc) from exc


def _config(invoker: Invoker, fn: FunctionSpec, number: str) -> dict[str, Any]:
    config = configuration(_versions(invoker).spec(fn, number))
    if number != LATEST:
        version = _versions(invoker).version(fn, number)
        config["FunctionArn"] = f"{fn.arn}:{number}"
        if version is not None:
            config["Description"] = version.description or fn.description
            config["CodeSha256"] = version.code_sha256
            config["LastModified"] = version.last_modified
    return config


# -- versions -----------------------------------------------------------------------


def publish_version(invoker: Invoker, request: dict[str, Any]) -> RestResponse:
    fn = _function(invoker, request)
    body = request["body"]
    version = _versions(invoker).publish(fn, str(body.get("Description") or ""))
    return RestResponse(fastjson.dumps(_config(invoker, fn, version.number)), 201)


def list_versions(invoker: Invoker, request: dict[str, Any]) -> dict[str, Any]:
    fn = _function(invoker, request)
    numbers = [LATEST, *(v.number for v in _versions(invoker).versions(fn))]
    return {"Versions": [_config(invoker, fn, number) for number in numbers]}


# -- aliases ------------------------------------------------------------------------


def _alias_config(fn: FunctionSpec, alias: Alias) -> dict[str, Any]:
    config: dict[str, Any] = {
        "AliasArn": f"{fn.arn}:{alias.name}",
        "Name": alias.name,
        "FunctionVersion": alias.version,
        "Description": alias.description,
        "RevisionId": alias.revision_id,
    }
    if alias.weights:
        config["RoutingConfig"] = {"AdditionalVersionWeights": dict(alias.weights)}
    return config


def _weights(body: dict[str, Any], version: str) -> dict[str, float]:
    routing = body.get("RoutingConfig") or {}
    weights = {str(k): float(v) for k, v in (routing.get("AdditionalVersionWeights") or {}).items()}
    if any(not 0.0 <= w <= 1.0 for w in weights.values()) or sum(weights.values()) > 1.0:
        raise _error(InvalidParameterValue("The sum of the additional version weights is > 1"))
    if weights and LATEST in (version, *weights):
        # Lambda splits traffic between published versions only.
        raise _error(
            InvalidParameterValue(
                "$LATEST is not supported for an alias pointing to more than 1 version"
            )
        )
    return weights


def _put(invoker: Invoker, alias: Alias) -> Alias:
    try:
        return _versions(invoker).put_alias(alias)
    except InvokeError as exc:
        raise _error(exc) from exc


def create_alias(invoker: Invoker, request: dict[str, Any]) -> RestResponse:
    fn = _function(invoker, request)
    body = request["body"]
    name = str(body.get("Name") or "")
    version = str(body.get("FunctionVersion") or "")
    if not _ALIAS_NAME.fullmatch(name):
        raise _error(
            InvalidParameterValue(
                f"1 validation error detected: Value '{name}' at 'name' failed to satisfy "
                "constraint: Member must satisfy regular expression pattern: "
                "(?!^[0-9]+$)([a-zA-Z0-9-_]+)"
            )
        )
    if _versions(invoker).alias(fn, name) is not None:
        raise _error(ResourceConflict(f"Alias already exists: {fn.arn}:{name}"))
    alias = Alias(
        fn.name, name, version, _weights(body, version), str(body.get("Description") or "")
    )
    return RestResponse(fastjson.dumps(_alias_config(fn, _put(invoker, alias))), 201)


def _existing_alias(invoker: Invoker, request: dict[str, Any]) -> tuple[FunctionSpec, Alias]:
    fn = _function(invoker, request)
    name = request["path"]["alias"]
    alias = _versions(invoker).alias(fn, name)
    if alias is None:
        raise _error(FunctionNotFound(f"Alias not found: {fn.arn}:{name}"))
    return fn, alias


def get_alias(invoker: Invoker, request: dict[str, Any]) -> dict[str, Any]:
    fn, alias = _existing_alias(invoker, request)
    return _alias_config(fn, alias)


def list_aliases(invoker: Invoker, request: dict[str, Any]) -> dict[str, Any]:
    fn = _function(invoker, request)
    only = request["query"].get("FunctionVersion")
    aliases = [a for a in _versions(invoker).aliases(fn) if only in (None, a.version)]
    return {"Aliases": [_alias_config(fn, alias) for alias in aliases]}


def update_alias(invoker: Invoker, request: dict[str, Any]) -> dict[str, Any]:
    fn, alias = _existing_alias(invoker, request)
    body = request["body"]
    revision = body.get("RevisionId")
    if revision is not None and revision != alias.revision_id:
        raise _error(
            PreconditionFailed(
                "The Revision Id provided does not match the latest Revision Id. Call the "
                "GetAlias API to retrieve the latest Revision Id"
            )
        )
    version = str(body.get("FunctionVersion") or alias.version)
    weights = _weights(body, version) if "RoutingConfig" in body else dict(alias.weights)
    description = body.get("Description")
    updated = dataclasses.replace(
        alias,
        version=version,
        weights=weights,
        description=alias.description if description is None else str(description),
    )
    return _alias_config(fn, _put(invoker, updated))


def delete_alias(invoker: Invoker, request: dict[str, Any]) -> RestResponse:
    fn = _function(invoker, request)
    name = request["path"]["alias"]
    if _versions(invoker).provisioned(fn, name) is not None:
        invoker.pool.unprovision(_versions(invoker).spec(fn, _alias_version(invoker, fn, name)))
    _versions(invoker).delete_alias(fn, name)  # deleting a missing alias succeeds, as on AWS
    return RestResponse(b"", 204, media_type=None)


def _alias_version(invoker: Invoker, fn: FunctionSpec, qualifier: str) -> str:
    return _versions(invoker).resolved_version(fn, qualifier) or LATEST


class PreconditionFailed(InvokeError):
    code = "PreconditionFailedException"
    status = 412
    message_key = "message"


# -- provisioned concurrency ----------------------------------------------------------


def _qualifier(invoker: Invoker, request: dict[str, Any]) -> tuple[FunctionSpec, str]:
    fn = _function(invoker, request)
    qualifier = request["query"].get("Qualifier") or LATEST
    if qualifier == LATEST:
        raise _error(
            InvalidParameterValue(
                "Provisioned Concurrency Configs cannot be applied to unpublished function "
                "versions."
            )
        )
    if _versions(invoker).resolved_version(fn, qualifier) is None:
        raise _error(FunctionNotFound(f"Function not found: {fn.arn}:{qualifier}"))
    return fn, qualifier


def _provisioned_body(requested: int, allocated: int, modified: str) -> dict[str, Any]:
    return {
        "RequestedProvisionedConcurrentExecutions": requested,
        "AvailableProvisionedConcurrentExecutions": allocated,
        "AllocatedProvisionedConcurrentExecutions": allocated,
        "Status": "READY" if allocated >= requested else "IN_PROGRESS",
        "LastModified": modified,
    }


def put_provisioned(invoker: Invoker, request: dict[str, Any]) -> RestResponse:
    fn, qualifier = _qualifier(invoker, request)
    count = int(request["body"].get("ProvisionedConcurrentExecutions") or 0)
    if count < 1:
        raise _error(
            InvalidParameterValue(
                f"1 validation error detected: Value '{count}' at "
                "'provisionedConcurrentExecutions' failed to satisfy constraint: Member must "
                "have value greater than or equal to 1"
            )
        )
    versions = _versions(invoker)
    config = versions.put_provisioned(fn, qualifier, count)
    spec = versions.spec(fn, _alias_version(invoker, fn, qualifier))

    async def start() -> None:
        versions.set_allocated(config, await invoker.pool.provision(spec, count))

    task = asyncio.get_running_loop().create_task(start())
    _background.add(task)
    task.add_done_callback(_background.discard)
    body = _provisioned_body(count, 0, config.last_modified)
    return RestResponse(fastjson.dumps(body), 202)


def get_provisioned(invoker: Invoker, request: dict[str, Any]) -> dict[str, Any]:
    fn, qualifier = _qualifier(invoker, request)
    config = _versions(invoker).provisioned(fn, qualifier)
    if config is None:
        raise _error(
            ProvisionedConfigNotFound("No Provisioned Concurrency Config found for this function")
        )
    return _provisioned_body(config.requested, config.allocated, config.last_modified)


def delete_provisioned(invoker: Invoker, request: dict[str, Any]) -> RestResponse:
    fn, qualifier = _qualifier(invoker, request)
    invoker.pool.unprovision(_versions(invoker).spec(fn, _alias_version(invoker, fn, qualifier)))
    _versions(invoker).delete_provisioned(fn, qualifier)
    return RestResponse(b"", 204, media_type=None)


ROUTES = (
    RestRoute("POST", f"{API}/{{name}}/versions", "PublishVersion", json=True),
    RestRoute("GET", f"{API}/{{name}}/versions", "ListVersionsByFunction"),
    RestRoute("POST", f"{API}/{{name}}/aliases", "CreateAlias", json=True),
    RestRoute("GET", f"{API}/{{name}}/aliases", "ListAliases"),
    RestRoute("GET", f"{API}/{{name}}/aliases/{{alias}}", "GetAlias"),
    RestRoute("PUT", f"{API}/{{name}}/aliases/{{alias}}", "UpdateAlias", json=True),
    RestRoute("DELETE", f"{API}/{{name}}/aliases/{{alias}}", "DeleteAlias"),
    RestRoute("PUT", PROVISIONED, "PutProvisionedConcurrencyConfig", json=True),
    RestRoute("GET", PROVISIONED, "GetProvisionedConcurrencyConfig"),
    RestRoute("DELETE", PROVISIONED, "DeleteProvisionedConcurrencyConfig"),
)
OPERATIONS: dict[str, Operation] = {
    "PublishVersion": publish_version,
    "ListVersionsByFunction": list_versions,
    "CreateAlias": create_alias,
    "GetAlias": get_alias,
    "ListAliases": list_aliases,
    "UpdateAlias": update_alias,
    "DeleteAlias": delete_alias,
    "PutProvisionedConcurrencyConfig": put_provisioned,
    "GetProvisionedConcurrencyConfig": get_provisioned,
    "DeleteProvisionedConcurrencyConfig": delete_provisioned,
}
