"""Each DynamoDB operation's IAM action, resource and condition keys.

From the Service Authorization Reference ("Actions, resources, and condition keys for
Amazon DynamoDB"): item and table operations act on the table's ARN, a Query or Scan
of an index on ``table/<t>/index/<i>``; the batch operations ask for their own action
on each table they name; a transaction asks for the per-item action (``GetItem``,
``PutItem``, ``UpdateItem``, ``DeleteItem``, ``ConditionCheckItem``) on each item's
table. ``dynamodb:LeadingKeys`` (the partition key values) is given for the single-item
operations, ``dynamodb:Select`` and ``dynamodb:ReturnValues`` when the request sets them.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from serverlite.iam.request import ContextValue, IamRequest

from .context import Context

TABLE_ACTIONS = frozenset(
    {
        "GetItem", "PutItem", "UpdateItem", "DeleteItem", "DescribeTable", "DeleteTable",
        "UpdateTable", "CreateTable", "UpdateTimeToLive", "DescribeTimeToLive",
        "DescribeContinuousBackups", "Query", "Scan",
    }
)  # fmt: skip
ACCOUNT_ACTIONS = frozenset({"ListTables", "DescribeLimits", "DescribeEndpoints"})  # on "*"
TAG_ACTIONS = frozenset({"TagResource", "UntagResource", "ListTagsOfResource"})  # ResourceArn
BATCH_ACTIONS = frozenset({"BatchGetItem", "BatchWriteItem"})  # each table in RequestItems
TRANSACT_ITEM_ACTIONS = {
    "Get": "GetItem",
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}
ITEM_KEY = {"GetItem": "Key", "DeleteItem": "Key", "UpdateItem": "Key", "PutItem": "Item"}


def iam_map(ctx: Context) -> Callable[[str, dict[str, Any]], Sequence[IamRequest] | None]:
    def table_arn(name: str) -> str:
        return name if name.startswith("arn:") else ctx.table_arn(name)

    def leading_keys(table: str, item: Mapping[str, Any]) -> tuple[str, ...]:
        found = ctx.storage.tables.get(table.rsplit("/", 1)[-1])
        if found is None or not isinstance(item, Mapping):
            return ()
        value = item.get(found.hash_key)
        if not isinstance(value, Mapping) or not value:
            return ()
        return (str(next(iter(value.values()))),)

    def requests(operation: str, request: dict[str, Any]) -> Sequence[IamRequest] | None:
        action = f"dynamodb:{operation}"
        if operation in ACCOUNT_ACTIONS:
            return (IamRequest(action),)
        if operation in TAG_ACTIONS:
            return (IamRequest(action, str(request["ResourceArn"])),)
        if operation in TABLE_ACTIONS:
            table = str(request["TableName"])
            resource = table_arn(table)
            if operation in ("Query", "Scan") and request.get("IndexName"):
                resource = f"{resource}/index/{request['IndexName']}"
            context: dict[str, ContextValue] = {}
            if operation in ITEM_KEY:
                context["dynamodb:LeadingKeys"] = leading_keys(
                    table, request.get(ITEM_KEY[operation]) or {}
                )
            for key in ("Select", "ReturnValues"):
                if isinstance(request.get(key), str):
                    context[f"dynamodb:{key}"] = request[key]
            return (IamRequest(action, resource, context),)
        if operation in BATCH_ACTIONS:
            return tuple(IamRequest(action, table_arn(t)) for t in request["RequestItems"])
        if operation in ("TransactGetItems", "TransactWriteItems"):
            pairs = {
                (f"dynamodb:{TRANSACT_ITEM_ACTIONS[kind]}", table_arn(body["TableName"])): None
                for entry in request["TransactItems"]
                for kind, body in entry.items()
            }
            return tuple(IamRequest(a, r) for a, r in pairs)
        return None

    return requests


def streams_map() -> Callable[[str, dict[str, Any]], Sequence[IamRequest]]:
    """DynamoDB Streams: ``dynamodb:<Operation>`` on the stream's ARN
    (``table/<t>/stream/<label>``), which GetRecords carries in its shard iterator;
    ListStreams acts on no stream."""

    def requests(operation: str, request: dict[str, Any]) -> Sequence[IamRequest]:
        action = f"dynamodb:{operation}"
        if request.get("StreamArn"):
            return (IamRequest(action, str(request["StreamArn"])),)
        if operation == "GetRecords":
            iterator = str(request["ShardIterator"])
            arn = json.loads(base64.urlsafe_b64decode(iterator.encode()))[0]
            return (IamRequest(action, str(arn)),)
        return (IamRequest(action),)

    return requests
