from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from serverlite.errors import TemplateError, TemplateErrors
from serverlite.template import (
    Application,
    DestinationSpec,
    EventInvokeConfigSpec,
    ResourceType,
    load_application,
)

from .conftest import Write, function_template

FIXTURES = Path(__file__).parent / "fixtures"
Load = Callable[..., Application]


def messages(load: Load, text: str, **kwargs: Any) -> list[str]:
    with pytest.raises(TemplateError) as info:
        load(text, **kwargs)
    error = info.value
    return [str(e) for e in (error.errors if isinstance(error, TemplateErrors) else [error])]


def test_function_spec_from_serverless_function(load: Load, app_dir: Path) -> None:
    app = load(
        function_template(
            """
            FunctionName: orders-create
            MemorySize: 256
            Timeout: 30
            ReservedConcurrentExecutions: 5
            Architectures: [arm64]
            EphemeralStorage: {Size: 1024}
            Tracing: Active
            Description: creates orders
            Role: arn:aws:iam::123456789012:role/custom
            Policies: [AWSLambdaBasicExecutionRole, {SQSSendMessagePolicy: {QueueName: q}}]
            DeadLetterQueue: {Type: SQS, TargetArn: !GetAtt Dlq.Arn}
            EventInvokeConfig:
              MaximumRetryAttempts: 1
              MaximumEventAgeInSeconds: 120
              DestinationConfig:
                OnSuccess: {Type: SNS, Destination: !Ref Topic}
                OnFailure: {Type: SQS, Destination: !GetAtt Dlq.Arn}
            Events:
              Jobs:
                Type: SQS
                Properties: {Queue: !GetAtt Dlq.Arn, BatchSize: 5}
            """,
            "Dlq:\n  Type: AWS::SQS::Queue\nTopic:\n  Type: AWS::SNS::Topic\n",
        )
    )
    (fn,) = app.functions
    assert fn.name == "orders-create"
    assert fn.arn == "arn:aws:lambda:us-east-1:123456789012:function:orders-create"
    assert fn.qualified_id == "Fn"
    assert (fn.handler, fn.runtime) == ("app.handler", "python3.12")
    assert fn.code_dir == (app_dir / "src").resolve()
    assert fn.inline_code is None
    assert (fn.memory_mb, fn.timeout_s, fn.reserved_concurrency) == (256, 30, 5)
    assert (fn.architectures, fn.ephemeral_storage_mb) == (("arm64",), 1024)
    assert (fn.tracing, fn.description) == ("Active", "creates orders")
    assert fn.role == "arn:aws:iam::123456789012:role/custom"
    assert fn.policies == (
        "AWSLambdaBasicExecutionRole",
        {"SQSSendMessagePolicy": {"QueueName": "q"}},
    )
    dlq_arn = "arn:aws:sqs:us-east-1:123456789012:Dlq"
    assert fn.dead_letter_queue == DestinationSpec("SQS", dlq_arn)
    assert fn.event_invoke_config == EventInvokeConfigSpec(
        maximum_retry_attempts=1,
        maximum_event_age_seconds=120,
        on_success=DestinationSpec("SNS", "arn:aws:sns:us-east-1:123456789012:Topic"),
        on_failure=DestinationSpec("SQS", dlq_arn),
    )
    (event,) = fn.events
    assert (event.name, event.type, dict(event.properties)) == (
        "Jobs",
        "SQS",
        {"Queue": dlq_arn, "BatchSize": 5},
    )
    assert fn.template_file == app_dir / "template.yaml"
    assert fn.log_group_name == "/aws/lambda/orders-create"


def test_defaults_and_implicit_role(load: Load) -> None:
    (fn,) = load(function_template()).functions
    assert (fn.memory_mb, fn.timeout_s, fn.ephemeral_storage_mb) == (128, 3, 512)
    assert fn.architectures == ("x86_64",)
    assert fn.reserved_concurrency is None and fn.event_invoke_config is None
    assert fn.role == "arn:aws:iam::123456789012:role/FnRole"


