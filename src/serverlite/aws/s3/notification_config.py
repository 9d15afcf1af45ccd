"""A bucket's NotificationConfiguration: which events go where, with key filters.

    <QueueConfiguration|TopicConfiguration|CloudFunctionConfiguration>
      <Id/> <Queue|Topic|CloudFunction>ARN</...> <Event>s3:ObjectCreated:*</Event>...
      <Filter><S3Key><FilterRule><Name>prefix|suffix</Name><Value/></FilterRule>...
    <EventBridgeConfiguration/>

Event names are S3's (``s3:ObjectCreated:Put``, ``s3:ObjectCreated:*``, ...); an
unknown one is ``InvalidArgument``, as S3 refuses it.
"""

from __future__ import annotations

import secrets
from typing import Any

from .errors import invalid_argument, malformed_xml
from .xml import el, text

KINDS = {  # element -> the element naming its ARN
    "QueueConfiguration": "Queue",
    "TopicConfiguration": "Topic",
    "CloudFunctionConfiguration": "CloudFunction",
}
EVENTS = frozenset(
    {
        "s3:ObjectCreated:*",
        "s3:ObjectCreated:Put",
        "s3:ObjectCreated:Post",
        "s3:ObjectCreated:Copy",
        "s3:ObjectCreated:CompleteMultipartUpload",
        "s3:ObjectRemoved:*",
        "s3:ObjectRemoved:Delete",
        "s3:ObjectRemoved:DeleteMarkerCreated",
        "s3:ObjectTagging:*",
        "s3:ObjectTagging:Put",
        "s3:ObjectTagging:Delete",
        "s3:LifecycleExpiration:*",
        "s3:LifecycleExpiration:Delete",
        "s3:LifecycleExpiration:DeleteMarkerCreated",
        "s3:ObjectRestore:*",
        "s3:ObjectRestore:Post",
        "s3:ObjectRestore:Completed",
        "s3:ObjectRestore:Delete",
        "s3:ReducedRedundancyLostObject",
        "s3:Replication:*",
        "s3:ObjectAcl:Put",
        "s3:IntelligentTiering",
        "s3:LifecycleTransition",
    }
)


def parse(root: Any) -> dict[str, Any]:
    targets = []
    for kind, arn_name in KINDS.items():
        for node in root.findall(kind):
            arn = text(node, arn_name)
            events = [n.text or "" for n in node.findall("Event")]
            if not arn or not events:
                raise malformed_xml()
            for event in events:
                if event not in EVENTS:
                    raise invalid_argument(
                        "The event is not supported for notifications", event, event
                    )
            rules = {"prefix": "", "suffix": ""}
            for rule in node.findall("Filter/S3Key/FilterRule"):
                name = (text(rule, "Name") or "").lower()
                if name not in rules:
                    raise invalid_argument(
                        "filter rule name must be either prefix or suffix",
                        "FilterRule.Name",
                        name,
                    )
                rules[name] = text(rule, "Value") or ""
            targets.append(
                {
                    "kind": kind,
                    "id": text(node, "Id") or secrets.token_hex(16),
                    "arn": arn,
                    "events": events,
                    **rules,
                }
            )
    config: dict[str, Any] = {"targets": targets}
    if root.find("EventBridgeConfiguration") is not None:
        config["eventbridge"] = True
    return config


def to_xml(config: dict[str, Any]) -> str:
    out = []
    for target in config.get("targets", ()):
        kind = target["kind"]
        inner = el("Id", target["id"]) + el(KINDS[kind], target["arn"])
        inner += "".join(el("Event", e) for e in target["events"])
        rules = "".join(
            f"<FilterRule>{el('Name', name.capitalize())}{el('Value', target[name])}</FilterRule>"
            for name in ("prefix", "suffix")
            if target[name]
        )
        if rules:
            inner += f"<Filter><S3Key>{rules}</S3Key></Filter>"
        out.append(f"<{kind}>{inner}</{kind}>")
    if config.get("eventbridge"):
        out.append("<EventBridgeConfiguration></EventBridgeConfiguration>")
    return "".join(out)


def matches(target: dict[str, Any], event: str, key: str) -> bool:
    """``event`` is S3's name without ``s3:`` (``ObjectCreated:Put``)."""
    family = event.split(":", 1)[0]
    wanted = set(target["events"])
    if f"s3:{event}" not in wanted and f"s3:{family}:*" not in wanted:
        return False
    return key.startswith(target["prefix"]) and key.endswith(target["suffix"])
