"""S3 buckets and objects over the wire with boto3: what AWS answers, status by status."""

from __future__ import annotations

import base64
import hashlib
import http.client
import io
import itertools
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from .conftest import Endpoint, client

pytestmark = pytest.mark.integration
_names = itertools.count()
AUTH = (  # a SigV4 header for hand-made requests (signatures are not verified)
    "AWS4-HMAC-SHA256 Credential=x/20260101/us-east-1/s3/aws4_request, "
    "SignedHeaders=host, Signature=0"
)


@pytest.fixture
def bucket(s3: Any) -> str:
    name = f"bucket-{next(_names)}"
    s3.create_bucket(Bucket=name)
    return name


def error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    response = exc.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_buckets_are_created_listed_located_and_deleted(s3: Any) -> None:
    s3.create_bucket(Bucket="lifecycle-of-a-bucket")
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert "lifecycle-of-a-bucket" in names
    assert s3.head_bucket(Bucket="lifecycle-of-a-bucket")["BucketRegion"] == "us-east-1"
    assert s3.get_bucket_location(Bucket="lifecycle-of-a-bucket")["LocationConstraint"] is None
    s3.put_object(Bucket="lifecycle-of-a-bucket", Key="k", Body=b"x")
    with pytest.raises(ClientError) as exc:
        s3.delete_bucket(Bucket="lifecycle-of-a-bucket")
    assert error(exc) == ("BucketNotEmpty", 409)
    s3.delete_object(Bucket="lifecycle-of-a-bucket", Key="k")
    s3.delete_bucket(Bucket="lifecycle-of-a-bucket")
    with pytest.raises(ClientError) as exc:
        s3.head_bucket(Bucket="lifecycle-of-a-bucket")
    assert error(exc) == ("404", 404)
    with pytest.raises(ClientError) as exc:
        s3.list_objects_v2(Bucket="lifecycle-of-a-bucket")
    assert error(exc) == ("NoSuchBucket", 404)
    assert exc.value.response["Error"]["BucketName"] == "lifecycle-of-a-bucket"


def test_list_buckets_in_pages(s3: Any) -> None:
    for name in ("paged-a", "paged-b", "paged-c"):
        s3.create_bucket(Bucket=name)
    pages = list(
        s3.get_paginator("list_buckets").paginate(Prefix="paged-", PaginationConfig={"PageSize": 2})
    )
    assert [[b["Name"] for b in page["Buckets"]] for page in pages] == [
        ["paged-a", "paged-b"],
        ["paged-c"],
    ]
    assert pages[0]["ContinuationToken"] and "ContinuationToken" not in pages[1]


