"""S3 called in-process by the other services (Step Functions' ``ItemReader`` and its
``s3:getObject`` / ``s3:putObject`` tasks): GetObject, PutObject and ListObjectsV2 with
boto3's request and response shapes, run by the wire operations themselves.

Each builds the rest-xml request the endpoint would (bucket, key, query, headers, body),
calls the operation in ``ops_objects`` / ``ops_listing``, and reads its answer back into
the fields botocore would parse: the checks, versioning, notifications and errors are
the wire's (``NoSuchBucket``, ``NoSuchKey``). Bodies are bytes: what another service
reads fits in memory (Step Functions caps an ItemReader object at 10 GB, far above
what a local test holds).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any
from xml.etree import ElementTree

from serverlite.aws.backend import AwsError, Operation, RestResponse

from . import ops_listing, ops_objects
from .context import S3Context
from .xml import parse

# boto3's PutObject parameters -> the headers the wire operation reads
_PUT_HEADERS = {
    "ContentType": "content-type",
    "ContentEncoding": "content-encoding",
    "ContentDisposition": "content-disposition",
    "ContentLanguage": "content-language",
    "CacheControl": "cache-control",
    "StorageClass": "x-amz-storage-class",
    "Tagging": "x-amz-tagging",
    "IfMatch": "if-match",
    "IfNoneMatch": "if-none-match",
}
# response headers -> boto3's GetObject / PutObject fields
_RESPONSE_FIELDS = {
    "ETag": "ETag",
    "Content-Type": "ContentType",
    "Content-Encoding": "ContentEncoding",
    "Content-Disposition": "ContentDisposition",
    "Content-Language": "ContentLanguage",
    "Cache-Control": "CacheControl",
    "Content-Length": "ContentLength",
    "Last-Modified": "LastModified",
    "x-amz-version-id": "VersionId",
    "x-amz-server-side-encryption": "ServerSideEncryption",
    "x-amz-storage-class": "StorageClass",
}
# ListObjectsV2 parameters -> its query
_LIST_QUERY = {
    "Prefix": "prefix",
    "Delimiter": "delimiter",
    "MaxKeys": "max-keys",
    "ContinuationToken": "continuation-token",
    "StartAfter": "start-after",
}


class _Body:
    """A request body that is already whole (the ``RequestBody`` of the wire)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.trailers: Mapping[str, str] = {}

    async def chunks(self) -> AsyncIterator[bytes]:
        if self.data:
            yield self.data

    async def read(self) -> bytes:
        return self.data


def _request(
    params: dict[str, Any], query: dict[str, str], headers: dict[str, str]
) -> dict[str, Any]:
    bucket, key = params.get("Bucket"), params.get("Key")
    if not isinstance(bucket, str) or not bucket:
        raise AwsError("InvalidRequest", "Missing required parameter: Bucket", 400)
    return {"bucket": bucket, "key": key, "query": query, "headers": headers, "body": _Body(b"")}


def _fields(response: RestResponse) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for header, value in response.headers.items():
        name = _RESPONSE_FIELDS.get(header)
        if name == "ContentLength":
            out[name] = int(value)
        elif name is not None:
            out[name] = value
    metadata = {
        k[len("x-amz-meta-") :]: v
        for k, v in response.headers.items()
        if k.startswith("x-amz-meta-")
    }
    if metadata:
        out["Metadata"] = metadata
    return out


async def get_object(ctx: S3Context, params: dict[str, Any]) -> dict[str, Any]:
    """The object's bytes (``Body``) and what HeadObject tells of it."""
    query = {"versionId": str(params["VersionId"])} if params.get("VersionId") else {}
    req = _request(params, query, {})
    if not isinstance(req["key"], str) or not req["key"]:
        raise AwsError("InvalidRequest", "Missing required parameter: Key", 400)
    response = ops_objects.get_object(ctx, req)
    body = b"".join([chunk async for chunk in response.stream]) if response.stream else b""
    return {**_fields(response), "Body": body}


async def put_object(ctx: S3Context, params: dict[str, Any]) -> dict[str, Any]:
    """Write ``Body`` (bytes, or text as UTF-8) as the wire's PutObject does."""
    headers = {header: str(params[name]) for name, header in _PUT_HEADERS.items() if name in params}
    for name, value in (params.get("Metadata") or {}).items():
        headers[f"x-amz-meta-{str(name).lower()}"] = str(value)
    body = params.get("Body", b"")
    data = body if isinstance(body, bytes) else str(body).encode()
    req = _request(params, {}, headers)
    req["body"] = _Body(data)
    return _fields(await ops_objects.put_object(ctx, req))


def list_objects_v2(ctx: S3Context, params: dict[str, Any]) -> dict[str, Any]:
    """One page of keys, shaped as botocore parses ListObjectsV2."""
    query = {q: str(params[name]) for name, q in _LIST_QUERY.items() if name in params}
    response = ops_listing.list_objects_v2(ctx, _request(params, query, {}))
    root = parse(response.body)
    out: dict[str, Any] = {
        "Name": _text(root, "Name"),
        "Prefix": _text(root, "Prefix"),
        "KeyCount": int(_text(root, "KeyCount") or 0),
        "MaxKeys": int(_text(root, "MaxKeys") or 0),
        "IsTruncated": _text(root, "IsTruncated") == "true",
        "Contents": [
            {
                "Key": _text(item, "Key"),
                "LastModified": _text(item, "LastModified"),
                "ETag": _text(item, "ETag"),
                "Size": int(_text(item, "Size") or 0),
                "StorageClass": _text(item, "StorageClass"),
            }
            for item in root.findall("Contents")
        ],
        "CommonPrefixes": [
            {"Prefix": _text(item, "Prefix")} for item in root.findall("CommonPrefixes")
        ],
    }
    for name in ("NextContinuationToken", "ContinuationToken", "Delimiter", "StartAfter"):
        value = _text(root, name)
        if value is not None:
            out[name] = value
    return out


def _text(node: ElementTree.Element, name: str) -> str | None:
    found = node.find(name)
    return None if found is None else (found.text or "")


OPERATIONS: dict[str, Operation] = {
    "GetObject": get_object,
    "PutObject": put_object,
    "ListObjectsV2": list_objects_v2,
}
