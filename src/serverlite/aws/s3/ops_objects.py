"""PutObject, GetObject, HeadObject, DeleteObject, DeleteObjects, CopyObject.

An object keeps the headers S3 keeps (Content-Type, -Encoding, -Disposition,
-Language, Cache-Control, Expires, ``x-amz-meta-*`` lowercased), its MD5 ETag and the
checksums the client sent or asked for. Versioning decides what a PUT and a DELETE do
(see ``store``). Since 2023 S3 encrypts every object (SSE-S3) and says so in
``x-amz-server-side-encryption: AES256``; so does serverlite (the bytes are not
encrypted on disk: the state directory is the user's, 0700).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote

from serverlite.aws.backend import AwsError, RestResponse

from . import checksums, conditions, names
from .blobs import stream
from .context import S3Context
from .errors import (
    invalid_argument,
    invalid_request,
    malformed_xml,
    method_not_allowed,
    no_such_key,
    no_such_version,
)
from .notifications import Note
from .records import Bucket, ObjectVersion
from .store import NULL_VERSION
from .xml import document, el, http_date, parse, text, timestamp

XML = "application/xml"
DEFAULT_CONTENT_TYPE = "binary/octet-stream"  # what S3 stores when none is sent
STORED = {
    "content-type": "Content-Type",
    "content-encoding": "Content-Encoding",
    "content-disposition": "Content-Disposition",
    "content-language": "Content-Language",
    "cache-control": "Cache-Control",
    "expires": "Expires",
    "x-amz-website-redirect-location": "x-amz-website-redirect-location",
}
OVERRIDES = {  # GetObject's response-* query parameters
    "response-content-type": "Content-Type",
    "response-content-language": "Content-Language",
    "response-expires": "Expires",
    "response-cache-control": "Cache-Control",
    "response-content-disposition": "Content-Disposition",
    "response-content-encoding": "Content-Encoding",
}
MAX_METADATA_BYTES = 2048  # user metadata: names and values, as S3 counts it
MAX_TAGS = 10


def new_version_id(bucket: Bucket) -> str:
    return secrets.token_urlsafe(24) if bucket.versioning == "Enabled" else NULL_VERSION


def stored_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The headers an object keeps from the request that wrote it."""
    kept: dict[str, str] = {}
    for name, canonical in STORED.items():
        value = headers.get(name)
        if value is not None:
            kept[canonical] = value
    encoding = kept.get("Content-Encoding")
    if encoding is not None:  # aws-chunked is the upload's framing, not the object's
        rest = [p.strip() for p in encoding.split(",") if p.strip() and p.strip() != "aws-chunked"]
        if rest:
            kept["Content-Encoding"] = ",".join(rest)
        else:
            del kept["Content-Encoding"]
    kept.setdefault("Content-Type", DEFAULT_CONTENT_TYPE)
    storage = headers.get("x-amz-storage-class", "STANDARD")
    if storage != "STANDARD":
        kept["x-amz-storage-class"] = storage
    size = 0
    for name, value in headers.items():
        if name.lower().startswith("x-amz-meta-"):
            kept[name.lower()] = value
            size += len(name) - len("x-amz-meta-") + len(value.encode())
    if size > MAX_METADATA_BYTES:
        raise AwsError(
            "MetadataTooLarge",
            "Your metadata headers exceed the maximum allowed metadata size.",
            400,
            Size=str(size),
            MaxSizeAllowed=str(MAX_METADATA_BYTES),
        )
    return kept


def tags_from_header(value: str | None) -> dict[str, str]:
    if not value:
        return {}
    tags = dict(parse_qsl(value, keep_blank_values=True))
    check_tags(tags)
    return tags


def check_tags(tags: Mapping[str, str]) -> None:
    if len(tags) > MAX_TAGS:
        raise AwsError("BadRequest", "Object tags cannot be greater than 10", 400)
    for key, value in tags.items():
        if not key or len(key) > 128:
            raise AwsError("InvalidTag", "The TagKey you have provided is invalid", 400)
        if len(value) > 256:
            raise AwsError("InvalidTag", "The TagValue you have provided is invalid", 400)


