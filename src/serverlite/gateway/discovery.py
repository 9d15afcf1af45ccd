"""Find the APIs of an application: explicit Api/HttpApi resources and SAM's implicit ones.

A function event ``Type: Api`` without ``RestApiId`` joins its stack's implicit
``ServerlessRestApi`` (stage "Prod"); ``Type: HttpApi`` without ``ApiId`` joins
``ServerlessHttpApi`` (stage "$default"), as SAM generates them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from serverlite.errors import TemplateError
from serverlite.gateway import cfn_apis, usage_plans
from serverlite.gateway.cfn_apis import CfnApi
from serverlite.gateway.model import (
    HTTP_TIMEOUT_MS,
    REST_TIMEOUT_MS,
    ApiKind,
    ApiSpec,
    AuthorizerSpec,
    CorsSpec,
    IntegrationSpec,
    RouteSpec,
    ThrottleSpec,
    UsagePlanSpec,
)
from serverlite.gateway.openapi import Definition, read_definition
from serverlite.template.model import Application, FunctionSpec, ResourceSpec, StackSpec

REST_TYPES = ("AWS::Serverless::Api", cfn_apis.REST_API)
HTTP_TYPES = ("AWS::Serverless::HttpApi", cfn_apis.HTTP_API)
STATE_MACHINE = "AWS::Serverless::StateMachine"
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY")


def discover_apis(app: Application) -> list[ApiSpec]:
    apis: list[ApiSpec] = []
    for stack in app.root.walk():
        apis.extend(_stack_apis(app, stack))
    return sorted(apis, key=lambda api: (len(api.stack_path), api.stack_path, api.logical_id))


def _stack_apis(app: Application, stack: StackSpec) -> list[ApiSpec]:
    resources = {
        r.logical_id: r
        for r in stack.resources
        if r.type in REST_TYPES + HTTP_TYPES
        and (r.type != cfn_apis.HTTP_API or cfn_apis.is_http_api(r))
    }
    by_id = {r.physical_id: r for r in resources.values()}
    routes: dict[str, list[RouteSpec]] = {logical: [] for logical in resources}
    for fn in stack.functions:
        for event in fn.events:
            if event.type not in ("Api", "HttpApi"):
                continue
            kind: ApiKind = "REST" if event.type == "Api" else "HTTP"
            props = dict(event.properties)
            ref = props.get("RestApiId" if kind == "REST" else "ApiId")
            implicit = "ServerlessRestApi" if kind == "REST" else "ServerlessHttpApi"
            target = by_id.get(str(ref)) if ref is not None else resources.get(implicit)
            if target is None:
                raise TemplateError(
                    str(fn.template_file or "template.yaml"),
                    f"Resources.{fn.logical_id}.Events.{event.name}",
                    f"refers to an API that is not in this template ({ref!r})",
                )
            routes[target.logical_id].append(_route(fn, event.name, kind, props, target))
    for machine in stack.resources:
        if machine.type != STATE_MACHINE:
            continue
        for name, declared in _api_events(machine):
            props = dict(declared.get("Properties") or {})
            ref = props.get("RestApiId")
            target = by_id.get(str(ref)) if ref is not None else resources.get("ServerlessRestApi")
            if target is None or target.type not in REST_TYPES:
                raise TemplateError(
                    str(stack.template_file),
                    f"Resources.{machine.logical_id}.Events.{name}",
                    f"refers to a REST API that is not in this template ({ref!r})",
                )
            routes[target.logical_id].append(_machine_route(stack, machine, name, props, target))
    apis = []
    fn_names = {fn.arn: fn.name for fn in app.functions}
    for logical, resource in resources.items():
        api_kind: ApiKind = "REST" if resource.type in REST_TYPES else "HTTP"
        definition = _definition(api_kind, resource, fn_names)
        cfn = _cfn(stack, resource, fn_names)
        if cfn is not None:
            definition = replace(
                definition,
                routes=(*definition.routes, *cfn.routes),
                authorizers={**definition.authorizers, **cfn.authorizers},
                models={**definition.models, **cfn.models},
                warnings=(*definition.warnings, *cfn.warnings),
            )
        merged = _merge_routes(definition, routes[logical])
        limits = _route_throttles(api_kind, resource.properties)
        throttled = tuple(
            replace(r, throttle=limits.get((r.method, r.path), r.throttle)) for r in merged[0]
        )
        api = _api(app, stack, resource, api_kind, throttled, definition)
        if cfn is not None:
            api = replace(api, stage=cfn.stage or api.stage, stage_variables=cfn.stage_variables)
        apis.append(replace(api, warnings=(*definition.warnings, *merged[1])))
    return apis


def _cfn(stack: StackSpec, resource: ResourceSpec, fn_names: Mapping[str, str]) -> CfnApi | None:
    if resource.type == cfn_apis.REST_API:
        return cfn_apis.rest_api(stack, resource, fn_names)
    if resource.type == cfn_apis.HTTP_API:
        return cfn_apis.http_api(stack, resource, fn_names)
    return None


def _definition(kind: ApiKind, resource: ResourceSpec, fn_names: Mapping[str, str]) -> Definition:
    body = resource.properties.get("DefinitionBody", resource.properties.get("Body"))
    if body is None:
        return Definition()
    return read_definition(
        kind, body, fn_names, "/".join((*resource.stack_path, resource.logical_id))
    )


def _merge_routes(
    definition: Definition, events: list[RouteSpec]
) -> tuple[tuple[RouteSpec, ...], list[str]]:
    """SAM writes each Api/HttpApi event into the DefinitionBody: an event's method and
    path replace the document's operation (its integration becomes the function's)."""
    by_key = {(r.method, r.path): r for r in definition.routes}
    for route in events:
        by_key[(route.method, route.path)] = route
    warnings = []
    served = []
    for route in by_key.values():
        missing = route.integration is not None and route.integration.type == "UNSUPPORTED"
        if (
            missing
            and route.integration is not None
            and route.integration.description.startswith("no ")
        ):
            warnings.append(
                f"{route.method} {route.path} has no x-amazon-apigateway-integration and no "
                "event names it; not served"
            )
            continue
        served.append(route)
    return tuple(served), warnings


def _throttle(settings: Mapping[str, Any]) -> ThrottleSpec | None:
    rate, burst = settings.get("ThrottlingRateLimit"), settings.get("ThrottlingBurstLimit")
    if rate is None and burst is None:
        return None
    return ThrottleSpec(
        rate=float(rate if rate is not None else 10_000),
        burst=int(burst if burst is not None else 5_000),
    )


def _route_throttles(
    kind: ApiKind, props: Mapping[str, Any]
) -> dict[tuple[str, str], ThrottleSpec]:
    """Per-route limits: HttpApi RouteSettings ("GET /path"), REST MethodSettings."""
    limits: dict[tuple[str, str], ThrottleSpec] = {}
    if kind == "HTTP":
        for key, settings in (props.get("RouteSettings") or {}).items():
            method, _, path = str(key).partition(" ")
            spec = _throttle(settings) if isinstance(settings, dict) else None
            if spec is not None:
                limits[(method.upper(), path or method)] = spec
        return limits
    for setting in props.get("MethodSettings") or []:
        # CloudFormation writes "/items/{id}" as "/~1items~1{id}".
        path = str(setting.get("ResourcePath", "/*"))
        method = str(setting.get("HttpMethod", "*")).upper()
        if path == "/*" or method == "*":
            continue
        spec = _throttle(setting)
        if spec is not None:
            limits[(method, path[1:].replace("~1", "/") if path.startswith("/~1") else path)] = spec
    return limits


@dataclass(frozen=True)
class _Owner:
    """What a route reads of the resource whose event it is (a function, a state machine)."""

    logical_id: str
    name: str  # the function the route invokes; "" for other integrations
    template_file: Path | None


def _route(
    fn: FunctionSpec | _Owner, name: str, kind: ApiKind, props: dict[str, Any], api: ResourceSpec
) -> RouteSpec:
    auth = props.get("Auth") if isinstance(props.get("Auth"), dict) else {}
    assert isinstance(auth, dict)
    path = props.get("Path")
    method = str(props.get("Method", "ANY")).upper()
    if kind == "HTTP" and path is None:
        path, method = "$default", "ANY"
    if method not in HTTP_METHODS:
        raise TemplateError(
            str(fn.template_file or "template.yaml"),
            f"Resources.{fn.logical_id}.Events.{name}.Properties.Method",
            f"unknown HTTP method {method!r}",
        )
    api_auth = api.properties.get("Auth") if isinstance(api.properties.get("Auth"), dict) else {}
    assert isinstance(api_auth, dict)
    authorizer = auth.get("Authorizer", api_auth.get("DefaultAuthorizer"))
    if authorizer in ("NONE", "AWS_IAM"):
        authorizer = None
    scopes = auth.get("AuthorizationScopes")
    if scopes is None and authorizer:  # SAM: the authorizer's scopes are the default
        confs = api_auth.get("Authorizers") if isinstance(api_auth.get("Authorizers"), dict) else {}
        conf = confs.get(authorizer) if isinstance(confs, dict) else None
        scopes = conf.get("AuthorizationScopes") if isinstance(conf, dict) else None
    api_key = auth.get("ApiKeyRequired", api_auth.get("ApiKeyRequired", False))
    model = props.get("RequestModel")
    params = props.get("RequestParameters") or []
    return RouteSpec(
        method=method,
        path=str(path),
        function=fn.name,
        event_name=name,
        authorizer=str(authorizer) if authorizer else None,
        authorization_scopes=tuple(str(s) for s in scopes or ()),
        api_key_required=bool(api_key) if kind == "REST" else False,
        payload_version="1.0" if kind == "REST" else str(props.get("PayloadFormatVersion", "2.0")),
        timeout_ms=int(
            props.get("TimeoutInMillis", REST_TIMEOUT_MS if kind == "REST" else HTTP_TIMEOUT_MS)
        ),
        request_model=model if isinstance(model, dict) else None,
        request_parameters=tuple(_request_parameters(params)),
        throttle=_throttle(props["RouteSettings"])
        if isinstance(props.get("RouteSettings"), dict)
        else None,
    )


def _api_events(machine: ResourceSpec) -> list[tuple[str, Mapping[str, Any]]]:
    events = machine.properties.get("Events")
    return [
        (str(name), event)
        for name, event in (events.items() if isinstance(events, dict) else ())
        if isinstance(event, dict) and event.get("Type") == "Api"
    ]


def _machine_route(
    stack: StackSpec,
    machine: ResourceSpec,
    name: str,
    props: dict[str, Any],
    api: ResourceSpec,
) -> RouteSpec:
    """A state machine's Api event: SAM writes an ``aws`` integration to
    ``states:action/StartExecution`` whose request template makes the body the input
    (samtranslator/model/stepfunctions/events.py); its integration responses "200" and
    "400" pass StartExecution's answer through."""
    route = _route(_Owner(machine.logical_id, "", stack.template_file), name, "REST", props, api)
    return replace(
        route,
        integration=IntegrationSpec(
            type="START_EXECUTION",
            uri=machine.physical_id,  # the state machine's ARN (its Ref)
            description=f"StartExecution of {machine.logical_id}",
        ),
    )


