"""Multipart uploads: Create, UploadPart (and UploadPartCopy), Complete, Abort,
ListParts, ListMultipartUploads.

Each part is a blob of its own until the upload completes; completing writes the
object as one new blob (the parts copied in order, off the event loop), fsynced and
renamed before the object's row and the end of the upload commit together. Every part
but the last must be at least 5 MiB (``EntityTooSmall``); parts are named in
ascending order with the ETags UploadPart gave (``InvalidPartOrder``,
``InvalidPart``). The object's ETag is the MD5 of the parts' MD5s and ``-N``; its
checksum COMPOSITE (the checksum of the parts' checksums, ``-N``) unless the upload
asked for FULL_OBJECT (CRC32/CRC32C), which is computed over the whole object.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from typing import Any

from serverlite.aws.backend import AwsError, RestResponse

from . import checksums, conditions, names
from .context import OWNER_ID, OWNER_NAME, S3Context
from .errors import invalid_argument, invalid_request, malformed_xml, no_such_upload
from .ops_objects import (
    copy_source,
    new_version_id,
    stored_headers,
    tags_from_header,
    version_headers,
)
from .records import ObjectVersion, Part, Upload
from .xml import document, el, parse, text, timestamp

XML = "application/xml"
MIN_PART_BYTES = 5 * 1024 * 1024
MAX_PART_NUMBER = 10_000


def _upload(ctx: S3Context, req: dict[str, Any]) -> Upload:
    upload_id = req["query"].get("uploadId", "")
    upload = ctx.db.upload(upload_id)
    if upload is None or upload.bucket != req["bucket"] or upload.key != req["key"]:
        raise no_such_upload(upload_id)
    return upload


def _owner(tag: str) -> str:
    return f"<{tag}>{el('ID', OWNER_ID)}{el('DisplayName', OWNER_NAME)}</{tag}>"


async def create_multipart_upload(ctx: S3Context, req: dict[str, Any]) -> RestResponse:
    bucket = ctx.bucket(req["bucket"])
    key: str = req["key"]
    names.check_key(key)
    headers = req["headers"]
    await req["body"].read()
    checksum: dict[str, str] = {}
    algorithm = headers.get("x-amz-checksum-algorithm")
    kind = headers.get("x-amz-checksum-type", "").upper()
    if algorithm:
        algorithm = algorithm.upper()
        if algorithm not in checksums.ALGORITHMS:
            raise invalid_request(f"Checksum algorithm {algorithm} is not supported by serverlite")
        kind = kind or "COMPOSITE"
        if kind == "FULL_OBJECT" and algorithm not in checksums.FULL_OBJECT_ALGORITHMS:
            raise invalid_request(
                f"The FULL_OBJECT checksum type cannot be used with the {algorithm} checksum "
                "algorithm."
            )
        checksum = {"algorithm": algorithm, "type": kind}
    upload = Upload(
        upload_id=secrets.token_urlsafe(48),
        bucket=bucket.name,
        key=key,
        initiated=ctx.clock(),
        headers=stored_headers(headers),
        checksum=checksum,
        tags=tags_from_header(headers.get("x-amz-tagging")),
    )
    ctx.db.create_upload(upload)
    out = {"x-amz-server-side-encryption": "AES256"}
    if checksum:
        out["x-amz-checksum-algorithm"] = checksum["algorithm"]
        out["x-amz-checksum-type"] = checksum["type"]
    body = document(
        "InitiateMultipartUploadResult",
        el("Bucket", bucket.name) + el("Key", key) + el("UploadId", upload.upload_id),
    )
    return RestResponse(body, headers=out, media_type=XML)


def _part_number(req: dict[str, Any]) -> int:
    raw = req["query"].get("partNumber", "")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PART_NUMBER:
        raise invalid_argument(
            "Part number must be an integer between 1 and 10000, inclusive", "partNumber", raw
        )
    return int(raw)


async def upload_part(ctx: S3Context, req: dict[str, Any]) -> RestResponse:
    ctx.bucket(req["bucket"])
    upload = _upload(ctx, req)
    number = _part_number(req)
    received = await ctx.receive(req["body"], req["headers"], upload.checksum.get("algorithm"))
    part = Part(
        number=number,
        blob=received.blob,
        size=received.size,
        etag=f'"{received.md5.hex()}"',
        modified=ctx.clock(),
        checksum=received.checksum,
    )
    freed = ctx.db.put_part(upload.upload_id, part)
    if freed is None:  # aborted while the part was arriving
        ctx.blobs.delete([received.blob])
        raise no_such_upload(upload.upload_id)
    ctx.blobs.delete(freed)
    out = {"ETag": part.etag, "x-amz-server-side-encryption": "AES256"}
    out.update({checksums.header(a): v for a, v in received.checksum.items()})
    return RestResponse(headers=out, media_type=None)


async def upload_part_copy(ctx: S3Context, req: dict[str, Any]) -> RestResponse:
    ctx.bucket(req["bucket"])
    upload = _upload(ctx, req)
    number = _part_number(req)
    headers = req["headers"]
    _, source = copy_source(ctx, headers)
    first, last = 0, source.size - 1
    span = headers.get("x-amz-copy-source-range")
    if span is not None:
        parsed = conditions.byte_range(span, source.size)
        if parsed is None or not span.startswith("bytes=") or span.startswith("bytes=-"):
            raise invalid_argument(
                "The x-amz-copy-source-range value must be of the form bytes=first-last where "
                "first and last are the zero-based offsets of the first and last bytes to copy",
                "x-amz-copy-source-range",
                span,
            )
        first, last = parsed
    writer = ctx.blobs.writer()
    md5 = hashlib.md5()
    algorithm = upload.checksum.get("algorithm")
    hasher = checksums.hasher(algorithm) if algorithm else None
    try:
        if source.blob is not None and source.size:
            with ctx.blobs.open(source.blob) as file:
                file.seek(first)
                remaining = last - first + 1
                while remaining > 0:
                    chunk = file.read(min(1024 * 1024, remaining))
                    if not chunk:
                        break
                    remaining -= len(chunk)
                    writer.write(chunk)
                    md5.update(chunk)
                    if hasher is not None:
                        hasher.update(chunk)
        blob = await writer.commit()
    except BaseException:
        writer.discard()
        raise
    part_checksum = {algorithm: checksums.encode(hasher.digest())} if algorithm and hasher else {}
    part = Part(number, blob, writer.size, f'"{md5.hexdigest()}"', ctx.clock(), part_checksum)
    freed = ctx.db.put_part(upload.upload_id, part)
    if freed is None:
        ctx.blobs.delete([blob])
        raise no_such_upload(upload.upload_id)
    ctx.blobs.delete(freed)
    inner = el("ETag", part.etag) + el("LastModified", timestamp(part.modified))
    inner += "".join(el(f"Checksum{a}", v) for a, v in part_checksum.items())
    return RestResponse(document("CopyPartResult", inner), media_type=XML)


def _requested_parts(root: Any) -> list[tuple[int, str, dict[str, str]]]:
    found = []
    for node in root.findall("Part"):
        number_text = text(node, "PartNumber")
        etag = text(node, "ETag")
        if number_text is None or not number_text.strip().isdigit() or etag is None:
            raise malformed_xml()
        sent = {a: text(node, f"Checksum{a}") or "" for a in checksums.ALGORITHMS}
        found.append((int(number_text), etag.strip(), {a: v for a, v in sent.items() if v}))
    if not found:
        raise malformed_xml()
    return found


async def complete_multipart_upload(ctx: S3Context, req: dict[str, Any]) -> RestResponse:
    bucket = ctx.bucket(req["bucket"])
    upload = _upload(ctx, req)
    headers = req["headers"]
    requested = _requested_parts(parse(await req["body"].read()))
    stored = {part.number: part for part in ctx.db.parts(upload.upload_id)}
    numbers = [number for number, _, _ in requested]
    if numbers != sorted(numbers) or len(set(numbers)) != len(numbers):
        raise AwsError(
            "InvalidPartOrder",
            "The list of parts was not in ascending order. Parts must be ordered by part number.",
            400,
            UploadId=upload.upload_id,
        )
    parts: list[Part] = []
    for number, etag, sent in requested:
        part = stored.get(number)
        if (
            part is None
            or part.etag.strip('"') != etag.strip('"')
            or any(part.checksum.get(a) not in (None, v) for a, v in sent.items())
        ):
            raise AwsError(
                "InvalidPart",
                "One or more of the specified parts could not be found.  The part may not have "
                "been uploaded, or the specified entity tag may not match the part's entity tag.",
                400,
                UploadId=upload.upload_id,
                PartNumber=str(number),
                ETag=etag,
            )
        parts.append(part)
    for part in parts[:-1]:
        if part.size < MIN_PART_BYTES:
            raise AwsError(
                "EntityTooSmall",
                "Your proposed upload is smaller than the minimum allowed size",
                400,
                ProposedSize=str(part.size),
                MinSizeAllowed=str(MIN_PART_BYTES),
                PartNumber=str(part.number),
                ETag=part.etag.strip('"'),
            )
    conditions.check_write(ctx.db.get(bucket.name, upload.key), headers, upload.key)
    algorithm = upload.checksum.get("algorithm")
    full_object = upload.checksum.get("type") == "FULL_OBJECT"
    blob, whole = await _assemble(ctx, parts, algorithm if full_object else None)
    checksum: dict[str, str] = {}
    if algorithm and whole is not None:
        checksum = {algorithm: whole, "type": "FULL_OBJECT"}
    elif algorithm and all(algorithm in p.checksum for p in parts):
        checksum = {
            algorithm: checksums.composite(algorithm, [p.checksum[algorithm] for p in parts]),
            "type": "COMPOSITE",
        }
    version = ObjectVersion(
        bucket=bucket.name,
        key=upload.key,
        version_id=new_version_id(bucket),
        delete_marker=False,
        blob=blob,
        size=sum(p.size for p in parts),
        etag=checksums.multipart_etag(bytes.fromhex(p.etag.strip('"')) for p in parts),
        modified=ctx.clock(),
        headers=upload.headers,
        checksum=checksum,
        tags=upload.tags,
        parts=len(parts),
    )
    event = ctx.emit("ObjectCreated:CompleteMultipartUpload", bucket, version, req)
    freed = ctx.db.finish_upload(upload.upload_id, version, event)
    if freed is None:  # aborted or completed meanwhile
        ctx.blobs.delete([blob])
        raise no_such_upload(upload.upload_id)
    ctx.blobs.delete(freed)
    inner = (
        el("Location", f"/{bucket.name}/{upload.key}")
        + el("Bucket", bucket.name)
        + el("Key", upload.key)
        + el("ETag", version.etag)
    )
    if algorithm and algorithm in checksum:
        inner += el(f"Checksum{algorithm}", checksum[algorithm]) + el(
            "ChecksumType", checksum["type"]
        )
    out = {"x-amz-server-side-encryption": "AES256", **version_headers(bucket, version)}
    return RestResponse(
        document("CompleteMultipartUploadResult", inner), headers=out, media_type=XML
    )


async def _assemble(
    ctx: S3Context, parts: list[Part], algorithm: str | None
) -> tuple[str, str | None]:
    """The parts, in order, as one new blob (copied on a worker thread: gigabytes must
    not stall the endpoint); the whole object's checksum when asked for."""
    writer = ctx.blobs.writer()
    hasher = checksums.hasher(algorithm) if algorithm else None

    def copy() -> None:
        for part in parts:
            with ctx.blobs.open(part.blob) as file:
                while chunk := file.read(1024 * 1024):
                    writer.write(chunk)
                    if hasher is not None:
                        hasher.update(chunk)

    try:
        await asyncio.get_running_loop().run_in_executor(None, copy)
        blob = await writer.commit()
    except BaseException:
        writer.discard()
        raise
    return blob, checksums.encode(hasher.digest()) if hasher is not None else None


