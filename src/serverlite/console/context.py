"""What the console's views read: the cloud, and the URLs ``serverlite up`` serves."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from serverlite.cloud import LocalCloud


@dataclass
class ConsoleContext:
    cloud: LocalCloud
    apis: list[tuple[str, str]] = field(default_factory=list)  # (API id, stage URL), set by up

    async def call(self, service: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        """An AWS API call in process (``LocalAws``), as boto3 would make it."""
        return await self.cloud.aws.call(service, operation, params)

    def has(self, service: str) -> bool:
        return self.cloud.aws.has(service)
