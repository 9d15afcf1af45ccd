"""WebSocket APIs as the template declares them (``AWS::ApiGatewayV2::*``).

An ``AWS::ApiGatewayV2::Api`` with ``ProtocolType: WEBSOCKET`` and its Routes, each
targeting ``integrations/<IntegrationId>``; an ``AWS_PROXY`` Integration names a
function in its IntegrationUri (``arn:aws:apigateway:<region>:lambda:path/2015-03-31/
functions/<function ARN>/invocations``). ``$connect`` may have a REQUEST authorizer
(``AWS::ApiGatewayV2::Authorizer``). A route with a RouteResponse (or a
RouteResponseSelectionExpression) is two-way: the function's answer goes back to the
client. The Stage gives the path (``/<StageName>``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from serverlite.template.model import Application, ResourceSpec

_FUNCTION_ARN = re.compile(r"functions/(arn:[^/]+)/invocations")


@dataclass(frozen=True)
class WsAuthorizer:
    name: str
    function: str  # function ARN (with qualifier, if any)
    identity_sources: tuple[str, ...]  # route.request.header.X / route.request.querystring.x


@dataclass(frozen=True)
class WsRoute:
    route_key: str  # $connect, $disconnect, $default, or a custom key
    function: str | None  # the AWS_PROXY integration's function ARN; None: no integration
    two_way: bool = False
    authorizer: WsAuthorizer | None = None


@dataclass(frozen=True)
class WebSocketApiSpec:
    logical_id: str
    stack_path: tuple[str, ...]
    api_id: str
    name: str
    route_selection_expression: str
    stage: str
    routes: Mapping[str, WsRoute] = field(default_factory=dict)
    stage_variables: Mapping[str, str] = field(default_factory=dict)

    @property
    def qualified_id(self) -> str:
        return "/".join((*self.stack_path, self.logical_id))


def _of_api(resources: list[ResourceSpec], kind: str, api_id: str) -> list[ResourceSpec]:
    return [r for r in resources if r.type == kind and r.properties.get("ApiId") == api_id]


def _function(uri: Any) -> str | None:
    found = _FUNCTION_ARN.search(uri) if isinstance(uri, str) else None
    return found.group(1) if found else None


def discover(app: Application) -> list[WebSocketApiSpec]:
    resources = list(app.resources)
    apis = []
    for api in resources:
        if (
            api.type != "AWS::ApiGatewayV2::Api"
            or api.properties.get("ProtocolType") != "WEBSOCKET"
        ):
            continue
        api_id = api.physical_id
        integrations = {
            r.physical_id: _function(r.properties.get("IntegrationUri"))
            for r in _of_api(resources, "AWS::ApiGatewayV2::Integration", api_id)
            if r.properties.get("IntegrationType") == "AWS_PROXY"
        }
        authorizers = {
            r.physical_id: WsAuthorizer(
                str(r.properties.get("Name") or r.logical_id),
                _function(r.properties.get("AuthorizerUri")) or "",
                tuple(str(s) for s in r.properties.get("IdentitySource") or ()),
            )
            for r in _of_api(resources, "AWS::ApiGatewayV2::Authorizer", api_id)
            if r.properties.get("AuthorizerType") == "REQUEST"
        }
        two_way = {
            str(r.properties.get("RouteId"))
            for r in _of_api(resources, "AWS::ApiGatewayV2::RouteResponse", api_id)
        }
        routes = {}
        for route in _of_api(resources, "AWS::ApiGatewayV2::Route", api_id):
            key = str(route.properties.get("RouteKey"))
            target = str(route.properties.get("Target") or "")
            integration = target.removeprefix("integrations/")
            authorizer = None
            if route.properties.get("AuthorizationType") == "CUSTOM":
                authorizer = authorizers.get(str(route.properties.get("AuthorizerId")))
            routes[key] = WsRoute(
                key,
                integrations.get(integration),
                route.physical_id in two_way
                or bool(route.properties.get("RouteResponseSelectionExpression")),
                authorizer,
            )
        stages = _of_api(resources, "AWS::ApiGatewayV2::Stage", api_id)
        stage = stages[0].properties if stages else {}
        apis.append(
            WebSocketApiSpec(
                logical_id=api.logical_id,
                stack_path=api.stack_path,
                api_id=api_id,
                name=str(api.properties.get("Name") or api.logical_id),
                route_selection_expression=str(
                    api.properties.get("RouteSelectionExpression") or "$request.body.action"
                ),
                stage=str(stage.get("StageName") or "$default"),
                routes=routes,
                stage_variables={
                    str(k): str(v) for k, v in (stage.get("StageVariables") or {}).items()
                },
            )
        )
    return apis


def warnings(app: Application) -> list[str]:
    """What a WebSocket API declares that serverlite does not emulate (said at start)."""
    found = []
    apis = {
        r.physical_id: r.logical_id
        for r in app.resources
        if r.type == "AWS::ApiGatewayV2::Api" and r.properties.get("ProtocolType") == "WEBSOCKET"
    }
    for res in app.resources:
        api = apis.get(str(res.properties.get("ApiId")))
        if api is None:
            continue
        props = res.properties
        if res.type == "AWS::ApiGatewayV2::Integration" and props.get("IntegrationType") != (
            "AWS_PROXY"
        ):
            found.append(
                f"WebSocket API {api}: integration {res.logical_id} is "
                f"{props.get('IntegrationType')}; only AWS_PROXY to a function is served, its "
                "routes answer Forbidden"
            )
        if res.type == "AWS::ApiGatewayV2::Route" and props.get("AuthorizationType") == "AWS_IAM":
            found.append(
                f"WebSocket API {api}: route {props.get('RouteKey')} wants AWS_IAM "
                "authorization, which serverlite does not check: every client may connect"
            )
    return found


def select_route(expression: str, body: Any) -> str | None:
    """The route key ``$request.body.<path>`` (or ``${request.body.<path>}``) picks from a
    message that is a JSON object; None when it picks nothing."""
    found = re.fullmatch(r"\$\{?request\.body\.([A-Za-z0-9_.\-]+)\}?", expression.strip())
    if found is None or not isinstance(body, dict):
        return None
    value: Any = body
    for part in found.group(1).split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value if isinstance(value, str) else None