def test_what_every_bucket_has_on_aws_reads_as_aws_answers(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    for acl in (s3.get_bucket_acl(Bucket=bucket), s3.get_object_acl(Bucket=bucket, Key="k")):
        assert [g["Permission"] for g in acl["Grants"]] == ["FULL_CONTROL"]
        assert acl["Grants"][0]["Grantee"]["ID"] == acl["Owner"]["ID"]
    rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_policy(Bucket=bucket)
    assert error(exc) == ("NoSuchBucketPolicy", 404)
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_policy(Bucket=bucket, Policy="{}")
    assert error(exc) == ("NotImplemented", 501)


def test_bucket_names_follow_s3_rules(s3: Any) -> None:
    for bad in ("ab", "Upper", "192.168.1.1", "a..b", "xn--bucket", "ends-"):
        with pytest.raises(ClientError) as exc:
            s3.create_bucket(Bucket=bad)
        assert error(exc) == ("InvalidBucketName", 400), bad


def test_an_object_keeps_its_metadata_and_content_headers(s3: Any, bucket: str) -> None:
    put = s3.put_object(
        Bucket=bucket,
        Key="docs/report.txt",
        Body=b"hello world",
        ContentType="text/plain",
        ContentEncoding="identity",
        ContentDisposition='attachment; filename="r.txt"',
        CacheControl="max-age=60",
        Metadata={"Owner": "ana", "case": "7"},
    )
    assert put["ETag"] == f'"{hashlib.md5(b"hello world").hexdigest()}"'
    got = s3.get_object(Bucket=bucket, Key="docs/report.txt")
    assert got["Body"].read() == b"hello world"
    assert got["ContentType"] == "text/plain"  # as stored: no charset added
    assert got["ContentEncoding"] == "identity"
    assert got["ContentDisposition"] == 'attachment; filename="r.txt"'
    assert got["CacheControl"] == "max-age=60"
    assert got["Metadata"] == {"owner": "ana", "case": "7"}  # S3 lowercases the names
    assert got["ContentLength"] == 11
    assert got["ServerSideEncryption"] == "AES256"
    head = s3.head_object(Bucket=bucket, Key="docs/report.txt")
    assert head["ETag"] == put["ETag"] and head["ContentLength"] == 11
    plain = s3.put_object(Bucket=bucket, Key="plain", Body=b"")
    assert plain["ETag"] == '"d41d8cd98f00b204e9800998ecf8427e"'
    assert s3.head_object(Bucket=bucket, Key="plain")["ContentType"] == "binary/octet-stream"


def test_missing_keys_are_no_such_key(s3: Any, bucket: str) -> None:
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="nope/x.txt")
    assert error(exc) == ("NoSuchKey", 404)
    assert exc.value.response["Error"]["Key"] == "nope/x.txt"
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket=bucket, Key="nope")
    assert error(exc) == ("404", 404)  # HEAD has no body: botocore names the status


def test_checksums_are_verified_stored_and_returned(s3: Any, bucket: str) -> None:
    body = b"checksummed bytes"
    crc32 = base64.b64encode(zlib.crc32(body).to_bytes(4, "big")).decode()
    sha256 = base64.b64encode(hashlib.sha256(body).digest()).decode()
    put = s3.put_object(Bucket=bucket, Key="c", Body=body, ChecksumAlgorithm="SHA256")
    assert put["ChecksumSHA256"] == sha256
    got = s3.get_object(Bucket=bucket, Key="c", ChecksumMode="ENABLED")
    assert got["ChecksumSHA256"] == sha256
    assert got["Body"].read() == body
    put = s3.put_object(Bucket=bucket, Key="d", Body=body)  # botocore's default: CRC32
    assert put["ChecksumCRC32"] == crc32
    check_value = base64.b64encode(bytes.fromhex("e3069283")).decode()  # CRC32C of 1..9
    crc32c = s3.put_object(Bucket=bucket, Key="e", Body=b"123456789", ChecksumCRC32C=check_value)
    assert crc32c["ChecksumCRC32C"] == check_value
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="e", Body=b"12345678", ChecksumCRC32C=check_value)
    assert error(exc) == ("BadDigest", 400)
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="bad", Body=body, ChecksumCRC32="AAAAAA==")
    assert error(exc) == ("BadDigest", 400)
    with pytest.raises(ClientError) as exc:
        s3.put_object(
            Bucket=bucket,
            Key="bad",
            Body=body,
            ContentMD5=base64.b64encode(hashlib.md5(b"other").digest()).decode(),
        )
    assert error(exc) == ("BadDigest", 400)
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="bad")  # nothing was stored


def test_ranged_gets(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="r", Body=b"0123456789")
    part = s3.get_object(Bucket=bucket, Key="r", Range="bytes=2-5")
    assert part["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert part["ContentRange"] == "bytes 2-5/10"
    assert part["Body"].read() == b"2345"
    assert s3.get_object(Bucket=bucket, Key="r", Range="bytes=-3")["Body"].read() == b"789"
    assert s3.get_object(Bucket=bucket, Key="r", Range="bytes=7-")["Body"].read() == b"789"
    assert s3.get_object(Bucket=bucket, Key="r", Range="bytes=8-100")["Body"].read() == b"89"
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="r", Range="bytes=10-20")
    assert error(exc) == ("InvalidRange", 416)
    assert exc.value.response["Error"]["ActualObjectSize"] == "10"


