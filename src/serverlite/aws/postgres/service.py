"""PostgreSQL as a serverlite backend: provisions ``Custom::ServerlitePostgres``.

No AWS API of its own: functions reach the database by the URL in their secret.
Provisioning runs after Secrets Manager's (it fills secrets the template declared).
"""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from serverlite.aws import backend
from serverlite.aws.backend import AwsError
from serverlite.errors import ConfigError, TemplateError
from serverlite.template.model import Application, FunctionSpec

from . import migrations, snapshot
from .declarations import DatabaseDeclaration, declarations, names_secret, secret_ids
from .embedded import EmbeddedServer


class PostgresService(backend.Backend):
    name = "postgres"  # no AWS API of its own
    title = "PostgreSQL"
    # initdb and the server's start take seconds; only functions reach the database
    # (through their secret): the environments of those given it start once it is
    # provisioned (holds_back).
    provisions_slowly = True

    def __init__(self, context: backend.ServiceContext) -> None:
        self.root = context.state_dir / "postgres"
        self.aws = context.aws  # Secrets Manager, whose secrets hold the connection
        self._servers: dict[str, EmbeddedServer] = {}
        self._lock = threading.Lock()
        self._embedded_urls: list[str] = []
        self._snapshots: list[tuple[str, snapshot.Snapshot]] = []
        self._secret_ids: tuple[str, ...] | None = None  # see holds_back

    def provision(self, app: Application) -> list[backend.ProvisionedResource]:
        return [self._provision(d) for d in declarations(app)]

    def holds_back(self, app: Application, fn: FunctionSpec) -> bool:
        """Functions reach a database only through the secret its URL is put in: those
        whose definition names that secret wait for the database; the others run while
        it starts (as CloudFormation makes a function that does not depend on a
        resource without waiting for it). A template this cannot read: all wait."""
        if self._secret_ids is None:
            try:
                self._secret_ids = secret_ids(app)
            except Exception:  # provisioning says what is wrong with it
                return True
        return names_secret(app, fn, self._secret_ids)

    def template_provisioned(self) -> None:
        """The embedded databases' rows as the migrations left them (a server given by
        URL is the user's own: a test's reset never empties it)."""
        self._snapshots = [(url, snapshot.take(url)) for url in self._embedded_urls]

    def reset(self) -> None:
        for url, taken in self._snapshots:
            snapshot.restore(url, taken)

    def close(self) -> None:
        with self._lock:
            servers, self._servers = list(self._servers.values()), {}
        for server in servers:
            server.stop()

    def _provision(self, decl: DatabaseDeclaration) -> backend.ProvisionedResource:
        if decl.url is not None:
            url, where = decl.url, f"at {redact(decl.url)}"
        else:
            url, where = self._embedded(decl), f"embedded, {self.root / decl.key}"
            self._embedded_urls.append(url)
        applied = migrations.apply(url, decl.migrations)
        self._fill_secret(decl, url)
        done = f"{len(applied)} migration(s) applied" if applied else "migrations up to date"
        return backend.ProvisionedResource(
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
        if not self.aws.has("secretsmanager"):
            raise ConfigError(
                "Custom::ServerlitePostgres needs Secrets Manager, which is not running"
            )
        value = json.dumps({"engine": "postgres", "dbname": decl.database, "url": url})
        try:
            try:
                current = self._secrets("GetSecretValue", {"SecretId": decl.secret_arn})
            except AwsError as exc:
                if exc.code != "ResourceNotFoundException":  # created empty: no value yet
                    raise
                current = {}
            if current.get("SecretString") == value:
                return
            self._secrets("PutSecretValue", {"SecretId": decl.secret_arn, "SecretString": value})
        except AwsError as exc:
            raise TemplateError(
                "template", f"Resources.{decl.logical_id}", f"{exc.code}: {exc.message}"
            ) from exc

    def _secrets(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        """Secrets Manager, called from provisioning's worker thread: its operations only
        touch its own store, so a short-lived event loop of this thread runs them."""
        return asyncio.run(self.aws.call("secretsmanager", operation, params))


def redact(url: str) -> str:
    """A URL fit for printing: the password replaced."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))
