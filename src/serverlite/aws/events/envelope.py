"""PutEvents entries: AWS's per-entry checks, entry sizes, and the event envelope.

An accepted entry becomes the envelope every target sees (shared/aws-events/
eventBridgeEvent.json): version "0", id, detail-type, source, account, time,
region, resources, detail, and "replay-name" when replayed. The detail keeps the
sender's JSON text (minified), so numbers keep their spelling.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .schedule_expressions import format_time

MAX_ENTRIES = 10
MAX_REQUEST_BYTES = 256 * 1024  # AWS: the entries of one request, measured as below
TIME_SIZE = 14  # AWS counts a given Time as 14 bytes
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[ \t\n\r]+')


@dataclass(frozen=True)
class EntryError:
    code: str
    message: str

    def result(self) -> dict[str, str]:
        return {"ErrorCode": self.code, "ErrorMessage": self.message}


def entry_size(entry: Mapping[str, Any]) -> int:
    """AWS's documented PutEvents entry size."""
    size = TIME_SIZE if entry.get("Time") is not None else 0
    for key in ("Source", "DetailType", "Detail"):
        value = entry.get(key)
        if isinstance(value, str):
            size += len(value.encode())
    for resource in entry.get("Resources") or ():
        if isinstance(resource, str):
            size += len(resource.encode())
    return size


def check_entry(entry: Mapping[str, Any], *, service: bool = False) -> EntryError | None:
    """AWS's per-entry checks; ``service``: sent by an AWS service (an aws.* source)."""
    for key in ("Source", "DetailType", "Detail"):
        value = entry.get(key)
        if not isinstance(value, str) or not value:
            return EntryError(
                "InvalidArgument",
                f"Parameter {key} is not valid. Reason: {key} is a required argument.",
            )
    try:
        detail = json.loads(entry["Detail"])
    except (ValueError, RecursionError):  # too deep to read is malformed too
        detail = None
    if not isinstance(detail, dict):
        return EntryError("MalformedDetail", "Detail is malformed.")
    resources = entry.get("Resources") or []
    if not isinstance(resources, list) or not all(isinstance(r, str) for r in resources):
        return EntryError("InvalidArgument", "Parameter Resources is not valid.")
    if str(entry["Source"]).startswith("aws.") and not service:
        # Only AWS services may send events with an aws.* source.
        return EntryError("NotAuthorizedForSourceException", "Not authorized for the source.")
    return None


def minify_json(text: str) -> str:
    """Drop the whitespace between JSON tokens, leaving strings and numbers as written."""
    return _TOKENS.sub(lambda m: m.group(0) if m.group(0)[0] == '"' else "", text)


def event_time(value: Any, now: float) -> float:
    """PutEvents Time (epoch seconds from botocore) or now."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return now


def build_event(
    *,
    event_id: str,
    source: str,
    detail_type: str,
    detail_json: str,
    account: str,
    region: str,
    time: float,
    resources: Sequence[str] = (),
) -> str:
    """The envelope's JSON text, in AWS's field order."""
    head = json.dumps(
        {
            "version": "0",
            "id": event_id,
            "detail-type": detail_type,
            "source": source,
            "account": account,
            "time": format_time(time),
            "region": region,
            "resources": list(resources),
        },
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return f'{head[:-1]},"detail":{minify_json(detail_json)}}}'


def with_replay_name(event_json: str, replay_name: str) -> str:
    return f'{event_json[:-1]},"replay-name":{json.dumps(replay_name)}}}'