def test_conditional_reads_and_writes(s3: Any, bucket: str) -> None:
    etag = s3.put_object(Bucket=bucket, Key="k", Body=b"v1")["ETag"]
    assert s3.get_object(Bucket=bucket, Key="k", IfMatch=etag)["Body"].read() == b"v1"
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="k", IfMatch='"0000"')
    assert error(exc) == ("PreconditionFailed", 412)
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="k", IfNoneMatch=etag)
    assert error(exc) == ("304", 304)
    later = datetime.now(UTC) + timedelta(hours=1)
    earlier = datetime.now(UTC) - timedelta(hours=1)
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="k", IfModifiedSince=later)
    assert error(exc) == ("304", 304)
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="k", IfUnmodifiedSince=earlier)
    assert error(exc) == ("PreconditionFailed", 412)
    assert s3.get_object(Bucket=bucket, Key="k", IfModifiedSince=earlier)["Body"].read() == b"v1"
    with pytest.raises(ClientError) as exc:  # create-only PUT of an existing key
        s3.put_object(Bucket=bucket, Key="k", Body=b"v2", IfNoneMatch="*")
    assert error(exc) == ("PreconditionFailed", 412)
    s3.put_object(Bucket=bucket, Key="fresh", Body=b"new", IfNoneMatch="*")
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="k", Body=b"v2", IfMatch='"0000"')
    assert error(exc) == ("PreconditionFailed", 412)
    s3.put_object(Bucket=bucket, Key="k", Body=b"v2", IfMatch=etag)
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v2"


def test_copy_keeps_or_replaces_metadata(s3: Any, bucket: str) -> None:
    s3.put_object(
        Bucket=bucket, Key="src", Body=b"data", ContentType="text/csv", Metadata={"a": "1"}
    )
    copied = s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"})
    assert copied["CopyObjectResult"]["ETag"] == f'"{hashlib.md5(b"data").hexdigest()}"'
    head = s3.head_object(Bucket=bucket, Key="dst")
    assert head["Metadata"] == {"a": "1"} and head["ContentType"] == "text/csv"
    s3.copy_object(
        Bucket=bucket,
        Key="dst2",
        CopySource=f"{bucket}/src",
        MetadataDirective="REPLACE",
        Metadata={"b": "2"},
        ContentType="application/json",
    )
    head = s3.head_object(Bucket=bucket, Key="dst2")
    assert head["Metadata"] == {"b": "2"} and head["ContentType"] == "application/json"
    assert s3.get_object(Bucket=bucket, Key="dst2")["Body"].read() == b"data"
    s3.delete_object(Bucket=bucket, Key="src")  # the copy's bytes are its own
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == b"data"
    with pytest.raises(ClientError) as exc:
        s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "dst"})
    assert error(exc) == ("InvalidRequest", 400)
    with pytest.raises(ClientError) as exc:
        s3.copy_object(Bucket=bucket, Key="x", CopySource={"Bucket": bucket, "Key": "gone"})
    assert error(exc) == ("NoSuchKey", 404)


