"""Orchestrator: greets a list of names through GreeterFunction.

{"names": [...], "mode": "sync" | "async"}: sync waits for each greeting
(RequestResponse); async hands each one off (Event) and returns at once.
"""

import json
import os

import boto3
from aws_lambda_powertools import Logger
from common.names import InvalidName, clean_name

logger = Logger()
lambda_client = boto3.client("lambda")
GREETER = os.environ["GREETER_FUNCTION"]


@logger.inject_lambda_context
def handler(event, context):
    mode = event.get("mode", "sync")
    if mode not in ("sync", "async"):
        raise ValueError(f"mode must be sync or async, got {mode!r}")
    names = []
    for raw in event.get("names", []):
        try:
            names.append(clean_name(raw))
        except InvalidName:
            logger.warning("skipping an invalid name")
    invocation_type = "RequestResponse" if mode == "sync" else "Event"
    results = []
    for name in names:
        response = lambda_client.invoke(
            FunctionName=GREETER,
            InvocationType=invocation_type,
            Payload=json.dumps({"name": name}).encode(),
        )
        if mode == "sync":
            results.append(json.loads(response["Payload"].read())["greeting"])
        else:
            results.append(response["StatusCode"])
    return {"mode": mode, "count": len(names), "results": results}
