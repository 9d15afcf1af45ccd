"""The trivial handler behind serverlite's gateway."""

import json


def handler(event, context):
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({"message": "hello", "path": event["path"]}),
    }
