"""ReportBatchItemFailures: what a function's response means for its batch.

AWS's rules ("Implementing partial batch responses"): the batch fully succeeded when
the response is null or empty, or its ``batchItemFailures`` is null or an empty
list. The whole batch failed when the response is not valid JSON, or an entry's
``itemIdentifier`` is missing (a bad key name), null, empty, or not the messageId of
a message in the batch; serverlite also fails the whole batch for a response of
another shape (a list, a number, ``batchItemFailures`` that is not a list). Otherwise
exactly the listed messages failed; the others are deleted.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass


@dataclass(frozen=True)
class BatchOutcome:
    failed: frozenset[str]  # message ids that stay on the queue
    whole_batch: bool = False  # every message stays on the queue
    reason: str = ""

    @classmethod
    def success(cls) -> BatchOutcome:
        return cls(frozenset())

    @classmethod
    def failure(cls, reason: str) -> BatchOutcome:
        return cls(frozenset(), whole_batch=True, reason=reason)


def evaluate(payload: bytes, batch_ids: Collection[str]) -> BatchOutcome:
    if not payload.strip():
        return BatchOutcome.success()
    try:
        response = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        return BatchOutcome.failure("the response is not valid JSON")
    if response is None:
        return BatchOutcome.success()
    if not isinstance(response, dict):
        return BatchOutcome.failure(f"the response is a JSON {type(response).__name__}")
    failures = response.get("batchItemFailures")
    if failures is None or failures == []:
        return BatchOutcome.success()
    if not isinstance(failures, list):
        return BatchOutcome.failure("batchItemFailures is not a list")
    failed: set[str] = set()
    for entry in failures:
        if not isinstance(entry, dict) or "itemIdentifier" not in entry:
            return BatchOutcome.failure(f"batchItemFailures entry without itemIdentifier: {entry}")
        identifier = entry["itemIdentifier"]
        if not isinstance(identifier, str) or not identifier:
            return BatchOutcome.failure(f"itemIdentifier is null or empty: {entry}")
        if identifier not in batch_ids:
            return BatchOutcome.failure(f"itemIdentifier {identifier} is not in the batch")
        failed.add(identifier)
    return BatchOutcome(frozenset(failed))
