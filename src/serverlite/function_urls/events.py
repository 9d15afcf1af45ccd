"""The event a function URL sends: payload format 2.0, as Lambda builds it.

It is HTTP API's 2.0 shape with a function URL's own values: ``routeKey`` and ``stage``
are ``$default``, ``apiId`` and ``domainPrefix`` are the URL id, ``domainName`` is
``<url-id>.lambda-url.<region>.on.aws``, ``accountId`` is ``anonymous`` for AuthType
NONE, and AWS_IAM adds ``authorizer.iam`` (the caller's access key and account).
Headers are lower-cased and repeated ones joined with commas; cookies move to
``cookies``; the body is base64 unless its content type is text (AWS's own
example: aws-lambda-go events/testdata/lambda-urls-request.json).
"""

from __future__ import annotations

import base64
import time
from typing import Any
from urllib.parse import parse_qsl, unquote

from serverlite.function_urls.model import UrlConfig
from serverlite.gateway.http import HttpRequest
from serverlite.gateway.payloads import is_text


def request_time(now: float) -> str:
    """``12/Mar/2020:19:03:58 +0000``."""
    return time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now))


def build_event(
    request: HttpRequest,
    url: UrlConfig,
    request_id: str,
    now: float,
    account_id: str,
    iam: dict[str, Any] | None = None,
) -> dict[str, Any]:
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in request.headers:
        key = name.lower()
        if key == "cookie":
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
            continue
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    query: dict[str, str] = {}
    for key, value in parse_qsl(request.query, keep_blank_values=True) if request.query else ():
        query[key] = f"{query[key]},{value}" if key in query else value
    path = unquote(request.path)
    context: dict[str, Any] = {
        "accountId": account_id if iam is not None else "anonymous",
        "apiId": url.url_id,
        "domainName": url.domain_name,
        "domainPrefix": url.url_id,
        "http": {
            "method": request.method,
            "path": path,
            "protocol": request.protocol,
            "sourceIp": request.source_ip,
            "userAgent": request.header("user-agent") or "",
        },
        "requestId": request_id,
        "routeKey": "$default",
        "stage": "$default",
        "time": request_time(now),
        "timeEpoch": int(now * 1000),
    }
    if iam is not None:
        context["authorizer"] = {"iam": iam}
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": request.query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    if query:
        event["queryStringParameters"] = query
    event["requestContext"] = context
    if request.body:
        text = is_text(request.header("content-type"))
        try:
            event["body"] = request.body.decode("utf-8") if text else None
        except UnicodeDecodeError:
            text = False
        if not text:
            event["body"] = base64.b64encode(request.body).decode()
        event["isBase64Encoded"] = not text
    else:
        event["isBase64Encoded"] = False
    return event
