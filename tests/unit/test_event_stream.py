"""AWS's event stream framing, read back with botocore's own decoder (no I/O)."""

from __future__ import annotations

import json

from botocore.eventstream import EventStreamBuffer

from serverlite.aws.dispatch import event_stream


def test_botocore_decodes_events_and_exceptions() -> None:
    buffer = EventStreamBuffer()
    buffer.add_data(event_stream.event("initial-response", {}))
    buffer.add_data(event_stream.event("sessionUpdate", {"sessionResults": [{"message": "é"}]}))
    buffer.add_data(event_stream.exception("SessionTimeoutException", "over"))
    first, second, third = list(buffer)
    assert first.headers == {
        ":event-type": "initial-response",
        ":content-type": "application/json",
        ":message-type": "event",
    }
    assert json.loads(first.payload) == {}
    assert json.loads(second.payload) == {"sessionResults": [{"message": "é"}]}
    assert third.headers[":message-type"] == "exception"
    assert third.headers[":exception-type"] == "SessionTimeoutException"
    assert json.loads(third.payload) == {"message": "over"}