def test_environment_values_are_stringified(load: Load) -> None:
    (fn,) = load(
        function_template(
            """
            Environment:
              Variables:
                COUNT: 5
                RATIO: 0.5
                ENABLED: true
                OFF: false
                TEXT: plain
            """
        )
    ).functions
    assert fn.environment == {
        "COUNT": "5",
        "RATIO": "0.5",
        "ENABLED": "true",
        "OFF": "false",
        "TEXT": "plain",
    }


def test_unknown_ref_error_message(load: Load) -> None:
    text = function_template("Environment:\n  Variables:\n    X1: !Ref Nope\n")
    assert messages(load, text) == [
        "template.yaml: Resources.Fn.Properties.Environment.Variables.X1: "
        "Ref to unknown resource or parameter 'Nope'"
    ]


def test_all_problems_are_reported_together(load: Load) -> None:
    text = function_template(
        """
        MemorySize: 64
        Timeout: 0
        Environment:
          Variables:
            A1: !Ref Nope
            A2: !GetAtt Missing.Arn
        """
    )
    # Both broken references are reported; the function could not be built, so its
    # limits are not checked yet.
    assert messages(load, text) == [
        "template.yaml: Resources.Fn.Properties.Environment.Variables.A1: "
        "Ref to unknown resource or parameter 'Nope'",
        "template.yaml: Resources.Fn.Properties.Environment.Variables.A2: "
        "Fn::GetAtt of unknown resource 'Missing'",
    ]
    text_ok_env = text.replace("A1: !Ref Nope", "A1: x").replace("A2: !GetAtt Missing.Arn", "A2: y")
    assert messages(load, text_ok_env) == [
        "template.yaml: Resources.Fn.Properties.MemorySize: must be 128-10240, got 64",
        "template.yaml: Resources.Fn.Properties.Timeout: must be 1-900, got 0",
    ]


def test_resolution_order_does_not_matter_and_cycles_are_found(load: Load) -> None:
    text = """
    Resources:
      Second:
        Type: AWS::SQS::Queue
        Properties:
          QueueName: !Sub "${First}-second"
      First:
        Type: AWS::SNS::Topic
        Properties:
          TopicName: first
    """
    app = load(text)
    queue = next(r for r in app.resources if r.logical_id == "Second")
    assert queue.attributes["QueueName"] == "arn:aws:sns:us-east-1:123456789012:first-second"
    cyclic = """
    Resources:
      A:
        Type: AWS::SQS::Queue
        Properties:
          QueueName: !GetAtt B.QueueName
      B:
        Type: AWS::SQS::Queue
        Properties:
          QueueName: !GetAtt A.QueueName
    """
    found = messages(load, cyclic)
    assert any("circular reference" in m for m in found)
    assert found[0].startswith("template.yaml: Resources.")


def test_conditions_drop_resources_and_choose_values(load: Load) -> None:
    text = """
    Parameters:
      Stage: {Type: String, Default: dev}
    Conditions:
      IsProd: !Equals [!Ref Stage, prod]
      IsDev: !Not [!Condition IsProd]
    Resources:
      ProdTopic:
        Type: AWS::SNS::Topic
        Condition: IsProd
      DevQueue:
        Type: AWS::SQS::Queue
        Condition: IsDev
      Fn:
        Type: AWS::Serverless::Function
        Properties:
          Handler: app.handler
          Runtime: python3.12
          CodeUri: src/
          MemorySize: !If [IsProd, 1024, 256]
          Environment:
            Variables:
              TARGET: !If [IsProd, !Ref ProdTopic, !Ref DevQueue]
              ONLY_PROD: !If [IsProd, "yes", !Ref AWS::NoValue]
    Outputs:
      Topic:
        Condition: IsProd
        Value: !Ref ProdTopic
    """
    dev = load(text)
    assert [r.logical_id for r in dev.resources] == ["DevQueue"]
    (fn,) = dev.functions
    assert fn.memory_mb == 256
    assert fn.environment == {"TARGET": "http://127.0.0.1:4566/123456789012/DevQueue"}
    assert dev.root.outputs == {}
    prod = load(text, parameter_overrides={"Stage": "prod"})
    assert [r.logical_id for r in prod.resources] == ["ProdTopic"]
    assert prod.functions[0].environment == {
        "TARGET": "arn:aws:sns:us-east-1:123456789012:ProdTopic",
        "ONLY_PROD": "yes",
    }
    assert prod.root.outputs == {"Topic": "arn:aws:sns:us-east-1:123456789012:ProdTopic"}


