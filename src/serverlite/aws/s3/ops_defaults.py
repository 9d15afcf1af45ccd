"""Read-only answers for what every S3 bucket has on AWS and serverlite cannot change:
the owner's ACL (ACLs are disabled by default since 2023: BucketOwnerEnforced), the
default encryption (SSE-S3, on every bucket since 2023), and no bucket policy. Tools
that read these before acting (Terraform, the CDK, s3fs) get AWS's answers; writing
them is still 501 NotImplemented."""

from __future__ import annotations

from typing import Any

from serverlite.aws.backend import AwsError, RestResponse

from .context import OWNER_ID, OWNER_NAME, S3Context
from .ops_objects import readable, version_headers
from .xml import document, el

XML = "application/xml"


def _acl() -> bytes:
    owner = el("ID", OWNER_ID) + el("DisplayName", OWNER_NAME)
    grantee = (
        '<Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        f'xsi:type="CanonicalUser">{owner}</Grantee>'
    )
    grants = f"<Grant>{grantee}{el('Permission', 'FULL_CONTROL')}</Grant>"
    return document(
        "AccessControlPolicy",
        f"<Owner>{owner}</Owner><AccessControlList>{grants}</AccessControlList>",
    )


def get_bucket_acl(ctx: S3Context, req: dict[str, Any]) -> RestResponse:
    ctx.bucket(req["bucket"])
    return RestResponse(_acl(), media_type=XML)


def get_object_acl(ctx: S3Context, req: dict[str, Any]) -> RestResponse:
    bucket = ctx.bucket(req["bucket"])
    version = readable(ctx, bucket, req["key"], req["query"].get("versionId"))
    return RestResponse(_acl(), headers=version_headers(bucket, version), media_type=XML)


def get_bucket_encryption(ctx: S3Context, req: dict[str, Any]) -> RestResponse:
    ctx.bucket(req["bucket"])
    rule = (
        "<Rule><ApplyServerSideEncryptionByDefault>"
        f"{el('SSEAlgorithm', 'AES256')}</ApplyServerSideEncryptionByDefault>"
        f"{el('BucketKeyEnabled', False)}</Rule>"
    )
    return RestResponse(document("ServerSideEncryptionConfiguration", rule), media_type=XML)


def get_bucket_policy(ctx: S3Context, req: dict[str, Any]) -> RestResponse:
    bucket = ctx.bucket(req["bucket"])
    raise AwsError(
        "NoSuchBucketPolicy", "The bucket policy does not exist", 404, BucketName=bucket.name
    )
