"""ListObjectsV2, ListObjects (v1) and ListObjectVersions.

Keys are listed in UTF-8 byte order. With a delimiter, keys whose rest (after the
prefix) contains it roll up into one CommonPrefix (``photos/2026/``), which counts as
one entry against MaxKeys. A page ends after MaxKeys entries (at most 1,000); v2's
continuation token is opaque (here: the last entry, base64), v1's NextMarker is the
last entry and is sent only with a delimiter, as S3 does. ``encoding-type=url``
URL-encodes keys, prefixes and markers in the answer.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

from serverlite.aws.backend import RestResponse

from .context import OWNER_ID, OWNER_NAME, S3Context
from .errors import invalid_argument
from .records import ObjectVersion
from .xml import document, el, timestamp

XML = "application/xml"
MAX_KEYS = 1000
_BATCH = 1000
_AFTER_ALL = "\U0010ffff"  # sorts after any key that starts with a given prefix


def _max_keys(query: dict[str, str]) -> int:
    raw = query.get("max-keys", str(MAX_KEYS))
    try:
        value = int(raw)
    except ValueError as exc:
        raise invalid_argument(
            "Provided max-keys not an integer or within integer range", "max-keys", raw
        ) from exc
    if value < 0:
        raise invalid_argument(
            "Argument maxKeys must be an integer between 0 and 2147483647", "max-keys", raw
        )
    return min(value, MAX_KEYS)


def _encoder(query: dict[str, str]) -> Callable[[str], str]:
    kind = query.get("encoding-type")
    if kind is None:
        return lambda value: value
    if kind != "url":
        raise invalid_argument(
            "Invalid Encoding Method specified in Request", "encoding-type", kind
        )
    return lambda value: quote(value, safe="/")


def _walk(
    rows: Callable[[str, int], list[ObjectVersion]], prefix: str, delimiter: str, after: str
) -> Iterator[tuple[str, ObjectVersion | None]]:
    """(key, version) for keys, (common prefix, None) for roll-ups, in order, from
    after ``after``."""
    if delimiter and after.startswith(prefix):
        rest = after[len(prefix) :]
        if delimiter in rest:  # the marker is (inside) a common prefix: skip it whole
            after = prefix + rest[: rest.index(delimiter) + len(delimiter)] + _AFTER_ALL
    while True:
        batch = rows(after, _BATCH)
        if not batch:
            return
        for version in batch:
            rest = version.key[len(prefix) :]
            if delimiter and delimiter in rest:
                common = prefix + rest[: rest.index(delimiter) + len(delimiter)]
                yield common, None
                after = common + _AFTER_ALL
                break
            yield version.key, version
            after = version.key
        else:
            if len(batch) < _BATCH:
                return


def _page(
    ctx: S3Context, bucket: str, prefix: str, delimiter: str, after: str, max_keys: int
) -> tuple[list[tuple[str, ObjectVersion | None]], bool]:
    def rows(start: str, limit: int) -> list[ObjectVersion]:
        return ctx.db.latest_after(bucket, prefix, start, limit)

    entries: list[tuple[str, ObjectVersion | None]] = []
    walk = _walk(rows, prefix, delimiter, after)
    for entry in walk:
        if len(entries) == max_keys:
            return entries, True
        entries.append(entry)
    return entries, False


def _contents(version: ObjectVersion, encode: Callable[[str], str], owner: bool) -> str:
    algorithms = [a for a in ("CRC32", "CRC32C", "SHA1", "SHA256") if a in version.checksum]
    inner = (
        el("Key", encode(version.key))
        + el("LastModified", timestamp(version.modified))
        + el("ETag", version.etag)
        + "".join(el("ChecksumAlgorithm", a) for a in algorithms)
        + (el("ChecksumType", version.checksum.get("type", "FULL_OBJECT")) if algorithms else "")
        + el("Size", version.size)
        + el("StorageClass", version.headers.get("x-amz-storage-class", "STANDARD"))
    )
    if owner:
        inner += _owner()
    return f"<Contents>{inner}</Contents>"


def _owner() -> str:
    return f"<Owner>{el('ID', OWNER_ID)}{el('DisplayName', OWNER_NAME)}</Owner>"


def _entries(
    entries: list[tuple[str, ObjectVersion | None]], encode: Callable[[str], str], owner: bool
) -> str:
    contents = "".join(_contents(v, encode, owner) for _, v in entries if v is not None)
    prefixes = "".join(
        f"<CommonPrefixes>{el('Prefix', encode(k))}</CommonPrefixes>"
        for k, v in entries
        if v is None
    )
    return contents + prefixes


def list_objects_v2(ctx: S3Context, req: dict[str, Any]) -> RestResponse:
    bucket = ctx.bucket(req["bucket"])
    query = req["query"]
    prefix, delimiter = query.get("prefix", ""), query.get("delimiter", "")
    max_keys, encode = _max_keys(query), _encoder(query)
    token = query.get("continuation-token")
    start_after = query.get("start-after", "")
    after = start_after
    if token is not None:
        try:
            after = base64.urlsafe_b64decode(token.encode()).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
            raise invalid_argument(
                "The continuation token provided is incorrect", "continuation-token", token
            ) from exc
    entries, truncated = _page(ctx, bucket.name, prefix, delimiter, after, max_keys)
    owner = query.get("fetch-owner", "").lower() == "true"
    inner = el("Name", bucket.name) + el("Prefix", encode(prefix))
    if token is not None:
        inner += el("ContinuationToken", token)
    if truncated and entries:
        next_token = base64.urlsafe_b64encode(entries[-1][0].encode()).decode()
        inner += el("NextContinuationToken", next_token)
    inner += el("KeyCount", len(entries)) + el("MaxKeys", max_keys)
    if delimiter:
        inner += el("Delimiter", encode(delimiter))
    if "encoding-type" in query:
        inner += el("EncodingType", "url")
    inner += el("IsTruncated", truncated)
    if start_after:
        inner += el("StartAfter", encode(start_after))
    inner += _entries(entries, encode, owner)
    return RestResponse(document("ListBucketResult", inner), media_type=XML)


def list_objects(ctx: S3Context, req: dict[str, Any]) -> RestResponse:
    bucket = ctx.bucket(req["bucket"])
    query = req["query"]
    prefix, delimiter = query.get("prefix", ""), query.get("delimiter", "")
    max_keys, encode = _max_keys(query), _encoder(query)
    marker = query.get("marker", "")
    entries, truncated = _page(ctx, bucket.name, prefix, delimiter, marker, max_keys)
    inner = (
        el("Name", bucket.name)
        + el("Prefix", encode(prefix))
        + el("Marker", encode(marker))
        + el("MaxKeys", max_keys)
    )
    if delimiter:
        inner += el("Delimiter", encode(delimiter))
    if "encoding-type" in query:
        inner += el("EncodingType", "url")
    inner += el("IsTruncated", truncated)
    if truncated and delimiter and entries:
        inner += el("NextMarker", encode(entries[-1][0]))
    inner += _entries(entries, encode, owner=True)
    return RestResponse(document("ListBucketResult", inner), media_type=XML)


def list_object_versions(ctx: S3Context, req: dict[str, Any]) -> RestResponse:
    bucket = ctx.bucket(req["bucket"])
    query = req["query"]
    prefix, delimiter = query.get("prefix", ""), query.get("delimiter", "")
    max_keys, encode = _max_keys(query), _encoder(query)
    key_marker = query.get("key-marker", "")
    version_marker = query.get("version-id-marker")
    after_id: int | None = None
    if version_marker and key_marker:
        marked = ctx.db.get(bucket.name, key_marker, version_marker)
        after_id = marked.id if marked else None
    entries: list[str] = []
    prefixes: list[str] = []
    truncated = False
    last: tuple[str, str | None] = ("", None)
    after_key = key_marker
    done = False
    while not done:
        batch = ctx.db.versions_after(bucket.name, prefix, after_key, after_id, _BATCH)
        if not batch:
            break
        for version in batch:
            rest = version.key[len(prefix) :]
            if delimiter and delimiter in rest:
                common = prefix + rest[: rest.index(delimiter) + len(delimiter)]
                if len(entries) + len(prefixes) == max_keys:
                    truncated, done = True, True
                    break
                prefixes.append(common)
                last = (common, None)
                after_key, after_id = common + _AFTER_ALL, None
                break
            if len(entries) + len(prefixes) == max_keys:
                truncated, done = True, True
                break
            entries.append(_version_entry(version, encode))
            last = (version.key, version.version_id)
            after_key, after_id = version.key, version.id
        else:
            done = len(batch) < _BATCH
    inner = (
        el("Name", bucket.name)
        + el("Prefix", encode(prefix))
        + el("KeyMarker", encode(key_marker))
        + el("VersionIdMarker", version_marker or "")
        + el("MaxKeys", max_keys)
    )
    if delimiter:
        inner += el("Delimiter", encode(delimiter))
    if "encoding-type" in query:
        inner += el("EncodingType", "url")
    inner += el("IsTruncated", truncated)
    if truncated:
        inner += el("NextKeyMarker", encode(last[0]))
        if last[1] is not None:
            inner += el("NextVersionIdMarker", last[1])
    inner += "".join(entries)
    inner += "".join(
        f"<CommonPrefixes>{el('Prefix', encode(p))}</CommonPrefixes>" for p in prefixes
    )
    return RestResponse(document("ListVersionsResult", inner), media_type=XML)


def _version_entry(version: ObjectVersion, encode: Callable[[str], str]) -> str:
    inner = (
        el("Key", encode(version.key))
        + el("VersionId", version.version_id)
        + el("IsLatest", version.latest)
        + el("LastModified", timestamp(version.modified))
    )
    if version.delete_marker:
        return f"<DeleteMarker>{inner}{_owner()}</DeleteMarker>"
    inner += (
        el("ETag", version.etag)
        + el("Size", version.size)
        + el("StorageClass", version.headers.get("x-amz-storage-class", "STANDARD"))
        + _owner()
    )
    return f"<Version>{inner}</Version>"
