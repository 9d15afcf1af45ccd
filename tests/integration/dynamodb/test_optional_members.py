"""Responses carry only what AWS sends: no JSON null for an absent optional member.

AWS's JSON protocols leave an optional output member out when it has no value (a
Scan without ReturnConsumedCapacity has no "ConsumedCapacity" key, not
``"ConsumedCapacity": null``; the DynamoDB API reference lists each output member as
"Required: No" and botocore's service model marks none of them required). Every key
must also be a member of the operation's output shape in botocore's model.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import botocore.session
import pytest

pytestmark = pytest.mark.integration

TABLE = "optional-members"
KEY = {"pk": {"S": "a"}, "sk": {"S": "1"}}
READ = {":p": {"S": "a"}}
CALLS: list[tuple[str, dict[str, Any]]] = [
    (
        "CreateTable",
        {
            "TableName": TABLE,
            "KeySchema": [
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            "AttributeDefinitions": [
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
                {"AttributeName": "g", "AttributeType": "S"},
            ],
            "BillingMode": "PAY_PER_REQUEST",
            "GlobalSecondaryIndexes": [
                {
                    "IndexName": "by-g",
                    "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
        },
    ),
    ("DescribeTable", {"TableName": TABLE}),
    ("ListTables", {}),
    ("PutItem", {"TableName": TABLE, "Item": {**KEY, "g": {"S": "x"}}}),
    ("PutItem", {"TableName": TABLE, "Item": {**KEY, "g": {"S": "x"}}, "ReturnValues": "ALL_OLD"}),
    ("GetItem", {"TableName": TABLE, "Key": KEY}),
    ("GetItem", {"TableName": TABLE, "Key": {"pk": {"S": "none"}, "sk": {"S": "1"}}}),
    (
        "UpdateItem",
        {
            "TableName": TABLE,
            "Key": KEY,
            "UpdateExpression": "SET v = :v",
            "ExpressionAttributeValues": {":v": {"N": "1"}},
        },
    ),
    (
        "Query",
        {
            "TableName": TABLE,
            "KeyConditionExpression": "pk = :p",
            "ExpressionAttributeValues": READ,
        },
    ),
    (
        "Query",
        {
            "TableName": TABLE,
            "IndexName": "by-g",
            "KeyConditionExpression": "g = :p",
            "ExpressionAttributeValues": {":p": {"S": "x"}},
            "Select": "COUNT",
            "ReturnConsumedCapacity": "INDEXES",
        },
    ),
    ("Scan", {"TableName": TABLE}),
    ("Scan", {"TableName": TABLE, "Limit": 1, "ReturnConsumedCapacity": "NONE"}),
    ("Scan", {"TableName": TABLE, "ReturnConsumedCapacity": "TOTAL"}),
    ("BatchGetItem", {"RequestItems": {TABLE: {"Keys": [KEY]}}}),
    (
        "BatchWriteItem",
        {"RequestItems": {TABLE: [{"PutRequest": {"Item": {"pk": {"S": "b"}, "sk": {"S": "1"}}}}]}},
    ),
    ("TransactGetItems", {"TransactItems": [{"Get": {"TableName": TABLE, "Key": KEY}}]}),
    (
        "TransactWriteItems",
        {
            "TransactItems": [
                {"Put": {"TableName": TABLE, "Item": {"pk": {"S": "c"}, "sk": {"S": "1"}}}}
            ]
        },
    ),
    ("DeleteItem", {"TableName": TABLE, "Key": {"pk": {"S": "c"}, "sk": {"S": "1"}}}),
    (
        "UpdateTimeToLive",
        {"TableName": TABLE, "TimeToLiveSpecification": {"Enabled": True, "AttributeName": "ttl"}},
    ),
    ("DescribeTimeToLive", {"TableName": TABLE}),
    (
        "ListTagsOfResource",
        {"ResourceArn": f"arn:aws:dynamodb:us-east-1:123456789012:table/{TABLE}"},
    ),
    ("DescribeLimits", {}),
    ("DescribeEndpoints", {}),
    ("DescribeContinuousBackups", {"TableName": TABLE}),
    ("DeleteTable", {"TableName": TABLE}),
]


def _nulls(value: Any, path: str = "") -> Iterator[str]:
    if value is None:
        yield path or "<body>"
    elif isinstance(value, dict):
        for key, inner in value.items():
            yield from _nulls(inner, f"{path}.{key}")
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _nulls(inner, f"{path}[{index}]")


def test_no_operation_answers_null_or_a_member_outside_its_model(ddb: Any) -> None:
    model = botocore.session.get_session().get_service_model("dynamodb")
    bodies: list[tuple[str, Any]] = []

    def keep(operation_model: Any, response_dict: dict[str, Any], **_: Any) -> None:
        bodies.append((operation_model.name, json.loads(response_dict["body"] or b"{}")))

    ddb.meta.events.register("before-parse.dynamodb.*", keep)
    try:
        for operation, params in CALLS:
            method = "".join(f"_{c.lower()}" if c.isupper() else c for c in operation)[1:]
            getattr(ddb, method)(**params)
    finally:
        ddb.meta.events.unregister("before-parse.dynamodb.*", keep)
    assert [name for name, _ in bodies] == [name for name, _ in CALLS]
    for operation, body in bodies:
        assert list(_nulls(body)) == [], operation
        members = set(model.operation_model(operation).output_shape.members)
        assert set(body) <= members, (operation, set(body) - members)
