"""What ``Ref`` and ``Fn::GetAtt`` return for each resource type.

The table is keyed by resource type and can be extended or overridden (pass
``resource_types=`` to :func:`serverlite.template.loader.load_application`), so a
later part of serverlite can make ``!Ref MyApi`` give a local API id, for example.
Names follow one rule: the resource's name property when set, else the logical id
for the root stack and ``<App>-<Child>-<LogicalId>`` for nested stacks.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .intrinsics import Placeholder, to_cfn_string


@dataclass(frozen=True)
class ResourceView:
    """A resource as the type table sees it; ``prop`` resolves one property lazily."""

    logical_id: str
    type: str
    stack_path: tuple[str, ...]
    region: str
    account_id: str
    stack_name: str
    endpoint_url: str
    prop_getter: Callable[[str], Any] = field(repr=False, compare=False)
    partition: str = "aws"
    ordinal: int = 1  # an AWS::Lambda::Version's number among its function's versions

    def prop(self, name: str) -> Any:
        """The resolved property, or None when it is not set."""
        return self.prop_getter(name)

    def text(self, name: str) -> str | None:
        return to_cfn_string(self.prop(name))

    @property
    def default_name(self) -> str:
        return "-".join((*self.stack_path, self.logical_id))

    def name(self, prop: str) -> str:
        return self.text(prop) or self.default_name

    def arn(self, service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
        where = self.region if region else ""
        who = self.account_id if account else ""
        return f"arn:{self.partition}:{service}:{where}:{who}:{resource}"

    def token(self, length: int, alphabet: str = "0123456789abcdefghijklmnopqrstuvwxyz") -> str:
        """A deterministic id of ``length`` characters (API ids, secret suffixes, ...)."""
        seed = "/".join((self.account_id, self.region, self.stack_name, self.logical_id))
        digest = int.from_bytes(hashlib.sha256(seed.encode()).digest(), "big")
        chars = []
        for _ in range(length):
            digest, index = divmod(digest, len(alphabet))
            chars.append(alphabet[index])
        return "".join(chars)

    def uuid(self) -> str:
        seed = "/".join((self.account_id, self.region, self.stack_name, self.logical_id))
        return str(uuid.uuid5(uuid.NAMESPACE_URL, seed))


Getter = Callable[[ResourceView], Any]


@dataclass(frozen=True)
class ResourceType:
    """``ref`` gives the physical id; ``attributes`` the Fn::GetAtt values.

    With ``strict``, an attribute not in the table is an error; otherwise it gets
    a placeholder (ARN-shaped for names ending in "Arn").
    """

    ref: Getter
    attributes: Mapping[str, Getter] = field(default_factory=dict)
    strict: bool = False


class UnknownAttribute(LookupError):
    """Fn::GetAtt of an attribute the resource type does not have."""


def get_attribute(kind: ResourceType, view: ResourceView, attribute: str) -> Any:
    getter = kind.attributes.get(attribute)
    if getter is not None:
        return getter(view)
    if kind.strict:
        raise UnknownAttribute(attribute)
    if attribute.endswith("Arn"):
        return Placeholder(_generic_arn(view))
    return Placeholder(f"{kind.ref(view)}.{attribute}")


def generic_type() -> ResourceType:
    """For types serverlite does not know: the logical name and a plausible ARN."""
    return ResourceType(ref=lambda v: v.default_name, attributes={"Arn": _generic_arn})


def _generic_arn(view: ResourceView) -> str:
    _, service, kind = ([*view.type.split("::"), "", ""])[:3]
    return view.arn(service.lower(), f"{kind.lower()}/{view.default_name}")


# -- Lambda -----------------------------------------------------------------------


def function_name(view: ResourceView) -> str:
    return view.name("FunctionName")


def function_arn(view: ResourceView) -> str:
    return view.arn("lambda", f"function:{function_name(view)}")


def _function_ref_arn(view: ResourceView) -> str:
    """FunctionName of a Version/Alias/Url/EventInvokeConfig: a name or an ARN."""
    target = view.text("FunctionName") or ""
    return target if target.startswith("arn:") else view.arn("lambda", f"function:{target}")


def url_id(view: ResourceView) -> str:
    """A function URL's id: 32 lowercase alphanumerics, as Lambda makes them."""
    return view.token(32)


