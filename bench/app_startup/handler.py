"""A trivial API handler: what a first request costs is serverlite's start, not the code."""

import json


def handler(event, context):
    return {"statusCode": 200, "body": json.dumps({"hello": "world"})}
