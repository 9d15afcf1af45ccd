"""S3 event notifications: the records S3 sends, and their delivery.

An object event (``ObjectCreated:Put``, ``ObjectRemoved:DeleteMarkerCreated``, ...)
goes to every target of the bucket's NotificationConfiguration whose events and key
filters (prefix, suffix) match, and to EventBridge's default bus when the bucket has
``EventBridgeConfiguration``. The notes are written in the same SQLite transaction as
the object change (``store``), so an acknowledged write's notifications survive a
kill -9, and a worker delivers them (at least once, as S3 does): Lambda as an
asynchronous invoke, SQS and SNS as the message body, through ``arn_sender``;
EventBridge as S3's own ``aws.s3`` event.

The record is AWS's (eventVersion 2.1, s3SchemaVersion 1.0): the key URL-encoded
(spaces as ``+``), size and eTag for creations, versionId where the bucket has
versioning, and a sequencer that orders the events of one key. Configuring a queue
or topic sends it S3's ``s3:TestEvent``, as S3 does.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus

from serverlite import ids
from serverlite.aws.backend import AwsClient, AwsError
from serverlite.sending import Message, TargetSender

from . import notification_config
from .records import Bucket, ObjectVersion
from .xml import timestamp

log = logging.getLogger("serverlite.aws.s3")

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")
MAX_ATTEMPTS = 8  # a target that keeps failing transiently is given up on, with a warning
REASONS = {  # EventBridge's detail.reason
    "ObjectCreated:Put": "PutObject",
    "ObjectCreated:Post": "POST Object",
    "ObjectCreated:Copy": "CopyObject",
    "ObjectCreated:CompleteMultipartUpload": "CompleteMultipartUpload",
    "ObjectRemoved:Delete": "DeleteObject",
    "ObjectRemoved:DeleteMarkerCreated": "DeleteObject",
    "LifecycleExpiration:Delete": "Lifecycle Expiration",
    "LifecycleExpiration:DeleteMarkerCreated": "Lifecycle Expiration",
}
DETAIL_TYPES = {
    "ObjectCreated": "Object Created",
    "ObjectRemoved": "Object Deleted",
    "LifecycleExpiration": "Object Deleted",
    "ObjectTagging:Put": "Object Tags Added",
    "ObjectTagging:Delete": "Object Tags Deleted",
}


@dataclass(frozen=True)
class Note:
    """One delivery to make: to an ARN (a record) or to EventBridge (``arn`` ""),"""

    arn: str
    body: str
    detail_type: str = ""  # EventBridge only


def _principal(request: Mapping[str, Any]) -> str:
    headers = request.get("headers") or {}
    match = _CREDENTIAL.search(headers.get("authorization", ""))
    if match:
        return f"AWS:{match.group(1)}"
    query = request.get("query") or {}
    key = query.get("X-Amz-Credential", "").split("/")[0] or query.get("AWSAccessKeyId", "")
    return f"AWS:{key}" if key else "AWS:anonymous"


def sequencer() -> str:
    """Hex, growing: S3 orders one key's events by it (compared as same-length strings)."""
    return f"{time.time_ns():018X}"


def _object(event: str, version: ObjectVersion, seq: str, *, for_bridge: bool) -> dict[str, Any]:
    created = event.startswith("ObjectCreated")
    key = version.key if for_bridge else quote_plus(version.key, safe="/")
    found: dict[str, Any] = {"key": key}
    if created:
        found["size"] = version.size
        found["etag" if for_bridge else "eTag"] = version.etag.strip('"')
    if version.version_id != "null":
        found["version-id" if for_bridge else "versionId"] = version.version_id
    found["sequencer"] = seq
    return found


def record(
    event: str,
    version: ObjectVersion,
    bucket: Bucket,
    request: Mapping[str, Any],
    configuration_id: str,
    seq: str,
    now: float,
) -> dict[str, Any]:
    lifecycle = event.startswith("LifecycleExpiration")
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": bucket.region,
                "eventTime": timestamp(now),
                "eventName": event,
                "userIdentity": {
                    "principalId": "s3.amazonaws.com" if lifecycle else _principal(request)
                },
                "requestParameters": {"sourceIPAddress": request.get("source_ip", "127.0.0.1")},
                "responseElements": {
                    "x-amz-request-id": request.get("request_id", ids.request_id()),
                    "x-amz-id-2": ids.hex_token(64),
                },
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": configuration_id,
                    "bucket": {
                        "name": bucket.name,
                        "ownerIdentity": {"principalId": "A3NL1KOZZKEXAMPLE"},
                        "arn": f"arn:aws:s3:::{bucket.name}",
                    },
                    "object": _object(event, version, seq, for_bridge=False),
                },
            }
        ]
    }


