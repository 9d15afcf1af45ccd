"""A typical handler: imports boto3 and creates a client at module level."""

import boto3

dynamodb = boto3.client("dynamodb")


def handler(event, context):
    return {"ok": True, "echo": event.get("n")}
