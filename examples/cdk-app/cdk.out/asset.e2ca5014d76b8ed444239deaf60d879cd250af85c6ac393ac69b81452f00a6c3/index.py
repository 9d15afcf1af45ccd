"""Items in a DynamoDB table, behind a REST API (payload 1.0) and an HTTP API (2.0)."""

import json
import os
from decimal import Decimal

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def handler(event, context):
    method = event.get("httpMethod") or event["requestContext"]["http"]["method"]
    params = event.get("pathParameters") or {}
    if method == "POST":
        item = json.loads(event["body"])
        table.put_item(Item=item)
        return _json(201, item)
    if "id" in params:
        found = table.get_item(Key={"id": params["id"]}).get("Item")
        return _json(200, found) if found else _json(404, {"message": "no such item"})
    return _json(200, {"items": table.scan()["Items"]})


def _json(status, body):
    text = json.dumps(body, default=_number)
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": text}


def _number(value):
    if isinstance(value, Decimal):  # DynamoDB numbers
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"{type(value).__name__} is not JSON")