def test_list_objects_v2_prefixes_delimiters_and_pages(s3: Any, bucket: str) -> None:
    keys = ["a.txt", "photos/2025/1.jpg", "photos/2025/2.jpg", "photos/2026/1.jpg", "z/x", "é"]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    listed = s3.list_objects_v2(Bucket=bucket)
    assert [c["Key"] for c in listed["Contents"]] == sorted(keys, key=str.encode)
    assert listed["KeyCount"] == 6 and listed["IsTruncated"] is False
    top = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert [c["Key"] for c in top["Contents"]] == ["a.txt", "é"]
    assert [p["Prefix"] for p in top["CommonPrefixes"]] == ["photos/", "z/"]
    assert top["KeyCount"] == 4
    years = s3.list_objects_v2(Bucket=bucket, Prefix="photos/", Delimiter="/")
    assert [p["Prefix"] for p in years["CommonPrefixes"]] == ["photos/2025/", "photos/2026/"]
    assert "Contents" not in years
    pages = list(
        s3.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Delimiter="/", PaginationConfig={"PageSize": 1}
        )
    )
    assert len(pages) == 4
    assert [
        e
        for p in pages
        for e in [c["Key"] for c in p.get("Contents", [])]
        + [c["Prefix"] for c in p.get("CommonPrefixes", [])]
    ] == ["a.txt", "photos/", "z/", "é"]
    after = s3.list_objects_v2(Bucket=bucket, StartAfter="photos/2025/2.jpg")
    assert [c["Key"] for c in after["Contents"]] == ["photos/2026/1.jpg", "z/x", "é"]
    one = s3.list_objects_v2(Bucket=bucket, MaxKeys=1)
    assert one["IsTruncated"] is True and one["NextContinuationToken"]
    encoded = s3.list_objects_v2(Bucket=bucket, Prefix="é", EncodingType="url")
    assert encoded["Contents"][0]["Key"] == "%C3%A9"  # asked for: botocore leaves it encoded
    v1 = s3.list_objects(Bucket=bucket, Delimiter="/", MaxKeys=2)
    assert v1["IsTruncated"] is True and v1["NextMarker"] == "photos/"
    rest = s3.list_objects(Bucket=bucket, Delimiter="/", Marker=v1["NextMarker"])
    assert [p["Prefix"] for p in rest["CommonPrefixes"]] == ["z/"]


def test_delete_objects_in_one_request(s3: Any, bucket: str) -> None:
    for key in ("a", "b", "c"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    result = s3.delete_objects(
        Bucket=bucket, Delete={"Objects": [{"Key": "a"}, {"Key": "b"}, {"Key": "missing"}]}
    )
    assert sorted(d["Key"] for d in result["Deleted"]) == ["a", "b", "missing"]
    assert [c["Key"] for c in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["c"]


def test_multipart_upload(s3: Any, bucket: str) -> None:
    mib = 1024 * 1024
    parts_data = [b"a" * (5 * mib), b"b" * (5 * mib), b"tail"]
    upload = s3.create_multipart_upload(Bucket=bucket, Key="big", ContentType="video/mp4")
    upload_id = upload["UploadId"]
    parts = []
    for number, data in enumerate(parts_data, start=1):
        etag = s3.upload_part(
            Bucket=bucket, Key="big", UploadId=upload_id, PartNumber=number, Body=data
        )["ETag"]
        parts.append({"PartNumber": number, "ETag": etag})
    listed = s3.list_parts(Bucket=bucket, Key="big", UploadId=upload_id)
    assert [p["Size"] for p in listed["Parts"]] == [5 * mib, 5 * mib, 4]
    uploads = s3.list_multipart_uploads(Bucket=bucket)["Uploads"]
    assert [u["UploadId"] for u in uploads] == [upload_id]
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="big", UploadId=upload_id, MultipartUpload={"Parts": parts}
    )
    digests = b"".join(hashlib.md5(d).digest() for d in parts_data)
    assert done["ETag"] == f'"{hashlib.md5(digests).hexdigest()}-3"'
    got = s3.get_object(Bucket=bucket, Key="big")
    assert got["ContentType"] == "video/mp4" and got["ContentLength"] == 10 * mib + 4
    assert hashlib.md5(got["Body"].read()).digest() == hashlib.md5(b"".join(parts_data)).digest()
    assert "Uploads" not in s3.list_multipart_uploads(Bucket=bucket)
    with pytest.raises(ClientError) as exc:
        s3.list_parts(Bucket=bucket, Key="big", UploadId=upload_id)
    assert error(exc) == ("NoSuchUpload", 404)


def test_multipart_refuses_small_parts_bad_order_and_unknown_parts(s3: Any, bucket: str) -> None:
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key="k")["UploadId"]
    etags = [
        s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=n, Body=b"small")[
            "ETag"
        ]
        for n in (1, 2)
    ]

    def complete(parts: list[dict[str, Any]]) -> tuple[str, int]:
        with pytest.raises(ClientError) as exc:
            s3.complete_multipart_upload(
                Bucket=bucket, Key="k", UploadId=upload_id, MultipartUpload={"Parts": parts}
            )
        return error(exc)

    ok = [{"PartNumber": 1, "ETag": etags[0]}, {"PartNumber": 2, "ETag": etags[1]}]
    assert complete(ok) == ("EntityTooSmall", 400)
    assert complete(ok[::-1]) == ("InvalidPartOrder", 400)
    assert complete([{"PartNumber": 1, "ETag": '"ffff"'}]) == ("InvalidPart", 400)
    with pytest.raises(ClientError) as exc:
        s3.upload_part(Bucket=bucket, Key="k", UploadId=upload_id, PartNumber=0, Body=b"x")
    assert error(exc) == ("InvalidArgument", 400)
    s3.abort_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id)
    with pytest.raises(ClientError) as exc:
        s3.abort_multipart_upload(Bucket=bucket, Key="k", UploadId=upload_id)
    assert error(exc) == ("NoSuchUpload", 404)
    single = s3.create_multipart_upload(Bucket=bucket, Key="one")["UploadId"]
    etag = s3.upload_part(Bucket=bucket, Key="one", UploadId=single, PartNumber=1, Body=b"z")
    s3.complete_multipart_upload(  # a last (and only) part may be small
        Bucket=bucket,
        Key="one",
        UploadId=single,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag["ETag"]}]},
    )
    assert s3.get_object(Bucket=bucket, Key="one")["Body"].read() == b"z"


