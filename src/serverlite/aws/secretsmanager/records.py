"""A stored secret and a stored secret version, as the store reads them back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

STRING = "string"
BINARY = "binary"


@dataclass(frozen=True)
class Secret:
    arn: str
    name: str
    created: float
    last_changed: float
    description: str = ""
    kms_key_id: str | None = None
    tags: tuple[tuple[str, str], ...] = ()
    last_accessed: float | None = None
    deleted: float | None = None  # when DeleteSecret scheduled it
    deletion: float | None = None  # when it will be gone for good
    stages: Mapping[str, str] = field(default_factory=dict)  # label -> version id
    version_ids: tuple[str, ...] = ()  # oldest first


@dataclass(frozen=True)
class SecretVersion:
    arn: str
    version_id: str
    created: float
    kind: str  # STRING or BINARY
    value: bytes  # the local key's ciphertext of the value
    last_accessed: float | None = None

    @property
    def context(self) -> str:
        return value_context(self.arn, self.version_id, self.kind)


def value_context(arn: str, version_id: str, kind: str) -> str:
    """What a value's ciphertext is bound to: this secret, this version, this kind of value."""
    return f"secretsmanager:{arn}:{version_id}:{kind}"
