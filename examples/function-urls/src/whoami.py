"""A buffered function URL handler: the HTTP API 2.0 response format."""

import json


def handler(event, context):
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "cookies": ["seen=1; Path=/"],
        "body": json.dumps({"event": event, "version": context.function_version}),
    }
