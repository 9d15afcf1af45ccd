"""FilterCriteria for SQS: EventBridge patterns matched against each record.

The document a pattern sees is the record Lambda would deliver, with ``body`` parsed
when it is valid JSON. As AWS documents, a pattern on body fields never matches a
plain-text body, and a plain-string body pattern never matches a JSON body. A message
no filter matches is deleted from the queue without invoking the function.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

from serverlite.patterns import Pattern, expand_dotted, parse_event


def matches(filters: Sequence[Pattern], record: dict[str, Any]) -> bool:
    if not filters:
        return True
    document = dict(record)
    with contextlib.suppress(ValueError):  # plain text stays a string
        document["body"] = parse_event(record["body"])
    matchable = expand_dotted(document)  # once, for every filter
    return any(pattern.matches(matchable) for pattern in filters)
