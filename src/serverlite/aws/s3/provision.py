"""The template's buckets: ``AWS::S3::Bucket`` and the SAM ``S3`` events that point at
them.

A bucket is created once and keeps its objects across restarts; its configurations
(VersioningConfiguration, CorsConfiguration, LifecycleConfiguration,
NotificationConfiguration, Tags) are set from the template at every start, as a
CloudFormation update would. A function's ``Type: S3`` event becomes a Lambda
notification on its bucket, as SAM's transform writes it (SAM requires the bucket in
the same template), with its ``Filter.S3Key.Rules``.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from typing import Any

from serverlite.aws.backend import AwsError, ProvisionedResource
from serverlite.errors import TemplateError
from serverlite.template.intrinsics import to_cfn_string
from serverlite.template.model import Application, ResourceSpec

from . import names, notification_config
from .context import S3Context
from .lifecycle import parse_date

log = logging.getLogger("serverlite.aws.s3")
RESOURCE_TYPE = "AWS::S3::Bucket"
EMULATED = frozenset(
    {
        "BucketName",
        "VersioningConfiguration",
        "CorsConfiguration",
        "LifecycleConfiguration",
        "NotificationConfiguration",
        "Tags",
    }
)


def provision(ctx: S3Context, app: Application) -> list[ProvisionedResource]:
    lambda_events = _sam_events(app)
    made = []
    for resource in app.resources:
        if resource.type != RESOURCE_TYPE:
            continue
        name = resource.physical_id
        try:
            names.check_bucket_name(name)
        except AwsError as exc:
            raise TemplateError(
                str(app.root.template_file),
                f"Resources.{resource.logical_id}",
                f"BucketName {name!r}: {exc.message}",
            ) from exc
        ignored = sorted(set(resource.properties) - EMULATED)
        if ignored:  # never silent: say what the bucket will not do here
            log.warning("S3: bucket %s: %s not emulated (ignored)", name, ", ".join(ignored))
        ctx.db.create_bucket(name, app.region, ctx.clock())
        details = _configure(ctx, resource, lambda_events.get(name, []))
        made.append(ProvisionedResource("s3", "bucket", name, ", ".join(details)))
    return made


def _configure(
    ctx: S3Context, resource: ResourceSpec, lambda_targets: list[dict[str, Any]]
) -> list[str]:
    props = resource.properties
    name = resource.physical_id
    details = []
    versioning = _get(props, "VersioningConfiguration", "Status")
    if versioning in ("Enabled", "Suspended"):
        ctx.db.set_versioning(name, versioning)
        details.append(f"versioning {versioning.lower()}")
    cors = _get(props, "CorsConfiguration", "CorsRules")
    ctx.db.set_config(name, "cors", [_cors_rule(r) for r in cors] if cors else None)
    if cors:
        details.append("CORS")
    rules = _get(props, "LifecycleConfiguration", "Rules")
    ctx.db.set_config(name, "lifecycle", [_lifecycle_rule(r) for r in rules] if rules else None)
    if rules:
        details.append(f"{len(rules)} lifecycle rule(s)")
    tags = props.get("Tags")
    ctx.db.set_config(
        name,
        "tags",
        {str(t["Key"]): str(t.get("Value", "")) for t in tags} if isinstance(tags, list) else None,
    )
    notification = _notification(props.get("NotificationConfiguration") or {})
    notification["targets"] += lambda_targets
    ctx.db.set_config(name, "notification", notification)
    if notification["targets"] or notification.get("eventbridge"):
        count = len(notification["targets"]) + bool(notification.get("eventbridge"))
        details.append(f"{count} notification(s)")
    return details


def _get(props: Mapping[str, Any], *path: str) -> Any:
    value: Any = props
    for part in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _strings(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [to_cfn_string(v) or "" for v in value]
    return [to_cfn_string(value) or ""]


def _cors_rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "ID": to_cfn_string(rule.get("Id")),
        "AllowedOrigins": _strings(rule.get("AllowedOrigins")),
        "AllowedMethods": _strings(rule.get("AllowedMethods")),
        "AllowedHeaders": _strings(rule.get("AllowedHeaders")),
        "ExposeHeaders": _strings(rule.get("ExposedHeaders")),
        "MaxAgeSeconds": to_cfn_string(rule.get("MaxAge")),
    }


def _int(value: Any) -> int | None:
    text = to_cfn_string(value)
    return int(text) if text and text.isdigit() else None


def _lifecycle_rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    date = to_cfn_string(rule.get("ExpirationDate"))
    noncurrent = rule.get("NoncurrentVersionExpiration") or {}
    return {
        "id": to_cfn_string(rule.get("Id")) or "",
        "status": to_cfn_string(rule.get("Status")) or "Enabled",
        "prefix": to_cfn_string(rule.get("Prefix")) or "",
        "tags": {str(t["Key"]): str(t.get("Value", "")) for t in rule.get("TagFilters") or ()},
        "gt": _int(rule.get("ObjectSizeGreaterThan")),
        "lt": _int(rule.get("ObjectSizeLessThan")),
        "days": _int(rule.get("ExpirationInDays")),
        "date": parse_date(date) if date else None,
        "expired_marker": to_cfn_string(rule.get("ExpiredObjectDeleteMarker")) == "true",
        "noncurrent_days": _int(rule.get("NoncurrentVersionExpirationInDays"))
        or _int(noncurrent.get("NoncurrentDays")),
        "abort_days": _int(_get(rule, "AbortIncompleteMultipartUpload", "DaysAfterInitiation")),
        "transitions": len(rule.get("Transitions") or ()),
    }


def _filter_rules(filt: Any) -> dict[str, str]:
    found = {"prefix": "", "suffix": ""}
    for rule in _get(filt or {}, "S3Key", "Rules") or ():
        name = (to_cfn_string(rule.get("Name")) or "").lower()
        if name in found:
            found[name] = to_cfn_string(rule.get("Value")) or ""
    return found


def _notification(config: Mapping[str, Any]) -> dict[str, Any]:
    targets = []
    for key, kind, arn_key in (
        ("LambdaConfigurations", "CloudFunctionConfiguration", "Function"),
        ("QueueConfigurations", "QueueConfiguration", "Queue"),
        ("TopicConfigurations", "TopicConfiguration", "Topic"),
    ):
        for item in config.get(key) or ():
            targets.append(
                {
                    "kind": kind,
                    "id": secrets.token_hex(16),
                    "arn": to_cfn_string(item.get(arn_key)) or "",
                    "events": _strings(item.get("Event")),
                    **_filter_rules(item.get("Filter")),
                }
            )
    result: dict[str, Any] = {"targets": targets}
    if _get(config, "EventBridgeConfiguration", "EventBridgeEnabled") in (True, "true"):
        result["eventbridge"] = True
    return result


def _sam_events(app: Application) -> dict[str, list[dict[str, Any]]]:
    """bucket name -> the Lambda notifications SAM's ``Type: S3`` events make."""
    found: dict[str, list[dict[str, Any]]] = {}
    for fn in app.functions:
        for event in fn.events:
            if event.type != "S3":
                continue
            bucket = to_cfn_string(event.properties.get("Bucket"))
            events = _strings(event.properties.get("Events"))
            if not bucket or not events:
                log.warning(
                    "S3: %s event %s names no Bucket or Events; ignored", fn.name, event.name
                )
                continue
            for name in events:
                if name not in notification_config.EVENTS:
                    raise TemplateError(
                        str(app.root.template_file),
                        f"{fn.logical_id}.Events.{event.name}",
                        f"{name!r} is not an S3 event type",
                    )
            found.setdefault(bucket, []).append(
                {
                    "kind": "CloudFunctionConfiguration",
                    "id": f"{fn.logical_id}{event.name}",
                    "arn": fn.arn,
                    "events": events,
                    **_filter_rules(event.properties.get("Filter")),
                }
            )
    return found
