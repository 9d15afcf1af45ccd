"""Profiles in profiles' own DynamoDB table, through plain boto3."""

from __future__ import annotations

import os
from typing import Any, Protocol

import boto3

from profiles.domain import Profile


class ProfileStore(Protocol):
    def get(self, user_id: str) -> Profile | None: ...

    def put(self, profile: Profile) -> bool:
        """Create or replace; True when the profile is new."""


class DynamoProfileStore:
    def __init__(self, table: str | None = None, client: Any = None) -> None:
        self.table = table or os.environ["TABLE_NAME"]
        self.ddb = client or boto3.client("dynamodb")

    def get(self, user_id: str) -> Profile | None:
        item = self.ddb.get_item(
            TableName=self.table, Key={"userId": {"S": user_id}}, ConsistentRead=True
        ).get("Item")
        if item is None:
            return None
        return Profile(
            user_id=user_id,
            display_name=item["displayName"]["S"],
            bio=item["bio"]["S"],
            updated_at=item["updatedAt"]["S"],
        )

    def put(self, profile: Profile) -> bool:
        old = self.ddb.put_item(
            TableName=self.table,
            Item={
                "userId": {"S": profile.user_id},
                "displayName": {"S": profile.display_name},
                "bio": {"S": profile.bio},
                "updatedAt": {"S": profile.updated_at},
            },
            ReturnValues="ALL_OLD",
        ).get("Attributes")
        return not old
