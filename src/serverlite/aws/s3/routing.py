"""Which S3 operation a request is: its method, whether it names a bucket and a key,
and its subresource (``?versioning``, ``?uploads``, ``?tagging``, ...), as S3's REST
API tells them apart. A subresource serverlite does not emulate is S3's
``NotImplemented`` (501), naming it, rather than a wrong answer from another
operation.
"""

from __future__ import annotations

from collections.abc import Mapping

from serverlite.aws.backend import AwsError

BUCKET_CONFIG = {  # subresource -> the configuration it reads, writes or deletes
    "versioning": "BucketVersioning",
    "cors": "BucketCors",
    "tagging": "BucketTagging",
    "lifecycle": "BucketLifecycleConfiguration",
    "notification": "BucketNotificationConfiguration",
}
READ_ONLY = {  # subresource -> (bucket operation, object operation): GET only
    "acl": ("GetBucketAcl", "GetObjectAcl"),
    "encryption": ("GetBucketEncryption", None),
    "policy": ("GetBucketPolicy", None),
}
UNSUPPORTED = (
    "policyStatus",
    "ownershipControls",
    "publicAccessBlock",
    "website",
    "logging",
    "accelerate",
    "requestPayment",
    "replication",
    "object-lock",
    "retention",
    "legal-hold",
    "restore",
    "select",
    "attributes",
    "analytics",
    "inventory",
    "metrics",
    "intelligent-tiering",
    "torrent",
    "renameObject",
)


def route(
    method: str,
    bucket: str,
    key: str | None,
    query: Mapping[str, str],
    headers: Mapping[str, str],
) -> str:
    for name, (on_bucket, on_object) in READ_ONLY.items():
        if name in query and bucket:
            found = on_bucket if key is None else on_object
            if method == "GET" and found is not None:
                return found
            raise AwsError(
                "NotImplemented",
                f"serverlite's S3 answers GET ?{name} (AWS's defaults) and nothing else",
                501,
            )
    for name in UNSUPPORTED:
        if name in query:
            raise AwsError(
                "NotImplemented",
                f"serverlite's S3 does not implement the ?{name} subresource",
                501,
            )
    if not bucket:
        if method == "GET":
            return "ListBuckets"
        raise _not_allowed(method)
    if key is None:
        return _bucket_operation(method, query)
    return _object_operation(method, query, headers)


def _bucket_operation(method: str, query: Mapping[str, str]) -> str:
    for sub, name in BUCKET_CONFIG.items():
        if sub in query:
            verb = {"GET": "Get", "PUT": "Put", "DELETE": "Delete"}.get(method)
            if verb is None:
                raise _not_allowed(method)
            if name == "BucketLifecycleConfiguration" and verb == "Delete":
                return "DeleteBucketLifecycle"
            return f"{verb}{name}"
    if method == "GET":
        if "location" in query:
            return "GetBucketLocation"
        if "uploads" in query:
            return "ListMultipartUploads"
        if "versions" in query:
            return "ListObjectVersions"
        return "ListObjectsV2" if query.get("list-type") == "2" else "ListObjects"
    simple = {"PUT": "CreateBucket", "HEAD": "HeadBucket", "DELETE": "DeleteBucket"}
    if method in simple:
        return simple[method]
    if method == "POST" and "delete" in query:
        return "DeleteObjects"
    raise _not_allowed(method)


def _object_operation(method: str, query: Mapping[str, str], headers: Mapping[str, str]) -> str:
    if "tagging" in query:
        verb = {"GET": "Get", "PUT": "Put", "DELETE": "Delete"}.get(method)
        if verb is None:
            raise _not_allowed(method)
        return f"{verb}ObjectTagging"
    if method == "GET":
        return "ListParts" if "uploadId" in query else "GetObject"
    if method == "HEAD":
        return "HeadObject"
    if method == "PUT":
        copy = "x-amz-copy-source" in headers
        if "uploadId" in query and "partNumber" in query:
            return "UploadPartCopy" if copy else "UploadPart"
        return "CopyObject" if copy else "PutObject"
    if method == "DELETE":
        return "AbortMultipartUpload" if "uploadId" in query else "DeleteObject"
    if method == "POST":
        if "uploads" in query:
            return "CreateMultipartUpload"
        if "uploadId" in query:
            return "CompleteMultipartUpload"
    raise _not_allowed(method)


def _not_allowed(method: str) -> AwsError:
    return AwsError(
        "MethodNotAllowed", "The specified method is not allowed against this resource.", 405
    )