def _request_parameters(params: Any) -> list[tuple[str, bool]]:
    out: list[tuple[str, bool]] = []
    for entry in params if isinstance(params, list) else []:
        if isinstance(entry, str):
            out.append((entry, False))
        elif isinstance(entry, dict):
            for name, options in entry.items():
                required = bool(options.get("Required")) if isinstance(options, dict) else False
                out.append((str(name), required))
    return out


def _api(
    app: Application,
    stack: StackSpec,
    resource: ResourceSpec,
    kind: ApiKind,
    routes: tuple[RouteSpec, ...],
    definition: Definition | None = None,
) -> ApiSpec:
    props = resource.properties
    definition = definition or Definition()
    implicit = resource.logical_id in ("ServerlessRestApi", "ServerlessHttpApi")
    default_stage = "Prod" if kind == "REST" and implicit else "$default"
    stage = str(props.get("StageName", default_stage))
    auth = props.get("Auth") if isinstance(props.get("Auth"), dict) else {}
    assert isinstance(auth, dict)
    fn_names = {fn.arn: fn.name for fn in app.functions}
    plans = usage_plans.plans_for_api(app, resource, stage) if kind == "REST" else ()
    return ApiSpec(
        logical_id=resource.logical_id,
        stack_path=resource.stack_path,
        api_id=resource.physical_id,
        kind=kind,
        stage=stage,
        routes=routes,
        stage_variables=_strings(props.get("Variables" if kind == "REST" else "StageVariables")),
        # SAM adds its Auth.Authorizers to the document's securitySchemes (its own win).
        authorizers={
            **definition.authorizers,
            **_authorizers(kind, auth.get("Authorizers"), fn_names, _pool_clients(app)),
        },
        cors=_cors(kind, props.get("Cors" if kind == "REST" else "CorsConfiguration"))
        or definition.cors,
        binary_media_types=tuple(
            dict.fromkeys(
                [
                    *definition.binary_media_types,
                    *(str(t).replace("~1", "/") for t in props.get("BinaryMediaTypes") or ()),
                ]
            )
        ),
        throttle=_stage_throttle(kind, props),
        models={**definition.models, **dict(props.get("Models") or {})},
        usage_plan=_usage_plan(auth.get("UsagePlan")),
        usage_plans=plans,
        api_keys=tuple(dict.fromkeys(key.value for plan in plans for key in plan.keys)),
        api_key_source=str(
            props.get("ApiKeySourceType", definition.api_key_source or "HEADER")
        ).upper(),
        cors_preflight_auth=bool(auth.get("AddDefaultAuthorizerToCorsPreflight", True)),
        endpoint_type=_endpoint_type(kind, props.get("EndpointConfiguration")),
    )


