"""Where a function's identity policies come from, read from the loaded template.

- A SAM function without ``Role``: the role SAM generates, holding
  AWSLambdaBasicExecutionRole, every entry of ``Policies`` (a SAM policy template, an
  inline document, or a managed policy by name or ARN), and the policies SAM adds for
  what the function declares: its event sources' execution roles (SQS, DynamoDB,
  Kinesis), ``Tracing: Active`` (AWSXrayWriteOnlyAccess), its dead-letter queue and its
  EventInvokeConfig destinations.
- ``Role`` naming an ``AWS::IAM::Role`` of the application (``!GetAtt R.Arn`` or its
  ARN): that role's inline ``Policies`` and ``ManagedPolicyArns``, and every
  ``AWS::IAM::Policy`` / ``AWS::IAM::ManagedPolicy`` that lists the role in ``Roles``.
  (SAM ignores ``Policies`` when ``Role`` is given; so does this.)
- ``Role`` naming a role outside the application: its policies cannot be known, so
  the function is not evaluated, and startup says so.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from serverlite.iam import managed, policy, sam_templates
from serverlite.iam.policy import Statement
from serverlite.template.model import Application, FunctionSpec, ResourceSpec

BASIC_EXECUTION = "AWSLambdaBasicExecutionRole"
# SAM's event source types -> the managed policy SAM attaches for the poller's reads.
EVENT_SOURCE_POLICIES = {
    "SQS": "AWSLambdaSQSQueueExecutionRole",
    "DynamoDB": "AWSLambdaDynamoDBExecutionRole",
    "Kinesis": "AWSLambdaKinesisExecutionRole",
}
DESTINATION_TEMPLATES = {  # SAM adds a policy template per EventInvokeConfig destination
    "SQS": ("SQSSendMessagePolicy", "QueueName"),
    "SNS": ("SNSPublishMessagePolicy", "TopicName"),
    "Lambda": ("LambdaInvokePolicy", "FunctionName"),
    "EventBridge": ("EventBridgePutEventsPolicy", "EventBusName"),
}


@dataclass
class RolePolicies:
    """What one function's role holds, and what could not be read."""

    role_arn: str
    statements: list[Statement] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # unknown ARNs, malformed documents
    known: bool = True  # False: a role from outside the application


def role_name(role_arn: str) -> str:
    return role_arn.rsplit("/", 1)[-1]


def policies_of(app: Application, fn: FunctionSpec) -> RolePolicies:
    role_arn = fn.role or f"arn:aws:iam::{app.account_id}:role/{fn.name}-role"
    found = RolePolicies(role_arn)
    role = _role_resource(app, role_arn)
    if role is not None:
        _role_policies(app, role, found)
    elif fn.resource_type == "AWS::Serverless::Function" and role_name(role_arn).endswith(
        f"{fn.logical_id}Role"
    ):
        _sam_generated(app, fn, found)
    else:
        found.known = False
    return found


def _role_resource(app: Application, role_arn: str) -> ResourceSpec | None:
    name = role_name(role_arn)
    for res in app.resources:
        if res.type == "AWS::IAM::Role" and (
            res.attributes.get("Arn") == role_arn or res.physical_id in (name, role_arn)
        ):
            return res
    return None


def _add_document(found: RolePolicies, document: Any, source: str) -> None:
    try:
        found.statements.extend(policy.document(document, source))
    except policy.PolicyError as exc:
        found.problems.append(f"{source}: {exc}")


def _add_managed(app: Application, found: RolePolicies, name_or_arn: str) -> None:
    known = managed.find(name_or_arn)
    if known is not None:
        _add_document(found, known.document, known.name)
        return
    for res in app.resources:  # a customer managed policy of the application
        if res.type == "AWS::IAM::ManagedPolicy" and name_or_arn in (
            res.physical_id,
            res.attributes.get("PolicyArn"),
        ):
            _add_document(found, res.properties.get("PolicyDocument"), res.logical_id)
            return
    found.problems.append(f"managed policy {name_or_arn}: its document is unknown here")


def _role_policies(app: Application, role: ResourceSpec, found: RolePolicies) -> None:
    props = role.properties
    for entry in props.get("Policies") or []:
        if isinstance(entry, Mapping):
            name = entry.get("PolicyName") or role.logical_id
            _add_document(found, entry.get("PolicyDocument"), f"{role.logical_id}/{name}")
    for arn in props.get("ManagedPolicyArns") or []:
        _add_managed(app, found, str(arn))
    for res in app.resources:
        if res.type not in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            continue
        roles = res.properties.get("Roles") or []
        if role.physical_id in roles or role.logical_id in roles:
            _add_document(found, res.properties.get("PolicyDocument"), res.logical_id)


def _sam_generated(app: Application, fn: FunctionSpec, found: RolePolicies) -> None:
    _add_managed(app, found, BASIC_EXECUTION)
    for entry in fn.policies:
        _add_sam_entry(app, fn, found, entry)
    for name in sorted(_implicit_managed(fn)):
        _add_managed(app, found, name)
    for document, source in _implicit_documents(app, fn):
        _add_document(found, document, source)


def _add_sam_entry(app: Application, fn: FunctionSpec, found: RolePolicies, entry: Any) -> None:
    if isinstance(entry, str):
        _add_managed(app, found, entry)
        return
    if isinstance(entry, Mapping) and "Statement" in entry:
        _add_document(found, entry, f"{fn.logical_id} inline policy")
        return
    if isinstance(entry, Mapping) and len(entry) == 1:
        ((name, values),) = entry.items()
        try:
            document = sam_templates.expand(
                str(name),
                values if isinstance(values, Mapping) else {},
                region=app.region,
                account=app.account_id,
            )
        except sam_templates.TemplateError as exc:
            found.problems.append(f"{fn.qualified_id} Policies: {exc}")
            return
        _add_document(found, document, str(name))
        return
    found.problems.append(f"{fn.qualified_id} Policies: cannot read {entry!r}")


def _implicit_managed(fn: FunctionSpec) -> set[str]:
    names = {EVENT_SOURCE_POLICIES[e.type] for e in fn.events if e.type in EVENT_SOURCE_POLICIES}
    if fn.tracing == "Active":
        names.add("AWSXrayWriteOnlyAccess")
    return names


def _implicit_documents(app: Application, fn: FunctionSpec) -> Iterator[tuple[Any, str]]:
    dlq = fn.dead_letter_queue
    if dlq is not None:  # SAM: sqs:SendMessage / sns:Publish on the DeadLetterQueue target
        action = "sqs:SendMessage" if dlq.type == "SQS" else "sns:Publish"
        yield (
            {"Statement": [{"Effect": "Allow", "Action": action, "Resource": dlq.arn}]},
            "DeadLetterQueue",
        )
    config = fn.event_invoke_config
    for destination in (config.on_success, config.on_failure) if config else ():
        if destination is None or destination.type not in DESTINATION_TEMPLATES:
            continue
        template, parameter = DESTINATION_TEMPLATES[destination.type]
        value = _destination_name(destination.type, destination.arn)
        yield (
            sam_templates.expand(
                template, {parameter: value}, region=app.region, account=app.account_id
            ),
            f"EventInvokeConfig ({template})",
        )


def _destination_name(kind: str, arn: str) -> str:
    if kind == "Lambda":
        return arn.split(":")[6] if arn.count(":") >= 6 else arn
    if kind == "EventBridge":
        return arn.rsplit("/", 1)[-1]
    return arn.rsplit(":", 1)[-1]
