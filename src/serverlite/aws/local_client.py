"""Call the emulated services from inside serverlite, without HTTP.

Each service's handler takes the structured request boto3 would send and returns
the structured response botocore would parse, so ``LocalAws.call("sqs",
"SendMessage", {...})`` behaves like ``boto3.client("sqs").send_message(...)``.
Lambda's own destinations, dead-letter queues and event targets use this.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from serverlite.aws.dispatch import calls
from serverlite.aws.json_protocol import AwsError
from serverlite.aws.query_protocol import QueryService
from serverlite.aws.services import ServiceBackend
from serverlite.ids import request_id


class LocalAws:
    def __init__(self, services: Sequence[ServiceBackend], endpoint_url: str) -> None:
        self._services = {service.name: service for service in services}
        self.endpoint_url = endpoint_url.rstrip("/")

    def has(self, service: str) -> bool:
        return service in self._services

    async def call(self, service: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        backend = self._services.get(service)
        if backend is None:
            raise AwsError("ServiceUnavailable", f"serverlite does not emulate {service}", 503)
        if backend.json is not None:
            operations = backend.json.operations
        else:
            query = getattr(backend, "query", None)
            if not isinstance(query, QueryService):
                raise AwsError("ServiceUnavailable", f"{service} has no callable handler", 503)
            operations = query.operations
        result: dict[str, Any] = await calls.call(operations, operation, params, request_id())
        return result

    def queue_url(self, queue_arn: str) -> str:
        """arn:aws:sqs:region:account:name -> the local queue URL."""
        parts = queue_arn.split(":")
        return f"{self.endpoint_url}/{parts[4]}/{parts[5]}"
