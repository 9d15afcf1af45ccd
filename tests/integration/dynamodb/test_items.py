"""Item operations over boto3: conditions, return values, capacity, limits, errors."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import boto3
import pytest
from boto3.dynamodb.conditions import Attr

from .conftest import Endpoint

pytestmark = pytest.mark.integration

TABLE = "items"


@pytest.fixture(scope="module", autouse=True)
def table(ddb: Any) -> None:
    ddb.create_table(
        TableName=TABLE,
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "email", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by_email",
                "KeySchema": [{"AttributeName": "email", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
    )


def key(pk: str, sk: str = "s") -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def error(call: Any) -> dict[str, Any]:
    with pytest.raises(Exception) as caught:
        call()
    response: dict[str, Any] = caught.value.response  # type: ignore[attr-defined]
    return response


def test_every_attribute_type_round_trips(ddb: Any) -> None:
    item = {
        **key("types"),
        "s": {"S": "héllo"},
        "n": {"N": "-12.500"},
        "b": {"B": b"\x00\xff"},
        "bool": {"BOOL": False},
        "null": {"NULL": True},
        "l": {"L": [{"S": "a"}, {"N": "1"}]},
        "m": {"M": {"nested": {"M": {"deep": {"SS": ["x", "y"]}}}}},
        "ss": {"SS": ["a", "b"]},
        "ns": {"NS": ["1", "2.50"]},
        "bs": {"BS": [b"\x01", b"\x02"]},
        "empty": {"S": ""},
    }
    ddb.put_item(TableName=TABLE, Item=item)
    got = ddb.get_item(TableName=TABLE, Key=key("types"), ConsistentRead=True)["Item"]
    assert got["n"] == {"N": "-12.5"}  # numbers are normalised
    assert got["b"] == {"B": b"\x00\xff"}
    assert sorted(got["ns"]["NS"]) == ["1", "2.5"]
    assert sorted(got["bs"]["BS"]) == [b"\x01", b"\x02"]
    assert {k: v for k, v in got.items() if k not in ("n", "ns", "bs")} == {
        k: v for k, v in item.items() if k not in ("n", "ns", "bs")
    }


def test_conditional_writes_and_return_values(ddb: Any) -> None:
    ddb.put_item(TableName=TABLE, Item={**key("c"), "v": {"N": "1"}})
    failed = error(
        lambda: ddb.put_item(
            TableName=TABLE,
            Item={**key("c"), "v": {"N": "2"}},
            ConditionExpression="attribute_not_exists(pk)",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    )
    assert failed["Error"] == {
        "Code": "ConditionalCheckFailedException",
        "Message": "The conditional request failed",
    }
    assert failed["Item"] == {**key("c"), "v": {"N": "1"}}
    old = ddb.put_item(
        TableName=TABLE,
        Item={**key("c"), "v": {"N": "2"}},
        ConditionExpression="v = :one",
        ExpressionAttributeValues={":one": {"N": "1"}},
        ReturnValues="ALL_OLD",
    )
    assert old["Attributes"]["v"] == {"N": "1"}
    updated = ddb.update_item(
        TableName=TABLE,
        Key=key("c"),
        UpdateExpression="SET v = v + :inc, tags = :tags REMOVE gone",
        ExpressionAttributeValues={":inc": {"N": "10"}, ":tags": {"SS": ["t"]}},
        ReturnValues="UPDATED_NEW",
    )
    assert updated["Attributes"] == {"v": {"N": "12"}, "tags": {"SS": ["t"]}}
    deleted = ddb.delete_item(TableName=TABLE, Key=key("c"), ReturnValues="ALL_OLD")
    assert deleted["Attributes"]["v"] == {"N": "12"}
    assert "Item" not in ddb.get_item(TableName=TABLE, Key=key("c"))


def test_update_creates_the_item(ddb: Any) -> None:
    result = ddb.update_item(
        TableName=TABLE,
        Key=key("counter"),
        UpdateExpression="ADD hits :one",
        ExpressionAttributeValues={":one": {"N": "1"}},
        ReturnValues="ALL_NEW",
    )
    assert result["Attributes"] == {**key("counter"), "hits": {"N": "1"}}


def test_return_values_are_validated(ddb: Any) -> None:
    response = error(lambda: ddb.put_item(TableName=TABLE, Item=key("x"), ReturnValues="ALL_NEW"))
    assert response["Error"]["Message"] == "Return values set to invalid value"


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        ({"Item": {"pk": {"S": "a"}}}, "One or more parameter values were invalid: Missing the "
         "key sk in the item"),
        ({"Item": {"pk": {"S": "a"}, "sk": {"N": "1"}}}, "One or more parameter values were "
         "invalid: Type mismatch for key sk expected: S actual: N"),
        ({"Item": {"pk": {"S": ""}, "sk": {"S": "a"}}}, "One or more parameter values are not "
         "valid. The AttributeValue for a key attribute cannot contain an empty string value. "
         "Key: pk"),
        ({"Item": {**key("a"), "email": {"N": "1"}}}, "One or more parameter values were "
         "invalid: Type mismatch for Index Key email Expected: S Actual: N IndexName: by_email"),
        ({"Item": key("a"), "ConditionExpression": "a = :v"}, "Invalid ConditionExpression: An "
         "expression attribute value used in expression is not defined; attribute value: :v"),
        ({"Item": key("a"), "ConditionExpression": "attribute_exists(pk)",
          "ExpressionAttributeValues": {":v": {"S": "x"}}}, "1 validation error detected: Value "
         "provided in ExpressionAttributeValues unused in expressions: keys: {:v}"),
        ({"Item": {**key("a"), "big": {"S": "x" * 410_000}}}, "Item size has exceeded the "
         "maximum allowed size"),
    ],
)  # fmt: skip
def test_put_item_errors(ddb: Any, request_: dict[str, Any], message: str) -> None:
    response = error(lambda: ddb.put_item(TableName=TABLE, **request_))
    assert response["Error"] == {"Code": "ValidationException", "Message": message}


def test_missing_table_and_bad_keys(ddb: Any) -> None:
    response = error(lambda: ddb.get_item(TableName="nope", Key=key("a")))
    assert response["Error"]["Code"] == "ResourceNotFoundException"
    assert response["Error"]["Message"] == "Requested resource not found"
    response = error(lambda: ddb.get_item(TableName=TABLE, Key={"pk": {"S": "a"}}))
    assert response["Error"]["Message"] == "The provided key element does not match the schema"
    response = error(
        lambda: ddb.update_item(
            TableName=TABLE,
            Key=key("a"),
            UpdateExpression="SET sk = :v",
            ExpressionAttributeValues={":v": {"S": "b"}},
        )
    )
    assert response["Error"]["Message"] == (
        "One or more parameter values were invalid: Cannot update attribute sk. This attribute "
        "is part of the key"
    )


def test_item_size_limit_is_400_kb(ddb: Any) -> None:
    # 400 KB = 409,600 bytes, counting attribute names and the key.
    overhead = len("pk") + len("big") + len("sk") + len("limit") + len("s")
    ddb.put_item(TableName=TABLE, Item={**key("limit"), "big": {"S": "x" * (409_600 - overhead)}})
    response = error(
        lambda: ddb.put_item(
            TableName=TABLE, Item={**key("limit"), "big": {"S": "x" * (409_601 - overhead)}}
        )
    )
    assert response["Error"]["Message"] == "Item size has exceeded the maximum allowed size"
    response = error(
        lambda: ddb.update_item(
            TableName=TABLE,
            Key=key("limit"),
            UpdateExpression="SET more = :v",
            ExpressionAttributeValues={":v": {"S": "y"}},
        )
    )
    assert (
        response["Error"]["Message"] == "Item size to update has exceeded the maximum allowed size"
    )


def test_consumed_capacity(ddb: Any) -> None:
    ddb.put_item(TableName=TABLE, Item={**key("cap"), "data": {"S": "x" * 5000}})
    read = ddb.get_item(TableName=TABLE, Key=key("cap"), ReturnConsumedCapacity="TOTAL")
    assert read["ConsumedCapacity"] == {
        "TableName": TABLE,
        "CapacityUnits": 1.0,  # 5 KB: 2 units of 4 KB, halved (eventually consistent)
        "ReadCapacityUnits": 1.0,
    }
    strong = ddb.get_item(
        TableName=TABLE, Key=key("cap"), ConsistentRead=True, ReturnConsumedCapacity="TOTAL"
    )
    assert strong["ConsumedCapacity"]["CapacityUnits"] == 2.0
    write = ddb.put_item(
        TableName=TABLE,
        Item={**key("cap"), "email": {"S": "a@example.com"}},
        ReturnConsumedCapacity="INDEXES",
    )
    # 5 units: the old item was 5 KB (the larger of old and new); plus 1 for the index.
    assert write["ConsumedCapacity"] == {
        "TableName": TABLE,
        "CapacityUnits": 6.0,
        "WriteCapacityUnits": 6.0,
        "Table": {"CapacityUnits": 5.0, "WriteCapacityUnits": 5.0},
        "GlobalSecondaryIndexes": {"by_email": {"CapacityUnits": 1.0, "WriteCapacityUnits": 1.0}},
    }


def test_legacy_parameters(ddb: Any) -> None:
    ddb.put_item(
        TableName=TABLE,
        Item={**key("legacy"), "v": {"N": "1"}, "l": {"L": []}},
        Expected={"pk": {"Exists": False}},
    )
    ddb.update_item(
        TableName=TABLE,
        Key=key("legacy"),
        AttributeUpdates={
            "v": {"Action": "ADD", "Value": {"N": "2"}},
            "l": {"Action": "ADD", "Value": {"L": [{"S": "x"}]}},
            "w": {"Action": "PUT", "Value": {"S": "w"}},
        },
        Expected={"v": {"ComparisonOperator": "EQ", "AttributeValueList": [{"N": "1"}]}},
    )
    got = ddb.get_item(TableName=TABLE, Key=key("legacy"), AttributesToGet=["v", "l", "w"])
    assert got["Item"] == {"v": {"N": "3"}, "l": {"L": [{"S": "x"}]}, "w": {"S": "w"}}
    response = error(
        lambda: ddb.put_item(
            TableName=TABLE, Item=key("legacy"), Expected={"v": {"Value": {"N": "9"}}}
        )
    )
    assert response["Error"]["Code"] == "ConditionalCheckFailedException"


def test_boto3_resource_layer(endpoint: Endpoint) -> None:
    """The high-level resource API (Decimal numbers, condition builders) works unchanged."""
    resource = boto3.resource(
        "dynamodb",
        endpoint_url=endpoint.url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )
    table = resource.Table(TABLE)
    table.put_item(Item={"pk": "res", "sk": "s", "price": Decimal("9.99"), "tags": {"a", "b"}})
    table.update_item(
        Key={"pk": "res", "sk": "s"},
        UpdateExpression="SET price = price + :x",
        ExpressionAttributeValues={":x": Decimal("0.01")},
        ConditionExpression=Attr("price").gt(5),
    )
    item = table.get_item(Key={"pk": "res", "sk": "s"})["Item"]
    assert item["price"] == Decimal("10")
    assert item["tags"] == {"a", "b"}
