"""serverlite's own route for events AWS services send: ``POST /_serverlite/service-events``
with a PutEvents body. ``serverlite put-event --source aws.ec2 ...`` uses it, so a rule
written for an AWS service's events (EC2 state changes, ...) can be triggered locally.

On AWS only the service itself sends ``aws.*`` events; PutEvents refuses them
(NotAuthorizedForSourceException), and so does serverlite's PutEvents. This route is
not AWS's: no SDK calls it, and each event it takes is logged as injected.
"""

from __future__ import annotations

import logging
from typing import Any

from serverlite.aws.backend import RestRoute

from .context import EventsContext
from .ops_events import put_service_events

log = logging.getLogger("serverlite.events")

PATH = "/_serverlite/service-events"
ROUTE = RestRoute("POST", PATH, "PutServiceEvents", json=True)


def inject(ctx: EventsContext, request: dict[str, Any]) -> dict[str, Any]:
    body = request["body"]
    for entry in body.get("Entries") or []:
        if isinstance(entry, dict):
            log.warning(
                "event %s / %s injected as an AWS service would send it (on AWS only the "
                "service itself sends these)",
                entry.get("Source"),
                entry.get("DetailType"),
            )
    return put_service_events(ctx, body)
