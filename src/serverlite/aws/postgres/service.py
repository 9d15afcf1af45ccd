"""PostgreSQL as a serverlite backend: provisions ``Custom::ServerlitePostgres``.

No AWS API of its own: functions reach the database by the URL in their secret.
Provisioning runs after Secrets Manager's (it fills secrets the template declared).
"""

from __future__ import annotations

import json
import threading
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from serverlite.aws import services
from serverlite.aws.json_protocol import AwsError
from serverlite.errors import ConfigError, TemplateError
from serverlite.template.model import Application

from . import migrations
from .declarations import DatabaseDeclaration, declarations
from .embedded import EmbeddedServer


class SecretsApi(Protocol):
    def get_secret_value(self, body: dict[str, Any]) -> dict[str, Any]: ...

    def put_secret_value(self, body: dict[str, Any]) -> dict[str, Any]: ...


class PostgresService:
    name = "postgres"

    def __init__(
        self, context: services.ServiceContext, backends: list[services.ServiceBackend]
    ) -> None:
        self.root = context.state_dir / "postgres"
        self._backends = backends
        self._servers: dict[str, EmbeddedServer] = {}
        self._lock = threading.Lock()

    @property
    def json(self) -> None:
        return None

    def provision(self, app: Application) -> list[services.ProvisionedResource]:
        return [self._provision(d) for d in declarations(app)]

    def close(self) -> None:
        with self._lock:
            servers, self._servers = list(self._servers.values()), {}
        for server in servers:
            server.stop()

    def _provision(self, decl: DatabaseDeclaration) -> services.ProvisionedResource:
        if decl.url is not None:
            url, where = decl.url, f"at {redact(decl.url)}"
        else:
            url, where = self._embedded(decl), f"embedded, {self.root / decl.key}"
        applied = migrations.apply(url, decl.migrations)
        self._fill_secret(decl, url)
        done = f"{len(applied)} migration(s) applied" if applied else "migrations up to date"
        return services.ProvisionedResource(
            "postgres", "database", decl.database, f"{where}; {done}"
        )

    def _embedded(self, decl: DatabaseDeclaration) -> str:
        with self._lock:
            server = self._servers.get(decl.key)
            if server is None:
                server = EmbeddedServer(self.root / decl.key)
                server.start()
                self._servers[decl.key] = server
        migrations.ensure_database(server.url("postgres"), decl.database)
        return server.url(decl.database)

    def _fill_secret(self, decl: DatabaseDeclaration, url: str) -> None:
        """Put ``{"url": ...}`` into the secret, unless it already holds that URL."""
        api = self._secrets_api()
        value = json.dumps({"engine": "postgres", "dbname": decl.database, "url": url})
        try:
            try:
                current = api.get_secret_value({"SecretId": decl.secret_arn})
            except AwsError as exc:
                if exc.code != "ResourceNotFoundException":  # created empty: no value yet
                    raise
                current = {}
            if current.get("SecretString") == value:
                return
            api.put_secret_value({"SecretId": decl.secret_arn, "SecretString": value})
        except AwsError as exc:
            raise TemplateError(
                "template", f"Resources.{decl.logical_id}", f"{exc.code}: {exc.message}"
            ) from exc

    def _secrets_api(self) -> SecretsApi:
        for backend in self._backends:
            api = getattr(backend, "api", None)
            if backend.name == "secretsmanager" and api is not None:
                return api  # type: ignore[no-any-return]
        raise ConfigError("Custom::ServerlitePostgres needs Secrets Manager, which is not running")


def redact(url: str) -> str:
    """A URL fit for printing: the password replaced."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))
