"""Publish's MessageAttributes, checked as SNS checks them.

A value is ``{"DataType": ..., "StringValue" | "BinaryValue": ...}``; the data type is
String, Number or Binary, optionally with a custom suffix (``String.Array`` is the
one SNS gives meaning to: a JSON array that filter policies match element by
element). Binary values arrive base64-encoded, as both wire protocols carry them,
and stay that way: the envelope and SQS take them as base64 too.

SNS does not check that a String.Array value is a JSON array at Publish; a message
whose array cannot be read is filtered out (AWS counts it under
NumberOfNotificationsFilteredOut-InvalidAttributes).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from . import errors

MAX_NAME = 256
_NAME_CHARS = re.compile(r"[A-Za-z0-9_.-]")
_TYPE_PREFIXES = ("String", "Number", "Binary")
_RESERVED_PREFIXES = ("aws.", "amazon.")
# AWS: a Number holds up to 38 significant digits, from -10^128 to 10^126.
_NUMBER_MAX = Decimal("1e126")
_NUMBER_MIN = Decimal("-1e128")


@dataclass(frozen=True)
class MessageAttribute:
    data_type: str  # "String", "Number", "Binary", "String.Array", "Number.float", ...
    value: str  # the StringValue, or the BinaryValue base64

    @property
    def base_type(self) -> str:
        return self.data_type.split(".", 1)[0]

    @property
    def is_binary(self) -> bool:
        return self.base_type == "Binary"

    @property
    def size(self) -> int:
        """What the attribute adds to the message size: name excluded, type and value."""
        raw = len(base64.b64decode(self.value)) if self.is_binary else len(self.value.encode())
        return len(self.data_type.encode()) + raw

    def to_json(self) -> dict[str, str]:
        """The envelope's ``{"Type": ..., "Value": ...}``."""
        return {"Type": self.data_type, "Value": self.value}

    def to_sqs(self) -> dict[str, str]:
        """As SQS's SendMessage takes it (raw message delivery)."""
        if self.is_binary:
            return {"DataType": self.data_type, "BinaryValue": self.value}
        return {"DataType": self.data_type, "StringValue": self.value}

    def array(self) -> list[Any] | None:
        """A String.Array's elements, or None when the value is not a JSON array."""
        try:
            value = json.loads(self.value)
        except ValueError:
            return None
        return value if isinstance(value, list) else None


Attributes = Mapping[str, MessageAttribute]


def parse(raw: Mapping[str, Any] | None) -> dict[str, MessageAttribute]:
    """Check Publish's MessageAttributes; ParameterValueInvalid in AWS's words."""
    out: dict[str, MessageAttribute] = {}
    for name, value in (raw or {}).items():
        _check_name(str(name))
        out[str(name)] = _attribute(str(name), value if isinstance(value, Mapping) else {})
    return out


def _check_name(name: str) -> None:
    if not name:
        raise errors.invalid_value("The message attribute name must not be empty.")
    for char in name:
        if not _NAME_CHARS.fullmatch(char):
            raise errors.invalid_value(
                f"Invalid non-alphanumeric character '#x{ord(char):X}' was found in the "
                "message attribute name. Can only include alphanumeric characters, hyphens, "
                "underscores, or dots."
            )
    if len(name) > MAX_NAME:
        raise errors.invalid_value(
            f"The message attribute name '{name}' exceeds the maximum length of {MAX_NAME}."
        )
    if name.lower().startswith(_RESERVED_PREFIXES):
        raise errors.invalid_value(
            f"The message attribute name '{name}' is reserved: names starting with 'AWS.' "
            "or 'Amazon.' are for AWS's own use."
        )
    if name.startswith(".") or name.endswith(".") or ".." in name:
        raise errors.invalid_value(
            f"The message attribute name '{name}' must not start or end with a period or "
            "contain two periods in a row."
        )


def _attribute(name: str, value: Mapping[str, Any]) -> MessageAttribute:
    data_type = value.get("DataType")
    if not data_type:
        raise errors.invalid_value(
            f"The message attribute '{name}' must contain non-empty message attribute type."
        )
    data_type = str(data_type)
    prefix = data_type.split(".", 1)[0]
    if prefix not in _TYPE_PREFIXES or data_type.endswith("."):
        raise errors.invalid_value(
            f"The message attribute '{name}' has an invalid message attribute type, the set "
            "of supported type prefixes is Binary, Number, and String."
        )
    field = "BinaryValue" if prefix == "Binary" else "StringValue"
    other = "StringValue" if prefix == "Binary" else "BinaryValue"
    if field not in value and other in value:
        raise errors.invalid_value(
            f"The message attribute '{name}' with type '{data_type}' must use field "
            f"'{field.removesuffix('Value')}'."
        )
    text = value.get(field)
    if text is None or text == "":
        raise errors.invalid_value(
            f"The message attribute '{name}' must contain non-empty message attribute value "
            f"for message attribute type '{prefix}'."
        )
    # In-process callers may hand bytes; the wire protocols carry base64 text.
    text = base64.b64encode(text).decode() if isinstance(text, bytes) else str(text)
    if prefix == "Number":
        _check_number(name, text)
    elif prefix == "Binary":
        _check_base64(name, text)
    return MessageAttribute(data_type, text)


def _check_number(name: str, text: str) -> None:
    try:
        number = Decimal(text.strip())
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise errors.invalid_value(f"Could not cast message attribute '{name}' value to number.")
    if number > _NUMBER_MAX or number < _NUMBER_MIN:
        raise errors.invalid_value(
            f"Value {text} for message attribute '{name}' is out of the range a Number "
            "allows (-10^128 to 10^126)."
        )


def _check_base64(name: str, text: str) -> None:
    try:
        base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise errors.invalid_value(
            f"The message attribute '{name}' has a BinaryValue that is not valid base64."
        ) from exc


def total_size(attributes: Attributes) -> int:
    """Attributes' share of the 256 KB message limit: names, types and values."""
    return sum(len(name.encode()) + value.size for name, value in attributes.items())


def to_storage(attributes: Attributes) -> dict[str, list[str]]:
    return {name: [value.data_type, value.value] for name, value in attributes.items()}


def from_storage(raw: Mapping[str, Any]) -> dict[str, MessageAttribute]:
    return {name: MessageAttribute(str(pair[0]), str(pair[1])) for name, pair in raw.items()}