def test_transfer_manager_uploads_and_downloads_in_parts(s3: Any, bucket: str) -> None:
    from boto3.s3.transfer import TransferConfig

    data = bytes(range(256)) * (40 * 1024 + 3)  # ~10 MiB, not a multiple of the part size
    config = TransferConfig(
        multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024
    )
    s3.upload_fileobj(io.BytesIO(data), bucket, "transfer", Config=config)
    assert s3.head_object(Bucket=bucket, Key="transfer")["ETag"].endswith(
        '-3"'
    )  # 5 + 5 MiB + 768 bytes
    out = io.BytesIO()
    s3.download_fileobj(bucket, "transfer", out, Config=config)  # ranged GETs
    assert out.getvalue() == data


def test_versioning(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"before")  # the null version
    assert "Status" not in s3.get_bucket_versioning(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    v1 = s3.put_object(Bucket=bucket, Key="k", Body=b"one")["VersionId"]
    v2 = s3.put_object(Bucket=bucket, Key="k", Body=b"two")["VersionId"]
    assert v1 not in (v2, "null")
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"two"
    assert s3.get_object(Bucket=bucket, Key="k", VersionId=v1)["Body"].read() == b"one"
    assert s3.get_object(Bucket=bucket, Key="k", VersionId="null")["Body"].read() == b"before"
    deleted = s3.delete_object(Bucket=bucket, Key="k")
    assert deleted["DeleteMarker"] is True
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="k")
    assert error(exc) == ("NoSuchKey", 404)
    assert exc.value.response["ResponseMetadata"]["HTTPHeaders"]["x-amz-delete-marker"] == "true"
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)
    versions = s3.list_object_versions(Bucket=bucket)
    assert [v["VersionId"] for v in versions["Versions"]] == [v2, v1, "null"]
    assert [v["IsLatest"] for v in versions["Versions"]] == [False, False, False]
    assert [m["VersionId"] for m in versions["DeleteMarkers"]] == [deleted["VersionId"]]
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="k", VersionId=deleted["VersionId"])
    assert error(exc) == ("MethodNotAllowed", 405)
    s3.delete_object(Bucket=bucket, Key="k", VersionId=deleted["VersionId"])  # undelete
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"two"
    s3.delete_object(Bucket=bucket, Key="k", VersionId=v2)  # the previous one is back
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"one"
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="k", VersionId=v2)
    assert error(exc) == ("NoSuchVersion", 404)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    assert s3.put_object(Bucket=bucket, Key="k", Body=b"s")["VersionId"] == "null"
    kept = [v["VersionId"] for v in s3.list_object_versions(Bucket=bucket)["Versions"]]
    assert kept == ["null", v1]  # the suspended PUT replaced the null version


