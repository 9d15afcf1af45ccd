"""A handler that imports Powertools from its requirements.txt, as most shipped functions do."""

from typing import Any

from aws_lambda_powertools import Logger, Metrics

logger = Logger(service="memory-bench")
metrics = Metrics(namespace="MemoryBench", service="memory-bench")


def handler(event: Any, context: Any) -> dict[str, bool]:
    logger.debug("invoked")
    return {"ok": True}
