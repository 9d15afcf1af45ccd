"""Greeter over HTTP: GET /greet/{name} behind an HTTP API (payload 2.0)."""

import os

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.exceptions import BadRequestError
from common.names import InvalidName, clean_name

logger = Logger()
app = APIGatewayHttpResolver()
GREETING = os.environ.get("GREETING", "Hello")


@app.get("/greet/<name>")
def greet(name: str):
    try:
        cleaned = clean_name(name)
    except InvalidName as exc:
        raise BadRequestError(str(exc)) from exc
    return {"greeting": f"{GREETING}, {cleaned}!"}


@logger.inject_lambda_context
def handler(event, context):
    return app.resolve(event, context)
