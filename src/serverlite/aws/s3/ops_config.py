"""A bucket's configurations (versioning, CORS, tags, lifecycle, notifications) and
object tags.

Each configuration is kept parsed (what serverlite acts on) beside the document as
sent, except versioning and tags, which are written back from their values. A
configuration never set is S3's own 404 (``NoSuchCORSConfiguration``,
``NoSuchTagSet``, ``NoSuchLifecycleConfiguration``); notifications answer an empty
document. Versioning, once enabled, can only be suspended, never removed.
"""

from __future__ import annotations

from typing import Any

from serverlite.aws.backend import AwsError, RestResponse

from . import cors, lifecycle, notification_config
from .context import S3Context
from .errors import malformed_xml
from .notifications import test_notes
from .ops_objects import check_tags, readable, version_headers
from .xml import HEADER, NAMESPACE, document, el, parse, text

XML = "application/xml"
MAX_BUCKET_TAGS = 50


def _xml(body: bytes) -> RestResponse:
    return RestResponse(body, media_type=XML)


# -- versioning ---------------------------------------------------------------------


async def put_bucket_versioning(ctx: S3Context, req: dict[str, Any]) -> RestResponse:
    bucket = ctx.bucket(req["bucket"])
    root = parse(await req["body"].read())
    status = text(root, "Status")
    if status not in ("Enabled", "Suspended"):
        raise malformed_xml()
    if status == "Suspended" and not bucket.versioning:
        status = "Suspended"  # S3 records it: the bucket now shows "Suspended"
    ctx.db.set_versioning(bucket.name, status)
    return RestResponse(media_type=None)


def get_bucket_versioning(ctx: S3Context, req: dict[str, Any]) -> RestResponse:
    bucket = ctx.bucket(req["bucket"])
    return _xml(document("VersioningConfiguration", el("Status", bucket.versioning or None)))


# -- tags ---------------------------------------------------------------------------


def _tag_set(root: Any) -> dict[str, str]:
    tag_set = root.find("TagSet")
    if tag_set is None:
        raise malformed_xml()
    tags: dict[str, str] = {}
    for tag in tag_set.findall("Tag"):
        key, value = text(tag, "Key"), text(tag, "Value", "")
        if key is None:
            raise malformed_xml()
        if key in tags:
            raise AwsError("InvalidTag", "Cannot provide multiple Tags with the same key", 400)
        tags[key] = value or ""
    return tags


def _tagging(tags: dict[str, str]) -> bytes:
    inner = "".join(f"<Tag>{el('Key', k)}{el('Value', v)}</Tag>" for k, v in tags.items())
    return document("Tagging", f"<TagSet>{inner}</TagSet>")


async def put_bucket_tagging(ctx: S3Context, req: dict[str, Any]) -> RestResponse:
    bucket = ctx.bucket(req["bucket"])
    tags = _tag_set(parse(await req["body"].read()))
    if len(tags) > MAX_BUCKET_TAGS:
        raise AwsError("BadRequest", "Bucket tag count cannot be greater than 50", 400)
    ctx.db.set_config(bucket.name, "tags", tags)
    return RestResponse(status=204, media_type=None)


def get_bucket_tagging(ctx: S3Context, req: dict[str, Any]) -> RestResponse:
    bucket = ctx.bucket(req["bucket"])
    tags = bucket.config.get("tags")
    if tags is None:
        raise AwsError("NoSuchTagSet", "The TagSet does not exist", 404, BucketName=bucket.name)
    return _xml(_tagging(tags))


def delete_bucket_tagging(ctx: S3Context, req: dict[str, Any]) -> RestResponse:
    bucket = ctx.bucket(req["bucket"])
    ctx.db.set_config(bucket.name, "tags", None)
    return RestResponse(status=204, media_type=None)


async def put_object_tagging(ctx: S3Context, req: dict[str, Any]) -> RestResponse:
    bucket = ctx.bucket(req["bucket"])
    tags = _tag_set(parse(await req["body"].read()))
    check_tags(tags)
    version = readable(ctx, bucket, req["key"], req["query"].get("versionId"))
    event = ctx.emit("ObjectTagging:Put", bucket, version, req)
    ctx.db.set_tags(bucket.name, version.key, version.version_id, tags, event)
    return RestResponse(headers=version_headers(bucket, version), media_type=None)


