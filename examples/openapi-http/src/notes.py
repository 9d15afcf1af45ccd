"""Notes behind an HTTP API defined by an OpenAPI file (payload format 2.0)."""

import json


def list_notes(event, context):
    return {"notes": [], "route": event["routeKey"]}


def note(event, context):
    if event["routeKey"] == "POST /notes":
        body = json.loads(event.get("body") or "{}")
        return {"statusCode": 201, "body": json.dumps({"created": body.get("text", "")})}
    return {"id": event["pathParameters"]["id"], "route": event["routeKey"]}
