"""identity's secrets in Secrets Manager: the signing key ring and the client registrations.

Writes to the key ring are conditional without a lock: each is a new version whose
ClientRequestToken is derived from the version it replaces. Two environments that
bootstrap or rotate at once send the same token with different keys; Secrets
Manager keeps the first and refuses the second (ResourceExistsException: a version's
content cannot change), and the loser reads the winner's ring.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from typing import Any, Protocol

import boto3

from identity.domain import Client, client_from_secret
from identity.keys import KeyRing

BOOTSTRAP_TOKEN = "identity-keys-bootstrap-0000000000000000"


class KeyVault(Protocol):
    def read(self) -> tuple[KeyRing | None, str | None]:
        """The ring and its version id; (None, ...) when no keys were made yet."""

    def write(self, ring: KeyRing, replacing: str | None) -> str | None:
        """Store ``ring`` as the version after ``replacing``: its version id, or None if
        another writer stored a different ring in that place first."""


class ClientDirectory(Protocol):
    def find(self, client_id: str) -> Client | None: ...


def next_version_token(replacing: str | None) -> str:
    """The ClientRequestToken (32-64 characters) of the version after ``replacing``."""
    if replacing is None:
        return BOOTSTRAP_TOKEN
    return "rotation-" + hashlib.sha256(replacing.encode()).hexdigest()[:40]


class SecretsKeyVault:
    def __init__(self, secret_id: str, client: Any = None) -> None:
        self.secret_id = secret_id
        self.sm = client or boto3.client("secretsmanager")

    def read(self) -> tuple[KeyRing | None, str | None]:
        try:
            value = self.sm.get_secret_value(SecretId=self.secret_id)
        except self.sm.exceptions.ResourceNotFoundException:
            return None, None  # a secret created without a value has no AWSCURRENT yet
        return KeyRing.from_json(value.get("SecretString") or ""), value["VersionId"]

    def write(self, ring: KeyRing, replacing: str | None) -> str | None:
        token = next_version_token(replacing)
        try:
            result = self.sm.put_secret_value(
                SecretId=self.secret_id, SecretString=ring.to_json(), ClientRequestToken=token
            )
        except self.sm.exceptions.ResourceExistsException:
            return None
        return str(result["VersionId"])


class SecretsClientDirectory:
    """Clients registered as one secret each (``{"client_id", "client_secret", "scope"}``)."""

    def __init__(
        self,
        secret_ids: list[str],
        client: Any = None,
        max_age_s: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.secret_ids = secret_ids
        self.sm = client or boto3.client("secretsmanager")
        self.max_age_s = max_age_s
        self._clock = clock
        self._clients: dict[str, Client] | None = None
        self._loaded_at = 0.0

    def find(self, client_id: str) -> Client | None:
        # Cached per warm environment; re-read now and then so a changed secret applies.
        if self._clients is None or self._clock() - self._loaded_at > self.max_age_s:
            self._loaded_at = self._clock()
            clients = {}
            for secret_id in self.secret_ids:
                raw = self.sm.get_secret_value(SecretId=secret_id)["SecretString"]
                client = client_from_secret(json.loads(raw))
                clients[client.client_id] = client
            self._clients = clients
        return self._clients.get(client_id)
