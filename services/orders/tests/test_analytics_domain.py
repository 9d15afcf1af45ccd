import base64
import json
from decimal import Decimal

import pytest
from analytics.domain import SEQUENCE_WIDTH, parse_record


def record(event: object, key: str, sequence: str) -> dict:
    data = base64.b64encode(json.dumps(event).encode()).decode()
    return {"kinesis": {"data": data, "partitionKey": key, "sequenceNumber": sequence}}


def test_an_order_event_is_read_with_a_comparable_sequence():
    event = {"type": "OrderPlaced", "orderId": "o-1", "customer": "Ada", "total": "39.98"}
    order = parse_record(
        record(event, "Ada", "49590338271490256608559692538361571095921575989136588898")
    )
    assert (order.customer, order.order_id, order.total) == ("Ada", "o-1", Decimal("39.98"))
    assert len(order.sequence) == SEQUENCE_WIDTH
    later = parse_record(
        record(event, "Ada", "49590338271490256608559692538361571095921575989136588899" + "0")
    )
    assert order.sequence < later.sequence  # a longer number is later, as strings too


def test_other_records_are_refused():
    with pytest.raises(ValueError):
        parse_record(record({"type": "Other"}, "Ada", "1"))
    event = {"type": "OrderPlaced", "orderId": "o-1", "customer": "Ada", "total": "1"}
    with pytest.raises(ValueError):
        parse_record(record(event, "Bob", "1"))
