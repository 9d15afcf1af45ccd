"""APIs written as plain CloudFormation (and so as CDK synthesizes them).

REST: ``AWS::ApiGateway::RestApi`` with its ``Resource`` tree (``ParentId`` /
``PathPart``, the root being the API's ``RootResourceId``), ``Method`` (``HttpMethod``,
``Integration``, ``AuthorizationType`` / ``AuthorizerId``, ``RequestParameters``,
``RequestValidatorId``, ``RequestModels``), ``Authorizer``, ``RequestValidator``,
``Model``, and the ``Stage`` (or ``Deployment``) that names the stage.
HTTP: ``AWS::ApiGatewayV2::Api`` (``ProtocolType: HTTP``; quick create's ``Target``),
``Route`` (``RouteKey``, ``Target: integrations/<id>``), ``Integration``, ``Authorizer``
and ``Stage``. WebSocket APIs are not read here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from serverlite.gateway.model import (
    HTTP_TIMEOUT_MS,
    REST_TIMEOUT_MS,
    AuthorizerSpec,
    IntegrationSpec,
    RouteSpec,
)
from serverlite.gateway.openapi import function_of_uri
from serverlite.template.model import ResourceSpec, StackSpec

REST_API = "AWS::ApiGateway::RestApi"
HTTP_API = "AWS::ApiGatewayV2::Api"


@dataclass(frozen=True)
class CfnApi:
    routes: tuple[RouteSpec, ...] = ()
    authorizers: Mapping[str, AuthorizerSpec] = field(default_factory=dict)
    models: Mapping[str, Any] = field(default_factory=dict)
    stage: str | None = None
    stage_variables: Mapping[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


def is_http_api(resource: ResourceSpec) -> bool:
    """An AWS::ApiGatewayV2::Api served as an HTTP API (not a WebSocket API)."""
    return str(resource.properties.get("ProtocolType", "HTTP")).upper() == "HTTP"


def _of_api(stack: StackSpec, kind: str, api: ResourceSpec, key: str) -> list[ResourceSpec]:
    return [
        r for r in stack.resources if r.type == kind and r.properties.get(key) == api.physical_id
    ]


def _stage(
    stack: StackSpec, api: ResourceSpec, prefix: str, key: str
) -> tuple[str | None, dict[str, str]]:
    for stage in _of_api(stack, f"{prefix}::Stage", api, key):
        variables = stage.properties.get(
            "Variables" if prefix.endswith("Gateway") else "StageVariables"
        )
        values = (
            {str(k): str(v) for k, v in variables.items()} if isinstance(variables, dict) else {}
        )
        return str(stage.properties.get("StageName", "$default")), values
    for deployment in _of_api(stack, f"{prefix}::Deployment", api, key):
        if "StageName" in deployment.properties:
            return str(deployment.properties["StageName"]), {}
    return None, {}


def _integration(
    raw: Mapping[str, Any], fn_names: Mapping[str, str], http: bool
) -> tuple[str, IntegrationSpec | None]:
    """(function, other integration) of a Method's Integration / a V2 Integration."""
    kind = str(raw.get("IntegrationType" if http else "Type", "")).upper()
    uri = raw.get("IntegrationUri" if http else "Uri")
    if kind == "AWS_PROXY":
        function = function_of_uri(uri, fn_names)
        if function is not None:
            return function, None
        return "", IntegrationSpec(
            type="UNSUPPORTED", description=f"AWS_PROXY to {uri!r} (not a function of the template)"
        )
    if kind == "MOCK":
        responses: dict[str, Any] = {}
        for item in raw.get("IntegrationResponses") or []:
            if isinstance(item, dict):
                responses[str(item.get("SelectionPattern") or "default")] = {
                    "statusCode": item.get("StatusCode", "200"),
                    "responseParameters": item.get("ResponseParameters") or {},
                    "responseTemplates": item.get("ResponseTemplates") or {},
                }
        templates = raw.get("RequestTemplates")
        return "", IntegrationSpec(
            type="MOCK",
            request_templates={str(k): str(v) for k, v in templates.items()}
            if isinstance(templates, dict)
            else {},
            responses=responses,
        )
    if kind == "HTTP_PROXY":
        method = raw.get("IntegrationMethod" if http else "IntegrationHttpMethod", "ANY")
        return "", IntegrationSpec(
            type="HTTP_PROXY", uri=str(uri or ""), http_method=str(method).upper()
        )
    return "", IntegrationSpec(
        type="UNSUPPORTED", description=f"integration type {kind or '(none)'}"
    )


