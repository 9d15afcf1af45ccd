"""Queue names, URLs and ARNs.

A queue URL is ``{endpoint}/{account}/{name}``. Incoming URLs are matched by their
last two path segments only, so a URL written for AWS
(``https://sqs.us-east-1.amazonaws.com/123456789012/orders``), for another port, or
for another host name of this machine finds the same queue.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from . import errors

MAX_NAME = 80
_NAME = re.compile(r"[A-Za-z0-9_-]{1,80}")
_FIFO_NAME = re.compile(r"[A-Za-z0-9_-]{1,75}\.fifo")
_ACCOUNT = re.compile(r"\d{12}")


@dataclass(frozen=True)
class QueueRef:
    """Which queue: the owning account and the queue's name."""

    account: str
    name: str

    @property
    def fifo(self) -> bool:
        return self.name.endswith(".fifo")


def check_name(name: str, fifo: bool) -> None:
    """Raise AWS's error for a queue name that cannot be created."""
    if fifo or name.endswith(".fifo"):
        if not fifo or not _FIFO_NAME.fullmatch(name):
            raise errors.invalid_parameter(
                "The name of a FIFO queue can only include alphanumeric characters, hyphens, "
                "or underscores, must end with .fifo suffix and be 1 to 80 in length."
            )
        return
    if not _NAME.fullmatch(name):
        raise errors.invalid_parameter(
            "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length"
        )


def queue_url(endpoint: str, ref: QueueRef) -> str:
    return f"{endpoint.rstrip('/')}/{ref.account}/{ref.name}"


def queue_arn(region: str, ref: QueueRef) -> str:
    return f"arn:aws:sqs:{region}:{ref.account}:{ref.name}"


def parse_url(url: str) -> QueueRef:
    """The queue a QueueUrl names, whatever its host; InvalidAddress when it names none."""
    path = urlsplit(url).path if "://" in url else url
    parts = [part for part in path.split("/") if part]
    if len(parts) < 2 or not _ACCOUNT.fullmatch(parts[-2]):
        raise errors.SqsError(
            "InvalidAddress", f"The address {url} is not valid for this endpoint."
        )
    return QueueRef(parts[-2], parts[-1])


def parse_arn(arn: str) -> QueueRef | None:
    """``arn:aws:sqs:region:account:name`` -> QueueRef, or None when it is not a queue ARN."""
    parts = arn.split(":")
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "sqs" or not parts[5]:
        return None
    return QueueRef(parts[4], parts[5])