def test_object_and_bucket_tags(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", Tagging="team=red&tier=1")
    assert s3.get_object(Bucket=bucket, Key="k")["TagCount"] == 2
    tags = s3.get_object_tagging(Bucket=bucket, Key="k")["TagSet"]
    assert {t["Key"]: t["Value"] for t in tags} == {"team": "red", "tier": "1"}
    s3.put_object_tagging(Bucket=bucket, Key="k", Tagging={"TagSet": [{"Key": "a", "Value": "b"}]})
    assert s3.get_object_tagging(Bucket=bucket, Key="k")["TagSet"] == [{"Key": "a", "Value": "b"}]
    s3.delete_object_tagging(Bucket=bucket, Key="k")
    assert s3.get_object_tagging(Bucket=bucket, Key="k")["TagSet"] == []
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_tagging(Bucket=bucket)
    assert error(exc) == ("NoSuchTagSet", 404)
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "env", "Value": "dev"}]})
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == [{"Key": "env", "Value": "dev"}]
    s3.delete_bucket_tagging(Bucket=bucket)
    with pytest.raises(ClientError):
        s3.get_bucket_tagging(Bucket=bucket)


@pytest.mark.parametrize("signature", ["s3", "s3v4"])  # boto3's default for S3 is SigV2
def test_presigned_urls_work_and_expire(endpoint: Endpoint, bucket: str, signature: str) -> None:
    import urllib.request

    s3 = client(endpoint.url, signature_version=signature)
    lifetime = 60 + int(endpoint.clock.offset)  # the server's clock may be ahead: other tests
    put_url = s3.generate_presigned_url(
        "put_object", Params={"Bucket": bucket, "Key": "p"}, ExpiresIn=lifetime
    )
    assert ("X-Amz-Expires=" in put_url) == (signature == "s3v4")
    request = urllib.request.Request(put_url, data=b"via presigned", method="PUT")
    with urllib.request.urlopen(request) as answer:
        assert answer.status == 200
    get_url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "p"}, ExpiresIn=lifetime
    )
    with urllib.request.urlopen(get_url) as answer:
        assert answer.read() == b"via presigned"
    endpoint.clock.advance(61)
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(get_url)
    with exc.value:
        assert exc.value.code == 403
        body = exc.value.read().decode()
    assert "<Code>AccessDenied</Code>" in body and "Request has expired" in body


def test_virtual_hosted_style_addressing(s3: Any, endpoint: Endpoint, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="dir/file.txt", Body=b"by host")
    auth = AUTH
    for host in (
        f"{bucket}.localhost",
        f"{bucket}.s3.localhost",
        f"{bucket}.s3.us-east-1.localhost",
    ):
        conn = http.client.HTTPConnection("127.0.0.1", endpoint.port, timeout=10)
        conn.request(
            "GET",
            "/dir/file.txt",
            headers={"Host": f"{host}:{endpoint.port}", "Authorization": auth},
        )
        answer = conn.getresponse()
        assert (answer.status, answer.read()) == (200, b"by host"), host
        conn.close()
    conn = http.client.HTTPConnection("127.0.0.1", endpoint.port, timeout=10)
    conn.request(
        "GET", "/?list-type=2", headers={"Host": f"{bucket}.localhost", "Authorization": auth}
    )
    listing = conn.getresponse().read().decode()
    conn.close()
    assert f"<Name>{bucket}</Name>" in listing and "<Key>dir/file.txt</Key>" in listing


