"""PutSubscriptionFilter, DescribeSubscriptionFilters, DeleteSubscriptionFilter.

Destinations served: a Lambda function and a Kinesis data stream of this account.
Firehose delivery streams and cross-account logical destinations are refused with
the reason (serverlite emulates neither).
"""

from __future__ import annotations

import re
from typing import Any

from serverlite.aws.backend import AwsError
from serverlite.aws.logs.context import LogsContext
from serverlite.aws.logs.ops import Params, _existing_group, _page, invalid
from serverlite.aws.logs.subscriptions import (
    MAX_FILTERS_PER_GROUP,
    SubscriptionFilter,
    compressed,
    control_message,
)
from serverlite.observe.filter_pattern import PatternError, compile_pattern

_FILTER_NAME = re.compile(r"[^:*]{1,512}")
DISTRIBUTIONS = ("ByLogStream", "Random")


def _pattern(params: Params) -> str:
    pattern = params.get("filterPattern")
    if not isinstance(pattern, str):
        raise invalid("filterPattern is required.")
    try:
        compile_pattern(pattern)
    except PatternError as exc:
        raise invalid(f"Invalid filter pattern: {exc}") from exc
    return pattern


async def put_subscription_filter(ctx: LogsContext, params: Params) -> Params:
    group = _existing_group(ctx, params)
    name = params.get("filterName")
    if not isinstance(name, str) or not _FILTER_NAME.fullmatch(name):
        raise invalid("filterName must be 1 to 512 characters without ':' or '*'.")
    pattern = _pattern(params)
    destination = params.get("destinationArn")
    if not isinstance(destination, str) or not destination.startswith("arn:"):
        raise invalid("destinationArn must be the ARN of a Lambda function or Kinesis stream.")
    distribution = params.get("distribution") or "ByLogStream"
    if distribution not in DISTRIBUTIONS:
        raise invalid(
            f"1 validation error detected: Value '{distribution}' at 'distribution' failed to "
            "satisfy constraint: Member must satisfy enum value set: [Random, ByLogStream]"
        )
    existing = ctx.subscriptions.filters(group)
    if name not in {f.name for f in existing} and len(existing) >= MAX_FILTERS_PER_GROUP:
        raise AwsError("LimitExceededException", "Resource limit exceeded.")
    await _check_destination(ctx, destination)
    role = params.get("roleArn")
    ctx.subscriptions.put(
        SubscriptionFilter(
            group,
            name,
            pattern,
            destination,
            role if isinstance(role, str) else None,
            str(distribution),
            ctx.store.now_ms(),
            ctx.subscriptions.last_batch(),
        )
    )
    return {}


async def _check_destination(ctx: LogsContext, arn: str) -> None:
    """CloudWatch Logs tries a destination when a filter is put: a Lambda function must
    exist (and let it invoke, which locally it always may), and a Kinesis stream gets
    a CONTROL_MESSAGE record."""
    service = arn.split(":")[2] if arn.count(":") >= 5 else ""
    if service == "lambda":
        if not ctx.function_exists(arn):
            raise invalid(
                "Could not execute the lambda function. Make sure you have given CloudWatch "
                "Logs permission to execute your function."
            )
        return
    if service == "kinesis":
        check = control_message(ctx.account_id, ctx.store.now_ms(), "Kinesis stream")
        try:
            await ctx.context.aws.call(
                "kinesis",
                "PutRecord",
                {"StreamARN": arn, "Data": compressed(check), "PartitionKey": "control"},
            )
        except AwsError:
            raise invalid(
                "Could not deliver test message to specified Kinesis stream. Check if the "
                "given kinesis stream is in ACTIVE state."
            ) from None
        return
    what = {"firehose": "Firehose delivery streams", "logs": "logical destinations"}
    raise invalid(
        f"serverlite does not emulate {what.get(service, service or 'this destination')}: a "
        "subscription filter delivers to a Lambda function or a Kinesis stream here."
    )


def describe_subscription_filters(ctx: LogsContext, params: Params) -> Params:
    group = _existing_group(ctx, params)
    prefix = params.get("filterNamePrefix")
    items: list[dict[str, Any]] = [
        f.described()
        for f in ctx.subscriptions.filters(group)
        if not prefix or f.name.startswith(prefix)
    ]
    return _page(items, "subscriptionFilters", params, limit_max=50)


def delete_subscription_filter(ctx: LogsContext, params: Params) -> Params:
    group = _existing_group(ctx, params)
    name = params.get("filterName")
    if not isinstance(name, str) or not ctx.subscriptions.delete(group, name):
        raise AwsError(
            "ResourceNotFoundException", "The specified subscription filter does not exist."
        )
    return {}


OPERATIONS = {
    "PutSubscriptionFilter": put_subscription_filter,
    "DescribeSubscriptionFilters": describe_subscription_filters,
    "DeleteSubscriptionFilter": delete_subscription_filter,
}
