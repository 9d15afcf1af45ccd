"""Lifecycle rules: expiration, run on the clock.

S3 computes an expiry by adding the rule's days to the object's creation time and
rounding up to the next midnight UTC (an object made on Jan 15 at 10:30 with
``Days: 1`` expires on Jan 17 at 00:00); a ``Date`` expires objects from that date on.
Expiring the current version is a DELETE (a delete marker in a versioned bucket), with
``LifecycleExpiration:*`` events; ``NoncurrentVersionExpiration`` removes versions
that have been noncurrent for its days; ``ExpiredObjectDeleteMarker`` removes a delete
marker left with no versions; ``AbortIncompleteMultipartUpload`` aborts uploads.
Transitions (storage classes) are accepted and do nothing: serverlite has one class.
AWS runs lifecycle about once a day, so an object may live up to a day past its
expiry there; serverlite expires at the first sweep after it (each minute, and at
once when a test moves the clock).
"""

from __future__ import annotations

import calendar
import math
import time
from typing import TYPE_CHECKING, Any

from serverlite.aws.backend import AwsError

from .errors import invalid_argument, malformed_xml
from .records import Bucket, ObjectVersion
from .xml import el, text, timestamp

if TYPE_CHECKING:
    from .context import S3Context

DAY = 86400.0
MAX_RULES = 1000


def _int(node: Any, name: str) -> int | None:
    value = text(node, name)
    if value is None:
        return None
    if not value.strip().lstrip("-").isdigit():
        raise malformed_xml()
    return int(value)


def _filter(node: Any) -> dict[str, Any]:
    found: dict[str, Any] = {"prefix": "", "tags": {}, "gt": None, "lt": None}
    filt = node.find("Filter")
    if filt is None:
        found["prefix"] = text(node, "Prefix") or ""  # the legacy form
        return found
    scope = filt.find("And") if filt.find("And") is not None else filt
    found["prefix"] = text(scope, "Prefix") or ""
    for tag in scope.findall("Tag"):
        found["tags"][text(tag, "Key") or ""] = text(tag, "Value") or ""
    found["gt"] = _int(scope, "ObjectSizeGreaterThan")
    found["lt"] = _int(scope, "ObjectSizeLessThan")
    return found


def parse_rules(root: Any) -> list[dict[str, Any]]:
    rules = []
    for node in root.findall("Rule"):
        status = text(node, "Status")
        if status not in ("Enabled", "Disabled"):
            raise malformed_xml()
        rule: dict[str, Any] = {"id": text(node, "ID") or "", "status": status, **_filter(node)}
        expiration = node.find("Expiration")
        if expiration is not None:
            rule["days"] = _int(expiration, "Days")
            date = text(expiration, "Date")
            rule["date"] = parse_date(date) if date else None
            marker = (text(expiration, "ExpiredObjectDeleteMarker") or "").lower()
            rule["expired_marker"] = marker == "true"
            if rule["days"] is not None and rule["days"] <= 0:
                raise invalid_argument(
                    "'Days' for Expiration action must be a positive integer",
                    "Days",
                    str(rule["days"]),
                )
        noncurrent = node.find("NoncurrentVersionExpiration")
        if noncurrent is not None:
            rule["noncurrent_days"] = _int(noncurrent, "NoncurrentDays")
        abort = node.find("AbortIncompleteMultipartUpload")
        if abort is not None:
            rule["abort_days"] = _int(abort, "DaysAfterInitiation")
        rule["transitions"] = len(node.findall("Transition")) + len(
            node.findall("NoncurrentVersionTransition")
        )
        actions = ("days", "date", "expired_marker", "noncurrent_days", "abort_days")
        if not any(rule.get(a) for a in actions) and not rule["transitions"]:
            raise AwsError(
                "InvalidRequest", "At least one action needs to be specified in a rule", 400
            )
        rules.append(rule)
    if not rules or len(rules) > MAX_RULES:
        raise malformed_xml()
    return rules


def parse_date(value: str) -> float:
    try:
        return float(calendar.timegm(time.strptime(value[:19], "%Y-%m-%dT%H:%M:%S")))
    except ValueError as exc:
        raise invalid_argument("'Date' must be at midnight GMT", "Date", value) from exc


