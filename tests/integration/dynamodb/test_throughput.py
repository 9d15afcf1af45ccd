"""Provisioned capacity over the wire: a PROVISIONED table throttles with AWS's
ProvisionedThroughputExceededException once its bucket is spent, refills on the clock,
follows UpdateTable, and ReturnConsumedCapacity reports what was taken."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.integration.dynamodb.conftest import client, serve_dynamodb

KEY = [{"AttributeName": "k", "KeyType": "HASH"}]
ATTRS = [{"AttributeName": "k", "AttributeType": "S"}]


class Frozen:
    """A clock that moves only when the test moves it."""

    def __init__(self) -> None:
        self.offset = 1_800_000_000.0

    def __call__(self) -> float:
        return self.offset


def _reads_until_throttled(ddb: Any, limit: int = 100) -> int:
    for done in range(limit):
        try:
            ddb.get_item(TableName="Prov", Key={"k": {"S": "a"}}, ConsistentRead=True)
        except ClientError as error:
            assert error.response["Error"]["Code"] == "ProvisionedThroughputExceededException"
            assert error.response["Error"]["Message"] == (
                "The level of configured provisioned throughput for the table was exceeded. "
                "Consider increasing your provisioning level with the UpdateTable API."
            )
            return done
    pytest.fail("never throttled")


def test_a_provisioned_table_throttles_refills_and_follows_update_table(tmp_path: Path) -> None:
    clock = Frozen()
    with serve_dynamodb(tmp_path, clock) as endpoint:
        ddb = client(endpoint.url)  # retries off: botocore retries throttles otherwise
        ddb.create_table(
            TableName="Prov",
            KeySchema=KEY,
            AttributeDefinitions=ATTRS,
            ProvisionedThroughput={"ReadCapacityUnits": 2, "WriteCapacityUnits": 5},
        )
        put = ddb.put_item(
            TableName="Prov",
            Item={"k": {"S": "a"}, "v": {"S": "x" * 5000}},
            ReturnConsumedCapacity="TOTAL",
        )
        assert put["ConsumedCapacity"]["CapacityUnits"] == 5.0  # 5 KB item: 5 WCU
        # 5 KB strongly consistent: 2 RCU a read; the bucket starts with one second (2).
        assert _reads_until_throttled(ddb) == 1
        clock.offset += 4.0  # 8 RCU more
        assert _reads_until_throttled(ddb) == 4
        ddb.update_table(
            TableName="Prov",
            ProvisionedThroughput={"ReadCapacityUnits": 20, "WriteCapacityUnits": 5},
        )
        clock.offset += 1.0
        assert _reads_until_throttled(ddb) == 10
