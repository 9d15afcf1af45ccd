"""Integrations other than the Lambda proxy: MOCK and HTTP_PROXY (to loopback only).

MOCK: API Gateway takes the integration's status code from the request template
(``{"statusCode": 200}``), picks the integration response whose selection pattern
matches it (``default`` otherwise), and answers its status code, its
``responseParameters`` header literals (``'value'``) and its response template.
Mapping templates are Velocity (VTL) on AWS; serverlite sends a template as written
(a warning at start names the routes whose templates use VTL).

HTTP_PROXY: the request goes on to the integration URI as it came (method, headers,
query, body; ``{name}`` path parameters filled in) and the backend's answer comes back
as it is. Only loopback URLs are reached: serverlite talks to nothing off this machine.

START_EXECUTION: a state machine's ``Api`` event. SAM writes an ``aws`` integration to
``arn:aws:apigateway:<region>:states:action/StartExecution`` with the request template
``{"input": "$util.escapeJavaScript($input.json('$'))", "stateMachineArn": "<arn>"}``
and integration responses "200" and "400" (samtranslator's SwaggerEditor
``add_state_machine_integration``): the request body is the execution's input, and
StartExecution's answer comes back as it is: 200 ``{"executionArn", "startDate"}``, or
400 with Step Functions' error body (``InvalidExecutionInput``, ...).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from serverlite.aws.backend import AwsError
from serverlite.aws.local_client import LocalAws
from serverlite.gateway.authorizers.loopback import is_loopback_url
from serverlite.gateway.http import HttpRequest, HttpResponse
from serverlite.gateway.model import ApiSpec, IntegrationSpec, RouteSpec

if TYPE_CHECKING:
    import httpx

_VTL = re.compile(r"\$(input|context|util|stageVariables)\b|#(set|if|foreach)\b")
# Hop-by-hop headers, and those httpx sets from the request it sends.
# Step Functions' JSON 1.0 error namespace, as its errors reach API Gateway's client.
_SFN_NAMESPACE = "com.amazonaws.swf.service.v2.model#"
_NOT_FORWARDED = {"host", "connection", "content-length", "transfer-encoding", "keep-alive"}


def integration_warnings(api: ApiSpec) -> list[str]:
    """What the API's integrations cannot do here, said once at start."""
    warnings = []
    for route in api.routes:
        spec = route.integration
        if spec is None:
            continue
        where = f"API {api.qualified_id}: {route.method} {route.path}"
        if spec.type == "HTTP_PROXY" and not is_loopback_url(_fill(spec.uri, {})):
            warnings.append(
                f"{where}: http_proxy to {spec.uri} leaves this machine; serverlite reaches "
                "only loopback URLs, so the route answers 500"
            )
        templates = [*spec.request_templates.values()]
        for response in spec.responses.values():
            found = response.get("responseTemplates") if isinstance(response, dict) else None
            templates += [str(t) for t in (found or {}).values()]
        if any(_VTL.search(t) for t in templates):
            warnings.append(
                f"{where}: mapping templates use VTL ($input, #set, ...), which serverlite "
                "does not evaluate; they are sent as written"
            )
    return warnings


def mock_response(route: RouteSpec) -> HttpResponse:
    spec = route.integration
    assert spec is not None
    status = _mock_status(spec)
    response = _select(spec.responses, str(status))
    out_status = int(response.get("statusCode", status)) if response else status
    headers: list[tuple[str, str]] = []
    params = response.get("responseParameters") if response else None
    for key, value in params.items() if isinstance(params, dict) else ():
        name = str(key).removeprefix("method.response.header.")
        text = str(value)
        if name != key and len(text) >= 2 and text[0] == text[-1] == "'":
            headers.append((name, text[1:-1]))  # only literals; mapped values need a backend
    templates = response.get("responseTemplates") if response else None
    body = b""
    if isinstance(templates, dict) and templates:
        content_type, template = next(iter(templates.items()))
        body = str(template or "").encode()
        if not any(k.lower() == "content-type" for k, _ in headers):
            headers.append(("Content-Type", str(content_type)))
    elif not any(k.lower() == "content-type" for k, _ in headers):
        headers.append(("Content-Type", "application/json"))
    return HttpResponse(status=out_status, headers=headers, body=body)


def _mock_status(spec: IntegrationSpec) -> int:
    template = spec.request_templates.get("application/json")
    if template is None and spec.request_templates:
        template = next(iter(spec.request_templates.values()))
    try:
        data = json.loads(template or "")
        return int(data.get("statusCode", 200)) if isinstance(data, dict) else 200
    except (ValueError, TypeError):
        return 200


def _select(responses: Mapping[str, Any], status: str) -> Mapping[str, Any] | None:
    """The integration response whose selection pattern matches (the whole status)."""
    for pattern, response in responses.items():
        if pattern == "default" or not isinstance(response, dict):
            continue
        try:
            if re.fullmatch(pattern, status):
                return response
        except re.error:
            continue
    default = responses.get("default")
    return default if isinstance(default, dict) else None


def _fill(uri: str, params: Mapping[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1).removesuffix("+")
        return params.get(name, "")

    return re.sub(r"\{([^}]+)\}", value, uri)


async def http_proxy(
    client: httpx.AsyncClient,
    route: RouteSpec,
    request: HttpRequest,
    path_parameters: Mapping[str, str],
    timeout_s: float,
) -> HttpResponse | None:
    """The backend's answer; None when it cannot be reached (an integration failure)."""
    from httpx import HTTPError  # only when a route proxies: not at every start

    spec = route.integration
    assert spec is not None
    url = _fill(spec.uri, path_parameters)
    if not is_loopback_url(url):
        return None
    method = request.method if spec.http_method == "ANY" else spec.http_method
    headers = [(k, v) for k, v in request.headers if k.lower() not in _NOT_FORWARDED]
    try:
        answer = await client.request(
            method,
            url + (("&" if "?" in url else "?") + request.query if request.query else ""),
            headers=headers,
            content=request.body,
            timeout=timeout_s,
        )
    except HTTPError:
        return None
    kept = [(k, v) for k, v in answer.headers.multi_items() if k.lower() not in _NOT_FORWARDED]
    return HttpResponse(status=answer.status_code, headers=kept, body=answer.content)


async def start_execution(aws: LocalAws, route: RouteSpec, request: HttpRequest) -> HttpResponse:
    """Step Functions' StartExecution answer, as SAM's integration passes it through."""
    spec = route.integration
    assert spec is not None
    # $input.json('$') of an empty body is "{}"; any other body goes as it came (Step
    # Functions refuses one that is not JSON with InvalidExecutionInput, answered 400).
    text = request.body.decode("utf-8", "replace") if request.body.strip() else "{}"
    try:
        answer = await aws.call(
            "stepfunctions", "StartExecution", {"stateMachineArn": spec.uri, "input": text}
        )
    except AwsError as exc:
        # The integration responses SAM writes select "400"; anything else has no
        # integration response, so API Gateway answers with the backend's status anyway.
        body = {"__type": f"{_SFN_NAMESPACE}{exc.code}", "message": exc.message}
        return HttpResponse(
            status=exc.status,
            headers=[("Content-Type", "application/json")],
            body=json.dumps(body).encode(),
        )
    started = answer.get("startDate")
    if isinstance(started, datetime):
        started = started.timestamp()  # on the wire: epoch seconds, as JSON 1.0 sends it
    out = {"executionArn": answer.get("executionArn"), "startDate": started}
    return HttpResponse(
        status=200, headers=[("Content-Type", "application/json")], body=json.dumps(out).encode()
    )
