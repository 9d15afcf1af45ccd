"""S3's pieces without I/O: aws-chunked framing, ranges and conditions, routing, names,
checksums, lifecycle days and notification filters."""

from __future__ import annotations

import asyncio
import base64
import calendar
import hashlib
from collections.abc import AsyncIterator

import pytest

from serverlite.aws.backend import AwsError
from serverlite.aws.dispatch.aws_chunked import StreamedBody
from serverlite.aws.dispatch.rest_xml import address
from serverlite.aws.s3 import checksums, conditions, lifecycle, names, notification_config
from serverlite.aws.s3.records import ObjectVersion
from serverlite.aws.s3.routing import route

CHUNKED = {"x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER"}


async def _pieces(data: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def _read(raw: bytes, headers: dict[str, str], piece: int = 7, limit: int = 10**6) -> StreamedBody:
    return StreamedBody(_pieces(raw, piece), headers, limit, 1000)


def _collect(body: StreamedBody) -> bytes:
    async def go() -> bytes:
        return b"".join([chunk async for chunk in body.chunks()])

    return asyncio.run(go())


def test_aws_chunked_frames_are_taken_off_whatever_the_read_sizes() -> None:
    raw = b"5;chunk-signature=abc\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:AAAA\r\n\r\n"
    for piece in (1, 3, 7, len(raw)):
        body = _read(raw, {**CHUNKED, "x-amz-decoded-content-length": "11"}, piece)
        assert _collect(body) == b"hello world"
        assert body.trailers == {"x-amz-checksum-crc32": "AAAA"}
        assert body.complete


def test_malformed_or_short_aws_chunked_bodies_are_incomplete() -> None:
    for raw in (b"zz\r\nhello\r\n0\r\n\r\n", b"5\r\nhel", b"5\r\nhelloXX\r\n0\r\n\r\n"):
        with pytest.raises(AwsError) as exc:
            _collect(_read(raw, CHUNKED))
        assert exc.value.code == "IncompleteBody"


def test_a_body_over_the_limit_is_entity_too_large_while_read() -> None:
    with pytest.raises(AwsError) as exc:
        _collect(_read(b"x" * 100, {}, limit=50))
    assert exc.value.code == "EntityTooLarge"
    with pytest.raises(AwsError) as exc:  # a declared length is refused before reading
        _collect(_read(b"", {"content-length": "51"}, limit=50))
    assert exc.value.code == "EntityTooLarge"


def test_ranges_as_s3_reads_them() -> None:
    assert conditions.byte_range("bytes=0-0", 10) == (0, 0)
    assert conditions.byte_range("bytes=-4", 10) == (6, 9)
    assert conditions.byte_range("bytes=-40", 10) == (0, 9)
    assert conditions.byte_range("bytes=5-", 10) == (5, 9)
    assert conditions.byte_range("bytes=0-1,4-5", 10) is None  # several: the whole object
    assert conditions.byte_range("bytes=5-2", 10) is None
    assert conditions.byte_range("items=0-1", 10) is None
    with pytest.raises(AwsError) as exc:
        conditions.byte_range("bytes=10-", 10)
    assert (exc.value.code, exc.value.status) == ("InvalidRange", 416)
    assert exc.value.headers["Content-Range"] == "bytes */10"
    with pytest.raises(AwsError) as exc:  # an empty object has no last bytes to give
        conditions.byte_range("bytes=-2", 0)
    assert (exc.value.code, exc.value.status) == ("InvalidRange", 416)


def _version(etag: str = '"abc"', modified: float = 1_000_000.0) -> ObjectVersion:
    return ObjectVersion("b", "k", "null", False, "blob", 1, etag, modified, {})


def test_read_conditions_follow_rfc_7232_precedence() -> None:
    version = _version()
    later = "Mon, 12 Jan 1970 14:00:00 GMT"  # 1,000,000 s is 13:46:40 that day
    earlier = "Mon, 12 Jan 1970 13:00:00 GMT"
    conditions.check_read(version, {"if-match": '"abc"', "if-unmodified-since": earlier})
    with pytest.raises(AwsError):
        conditions.check_read(version, {"if-unmodified-since": earlier})
    conditions.check_read(version, {"if-none-match": '"zzz"', "if-modified-since": later})
    with pytest.raises(conditions.NotModified):
        conditions.check_read(version, {"if-modified-since": later})
    with pytest.raises(conditions.NotModified):
        conditions.check_read(version, {"if-none-match": 'W/"abc", "x"'})
    with pytest.raises(AwsError) as exc:  # a copy's source condition is 412, never 304
        conditions.check_read(
            version, {"x-amz-copy-source-if-none-match": '"abc"'}, prefix="x-amz-copy-source-"
        )
    assert exc.value.status == 412


def test_write_conditions() -> None:
    conditions.check_write(None, {"if-none-match": "*"}, "k")
    with pytest.raises(AwsError) as exc:
        conditions.check_write(_version(), {"if-none-match": "*"}, "k")
    assert exc.value.status == 412
    with pytest.raises(AwsError) as exc:
        conditions.check_write(None, {"if-match": '"abc"'}, "k")
    assert exc.value.code == "NoSuchKey"


def test_routing_by_method_key_and_subresource() -> None:
    assert route("GET", "", None, {}, {}) == "ListBuckets"
    assert route("GET", "b", None, {"list-type": "2"}, {}) == "ListObjectsV2"
    assert route("GET", "b", None, {}, {}) == "ListObjects"
    assert route("PUT", "b", None, {"versioning": ""}, {}) == "PutBucketVersioning"
    assert route("DELETE", "b", None, {"lifecycle": ""}, {}) == "DeleteBucketLifecycle"
    assert route("POST", "b", None, {"delete": ""}, {}) == "DeleteObjects"
    assert route("PUT", "b", "k", {}, {"x-amz-copy-source": "b/x"}) == "CopyObject"
    assert route("PUT", "b", "k", {"uploadId": "u", "partNumber": "1"}, {}) == "UploadPart"
    assert route("POST", "b", "k", {"uploads": ""}, {}) == "CreateMultipartUpload"
    assert route("DELETE", "b", "k", {"uploadId": "u"}, {}) == "AbortMultipartUpload"
    with pytest.raises(AwsError) as exc:
        route("GET", "b", None, {"website": ""}, {})
    assert (exc.value.code, exc.value.status) == ("NotImplemented", 501)


def _scope(host: str, path: str) -> dict[str, object]:
    return {
        "type": "http",
        "headers": [(b"host", host.encode())],
        "path": path,
        "raw_path": path.encode(),
    }


def test_path_and_virtual_hosted_addressing() -> None:
    assert address(_scope("127.0.0.1:4566", "/photos/a/b%20c.jpg")) == ("photos", "a/b c.jpg")
    assert address(_scope("127.0.0.1", "/photos")) == ("photos", None)
    assert address(_scope("127.0.0.1", "/")) == ("", None)
    assert address(_scope("photos.localhost:4566", "/a//b")) == ("photos", "a//b")
    assert address(_scope("my.photos.s3.localhost", "/")) == ("my.photos", None)
    assert address(_scope("photos.s3.eu-west-1.localhost", "/k")) == ("photos", "k")
    assert address(_scope("s3.localhost", "/photos/k")) == ("photos", "k")


def test_bucket_names() -> None:
    names.check_bucket_name("my-bucket.2026")
    for bad in ("ab", "-ab", "ab-", "a_b", "10.0.0.1", "a.-b", "sthree-x", "x--x-s3"):
        with pytest.raises(AwsError):
            names.check_bucket_name(bad)


def test_multipart_etag_and_composite_checksum() -> None:
    parts = [b"a" * 10, b"b" * 3]
    md5s = [hashlib.md5(p).digest() for p in parts]
    assert checksums.multipart_etag(md5s) == f'"{hashlib.md5(b"".join(md5s)).hexdigest()}-2"'
    crcs = []
    for part in parts:
        h = checksums.hasher("CRC32")
        h.update(part)
        crcs.append(checksums.encode(h.digest()))
    combined = checksums.hasher("CRC32")
    combined.update(b"".join(base64.b64decode(c) for c in crcs))
    assert checksums.composite("CRC32", crcs) == f"{checksums.encode(combined.digest())}-2"
    c = checksums.hasher("CRC32C")
    c.update(b"123456789")
    assert c.digest().hex() == "e3069283"  # the CRC-32C check value


def test_lifecycle_days_round_up_to_midnight_utc() -> None:
    created = calendar.timegm((2026, 1, 15, 10, 30, 0))
    assert lifecycle.after_days(created, 1) == calendar.timegm((2026, 1, 17, 0, 0, 0))


def test_notification_filters_match_event_families_prefix_and_suffix() -> None:
    target = {"events": ["s3:ObjectCreated:*"], "prefix": "images/", "suffix": ".png"}
    assert notification_config.matches(target, "ObjectCreated:Put", "images/a.png")
    assert notification_config.matches(target, "ObjectCreated:Copy", "images/a.png")
    assert not notification_config.matches(target, "ObjectRemoved:Delete", "images/a.png")
    assert not notification_config.matches(target, "ObjectCreated:Put", "images/a.jpg")
    only_put = {"events": ["s3:ObjectCreated:Put"], "prefix": "", "suffix": ""}
    assert not notification_config.matches(only_put, "ObjectCreated:Copy", "x")
