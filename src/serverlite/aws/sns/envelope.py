"""What subscribers receive: the JSON envelope, the Lambda event, confirmations.

SQS and HTTP(S) subscribers get the notification as a JSON document (unless raw
message delivery is on), pretty-printed as SNS prints it (two-space indent,
``"Key" : value``). Lambda gets ``{"Records": [{"EventSource": "aws:sns", ...}]}``
whose ``Sns`` object spells ``SigningCertUrl`` / ``UnsubscribeUrl`` where the
envelope spells ``...URL``, and carries ``Subject: null`` when there is none.

Signatures: serverlite has no AWS signing certificate, so ``Signature`` is a
SHA-256 digest of the string AWS would sign, base64, under SignatureVersion 1 —
stable and well-formed, but it does not verify against any certificate.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from .message_attributes import Attributes

NOTIFICATION = "Notification"
SUBSCRIPTION_CONFIRMATION = "SubscriptionConfirmation"
UNSUBSCRIBE_CONFIRMATION = "UnsubscribeConfirmation"
CERT_NAME = "SimpleNotificationService-serverlite.pem"


@dataclass(frozen=True)
class Notification:
    """One published message as one subscriber sees it."""

    message_id: str
    topic_arn: str
    message: str  # already chosen for the subscriber's protocol
    timestamp: float
    subject: str | None = None
    attributes: Attributes | None = None
    sequence_number: str | None = None


def new_message_id() -> str:
    return str(uuid.uuid4())


def timestamp_text(when: float) -> str:
    """``2019-01-02T12:45:07.000Z``: UTC, milliseconds, as SNS writes it."""
    millis = round(when * 1000)
    seconds, ms = divmod(millis, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{ms:03d}Z"


def signing_cert_url(endpoint: str) -> str:
    return f"{endpoint.rstrip('/')}/{CERT_NAME}"


def unsubscribe_url(endpoint: str, subscription_arn: str) -> str:
    return (
        f"{endpoint.rstrip('/')}/?Action=Unsubscribe&SubscriptionArn="
        f"{quote(subscription_arn, safe='')}"
    )


def subscribe_url(endpoint: str, topic_arn: str, token: str) -> str:
    return (
        f"{endpoint.rstrip('/')}/?Action=ConfirmSubscription&TopicArn="
        f"{quote(topic_arn, safe='')}&Token={token}"
    )


def signature(fields: Mapping[str, Any], names: tuple[str, ...]) -> str:
    """SignatureVersion 1's string to sign (name, newline, value, newline), digested."""
    text = "".join(f"{name}\n{fields[name]}\n" for name in names if fields.get(name) is not None)
    return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def dumps(document: Mapping[str, Any]) -> str:
    """JSON as SNS prints its envelopes."""
    return json.dumps(document, indent=2, separators=(",", " : "), ensure_ascii=False)


def notification(note: Notification, subscription_arn: str, endpoint: str) -> dict[str, Any]:
    """The envelope an SQS or HTTP(S) subscriber receives (without raw delivery)."""
    doc: dict[str, Any] = {"Type": NOTIFICATION, "MessageId": note.message_id}
    if note.sequence_number is not None:
        doc["SequenceNumber"] = note.sequence_number
    doc["TopicArn"] = note.topic_arn
    if note.subject is not None:
        doc["Subject"] = note.subject
    doc["Message"] = note.message
    doc["Timestamp"] = timestamp_text(note.timestamp)
    doc["SignatureVersion"] = "1"
    doc["Signature"] = signature(
        doc, ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
    )
    doc["SigningCertURL"] = signing_cert_url(endpoint)
    doc["UnsubscribeURL"] = unsubscribe_url(endpoint, subscription_arn)
    if note.attributes:
        doc["MessageAttributes"] = {k: v.to_json() for k, v in note.attributes.items()}
    return doc


def lambda_event(note: Notification, subscription_arn: str, endpoint: str) -> dict[str, Any]:
    """The event a Lambda subscriber is invoked with (shaped like AWS's snsEvent.json)."""
    sns: dict[str, Any] = {
        "Type": NOTIFICATION,
        "MessageId": note.message_id,
        "TopicArn": note.topic_arn,
        "Subject": note.subject,
        "Message": note.message,
        "Timestamp": timestamp_text(note.timestamp),
        "SignatureVersion": "1",
    }
    sns["Signature"] = signature(
        sns, ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
    )
    sns["SigningCertUrl"] = signing_cert_url(endpoint)
    sns["UnsubscribeUrl"] = unsubscribe_url(endpoint, subscription_arn)
    sns["MessageAttributes"] = {k: v.to_json() for k, v in (note.attributes or {}).items()}
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": subscription_arn,
                "Sns": sns,
            }
        ]
    }


def confirmation(
    kind: str, message_id: str, topic_arn: str, token: str, endpoint: str, when: float
) -> dict[str, Any]:
    """SubscriptionConfirmation / UnsubscribeConfirmation, POSTed to an HTTP(S) endpoint."""
    if kind == SUBSCRIPTION_CONFIRMATION:
        text = (
            f"You have chosen to subscribe to the topic {topic_arn}.\n"
            "To confirm the subscription, visit the SubscribeURL included in this message."
        )
    else:
        text = (
            f"You have chosen to deactivate subscription {topic_arn}.\n"
            "To cancel this operation and restore the subscription, visit the SubscribeURL "
            "included in this message."
        )
    doc: dict[str, Any] = {
        "Type": kind,
        "MessageId": message_id,
        "Token": token,
        "TopicArn": topic_arn,
        "Message": text,
        "SubscribeURL": subscribe_url(endpoint, topic_arn, token),
        "Timestamp": timestamp_text(when),
        "SignatureVersion": "1",
    }
    doc["Signature"] = signature(
        doc, ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")
    )
    doc["SigningCertURL"] = signing_cert_url(endpoint)
    return doc
