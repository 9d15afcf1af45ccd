"""A bucket's CORS rules, and how S3 answers browsers with them.

A preflight (``OPTIONS`` with ``Origin`` and ``Access-Control-Request-Method``) is
answered from the first rule whose AllowedOrigin, AllowedMethod and AllowedHeader
(every requested header) match; origins and headers take one ``*`` wildcard, headers
compare without case. No rule matching is 403 ``AccessForbidden``; so is a bucket
with no CORS configuration. An actual request with ``Origin`` that a rule matches gets
the ``Access-Control-*`` headers too. The endpoint refuses requests from web pages
(``Origin``) for every other service; for S3 it lets through exactly what a bucket's
CORS rules allow, as AWS does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from serverlite.aws.backend import AwsError

from .errors import invalid_request, malformed_xml
from .xml import el, text

METHODS = ("GET", "PUT", "POST", "DELETE", "HEAD")
MAX_RULES = 100


def parse_rules(root: Any) -> list[dict[str, Any]]:
    rules = []
    for node in root.findall("CORSRule"):
        rule = {
            "ID": text(node, "ID"),
            "AllowedOrigins": [n.text or "" for n in node.findall("AllowedOrigin")],
            "AllowedMethods": [n.text or "" for n in node.findall("AllowedMethod")],
            "AllowedHeaders": [n.text or "" for n in node.findall("AllowedHeader")],
            "ExposeHeaders": [n.text or "" for n in node.findall("ExposeHeader")],
            "MaxAgeSeconds": text(node, "MaxAgeSeconds"),
        }
        if not rule["AllowedOrigins"] or not rule["AllowedMethods"]:
            raise malformed_xml()
        for method in rule["AllowedMethods"]:
            if method not in METHODS:
                raise invalid_request(
                    f"Found unsupported HTTP method in CORS config. Unsupported method is {method}"
                )
        for origin in rule["AllowedOrigins"]:
            if origin.count("*") > 1:
                raise invalid_request(
                    f'AllowedOrigin "{origin}" can not have more than one wildcard.'
                )
        rules.append(rule)
    if not rules or len(rules) > MAX_RULES:
        raise malformed_xml()
    return rules


def rules_xml(rules: list[dict[str, Any]]) -> str:
    out = []
    for rule in rules:
        inner = el("ID", rule.get("ID"))
        inner += "".join(el("AllowedHeader", h) for h in rule["AllowedHeaders"])
        inner += "".join(el("AllowedMethod", m) for m in rule["AllowedMethods"])
        inner += "".join(el("AllowedOrigin", o) for o in rule["AllowedOrigins"])
        inner += "".join(el("ExposeHeader", h) for h in rule["ExposeHeaders"])
        inner += el("MaxAgeSeconds", rule.get("MaxAgeSeconds"))
        out.append(f"<CORSRule>{inner}</CORSRule>")
    return "".join(out)


def _wildcard(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    regex = "^" + ".*".join(re.escape(part) for part in pattern.split("*")) + "$"
    return re.match(regex, value, re.IGNORECASE if ignore_case else 0) is not None


def matching_rule(
    rules: list[dict[str, Any]] | None, origin: str, method: str, request_headers: list[str]
) -> dict[str, Any] | None:
    for rule in rules or ():
        if method not in rule["AllowedMethods"]:
            continue
        if not any(_wildcard(o, origin) for o in rule["AllowedOrigins"]):
            continue
        if all(
            any(_wildcard(a, h, ignore_case=True) for a in rule["AllowedHeaders"])
            for h in request_headers
        ):
            return rule
    return None


def response_headers(rule: dict[str, Any], origin: str, method: str) -> dict[str, str]:
    wildcard = rule["AllowedOrigins"] == ["*"]
    headers = {
        "Access-Control-Allow-Origin": "*" if wildcard else origin,
        "Access-Control-Allow-Methods": ", ".join(rule["AllowedMethods"]),
        "Vary": "Origin, Access-Control-Request-Headers, Access-Control-Request-Method",
    }
    if not wildcard:
        headers["Access-Control-Allow-Credentials"] = "true"
    if rule["ExposeHeaders"]:
        headers["Access-Control-Expose-Headers"] = ", ".join(rule["ExposeHeaders"])
    if rule.get("MaxAgeSeconds"):
        headers["Access-Control-Max-Age"] = str(rule["MaxAgeSeconds"])
    return headers


def requested_headers(headers: Mapping[str, str]) -> list[str]:
    raw = headers.get("access-control-request-headers", "")
    return [h.strip().lower() for h in raw.split(",") if h.strip()]


def preflight(rules: list[dict[str, Any]] | None, headers: Mapping[str, str]) -> dict[str, str]:
    """The preflight's answer headers, or S3's 400/403."""
    origin = headers.get("origin")
    if origin is None:
        raise AwsError("BadRequest", "Insufficient information. Origin request header needed.", 400)
    method = headers.get("access-control-request-method")
    if method is None:
        raise AwsError("BadRequest", "Invalid Access-Control-Request-Method: null", 400)
    if not rules:
        raise AwsError(
            "AccessForbidden",
            "CORSResponse: CORS is not enabled for this bucket.",
            403,
            Method=method,
            ResourceType="BUCKET",
        )
    wanted = requested_headers(headers)
    rule = matching_rule(rules, origin, method, wanted)
    if rule is None:
        raise AwsError(
            "AccessForbidden",
            "CORSResponse: This CORS request is not allowed. This is usually because the "
            "evalution of Origin, request method / Access-Control-Request-Method or "
            "Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.",
            403,
            Method=method,
            ResourceType="OBJECT",
        )
    answer = response_headers(rule, origin, method)
    if wanted:
        answer["Access-Control-Allow-Headers"] = ", ".join(wanted)
    return answer
