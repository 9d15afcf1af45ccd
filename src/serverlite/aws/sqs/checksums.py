"""The MD5 digests SQS returns: of the body, and of the message (or system) attributes.

The attribute digest follows AWS's documented encoding: attributes sorted by name;
for each, the name, the data type and the value, each as a 4-byte big-endian length
and its bytes (UTF-8 for text), with a one-byte transport type before the value:
1 string (String and Number types), 2 binary, 3 string list, 4 binary list.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable
from dataclasses import dataclass

STRING, BINARY, STRING_LIST, BINARY_LIST = 1, 2, 3, 4


@dataclass(frozen=True)
class AttributeValue:
    """One message attribute, as sent (binary values decoded to bytes)."""

    data_type: str
    string_value: str | None = None
    binary_value: bytes | None = None
    string_list: tuple[str, ...] = ()
    binary_list: tuple[bytes, ...] = ()

    @property
    def size(self) -> int:
        """What counts towards the message size: data type and value bytes."""
        value = len(self.string_value.encode()) if self.string_value is not None else 0
        value += len(self.binary_value or b"")
        value += sum(len(item.encode()) for item in self.string_list)
        value += sum(len(item) for item in self.binary_list)
        return len(self.data_type.encode()) + value


def md5_of_body(body: str) -> str:
    return hashlib.md5(body.encode("utf-8"), usedforsecurity=False).hexdigest()


def md5_of_attributes(attributes: Iterable[tuple[str, AttributeValue]]) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    for name, value in sorted(attributes, key=lambda item: item[0]):
        digest.update(_sized(name.encode()))
        digest.update(_sized(value.data_type.encode()))
        if value.string_value is not None:
            digest.update(bytes([STRING]) + _sized(value.string_value.encode()))
        elif value.binary_value is not None:
            digest.update(bytes([BINARY]) + _sized(value.binary_value))
        elif value.string_list:
            digest.update(bytes([STRING_LIST]))
            for item in value.string_list:
                digest.update(_sized(item.encode()))
        elif value.binary_list:
            digest.update(bytes([BINARY_LIST]))
            for binary in value.binary_list:
                digest.update(_sized(binary))
    return digest.hexdigest()


def _sized(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data