def test_ref_to_a_resource_whose_condition_is_false(load: Load) -> None:
    text = """
    Conditions:
      Never: !Equals [a, b]
    Resources:
      Topic:
        Type: AWS::SNS::Topic
        Condition: Never
    Outputs:
      T:
        Value: !Ref Topic
    """
    assert messages(load, text) == [
        "template.yaml: Outputs.T.Value: "
        "Ref to Topic, which is not created: its condition Never is false"
    ]


def test_pseudo_parameters(load: Load) -> None:
    text = function_template(
        """
        Environment:
          Variables:
            REGION: !Ref AWS::Region
            ACCOUNT: !Ref AWS::AccountId
            STACK: !Ref AWS::StackName
            STACK_ID: !Ref AWS::StackId
            PARTITION: !Ref AWS::Partition
            SUFFIX: !Ref AWS::URLSuffix
            NOTIFY: !Join [",", !Ref AWS::NotificationARNs]
        """
    )
    app = load(text, region="eu-central-1", account_id="111122223333", stack_name="shop")
    env = app.functions[0].environment
    assert env["REGION"] == "eu-central-1"
    assert env["ACCOUNT"] == "111122223333"
    assert env["STACK"] == "shop"
    assert env["STACK_ID"].startswith(
        "arn:aws:cloudformation:eu-central-1:111122223333:stack/shop/"
    )
    assert (env["PARTITION"], env["SUFFIX"], env["NOTIFY"]) == ("aws", "amazonaws.com", "")
    assert app.functions[0].arn == "arn:aws:lambda:eu-central-1:111122223333:function:Fn"
    assert app.root.stack_id == env["STACK_ID"]


def test_resource_refs_and_attributes(load: Load) -> None:
    text = """
    Resources:
      Queue:
        Type: AWS::SQS::Queue
        Properties: {QueueName: jobs}
      Fifo:
        Type: AWS::SQS::Queue
        Properties: {FifoQueue: true}
      Topic:
        Type: AWS::SNS::Topic
      Table:
        Type: AWS::DynamoDB::Table
        Properties: {TableName: orders}
      Simple:
        Type: AWS::Serverless::SimpleTable
      Param:
        Type: AWS::SSM::Parameter
        Properties: {Type: String, Value: v}
      Secret:
        Type: AWS::SecretsManager::Secret
        Properties: {Name: db}
      Bus:
        Type: AWS::Events::EventBus
        Properties: {Name: orders-bus}
      Rule:
        Type: AWS::Events::Rule
        Properties: {EventBusName: !Ref Bus}
      Role:
        Type: AWS::IAM::Role
      Layer:
        Type: AWS::Serverless::LayerVersion
        Properties: {ContentUri: src/, LayerName: shared}
      Custom:
        Type: AWS::Foo::Bar
    """
    app = load(text, endpoint_url="http://localhost:9999")
    by_id = {r.logical_id: r for r in app.resources}
    arn = "arn:aws:{}:us-east-1:123456789012:{}".format
    assert by_id["Queue"].physical_id == "http://localhost:9999/123456789012/jobs"
    assert by_id["Queue"].attributes == {
        "Arn": arn("sqs", "jobs"),
        "QueueName": "jobs",
        "QueueUrl": "http://localhost:9999/123456789012/jobs",
    }
    assert by_id["Fifo"].attributes["QueueName"] == "Fifo.fifo"
    assert by_id["Topic"].physical_id == arn("sns", "Topic")
    assert by_id["Topic"].attributes["TopicName"] == "Topic"
    assert by_id["Table"].physical_id == "orders"
    assert by_id["Table"].attributes["Arn"] == arn("dynamodb", "table/orders")
    assert (
        by_id["Table"].attributes["StreamArn"].startswith(arn("dynamodb", "table/orders/stream/"))
    )
    assert by_id["Simple"].physical_id == "Simple"
    assert by_id["Param"].physical_id == "Param"
    assert by_id["Param"].attributes == {"Type": "String", "Value": "v"}
    assert by_id["Secret"].physical_id.startswith(arn("secretsmanager", "secret:db-"))
    assert len(by_id["Secret"].physical_id) == len(arn("secretsmanager", "secret:db-")) + 6
    assert by_id["Bus"].physical_id == "orders-bus"
    assert by_id["Rule"].attributes["Arn"] == arn("events", "rule/orders-bus/Rule")
    assert by_id["Role"].attributes["Arn"] == "arn:aws:iam::123456789012:role/Role"
    assert app.layers[0].arn == arn("lambda", "layer:shared:1")
    assert by_id["Custom"].physical_id == "Custom"
    assert by_id["Custom"].attributes["Arn"] == arn("foo", "bar/Custom")


