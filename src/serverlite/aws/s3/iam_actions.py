"""Each S3 operation's IAM action and resource.

From the Service Authorization Reference ("Amazon S3"): object operations act on
``arn:aws:s3:::<bucket>/<key>``, bucket operations on ``arn:aws:s3:::<bucket>``, and
several operations are authorized by another action's name: HeadObject is
s3:GetObject, the multipart upload steps s3:PutObject, ListObjects(V2) and HeadBucket
s3:ListBucket, ListBuckets s3:ListAllMyBuckets, the CORS and lifecycle configurations
s3:Get/PutBucketCORS and s3:Get/PutLifecycleConfiguration (their Delete too). A copy
also reads its source (s3:GetObject); a versionId asks for the *Version actions.
DeleteObjects asks for s3:DeleteObject on the bucket's objects (its keys are in the
body, which is not read before the call).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import unquote

from serverlite.iam.request import IamRequest

ACTIONS: Mapping[str, str] = {
    "HeadObject": "GetObject",
    "CreateMultipartUpload": "PutObject",
    "UploadPart": "PutObject",
    "UploadPartCopy": "PutObject",
    "CompleteMultipartUpload": "PutObject",
    "CopyObject": "PutObject",
    "ListParts": "ListMultipartUploadParts",
    "ListObjects": "ListBucket",
    "ListObjectsV2": "ListBucket",
    "HeadBucket": "ListBucket",
    "ListObjectVersions": "ListBucketVersions",
    "ListMultipartUploads": "ListBucketMultipartUploads",
    "ListBuckets": "ListAllMyBuckets",
    "DeleteObjects": "DeleteObject",
    "PutBucketCors": "PutBucketCORS",
    "GetBucketCors": "GetBucketCORS",
    "DeleteBucketCors": "PutBucketCORS",
    "PutBucketLifecycleConfiguration": "PutLifecycleConfiguration",
    "GetBucketLifecycleConfiguration": "GetLifecycleConfiguration",
    "DeleteBucketLifecycle": "PutLifecycleConfiguration",
    "PutBucketNotificationConfiguration": "PutBucketNotification",
    "GetBucketNotificationConfiguration": "GetBucketNotification",
    "DeleteBucketTagging": "PutBucketTagging",
}
VERSIONED = frozenset({"GetObject", "DeleteObject", "GetObjectTagging", "PutObjectTagging"})


def iam_map() -> Callable[[str, dict[str, Any]], Sequence[IamRequest]]:
    def requests(operation: str, request: dict[str, Any]) -> Sequence[IamRequest]:
        name = ACTIONS.get(operation, operation)
        bucket, key = request.get("bucket"), request.get("key")
        query = request.get("query") or {}
        if name in VERSIONED and query.get("versionId"):
            name += "Version"
        action = f"s3:{name}"
        if not bucket:
            return (IamRequest(action),)
        if operation == "DeleteObjects":
            return (IamRequest(action, f"arn:aws:s3:::{bucket}/*"),)
        if key is None:
            return (IamRequest(action, f"arn:aws:s3:::{bucket}"),)
        out = [IamRequest(action, f"arn:aws:s3:::{bucket}/{key}")]
        source = (request.get("headers") or {}).get("x-amz-copy-source")
        if source:  # "/bucket/key" or "bucket/key", URL-encoded, maybe ?versionId=
            path = unquote(str(source).split("?", 1)[0]).lstrip("/")
            out.append(IamRequest("s3:GetObject", f"arn:aws:s3:::{path}"))
        return tuple(out)

    return requests
