"""Each service owns its data: no function's policies reach another service's table.

The root template nests every reference service (seed 002: identity, locations,
profiles each with their own table, talking only over HTTP). A service that needs
another's data calls its API; a policy naming another stack's table, or every table,
fails here. Secrets follow the same rule, with one kind of exception written out
below: client credentials that identity issues to a service and keeps for checking.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from serverlite.template import Application, FunctionSpec, load_application

ROOT = Path(__file__).resolve().parents[2]
# (reading stack, secret's stack/logical id): a service's own credentials, held by identity
ISSUED_CREDENTIALS = {(("Profiles",), "Identity/ProfilesClient")}
BROAD_DYNAMODB = ("AmazonDynamoDBFullAccess", "AmazonDynamoDBReadOnlyAccess")


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


def _statements(policies: Any) -> Iterator[dict[str, Any]]:
    for policy in policies:
        if isinstance(policy, dict) and isinstance(policy.get("Statement"), list):
            yield from (s for s in policy["Statement"] if isinstance(s, dict))


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def boundary_violations(app: Application) -> list[str]:
    """Every place a function's policies reach data that its own stack does not own."""
    owned = [
        (res.stack_path, res)
        for res in app.resources
        if res.type in ("AWS::DynamoDB::Table", "AWS::SecretsManager::Secret")
    ]
    problems = []
    for fn in app.functions:
        problems += _broad_access(fn)
        texts = list(_strings(fn.policies))
        for stack, res in owned:
            if stack == fn.stack_path:
                continue
            name = "/".join((*stack, res.logical_id))
            if (fn.stack_path, name) in ISSUED_CREDENTIALS:
                continue
            if any(_names(text, res.physical_id, res.type) for text in texts):
                problems.append(f"{fn.qualified_id} reaches {name}, which another stack owns")
    return problems


def _names(text: str, physical_id: str, kind: str) -> bool:
    if kind == "AWS::DynamoDB::Table":
        return text == physical_id or f":table/{physical_id}" in text
    return text == physical_id or text.startswith(physical_id.rsplit("-", 1)[0])


def _broad_access(fn: FunctionSpec) -> list[str]:
    problems = []
    for text in _strings(fn.policies):
        if text in BROAD_DYNAMODB or ":table/*" in text or text.endswith(":table/"):
            problems.append(f"{fn.qualified_id} reaches every table ({text})")
    for statement in _statements(fn.policies):
        actions = [str(a) for a in _as_list(statement.get("Action", []))]
        if any(a == "*" or a.startswith("dynamodb:") for a in actions) and "*" in _as_list(
            statement.get("Resource")
        ):
            problems.append(f"{fn.qualified_id} reaches every table (Resource '*')")
    return problems


def test_no_function_reaches_another_services_table_or_secret():
    app = load_application(ROOT / "template.yaml")
    stacks = {fn.stack_path[0] for fn in app.functions if fn.stack_path}
    assert {"Identity", "Locations", "Profiles"} <= stacks
    assert boundary_violations(app) == []


def test_each_seed_002_service_has_its_own_table():
    app = load_application(ROOT / "template.yaml")
    tables = {
        res.stack_path: res.logical_id
        for res in app.resources
        if res.type == "AWS::DynamoDB::Table" and res.stack_path
    }
    for service in ("Identity", "Locations", "Profiles"):
        assert (service,) in tables, f"{service} owns no table"
    signing = [r for r in app.resources if r.logical_id == "SigningKeys"]
    assert [r.stack_path for r in signing] == [("Identity",)]


SERVICE_A = """
Transform: AWS::Serverless-2016-10-31
Resources:
  ATable:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      BillingMode: PAY_PER_REQUEST
Outputs:
  TableName: {Value: !Ref ATable}
  TableArn: {Value: !GetAtt ATable.Arn}
"""

SERVICE_B = """
Transform: AWS::Serverless-2016-10-31
Parameters:
  OtherTable: {Type: String}
  OtherTableArn: {Type: String}
Resources:
  BTable:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      BillingMode: PAY_PER_REQUEST
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: ../src
      Handler: app.handler
      Policies:
        - DynamoDBCrudPolicy: {TableName: !Ref BTable}
        %s
"""

ROOT_TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Resources:
  A:
    Type: AWS::Serverless::Application
    Properties: {Location: a/template.yaml}
  B:
    Type: AWS::Serverless::Application
    Properties:
      Location: b/template.yaml
      Parameters:
        OtherTable: !GetAtt A.Outputs.TableName
        OtherTableArn: !GetAtt A.Outputs.TableArn
"""


def _two_services(tmp_path: Path, extra_policy: str) -> Application:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text("def handler(event, context):\n    return 1\n")
    for name, text in (("a", SERVICE_A), ("b", SERVICE_B % extra_policy)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "template.yaml").write_text(textwrap.dedent(text))
    (tmp_path / "template.yaml").write_text(textwrap.dedent(ROOT_TEMPLATE))
    return load_application(tmp_path / "template.yaml")


def test_own_tables_pass(tmp_path: Path) -> None:
    assert boundary_violations(_two_services(tmp_path, "")) == []


@pytest.mark.parametrize(
    ("policy", "found"),
    [
        ("- DynamoDBReadPolicy: {TableName: !Ref OtherTable}", "B/Fn reaches A/ATable"),
        (
            "- Statement: [{Effect: Allow, Action: dynamodb:Query, Resource: !Ref OtherTableArn}]",
            "B/Fn reaches A/ATable",
        ),
        (
            "- Statement: [{Effect: Allow, Action: 'dynamodb:*', Resource: '*'}]",
            "B/Fn reaches every table",
        ),
        ("- AmazonDynamoDBReadOnlyAccess", "B/Fn reaches every table"),
    ],
)
def test_another_services_table_is_caught(tmp_path: Path, policy: str, found: str) -> None:
    problems = boundary_violations(_two_services(tmp_path, policy))
    assert any(found in p for p in problems), problems
