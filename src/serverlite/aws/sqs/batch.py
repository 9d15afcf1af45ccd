"""Batch requests (SendMessageBatch, DeleteMessageBatch, ChangeMessageVisibilityBatch):
the checks on the whole request, and the per-entry error AWS reports in ``Failed``."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from . import errors

MAX_ENTRIES = 10
_ENTRY_ID = re.compile(r"[A-Za-z0-9_-]{1,80}")


def check_entries(params: Mapping[str, Any], entry_type: str) -> list[Mapping[str, Any]]:
    """The request's Entries, or the whole-request error AWS answers with."""
    entries = params.get("Entries")
    if not entries:
        raise errors.SqsError(
            "EmptyBatchRequest", f"There should be at least one {entry_type} in the request."
        )
    if not isinstance(entries, Sequence) or not all(isinstance(e, Mapping) for e in entries):
        raise errors.invalid_parameter("Entries must be a list of batch entries.")
    if len(entries) > MAX_ENTRIES:
        raise errors.SqsError(
            "TooManyEntriesInBatchRequest",
            f"Maximum number of entries per request are {MAX_ENTRIES}. "
            f"You have sent {len(entries)}.",
        )
    seen: set[str] = set()
    for entry in entries:
        entry_id = entry.get("Id")
        if not isinstance(entry_id, str) or not _ENTRY_ID.fullmatch(entry_id):
            raise errors.SqsError(
                "InvalidBatchEntryId",
                "A batch entry id can only contain alphanumeric characters, hyphens and "
                "underscores. It can be at most 80 letters long.",
            )
        if entry_id in seen:
            raise errors.SqsError("BatchEntryIdsNotDistinct", f"Id {entry_id} repeated.")
        seen.add(entry_id)
    return list(entries)


def failure(entry_id: str, error: errors.SqsError) -> dict[str, Any]:
    """A BatchResultErrorEntry: the query-era code, as AWS reports it per entry."""
    return {
        "Id": entry_id,
        "SenderFault": error.fault == "Sender",
        "Code": error.query_code,
        "Message": error.message,
    }