def version_headers(bucket: Bucket, version: ObjectVersion) -> dict[str, str]:
    """x-amz-version-id, where the bucket has (had) versioning."""
    if bucket.versioning or version.version_id != NULL_VERSION:
        return {"x-amz-version-id": version.version_id}
    return {}


def checksum_headers(checksum: Mapping[str, str]) -> dict[str, str]:
    found = {checksums.header(a): checksum[a] for a in checksums.ALGORITHMS if a in checksum}
    if found:
        found["x-amz-checksum-type"] = checksum.get("type", "FULL_OBJECT")
    return found


# -- PutObject ----------------------------------------------------------------------


async def put_object(ctx: S3Context, req: dict[str, Any]) -> RestResponse:
    bucket = ctx.bucket(req["bucket"])
    key: str = req["key"]
    names.check_key(key)
    headers = req["headers"]
    if "x-amz-copy-source" in headers:
        raise invalid_request("Use CopyObject to copy")
    kept = stored_headers(headers)
    tags = tags_from_header(headers.get("x-amz-tagging"))
    conditions.check_write(ctx.db.get(bucket.name, key), headers, key)
    received = await ctx.receive(req["body"], headers)
    # checked again now that the body is in: another PUT may have finished meanwhile
    try:
        conditions.check_write(ctx.db.get(bucket.name, key), headers, key)
    except AwsError:
        ctx.blobs.delete([received.blob])
        raise
    checksum = dict(received.checksum)
    if checksum:
        checksum["type"] = "FULL_OBJECT"
    version = ObjectVersion(
        bucket=bucket.name,
        key=key,
        version_id=new_version_id(bucket),
        delete_marker=False,
        blob=received.blob,
        size=received.size,
        etag=f'"{received.md5.hex()}"',
        modified=ctx.clock(),
        headers=kept,
        checksum=checksum,
        tags=tags,
    )
    ctx.blobs.delete(ctx.db.put(version, ctx.emit("ObjectCreated:Put", bucket, version, req)))
    return RestResponse(
        headers={
            "ETag": version.etag,
            "x-amz-server-side-encryption": "AES256",
            **version_headers(bucket, version),
            **checksum_headers(checksum),
        },
        media_type=None,
    )


# -- GetObject / HeadObject -----------------------------------------------------------


def readable(ctx: S3Context, bucket: Bucket, key: str, version_id: str | None) -> ObjectVersion:
    """The version a GET reads; a delete marker reads as S3 answers it."""
    version = ctx.db.get(bucket.name, key, version_id)
    if version is None:
        if version_id is not None:
            if version_id != NULL_VERSION and not _plausible_version(version_id):
                raise invalid_argument("Invalid version id specified", "versionId", version_id)
            raise no_such_version(key, version_id)
        raise no_such_key(key)
    if version.delete_marker:
        if version_id is not None:  # GET of a delete marker itself: 405
            exc = method_not_allowed("GET", "DeleteMarker")
        else:
            exc = no_such_key(key)
        exc.headers.update({"x-amz-delete-marker": "true", **version_headers(bucket, version)})
        raise exc
    return version


def _plausible_version(version_id: str) -> bool:
    return len(version_id) >= 16


def object_headers(bucket: Bucket, version: ObjectVersion) -> dict[str, str]:
    headers = {
        "ETag": version.etag,
        "Last-Modified": http_date(version.modified),
        "Accept-Ranges": "bytes",
        "x-amz-server-side-encryption": "AES256",
        **version.headers,
        **version_headers(bucket, version),
    }
    if version.tags:
        headers["x-amz-tagging-count"] = str(len(version.tags))
    return headers


def get_object(ctx: S3Context, req: dict[str, Any]) -> RestResponse:
    return _read(ctx, req, head=False)


def head_object(ctx: S3Context, req: dict[str, Any]) -> RestResponse:
    return _read(ctx, req, head=True)


