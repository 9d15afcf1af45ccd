"""`serverlite up` with tables declared in the template: provisioning, and nothing
acknowledged is lost to a kill -9."""

from __future__ import annotations

import signal
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import Server, start_server

from .conftest import client

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Orders:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: orders
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions:
        - {AttributeName: pk, AttributeType: S}
        - {AttributeName: sk, AttributeType: S}
        - {AttributeName: status, AttributeType: S}
        - {AttributeName: total, AttributeType: N}
      KeySchema:
        - {AttributeName: pk, KeyType: HASH}
        - {AttributeName: sk, KeyType: RANGE}
      GlobalSecondaryIndexes:
        - IndexName: by_status
          KeySchema: [{AttributeName: status, KeyType: HASH}]
          Projection: {ProjectionType: ALL}
      LocalSecondaryIndexes:
        - IndexName: by_total
          KeySchema:
            - {AttributeName: pk, KeyType: HASH}
            - {AttributeName: total, KeyType: RANGE}
          Projection: {ProjectionType: KEYS_ONLY}
      TimeToLiveSpecification: {AttributeName: expires, Enabled: true}
      StreamSpecification: {StreamViewType: NEW_AND_OLD_IMAGES}
  Users:
    Type: AWS::Serverless::SimpleTable
{extra}
"""
SECOND_GSI = """\
        - IndexName: by_total_global
          KeySchema: [{AttributeName: total, KeyType: HASH}]
          Projection: {ProjectionType: KEYS_ONLY}
"""


def write_template(directory: Path, second_gsi: bool = False) -> Path:
    text = TEMPLATE.replace("{extra}", "")
    if second_gsi:
        text = text.replace(
            "          Projection: {ProjectionType: ALL}\n",
            "          Projection: {ProjectionType: ALL}\n" + SECOND_GSI,
        )
    path = directory / "template.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def ddb_of(server: Server) -> Any:
    return client(server.url)


def order(pk: str, sk: str, **attributes: Any) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}, **attributes}


def test_tables_from_the_template_survive_kill_9(tmp_path: Path) -> None:
    template = write_template(tmp_path)
    state = tmp_path / "state"
    server = start_server(template, state, "--no-reload")
    try:
        ddb = ddb_of(server)
        assert sorted(ddb.list_tables()["TableNames"]) == ["Users", "orders"]
        described = ddb.describe_table(TableName="orders")["Table"]
        assert described["GlobalSecondaryIndexes"][0]["IndexName"] == "by_status"
        assert described["LocalSecondaryIndexes"][0]["IndexName"] == "by_total"
        assert described["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
        assert ddb.describe_time_to_live(TableName="orders")["TimeToLiveDescription"] == {
            "TimeToLiveStatus": "ENABLED",
            "AttributeName": "expires",
        }
        users = ddb.describe_table(TableName="Users")["Table"]
        assert users["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
        assert users["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
        assert "orders" in server.output() and "created" in server.output()

        # Acknowledged writes of every kind, then kill -9 at once.
        ddb.put_item(
            TableName="orders",
            Item=order("c1", "o1", status={"S": "new"}, total={"N": "10"}),
        )
        ddb.update_item(
            TableName="orders",
            Key=order("c1", "o1"),
            UpdateExpression="SET #s = :paid, #t = #t + :more",
            ExpressionAttributeNames={"#s": "status", "#t": "total"},
            ExpressionAttributeValues={":paid": {"S": "paid"}, ":more": {"N": "5"}},
        )
        ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "orders", "Item": order("c1", "o2", total={"N": "7"})}},
                {"Put": {"TableName": "Users", "Item": {"id": {"S": "u1"}}}},
            ]
        )
        for i in range(50):
            ddb.put_item(TableName="orders", Item=order("bulk", f"{i:03}", total={"N": str(i)}))
    finally:
        server.stop(signal.SIGKILL)
    assert server.proc.returncode == -signal.SIGKILL

    server = start_server(template, state, "--no-reload")
    try:
        ddb = ddb_of(server)
        first = ddb.get_item(TableName="orders", Key=order("c1", "o1"), ConsistentRead=True)
        assert first["Item"] == order("c1", "o1", status={"S": "paid"}, total={"N": "15"})
        assert ddb.get_item(TableName="orders", Key=order("c1", "o2"))["Item"]["total"] == {
            "N": "7"
        }
        assert "Item" in ddb.get_item(TableName="Users", Key={"id": {"S": "u1"}})
        bulk = ddb.query(
            TableName="orders",
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "bulk"}},
            Select="COUNT",
        )
        assert bulk["Count"] == 50
        paid = ddb.query(
            TableName="orders",
            IndexName="by_status",
            KeyConditionExpression="#s = :paid",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":paid": {"S": "paid"}},
        )
        assert [i["sk"]["S"] for i in paid["Items"]] == ["o1"]
        assert "kept 52 items" in server.output()
    finally:
        server.stop()

    # A GSI added to the template is created and backfilled; the items stay.
    template = write_template(tmp_path, second_gsi=True)
    server = start_server(template, state, "--no-reload")
    try:
        ddb = ddb_of(server)
        found = ddb.query(
            TableName="orders",
            IndexName="by_total_global",
            KeyConditionExpression="#t = :t",
            ExpressionAttributeNames={"#t": "total"},
            ExpressionAttributeValues={":t": {"N": "15"}},
        )
        assert sorted(i["sk"]["S"] for i in found["Items"]) == ["015", "o1"]
        assert "+by_total_global" in server.output()
    finally:
        server.stop()
