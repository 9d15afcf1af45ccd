"""SSM Parameter Store as a serverlite service: the JSON endpoint (``AmazonSSM``) and
the template's AWS::SSM::Parameter resources."""

from __future__ import annotations

import json
from typing import Any

from serverlite.aws import backend
from serverlite.aws.backend import AwsError, JsonService, Operation, Operations
from serverlite.aws.kms_local import LocalKey
from serverlite.errors import TemplateError
from serverlite.template.intrinsics import to_cfn_string
from serverlite.template.model import Application, ResourceSpec

from . import iam_actions, ops_reads, ops_writes
from .context import ParameterStore
from .names import name_key
from .store import ParameterDb

OPERATIONS: dict[str, Operation] = {
    "PutParameter": ops_writes.put_parameter,
    "DeleteParameter": ops_writes.delete_parameter,
    "DeleteParameters": ops_writes.delete_parameters,
    "LabelParameterVersion": ops_writes.label_parameter_version,
    "GetParameter": ops_reads.get_parameter,
    "GetParameters": ops_reads.get_parameters,
    "GetParametersByPath": ops_reads.get_parameters_by_path,
    "DescribeParameters": ops_reads.describe_parameters,
    "GetParameterHistory": ops_reads.get_parameter_history,
}
RESOURCE_TYPE = "AWS::SSM::Parameter"
DB_FILE = "ssm.db"
_TEMPLATE_PROPERTIES = ("Description", "AllowedPattern", "Tier", "DataType")


class SsmService(backend.Backend):
    name = "ssm"
    title = "SSM Parameter Store"

    def __init__(self, context: backend.ServiceContext) -> None:
        self.key = LocalKey.in_state_dir(context.state_dir, DB_FILE)  # before the store
        self.db = ParameterDb(context.state_dir / DB_FILE)
        self.store = ParameterStore(
            self.db, self.key, context.region, context.account_id, context.clock
        )
        self._json = JsonService(
            "AmazonSSM",
            "1.1",
            Operations(
                "SSM",
                self.store,
                OPERATIONS,
                internal="InternalServerError",
                iam=iam_actions.iam_map(context.region, context.account_id),
            ),
            # SSM's largest request is a few 8 KB values (PutParameter, its policies);
            # 128 KiB leaves room for any escaping and refuses nothing AWS takes.
            max_request_bytes=128 * 1024,
        )

    @property
    def json(self) -> JsonService:
        return self._json

    def provision(self, app: Application) -> list[backend.ProvisionedResource]:
        return [
            self._provision(app, resource)
            for resource in app.resources
            if resource.type == RESOURCE_TYPE
        ]

    def _provision(self, app: Application, resource: ResourceSpec) -> backend.ProvisionedResource:
        """Create or update the parameter when the template's declaration changed.

        A restart with the same declaration leaves the parameter alone (no new version,
        and a value changed through the API since stays), as CloudFormation does.
        """
        name = resource.physical_id  # what !Ref gives: the Name property or a derived name
        request = _put_request(app, resource, name)
        key = name_key(name)
        fingerprint = self.key.fingerprint(json.dumps(request, sort_keys=True).encode())
        current = self.db.latest(key)
        if current is not None and self.db.provisioned_fingerprint(key) == fingerprint:
            return backend.ProvisionedResource("ssm", "parameter", name, current.type)
        if current is None:
            tags = request.pop("Tags", {})
            request["Tags"] = [{"Key": k, "Value": v} for k, v in sorted(tags.items())]
        else:
            request.pop("Tags", None)
            request["Overwrite"] = True
        try:
            version = ops_writes.put_parameter(self.store, request)["Version"]
        except AwsError as exc:
            raise _template_error(app, resource, f"{exc.code}: {exc.message}") from exc
        self.db.set_provisioned_fingerprint(key, fingerprint)
        return backend.ProvisionedResource(
            "ssm", "parameter", name, f"{request['Type']} v{version}"
        )

    def template_provisioned(self) -> None:
        self.db.snapshot()

    def reset(self) -> None:
        """What the template declared, as provisioned; what a test wrote gone."""
        self.db.restore()

    def close(self) -> None:
        self.db.close()


def _put_request(app: Application, resource: ResourceSpec, name: str) -> dict[str, Any]:
    props = resource.properties
    kind = to_cfn_string(props.get("Type"))
    if kind not in ("String", "StringList"):
        raise _template_error(
            app,
            resource,
            "Type must be String or StringList (CloudFormation does not create "
            f"SecureString parameters), got {props.get('Type')!r}",
        )
    value = to_cfn_string(props.get("Value"))
    if isinstance(props.get("Value"), list):  # StringList given as a list
        value = ",".join(to_cfn_string(v) or "" for v in props["Value"])
    if not value:
        raise _template_error(app, resource, "Value is required")
    request: dict[str, Any] = {"Name": name, "Type": kind, "Value": value}
    for prop in _TEMPLATE_PROPERTIES:
        text = to_cfn_string(props.get(prop))
        if text is not None:
            request[prop] = text
    tags = props.get("Tags")
    if isinstance(tags, dict):  # a JSON object of key: value on this resource type
        request["Tags"] = {str(k): to_cfn_string(v) or "" for k, v in tags.items()}
    return request


def _template_error(app: Application, resource: ResourceSpec, message: str) -> TemplateError:
    stack = next(s for s in app.root.walk() if s.path == resource.stack_path)
    return TemplateError(str(stack.template_file), f"Resources.{resource.logical_id}", message)
