"""Notes: PUT /notes/{id} stores {"text": ...}; GET /notes/{id} reads it back."""

import json
import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["NOTES_TABLE"])


def handler(event, context):
    note_id = event["pathParameters"]["id"]
    if event["requestContext"]["http"]["method"] == "PUT":
        try:
            text = json.loads(event.get("body") or "{}").get("text")
        except (ValueError, AttributeError):
            text = None
        if not isinstance(text, str) or not text:
            return _json(400, {"message": "a note needs a non-empty text"})
        table.put_item(Item={"id": note_id, "text": text})
        return _json(201, {"id": note_id, "text": text})
    item = table.get_item(Key={"id": note_id}).get("Item")
    if item is None:
        return _json(404, {"message": f"no note {note_id}"})
    return _json(200, item)


def _json(status, body):
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(body),
    }
