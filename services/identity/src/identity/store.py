"""identity's table: users, their grants, refresh tokens and their families, rate-limit
counters.

One DynamoDB table keyed by ``pk``; items expire through the table's TTL attribute
``expiresAt``. DynamoDB deletes expired items lazily (within days), so every read
here also checks the time itself.
"""

from __future__ import annotations

import os
from typing import Any, Protocol

import boto3

from identity.domain import NO_GRANTS, Family, Grants, RefreshToken, User


class IdentityStore(Protocol):
    def create_user(self, user: User) -> bool:
        """Store a new user; False when the username is taken."""

    def get_user(self, username: str) -> User | None: ...

    def set_password_hash(self, username: str, password_hash: str) -> None: ...

    def get_grants(self, user_id: str) -> Grants:
        """The user's roles and organization (NO_GRANTS when none were ever granted)."""

    def put_grants(self, user_id: str, grants: Grants) -> None: ...

    def count(self, key: str, expires_at: int) -> int:
        """Add one to the counter ``key`` and return its new value."""

    def peek(self, key: str, now: int) -> int:
        """The counter's value (0 when absent or expired)."""

    def reset(self, key: str) -> None: ...

    def start_family(self, family: Family, first: RefreshToken) -> None: ...

    def get_refresh(self, token_id: str) -> RefreshToken | None: ...

    def get_family(self, family_id: str) -> Family | None: ...

    def rotate(self, old: RefreshToken, new: RefreshToken) -> bool:
        """Retire ``old`` and store ``new`` at once; False if ``old`` was no longer active."""

    def revoke_family(self, family_id: str) -> None: ...


