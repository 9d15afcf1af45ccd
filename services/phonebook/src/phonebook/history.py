"""The contacts table's change history, fed by its DynamoDB stream: one history item per
change (INSERT / MODIFY / REMOVE), keyed by contact and stream sequence number, so a
contact's history reads back in the order the changes happened."""

from __future__ import annotations

import os
from typing import Any

import boto3
from aws_lambda_powertools import Logger

logger = Logger(service="phonebook")
_client: Any = None


def client() -> Any:
    global _client
    if _client is None:  # one client per warm environment
        _client = boto3.client("dynamodb")
    return _client


def history_item(record: dict[str, Any]) -> dict[str, Any]:
    """The history item of one stream record (DynamoDB's own attribute values)."""
    change = record["dynamodb"]
    item: dict[str, Any] = {
        "contactId": change["Keys"]["id"],
        "sequence": {"S": change["SequenceNumber"]},
        "change": {"S": record["eventName"]},
        "at": {"N": str(change["ApproximateCreationDateTime"])},
    }
    if "NewImage" in change:
        item["after"] = {"M": change["NewImage"]}
    if "OldImage" in change:
        item["before"] = {"M": change["OldImage"]}
    return item


@logger.inject_lambda_context
def record_changes(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Store each change; a failed one is reported so the stream retries from it."""
    table = os.environ["HISTORY_TABLE"]
    for record in event["Records"]:
        try:
            client().put_item(TableName=table, Item=history_item(record))
        except Exception:
            logger.exception("history write failed")
            return {"batchItemFailures": [{"itemIdentifier": record["dynamodb"]["SequenceNumber"]}]}
    return {"batchItemFailures": []}
