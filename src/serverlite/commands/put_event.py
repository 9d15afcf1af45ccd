"""What ``serverlite put-event`` does: PutEvents to a running ``serverlite up`` with boto3,
as any client would."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from serverlite.commands import client as cli_client
from serverlite.errors import ConfigError


def client(endpoint_url: str, region: str) -> Any:
    return cli_client.client("events", endpoint_url, region)


def put_event(
    events: Any,
    endpoint_url: str,
    *,
    source: str,
    detail_type: str,
    detail: str,
    bus: str,
    resources: Sequence[str] = (),
) -> str:
    """Send one event; returns its EventId, or raises ConfigError with AWS's reason."""
    try:
        parsed = json.loads(detail)
    except ValueError as exc:
        raise ConfigError(f"--detail is not JSON: {exc}") from exc
    if not isinstance(parsed, dict):
        raise ConfigError("--detail must be a JSON object, e.g. '{\"id\": 1}'")
    entry: dict[str, Any] = {
        "Source": source,
        "DetailType": detail_type,
        "Detail": detail,
        "EventBusName": bus,
    }
    if resources:
        entry["Resources"] = list(resources)
    with cli_client.talking_to(endpoint_url):
        result = events.put_events(Entries=[entry])
    outcome = result["Entries"][0]
    if "EventId" not in outcome:
        raise ConfigError(f"{outcome.get('ErrorCode')}: {outcome.get('ErrorMessage')}")
    return str(outcome["EventId"])
