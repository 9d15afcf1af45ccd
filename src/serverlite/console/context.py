"""What the console's views read: the application, the in-process AWS client, the
invoker, the observer's stores, the services, and the URLs ``serverlite up`` serves."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from serverlite.aws.backend import Backend, ProvisionedResource
from serverlite.aws.local_client import LocalAws
from serverlite.invoker import Invoker
from serverlite.observe.logs import LogStore
from serverlite.observe.observer import Observer
from serverlite.template.model import Application


@dataclass
class ConsoleContext:
    app: Application
    aws: LocalAws
    invoker: Invoker
    observer: Observer
    logs: LogStore
    services: Sequence[Backend]
    provisioned: list[ProvisionedResource]  # filled as the cloud starts
    apis: list[tuple[str, str]] = field(default_factory=list)  # (API id, stage URL), set by up
    state_dir: Path | None = None  # where saved test events are kept (None: not kept)

    async def call(self, service: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        """An AWS API call in process (``LocalAws``), as boto3 would make it."""
        return await self.aws.call(service, operation, params)

    def has(self, service: str) -> bool:
        return self.aws.has(service)

    def service(self, name: str) -> Any:
        """A service's backend, for the stores of those the client does not reach."""
        return next((s for s in self.services if s.name == name), None)