def function_url(view: ResourceView) -> str:
    return f"https://{url_id(view)}.lambda-url.{view.region}.on.aws/"


def _url_function_arn(view: ResourceView) -> str:
    """AWS::Lambda::Url's Ref and FunctionArn: the target, with its qualifier."""
    target = view.text("TargetFunctionArn") or ""
    arn = target if target.startswith("arn:") else view.arn("lambda", f"function:{target}")
    qualifier = view.text("Qualifier")
    return f"{arn}:{qualifier}" if qualifier and arn.count(":") == 6 else arn


def layer_arn(view: ResourceView) -> str:
    return view.arn("lambda", f"layer:{view.name('LayerName')}:1")


_FUNCTION = ResourceType(function_name, {"Arn": function_arn}, strict=True)
_SAM_LAYER = ResourceType(layer_arn, strict=True)
_LAMBDA_LAYER = ResourceType(layer_arn, {"LayerVersionArn": layer_arn}, strict=True)

# -- queues, topics, tables ---------------------------------------------------------


def queue_name(view: ResourceView) -> str:
    name = view.text("QueueName")
    if name:
        return name
    fifo = view.text("FifoQueue") == "true"
    return view.default_name + (".fifo" if fifo else "")


def queue_url(view: ResourceView) -> str:
    return f"{view.endpoint_url.rstrip('/')}/{view.account_id}/{queue_name(view)}"


_QUEUE = ResourceType(
    queue_url,
    {
        "Arn": lambda v: v.arn("sqs", queue_name(v)),
        "QueueName": queue_name,
        "QueueUrl": queue_url,
    },
    strict=True,
)


def topic_name(view: ResourceView) -> str:
    name = view.text("TopicName")
    if name:
        return name
    return view.default_name + (".fifo" if view.text("FifoTopic") == "true" else "")


def _topic_arn(view: ResourceView) -> str:
    return view.arn("sns", topic_name(view))


_TOPIC = ResourceType(_topic_arn, {"TopicArn": _topic_arn, "TopicName": topic_name}, strict=True)


def table_name(view: ResourceView) -> str:
    return view.name("TableName")


def _table_arn(view: ResourceView) -> str:
    return view.arn("dynamodb", f"table/{table_name(view)}")


# The stream label is a timestamp on AWS; a fixed one keeps ARNs stable here, and
# DynamoDB gives a template's table this label, so !GetAtt Table.StreamArn is its stream.
TEMPLATE_STREAM_LABEL = "1970-01-01T00:00:00.000"

_TABLE = ResourceType(
    table_name,
    {
        "Arn": _table_arn,
        "StreamArn": lambda v: f"{_table_arn(v)}/stream/{TEMPLATE_STREAM_LABEL}",
    },
    strict=True,
)

# -- parameters, secrets, events, IAM -----------------------------------------------


def _secret_arn(view: ResourceView) -> str:
    # AWS appends "-" and six random characters to a secret's name in its ARN.
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return view.arn("secretsmanager", f"secret:{view.name('Name')}-{view.token(6, alphabet)}")


def _rule_arn(view: ResourceView) -> str:
    bus = (view.text("EventBusName") or "default").rsplit("/", 1)[-1]
    name = view.name("Name")
    return view.arn("events", f"rule/{name}" if bus == "default" else f"rule/{bus}/{name}")


def _archive_name(view: ResourceView) -> str:
    return view.text("ArchiveName") or view.default_name[:48]


def _role_arn(view: ResourceView) -> str:
    path = view.text("Path") or "/"
    return view.arn("iam", f"role{path}{view.name('RoleName')}", region=False)


def _managed_policy_arn(view: ResourceView) -> str:
    path = view.text("Path") or "/"
    return view.arn("iam", f"policy{path}{view.name('ManagedPolicyName')}", region=False)


# -- APIs ----------------------------------------------------------------------------


