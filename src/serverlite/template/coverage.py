"""What of a template serverlite runs, and what it does not: said once, at start.

Every resource type and function event type is one of: served by serverlite itself
(functions, layers, APIs), served by an emulated service (named by its package in
``aws/registry.py``: present only when that service is), accepted with nothing to do
locally (IAM, permissions, log groups), or not emulated. A service that starts handling
a new type adds it to ``RESOURCES`` / ``EVENTS`` with its package's name.
The template layer does not know which services run: the caller passes their names.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Literal

from .model import Application, FunctionSpec, ResourceSpec

_SELF = ()  # served by serverlite itself (template, functions, gateway)
_MAPPING = "AWS::Lambda::EventSourceMapping"

# Resource type -> the services that serve it (any of them), () for serverlite itself.
RESOURCES: dict[str, tuple[str, ...]] = {
    "AWS::Serverless::Function": _SELF,
    "AWS::Lambda::Function": _SELF,
    "AWS::Serverless::LayerVersion": _SELF,
    "AWS::Lambda::LayerVersion": _SELF,
    "AWS::Serverless::Application": _SELF,
    "AWS::CloudFormation::Stack": _SELF,
    "AWS::Lambda::EventInvokeConfig": _SELF,
    "AWS::Lambda::Version": _SELF,
    "AWS::Lambda::Alias": _SELF,
    "AWS::Lambda::Url": _SELF,
    "AWS::Serverless::Api": _SELF,
    "AWS::Serverless::HttpApi": _SELF,
    "AWS::ApiGateway::RestApi": _SELF,
    "AWS::ApiGateway::Resource": _SELF,
    "AWS::ApiGateway::Method": _SELF,
    "AWS::ApiGateway::Stage": _SELF,
    "AWS::ApiGateway::Authorizer": _SELF,
    "AWS::ApiGateway::RequestValidator": _SELF,
    "AWS::ApiGateway::Model": _SELF,
    "AWS::ApiGateway::ApiKey": _SELF,
    "AWS::ApiGateway::UsagePlan": _SELF,
    "AWS::ApiGateway::UsagePlanKey": _SELF,
    "AWS::ApiGatewayV2::Api": _SELF,
    "AWS::ApiGatewayV2::Route": _SELF,
    "AWS::ApiGatewayV2::Integration": _SELF,
    "AWS::ApiGatewayV2::Authorizer": _SELF,
    "AWS::ApiGatewayV2::Stage": _SELF,
    "AWS::ApiGatewayV2::RouteResponse": _SELF,  # WebSocket APIs
    "AWS::ApiGatewayV2::IntegrationResponse": _SELF,
    "AWS::DynamoDB::Table": ("dynamodb",),
    "AWS::Serverless::SimpleTable": ("dynamodb",),
    "AWS::SQS::Queue": ("sqs",),
    "AWS::SNS::Topic": ("sns",),
    "AWS::SNS::Subscription": ("sns",),
    "AWS::Events::Rule": ("events",),
    "AWS::Events::EventBus": ("events",),
    "AWS::Events::Archive": ("events",),
    "AWS::Scheduler::Schedule": ("events",),
    "AWS::SSM::Parameter": ("ssm",),
    "AWS::SecretsManager::Secret": ("secretsmanager",),
    "AWS::S3::Bucket": ("s3",),
    "AWS::Kinesis::Stream": ("kinesis",),
    "AWS::Serverless::StateMachine": ("stepfunctions",),
    "AWS::StepFunctions::StateMachine": ("stepfunctions",),
    "Custom::ServerlitePostgres": ("postgres",),
    "AWS::CloudWatch::Alarm": ("cloudwatch",),
    "AWS::CloudWatch::CompositeAlarm": ("cloudwatch",),
    "AWS::Logs::SubscriptionFilter": ("logs",),
}

# Accepted with nothing to do locally, and why that is harmless.
ACCEPTED: dict[str, str] = {
    "AWS::IAM::Role": "policies are recorded, not enforced",
    "AWS::IAM::Policy": "policies are recorded, not enforced",
    "AWS::IAM::ManagedPolicy": "policies are recorded, not enforced",
    "AWS::Lambda::Permission": "API Gateway and event sources may always invoke locally",
    "AWS::Logs::LogGroup": "every function logs to serverlite's log store",
    "AWS::ApiGateway::Deployment": "APIs are served as the template says, no deployment",
    "AWS::ApiGatewayV2::Deployment": "APIs are served as the template says, no deployment",
    "AWS::ApiGateway::Account": "API logs are serverlite's own",
    "AWS::SQS::QueuePolicy": "queue policies are not enforced",
    "AWS::SNS::TopicPolicy": "topic policies are not enforced",
    "AWS::SNS::TopicInlinePolicy": "topic policies are not enforced",
    "AWS::S3::BucketPolicy": "bucket policies are not enforced",
    "AWS::CDK::Metadata": "CDK's usage metadata",
}

# An AWS::Lambda::EventSourceMapping's source (the service in its EventSourceArn) ->
# the services that poll it.
MAPPING_SOURCES: dict[str, tuple[str, ...]] = {
    "sqs": ("sqs",),
    "kinesis": ("stream_mappings",),
    "dynamodb": ("stream_mappings",),  # a DynamoDB stream's ARN
}

# Function event type -> the services that deliver it, () for the gateway.
EVENTS: dict[str, tuple[str, ...]] = {
    "Api": _SELF,
    "HttpApi": _SELF,
    "SQS": ("sqs",),
    "SNS": ("sns",),
    "Kinesis": ("stream_mappings",),
    "DynamoDB": ("stream_mappings",),
    "EventBridgeRule": ("events",),
    "CloudWatchEvent": ("events",),
    "Schedule": ("events",),
    "ScheduleV2": ("events",),
    "S3": ("s3",),
    "CloudWatchLogs": ("logs",),
}


# A service a template uses -> those its provisioning or its event sources call at once:
# PostgreSQL fills a secret, SNS subscribes queues, EventBridge makes SAM's dead-letter
# queues, a state machine's ItemReader reads S3.
_CALLS: dict[str, tuple[str, ...]] = {
    "postgres": ("secretsmanager",),
    "sns": ("sqs",),
    "events": ("sqs",),
    "stepfunctions": ("s3",),
}


def services_used(app: Application) -> frozenset[str]:
    """The services (package names) that ``app``'s resources, function events and event
    source mappings need, and those these call while starting: what must be running
    before the first request. The others may start afterwards."""
    used: set[str] = set()
    for resource in app.resources:
        needs = RESOURCES.get(resource.type, ())
        if resource.type == _MAPPING:
            arn = str(resource.properties.get("EventSourceArn", ""))
            needs = MAPPING_SOURCES.get(arn.split(":")[2] if arn.count(":") >= 2 else "", ())
        used.update(needs)
    for fn in app.functions:
        for event in fn.events:
            used.update(EVENTS.get(event.type) or ())
    for service in list(used):
        used.update(_CALLS.get(service, ()))
    return frozenset(used)


@dataclass(frozen=True)
class NotEmulated:
    """One resource or event type serverlite does not run, with what that means."""

    kind: Literal["resource", "event"]
    type: str
    names: tuple[str, ...]  # logical ids (qualified), or Function.Event
    meaning: str

    def __str__(self) -> str:
        what = "resource" if self.kind == "resource" else "event"
        return f"{self.type} ({what}: {', '.join(self.names)}) is not emulated: {self.meaning}"


def _served(needs: tuple[str, ...] | None, services: Collection[str]) -> bool:
    return needs is not None and (needs == _SELF or any(s in services for s in needs))


def not_emulated(app: Application, services: Collection[str]) -> list[NotEmulated]:
    """Every resource and event type of ``app`` that serverlite does not run, each once."""
    found: list[NotEmulated] = []
    by_type: dict[str, list[ResourceSpec]] = {}
    for resource in app.resources:
        needs = RESOURCES.get(resource.type)
        if resource.type == _MAPPING:
            arn = str(resource.properties.get("EventSourceArn", ""))
            source = arn.split(":")[2] if arn.count(":") >= 2 else ""
            needs = MAPPING_SOURCES.get(source)
        if resource.type in ACCEPTED or _served(needs, services):
            continue
        by_type.setdefault(resource.type, []).append(resource)
    for kind, resources in by_type.items():
        users = _users(app.functions, resources)
        meaning = (
            "nothing creates it; Ref and Fn::GetAtt give stand-in names and ARNs, and "
            "calls to it fail (no such service on the AWS endpoint)"
        )
        if users:
            meaning += f"; named by {', '.join(users)}, which may fail where they use it"
        else:
            meaning += "; no function names it, so the rest runs unaffected"
        names = tuple(_qualified(r.stack_path, r.logical_id) for r in resources)
        found.append(NotEmulated("resource", kind, names, meaning))
    events: dict[str, list[str]] = {}
    for fn in app.functions:
        for event in fn.events:
            if not _served(EVENTS.get(event.type), services):
                events.setdefault(event.type, []).append(f"{fn.qualified_id}.{event.name}")
    for kind, event_names in events.items():
        found.append(
            NotEmulated(
                "event",
                kind,
                tuple(event_names),
                "nothing triggers these functions from it; they still run when invoked "
                "(serverlite invoke FUNCTION -e event.json) or through their other events",
            )
        )
    return found


def _qualified(stack_path: tuple[str, ...], logical_id: str) -> str:
    return "/".join((*stack_path, logical_id))


def _users(functions: Iterable[FunctionSpec], resources: list[ResourceSpec]) -> list[str]:
    """Functions whose environment names one of ``resources`` (its Ref or an attribute)."""
    marks = set()
    for resource in resources:
        marks.add(resource.physical_id)
        marks.update(str(v) for v in resource.attributes.values() if isinstance(v, str))
    marks.discard("")
    users = []
    for fn in functions:
        values = " ".join(fn.environment.values())
        if any(mark in values for mark in marks):
            users.append(fn.qualified_id)
    return users
