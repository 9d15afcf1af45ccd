"""A function's policies, read from its template as SAM and CloudFormation make them."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from serverlite.iam import credentials, managed, sam_templates
from serverlite.iam.identities import Identities
from serverlite.iam.request import IamRequest
from serverlite.template import load_application

ACCOUNT, REGION = "123456789012", "us-east-1"
TABLE = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/Items"
OTHER = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/Other"
QUEUE = f"arn:aws:sqs:{REGION}:{ACCOUNT}:jobs"

TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Globals:
  Function: {Runtime: python3.12, CodeUri: src, Handler: app.handler}
Resources:
  Items:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: Items
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      BillingMode: PAY_PER_REQUEST
  Jobs:
    Type: AWS::SQS::Queue
    Properties: {QueueName: jobs}
  Reader:
    Type: AWS::Serverless::Function
    Properties:
      Policies:
        - DynamoDBReadPolicy: {TableName: !Ref Items}
        - Statement:
            - Effect: Deny
              Action: dynamodb:Scan
              Resource: !GetAtt Items.Arn
  Consumer:
    Type: AWS::Serverless::Function
    Properties:
      Policies: AmazonSQSReadOnlyAccess
      Events:
        Jobs:
          Type: SQS
          Properties: {Queue: !GetAtt Jobs.Arn}
  WithRole:
    Type: AWS::Serverless::Function
    Properties:
      Role: !GetAtt WriterRole.Arn
      Policies: [AmazonDynamoDBFullAccess]  # ignored by SAM when Role is given
  WriterRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {}
      ManagedPolicyArns: [arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]
      Policies:
        - PolicyName: write
          PolicyDocument:
            Statement: [{Effect: Allow, Action: dynamodb:PutItem, Resource: !GetAtt Items.Arn}]
  SendPolicy:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: send
      Roles: [!Ref WriterRole]
      PolicyDocument:
        Statement: [{Effect: Allow, Action: sqs:SendMessage, Resource: !GetAtt Jobs.Arn}]
  Outsider:
    Type: AWS::Serverless::Function
    Properties:
      Role: arn:aws:iam::123456789012:role/made-elsewhere
"""


@pytest.fixture(scope="module")
def identities(tmp_path_factory: pytest.TempPathFactory) -> Identities:
    root: Path = tmp_path_factory.mktemp("app")
    (root / "src").mkdir()
    (root / "src" / "app.py").write_text("def handler(event, context):\n    return 1\n")
    (root / "template.yaml").write_text(textwrap.dedent(TEMPLATE))
    return Identities(load_application(root / "template.yaml"))


def allowed(identities: Identities, function: str, action: str, resource: str) -> bool:
    identity = next(i for i in identities.by_function.values() if i.qualified_id == function)
    return identity.policies.decide(IamRequest(action, resource), identity.context).allowed


def test_a_sam_template_and_an_inline_deny(identities: Identities) -> None:
    assert allowed(identities, "Reader", "dynamodb:GetItem", TABLE)
    assert allowed(identities, "Reader", "dynamodb:Query", f"{TABLE}/index/byName")
    assert not allowed(identities, "Reader", "dynamodb:Scan", TABLE)  # the inline Deny
    assert not allowed(identities, "Reader", "dynamodb:PutItem", TABLE)
    assert not allowed(identities, "Reader", "dynamodb:GetItem", OTHER)


def test_sam_adds_basic_execution_and_the_event_source_policy(identities: Identities) -> None:
    assert allowed(identities, "Reader", "logs:PutLogEvents", "*")
    assert allowed(identities, "Consumer", "sqs:DeleteMessage", QUEUE)  # SQS event's policy
    assert not allowed(identities, "Reader", "sqs:DeleteMessage", QUEUE)


def test_a_managed_policy_by_name(identities: Identities) -> None:
    assert allowed(identities, "Consumer", "sqs:ListQueues", "*")
    assert not allowed(identities, "Consumer", "sqs:SendMessage", QUEUE)


def test_a_role_of_the_template_with_its_policies(identities: Identities) -> None:
    assert allowed(identities, "WithRole", "dynamodb:PutItem", TABLE)  # inline
    assert allowed(identities, "WithRole", "sqs:SendMessage", QUEUE)  # AWS::IAM::Policy
    assert allowed(identities, "WithRole", "logs:CreateLogStream", "*")  # ManagedPolicyArns
    assert not allowed(identities, "WithRole", "dynamodb:GetItem", TABLE)  # Policies ignored
    role = next(i for i in identities.by_function.values() if i.qualified_id == "WithRole")
    assert role.principal_arn.startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/")
    assert role.principal_arn.endswith(f"/{role.function}")


def test_a_role_from_elsewhere_is_not_evaluated_and_said(identities: Identities) -> None:
    outsider = next(i for i in identities.by_function.values() if i.qualified_id == "Outsider")
    assert not outsider.evaluated
    assert any("made-elsewhere" in note for note in identities.notes)


def test_each_function_signs_with_its_own_key(identities: Identities) -> None:
    keys = {i.access_key_id for i in identities.by_function.values()}
    assert len(keys) == len(identities.by_function)
    for identity in identities.by_function.values():
        assert identity.access_key_id.startswith("ASIA") and len(identity.access_key_id) == 20
        assert identities.of(identity.access_key_id) is identity
    assert identities.of("AKIAIOSFODNN7EXAMPLE") is None  # the user's shell: nobody here


def test_the_access_key_is_read_from_a_sigv4_header() -> None:
    header = (
        "AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE000000000/20260101/us-east-1/dynamodb/"
        "aws4_request, SignedHeaders=host;x-amz-date, Signature=abc"
    )
    assert credentials.access_key_of(header) == "ASIAEXAMPLE000000000"
    assert credentials.access_key_of(None, "ASIAQ/20260101/us-east-1/s3/aws4_request") == "ASIAQ"
    assert credentials.access_key_of(None) is None


def test_every_sam_policy_template_expands() -> None:
    for name in sam_templates.definitions():
        values = dict.fromkeys(sam_templates.parameters(name), "x")
        document = sam_templates.expand(name, values, region=REGION, account=ACCOUNT)
        assert "${" not in str(document) and "'Ref'" not in str(document), name


def test_a_template_without_its_parameter_is_refused() -> None:
    with pytest.raises(sam_templates.TemplateError, match="TableName"):
        sam_templates.expand("DynamoDBCrudPolicy", {}, region=REGION, account=ACCOUNT)


def test_managed_policies_carry_their_source_and_path() -> None:
    basic = managed.find("AWSLambdaBasicExecutionRole")
    assert basic is not None
    assert basic.arn == "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    assert managed.find(basic.arn) is basic
    assert "MAMIP" in managed.source()
