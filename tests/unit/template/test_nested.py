"""Nested AWS::Serverless::Application stacks with a local Location."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from serverlite.errors import TemplateError, TemplateErrors
from serverlite.template import Application, load_application

from .conftest import Write

ROOT = """
Parameters:
  Stage: {Type: String, Default: dev}
Resources:
  Shared:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: layers/shared
  Orders:
    Type: AWS::Serverless::Application
    Properties:
      Location: orders/template.yaml
      Parameters:
        Stage: !Ref Stage
        SharedLayer: !Ref Shared
        Subnets: [a, b]
  Invoices:
    Type: AWS::Serverless::Application
    Properties:
      Location: ./invoices/template.yaml
      Parameters:
        OrdersQueueUrl: !GetAtt Orders.Outputs.QueueUrl
  Api:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      CodeUri: src/
      Environment:
        Variables:
          CREATE_ORDER: !GetAtt Orders.Outputs.CreateName
          ORDERS_STACK: !Ref Orders
Outputs:
  InvoiceFn:
    Value: !GetAtt Invoices.Outputs.WorkerArn
"""

ORDERS = """
Parameters:
  Stage: {Type: String}
  SharedLayer: {Type: String}
  Subnets: {Type: CommaDelimitedList}
Resources:
  Create:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      CodeUri: src/
      Layers: [!Ref SharedLayer]
      Environment:
        Variables:
          STAGE: !Ref Stage
          STACK: !Ref AWS::StackName
          SUBNET: !Select [1, !Ref Subnets]
          BUS: !ImportValue shared-bus-name
  Queue:
    Type: AWS::SQS::Queue
  Table:
    Type: AWS::DynamoDB::Table
Outputs:
  QueueUrl:
    Value: !Ref Queue
  CreateName:
    Value: !Ref Create
  TableName:
    Value: !Ref Table
    Export:
      Name: !Sub "${AWS::StackName}-table"
"""

INVOICES = """
Parameters:
  OrdersQueueUrl: {Type: String}
Resources:
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      CodeUri: src/
      Environment:
        Variables:
          QUEUE_URL: !Ref OrdersQueueUrl
          TABLE: !ImportValue serverlite-Orders-table
  Bus:
    Type: AWS::Events::EventBus
    Properties: {Name: shared}
Outputs:
  WorkerArn:
    Value: !GetAtt Worker.Arn
  BusName:
    Value: !Ref Bus
    Export: {Name: shared-bus-name}