def get_object_tagging(ctx: S3Context, req: dict[str, Any]) -> RestResponse:
    bucket = ctx.bucket(req["bucket"])
    version = readable(ctx, bucket, req["key"], req["query"].get("versionId"))
    return RestResponse(
        _tagging(version.tags), headers=version_headers(bucket, version), media_type=XML
    )


def delete_object_tagging(ctx: S3Context, req: dict[str, Any]) -> RestResponse:
    bucket = ctx.bucket(req["bucket"])
    version = readable(ctx, bucket, req["key"], req["query"].get("versionId"))
    event = ctx.emit("ObjectTagging:Delete", bucket, version, req)
    ctx.db.set_tags(bucket.name, version.key, version.version_id, {}, event)
    return RestResponse(status=204, headers=version_headers(bucket, version), media_type=None)


# -- CORS ---------------------------------------------------------------------------


async def put_bucket_cors(ctx: S3Context, req: dict[str, Any]) -> RestResponse:
    bucket = ctx.bucket(req["bucket"])
    rules = cors.parse_rules(parse(await req["body"].read()))
    ctx.db.set_config(bucket.name, "cors", rules)
    return RestResponse(media_type=None)


def get_bucket_cors(ctx: S3Context, req: dict[str, Any]) -> RestResponse:
    bucket = ctx.bucket(req["bucket"])
    rules = bucket.config.get("cors")
    if rules is None:
        raise AwsError(
            "NoSuchCORSConfiguration",
            "The CORS configuration does not exist",
            404,
            BucketName=bucket.name,
        )
    return _xml(document("CORSConfiguration", cors.rules_xml(rules)))


def delete_bucket_cors(ctx: S3Context, req: dict[str, Any]) -> RestResponse:
    bucket = ctx.bucket(req["bucket"])
    ctx.db.set_config(bucket.name, "cors", None)
    return RestResponse(status=204, media_type=None)


# -- lifecycle ----------------------------------------------------------------------


async def put_bucket_lifecycle_configuration(ctx: S3Context, req: dict[str, Any]) -> RestResponse:
    bucket = ctx.bucket(req["bucket"])
    rules = lifecycle.parse_rules(parse(await req["body"].read()))
    ctx.db.set_config(bucket.name, "lifecycle", rules)
    return RestResponse(media_type=None)


def get_bucket_lifecycle_configuration(ctx: S3Context, req: dict[str, Any]) -> RestResponse:
    bucket = ctx.bucket(req["bucket"])
    rules = bucket.config.get("lifecycle")
    if rules is None:
        raise AwsError(
            "NoSuchLifecycleConfiguration",
            "The lifecycle configuration does not exist",
            404,
            BucketName=bucket.name,
        )
    return _xml(document("LifecycleConfiguration", lifecycle.rules_xml(rules)))


def delete_bucket_lifecycle(ctx: S3Context, req: dict[str, Any]) -> RestResponse:
    bucket = ctx.bucket(req["bucket"])
    ctx.db.set_config(bucket.name, "lifecycle", None)
    return RestResponse(status=204, media_type=None)


# -- notifications ------------------------------------------------------------------


async def put_bucket_notification_configuration(
    ctx: S3Context, req: dict[str, Any]
) -> RestResponse:
    bucket = ctx.bucket(req["bucket"])
    config = notification_config.parse(parse(await req["body"].read()))
    ctx.db.set_config(bucket.name, "notification", config)
    tests = test_notes(bucket.name, config, req["request_id"], ctx.clock())
    if tests:
        ctx.db.add_notes(tests)
        ctx.wake()
    return RestResponse(media_type=None)


def get_bucket_notification_configuration(ctx: S3Context, req: dict[str, Any]) -> RestResponse:
    bucket = ctx.bucket(req["bucket"])
    config = bucket.config.get("notification") or {}
    return _xml(
        f'{HEADER}<NotificationConfiguration xmlns="{NAMESPACE}">'
        f"{notification_config.to_xml(config)}</NotificationConfiguration>".encode()
    )