class DynamoIdentityStore:
    def __init__(self, table: str | None = None, client: Any = None) -> None:
        self.table = table or os.environ["TABLE_NAME"]
        self.ddb = client or boto3.client("dynamodb")

    # -- users ---------------------------------------------------------------------

    def create_user(self, user: User) -> bool:
        try:
            self.ddb.put_item(
                TableName=self.table,
                Item={
                    "pk": {"S": f"USER#{user.username}"},
                    "userId": {"S": user.user_id},
                    "username": {"S": user.username},
                    "passwordHash": {"S": user.password_hash},
                    "createdAt": {"N": str(user.created_at)},
                },
                ConditionExpression="attribute_not_exists(pk)",
            )
        except self.ddb.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def get_user(self, username: str) -> User | None:
        item = self._get(f"USER#{username}")
        if item is None:
            return None
        return User(
            user_id=item["userId"]["S"],
            username=item["username"]["S"],
            password_hash=item["passwordHash"]["S"],
            created_at=int(item["createdAt"]["N"]),
        )

    def set_password_hash(self, username: str, password_hash: str) -> None:
        self.ddb.update_item(
            TableName=self.table,
            Key={"pk": {"S": f"USER#{username}"}},
            UpdateExpression="SET passwordHash = :h",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues={":h": {"S": password_hash}},
        )

    # -- grants ----------------------------------------------------------------------
    # Keyed by user id, not username: a refresh knows only the user id.

    def get_grants(self, user_id: str) -> Grants:
        item = self._get(f"GRANTS#{user_id}")
        if item is None:
            return NO_GRANTS
        return Grants(
            roles=tuple(role["S"] for role in item["roles"]["L"]),
            org=item["org"]["S"] if "org" in item else None,
            updated_at=int(item["updatedAt"]["N"]),
            updated_by=item["updatedBy"]["S"],
        )

    def put_grants(self, user_id: str, grants: Grants) -> None:
        item: dict[str, Any] = {
            "pk": {"S": f"GRANTS#{user_id}"},
            "roles": {"L": [{"S": role} for role in grants.roles]},
            "updatedAt": {"N": str(grants.updated_at)},
            "updatedBy": {"S": grants.updated_by},
        }
        if grants.org is not None:
            item["org"] = {"S": grants.org}
        self.ddb.put_item(TableName=self.table, Item=item)

    # -- counters ------------------------------------------------------------------

    def count(self, key: str, expires_at: int) -> int:
        result = self.ddb.update_item(
            TableName=self.table,
            Key={"pk": {"S": key}},
            UpdateExpression="ADD hits :one SET expiresAt = if_not_exists(expiresAt, :exp)",
            ExpressionAttributeValues={":one": {"N": "1"}, ":exp": {"N": str(expires_at)}},
            ReturnValues="UPDATED_NEW",
        )
        return int(result["Attributes"]["hits"]["N"])

    def peek(self, key: str, now: int) -> int:
        item = self._get(key)
        if item is None or int(item["expiresAt"]["N"]) <= now:
            return 0
        return int(item["hits"]["N"])

    def reset(self, key: str) -> None:
        self.ddb.delete_item(TableName=self.table, Key={"pk": {"S": key}})

    # -- refresh tokens ------------------------------------------------------------

    def start_family(self, family: Family, first: RefreshToken) -> None:
        self.ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": self.table, "Item": _family_item(family)}},
                {"Put": {"TableName": self.table, "Item": _token_item(first)}},
            ]
        )

    def get_refresh(self, token_id: str) -> RefreshToken | None:
        item = self._get(f"RT#{token_id}")
        if item is None:
            return None
        return RefreshToken(
            token_id=token_id,
            family_id=item["familyId"]["S"],
            user_id=item["userId"]["S"],
            secret_hash=item["secretHash"]["S"],
            status="rotated" if item["status"]["S"] == "rotated" else "active",
            expires_at=int(item["expiresAt"]["N"]),
        )

    def get_family(self, family_id: str) -> Family | None:
        item = self._get(f"FAM#{family_id}")
        if item is None:
            return None
        return Family(
            family_id=family_id,
            user_id=item["userId"]["S"],
            revoked=item["revoked"]["BOOL"],
            expires_at=int(item["expiresAt"]["N"]),
        )

    def rotate(self, old: RefreshToken, new: RefreshToken) -> bool:
        try:
            self.ddb.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": self.table,
                            "Key": {"pk": {"S": f"RT#{old.token_id}"}},
                            "UpdateExpression": "SET #s = :rotated",
                            "ConditionExpression": "#s = :active",
                            "ExpressionAttributeNames": {"#s": "status"},
                            "ExpressionAttributeValues": {
                                ":rotated": {"S": "rotated"},
                                ":active": {"S": "active"},
                            },
                        }
                    },
                    {
                        "ConditionCheck": {
                            "TableName": self.table,
                            "Key": {"pk": {"S": f"FAM#{old.family_id}"}},
                            "ConditionExpression": "revoked = :no",
                            "ExpressionAttributeValues": {":no": {"BOOL": False}},
                        }
                    },
                    {"Put": {"TableName": self.table, "Item": _token_item(new)}},
                ]
            )
        except self.ddb.exceptions.TransactionCanceledException:
            return False
        return True

    def revoke_family(self, family_id: str) -> None:
        self.ddb.update_item(
            TableName=self.table,
            Key={"pk": {"S": f"FAM#{family_id}"}},
            UpdateExpression="SET revoked = :yes",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues={":yes": {"BOOL": True}},
        )

    def _get(self, pk: str) -> dict[str, Any] | None:
        item: dict[str, Any] | None = self.ddb.get_item(
            TableName=self.table, Key={"pk": {"S": pk}}, ConsistentRead=True
        ).get("Item")
        return item


def _family_item(family: Family) -> dict[str, Any]:
    return {
        "pk": {"S": f"FAM#{family.family_id}"},
        "userId": {"S": family.user_id},
        "revoked": {"BOOL": family.revoked},
        "expiresAt": {"N": str(family.expires_at)},
    }


def _token_item(token: RefreshToken) -> dict[str, Any]:
    return {
        "pk": {"S": f"RT#{token.token_id}"},
        "familyId": {"S": token.family_id},
        "userId": {"S": token.user_id},
        "secretHash": {"S": token.secret_hash},
        "status": {"S": token.status},
        "expiresAt": {"N": str(token.expires_at)},
    }
