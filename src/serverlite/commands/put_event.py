"""What ``serverlite put-event`` does: PutEvents to a running ``serverlite up`` with boto3,
as any client would."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from serverlite.commands import client as cli_client
from serverlite.errors import ConfigError

SERVICE_EVENTS_PATH = "/_serverlite/service-events"  # serverlite's own, not AWS's
AWS_SOURCE_WARNING = (
    "events with an aws.* source are sent by the AWS service itself on AWS (PutEvents "
    "refuses them); serverlite injects this one as the service would"
)


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
    if source.startswith("aws."):
        return _as_the_service(endpoint_url, entry)
    with cli_client.talking_to(endpoint_url):
        result = events.put_events(Entries=[entry])
    outcome = result["Entries"][0]
    if "EventId" not in outcome:
        raise ConfigError(f"{outcome.get('ErrorCode')}: {outcome.get('ErrorMessage')}")
    return str(outcome["EventId"])


def _as_the_service(endpoint_url: str, entry: dict[str, Any]) -> str:
    """POST the entry to the running up's service-events route, signed as SDKs sign."""
    import urllib.error
    import urllib.request

    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    url = endpoint_url.rstrip("/") + SERVICE_EVENTS_PATH
    body = json.dumps({"Entries": [entry]}).encode()
    request = AWSRequest("POST", url, data=body, headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials("serverlite", "serverlite"), "events", "us-east-1").add_auth(request)
    prepared = urllib.request.Request(url, body, dict(request.headers.items()), method="POST")
    try:
        with urllib.request.urlopen(prepared, timeout=30) as response:  # the local endpoint
            result = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode(errors="replace")
        raise ConfigError(f"serverlite refused the event ({exc.code}): {detail}") from exc
    except urllib.error.URLError as exc:
        raise ConfigError(
            f"serverlite is not running at {endpoint_url}: start it with `serverlite up` "
            "(or pass --endpoint-url)"
        ) from exc
    outcome = result["Entries"][0]
    if "EventId" not in outcome:
        raise ConfigError(f"{outcome.get('ErrorCode')}: {outcome.get('ErrorMessage')}")
    return str(outcome["EventId"])