def bridge_detail(
    event: str,
    version: ObjectVersion,
    bucket: Bucket,
    request: Mapping[str, Any],
    account_id: str,
    seq: str,
) -> tuple[str, dict[str, Any]] | None:
    family = event.split(":", 1)[0]
    detail_type = DETAIL_TYPES.get(event) or DETAIL_TYPES.get(family)
    if detail_type is None:
        return None
    detail: dict[str, Any] = {
        "version": "0",
        "bucket": {"name": bucket.name},
        "object": _object(event, version, seq, for_bridge=True),
        "request-id": request.get("request_id", ids.request_id()),
        "requester": "s3.amazonaws.com" if family == "LifecycleExpiration" else account_id,
        "source-ip-address": request.get("source_ip", "127.0.0.1"),
    }
    if event in REASONS:
        detail["reason"] = REASONS[event]
    if detail_type == "Object Deleted":
        detail["deletion-type"] = (
            "Delete Marker Created"
            if event.endswith("DeleteMarkerCreated")
            else "Permanently Deleted"
        )
    return detail_type, detail


def notes(
    event: str,
    version: ObjectVersion,
    bucket: Bucket,
    request: Mapping[str, Any],
    account_id: str,
    now: float,
) -> list[Note]:
    """What one object event sends, by the bucket's configuration (no I/O)."""
    config = bucket.config.get("notification") or {}
    found: list[Note] = []
    seq = sequencer()
    for target in config.get("targets", ()):
        if notification_config.matches(target, event, version.key):
            body = record(event, version, bucket, request, target["id"], seq, now)
            found.append(Note(target["arn"], json.dumps(body)))
    if config.get("eventbridge"):
        bridged = bridge_detail(event, version, bucket, request, account_id, seq)
        if bridged is not None:
            found.append(Note("", json.dumps(bridged[1]), bridged[0]))
    return found


def test_notes(bucket: str, config: Mapping[str, Any], request_id: str, now: float) -> list[Note]:
    """S3's s3:TestEvent, sent to each queue and topic when notifications are set."""
    body = json.dumps(
        {
            "Service": "Amazon S3",
            "Event": "s3:TestEvent",
            "Time": timestamp(now),
            "Bucket": bucket,
            "RequestId": request_id,
            "HostId": ids.hex_token(64),
        }
    )
    arns = {
        t["arn"]
        for t in config.get("targets", ())
        if t["kind"] in ("QueueConfiguration", "TopicConfiguration")
    }
    return [Note(arn, body) for arn in sorted(arns)]


class Delivery:
    """Delivers the notes the store keeps, oldest first; retries what may pass later."""

    def __init__(
        self,
        db: Any,
        sender: TargetSender,
        aws: AwsClient,
        region: str,
        account_id: str,
    ) -> None:
        self.db = db
        self.sender = sender
        self.aws = aws
        self.bus_arn = f"arn:aws:events:{region}:{account_id}:event-bus/default"
        self.wake = asyncio.Event()
        self._stopping = False

    async def run(self) -> None:
        while not self._stopping:
            due = self.db.due_notes(time.time(), 100)
            for note_id, note, attempts in due:
                await self._deliver(note_id, note, attempts)
            if not due:
                self.wake.clear()
                next_due = self.db.next_note_due()
                wait = 1.0 if next_due is None else max(0.0, min(1.0, next_due - time.time()))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), wait)

    def stop(self) -> None:
        self._stopping = True
        self.wake.set()

    async def _deliver(self, note_id: int, note: Note, attempts: int) -> None:
        if not note.arn:
            retry = await self._bridge(note)
        else:
            outcome = await self.sender.send(note.arn, Message(body=note.body))
            if outcome.status == "failed":
                log.warning("S3 notification to %s not delivered: %s", note.arn, outcome.message)
            retry = outcome.status == "retry"
        if retry and attempts + 1 < MAX_ATTEMPTS:
            self.db.retry_note(note_id, time.time() + min(60.0, 2.0**attempts))
            return
        if retry:
            log.warning("S3 notification to %s given up after %d attempts", note.arn, MAX_ATTEMPTS)
        self.db.delete_note(note_id)

    async def _bridge(self, note: Note) -> bool:
        entry = {
            "Source": "aws.s3",
            "DetailType": note.detail_type,
            "Detail": note.body,
            "Resources": [f"arn:aws:s3:::{json.loads(note.body)['bucket']['name']}"],
            "EventBusName": self.bus_arn,
        }
        if not self.aws.has("events"):
            return False
        try:
            result = await self.aws.call("events", "PutServiceEvents", {"Entries": [entry]})
        except AwsError as exc:
            log.warning("S3 event to EventBridge not delivered: %s", exc)
            return exc.status >= 500
        failed = [e for e in result.get("Entries", ()) if e.get("ErrorCode")]
        if failed:
            log.warning("S3 event to EventBridge not delivered: %s", failed[0])
        return False