def _rest_authorizer(res: ResourceSpec, fn_names: Mapping[str, str]) -> AuthorizerSpec:
    props = res.properties
    kind = str(props.get("Type", "TOKEN")).upper()
    sources = tuple(s.strip() for s in str(props.get("IdentitySource", "")).split(",") if s.strip())
    ttl = int(props.get("AuthorizerResultTtlInSeconds", 300))
    if kind == "COGNITO_USER_POOLS":
        return AuthorizerSpec(
            name=res.physical_id,
            type="COGNITO",
            user_pool_arns=tuple(str(a) for a in props.get("ProviderARNs") or ()),
            identity_sources=sources or ("method.request.header.Authorization",),
            ttl_s=ttl,
        )
    return AuthorizerSpec(
        name=res.physical_id,
        type="REQUEST" if kind == "REQUEST" else "TOKEN",
        function=function_of_uri(props.get("AuthorizerUri"), fn_names),
        identity_sources=sources or ("method.request.header.Authorization",),
        ttl_s=ttl,
        validation_regex=props.get("IdentityValidationExpression"),
    )


def rest_api(stack: StackSpec, api: ResourceSpec, fn_names: Mapping[str, str]) -> CfnApi:
    """An AWS::ApiGateway::RestApi's routes, authorizers and stage."""
    root = str(api.attributes.get("RootResourceId", ""))
    nodes = {
        r.physical_id: r for r in _of_api(stack, "AWS::ApiGateway::Resource", api, "RestApiId")
    }

    def path_of(resource_id: str, depth: int = 0) -> str | None:
        if resource_id == root:
            return "/"
        node = nodes.get(resource_id)
        if node is None or depth > 64:
            return None
        parent = path_of(str(node.properties.get("ParentId")), depth + 1)
        return (
            None
            if parent is None
            else parent.rstrip("/") + "/" + str(node.properties.get("PathPart", ""))
        )

    authorizers = {
        a.physical_id: _rest_authorizer(a, fn_names)
        for a in _of_api(stack, "AWS::ApiGateway::Authorizer", api, "RestApiId")
    }
    validators = {
        v.physical_id: v.properties
        for v in _of_api(stack, "AWS::ApiGateway::RequestValidator", api, "RestApiId")
    }
    models = {
        str(m.properties.get("Name", m.physical_id)): m.properties.get("Schema")
        for m in _of_api(stack, "AWS::ApiGateway::Model", api, "RestApiId")
    }
    model_ids = {
        m.physical_id: str(m.properties.get("Name", m.physical_id))
        for m in _of_api(stack, "AWS::ApiGateway::Model", api, "RestApiId")
    }
    routes: list[RouteSpec] = []
    warnings: list[str] = []
    for method in _of_api(stack, "AWS::ApiGateway::Method", api, "RestApiId"):
        props = method.properties
        path = path_of(str(props.get("ResourceId")))
        if path is None:
            warnings.append(
                f"{method.logical_id}: ResourceId is not a resource of this API; not served"
            )
            continue
        verb = str(props.get("HttpMethod", "ANY")).upper()
        raw = props.get("Integration") if isinstance(props.get("Integration"), dict) else {}
        assert isinstance(raw, dict)
        function, spec = _integration(raw, fn_names, http=False)
        if spec is not None and spec.type == "UNSUPPORTED":
            warnings.append(
                f"{verb} {path}: {spec.description} is not emulated; the route answers 500"
            )
        auth_type = str(props.get("AuthorizationType", "NONE")).upper()
        authorizer = (
            str(props["AuthorizerId"])
            if auth_type in ("CUSTOM", "COGNITO_USER_POOLS") and "AuthorizerId" in props
            else None
        )
        validator = validators.get(str(props.get("RequestValidatorId")))
        request_model: dict[str, Any] | None = None
        params = (
            props.get("RequestParameters")
            if isinstance(props.get("RequestParameters"), dict)
            else {}
        )
        assert isinstance(params, dict)
        if validator is not None:
            body_models = (
                props.get("RequestModels") if isinstance(props.get("RequestModels"), dict) else {}
            )
            assert isinstance(body_models, dict)
            model = body_models.get("application/json")
            checks: dict[str, Any] = {
                "ValidateBody": str(validator.get("ValidateRequestBody", False)).lower() == "true",
                "ValidateParameters": str(validator.get("ValidateRequestParameters", False)).lower()
                == "true",
            }
            if model is not None:
                checks["Model"] = model_ids.get(str(model), str(model))
            request_model = checks
        routes.append(
            RouteSpec(
                method=verb,
                path=path,
                function=function,
                event_name=method.logical_id,
                authorizer=authorizer,
                authorization_scopes=tuple(str(s) for s in props.get("AuthorizationScopes") or ()),
                api_key_required=str(props.get("ApiKeyRequired", False)).lower() == "true",
                timeout_ms=int(raw.get("TimeoutInMillis", REST_TIMEOUT_MS)),
                request_model=request_model,
                request_parameters=tuple(
                    (str(k), str(v).lower() == "true") for k, v in params.items()
                )
                if validator is not None
                else (),
                integration=spec,
            )
        )
    stage, variables = _stage(stack, api, "AWS::ApiGateway", "RestApiId")
    return CfnApi(tuple(routes), authorizers, models, stage, variables, tuple(warnings))


