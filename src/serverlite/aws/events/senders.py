"""Sending to targets: another event bus of this account (forwarded here, keeping the
event), everything else through ``aws/arn_sender.py`` (Lambda, SQS, SNS), and the
dead-letter queue when a delivery gives up."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from serverlite.aws.arn_sender import ArnSender, arn_service
from serverlite.sending import DELIVERED, Message, Outcome

from .names import arn_resource

log = logging.getLogger("serverlite.events")

Forward = Callable[[str, str, int], int]  # (bus, event, hops) -> deliveries routed


class TargetSenders:
    def __init__(self, sender: ArnSender, forward: Forward) -> None:
        self._sender = sender
        self._forward = forward

    async def send(self, target: dict[str, Any], payload: str, event: str) -> Outcome:
        arn = str(target["arn"])
        if arn_service(arn) == "events":
            return self._to_bus(target, arn, event)
        message = Message(
            payload, group_id=target.get("group") or None, trace_header=target.get("_trace")
        )
        return await self._sender.send(arn, message)

    def _to_bus(self, target: dict[str, Any], arn: str, event: str) -> Outcome:
        """A bus target gets the event itself (not PutEvents of a new one), one hop on."""
        bus = arn_resource(arn).partition("event-bus/")[2]
        try:
            self._forward(bus, event, int(target.get("hops", 0)) + 1)
        except LookupError as exc:
            return Outcome("failed", "NO_RESOURCE", str(exc))
        except OverflowError as exc:
            return Outcome("failed", "THIRD_REGION_HOP_DETECTED", str(exc))
        return DELIVERED

    async def dead_letter(self, dlq_arn: str, body: str, attributes: dict[str, str]) -> bool:
        """Send a failed event to an SQS dead-letter queue; False if that failed too."""
        message_attributes = {
            key: {"DataType": "Number" if value.isdigit() else "String", "StringValue": value}
            for key, value in attributes.items()
            if value
        }
        outcome = await self._sender.send(dlq_arn, Message(body, message_attributes))
        if not outcome.delivered:
            log.warning(
                "could not send a failed event to the dead-letter queue %s: %s",
                dlq_arn,
                outcome.message,
            )
        return outcome.delivered