def _read(ctx: S3Context, req: dict[str, Any], *, head: bool) -> RestResponse:
    bucket = ctx.bucket(req["bucket"])
    query, headers = req["query"], req["headers"]
    version = readable(ctx, bucket, req["key"], query.get("versionId"))
    response_headers = object_headers(bucket, version)
    try:
        conditions.check_read(version, headers)
    except conditions.NotModified:
        kept = ("ETag", "Last-Modified", "x-amz-version-id", "Cache-Control", "Expires")
        return RestResponse(
            status=304,
            headers={k: v for k, v in response_headers.items() if k in kept},
            media_type=None,
        )
    for param, name in OVERRIDES.items():
        if param in query:
            response_headers[name] = query[param]
    span = conditions.byte_range(headers.get("range"), version.size)
    status = 200
    start, length = 0, version.size
    if span is not None:
        start, length = span[0], span[1] - span[0] + 1
        status = 206
        response_headers["Content-Range"] = f"bytes {span[0]}-{span[1]}/{version.size}"
    elif headers.get("x-amz-checksum-mode", "").upper() == "ENABLED":
        response_headers.update(checksum_headers(version.checksum))
    if version.parts and "partNumber" in query:
        response_headers["x-amz-mp-parts-count"] = str(version.parts)
    response_headers["Content-Length"] = str(length)
    # Content-Type goes as stored (media_type would add a charset to text/*)
    if head or length == 0 or version.blob is None:
        return RestResponse(status=status, headers=response_headers, media_type=None)
    file = ctx.blobs.open(version.blob)  # opened now: a later PUT or DELETE cannot cut it
    return RestResponse(
        status=status,
        headers=response_headers,
        media_type=None,
        stream=stream(file, start, length),
    )


# -- DeleteObject(s) ------------------------------------------------------------------


def delete_one(
    ctx: S3Context,
    bucket: Bucket,
    key: str,
    version_id: str | None,
    req: Mapping[str, Any],
    cause: str = "ObjectRemoved",  # or LifecycleExpiration: the events' family
) -> tuple[ObjectVersion | None, bool]:
    """(the version removed or the delete marker made, whether it is a marker)."""

    def removed(gone: ObjectVersion) -> list[Note]:
        # removing a delete marker itself notifies nothing
        return [] if gone.delete_marker else ctx.emit(f"{cause}:Delete", bucket, gone, req)

    if version_id is not None or not bucket.versioning:
        gone = ctx.db.delete_version(bucket.name, key, version_id or NULL_VERSION, removed)
        if gone is None:
            return None, False
        ctx.blobs.delete([gone.blob])
        return gone, gone.delete_marker
    marker = ObjectVersion(
        bucket=bucket.name,
        key=key,
        version_id=new_version_id(bucket),
        delete_marker=True,
        blob=None,
        size=0,
        etag="",
        modified=ctx.clock(),
        headers={},
    )
    ctx.blobs.delete(
        ctx.db.put(marker, ctx.emit(f"{cause}:DeleteMarkerCreated", bucket, marker, req))
    )
    return marker, True


def delete_object(ctx: S3Context, req: dict[str, Any]) -> RestResponse:
    bucket = ctx.bucket(req["bucket"])
    key = req["key"]
    headers = req["headers"]
    if "if-match" in headers:
        current = ctx.db.get(bucket.name, key)
        if current is None or current.delete_marker:
            raise no_such_key(key)
        if not conditions.matches(current.etag, headers["if-match"]):
            raise AwsError(
                "PreconditionFailed",
                "At least one of the pre-conditions you specified did not hold",
                412,
                Condition="If-Match",
            )
    version, marker = delete_one(ctx, bucket, key, req["query"].get("versionId"), req)
    out: dict[str, str] = {}
    if version is not None and (bucket.versioning or req["query"].get("versionId")):
        out["x-amz-version-id"] = version.version_id
    if marker:
        out["x-amz-delete-marker"] = "true"
    return RestResponse(status=204, headers=out, media_type=None)


