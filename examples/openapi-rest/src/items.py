"""Items behind a REST API defined by OpenAPI: one handler for every proxy route."""

import base64
import json
import os


def handler(event, context):
    route = f"{event['httpMethod']} {event['resource']}"
    if route == "POST /items":
        item = json.loads(event["body"])
        who = event["requestContext"]["authorizer"]["principalId"]
        return _json(201, {"created": item["name"], "by": who})
    if route == "GET /items/{id}":
        return _json(200, {"id": event["pathParameters"]["id"]})
    if route.endswith("/files/{proxy+}"):
        png = b"\x89PNG\r\n\x1a\n" + event["pathParameters"]["proxy"].encode()
        return {
            "statusCode": 200,
            "headers": {"Content-Type": "image/png"},
            "body": base64.b64encode(png).decode(),
            "isBase64Encoded": True,
        }
    return _json(200, {"items": [], "greeting": os.environ["GREETING"]})


def hello(event, context):
    name = event["pathParameters"]["name"]
    return _json(200, {"message": f"{os.environ['GREETING']}, {name}"})


def _json(status, body):
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(body),
    }
