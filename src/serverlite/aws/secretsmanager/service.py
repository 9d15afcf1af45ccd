"""Secrets Manager as a serverlite service: the JSON endpoint (``secretsmanager``) and
the template's AWS::SecretsManager::Secret resources."""

from __future__ import annotations

import json
import uuid
from typing import Any

from serverlite.aws import backend
from serverlite.aws.backend import AwsError, JsonService, MiB, Operation, Operations
from serverlite.aws.kms_local import LocalKey
from serverlite.errors import TemplateError
from serverlite.template.intrinsics import to_cfn_string
from serverlite.template.model import Application, ResourceSpec

from . import iam_actions, names, ops_secrets, ops_values, passwords, staging
from .context import SecretsManager
from .records import STRING, Secret
from .store import SecretDb


def _purging(operation: Operation) -> Operation:
    """Secrets whose recovery window has ended are gone before any operation looks."""

    def op(api: SecretsManager, body: dict[str, Any]) -> dict[str, Any]:
        api.db.purge_expired(api.clock())
        result: dict[str, Any] = operation(api, body)
        return result

    return op


OPERATIONS: dict[str, Operation] = {
    name: _purging(operation)
    for name, operation in {
        "CreateSecret": ops_secrets.create_secret,
        "UpdateSecret": ops_secrets.update_secret,
        "DeleteSecret": ops_secrets.delete_secret,
        "RestoreSecret": ops_secrets.restore_secret,
        "DescribeSecret": ops_secrets.describe_secret,
        "ListSecrets": ops_secrets.list_secrets,
        "ListSecretVersionIds": ops_secrets.list_secret_version_ids,
        "GetRandomPassword": ops_secrets.get_random_password,
        "GetSecretValue": ops_values.get_secret_value,
        "PutSecretValue": ops_values.put_secret_value,
    }.items()
}
RESOURCE_TYPE = "AWS::SecretsManager::Secret"
DB_FILE = "secretsmanager.db"