def rules_xml(rules: list[dict[str, Any]]) -> str:
    out = []
    for rule in rules:
        conditions = el("Prefix", rule["prefix"]) if rule["prefix"] else ""
        conditions += "".join(
            f"<Tag>{el('Key', k)}{el('Value', v)}</Tag>" for k, v in rule["tags"].items()
        )
        conditions += el("ObjectSizeGreaterThan", rule["gt"]) + el("ObjectSizeLessThan", rule["lt"])
        many = (
            len(rule["tags"])
            + bool(rule["prefix"])
            + (rule["gt"] is not None)
            + (rule["lt"] is not None)
        )
        filt = f"<And>{conditions}</And>" if many > 1 else conditions
        inner = (
            el("ID", rule["id"] or None) + f"<Filter>{filt}</Filter>" + el("Status", rule["status"])
        )
        expiration = el("Days", rule.get("days")) + (
            el("Date", timestamp(rule["date"])) if rule.get("date") else ""
        )
        if rule.get("expired_marker"):
            expiration += el("ExpiredObjectDeleteMarker", True)
        if expiration:
            inner += f"<Expiration>{expiration}</Expiration>"
        if rule.get("noncurrent_days"):
            inner += (
                f"<NoncurrentVersionExpiration>{el('NoncurrentDays', rule['noncurrent_days'])}"
                "</NoncurrentVersionExpiration>"
            )
        if rule.get("abort_days"):
            inner += (
                "<AbortIncompleteMultipartUpload>"
                f"{el('DaysAfterInitiation', rule['abort_days'])}</AbortIncompleteMultipartUpload>"
            )
        out.append(f"<Rule>{inner}</Rule>")
    return "".join(out)


def after_days(start: float, days: int) -> float:
    """``start`` plus ``days``, rounded up to the next midnight UTC (S3's rule)."""
    return math.floor((start + days * DAY) / DAY) * DAY + DAY


def applies(rule: dict[str, Any], version: ObjectVersion) -> bool:
    if rule["status"] != "Enabled" or not version.key.startswith(rule["prefix"]):
        return False
    if any(version.tags.get(k) != v for k, v in rule["tags"].items()):
        return False
    if rule["gt"] is not None and not version.size > rule["gt"]:
        return False
    return not (rule["lt"] is not None and not version.size < rule["lt"])


def current_expired(rules: list[dict[str, Any]], version: ObjectVersion, now: float) -> bool:
    for rule in rules:
        if not applies(rule, version):
            continue
        if rule.get("days") and now >= after_days(version.modified, rule["days"]):
            return True
        if rule.get("date") and now >= rule["date"]:
            return True
    return False


def noncurrent_expired(
    rules: list[dict[str, Any]], version: ObjectVersion, noncurrent_since: float, now: float
) -> bool:
    return any(
        applies(rule, version)
        and rule.get("noncurrent_days")
        and now >= after_days(noncurrent_since, rule["noncurrent_days"])
        for rule in rules
    )


def sweep(ctx: S3Context) -> int:
    """Apply every bucket's lifecycle rules now; how many versions and uploads went."""
    now = ctx.clock()
    done = 0
    for bucket in ctx.db.buckets():
        rules = bucket.config.get("lifecycle")
        if not rules:
            continue
        done += _sweep_versions(ctx, bucket, rules, now)
        for upload in ctx.db.uploads(bucket.name, ""):
            if any(
                r["status"] == "Enabled"
                and r.get("abort_days")
                and upload.key.startswith(r["prefix"])
                and now >= after_days(upload.initiated, r["abort_days"])
                for r in rules
            ):
                freed = ctx.db.finish_upload(upload.upload_id, None)
                ctx.blobs.delete(freed or [])
                done += 1
    return done


def _sweep_versions(ctx: S3Context, bucket: Bucket, rules: list[dict[str, Any]], now: float) -> int:
    from .ops_objects import delete_one

    done = 0
    after_key, after_id = "", None
    newer: ObjectVersion | None = None  # the next newer version of the same key
    while True:
        batch = ctx.db.versions_after(bucket.name, "", after_key, after_id, 500)
        if not batch:
            return done
        for version in batch:
            successor = newer if newer is not None and newer.key == version.key else None
            if version.latest and not version.delete_marker:
                if current_expired(rules, version, now):
                    delete_one(ctx, bucket, version.key, None, {}, "LifecycleExpiration")
                    done += 1
            elif (
                not version.latest
                and successor is not None
                and noncurrent_expired(rules, version, successor.modified, now)
            ):
                delete_one(ctx, bucket, version.key, version.version_id, {}, "LifecycleExpiration")
                done += 1
            elif version.latest and version.delete_marker and _expired_marker(ctx, rules, version):
                ctx.db.delete_version(bucket.name, version.key, version.version_id)
                done += 1
            newer = version
            after_key, after_id = version.key, version.id


def _expired_marker(ctx: S3Context, rules: list[dict[str, Any]], marker: ObjectVersion) -> bool:
    """A delete marker with no versions left behind it, under ExpiredObjectDeleteMarker."""
    if not any(r.get("expired_marker") and applies(r, marker) for r in rules):
        return False
    older = ctx.db.versions_after(marker.bucket, marker.key, marker.key, marker.id, 1)
    return not older or older[0].key != marker.key
