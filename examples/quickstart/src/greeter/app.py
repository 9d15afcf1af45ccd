"""Greeter: returns a greeting for {"name": ...}."""

import os

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from common.names import InvalidName, clean_name

logger = Logger()
metrics = Metrics()
GREETING = os.environ.get("GREETING", "Hello")


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event, context):
    try:
        name = clean_name(event.get("name"))
    except InvalidName as exc:
        metrics.add_metric(name="InvalidNames", unit=MetricUnit.Count, value=1)
        return {"ok": False, "error": str(exc)}
    metrics.add_metric(name="Greetings", unit=MetricUnit.Count, value=1)
    logger.info("greeted", extra={"length": len(name)})
    return {"ok": True, "greeting": f"{GREETING}, {name}!"}
