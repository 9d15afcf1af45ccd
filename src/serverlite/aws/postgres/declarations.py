"""``Custom::ServerlitePostgres`` resources as the template declares them, checked."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from serverlite.errors import TemplateError
from serverlite.template.intrinsics import to_cfn_string
from serverlite.template.model import Application, FunctionSpec, ResourceSpec

RESOURCE_TYPE = "Custom::ServerlitePostgres"
SECRET_TYPE = "AWS::SecretsManager::Secret"
DATABASE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


@dataclass(frozen=True)
class DatabaseDeclaration:
    logical_id: str
    stack_path: tuple[str, ...]
    secret_arn: str
    database: str
    migrations: tuple[Path, ...]
    url: str | None  # a server the secret names; None: run the embedded one

    @property
    def key(self) -> str:
        """A name unique in the application: ``Patients-Database``."""
        return "-".join((*self.stack_path, self.logical_id))


def connection_url(value: Any) -> str | None:
    """The URL a secret value names: ``{"url"}``, or RDS's host/port/username/... form."""
    if not isinstance(value, dict):
        return None
    url = value.get("url")
    if isinstance(url, str) and url.strip():
        return url.strip()
    host = value.get("host")
    if not isinstance(host, str) or not host.strip():
        return None
    user = quote(str(value.get("username") or value.get("user") or "postgres"), safe="")
    password = quote(str(value.get("password") or ""), safe="")
    port = value.get("port") or 5432
    dbname = quote(str(value.get("dbname") or "postgres"), safe="")
    return f"postgresql://{user}:{password}@{host.strip()}:{port}/{dbname}"


def declarations(app: Application) -> list[DatabaseDeclaration]:
    return [_declaration(app, r) for r in app.resources if r.type == RESOURCE_TYPE]


def secret_ids(app: Application) -> tuple[str, ...]:
    """The ARNs and names of the secrets the databases' URLs are put in."""
    ids: list[str] = []
    for resource in app.resources:
        if resource.type != RESOURCE_TYPE:
            continue
        secret = _secret(app, to_cfn_string(resource.properties.get("SecretId")) or "")
        if secret is not None:
            name = to_cfn_string(secret.properties.get("Name"))
            ids += [secret.physical_id, *([name] if name else [])]
    return tuple(ids)


def names_secret(app: Application, fn: FunctionSpec, secrets: Sequence[str]) -> bool:
    """Whether the function's definition names one of ``secrets``: in its environment
    variables, its policies or its role's properties (what a ``!Ref`` of the secret
    leaves there). That is how a function is given a database's secret, and in
    CloudFormation what makes the function depend on it."""
    role = [
        r.properties
        for r in app.resources
        if fn.role and r.type == "AWS::IAM::Role" and fn.role in _role_ids(r)
    ]
    text = json.dumps([dict(fn.environment), list(fn.policies), role], default=str)
    return any(secret in text for secret in secrets)


def _role_ids(role: ResourceSpec) -> tuple[str, ...]:
    return (role.physical_id, str(role.attributes.get("Arn", "")))


def _declaration(app: Application, resource: ResourceSpec) -> DatabaseDeclaration:
    props = resource.properties
    template = _template_file(app, resource)
    where = f"Resources.{resource.logical_id}.Properties"

    def fail(field: str, message: str) -> TemplateError:
        return TemplateError(str(template), f"{where}.{field}", message)

    secret = _secret(app, to_cfn_string(props.get("SecretId")) or "")
    if secret is None:
        raise fail("SecretId", f"must name an {SECRET_TYPE} of the template (!Ref it)")
    database = to_cfn_string(props.get("Database")) or "postgres"
    if not DATABASE_NAME.match(database):
        raise fail("Database", "must be 1-63 of a-z, 0-9 and _, not starting with a digit")
    return DatabaseDeclaration(
        logical_id=resource.logical_id,
        stack_path=resource.stack_path,
        secret_arn=secret.physical_id,
        database=database,
        migrations=_migrations(props.get("Migrations"), template.parent, fail),
        url=connection_url(_declared_value(secret)),
    )


def _template_file(app: Application, resource: ResourceSpec) -> Path:
    return next(s.template_file for s in app.root.walk() if s.path == resource.stack_path)


def _secret(app: Application, secret_id: str) -> ResourceSpec | None:
    for res in app.resources:
        if res.type == SECRET_TYPE and secret_id in (
            res.physical_id,
            to_cfn_string(res.properties.get("Name")),
        ):
            return res
    return None


def _declared_value(secret: ResourceSpec) -> Any:
    raw = to_cfn_string(secret.properties.get("SecretString"))
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def _migrations(
    value: Any, base: Path, fail: Callable[[str, str], TemplateError]
) -> tuple[Path, ...]:
    if value is None:
        return ()
    entries = [value] if isinstance(value, str) else value
    if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
        raise fail("Migrations", "must be a path or a list of paths to .sql files")
    files: list[Path] = []
    for entry in entries:
        path = (base / entry).resolve()
        if path.is_dir():
            files.extend(sorted(path.glob("*.sql")))
        elif path.is_file() and path.suffix == ".sql":
            files.append(path)
        else:
            raise fail("Migrations", f"{entry}: no such .sql file or directory")
    names = [f.name for f in files]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:  # applied migrations are recorded by file name
        raise fail("Migrations", f"file names must be unique: {', '.join(duplicates)}")
    return tuple(files)
