"""Contacts in DynamoDB through plain boto3 (works the same on AWS and on serverlite)."""

from __future__ import annotations

import base64
import binascii
import json
import os
from typing import Any

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from phonebook.domain import Contact, InvalidContact

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def _to_ddb(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(v) for k, v in item.items() if v != []}


def _from_ddb(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _deserializer.deserialize(v) for k, v in item.items()}


def encode_token(key: dict[str, Any] | None) -> str | None:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode() if key else None


def decode_token(token: str | None) -> dict[str, Any] | None:
    if not token:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (binascii.Error, ValueError) as exc:
        raise InvalidContact("next is not a valid page token") from exc
    if not isinstance(key, dict) or set(key) != {"id"}:
        raise InvalidContact("next is not a valid page token")
    return key


class ContactStore:
    def __init__(self, table: str | None = None, client: Any = None) -> None:
        self.table = table or os.environ["TABLE_NAME"]
        self.client = client or boto3.client("dynamodb")

    def get(self, contact_id: str) -> Contact | None:
        item = self.client.get_item(
            TableName=self.table, Key={"id": {"S": contact_id}}, ConsistentRead=True
        ).get("Item")
        return Contact.from_item(_from_ddb(item)) if item else None

    def create(self, contact: Contact) -> None:
        self.client.put_item(
            TableName=self.table,
            Item=_to_ddb(contact.to_item()),
            ConditionExpression="attribute_not_exists(id)",
        )

    def put(self, contact: Contact) -> bool:
        """Create or replace; True when the contact did not exist before."""
        old = self.client.put_item(
            TableName=self.table, Item=_to_ddb(contact.to_item()), ReturnValues="ALL_OLD"
        ).get("Attributes")
        return not old

    def delete(self, contact_id: str) -> bool:
        """True when there was a contact to delete."""
        try:
            self.client.delete_item(
                TableName=self.table,
                Key={"id": {"S": contact_id}},
                ConditionExpression="attribute_exists(id)",
            )
        except self.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def page(self, limit: int, token: str | None) -> tuple[list[Contact], str | None]:
        args: dict[str, Any] = {"TableName": self.table, "Limit": limit}
        start = decode_token(token)
        if start:
            args["ExclusiveStartKey"] = _to_ddb(start)
        response = self.client.scan(**args)
        contacts = [Contact.from_item(_from_ddb(i)) for i in response.get("Items", [])]
        last = response.get("LastEvaluatedKey")
        return contacts, encode_token(_from_ddb(last) if last else None)
