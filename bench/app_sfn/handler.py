"""The step the Step Functions benchmark orchestrates, and the same chain done by the
functions themselves (each invoking the next, synchronously, with boto3)."""

import json

import boto3

_lambda = None


def step(event, context):
    return {"n": event.get("n", 0) + 1, "depth": event.get("depth", 0)}


def chain(event, context):
    """``step`` ``depth`` times, each call invoking the next function directly."""
    global _lambda
    result = step(event, context)
    if result["n"] >= result["depth"]:
        return result
    if _lambda is None:
        _lambda = boto3.client("lambda")
    answer = _lambda.invoke(FunctionName="bench-chain", Payload=json.dumps(result).encode())
    return json.loads(answer["Payload"].read())