def test_get_att_of_a_missing_attribute(load: Load) -> None:
    text = (
        "Resources:\n  Q:\n    Type: AWS::SQS::Queue\nOutputs:\n  O:\n    Value: !GetAtt Q.Nope\n"
    )
    assert messages(load, text) == [
        "template.yaml: Outputs.O.Value: Fn::GetAtt: Q (AWS::SQS::Queue) has no attribute 'Nope'"
    ]


def test_pluggable_resource_types(load: Load) -> None:
    text = """
    Resources:
      MyApi:
        Type: AWS::Serverless::Api
        Properties: {StageName: Prod}
    Outputs:
      Url:
        Value: !Sub "http://127.0.0.1:3000/${MyApi}/"
    """
    local = ResourceType(ref=lambda view: f"local-{view.logical_id.lower()}")
    app = load(text, resource_types={"AWS::Serverless::Api": local})
    assert app.root.outputs == {"Url": "http://127.0.0.1:3000/local-myapi/"}
    assert app.resources[0].physical_id == "local-myapi"


def test_implicit_sam_api_is_referable(load: Load) -> None:
    text = function_template(
        """
        Events:
          Get:
            Type: Api
            Properties: {Path: /items, Method: get}
        """,
        sections="""
        Outputs:
          Url:
            Value: !Sub "https://${ServerlessRestApi}.execute-api.${AWS::Region}.amazonaws.com/Prod/"
        """,
    )
    app = load(text)
    (api,) = app.resources
    assert (api.logical_id, api.type) == ("ServerlessRestApi", "AWS::Serverless::Api")
    assert app.root.outputs["Url"] == (
        f"https://{api.physical_id}.execute-api.us-east-1.amazonaws.com/Prod/"
    )
    assert len(api.physical_id) == 10


def test_inline_code(load: Load, app_dir: Path) -> None:
    text = """
    Resources:
      Fn:
        Type: AWS::Serverless::Function
        Properties:
          Handler: index.handler
          Runtime: python3.13
          InlineCode: |
            def handler(event, context):
                return 1
    """
    (fn,) = load(text).functions
    assert fn.inline_code is not None and fn.inline_code.startswith("def handler")
    assert fn.code_dir == app_dir.resolve()
    assert not (app_dir / ".serverlite").exists()  # nothing written at load time


def test_unsupported_runtime_and_code_locations(load: Load) -> None:
    text = function_template().replace("python3.12", "nodejs20.x")
    assert messages(load, text) == [
        "template.yaml: Resources.Fn.Properties.Runtime: Runtime nodejs20.x is not supported: "
        "serverlite runs Python functions (python3.9-python3.14)"
    ]
    s3 = function_template().replace("CodeUri: src/", "CodeUri: {Bucket: b, Key: k}")
    assert messages(load, s3) == [
        "template.yaml: Resources.Fn.Properties.CodeUri: CodeUri points at S3; serverlite runs "
        "only local code: set CodeUri to a directory relative to the template"
    ]
    s3_uri = function_template().replace("CodeUri: src/", "CodeUri: s3://bucket/code.zip")
    assert "points at S3" in messages(load, s3_uri)[0]


