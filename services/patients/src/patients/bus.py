"""Publishing audit events to the EventBridge bus (the audit trail's transport)."""

from __future__ import annotations

import json
from typing import Any

from patients.audit import DETAIL_TYPE, SOURCE, AuditEvent


class AuditNotPublished(Exception):
    """EventBridge refused the event (its error code says why)."""


class EventBridgeAudit:
    def __init__(self, client: Any, bus_name: str) -> None:
        self._client = client
        self.bus_name = bus_name

    def publish(self, event: AuditEvent) -> None:
        response = self._client.put_events(
            Entries=[
                {
                    "Source": SOURCE,
                    "DetailType": DETAIL_TYPE,
                    "Detail": json.dumps(event.detail()),
                    "EventBusName": self.bus_name,
                    "Time": event.occurred_at,
                }
            ]
        )
        if response.get("FailedEntryCount"):
            entry = (response.get("Entries") or [{}])[0]
            raise AuditNotPublished(str(entry.get("ErrorCode") or "unknown error"))
