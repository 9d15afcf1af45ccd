"""What ``serverlite put-event`` does: PutEvents to a running ``serverlite up`` with boto3,
as any client would."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from serverlite.errors import ConfigError


def client(endpoint_url: str, region: str) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "events",
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id="serverlite",
        aws_secret_access_key="serverlite",
        config=Config(retries={"max_attempts": 0}, connect_timeout=2, read_timeout=30),
    )


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
    from botocore.exceptions import ClientError, EndpointConnectionError

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
    try:
        result = events.put_events(Entries=[entry])
    except EndpointConnectionError as exc:
        raise ConfigError(
            f"serverlite is not running at {endpoint_url}: start it with `serverlite up` "
            "(or pass --endpoint-url)"
        ) from exc
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise ConfigError(f"{error.get('Code')}: {error.get('Message', '')}") from exc
    outcome = result["Entries"][0]
    if "EventId" not in outcome:
        raise ConfigError(f"{outcome.get('ErrorCode')}: {outcome.get('ErrorMessage')}")
    return str(outcome["EventId"])