def abort_multipart_upload(ctx: S3Context, req: dict[str, Any]) -> RestResponse:
    ctx.bucket(req["bucket"])
    upload = _upload(ctx, req)
    freed = ctx.db.finish_upload(upload.upload_id, None)
    if freed is None:
        raise no_such_upload(upload.upload_id)
    ctx.blobs.delete(freed)
    return RestResponse(status=204, media_type=None)


def _int_param(query: dict[str, str], name: str, default: int, cap: int) -> int:
    raw = query.get(name, str(default))
    if not raw.isdigit():
        raise invalid_argument(f"Provided {name} not an integer or within integer range", name, raw)
    return min(int(raw), cap)


def list_parts(ctx: S3Context, req: dict[str, Any]) -> RestResponse:
    bucket = ctx.bucket(req["bucket"])
    upload = _upload(ctx, req)
    query = req["query"]
    max_parts = _int_param(query, "max-parts", 1000, 1000)
    marker = _int_param(query, "part-number-marker", 0, MAX_PART_NUMBER)
    parts = [p for p in ctx.db.parts(upload.upload_id) if p.number > marker]
    page, truncated = parts[:max_parts], len(parts) > max_parts
    inner = (
        el("Bucket", bucket.name)
        + el("Key", upload.key)
        + el("UploadId", upload.upload_id)
        + el("PartNumberMarker", marker)
        + el("NextPartNumberMarker", page[-1].number if page else 0)
        + el("MaxParts", max_parts)
        + el("IsTruncated", truncated)
    )
    for part in page:
        inner += (
            "<Part>"
            + el("PartNumber", part.number)
            + el("LastModified", timestamp(part.modified))
            + el("ETag", part.etag)
            + el("Size", part.size)
            + "".join(el(f"Checksum{a}", v) for a, v in part.checksum.items())
            + "</Part>"
        )
    inner += _owner("Initiator") + _owner("Owner") + el("StorageClass", "STANDARD")
    if upload.checksum:
        inner += el("ChecksumAlgorithm", upload.checksum["algorithm"])
        inner += el("ChecksumType", upload.checksum["type"])
    return RestResponse(document("ListPartsResult", inner), media_type=XML)


