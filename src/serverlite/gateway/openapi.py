"""APIs defined by an OpenAPI document (``DefinitionBody``, ``DefinitionUri``, ``Body``).

API Gateway reads its extensions: ``x-amazon-apigateway-integration`` (aws_proxy to a
function, mock, http_proxy), ``x-amazon-apigateway-any-method``, authorizers in
``securitySchemes`` (OpenAPI 3) / ``securityDefinitions`` (Swagger 2) with
``x-amazon-apigateway-authorizer``, ``x-amazon-apigateway-request-validators``,
``x-amazon-apigateway-cors`` (HTTP APIs) and ``x-amazon-apigateway-binary-media-types``.
What this module cannot serve is returned as warnings, said once at start.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from serverlite.gateway.model import (
    HTTP_TIMEOUT_MS,
    REST_TIMEOUT_MS,
    ApiKind,
    AuthorizerSpec,
    CorsSpec,
    IntegrationSpec,
    RouteSpec,
)

OPENAPI_METHODS = {
    "get": "GET",
    "put": "PUT",
    "post": "POST",
    "delete": "DELETE",
    "options": "OPTIONS",
    "head": "HEAD",
    "patch": "PATCH",
    "x-amazon-apigateway-any-method": "ANY",
}
# arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function ARN}/invocations
_LAMBDA_URI = re.compile(r"functions/(.+?)/invocations")
_PARAMETER_PLACES = {"query": "querystring", "header": "header", "path": "path"}
_REF_DEPTH = 32  # $ref chains deeper than this are left as they are


@dataclass(frozen=True)
class Definition:
    """What an OpenAPI document contributes to one API."""

    routes: tuple[RouteSpec, ...] = ()
    authorizers: Mapping[str, AuthorizerSpec] = field(default_factory=dict)
    models: Mapping[str, Any] = field(default_factory=dict)
    cors: CorsSpec | None = None
    binary_media_types: tuple[str, ...] = ()
    api_key_source: str | None = None
    warnings: tuple[str, ...] = ()


def function_of_uri(uri: Any, fn_names: Mapping[str, str]) -> str | None:
    """The function a Lambda integration URI (or a bare function ARN) names."""
    if not isinstance(uri, str):
        return None
    match = _LAMBDA_URI.search(uri)
    arn = match.group(1) if match else uri
    if arn in fn_names:
        return fn_names[arn]
    parts = arn.split(":")
    if len(parts) >= 7 and parts[2] == "lambda":
        # A qualifier (":live") names a version or alias: serverlite runs $LATEST.
        base = ":".join(parts[:7])
        return fn_names.get(base, parts[6])
    return None


class _Reader:
    def __init__(
        self, kind: ApiKind, body: Mapping[str, Any], fn_names: Mapping[str, str], name: str
    ) -> None:
        self.kind = kind
        self.body = body
        self.fn_names = fn_names
        self.name = name
        self.warnings: list[str] = []
        self.models: dict[str, Any] = {}

    def warn(self, message: str) -> None:
        self.warnings.append(f"API {self.name}: {message}")

    # -- $ref ---------------------------------------------------------------------

    def deref(self, value: Any, depth: int = 0) -> Any:
        """``value`` with local ``$ref``s (#/components/..., #/definitions/...) inlined."""
        if depth > _REF_DEPTH:
            return value
        if isinstance(value, dict):
            ref = value.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/"):
                target: Any = self.body
                for raw in ref[2:].split("/"):
                    part = raw.replace("~1", "/").replace("~0", "~")
                    target = target.get(part) if isinstance(target, dict) else None
                if target is None:
                    self.warn(f"$ref {ref} names nothing in the document; ignored")
                    return {}
                return self.deref(target, depth + 1)
            return {k: self.deref(v, depth + 1) for k, v in value.items()}
        if isinstance(value, list):
            return [self.deref(v, depth + 1) for v in value]
        return value

    # -- the document ---------------------------------------------------------------

    def read(self) -> Definition:
        authorizers, api_key_schemes = self.authorizers()
        routes = []
        paths = self.body.get("paths")
        for path, item in paths.items() if isinstance(paths, dict) else ():
            if not isinstance(item, dict):
                continue
            listed = item.get("parameters")
            shared_params: list[Any] = listed if isinstance(listed, list) else []
            for key, operation in item.items():
                method = OPENAPI_METHODS.get(str(key).lower())
                if method is None or not isinstance(operation, dict):
                    continue
                route = self.route(
                    str(path), method, operation, shared_params, authorizers, api_key_schemes
                )
                if route is not None:
                    routes.append(route)
        binary = self.body.get("x-amazon-apigateway-binary-media-types")
        source = self.body.get("x-amazon-apigateway-api-key-source")
        return Definition(
            routes=tuple(routes),
            authorizers=authorizers,
            models=self.models,
            cors=self.cors(),
            binary_media_types=tuple(str(t) for t in binary) if isinstance(binary, list) else (),
            api_key_source=str(source).upper() if isinstance(source, str) else None,
            warnings=tuple(self.warnings),
        )

    def route(
        self,
        path: str,
        method: str,
        operation: Mapping[str, Any],
        shared_params: list[Any],
        authorizers: Mapping[str, AuthorizerSpec],
        api_key_schemes: set[str],
    ) -> RouteSpec | None:
        where = f"{method} {path}"
        integration = operation.get("x-amazon-apigateway-integration")
        if not isinstance(integration, dict):
            # SAM events may still add it (discovery merges them); alone it is not served.
            return RouteSpec(
                method=method,
                path=path,
                function="",
                integration=IntegrationSpec(
                    type="UNSUPPORTED", description="no x-amazon-apigateway-integration"
                ),
            )
        kind = str(integration.get("type", "")).lower()
        function = ""
        spec: IntegrationSpec | None = None
        payload = "1.0" if self.kind == "REST" else "2.0"
        if kind == "aws_proxy":
            found = function_of_uri(integration.get("uri"), self.fn_names)
            if found is None:
                spec = IntegrationSpec(
                    type="UNSUPPORTED",
                    description=f"aws_proxy to {integration.get('uri')!r} "
                    "(not a function of the template)",
                )
            else:
                function = found
            if self.kind == "HTTP":
                payload = str(integration.get("payloadFormatVersion", "2.0"))
        elif kind == "mock":
            templates = integration.get("requestTemplates")
            responses = integration.get("responses")
            spec = IntegrationSpec(
                type="MOCK",
                request_templates={str(k): str(v) for k, v in templates.items()}
                if isinstance(templates, dict)
                else {},
                responses=dict(responses) if isinstance(responses, dict) else {},
            )
        elif kind == "http_proxy":
            spec = IntegrationSpec(
                type="HTTP_PROXY",
                uri=str(integration.get("uri", "")),
                http_method=str(integration.get("httpMethod", "ANY")).upper(),
            )
        else:
            spec = IntegrationSpec(
                type="UNSUPPORTED", description=f"integration type {kind or '(none)'}"
            )
        if spec is not None and spec.type == "UNSUPPORTED":
            self.warn(f"{where}: {spec.description} is not emulated; the route answers 500")
        security = operation.get("security", self.body.get("security"))
        authorizer, scopes, needs_key = self.security(security, authorizers, api_key_schemes, where)
        timeout = integration.get("timeoutInMillis")
        default_timeout = REST_TIMEOUT_MS if self.kind == "REST" else HTTP_TIMEOUT_MS
        model, parameters = self.validation(path, method, operation, shared_params)
        return RouteSpec(
            method=method,
            path=path,
            function=function,
            event_name=str(operation.get("operationId", "")),
            authorizer=authorizer,
            authorization_scopes=scopes,
            api_key_required=needs_key and self.kind == "REST",
            payload_version=payload,
            timeout_ms=int(timeout) if timeout is not None else default_timeout,
            request_model=model,
            request_parameters=parameters,
            integration=spec,
        )

    def security(
        self,
        security: Any,
        authorizers: Mapping[str, AuthorizerSpec],
        api_key_schemes: set[str],
        where: str,
    ) -> tuple[str | None, tuple[str, ...], bool]:
        authorizer: str | None = None
        scopes: tuple[str, ...] = ()
        needs_key = False
        for requirement in security if isinstance(security, list) else ():
            for name, wanted in requirement.items() if isinstance(requirement, dict) else ():
                if name in api_key_schemes:
                    needs_key = True
                elif name in authorizers and authorizer is None:
                    authorizer = str(name)
                    scopes = tuple(str(s) for s in wanted or ())
                elif name not in authorizers:
                    self.warn(
                        f"{where}: security scheme {name!r} is not an authorizer "
                        "serverlite knows; not checked"
                    )
        return authorizer, scopes, needs_key

    # -- authorizers ------------------------------------------------------------------

    def authorizers(self) -> tuple[dict[str, AuthorizerSpec], set[str]]:
        components = self.body.get("components")
        schemes = (
            (components or {}).get("securitySchemes") if isinstance(components, dict) else None
        )
        if not isinstance(schemes, dict):
            schemes = self.body.get("securityDefinitions")
        found: dict[str, AuthorizerSpec] = {}
        api_keys: set[str] = set()
        for name, scheme in schemes.items() if isinstance(schemes, dict) else ():
            if not isinstance(scheme, dict):
                continue
            conf = scheme.get("x-amazon-apigateway-authorizer")
            if not isinstance(conf, dict):
                if (
                    scheme.get("type") == "apiKey"
                    and str(scheme.get("name", "")).lower() == "x-api-key"
                ):
                    api_keys.add(str(name))
                elif scheme.get("x-amazon-apigateway-authtype") != "awsSigv4":
                    self.warn(
                        f"security scheme {name!r} has no "
                        "x-amazon-apigateway-authorizer; not checked"
                    )
                continue
            spec = self.authorizer(str(name), scheme, conf)
            if spec is not None:
                found[str(name)] = spec
        return found, api_keys

    def authorizer(
        self, name: str, scheme: Mapping[str, Any], conf: Mapping[str, Any]
    ) -> AuthorizerSpec | None:
        kind = str(conf.get("type", "")).lower()
        ttl = int(conf.get("authorizerResultTtlInSeconds", 300 if self.kind == "REST" else 0))
        sources = _identity_sources(conf.get("identitySource"))
        if kind == "jwt":
            jwt = (
                conf.get("jwtConfiguration")
                if isinstance(conf.get("jwtConfiguration"), dict)
                else {}
            )
            assert isinstance(jwt, dict)
            audience = jwt.get("audience") or ()
            return AuthorizerSpec(
                name=name,
                type="JWT",
                issuer=str(jwt.get("issuer", "")),
                audiences=tuple(
                    str(a) for a in (audience if isinstance(audience, list) else [audience])
                ),
                identity_sources=sources or ("$request.header.Authorization",),
            )
        if kind == "cognito_user_pools":
            arns = conf.get("providerARNs") or ()
            header = str(scheme.get("name", "Authorization"))
            return AuthorizerSpec(
                name=name,
                type="COGNITO",
                user_pool_arns=tuple(str(a) for a in arns),
                identity_sources=(f"method.request.header.{header}",),
                ttl_s=ttl,
            )
        if kind in ("token", "request"):
            function = function_of_uri(conf.get("authorizerUri"), self.fn_names)
            if function is None:
                self.warn(
                    f"authorizer {name!r}: {conf.get('authorizerUri')!r} is not a function "
                    "of the template; requests are refused"
                )
            if self.kind == "HTTP":
                return AuthorizerSpec(
                    name=name,
                    type="REQUEST",
                    function=function,
                    identity_sources=sources,
                    ttl_s=ttl,
                    payload_version=str(conf.get("authorizerPayloadFormatVersion", "2.0")),
                    simple_responses=bool(conf.get("enableSimpleResponses", False)),
                )
            if kind == "token" and not sources:
                sources = (f"method.request.header.{scheme.get('name', 'Authorization')}",)
            return AuthorizerSpec(
                name=name,
                type="TOKEN" if kind == "token" else "REQUEST",
                function=function,
                identity_sources=sources,
                ttl_s=ttl,
                validation_regex=conf.get("identityValidationExpression"),
            )
        self.warn(f"authorizer {name!r} of type {kind!r} is not emulated; not checked")
        return None

    # -- validation, CORS ----------------------------------------------------------------

    def validation(
        self, path: str, method: str, operation: Mapping[str, Any], shared_params: list[Any]
    ) -> tuple[dict[str, Any] | None, tuple[tuple[str, bool], ...]]:
        if self.kind != "REST":
            return None, ()  # HTTP APIs do not validate requests
        validators = self.body.get("x-amazon-apigateway-request-validators")
        chosen = operation.get(
            "x-amazon-apigateway-request-validator",
            self.body.get("x-amazon-apigateway-request-validator"),
        )
        settings = validators.get(chosen) if isinstance(validators, dict) and chosen else None
        if not isinstance(settings, dict):
            return None, ()
        validate_body = bool(settings.get("validateRequestBody", False))
        validate_params = bool(settings.get("validateRequestParameters", False))
        parameters: list[tuple[str, bool]] = []
        schema: Any = None
        required_body = False
        for raw in [*shared_params, *(operation.get("parameters") or [])]:
            param = self.deref(raw)
            if not isinstance(param, dict):
                continue
            where = param.get("in")
            if where == "body":  # Swagger 2
                schema, required_body = param.get("schema"), bool(param.get("required"))
            elif where in _PARAMETER_PLACES:
                name = f"method.request.{_PARAMETER_PLACES[where]}.{param.get('name')}"
                parameters.append((name, bool(param.get("required"))))
        body = operation.get("requestBody")
        if isinstance(body, dict):  # OpenAPI 3
            body = self.deref(body)
            content = body.get("content") if isinstance(body.get("content"), dict) else {}
            assert isinstance(content, dict)
            media = content.get("application/json") or next(iter(content.values()), None)
            schema = media.get("schema") if isinstance(media, dict) else None
            required_body = bool(body.get("required"))
        model: dict[str, Any] = {
            "ValidateBody": validate_body,
            "ValidateParameters": validate_params,
        }
        if schema is not None:
            name = f"{method} {path}"
            self.models[name] = self.deref(schema)
            model.update({"Model": name, "Required": required_body})
        return model, tuple(parameters)

    def cors(self) -> CorsSpec | None:
        raw = self.body.get("x-amazon-apigateway-cors")
        if self.kind != "HTTP" or not isinstance(raw, dict):
            return None
        max_age = raw.get("maxAge")
        return CorsSpec(
            allow_origins=tuple(str(o) for o in raw.get("allowOrigins") or ()),
            allow_methods=tuple(str(m).upper() for m in raw.get("allowMethods") or ()),
            allow_headers=tuple(str(h) for h in raw.get("allowHeaders") or ()),
            expose_headers=tuple(str(h) for h in raw.get("exposeHeaders") or ()),
            allow_credentials=bool(raw.get("allowCredentials", False)),
            max_age=int(max_age) if max_age is not None else None,
        )


def _identity_sources(raw: Any) -> tuple[str, ...]:
    """identitySource: "method.request.header.A, method.request.querystring.b" or a list."""
    items = raw if isinstance(raw, list) else str(raw).split(",") if raw else []
    return tuple(str(item).strip() for item in items if str(item).strip())


def read_definition(kind: ApiKind, body: Any, fn_names: Mapping[str, str], name: str) -> Definition:
    """The routes, authorizers, models, CORS and binary types of an OpenAPI document."""
    if not isinstance(body, dict):
        return Definition(warnings=(f"API {name}: DefinitionBody is not a mapping; ignored",))
    return _Reader(kind, body, fn_names, name).read()
