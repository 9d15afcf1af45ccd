"""CreateBucket, DeleteBucket, HeadBucket, ListBuckets, GetBucketLocation.

Bucket names are global on AWS; here, one account owns them all, so creating a bucket
that exists is ``BucketAlreadyOwnedByYou`` (409) everywhere but us-east-1, where S3
answers 200 for the caller's own bucket (its legacy behaviour). A LocationConstraint
that is not the endpoint's region is ``IllegalLocationConstraintException``;
us-east-1 takes none (naming it is ``InvalidLocationConstraint``).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from serverlite.aws.backend import AwsError, RestResponse

from . import names
from .context import OWNER_ID, OWNER_NAME, S3Context
from .errors import invalid_argument
from .xml import document, el, parse, text, timestamp

XML = "application/xml"
MAX_BUCKETS_PAGE = 10_000


async def create_bucket(ctx: S3Context, req: dict[str, Any]) -> RestResponse:
    name = req["bucket"]
    names.check_bucket_name(name)
    raw = await req["body"].read()
    region = ctx.region
    if raw.strip():
        constraint = text(parse(raw), "LocationConstraint")
        if constraint:
            if ctx.region == "us-east-1" and constraint == "us-east-1":
                raise AwsError(
                    "InvalidLocationConstraint",
                    "The specified location-constraint is not valid",
                    400,
                    LocationConstraint=constraint,
                )
            if constraint != ctx.region:
                raise AwsError(
                    "IllegalLocationConstraintException",
                    f"The {constraint} location constraint is incompatible for the region "
                    "specific endpoint this request was sent to.",
                    400,
                )
    if not ctx.db.create_bucket(name, region, ctx.clock()) and ctx.region != "us-east-1":
        raise AwsError(
            "BucketAlreadyOwnedByYou",
            "Your previous request to create the named bucket succeeded and you already own it.",
            409,
            BucketName=name,
        )
    return RestResponse(headers={"Location": f"/{name}"}, media_type=None)


def delete_bucket(ctx: S3Context, req: dict[str, Any]) -> RestResponse:
    name = req["bucket"]
    ctx.bucket(name)
    if not ctx.db.is_empty(name):
        raise AwsError(
            "BucketNotEmpty",
            "The bucket you tried to delete is not empty",
            409,
            BucketName=name,
        )
    ctx.blobs.delete(ctx.db.delete_bucket(name))
    return RestResponse(status=204, media_type=None)


def head_bucket(ctx: S3Context, req: dict[str, Any]) -> RestResponse:
    bucket = ctx.bucket(req["bucket"])
    return RestResponse(
        headers={"x-amz-bucket-region": bucket.region, "x-amz-access-point-alias": "false"},
        media_type=None,
    )


def list_buckets(ctx: S3Context, req: dict[str, Any]) -> RestResponse:
    """All buckets, or pages of ``max-buckets`` (1-10,000) with a continuation token
    (here the last name, base64), filtered by ``prefix`` and ``bucket-region``."""
    query = req["query"]
    prefix = query.get("prefix", "")
    region = query.get("bucket-region")
    after = ""
    token = query.get("continuation-token")
    if token:
        try:
            after = base64.urlsafe_b64decode(token.encode()).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
            raise invalid_argument(
                "Invalid continuation token", "continuation-token", token
            ) from exc
    buckets = [
        b
        for b in ctx.db.buckets()
        if b.name.startswith(prefix) and b.name > after and region in (None, b.region)
    ]
    next_token = None
    raw = query.get("max-buckets")
    if raw is not None:
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_BUCKETS_PAGE:
            raise invalid_argument(
                "Argument max-buckets must be an integer between 1 and 10000", "max-buckets", raw
            )
        if len(buckets) > int(raw):
            buckets = buckets[: int(raw)]
            next_token = base64.urlsafe_b64encode(buckets[-1].name.encode()).decode()
    inner = "<Buckets>" + "".join(
        f"<Bucket>{el('Name', b.name)}{el('CreationDate', timestamp(b.created))}"
        f"{el('BucketRegion', b.region)}</Bucket>"
        for b in buckets
    )
    inner += "</Buckets>"
    inner += f"<Owner>{el('ID', OWNER_ID)}{el('DisplayName', OWNER_NAME)}</Owner>"
    if next_token:
        inner += el("ContinuationToken", next_token)
    if prefix:
        inner += el("Prefix", prefix)
    return RestResponse(document("ListAllMyBucketsResult", inner), media_type=XML)


def get_bucket_location(ctx: S3Context, req: dict[str, Any]) -> RestResponse:
    bucket = ctx.bucket(req["bucket"])
    # us-east-1 is the empty LocationConstraint, as S3 answers it.
    region = "" if bucket.region == "us-east-1" else bucket.region
    return RestResponse(document("LocationConstraint", region), media_type=XML)