def list_multipart_uploads(ctx: S3Context, req: dict[str, Any]) -> RestResponse:
    bucket = ctx.bucket(req["bucket"])
    query = req["query"]
    prefix = query.get("prefix", "")
    max_uploads = _int_param(query, "max-uploads", 1000, 1000)
    key_marker = query.get("key-marker", "")
    id_marker = query.get("upload-id-marker", "")
    uploads = ctx.db.uploads(bucket.name, prefix)
    if key_marker:
        position = [(u.key, u.upload_id) for u in uploads]
        uploads = [
            u
            for u, at in zip(uploads, position, strict=True)
            if u.key > key_marker or (id_marker and u.key == key_marker and at[1] > id_marker)
        ]
    page, truncated = uploads[:max_uploads], len(uploads) > max_uploads
    inner = (
        el("Bucket", bucket.name)
        + el("KeyMarker", key_marker)
        + el("UploadIdMarker", id_marker)
        + el("NextKeyMarker", page[-1].key if truncated else "")
        + el("NextUploadIdMarker", page[-1].upload_id if truncated else "")
        + el("Prefix", prefix)
        + el("MaxUploads", max_uploads)
        + el("IsTruncated", truncated)
    )
    for upload in page:
        inner += (
            "<Upload>"
            + el("Key", upload.key)
            + el("UploadId", upload.upload_id)
            + _owner("Initiator")
            + _owner("Owner")
            + el("StorageClass", "STANDARD")
            + el("Initiated", timestamp(upload.initiated))
            + (el("ChecksumAlgorithm", upload.checksum["algorithm"]) if upload.checksum else "")
            + "</Upload>"
        )
    return RestResponse(document("ListMultipartUploadsResult", inner), media_type=XML)