"""


@pytest.fixture
def nested_app(write: Write, app_dir: Path) -> Path:
    for name in ("orders", "invoices"):
        (app_dir / name / "src").mkdir(parents=True)
        (app_dir / name / "src" / "app.py").write_text("def handler(e, c):\n    return 1\n")
    (app_dir / "layers" / "shared" / "python").mkdir(parents=True)
    write(ORDERS, "orders/template.yaml")
    write(INVOICES, "invoices/template.yaml")
    return write(ROOT)


def test_nested_stacks_functions_and_names(nested_app: Path, app_dir: Path) -> None:
    app = load_application(nested_app, parameter_overrides={"Stage": "prod"})
    by_id = {fn.qualified_id: fn for fn in app.functions}
    assert set(by_id) == {"Api", "Orders/Create", "Invoices/Worker"}
    create = by_id["Orders/Create"]
    assert create.name == "Orders-Create"
    assert create.stack_path == ("Orders",)
    assert create.code_dir == (app_dir / "orders" / "src").resolve()
    assert create.template_file == app_dir / "orders" / "template.yaml"
    # A layer of the parent, passed in as a parameter, is found by its ARN.
    assert [layer.logical_id for layer in create.layers] == ["Shared"]
    assert create.environment == {
        "STAGE": "prod",
        "STACK": "serverlite-Orders",
        "SUBNET": "b",
        "BUS": "shared",
    }
    assert app.find_function("Orders/Create") is create
    assert app.find_function("Orders-Create") is create


def test_outputs_flow_between_stacks(nested_app: Path) -> None:
    app = load_application(nested_app)
    by_id = {fn.qualified_id: fn for fn in app.functions}
    api, worker = by_id["Api"], by_id["Invoices/Worker"]
    assert api.environment["CREATE_ORDER"] == "Orders-Create"
    assert api.environment["ORDERS_STACK"].startswith(
        "arn:aws:cloudformation:us-east-1:123456789012:stack/serverlite-Orders/"
    )
    assert worker.environment == {
        "QUEUE_URL": "http://127.0.0.1:4566/123456789012/Orders-Queue",
        "TABLE": "Orders-Table",
    }
    assert app.root.outputs == {
        "InvoiceFn": "arn:aws:lambda:us-east-1:123456789012:function:Invoices-Worker"
    }
    orders, invoices = app.root.nested
    assert (orders.name, orders.path, orders.aws_stack_name) == (
        "Orders",
        ("Orders",),
        "serverlite-Orders",
    )
    assert orders.parameters == {"Stage": "dev", "SharedLayer": app.layers[0].arn, "Subnets": "a,b"}
    assert orders.exports == {"serverlite-Orders-table": "Orders-Table"}
    assert invoices.exports == {"shared-bus-name": "shared"}
    assert [s.name for s in app.root.walk()] == ["serverlite", "Orders", "Invoices"]
    assert {r.logical_id for r in app.resources} == {"Queue", "Table", "Bus"}


def test_missing_output_and_missing_location(write: Write, app_dir: Path) -> None:
    write("Resources:\n  Q:\n    Type: AWS::SQS::Queue\n", "child/template.yaml")
    path = write(
        """
        Resources:
          Child:
            Type: AWS::Serverless::Application
            Properties:
              Location: child/template.yaml
          Gone:
            Type: AWS::Serverless::Application
            Properties:
              Location: nowhere/template.yaml
        Outputs:
          X:
            Value: !GetAtt Child.Outputs.Nope
        """
    )
    with pytest.raises(TemplateErrors) as info:
        load_application(path)
    assert [str(e) for e in info.value.errors] == [
        "template.yaml: Resources.Gone.Properties.Location: "
        "nested application template not found: nowhere/template.yaml",
        "template.yaml: Outputs.X.Value: Fn::GetAtt: nested application Child has no output 'Nope'",
    ]


def test_serverless_repo_location_is_rejected(load: Callable[..., Application]) -> None:
    text = """
    Resources:
      Sar:
        Type: AWS::Serverless::Application
        Properties:
          Location:
            ApplicationId: arn:aws:serverlessrepo:us-east-1:123456789012:applications/x
            SemanticVersion: 1.0.0
    """
    with pytest.raises(TemplateError) as info:
        load(text)
    assert str(info.value).startswith(
        "template.yaml: Resources.Sar.Properties.Location: this is an AWS Serverless "
        "Application Repository application"
    )
    assert "serverlite runs only local nested applications" in str(info.value)


def test_unknown_child_parameter_and_missing_child_parameter(write: Write) -> None:
    write(
        "Parameters:\n  Needed: {Type: String}\nResources:\n  Q:\n    Type: AWS::SQS::Queue\n",
        "c.yaml",
    )
    path = write(
        """
        Resources:
          Child:
            Type: AWS::Serverless::Application
            Properties:
              Location: c.yaml
              Parameters: {Extra: x}
        """
    )
    with pytest.raises(TemplateErrors) as info:
        load_application(path)
    assert [str(e) for e in info.value.errors] == [
        "template.yaml: Resources.Child.Properties.Parameters.Extra: "
        "c.yaml declares no parameter Extra",
    ]


def test_a_template_cannot_nest_itself(load: Callable[..., Application]) -> None:
    text = """
    Resources:
      Me:
        Type: AWS::Serverless::Application
        Properties:
          Location: template.yaml
    """
    with pytest.raises(TemplateError) as info:
        load(text)
    assert str(info.value) == (
        "template.yaml: Resources.Me.Properties.Location: "
        "a nested application cannot include itself"
    )


def test_import_value_errors(write: Write) -> None:
    write(
        "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n"
        "Outputs:\n  O:\n    Value: !Ref Q\n    Export: {Name: dup}\n",
        "a.yaml",
    )
    write(
        "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n"
        "Outputs:\n  O:\n    Value: !Ref Q\n    Export: {Name: dup}\n",
        "b.yaml",
    )
    path = write(
        """
        Resources:
          A:
            Type: AWS::Serverless::Application
            Properties: {Location: a.yaml}
          B:
            Type: AWS::Serverless::Application
            Properties: {Location: b.yaml}
          Own:
            Type: AWS::SQS::Queue
        Outputs:
          Mine:
            Value: !Ref Own
            Export: {Name: mine}
          UseDup:
            Value: !ImportValue dup
          UseMine:
            Value: !ImportValue mine
          UseNone:
            Value: !ImportValue nobody
        """
    )
    with pytest.raises(TemplateErrors) as info:
        load_application(path)
    found = [str(e) for e in info.value.errors]
    assert found == [
        "template.yaml: Outputs.UseDup.Value: Fn::ImportValue: 'dup' is exported twice: "
        "a.yaml Outputs.O, b.yaml Outputs.O",
        "template.yaml: Outputs.UseMine.Value: Fn::ImportValue: 'mine' is exported by this same "
        "stack; CloudFormation cannot import a stack's own export (use Ref or Fn::GetAtt)",
        "template.yaml: Outputs.UseNone.Value: Fn::ImportValue: no stack of the application "
        "exports 'nobody' (serverlite cannot import exports of stacks deployed elsewhere)",
        "b.yaml: Outputs.O.Export.Name: export name 'dup' is already exported by a.yaml Outputs.O",
    ]


def test_duplicate_names_across_stacks(write: Write) -> None:
    write(
        """
        Resources:
          Fn:
            Type: AWS::Serverless::Function
            Properties:
              FunctionName: Child-Fn
              Handler: app.handler
              Runtime: python3.12
              CodeUri: src/
        """,
        "inner.yaml",
    )
    path = write(
        """
        Resources:
          Child:
            Type: AWS::Serverless::Application
            Properties: {Location: inner.yaml}
          Other:
            Type: AWS::Serverless::Application
            Properties: {Location: inner.yaml}
        """
    )
    with pytest.raises(TemplateErrors) as info:
        load_application(path)
    assert [str(e) for e in info.value.errors] == [
        "inner.yaml: Resources.Fn.Properties.FunctionName: "
        "function name 'Child-Fn' is already used by Child/Fn"
    ]
