"""Table operations over boto3: create, describe, list, update (GSIs, billing), delete,
TTL and tags."""

from __future__ import annotations

import itertools
import time
from pathlib import Path
from typing import Any

import pytest

from .conftest import FakeClock, client, serve_dynamodb

pytestmark = pytest.mark.integration
_names = itertools.count()


def create(ddb: Any, **extra: Any) -> str:
    name = f"tables{next(_names)}"
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        **extra,
    )
    return name


def error_of(call: Any) -> tuple[str, str]:
    with pytest.raises(Exception) as caught:
        call()
    response = caught.value.response  # type: ignore[attr-defined]
    return response["Error"]["Code"], response["Error"]["Message"]


def test_create_describe_list_delete(ddb: Any) -> None:
    created = ddb.create_table(
        TableName="lifecycle",
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
        ],
        ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 2},
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )["TableDescription"]
    assert created["TableStatus"] == "CREATING"  # as AWS answers; usable at once
    ddb.get_waiter("table_exists").wait(TableName="lifecycle", WaiterConfig={"Delay": 1})
    table = ddb.describe_table(TableName="lifecycle")["Table"]
    assert table["TableStatus"] == "ACTIVE"
    assert table["TableArn"] == "arn:aws:dynamodb:us-east-1:123456789012:table/lifecycle"
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 5
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    assert table["LatestStreamArn"].startswith(table["TableArn"] + "/stream/")
    ddb.put_item(TableName="lifecycle", Item={"pk": {"S": "a"}, "sk": {"N": "1"}})
    assert ddb.describe_table(TableName="lifecycle")["Table"]["ItemCount"] == 1
    assert "lifecycle" in ddb.list_tables()["TableNames"]
    assert ddb.delete_table(TableName="lifecycle")["TableDescription"]["TableStatus"] == "DELETING"
    code, message = error_of(lambda: ddb.describe_table(TableName="lifecycle"))
    assert (code, message) == (
        "ResourceNotFoundException",
        "Requested resource not found: Table: lifecycle not found",
    )


