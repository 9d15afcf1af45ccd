"""Call the emulated services from inside serverlite, without HTTP.

Each service's operations take the structured request boto3 would send and return
the structured response botocore would parse, so ``LocalAws.call("sqs",
"SendMessage", {...})`` behaves like ``boto3.client("sqs").send_message(...)``: the
same operations table the endpoint's dispatchers use, run by the same ``calls.call``
(unknown operations, malformed requests and failures answered the same way).

The registry makes one client, hands it to every service in its context, and binds
it to the built services once they all exist (a service may call another only
after construction: when provisioning, serving or delivering).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

from serverlite.aws.backend import AwsError, Backend
from serverlite.aws.dispatch import calls
from serverlite.aws.dispatch.faults import FAULTS, ServiceFaults
from serverlite.ids import request_id


class LocalAws:
    def __init__(self) -> None:
        self._services: Mapping[str, Backend] | None = None
        self.faults: ServiceFaults | None = None  # a test's injected faults (the cloud's)
        # Builds the services not built yet (``serverlite up`` builds those the template
        # does not use once it serves): asked for one it lacks, the client calls it first.
        self.pending: Callable[[], None] | None = None

    def bind(self, services: Sequence[Backend]) -> None:
        """The services this client reaches, added as the registry builds them."""
        known = dict(self._services or {})
        for service in services:
            if service.name in known:
                raise RuntimeError(f"the local AWS client already has {service.name}")
            known[service.name] = service
        self._services = MappingProxyType(known)

    def has(self, service: str) -> bool:
        return self._backend(service) is not None

    def _backend(self, service: str) -> Backend | None:
        backend = (self._services or {}).get(service)
        if backend is None and self.pending is not None:
            self.pending()
            backend = (self._services or {}).get(service)
        return backend

    async def call(self, service: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        backend = self._backend(service)
        if backend is None:
            raise AwsError("ServiceUnavailable", f"serverlite does not emulate {service}", 503)
        face = backend.json or backend.query
        internal = backend.internal
        if internal is not None and operation in internal.table:
            operations = internal  # what AWS's own services call (aws.* events)
        elif face is not None:
            operations = face.operations
        else:
            raise AwsError("ServiceUnavailable", f"{service} has no API to call", 503)
        token = FAULTS.set(self.faults)  # met in-process as on the wire
        try:
            result: dict[str, Any] = await calls.call(operations, operation, params, request_id())
        finally:
            FAULTS.reset(token)
        return result
