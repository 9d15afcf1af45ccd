"""Topic names, ARNs, and the endpoints each subscription protocol accepts.

HTTP(S) subscriptions are limited to loopback hosts: serverlite never sends a
notification off this machine (AWS would deliver anywhere on the internet).
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from . import errors

MAX_NAME = 256
_NAME = re.compile(r"[A-Za-z0-9_-]{1,256}")
_FIFO_NAME = re.compile(r"[A-Za-z0-9_-]{1,251}\.fifo")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
_PHONE = re.compile(r"\+?[0-9][0-9 ()-]{3,20}")
_FUNCTION_ARN = re.compile(r"arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(:.+)?")
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})

DELIVERED = ("sqs", "lambda", "http", "https")
NEVER_DELIVERED = ("email", "email-json", "sms")  # accepted, left pending, never sent
FIFO_NAME_RULE = (
    "Fifo Topic names must end with .fifo and must be made up of only uppercase and "
    "lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 "
    "and 256 characters long."
)


@dataclass(frozen=True)
class Arn:
    """``arn:aws:<service>:<region>:<account>:<resource>``."""

    service: str
    region: str
    account: str
    resource: str

    def __str__(self) -> str:
        return f"arn:aws:{self.service}:{self.region}:{self.account}:{self.resource}"


def parse_arn(text: str) -> Arn | None:
    parts = text.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not parts[1].startswith("aws"):
        return None
    if not all(parts[2:]):
        return None
    return Arn(parts[2], parts[3], parts[4], parts[5])


def topic_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:sns:{region}:{account}:{name}"


def check_topic_name(name: str, fifo: bool) -> None:
    if fifo:
        if not _FIFO_NAME.fullmatch(name):
            raise errors.invalid(FIFO_NAME_RULE)
    elif not _NAME.fullmatch(name):
        raise errors.invalid("Topic Name")


def parse_topic_arn(text: str, parameter: str = "TopicArn") -> Arn:
    """A topic ARN (its form only): InvalidParameter when it is not one."""
    arn = parse_arn(text)
    if arn is None or arn.service != "sns" or ":" in arn.resource:
        raise errors.invalid(parameter)
    return arn


def new_subscription_arn(topic: str) -> str:
    return f"{topic}:{uuid.uuid4()}"


def subscription_topic(subscription_arn: str) -> str | None:
    """The topic ARN a subscription ARN belongs to (its prefix)."""
    arn = parse_arn(subscription_arn)
    if arn is None or arn.service != "sns" or arn.resource.count(":") != 1:
        return None
    return subscription_arn.rsplit(":", 1)[0]


def is_fifo_queue_arn(arn: str) -> bool:
    return arn.endswith(".fifo")


def check_endpoint(protocol: str, endpoint: str, fifo_topic: bool) -> None:
    """Refuse an endpoint the protocol cannot take, in AWS's words where AWS has them."""
    if protocol not in (*DELIVERED, *NEVER_DELIVERED):
        if protocol in ("application", "firehose"):
            raise errors.invalid(f"serverlite does not deliver to {protocol} endpoints")
        raise errors.invalid(f"Amazon SNS does not support this protocol string: {protocol}")
    if not endpoint:
        raise errors.invalid("Endpoint")
    if fifo_topic and protocol != "sqs":
        raise errors.invalid(f"Invalid protocol type: {protocol}")
    if protocol == "sqs":
        _check_queue(endpoint, fifo_topic)
    elif protocol == "lambda":
        if not _FUNCTION_ARN.fullmatch(endpoint):
            raise errors.invalid("Lambda endpoint ARN")
    elif protocol in ("http", "https"):
        check_http_endpoint(protocol, endpoint)
    elif protocol.startswith("email"):
        if not _EMAIL.fullmatch(endpoint):
            raise errors.invalid("Email address")
    elif not _PHONE.fullmatch(endpoint):
        raise errors.invalid("SMS endpoint")


def _check_queue(endpoint: str, fifo_topic: bool) -> None:
    arn = parse_arn(endpoint)
    if arn is None or arn.service != "sqs" or ":" in arn.resource:
        raise errors.invalid("SQS endpoint ARN")
    if fifo_topic and not is_fifo_queue_arn(endpoint):
        raise errors.invalid("Invalid parameter: Endpoint Reason: Please use FIFO SQS queue")
    if not fifo_topic and is_fifo_queue_arn(endpoint):
        raise errors.invalid(
            "Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to "
            "standard SNS topics"
        )


def check_http_endpoint(protocol: str, endpoint: str) -> None:
    if not endpoint.lower().startswith(f"{protocol}://"):
        raise errors.invalid("Endpoint must match the specified protocol")
    host = urlsplit(endpoint).hostname or ""
    if not is_loopback(host):
        raise errors.invalid(
            f"Endpoint Reason: serverlite delivers {protocol} notifications only to loopback "
            f"hosts (127.0.0.1, ::1, localhost), not to {host or endpoint!r}"
        )


def is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def function_of(endpoint: str) -> str:
    """The function a Lambda endpoint names, without a version or alias qualifier.

    serverlite runs $LATEST for every alias, so ``function:orders:live`` runs ``orders``.
    """
    parts = endpoint.split(":")
    return ":".join(parts[:7])
