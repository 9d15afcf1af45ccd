"""ExpressionAttributeNames / ExpressionAttributeValues of one request, and which of
them the request's expressions used (DynamoDB rejects unused ones)."""

from __future__ import annotations

import re
from typing import Any

from ..errors import validation
from ..types import AttributeValue, canonical_value

_NAME_KEY = re.compile(r"^#[A-Za-z0-9_]+$")
_VALUE_KEY = re.compile(r"^:[A-Za-z0-9_]+$")


class Placeholders:
    """``prefixed``: PutItem, UpdateItem and DeleteItem word two of these errors as a
    model validation ("1 validation error detected: ..."); reads and transactions don't."""

    def __init__(self, names: Any = None, values: Any = None, *, prefixed: bool = False) -> None:
        self.prefix = "1 validation error detected: " if prefixed else ""
        if names is not None:
            if not isinstance(names, dict):
                raise validation("ExpressionAttributeNames must be a map")
            if not names:
                raise validation("ExpressionAttributeNames must not be empty")
            for key in names:
                if not _NAME_KEY.match(key):
                    raise validation(
                        f'ExpressionAttributeNames contains invalid key: Syntax error; key: "{key}"'
                    )
        if values is not None:
            if not isinstance(values, dict):
                raise validation("ExpressionAttributeValues must be a map")
            if not values:
                raise validation(f"{self.prefix}ExpressionAttributeValues must not be empty")
            for key in values:
                if not _VALUE_KEY.match(key):
                    raise validation(
                        "ExpressionAttributeValues contains invalid key: Syntax error; "
                        f'key: "{key}"'
                    )
        self.names: dict[str, str] = dict(names or {})
        self._raw_values: dict[str, Any] = dict(values or {})
        self._values: dict[str, AttributeValue] = {}
        self.used_names: set[str] = set()
        self.used_values: set[str] = set()
        self.given = names is not None or values is not None

    def name(self, placeholder: str) -> str | None:
        name = self.names.get(placeholder)
        if name is not None:
            self.used_names.add(placeholder)
        return name

    def value(self, placeholder: str) -> AttributeValue | None:
        if placeholder not in self._raw_values:
            return None
        self.used_values.add(placeholder)
        if placeholder not in self._values:
            self._values[placeholder] = canonical_value(self._raw_values[placeholder])
        return self._values[placeholder]

    def check_unused(self) -> None:
        unused_names = [n for n in self.names if n not in self.used_names]
        if unused_names:
            raise validation(
                f"{self.prefix}Value provided in ExpressionAttributeNames unused in expressions: "
                f"keys: {{{', '.join(unused_names)}}}"
            )
        unused_values = [v for v in self._raw_values if v not in self.used_values]
        if unused_values:
            raise validation(
                f"{self.prefix}Value provided in ExpressionAttributeValues unused in expressions: "
                f"keys: {{{', '.join(unused_values)}}}"
            )

    def check_without_expressions(self) -> None:
        """Names or values given to a request that has no expression at all."""
        if self.names:
            raise validation(
                "ExpressionAttributeNames can only be specified when using expressions"
            )
        if self._raw_values:
            raise validation(
                "ExpressionAttributeValues can only be specified when using expressions"
            )