def test_aws_chunked_uploads_with_a_trailing_checksum(
    endpoint: Endpoint, s3: Any, bucket: str
) -> None:
    data = b"x" * 70_000 + b"end"
    crc = base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()
    frames = b""
    for start in range(0, len(data), 65536):
        chunk = data[start : start + 65536]
        frames += f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    body = frames + f"0\r\nx-amz-checksum-crc32:{crc}\r\n\r\n".encode()
    headers = {
        "Authorization": AUTH,
        "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        "Content-Encoding": "aws-chunked",
        "x-amz-trailer": "x-amz-checksum-crc32",
        "x-amz-decoded-content-length": str(len(data)),
        "Content-Length": str(len(body)),
    }
    conn = http.client.HTTPConnection("127.0.0.1", endpoint.port, timeout=10)
    conn.request("PUT", f"/{bucket}/chunked", body=body, headers=headers)
    answer = conn.getresponse()
    assert answer.status == 200, answer.read()
    assert answer.getheader("x-amz-checksum-crc32") == crc
    answer.read()
    got = s3.get_object(Bucket=bucket, Key="chunked")
    assert got["Body"].read() == data
    assert "ContentEncoding" not in got  # the framing is not the object's encoding
    bad = body.replace(crc.encode(), b"AAAAAA==")
    conn.request("PUT", f"/{bucket}/chunked-bad", body=bad, headers=headers)
    answer = conn.getresponse()
    assert answer.status == 400 and b"<Code>BadDigest</Code>" in answer.read()
    conn.close()


def test_lifecycle_expires_objects_on_the_clock(s3: Any, endpoint: Endpoint, bucket: str) -> None:
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket,
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": "tmp",
                    "Status": "Enabled",
                    "Filter": {"Prefix": "tmp/"},
                    "Expiration": {"Days": 1},
                }
            ]
        },
    )
    rule = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"][0]
    assert rule["Filter"] == {"Prefix": "tmp/"} and rule["Expiration"] == {"Days": 1}
    s3.put_object(Bucket=bucket, Key="tmp/scratch", Body=b"x")
    s3.put_object(Bucket=bucket, Key="keep/report", Body=b"x")
    endpoint.backend.clock_moved()
    assert len(s3.list_objects_v2(Bucket=bucket)["Contents"]) == 2  # not yet
    endpoint.clock.advance(days=2)  # a day, rounded up to the next midnight UTC
    endpoint.backend.clock_moved()
    assert [c["Key"] for c in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["keep/report"]
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_lifecycle_configuration(
            Bucket=bucket,
            LifecycleConfiguration={"Rules": [{"ID": "x", "Status": "Enabled", "Prefix": ""}]},
        )
    assert error(exc) == ("InvalidRequest", 400)  # a rule with no action


def test_cors_configuration_round_trips(s3: Any, bucket: str) -> None:
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_cors(Bucket=bucket)
    assert error(exc) == ("NoSuchCORSConfiguration", 404)
    rules = [
        {
            "AllowedOrigins": ["https://*.example.com"],
            "AllowedMethods": ["GET", "HEAD"],
            "AllowedHeaders": ["*"],
            "ExposeHeaders": ["ETag"],
            "MaxAgeSeconds": 300,
        }
    ]
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": rules})
    assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"] == rules
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_cors(
            Bucket=bucket,
            CORSConfiguration={
                "CORSRules": [{"AllowedOrigins": ["*"], "AllowedMethods": ["PATCH"]}]
            },
        )
    assert error(exc) == ("InvalidRequest", 400)
    s3.delete_bucket_cors(Bucket=bucket)
    with pytest.raises(ClientError):
        s3.get_bucket_cors(Bucket=bucket)
