"""The emulated AWS services behind the endpoint, and how they are built.

Each service is a ``ServiceBackend``: it may speak the JSON protocol (``json``),
creates the resources the template declares (``provision``, idempotent: a restart
keeps what exists), and keeps its state durably under the state directory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from serverlite.aws.json_protocol import JsonService
from serverlite.template.model import Application

if TYPE_CHECKING:
    from serverlite.invoker import Invoker


@dataclass(frozen=True)
class ProvisionedResource:
    """A line of the startup table: what the template made exist."""

    service: str  # "dynamodb", "ssm", ...
    kind: str  # "table", "parameter", ...
    name: str
    detail: str = ""


class ServiceBackend(Protocol):
    name: str

    @property
    def json(self) -> JsonService | None: ...

    def provision(self, app: Application) -> list[ProvisionedResource]: ...

    def close(self) -> None: ...


@runtime_checkable
class EventSourceBackend(Protocol):
    """A service that also feeds functions (SQS pollers, ...): run under `up` only."""

    async def start_event_sources(self, invoker: Invoker) -> None: ...

    async def stop_event_sources(self) -> None: ...


@dataclass(frozen=True)
class ServiceContext:
    """What every service is built with."""

    state_dir: Path
    region: str
    account_id: str
    clock: Callable[[], float]
    endpoint_url: str = "http://127.0.0.1:4566"  # the AWS endpoint (SQS queue URLs)
    time_scale: float = 1.0  # >1: retry delays, event ages and schedules pass faster (tests)


def build_services(context: ServiceContext) -> list[ServiceBackend]:
    """Every emulated service, in the order they provision template resources."""
    # Each service module exposes create(context) -> ServiceBackend; add one line each.
    from serverlite.aws import events, secretsmanager, sqs, ssm  # they import this module
    from serverlite.aws.dynamodb import service as dynamodb
    from serverlite.aws.postgres import create as create_postgres
    from serverlite.aws.sns import create as create_sns

    backends: list[ServiceBackend] = []
    backends.append(ssm.create(context))
    backends.append(secretsmanager.create(context))
    backends.append(dynamodb.create(context))
    backends.append(sqs.create(context))
    backends.append(create_sns(context, backends))  # delivers to SQS in-process
    backends.append(events.create(context, backends))  # delivers to the others in-process
    backends.append(create_postgres(context, backends))  # after secretsmanager: fills secrets
    return backends