def _endpoint_type(kind: ApiKind, raw: Any) -> str:
    """SAM writes ``EndpointConfiguration: REGIONAL`` or ``{Type: REGIONAL}``;
    AWS::ApiGateway::RestApi ``{Types: [REGIONAL]}``. REST APIs are EDGE unless told
    otherwise (the RestApi's documented default); HTTP APIs are always regional."""
    if kind == "HTTP":
        return "REGIONAL"
    if isinstance(raw, dict):
        types = raw.get("Types")
        raw = types[0] if isinstance(types, list) and types else raw.get("Type")
    return str(raw).upper() if isinstance(raw, str) and raw else "EDGE"


def _strings(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def _function_name(arn: Any, fn_names: Mapping[str, str]) -> str | None:
    if arn is None:
        return None
    text = str(arn)
    return fn_names.get(text, text.split(":")[6] if text.startswith("arn:") else text)


def _pool_clients(app: Application) -> dict[str, tuple[str, ...]]:
    """User pool id -> the ids of its app clients declared in the template."""
    clients: dict[str, tuple[str, ...]] = {}
    for res in app.resources:
        if res.type == "AWS::Cognito::UserPoolClient":
            pool = str(res.properties.get("UserPoolId"))
            clients[pool] = (*clients.get(pool, ()), res.physical_id)
    return clients


def _authorizers(
    kind: ApiKind,
    raw: Any,
    fn_names: Mapping[str, str],
    pool_clients: Mapping[str, tuple[str, ...]] | None = None,
) -> dict[str, AuthorizerSpec]:
    out: dict[str, AuthorizerSpec] = {}
    for name, conf in (raw or {}).items() if isinstance(raw, dict) else ():
        if not isinstance(conf, dict):
            continue
        identity = conf.get("Identity") if isinstance(conf.get("Identity"), dict) else {}
        assert isinstance(identity, dict)
        ttl = int(identity.get("ReauthorizeEvery", 300))
        if "JwtConfiguration" in conf:
            jwt = conf["JwtConfiguration"]
            out[name] = AuthorizerSpec(
                name=name,
                type="JWT",
                issuer=str(jwt.get("issuer", "")),
                audiences=tuple(str(a) for a in jwt.get("audience") or ()),
                identity_sources=(
                    str(conf.get("IdentitySource", "$request.header.Authorization")),
                ),
            )
        elif "UserPoolArn" in conf:
            raw_arns = conf["UserPoolArn"]
            arns = tuple(str(a) for a in (raw_arns if isinstance(raw_arns, list) else [raw_arns]))
            pools = (arn.rsplit("/", 1)[-1] for arn in arns)
            out[name] = AuthorizerSpec(
                name=name,
                type="COGNITO",
                user_pool_arns=arns,
                identity_sources=(
                    f"method.request.header.{identity.get('Header', 'Authorization')}",
                ),
                ttl_s=ttl,
                validation_regex=identity.get("ValidationExpression"),
                # aud (id tokens) / client_id (access tokens) must be one of these
                audiences=tuple(c for pool in pools for c in (pool_clients or {}).get(pool, ())),
            )
        elif "FunctionArn" in conf:
            function = _function_name(conf["FunctionArn"], fn_names)
            if kind == "REST":
                payload = str(conf.get("FunctionPayloadType", "TOKEN"))
                sources = _rest_identity_sources(payload, identity)
                out[name] = AuthorizerSpec(
                    name=name,
                    type="REQUEST" if payload == "REQUEST" else "TOKEN",
                    function=function,
                    identity_sources=sources,
                    ttl_s=ttl,
                    validation_regex=identity.get("ValidationExpression"),
                )
            else:
                headers = identity.get("Headers") or []
                sources = tuple(f"$request.header.{h}" for h in headers)
                sources += tuple(
                    f"$request.querystring.{q}" for q in identity.get("QueryStrings") or []
                )
                sources += tuple(
                    f"$stageVariables.{v}" for v in identity.get("StageVariables") or []
                )
                sources += tuple(f"$context.{c}" for c in identity.get("Context") or [])
                out[name] = AuthorizerSpec(
                    name=name,
                    type="REQUEST",
                    function=function,
                    identity_sources=sources,
                    ttl_s=int(identity.get("ReauthorizeEvery", 0)),
                    payload_version=str(conf.get("AuthorizerPayloadFormatVersion", "2.0")),
                    simple_responses=bool(conf.get("EnableSimpleResponses", False)),
                )
    return out


def _rest_identity_sources(payload: str, identity: Mapping[str, Any]) -> tuple[str, ...]:
    if payload != "REQUEST":
        return (f"method.request.header.{identity.get('Header', 'Authorization')}",)
    sources = [f"method.request.header.{h}" for h in identity.get("Headers") or []]
    sources += [f"method.request.querystring.{q}" for q in identity.get("QueryStrings") or []]
    sources += [f"stageVariables.{s}" for s in identity.get("StageVariables") or []]
    sources += [f"context.{c}" for c in identity.get("Context") or []]
    return tuple(sources)


def _cors(kind: ApiKind, raw: Any) -> CorsSpec | None:
    if raw is None or raw is False:
        return None
    if kind == "REST":
        # SAM's Cors: a quoted origin string, or a dict of quoted strings.
        if isinstance(raw, str):
            return CorsSpec(allow_origins=(_unquote(raw),))
        origin = _unquote(str(raw.get("AllowOrigin", "'*'")))
        return CorsSpec(
            allow_origins=(origin,),
            allow_methods=_split(raw.get("AllowMethods")),
            allow_headers=_split(raw.get("AllowHeaders")),
            allow_credentials=_unquote(str(raw.get("AllowCredentials", ""))) == "true"
            or raw.get("AllowCredentials") is True,
            max_age=int(_unquote(str(raw["MaxAge"]))) if "MaxAge" in raw else None,
        )
    if raw is True:
        return CorsSpec(allow_origins=("*",), allow_methods=("*",), allow_headers=("*",))
    return CorsSpec(
        allow_origins=tuple(raw.get("AllowOrigins") or ()),
        allow_methods=tuple(str(m).upper() for m in raw.get("AllowMethods") or ()),
        allow_headers=tuple(raw.get("AllowHeaders") or ()),
        expose_headers=tuple(raw.get("ExposeHeaders") or ()),
        allow_credentials=bool(raw.get("AllowCredentials", False)),
        max_age=int(raw["MaxAge"]) if "MaxAge" in raw else None,
    )


def _unquote(text: str) -> str:
    text = text.strip()
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == "'" else text


def _split(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(part.strip() for part in _unquote(str(value)).split(",") if part.strip())


def _stage_throttle(kind: ApiKind, props: Mapping[str, Any]) -> ThrottleSpec | None:
    if kind == "HTTP":
        settings = props.get("DefaultRouteSettings") or {}
        rate, burst = settings.get("ThrottlingRateLimit"), settings.get("ThrottlingBurstLimit")
    else:
        rate = burst = None
        for setting in props.get("MethodSettings") or []:
            if setting.get("ResourcePath", "/*") == "/*" and setting.get("HttpMethod", "*") == "*":
                rate = setting.get("ThrottlingRateLimit", rate)
                burst = setting.get("ThrottlingBurstLimit", burst)
    if rate is None and burst is None:
        return None
    return ThrottleSpec(
        rate=float(rate if rate is not None else 10_000),
        burst=int(burst if burst is not None else 5_000),
    )


def _usage_plan(raw: Any) -> UsagePlanSpec | None:
    if not isinstance(raw, dict) or raw.get("CreateUsagePlan", "NONE") == "NONE":
        return None
    return usage_plans.plan_settings(raw)
