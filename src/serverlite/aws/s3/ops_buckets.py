"""CreateBucket, DeleteBucket, HeadBucket, ListBuckets, GetBucketLocation.

Bucket names are global on AWS; here, one account owns them all, so creating a bucket
that exists is ``BucketAlreadyOwnedByYou`` (409) everywhere but us-east-1, where S3
answers 200 for the caller's own bucket (its legacy behaviour). A LocationConstraint
that is not the endpoint's region is ``IllegalLocationConstraintException``;
us-east-1 takes none (naming it is ``InvalidLocationConstraint``).
"""

from __future__ import annotations

from typing import Any

from serverlite.aws.backend import AwsError, RestResponse

from . import names
from .context import OWNER_ID, OWNER_NAME, S3Context
from .xml import document, el, parse, text, timestamp

XML = "application/xml"


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
    query = req["query"]
    prefix = query.get("prefix", "")
    buckets = [b for b in ctx.db.buckets() if b.name.startswith(prefix)]
    inner = "<Buckets>" + "".join(
        f"<Bucket>{el('Name', b.name)}{el('CreationDate', timestamp(b.created))}"
        f"{el('BucketRegion', b.region)}</Bucket>"
        for b in buckets
    )
    inner += "</Buckets>"
    inner += f"<Owner>{el('ID', OWNER_ID)}{el('DisplayName', OWNER_NAME)}</Owner>"
    if prefix:
        inner += el("Prefix", prefix)
    return RestResponse(document("ListAllMyBucketsResult", inner), media_type=XML)


def get_bucket_location(ctx: S3Context, req: dict[str, Any]) -> RestResponse:
    bucket = ctx.bucket(req["bucket"])
    # us-east-1 is the empty LocationConstraint, as S3 answers it.
    region = "" if bucket.region == "us-east-1" else bucket.region
    return RestResponse(document("LocationConstraint", region), media_type=XML)