def api_id(view: ResourceView) -> str:
    """API Gateway ids are 10 lowercase alphanumerics."""
    return view.token(10)


def _http_api_endpoint(view: ResourceView) -> str:
    return f"https://{api_id(view)}.execute-api.{view.region}.amazonaws.com"


_REST_API = ResourceType(api_id, {"RootResourceId": lambda v: v.token(10, "abcdefghij0123456789")})
_HTTP_API = ResourceType(api_id, {"ApiEndpoint": _http_api_endpoint, "ApiId": api_id})


def _user_pool_id(view: ResourceView) -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return f"{view.region}_{view.token(9, alphabet)}"


def _schedule_arn(view: ResourceView) -> str:
    group = view.text("GroupName") or "default"
    return view.arn("scheduler", f"schedule/{group}/{view.name('Name')}")


def _state_machine_name(view: ResourceView) -> str:
    return view.text("StateMachineName") or view.name("Name")


def _state_machine_arn(view: ResourceView) -> str:
    return view.arn("states", f"stateMachine:{_state_machine_name(view)}")


def _bucket_name(view: ResourceView) -> str:
    return view.text("BucketName") or view.default_name.lower()


DEFAULT_RESOURCE_TYPES: Mapping[str, ResourceType] = {
    "AWS::Serverless::Function": _FUNCTION,
    "AWS::Lambda::Function": _FUNCTION,
    "AWS::Serverless::LayerVersion": _SAM_LAYER,
    "AWS::Lambda::LayerVersion": _LAMBDA_LAYER,
    "AWS::Lambda::Version": ResourceType(
        lambda v: f"{_function_ref_arn(v)}:{v.ordinal}",
        {"Version": lambda v: str(v.ordinal), "FunctionArn": _function_ref_arn},
    ),
    "AWS::Lambda::Alias": ResourceType(lambda v: f"{_function_ref_arn(v)}:{v.name('Name')}"),
    "AWS::Lambda::Url": ResourceType(
        _url_function_arn,
        {"FunctionUrl": function_url, "FunctionArn": _url_function_arn},
        strict=True,
    ),
    "AWS::Lambda::EventSourceMapping": ResourceType(
        lambda v: v.uuid(),
        {"EventSourceMappingArn": lambda v: v.arn("lambda", f"event-source-mapping:{v.uuid()}")},
    ),
    "AWS::SQS::Queue": _QUEUE,
    "AWS::SNS::Topic": _TOPIC,
    "AWS::SNS::Subscription": ResourceType(
        lambda v: f"{v.text('TopicArn') or v.arn('sns', 'topic')}:{v.uuid()}"
    ),
    "AWS::DynamoDB::Table": _TABLE,
    "AWS::Serverless::SimpleTable": _TABLE,
    "AWS::SSM::Parameter": ResourceType(
        lambda v: v.name("Name"),
        {"Type": lambda v: v.text("Type") or "String", "Value": lambda v: v.text("Value") or ""},
        strict=True,
    ),
    # Id is CloudFormation's only attribute (the ARN); the secrets service creates the
    # secret under exactly this ARN, so !Ref and !GetAtt agree with the running secret.
    "AWS::SecretsManager::Secret": ResourceType(_secret_arn, {"Id": _secret_arn}, strict=True),
    "AWS::Events::Rule": ResourceType(lambda v: v.name("Name"), {"Arn": _rule_arn}, strict=True),
    "AWS::Events::EventBus": ResourceType(
        lambda v: v.name("Name"),
        {
            "Arn": lambda v: v.arn("events", f"event-bus/{v.name('Name')}"),
            "Name": lambda v: v.name("Name"),
        },
        strict=True,
    ),
    # Ref gives the archive's name (at most 48 characters); GetAtt Arn its ARN.
    "AWS::Events::Archive": ResourceType(
        _archive_name,
        {"Arn": lambda v: v.arn("events", f"archive/{_archive_name(v)}")},
        strict=True,
    ),
    "AWS::Scheduler::Schedule": ResourceType(lambda v: v.name("Name"), {"Arn": _schedule_arn}),
    "AWS::IAM::Role": ResourceType(
        lambda v: v.name("RoleName"),
        {
            "Arn": _role_arn,
            "RoleId": lambda v: "AROA" + v.token(17, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"),
        },
        strict=True,
    ),
    "AWS::IAM::ManagedPolicy": ResourceType(
        _managed_policy_arn, {"PolicyArn": _managed_policy_arn}
    ),
    "AWS::Serverless::Api": _REST_API,
    "AWS::ApiGateway::RestApi": _REST_API,
    "AWS::Serverless::HttpApi": _HTTP_API,
    "AWS::ApiGatewayV2::Api": _HTTP_API,
    # Ref of a stage is its name (URLs are built from it: ${Api}...amazonaws.com/${Stage}).
    "AWS::ApiGateway::Stage": ResourceType(lambda v: v.text("StageName") or v.default_name),
    "AWS::ApiGatewayV2::Stage": ResourceType(lambda v: v.text("StageName") or v.default_name),
    "AWS::ApiGateway::Deployment": ResourceType(lambda v: v.token(6)),
    "AWS::ApiGateway::Resource": ResourceType(lambda v: v.token(6)),
    "AWS::ApiGateway::Authorizer": ResourceType(lambda v: v.token(6)),
    "AWS::ApiGatewayV2::Integration": ResourceType(lambda v: v.token(7)),
    "AWS::ApiGatewayV2::Route": ResourceType(lambda v: v.token(7)),
    "AWS::ApiGatewayV2::Authorizer": ResourceType(lambda v: v.token(6)),
    "AWS::S3::Bucket": ResourceType(
        _bucket_name,
        {
            "Arn": lambda v: f"arn:{v.partition}:s3:::{_bucket_name(v)}",
            "DomainName": lambda v: f"{_bucket_name(v)}.s3.amazonaws.com",
            "RegionalDomainName": lambda v: f"{_bucket_name(v)}.s3.{v.region}.amazonaws.com",
        },
    ),
    "AWS::Logs::LogGroup": ResourceType(
        lambda v: v.name("LogGroupName"),
        {"Arn": lambda v: v.arn("logs", f"log-group:{v.name('LogGroupName')}:*")},
    ),
    "AWS::CloudWatch::Alarm": ResourceType(
        lambda v: v.name("AlarmName"),
        {"Arn": lambda v: v.arn("cloudwatch", f"alarm:{v.name('AlarmName')}")},
    ),
    "AWS::CloudWatch::CompositeAlarm": ResourceType(
        lambda v: v.name("AlarmName"),
        {"Arn": lambda v: v.arn("cloudwatch", f"alarm:{v.name('AlarmName')}")},
    ),
    "AWS::Serverless::StateMachine": ResourceType(
        _state_machine_arn, {"Arn": _state_machine_arn, "Name": _state_machine_name}
    ),
    "AWS::StepFunctions::StateMachine": ResourceType(
        _state_machine_arn, {"Arn": _state_machine_arn, "Name": _state_machine_name}
    ),
    "AWS::Kinesis::Stream": ResourceType(
        lambda v: v.name("Name"), {"Arn": lambda v: v.arn("kinesis", f"stream/{v.name('Name')}")}
    ),
    "AWS::Cognito::UserPool": ResourceType(
        _user_pool_id,
        {
            "Arn": lambda v: v.arn("cognito-idp", f"userpool/{_user_pool_id(v)}"),
            "ProviderName": lambda v: f"cognito-idp.{v.region}.amazonaws.com/{_user_pool_id(v)}",
            "ProviderURL": lambda v: (
                f"https://cognito-idp.{v.region}.amazonaws.com/{_user_pool_id(v)}"
            ),
            "UserPoolId": _user_pool_id,
        },
    ),
    "AWS::Cognito::UserPoolClient": ResourceType(lambda v: v.token(26)),
    "AWS::KMS::Key": ResourceType(
        lambda v: v.uuid(),
        {"Arn": lambda v: v.arn("kms", f"key/{v.uuid()}"), "KeyId": lambda v: v.uuid()},
    ),
}
