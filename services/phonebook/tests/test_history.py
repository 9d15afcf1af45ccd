"""The change history item made from a DynamoDB stream record (no AWS needed)."""

from __future__ import annotations

from phonebook.history import history_item


def test_a_modify_keeps_both_images_and_the_order_key() -> None:
    record = {
        "eventName": "MODIFY",
        "dynamodb": {
            "Keys": {"id": {"S": "c1"}},
            "SequenceNumber": "100000000000000000042",
            "ApproximateCreationDateTime": 1700000000.0,
            "OldImage": {"id": {"S": "c1"}, "name": {"S": "Ada"}},
            "NewImage": {"id": {"S": "c1"}, "name": {"S": "Ada King"}},
        },
    }
    item = history_item(record)
    assert item["contactId"] == {"S": "c1"}
    assert item["sequence"] == {"S": "100000000000000000042"}
    assert item["change"] == {"S": "MODIFY"}
    assert item["before"]["M"]["name"] == {"S": "Ada"}
    assert item["after"]["M"]["name"] == {"S": "Ada King"}


def test_a_remove_has_no_after_image() -> None:
    record = {
        "eventName": "REMOVE",
        "dynamodb": {
            "Keys": {"id": {"S": "c1"}},
            "SequenceNumber": "100000000000000000043",
            "ApproximateCreationDateTime": 1700000001.0,
            "OldImage": {"id": {"S": "c1"}},
        },
    }
    assert "after" not in history_item(record)
