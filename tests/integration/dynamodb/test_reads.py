"""Query and Scan over boto3: sort orders, pagination, indexes, Select, segments, 1 MB pages."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.integration

NUMBERS = ["-1E+10", "-100", "-2.5", "-1", "0", "0.001", "1", "1.5", "10", "99", "1E+20"]


@pytest.fixture(scope="module", autouse=True)
def tables(ddb: Any) -> None:
    ddb.create_table(
        TableName="reads_n",
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
            {"AttributeName": "rank", "AttributeType": "N"},
            {"AttributeName": "team", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
        LocalSecondaryIndexes=[
            {
                "IndexName": "by_rank",
                "KeySchema": [
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "rank", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by_team",
                "KeySchema": [
                    {"AttributeName": "team", "KeyType": "HASH"},
                    {"AttributeName": "rank", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["label"]},
            }
        ],
    )
    for i, number in enumerate(NUMBERS):
        ddb.put_item(
            TableName="reads_n",
            Item={
                "pk": {"S": "p"},
                "sk": {"N": number},
                "rank": {"N": str(100 - i)},
                "team": {"S": "red" if i % 2 else "blue"},
                "label": {"S": f"item{i}"},
                "extra": {"S": "not projected"},
            },
        )
    ddb.create_table(
        TableName="reads_b",
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "B"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    for raw in (b"\xff", b"\x00", b"\x7f", b"\x80", b"\x00\x01", b"ab", b"abc", b"b"):
        ddb.put_item(TableName="reads_b", Item={"pk": {"S": "p"}, "sk": {"B": raw}})


def query(ddb: Any, **kwargs: Any) -> dict[str, Any]:
    result: dict[str, Any] = ddb.query(
        TableName="reads_n",
        KeyConditionExpression=kwargs.pop("condition", "pk = :p"),
        ExpressionAttributeValues={":p": {"S": "p"}, **kwargs.pop("values", {})},
        **kwargs,
    )
    return result


def test_numbers_sort_numerically(ddb: Any) -> None:
    items = query(ddb)["Items"]
    assert [i["sk"]["N"] for i in items] == [
        "-10000000000", "-100", "-2.5", "-1", "0", "0.001", "1", "1.5", "10", "99",
        "100000000000000000000",
    ]  # fmt: skip
    backwards = query(ddb, ScanIndexForward=False)["Items"]
    assert backwards == items[::-1]


def test_binaries_sort_as_unsigned_bytes(ddb: Any) -> None:
    items = ddb.query(
        TableName="reads_b",
        KeyConditionExpression="pk = :p AND begins_with(sk, :prefix)",
        ExpressionAttributeValues={":p": {"S": "p"}, ":prefix": {"B": b"a"}},
    )["Items"]
    assert [i["sk"]["B"] for i in items] == [b"ab", b"abc"]
    everything = ddb.query(
        TableName="reads_b",
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "p"}},
    )["Items"]
    assert [i["sk"]["B"] for i in everything] == [
        b"\x00", b"\x00\x01", b"ab", b"abc", b"b", b"\x7f", b"\x80", b"\xff"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("condition", "values", "expected"),
    [
        ("pk = :p AND sk = :v", {":v": {"N": "1.50"}}, ["1.5"]),
        ("pk = :p AND sk < :v", {":v": {"N": "-1"}}, ["-10000000000", "-100", "-2.5"]),
        ("pk = :p AND sk <= :v", {":v": {"N": "-1"}}, ["-10000000000", "-100", "-2.5", "-1"]),
        ("pk = :p AND sk > :v", {":v": {"N": "10"}}, ["99", "100000000000000000000"]),
        ("pk = :p AND sk >= :v", {":v": {"N": "99"}}, ["99", "100000000000000000000"]),
        ("pk = :p AND sk BETWEEN :a AND :b", {":a": {"N": "-1"}, ":b": {"N": "1"}},
         ["-1", "0", "0.001", "1"]),
    ],
)  # fmt: skip
def test_sort_key_conditions(ddb: Any, condition: str, values: dict[str, Any], expected: list[str]):
    items = query(ddb, condition=condition, values=values)["Items"]
    assert [i["sk"]["N"] for i in items] == expected


def test_pagination_with_limit_and_filter(ddb: Any) -> None:
    seen: list[str] = []
    kwargs: dict[str, Any] = {
        "Limit": 3,
        "FilterExpression": "team = :red",
        "values": {":red": {"S": "red"}},
    }
    pages = 0
    scanned = 0
    while True:
        page = query(ddb, **dict(kwargs, values=dict(kwargs["values"])))
        pages += 1
        scanned += page["ScannedCount"]
        assert page["ScannedCount"] <= 3
        seen += [i["sk"]["N"] for i in page["Items"]]
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    assert seen == [n for i, n in enumerate(query(ddb)["Items"]) if i % 2 for n in [n["sk"]["N"]]]
    assert scanned == len(NUMBERS)
    assert pages == 4  # 3 + 3 + 3 + 2: the last page ends the partition


def test_a_page_ending_exactly_at_the_end_still_has_a_last_evaluated_key(ddb: Any) -> None:
    # DynamoDB does not look ahead: Limit equal to the number of items gives a
    # LastEvaluatedKey, and the next page is empty.
    first = query(ddb, Limit=len(NUMBERS))
    assert "LastEvaluatedKey" in first
    second = query(ddb, ExclusiveStartKey=first["LastEvaluatedKey"])
    assert second["Items"] == []
    assert "LastEvaluatedKey" not in second


def test_select_count_and_specific_attributes(ddb: Any) -> None:
    counted = query(ddb, Select="COUNT", FilterExpression="team = :red",
                    values={":red": {"S": "red"}})  # fmt: skip
    assert "Items" not in counted
    assert (counted["Count"], counted["ScannedCount"]) == (5, 11)
    specific = query(ddb, ProjectionExpression="label", Limit=1)
    assert specific["Items"] == [{"label": {"S": "item0"}}]


def test_local_and_global_secondary_indexes(ddb: Any) -> None:
    lsi = query(ddb, IndexName="by_rank", Limit=2)
    assert [i["rank"]["N"] for i in lsi["Items"]] == ["90", "91"]
    assert set(lsi["Items"][0]) == {"pk", "sk", "rank"}  # KEYS_ONLY
    assert set(lsi["LastEvaluatedKey"]) == {"pk", "sk", "rank"}
    following = query(ddb, IndexName="by_rank", Limit=2,
                      ExclusiveStartKey=lsi["LastEvaluatedKey"])  # fmt: skip
    assert [i["rank"]["N"] for i in following["Items"]] == ["92", "93"]
    full = query(ddb, IndexName="by_rank", Select="ALL_ATTRIBUTES", Limit=1)
    assert "extra" in full["Items"][0]  # an LSI fetches the rest from the table
    gsi = ddb.query(
        TableName="reads_n",
        IndexName="by_team",
        KeyConditionExpression="team = :t AND #r > :r",
        ExpressionAttributeNames={"#r": "rank"},
        ExpressionAttributeValues={":t": {"S": "red"}, ":r": {"N": "95"}},
    )
    assert [i["rank"]["N"] for i in gsi["Items"]] == ["97", "99"]
    assert set(gsi["Items"][0]) == {"pk", "sk", "rank", "team", "label"}  # INCLUDE label
    with pytest.raises(Exception) as caught:
        ddb.query(
            TableName="reads_n",
            IndexName="by_team",
            KeyConditionExpression="team = :t",
            ExpressionAttributeValues={":t": {"S": "red"}},
            Select="ALL_ATTRIBUTES",
        )
    assert "projection type is not ALL" in str(caught.value)
    with pytest.raises(Exception) as caught:
        ddb.query(
            TableName="reads_n",
            IndexName="by_team",
            KeyConditionExpression="team = :t",
            ExpressionAttributeValues={":t": {"S": "red"}},
            ConsistentRead=True,
        )
    assert "Consistent reads are not supported on global secondary indexes" in str(caught.value)


def test_parallel_scan_segments_partition_the_table(ddb: Any) -> None:
    for i in range(60):
        ddb.put_item(TableName="reads_b", Item={"pk": {"S": f"s{i}"}, "sk": {"B": b"x"}})
    everything = ddb.scan(TableName="reads_b")["Items"]
    segments = [
        ddb.scan(TableName="reads_b", Segment=s, TotalSegments=4)["Items"] for s in range(4)
    ]
    assert sum(len(s) for s in segments) == len(everything) == 68
    assert all(segments)  # the hash spreads 60 partition keys over all four
    keys = [(i["pk"]["S"], i["sk"]["B"]) for s in segments for i in s]
    assert sorted(keys) == sorted((i["pk"]["S"], i["sk"]["B"]) for i in everything)
    with pytest.raises(Exception) as caught:
        ddb.scan(TableName="reads_b", Segment=4, TotalSegments=4)
    assert "Segment" in str(caught.value)
    paginator = ddb.get_paginator("scan")
    pages = list(paginator.paginate(TableName="reads_b", PaginationConfig={"PageSize": 7}))
    assert sum(p["Count"] for p in pages) == 68


def test_pages_stop_at_one_megabyte(ddb: Any) -> None:
    ddb.create_table(
        TableName="reads_big",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    blob = "x" * 300_000
    for i in range(8):
        ddb.put_item(TableName="reads_big", Item={"pk": {"S": str(i)}, "blob": {"S": blob}})
    first = ddb.scan(TableName="reads_big", ReturnConsumedCapacity="TOTAL")
    assert first["ScannedCount"] == 4  # 4 x 300 KB crosses 1 MB
    assert "LastEvaluatedKey" in first
    # ceil(4 x 300,007 bytes / 4 KB) = 293 units, halved for an eventually consistent read
    assert first["ConsumedCapacity"]["CapacityUnits"] == 146.5
    rest = ddb.scan(TableName="reads_big", ExclusiveStartKey=first["LastEvaluatedKey"])
    assert first["Count"] + rest["Count"] == 8


def test_legacy_key_conditions_and_filters(ddb: Any) -> None:
    result = ddb.query(
        TableName="reads_n",
        KeyConditions={
            "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "p"}]},
            "sk": {"ComparisonOperator": "GE", "AttributeValueList": [{"N": "10"}]},
        },
        QueryFilter={"team": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "red"}]}},
        AttributesToGet=["sk", "team"],
    )
    assert result["Items"] == [{"sk": {"N": "99"}, "team": {"S": "red"}}]
    scanned = ddb.scan(
        TableName="reads_n",
        ScanFilter={
            "label": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"S": "item1"}]},
            "rank": {"ComparisonOperator": "NOT_NULL"},
        },
        Select="COUNT",
    )
    assert scanned["Count"] == 2  # item1, item10
    with pytest.raises(Exception) as caught:
        ddb.query(
            TableName="reads_n",
            KeyConditionExpression="pk = :p",
            KeyConditions={"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "p"}]}},
            ExpressionAttributeValues={":p": {"S": "p"}},
        )
    assert "Can not use both expression and non-expression parameters" in str(caught.value)
