"""S3: buckets and objects on the AWS endpoint (rest-xml), durable on disk.

names          bucket-name and key rules, ARNs and domain names
errors         S3's errors (NoSuchBucket, NoSuchKey, PreconditionFailed, ...)
xml            writing S3's XML documents, reading the ones clients send
checksums      MD5 ETags, CRC32/CRC32C/SHA1/SHA256, multipart ETags and checksums
blobs          object bytes as files: temp file, fsync, rename; orphans swept at start
store          SQLite (WAL): buckets, object versions, uploads and parts
routing        method + bucket + key + query -> the operation's name
conditions     conditional requests (If-Match, ...) and ranges
ops_buckets    CreateBucket, DeleteBucket, HeadBucket, ListBuckets, GetBucketLocation
ops_objects    Put/Get/Head/Delete/CopyObject, DeleteObjects
ops_listing    ListObjectsV2, ListObjects, ListObjectVersions
ops_multipart  multipart uploads
ops_config     versioning, CORS, tagging, lifecycle, notification configuration
cors           CORS rules: preflights and the headers of answered requests
lifecycle      expiration rules run on the clock
notifications  S3 event records to Lambda, SQS, SNS and EventBridge
provision      AWS::S3::Bucket resources and SAM S3 events
service        the backend
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from serverlite.aws.backend import Backend, ServiceContext


def create(context: ServiceContext) -> Backend:
    """The backend; imported here, so importing the package alone stays cheap."""
    from .service import S3Service

    return S3Service(context)