def _http_authorizer(res: ResourceSpec, fn_names: Mapping[str, str]) -> AuthorizerSpec:
    props = res.properties
    raw_sources = props.get("IdentitySource") or []
    sources = tuple(
        str(s) for s in (raw_sources if isinstance(raw_sources, list) else [raw_sources])
    )
    if str(props.get("AuthorizerType", "")).upper() == "JWT":
        jwt = (
            props.get("JwtConfiguration") if isinstance(props.get("JwtConfiguration"), dict) else {}
        )
        assert isinstance(jwt, dict)
        return AuthorizerSpec(
            name=res.physical_id,
            type="JWT",
            issuer=str(jwt.get("Issuer", "")),
            audiences=tuple(str(a) for a in jwt.get("Audience") or ()),
            identity_sources=sources or ("$request.header.Authorization",),
        )
    return AuthorizerSpec(
        name=res.physical_id,
        type="REQUEST",
        function=function_of_uri(props.get("AuthorizerUri"), fn_names),
        identity_sources=sources,
        ttl_s=int(props.get("AuthorizerResultTtlInSeconds", 0)),
        payload_version=str(props.get("AuthorizerPayloadFormatVersion", "2.0")),
        simple_responses=str(props.get("EnableSimpleResponses", False)).lower() == "true",
    )


def http_api(stack: StackSpec, api: ResourceSpec, fn_names: Mapping[str, str]) -> CfnApi:
    """An AWS::ApiGatewayV2::Api's routes (HTTP protocol), authorizers and stage."""
    integrations = {
        i.physical_id: i for i in _of_api(stack, "AWS::ApiGatewayV2::Integration", api, "ApiId")
    }
    authorizers = {
        a.physical_id: _http_authorizer(a, fn_names)
        for a in _of_api(stack, "AWS::ApiGatewayV2::Authorizer", api, "ApiId")
    }
    routes: list[RouteSpec] = []
    warnings: list[str] = []
    target = api.properties.get("Target")
    if target is not None:  # quick create: a $default route to the Target
        function = function_of_uri(target, fn_names)
        if function is not None:
            routes.append(
                RouteSpec(
                    method="ANY",
                    path="$default",
                    function=function,
                    payload_version="2.0",
                    timeout_ms=HTTP_TIMEOUT_MS,
                )
            )
    for route in _of_api(stack, "AWS::ApiGatewayV2::Route", api, "ApiId"):
        props = route.properties
        key = str(props.get("RouteKey", "$default"))
        method, _, path = key.partition(" ")
        if key == "$default":
            method, path = "ANY", "$default"
        target_id = str(props.get("Target", "")).removeprefix("integrations/")
        found = integrations.get(target_id)
        if found is None:
            warnings.append(
                f"{key}: Target {props.get('Target')!r} is not an integration of this API; "
                "not served"
            )
            continue
        function, spec = _integration(found.properties, fn_names, http=True)
        if spec is not None and spec.type == "UNSUPPORTED":
            warnings.append(f"{key}: {spec.description} is not emulated; the route answers 500")
        auth_type = str(props.get("AuthorizationType", "NONE")).upper()
        routes.append(
            RouteSpec(
                method=method.upper(),
                path=path,
                function=function,
                event_name=route.logical_id,
                authorizer=str(props["AuthorizerId"])
                if auth_type in ("JWT", "CUSTOM") and "AuthorizerId" in props
                else None,
                authorization_scopes=tuple(str(s) for s in props.get("AuthorizationScopes") or ()),
                payload_version=str(found.properties.get("PayloadFormatVersion", "2.0")),
                timeout_ms=int(found.properties.get("TimeoutInMillis", HTTP_TIMEOUT_MS)),
                integration=spec,
            )
        )
    stage, variables = _stage(stack, api, "AWS::ApiGatewayV2", "ApiId")
    return CfnApi(tuple(routes), authorizers, {}, stage or "$default", variables, tuple(warnings))
