"""An HTTP API Lambda authorizer with simple responses: the key "open-sesame" passes."""


def handler(event, context):
    return {"isAuthorized": event.get("headers", {}).get("x-notes-key") == "open-sesame"}
