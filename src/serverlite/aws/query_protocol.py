"""The AWS query protocol: form-encoded ``Action=...`` requests in, XML out (SNS, SQS, STS).

The service is told apart by the signing name in the request's SigV4 credential
scope (``Credential=AKID/20261123/us-east-1/sns/aws4_request``). Parameters are
parsed into the same structured dict a JSON-protocol request carries, and the
handler's result is written as the XML botocore's query parser reads, both driven
by botocore's own service model — so one handler serves both protocols.

Values follow the JSON wire: timestamps as epoch seconds, blobs as base64 text.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request

from serverlite.aws.backend import AwsError, QueryService
from serverlite.xml_text import escape

_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/[^/]+/([^/]+)/aws4_request")


def signing_name(request: Request) -> str | None:
    match = _SCOPE.search(request.headers.get("authorization", ""))
    if match:
        return match.group(1)
    credential = request.query_params.get("X-Amz-Credential", "")
    parts = credential.split("/")
    return parts[3] if len(parts) >= 5 else None


def service_in_arn(form: Mapping[str, str]) -> str | None:
    """The service an unsigned request is for, from the ARN it names (TopicArn, ...)."""
    for key in ("TopicArn", "SubscriptionArn"):
        parts = form.get(key, "").split(":")
        if len(parts) >= 6 and parts[0] == "arn":
            return parts[2]
    return None


# -- form -> structured params ------------------------------------------------------


def _name(shape: Any, default: str) -> str:
    return str(shape.serialization.get("name", default))


def parse(shape: Any, form: Mapping[str, str], prefix: str) -> Any:
    kind = shape.type_name
    if kind == "structure":
        out: dict[str, Any] = {}
        for member, member_shape in shape.members.items():
            key = _name(member_shape, member)
            value = parse(member_shape, form, f"{prefix}.{key}" if prefix else key)
            if value is not None:
                out[member] = value
        return out if out or not prefix else None
    if kind == "list":
        return _parse_list(shape, form, prefix)
    if kind == "map":
        return _parse_map(shape, form, prefix)
    if prefix not in form:
        return None
    return _scalar_in(kind, form[prefix], prefix)


def _parse_list(shape: Any, form: Mapping[str, str], prefix: str) -> list[Any] | None:
    if shape.serialization.get("flattened"):
        base = ".".join(
            [*prefix.split(".")[:-1], _name(shape.member, prefix.rsplit(".", maxsplit=1)[-1])]
        )
    else:
        base = f"{prefix}.{_name(shape.member, 'member')}"
    items: list[Any] = []
    index = 1
    while True:
        item = parse(shape.member, form, f"{base}.{index}")
        if item is None:
            break
        items.append(item)
        index += 1
    if items:
        return items
    return [] if form.get(prefix) == "" else None


def _parse_map(shape: Any, form: Mapping[str, str], prefix: str) -> dict[str, Any] | None:
    base = prefix if shape.serialization.get("flattened") else f"{prefix}.entry"
    key_name, value_name = _name(shape.key, "key"), _name(shape.value, "value")
    out: dict[str, Any] = {}
    index = 1
    while f"{base}.{index}.{key_name}" in form:
        value = parse(shape.value, form, f"{base}.{index}.{value_name}")
        out[form[f"{base}.{index}.{key_name}"]] = value
        index += 1
    return out or None


def _scalar_in(kind: str, text: str, where: str) -> Any:
    try:
        if kind in ("integer", "long"):
            return int(text)
        if kind in ("float", "double"):
            return float(text)
        if kind == "boolean":
            return text.lower() == "true"
        if kind == "timestamp":
            return _epoch(text)
    except ValueError as exc:
        raise AwsError(
            "InvalidParameterValue", f"Value {text} for parameter {where} is invalid."
        ) from exc
    return text


def _epoch(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


# -- structured result -> XML ---------------------------------------------------------


def document(
    service: QueryService, operation: Any, result: Mapping[str, Any], request_id: str
) -> bytes:
    name = operation.name
    ns = f' xmlns="{service.xml_namespace}"' if service.xml_namespace else ""
    body = ""
    output = operation.output_shape
    if output is not None:
        wrapper = output.serialization.get("resultWrapper", f"{name}Result")
        body = f"<{wrapper}>{_members(output, result)}</{wrapper}>"
    return (
        f"<{name}Response{ns}>{body}<ResponseMetadata><RequestId>{request_id}"
        f"</RequestId></ResponseMetadata></{name}Response>"
    ).encode()


def _members(shape: Any, value: Mapping[str, Any]) -> str:
    parts = []
    for member, member_shape in shape.members.items():
        if member in value and value[member] is not None:
            parts.append(_element(_name(member_shape, member), member_shape, value[member]))
    return "".join(parts)


def _element(tag: str, shape: Any, value: Any) -> str:
    kind = shape.type_name
    if kind == "structure":
        return f"<{tag}>{_members(shape, value)}</{tag}>"
    if kind == "list":
        member_tag = _name(shape.member, "member")
        if shape.serialization.get("flattened"):
            return "".join(_element(_name(shape.member, tag), shape.member, v) for v in value)
        inner = "".join(_element(member_tag, shape.member, v) for v in value)
        return f"<{tag}>{inner}</{tag}>"
    if kind == "map":
        key_tag, value_tag = _name(shape.key, "key"), _name(shape.value, "value")
        entries = "".join(
            f"<entry>{_element(key_tag, shape.key, k)}{_element(value_tag, shape.value, v)}</entry>"
            for k, v in value.items()
        )
        if shape.serialization.get("flattened"):
            return "".join(
                f"<{tag}>{_element(key_tag, shape.key, k)}{_element(value_tag, shape.value, v)}"
                f"</{tag}>"
                for k, v in value.items()
            )
        return f"<{tag}>{entries}</{tag}>"
    return f"<{tag}>{escape(_scalar_out(kind, value))}</{tag}>"


def _scalar_out(kind: str, value: Any) -> str:
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "timestamp":
        if isinstance(value, (int, float)):
            value = dt.datetime.fromtimestamp(value, dt.UTC)
        if isinstance(value, dt.datetime):
            return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    if kind == "blob" and isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return str(value)
