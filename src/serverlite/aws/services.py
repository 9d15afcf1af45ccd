"""The emulated AWS services behind the endpoint, and how they are built.

Each service is a ``ServiceBackend``: it may speak the JSON protocol (``json``),
creates the resources the template declares (``provision``, idempotent: a restart
keeps what exists), and keeps its state durably under the state directory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from serverlite.aws.json_protocol import JsonService
from serverlite.template.model import Application


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


@dataclass(frozen=True)
class ServiceContext:
    """What every service is built with."""

    state_dir: Path
    region: str
    account_id: str
    clock: Callable[[], float]


def build_services(context: ServiceContext) -> list[ServiceBackend]:
    """Every emulated service, in the order they provision template resources."""
    # Each service module exposes create(context) -> ServiceBackend; add one line each.
    from serverlite.aws import secretsmanager, ssm  # they import this module

    backends: list[ServiceBackend] = []
    backends.append(ssm.create(context))
    backends.append(secretsmanager.create(context))
    return backends
