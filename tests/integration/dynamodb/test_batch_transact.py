"""BatchGetItem, BatchWriteItem, TransactWriteItems, TransactGetItems over boto3."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.integration

TABLE = "batches"


@pytest.fixture(scope="module", autouse=True)
def table(ddb: Any) -> None:
    ddb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


def key(i: object) -> dict[str, Any]:
    return {"id": {"S": str(i)}}


def error(call: Any) -> dict[str, Any]:
    with pytest.raises(Exception) as caught:
        call()
    response: dict[str, Any] = caught.value.response  # type: ignore[attr-defined]
    return response


def test_batch_write_and_get(ddb: Any) -> None:
    puts = [{"PutRequest": {"Item": {**key(i), "n": {"N": str(i)}}}} for i in range(25)]
    assert ddb.batch_write_item(RequestItems={TABLE: puts})["UnprocessedItems"] == {}
    got = ddb.batch_get_item(
        RequestItems={
            TABLE: {
                "Keys": [key(i) for i in range(0, 25, 5)] + [key("missing")],
                "ProjectionExpression": "n",
            }
        },
        ReturnConsumedCapacity="TOTAL",
    )
    assert sorted(int(i["n"]["N"]) for i in got["Responses"][TABLE]) == [0, 5, 10, 15, 20]
    assert got["UnprocessedKeys"] == {}
    assert got["ConsumedCapacity"] == [
        {"TableName": TABLE, "CapacityUnits": 3.0, "ReadCapacityUnits": 3.0}
    ]
    deletes = [{"DeleteRequest": {"Key": key(i)}} for i in range(10)]
    ddb.batch_write_item(RequestItems={TABLE: deletes})
    assert ddb.scan(TableName=TABLE, Select="COUNT")["Count"] == 15


def test_batch_limits_and_duplicates(ddb: Any) -> None:
    too_many = [{"PutRequest": {"Item": key(i)}} for i in range(26)]
    response = error(lambda: ddb.batch_write_item(RequestItems={TABLE: too_many}))
    assert response["Error"]["Message"] == "Too many items requested for the BatchWriteItem call"
    response = error(
        lambda: ddb.batch_get_item(RequestItems={TABLE: {"Keys": [key(i) for i in range(101)]}})
    )
    assert response["Error"]["Message"] == "Too many items requested for the BatchGetItem call"
    response = error(
        lambda: ddb.batch_write_item(
            RequestItems={
                TABLE: [{"PutRequest": {"Item": key(1)}}, {"DeleteRequest": {"Key": key(1)}}]
            }
        )
    )
    assert response["Error"]["Message"] == "Provided list of item keys contains duplicates"
    response = error(
        lambda: ddb.batch_write_item(RequestItems={"nope": [{"PutRequest": {"Item": key(1)}}]})
    )
    assert response["Error"]["Code"] == "ResourceNotFoundException"


def test_batch_get_returns_unprocessed_keys_past_16_mb(ddb: Any) -> None:
    blob = "x" * 399_000
    for start in range(0, 50, 25):
        ddb.batch_write_item(
            RequestItems={
                TABLE: [
                    {"PutRequest": {"Item": {**key(f"big{i}"), "blob": {"S": blob}}}}
                    for i in range(start, start + 25)
                ]
            }
        )
    keys = [key(f"big{i}") for i in range(50)]
    first = ddb.batch_get_item(RequestItems={TABLE: {"Keys": keys}})
    returned = len(first["Responses"][TABLE])
    assert 40 <= returned < 50  # 16 MB holds about 42 of these
    unprocessed = first["UnprocessedKeys"][TABLE]["Keys"]
    assert returned + len(unprocessed) == 50
    rest = ddb.batch_get_item(RequestItems=first["UnprocessedKeys"])
    assert len(rest["Responses"][TABLE]) == len(unprocessed)


def test_transaction_commits_everything_or_nothing(ddb: Any) -> None:
    ddb.put_item(TableName=TABLE, Item={**key("acct1"), "balance": {"N": "100"}})
    ddb.put_item(TableName=TABLE, Item={**key("acct2"), "balance": {"N": "0"}})

    def transfer(amount: int, note: str) -> Any:
        return ddb.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": TABLE,
                        "Key": key("acct1"),
                        "UpdateExpression": "SET balance = balance - :a",
                        "ConditionExpression": "balance >= :a",
                        "ExpressionAttributeValues": {":a": {"N": str(amount)}},
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                },
                {
                    "Update": {
                        "TableName": TABLE,
                        "Key": key("acct2"),
                        "UpdateExpression": "SET balance = balance + :a",
                        "ExpressionAttributeValues": {":a": {"N": str(amount)}},
                    }
                },
                {"Put": {"TableName": TABLE, "Item": {**key(note)}}},
            ],
            ReturnConsumedCapacity="TOTAL",
        )

    done = transfer(60, "first")
    assert done["ConsumedCapacity"] == [
        {"TableName": TABLE, "CapacityUnits": 6.0, "WriteCapacityUnits": 6.0}
    ]
    response = error(lambda: transfer(60, "second"))
    assert response["Error"]["Code"] == "TransactionCanceledException"
    assert response["Error"]["Message"] == (
        "Transaction cancelled, please refer cancellation reasons for specific reasons "
        "[ConditionalCheckFailed, None, None]"
    )
    assert response["CancellationReasons"] == [
        {
            "Code": "ConditionalCheckFailed",
            "Message": "The conditional request failed",
            "Item": {**key("acct1"), "balance": {"N": "40"}},
        },
        {"Code": "None"},
        {"Code": "None"},
    ]
    balances = [
        ddb.get_item(TableName=TABLE, Key=key(k))["Item"]["balance"]["N"]
        for k in ("acct1", "acct2")
    ]
    assert balances == ["40", "60"]
    assert "Item" in ddb.get_item(TableName=TABLE, Key=key("first"))
    assert "Item" not in ddb.get_item(TableName=TABLE, Key=key("second"))


def test_transaction_validation_errors(ddb: Any) -> None:
    same_item = [
        {"Put": {"TableName": TABLE, "Item": key("t1")}},
        {"Delete": {"TableName": TABLE, "Key": key("t1")}},
    ]
    response = error(lambda: ddb.transact_write_items(TransactItems=same_item))
    assert response["Error"]["Message"] == (
        "Transaction request cannot include multiple operations on one item"
    )
    missing_operand = [
        {"Put": {"TableName": TABLE, "Item": key("t2")}},
        {
            "Update": {
                "TableName": TABLE,
                "Key": key("t3"),
                "UpdateExpression": "SET n = absent + :one",
                "ExpressionAttributeValues": {":one": {"N": "1"}},
            }
        },
    ]
    response = error(lambda: ddb.transact_write_items(TransactItems=missing_operand))
    assert response["CancellationReasons"] == [
        {"Code": "None"},
        {
            "Code": "ValidationError",
            "Message": "The provided expression refers to an attribute that does not exist in "
            "the item",
        },
    ]
    assert "Item" not in ddb.get_item(TableName=TABLE, Key=key("t2"))
    response = error(
        lambda: ddb.transact_write_items(
            TransactItems=[{"Put": {"TableName": TABLE, "Item": key(i)}} for i in range(101)]
        )
    )
    assert response["Error"]["Code"] == "ValidationException"


def test_client_request_token_makes_a_transaction_idempotent(ddb: Any) -> None:
    ddb.put_item(TableName=TABLE, Item={**key("idem"), "n": {"N": "0"}})
    items = [
        {
            "Update": {
                "TableName": TABLE,
                "Key": key("idem"),
                "UpdateExpression": "ADD n :one",
                "ExpressionAttributeValues": {":one": {"N": "1"}},
            }
        }
    ]
    for _ in range(3):
        ddb.transact_write_items(TransactItems=items, ClientRequestToken="token-1")
    assert ddb.get_item(TableName=TABLE, Key=key("idem"))["Item"]["n"] == {"N": "1"}
    other = [{"Put": {"TableName": TABLE, "Item": key("idem")}}]
    response = error(
        lambda: ddb.transact_write_items(TransactItems=other, ClientRequestToken="token-1")
    )
    assert response["Error"]["Code"] == "IdempotentParameterMismatchException"
    ddb.transact_write_items(TransactItems=items, ClientRequestToken="token-2")
    assert ddb.get_item(TableName=TABLE, Key=key("idem"))["Item"]["n"] == {"N": "2"}


def test_transact_get_items(ddb: Any) -> None:
    ddb.put_item(TableName=TABLE, Item={**key("g1"), "a": {"S": "x"}, "b": {"S": "y"}})
    result = ddb.transact_get_items(
        TransactItems=[
            {"Get": {"TableName": TABLE, "Key": key("g1"), "ProjectionExpression": "a"}},
            {"Get": {"TableName": TABLE, "Key": key("absent")}},
        ],
        ReturnConsumedCapacity="TOTAL",
    )
    assert result["Responses"] == [{"Item": {"a": {"S": "x"}}}, {}]
    assert result["ConsumedCapacity"][0]["CapacityUnits"] == 4.0  # 2 per item, transactional