class SecretsManagerService(backend.Backend):
    name = "secretsmanager"
    title = "Secrets Manager"

    def __init__(self, context: backend.ServiceContext) -> None:
        self.key = LocalKey.in_state_dir(context.state_dir, DB_FILE)  # before the store
        self.db = SecretDb(context.state_dir / DB_FILE)
        self.api = SecretsManager(
            self.db, self.key, context.region, context.account_id, context.clock
        )
        self.clock = context.clock
        self._json = JsonService(
            "secretsmanager",
            "1.1",
            Operations(
                "Secrets Manager",
                self.api,
                OPERATIONS,
                internal="InternalServiceError",
                iam=iam_actions.iam_map(self.api),
            ),
            # A secret is at most 64 KB; escaped in JSON (or base64 for binary) a request
            # carrying one stays well under 1 MiB.
            max_request_bytes=MiB,
        )

    @property
    def json(self) -> JsonService:
        return self._json

    def template_provisioned(self) -> None:
        self.db.snapshot()

    def reset(self) -> None:
        """What the template declared, as provisioned; what a test wrote gone."""
        self.db.restore()

    def close(self) -> None:
        self.db.close()

    def provision(self, app: Application) -> list[backend.ProvisionedResource]:
        self.db.purge_expired(self.clock())
        return [
            self._provision(app, resource)
            for resource in app.resources
            if resource.type == RESOURCE_TYPE
        ]

    def _provision(self, app: Application, resource: ResourceSpec) -> backend.ProvisionedResource:
        """Create the secret, or update it when its declaration changed since last time.

        The ARN is the one ``!Ref`` gives (its suffix derived from the stack and logical
        id), so functions see the same ARN in their environment. A restart with the same
        declaration changes nothing: a generated value is kept, and so is a value put
        through the API since, as CloudFormation leaves them.
        """
        arn = resource.physical_id
        props = resource.properties
        name = to_cfn_string(props.get("Name")) or names.name_in_arn(arn)
        if "SecretString" in props and "GenerateSecretString" in props:
            raise _template_error(
                app, resource, "SecretString and GenerateSecretString can't both be set"
            )
        meta = {k: props.get(k) for k in ("Name", "Description", "KmsKeyId", "Tags")}
        value_spec = {k: props.get(k) for k in ("SecretString", "GenerateSecretString")}
        meta_print = self._fingerprint(meta)
        value_print = self._fingerprint(value_spec)
        try:
            secret = self._existing(app, resource, arn, name)
            if secret is None:
                self._create(arn, name, props)
                detail = "created"
            else:
                detail = self._update(secret, props, meta_print, value_print)
        except AwsError as exc:
            raise _template_error(app, resource, f"{exc.code}: {exc.message}") from exc
        self.db.set_provisioned_fingerprint(arn, f"{meta_print}:{value_print}")
        return backend.ProvisionedResource("secretsmanager", "secret", name, detail)

    def _fingerprint(self, value: Any) -> str:
        return self.key.fingerprint(json.dumps(value, sort_keys=True, default=str).encode())

    def _existing(
        self, app: Application, resource: ResourceSpec, arn: str, name: str
    ) -> Secret | None:
        secret = self.db.find(names.SecretId(arn))
        if secret is not None:
            if secret.deleted is not None:  # the template says it exists: restore it
                self.db.schedule_deletion(arn, None, None)
                secret = self.db.find(names.SecretId(arn))
            return secret
        other = self.db.find(names.SecretId(name))
        if other is not None:
            raise _template_error(
                app,
                resource,
                f"a secret named {name!r} that the template did not create already exists "
                f"({other.arn}); delete it (delete-secret --force-delete-without-recovery) "
                "or rename one of them",
            )
        return None

    def _value(self, props: Any) -> tuple[str, bytes] | None:
        if props.get("SecretString") is not None:
            return STRING, (to_cfn_string(props["SecretString"]) or "").encode()
        generate = props.get("GenerateSecretString")
        if isinstance(generate, dict):
            return STRING, passwords.generate_secret_string(generate).encode()
        return None  # neither: an empty secret, as CloudFormation makes

    def _create(self, arn: str, name: str, props: Any) -> None:
        names.check_name(name)
        value = self._value(props)
        token = str(uuid.uuid4())
        now = self.clock()
        tags = props.get("Tags") or []
        secret = Secret(
            arn=arn,
            name=name,
            created=now,
            last_changed=now,
            description=to_cfn_string(props.get("Description")) or "",
            kms_key_id=to_cfn_string(props.get("KmsKeyId")),
            tags=tuple((str(t.get("Key")), to_cfn_string(t.get("Value")) or "") for t in tags),
            stages={staging.CURRENT: token} if value else {},
        )
        sealed = self.api.seal(arn, token, *value) if value else None
        self.db.create(secret, sealed)

    def _update(self, secret: Secret, props: Any, meta_print: str, value_print: str) -> str:
        before = self.db.provisioned_fingerprint(secret.arn)
        old_meta, _, old_value = (before or ":").partition(":")
        changed = []
        if old_meta != meta_print:
            self.db.update(
                secret.arn,
                self.clock(),
                description=to_cfn_string(props.get("Description")) or "",
                kms_key_id=to_cfn_string(props.get("KmsKeyId")),
            )
            changed.append("description")
        if old_value != value_print and self._refresh_value(
            secret, props, known=before is not None
        ):
            changed.append("value")
        return "updated " + ", ".join(changed) if changed else "unchanged"

    def _refresh_value(self, secret: Secret, props: Any, *, known: bool) -> bool:
        """Put the declared value as a new version when it differs; True if it did."""
        current_id = secret.stages.get(staging.CURRENT)
        current = self.db.version(secret.arn, current_id) if current_id else None
        if "GenerateSecretString" in props and current is not None and not known:
            return False  # generated before serverlite recorded how: keep it
        value = self._value(props)
        if value is None or (current is not None and self.api.same(current, *value)):
            return False
        self.api.new_version(secret, str(uuid.uuid4()), value)
        return True


def _template_error(app: Application, resource: ResourceSpec, message: str) -> TemplateError:
    stack = next(s for s in app.root.walk() if s.path == resource.stack_path)
    return TemplateError(str(stack.template_file), f"Resources.{resource.logical_id}", message)
