"""What serverlite does not emulate is named once, with what it means; the rest loads."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from serverlite.errors import TemplateErrors
from serverlite.template import Application
from serverlite.template.coverage import not_emulated

TEMPLATE = """
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties: {CidrBlock: 10.0.0.0/16}
  Domain:
    Type: AWS::Route53::HostedZone
    Properties: {Name: example.com}
  Flow:
    Type: AWS::StepFunctions::StateMachine
    Properties: {DefinitionString: "{}", RoleArn: arn:aws:iam::123456789012:role/r}
  Stream:
    Type: AWS::Kinesis::Stream
    Properties: {ShardCount: 1}
  Mapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties: {FunctionName: !Ref Fn, EventSourceArn: !GetAtt Stream.Arn}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src
      Handler: app.handler
      Runtime: python3.12
      Environment:
        Variables:
          FLOW: !Ref Flow
          BLOCK: !Select [0, !GetAtt Vpc.CidrBlockAssociations]
      Events:
        Rule: {Type: IoTRule, Properties: {Sql: "SELECT * FROM 'devices'"}}
        Upload: {Type: S3, Properties: {Bucket: b, Events: s3:ObjectCreated:*}}
        Queue: {Type: SQS, Properties: {Queue: arn:aws:sqs:us-east-1:123456789012:q}}
  Quiet:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: src, Handler: app.handler, Runtime: python3.12}
"""


def test_not_emulated_types_are_named_with_their_meaning(
    load: Callable[..., Application],
) -> None:
    app = load(TEMPLATE)
    # Fn::Select over a list attribute of a non-emulated resource: a stand-in, not a crash
    assert app.functions[0].environment["BLOCK"] == "Vpc.CidrBlockAssociations-0"
    found = {m.type: m for m in not_emulated(app, {"sqs", "kinesis", "s3"})}
    assert set(found) == {
        "AWS::EC2::VPC",
        "AWS::Route53::HostedZone",
        "AWS::StepFunctions::StateMachine",
        "AWS::Lambda::EventSourceMapping",
        "IoTRule",
    }
    assert (
        "named by Fn, which may fail where they use it"
        in found["AWS::StepFunctions::StateMachine"].meaning
    )
    assert "named by Fn" in found["AWS::EC2::VPC"].meaning  # through BLOCK
    assert "no function names it" in found["AWS::Route53::HostedZone"].meaning
    assert found["IoTRule"].names == ("Fn.Rule",)
    assert str(found["IoTRule"]).startswith(
        "IoTRule (event: Fn.Rule) is not emulated: nothing triggers"
    )
    # S3 events are delivered by the s3 service, and only when it runs
    assert "S3" in {m.type for m in not_emulated(app, {"sqs", "kinesis"})}
    # with the stream mappings service, the mapping on the stream runs
    served = {m.type for m in not_emulated(app, {"sqs", "kinesis", "s3", "stream_mappings"})}
    assert "AWS::Lambda::EventSourceMapping" not in served
    # without the kinesis service, the stream is not emulated either
    assert "AWS::Kinesis::Stream" in {m.type for m in not_emulated(app, {"sqs"})}


def test_root_causes_come_first(load: Callable[..., Application]) -> None:
    text = """
    Resources:
      Slow:
        Type: AWS::Serverless::Function
        Properties: {CodeUri: src, Handler: app.handler, Runtime: python3.12, Timeout: abc}
      Broken:
        Type: AWS::Serverless::Function
        Properties:
          CodeUri: src
          Handler: app.handler
          Runtime: python3.12
          Environment: {Variables: {X: !Ref Nowhere}}
    """
    with pytest.raises(TemplateErrors) as info:
        load(text)
    messages = [e.message for e in info.value.errors]
    # the template lists Slow first; the unknown name is still the first error shown
    assert messages == [
        "Ref to unknown resource or parameter 'Nowhere'",
        "must be an integer, got 'abc'",
    ]


def test_state_machines_are_emulated_when_stepfunctions_runs(
    load: Callable[..., Application],
) -> None:
    """A SAM state machine (and the CloudFormation one SAM makes of it) is provisioned by
    the stepfunctions service: it is not named as not emulated at start, with the names
    the registry gives the running services."""
    from serverlite.aws.registry import service_names

    app = load(
        """
        Resources:
          Flow:
            Type: AWS::Serverless::StateMachine
            Properties:
              Definition: {StartAt: A, States: {A: {Type: Pass, End: true}}}
          Raw:
            Type: AWS::StepFunctions::StateMachine
            Properties: {DefinitionString: "{}", RoleArn: arn:aws:iam::123456789012:role/r}
        """
    )
    assert not_emulated(app, service_names()) == []
    assert {m.type for m in not_emulated(app, set())} == {
        "AWS::Serverless::StateMachine",
        "AWS::StepFunctions::StateMachine",
    }