def test_image_functions_are_rejected(load: Load) -> None:
    text = function_template("PackageType: Image\nImageUri: repo/image:latest")
    assert messages(load, text) == [
        "template.yaml: Resources.Fn.Properties.PackageType: "
        "container image functions are not supported by serverlite"
    ]


@pytest.mark.parametrize("runtime", [f"python3.{minor}" for minor in range(9, 15)])
def test_supported_runtimes(load: Load, runtime: str) -> None:
    assert load(function_template().replace("python3.12", runtime)).functions[0].runtime == runtime


def test_lambda_function_and_event_invoke_config(load: Load, app_dir: Path) -> None:
    text = """
    Resources:
      Plain:
        Type: AWS::Lambda::Function
        Properties:
          FunctionName: plain
          Handler: app.handler
          Runtime: python3.11
          Role: arn:aws:iam::123456789012:role/r
          Code: src
          MemorySize: 512
          Timeout: 60
          ReservedConcurrentExecutions: 2
          Layers: [!Ref Layer]
          DeadLetterConfig: {TargetArn: !Ref Topic}
          TracingConfig: {Mode: Active}
          Environment:
            Variables: {MODE: lambda}
      Zipped:
        Type: AWS::Lambda::Function
        Properties:
          Handler: index.handler
          Runtime: python3.11
          Role: arn:aws:iam::123456789012:role/r
          Code:
            ZipFile: "def handler(e, c): return 2"
      Config:
        Type: AWS::Lambda::EventInvokeConfig
        Properties:
          FunctionName: !Ref Plain
          Qualifier: $LATEST
          MaximumRetryAttempts: 0
          MaximumEventAgeInSeconds: 60
          DestinationConfig:
            OnFailure: {Destination: !GetAtt Queue.Arn}
      Layer:
        Type: AWS::Lambda::LayerVersion
        Properties: {Content: src, LayerName: lib}
      Topic:
        Type: AWS::SNS::Topic
      Queue:
        Type: AWS::SQS::Queue
    """
    app = load(text)
    plain, zipped = app.functions
    assert (plain.name, plain.resource_type) == ("plain", "AWS::Lambda::Function")
    assert plain.code_dir == (app_dir / "src").resolve()
    assert (plain.memory_mb, plain.timeout_s, plain.reserved_concurrency) == (512, 60, 2)
    assert [layer.name for layer in plain.layers] == ["lib"]
    assert plain.dead_letter_queue == DestinationSpec(
        "SNS", "arn:aws:sns:us-east-1:123456789012:Topic"
    )
    assert plain.tracing == "Active"
    assert plain.environment == {"MODE": "lambda"}
    assert plain.event_invoke_config == EventInvokeConfigSpec(
        maximum_retry_attempts=0,
        maximum_event_age_seconds=60,
        on_failure=DestinationSpec("SQS", "arn:aws:sqs:us-east-1:123456789012:Queue"),
    )
    assert zipped.inline_code == "def handler(e, c): return 2"
    assert zipped.event_invoke_config is None
    assert "Config" not in {r.logical_id for r in app.resources}


def test_event_invoke_config_resource_limits_name_its_path(load: Load) -> None:
    text = """
    Resources:
      Fn:
        Type: AWS::Lambda::Function
        Properties:
          Handler: app.handler
          Runtime: python3.11
          Role: arn:aws:iam::123456789012:role/r
          Code: src
      Config:
        Type: AWS::Lambda::EventInvokeConfig
        Properties:
          FunctionName: !Ref Fn
          Qualifier: $LATEST
          MaximumRetryAttempts: 3
    """
    assert messages(load, text) == [
        "template.yaml: Resources.Config.Properties.MaximumRetryAttempts: must be 0-2, got 3"
    ]