async def delete_objects(ctx: S3Context, req: dict[str, Any]) -> RestResponse:
    bucket = ctx.bucket(req["bucket"])
    root = parse(await req["body"].read())
    quiet = (text(root, "Quiet") or "").lower() == "true"
    objects = root.findall("Object")
    if not objects or len(objects) > 1000:
        raise malformed_xml()
    deleted, errors = [], []
    for item in objects:
        key = text(item, "Key")
        if key is None:
            raise malformed_xml()
        version_id = text(item, "VersionId")
        try:
            names.check_key(key)
            version, marker = delete_one(ctx, bucket, key, version_id, req)
        except AwsError as exc:
            errors.append(
                f"<Error>{el('Key', key)}{el('VersionId', version_id)}"
                f"{el('Code', exc.code)}{el('Message', exc.message)}</Error>"
            )
            continue
        if quiet:
            continue
        entry = el("Key", key) + el("VersionId", version_id)
        if marker and version is not None:
            entry += el("DeleteMarker", True)
            entry += el("DeleteMarkerVersionId", version.version_id)
        deleted.append(f"<Deleted>{entry}</Deleted>")
    return RestResponse(document("DeleteResult", "".join(deleted + errors)), media_type=XML)


# -- CopyObject ---------------------------------------------------------------------


def copy_source(ctx: S3Context, headers: Mapping[str, str]) -> tuple[Bucket, ObjectVersion]:
    """The object ``x-amz-copy-source`` names (``bucket/key[?versionId=...]``)."""
    raw = headers["x-amz-copy-source"]
    path, _, query = raw.partition("?")
    path = unquote(path).lstrip("/")
    source_bucket, slash, key = path.partition("/")
    if not slash or not key:
        raise invalid_argument("Invalid copy source object key", "x-amz-copy-source", raw)
    version_id = dict(parse_qsl(query)).get("versionId")
    bucket = ctx.bucket(source_bucket)
    version = readable(ctx, bucket, key, version_id)
    conditions.check_read(version, headers, prefix="x-amz-copy-source-")
    return bucket, version


async def copy_object(ctx: S3Context, req: dict[str, Any]) -> RestResponse:
    bucket = ctx.bucket(req["bucket"])
    key: str = req["key"]
    names.check_key(key)
    headers = req["headers"]
    source_bucket, source = copy_source(ctx, headers)
    replace = headers.get("x-amz-metadata-directive", "COPY").upper() == "REPLACE"
    replace_tags = headers.get("x-amz-tagging-directive", "COPY").upper() == "REPLACE"
    if (
        source_bucket.name == bucket.name
        and source.key == key
        and not replace
        and "x-amz-storage-class" not in headers
        and "x-amz-website-redirect-location" not in headers
    ):
        raise invalid_request(
            "This copy request is illegal because it is trying to copy an object to itself "
            "without changing the object's metadata, storage class, website redirect location "
            "or encryption attributes."
        )
    await req["body"].read()  # a copy has no body; anything sent is read and dropped
    blob = ctx.blobs.link(source.blob) if source.blob else None
    version = ObjectVersion(
        bucket=bucket.name,
        key=key,
        version_id=new_version_id(bucket),
        delete_marker=False,
        blob=blob,
        size=source.size,
        etag=source.etag,
        modified=ctx.clock(),
        headers=stored_headers(headers) if replace else dict(source.headers),
        checksum=dict(source.checksum),
        tags=tags_from_header(headers.get("x-amz-tagging")) if replace_tags else source.tags,
        parts=source.parts,
    )
    ctx.blobs.delete(ctx.db.put(version, ctx.emit("ObjectCreated:Copy", bucket, version, req)))
    checksum = "".join(
        el(f"Checksum{a}", source.checksum[a]) for a in checksums.ALGORITHMS if a in source.checksum
    )
    body = document(
        "CopyObjectResult",
        el("ETag", version.etag) + el("LastModified", timestamp(version.modified)) + checksum,
    )
    out = {"x-amz-server-side-encryption": "AES256", **version_headers(bucket, version)}
    if source_bucket.versioning:
        out["x-amz-copy-source-version-id"] = source.version_id
    return RestResponse(body, headers=out, media_type=XML)