def test_create_table_errors(ddb: Any) -> None:
    name = create(ddb)
    assert error_of(lambda: create_named(ddb, name)) == (
        "ResourceInUseException",
        f"Table already exists: {name}",
    )
    code, message = error_of(
        lambda: ddb.create_table(
            TableName="bad_keys",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "other", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    )
    assert code == "ValidationException"
    assert message == (
        "One or more parameter values were invalid: Some index key attributes are not defined "
        "in AttributeDefinitions. Keys: [pk], AttributeDefinitions: [other]"
    )
    _, message = error_of(
        lambda: ddb.create_table(
            TableName="no_throughput",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        )
    )
    assert message == "No provisioned throughput specified for the table"


def create_named(ddb: Any, name: str) -> None:
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


def test_list_tables_paginates(ddb: Any) -> None:
    names = sorted(create(ddb) for _ in range(5))
    seen: list[str] = []
    kwargs: dict[str, Any] = {"Limit": 2}
    while True:
        page = ddb.list_tables(**kwargs)
        assert len(page["TableNames"]) <= 2
        seen += page["TableNames"]
        if "LastEvaluatedTableName" not in page:
            break
        kwargs["ExclusiveStartTableName"] = page["LastEvaluatedTableName"]
    assert set(names) <= set(seen)
    assert seen == sorted(seen)
    paginator = ddb.get_paginator("list_tables")
    assert set(names) <= {n for page in paginator.paginate() for n in page["TableNames"]}


def test_update_table_adds_backfills_and_removes_a_gsi(ddb: Any) -> None:
    name = create(ddb)
    for i in range(5):
        ddb.put_item(
            TableName=name,
            Item={"pk": {"S": f"p{i}"}, "colour": {"S": "red" if i % 2 else "blue"}},
        )
    response = ddb.update_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "colour", "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[
            {
                "Create": {
                    "IndexName": "by_colour",
                    "KeySchema": [{"AttributeName": "colour", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                }
            }
        ],
    )["TableDescription"]
    assert response["GlobalSecondaryIndexes"][0]["IndexStatus"] == "CREATING"
    red = ddb.query(
        TableName=name,
        IndexName="by_colour",
        KeyConditionExpression="colour = :c",
        ExpressionAttributeValues={":c": {"S": "red"}},
    )
    assert sorted(i["pk"]["S"] for i in red["Items"]) == ["p1", "p3"]
    assert set(red["Items"][0]) == {"pk", "colour"}  # KEYS_ONLY
    table = ddb.describe_table(TableName=name)["Table"]
    assert table["GlobalSecondaryIndexes"][0]["ItemCount"] == 5
    ddb.update_table(
        TableName=name, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by_colour"}}]
    )
    table = ddb.describe_table(TableName=name)["Table"]
    assert "GlobalSecondaryIndexes" not in table
    assert table["AttributeDefinitions"] == [{"AttributeName": "pk", "AttributeType": "S"}]
    _, message = error_of(
        lambda: ddb.query(
            TableName=name,
            IndexName="by_colour",
            KeyConditionExpression="colour = :c",
            ExpressionAttributeValues={":c": {"S": "red"}},
        )
    )
    assert message == "The table does not have the specified index: by_colour"


def test_update_table_billing_mode(ddb: Any) -> None:
    name = create(ddb)
    ddb.update_table(
        TableName=name,
        BillingMode="PROVISIONED",
        ProvisionedThroughput={"ReadCapacityUnits": 3, "WriteCapacityUnits": 4},
    )
    table = ddb.describe_table(TableName=name)["Table"]
    assert "BillingModeSummary" not in table
    assert table["ProvisionedThroughput"]["WriteCapacityUnits"] == 4
    ddb.update_table(TableName=name, BillingMode="PAY_PER_REQUEST")
    table = ddb.describe_table(TableName=name)["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"


def test_deletion_protection(ddb: Any) -> None:
    name = create(ddb, DeletionProtectionEnabled=True)
    code, message = error_of(lambda: ddb.delete_table(TableName=name))
    assert code == "ValidationException"
    assert "DeletionProtectionEnabled" in message
    ddb.update_table(TableName=name, DeletionProtectionEnabled=False)
    ddb.delete_table(TableName=name)


def test_tags(ddb: Any) -> None:
    name = create(ddb, Tags=[{"Key": "team", "Value": "a"}])
    arn = ddb.describe_table(TableName=name)["Table"]["TableArn"]
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "dev"}])
    ddb.untag_resource(ResourceArn=arn, TagKeys=["team"])
    assert ddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == [{"Key": "env", "Value": "dev"}]


def test_time_to_live_deletes_expired_items_in_the_background(tmp_path: Path) -> None:
    clock = FakeClock()
    with serve_dynamodb(tmp_path, clock) as endpoint:
        ddb = client(endpoint.url)
        name = create(ddb)
        assert ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"] == {
            "TimeToLiveStatus": "DISABLED"
        }
        now = int(clock())
        items = {
            "expired": {"N": str(now - 10)},
            "later": {"N": str(now + 3600)},
            "not_a_number": {"S": str(now - 10)},
            "ancient": {"N": str(now - 6 * 365 * 86400)},  # > 5 years: AWS ignores it
        }
        for pk, expires in items.items():
            ddb.put_item(TableName=name, Item={"pk": {"S": pk}, "expires": expires})
        ddb.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"},
        )
        assert ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"] == {
            "TimeToLiveStatus": "ENABLED",
            "AttributeName": "expires",
        }
        _, message = error_of(
            lambda: ddb.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"},
            )
        )
        assert message == "TimeToLive is already enabled"

        def remaining() -> set[str]:
            return {i["pk"]["S"] for i in ddb.scan(TableName=name, ConsistentRead=True)["Items"]}

        deadline = time.monotonic() + 5
        while "expired" in remaining() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert remaining() == {"later", "not_a_number", "ancient"}
        clock.offset = 7200  # two hours on: "later" has expired too
        deadline = time.monotonic() + 5
        while "later" in remaining() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert remaining() == {"not_a_number", "ancient"}