def test_external_layers_warn(load: Load) -> None:
    arn = "arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3:1"
    (fn,) = (app := load(function_template(f"Layers: [{arn}]"))).functions
    assert fn.layers == () and fn.external_layer_arns == (arn,)
    assert app.warnings == (
        f"template.yaml: Resources.Fn.Properties.Layers[0]: layer {arn} is not defined in the "
        "application; serverlite cannot fetch it and runs Fn without it",
    )


def test_duplicate_function_names(load: Load) -> None:
    other = (
        "Other:\n"
        "  Type: AWS::Serverless::Function\n"
        "  Properties:\n"
        "    FunctionName: same\n"
        "    Handler: app.handler\n"
        "    Runtime: python3.12\n"
        "    CodeUri: src/\n"
    )
    text = function_template("FunctionName: same", other)
    assert messages(load, text) == [
        "template.yaml: Resources.Other.Properties.FunctionName: "
        "function name 'same' is already used by Fn"
    ]


def test_transform_and_structure_errors(load: Load, write: Write) -> None:
    path = write("Transform: MyMacro\n" + function_template(), header=False)
    with pytest.raises(TemplateError) as macro:
        load_application(path)
    assert str(macro.value) == (
        "template.yaml: Transform: 'MyMacro' is not supported (only AWS::Serverless-2016-10-31)"
    )
    path = write("Resources:\n  Bad: {Properties: {}}\n  Fn: [1]\n")
    with pytest.raises(TemplateErrors) as info:
        load_application(path)
    assert [str(e) for e in info.value.errors] == [
        "template.yaml: Resources.Bad: must be a mapping with a Type",
        "template.yaml: Resources.Fn: must be a mapping with a Type",
    ]


def test_json_template_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES / "json_app")
    app = load_application(Path("template.json"), parameter_overrides={"Stage": "qa"})
    (fn,) = app.functions
    assert fn.environment == {
        "ARN": "arn:aws:sqs:us-east-1:123456789012:jobs",
        "STAGE": "qa",
        "GREETING": "hello-qa",
    }
    assert app.root.outputs == {"QueueUrl": "http://127.0.0.1:4566/123456789012/jobs"}


def test_loading_runs_no_linter(load: Load, write: Write, monkeypatch: pytest.MonkeyPatch) -> None:
    # Loading happens on every `up` and `invoke`: cfn-lint (seconds for a template) runs
    # only under `serverlite validate`. No wall-clock bound here: that fails under load.
    monkeypatch.setitem(sys.modules, "cfnlint", None)  # importing it raises ImportError
    resources = "".join(
        f"""
  Fn{i}:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      CodeUri: src/
      Environment:
        Variables:
          QUEUE: !Ref Queue{i}
          ARN: !GetAtt Queue{i}.Arn
  Queue{i}:
    Type: AWS::SQS::Queue
"""
        for i in range(20)
    )
    path = write("Globals:\n  Function:\n    Runtime: python3.12\nResources:" + resources)
    app = load_application(path)
    assert len(app.functions) == 20
    assert app.functions[3].environment["QUEUE"].endswith("/Queue3")


def test_logging_config(load: Load) -> None:
    (plain,) = load(function_template()).functions
    assert (plain.log_format, plain.application_log_level) == ("Text", None)
    assert plain.log_group_name == "/aws/lambda/Fn"
    json_fn = "LoggingConfig: {LogFormat: JSON, SystemLogLevel: WARN, LogGroup: /my/group}"
    (fn,) = load(function_template(json_fn)).functions
    assert (fn.log_format, fn.application_log_level, fn.system_log_level) == (
        "JSON",
        "INFO",
        "WARN",
    )
    assert fn.log_group_name == "/my/group"
    bad = "LoggingConfig: {LogFormat: Text, ApplicationLogLevel: DEBUG}"
    assert messages(load, function_template(bad)) == [
        "template.yaml: Resources.Fn.Properties.LoggingConfig.ApplicationLogLevel: can be set "
        "only when LogFormat is JSON"
    ]
    level = "LoggingConfig: {LogFormat: JSON, SystemLogLevel: LOUD}"
    assert "must be one of TRACE" in messages(load, function_template(level))[0]
