"""A stored parameter version, as the store reads it back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

SECURE = "SecureString"
DEFAULT_KEY_ID = "alias/aws/ssm"


@dataclass(frozen=True)
class ParameterVersion:
    key: str  # the identity: the name with a leading slash (see names.name_key)
    name: str  # as first written
    version: int
    type: str
    value: bytes  # UTF-8 text, or for a SecureString the local key's ciphertext
    tier: str
    data_type: str
    modified: float
    description: str = ""
    allowed_pattern: str = ""
    key_id: str | None = None
    labels: tuple[str, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def secure(self) -> bool:
        return self.type == SECURE

    @property
    def context(self) -> str:
        """What a SecureString's ciphertext is bound to."""
        return f"ssm:{self.key}:{self.version}"
