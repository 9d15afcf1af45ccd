"""FIFO rules: deduplication ids and keys, sequence numbers, message-group order.

- Deduplication: a message whose deduplication id (given, or the SHA-256 of the body
  with ContentBasedDeduplication) was sent in the last 5 minutes is accepted but not
  enqueued again; with DeduplicationScope=messageGroup the id counts per group.
- Order: within a message group, messages go out in the order they were sent, and
  while any message of a group is in flight (or still delayed) no other message of
  that group is returned; different groups are independent. The receive query in
  ``message_store`` applies this rule.
"""

from __future__ import annotations

import hashlib

from . import errors
from .message_input import NewMessage

DEDUP_WINDOW_S = 300.0
# AWS sequence numbers are large, increasing, non-consecutive 20-digit numbers.
_SEQUENCE_BASE = 18_000_000_000_000_000_000


def dedup_id(message: NewMessage, content_based: bool) -> str:
    """The deduplication id AWS uses for ``message``, or MissingParameter-like error."""
    if message.dedup_id is not None:
        return message.dedup_id
    if content_based:
        return hashlib.sha256(message.body.encode()).hexdigest()
    raise errors.invalid_parameter(
        "The queue should either have ContentBasedDeduplication enabled or "
        "MessageDeduplicationId provided explicitly"
    )


def dedup_key(message_dedup_id: str, group_id: str | None, per_group: bool) -> str:
    return f"{group_id}\x00{message_dedup_id}" if per_group else message_dedup_id


def sequence_number(seq: int) -> str:
    return str(_SEQUENCE_BASE + seq)
