"""Locations in locations' own DynamoDB table, through plain boto3."""

from __future__ import annotations

import os
from typing import Any, Protocol

import boto3

from locations.domain import Location


class LocationStore(Protocol):
    def get(self, user_id: str) -> Location | None: ...

    def put(self, location: Location) -> bool:
        """Store it unless a newer location is stored already; True when stored."""


class DynamoLocationStore:
    def __init__(self, table: str | None = None, client: Any = None) -> None:
        self.table = table or os.environ["TABLE_NAME"]
        self.ddb = client or boto3.client("dynamodb")

    def get(self, user_id: str) -> Location | None:
        item = self.ddb.get_item(
            TableName=self.table, Key={"userId": {"S": user_id}}, ConsistentRead=True
        ).get("Item")
        if item is None:
            return None
        return Location(
            user_id=user_id,
            latitude=float(item["latitude"]["N"]),
            longitude=float(item["longitude"]["N"]),
            place=item["place"]["S"],
            updated_at=item["updatedAt"]["S"],
        )

    def put(self, location: Location) -> bool:
        try:
            self.ddb.put_item(
                TableName=self.table,
                Item={
                    "userId": {"S": location.user_id},
                    "latitude": {"N": f"{location.latitude:.6f}"},
                    "longitude": {"N": f"{location.longitude:.6f}"},
                    "place": {"S": location.place},
                    "updatedAt": {"S": location.updated_at},
                },
                # Same-format UTC timestamps order as strings: an update that arrives
                # late (an older position) must not overwrite a newer one.
                ConditionExpression="attribute_not_exists(userId) OR updatedAt <= :t",
                ExpressionAttributeValues={":t": {"S": location.updated_at}},
            )
        except self.ddb.exceptions.ConditionalCheckFailedException:
            return False
        return True
