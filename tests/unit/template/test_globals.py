from __future__ import annotations

from collections.abc import Callable

import pytest

from serverlite.errors import TemplateError
from serverlite.template import Application
from serverlite.template.globals import apply_globals, check_globals, merge_values


def test_merge_rules() -> None:
    # Resource values win; mappings merge recursively; lists get the globals' entries first.
    assert merge_values(10, 20) == 20
    assert merge_values({"A": 1, "B": {"X": 1}}, {"B": {"Y": 2}, "C": 3}) == {
        "A": 1,
        "B": {"X": 1, "Y": 2},
        "C": 3,
    }
    assert merge_values(["g1", "g2"], ["l1"]) == ["g1", "g2", "l1"]
    assert merge_values(["x86_64"], ["arm64"], replace_lists=True) == ["arm64"]
    # Different shapes, or an intrinsic on either side: the resource's value wins.
    assert merge_values({"A": 1}, "text") == "text"
    assert merge_values({"Ref": "G"}, {"A": 1}) == {"A": 1}
    assert merge_values({"A": 1}, {"Fn::If": ["C", {"B": 1}, {"B": 2}]}) == {
        "Fn::If": ["C", {"B": 1}, {"B": 2}]
    }


def test_apply_globals_per_type() -> None:
    sections = {
        "Function": {"Timeout": 30, "Layers": ["g"]},
        "SimpleTable": {"SSESpecification": 1},
    }
    merged = apply_globals(sections, "AWS::Serverless::Function", {"Layers": ["l"], "Handler": "h"})
    assert merged == {"Timeout": 30, "Layers": ["g", "l"], "Handler": "h"}
    assert apply_globals(sections, "AWS::Lambda::Function", {"Timeout": 1}) == {"Timeout": 1}
    assert apply_globals(sections, "AWS::Serverless::SimpleTable", {}) == {"SSESpecification": 1}


def test_unknown_globals_section() -> None:
    usable, errors = check_globals({"Function": {}, "Queue": {}}, "template.yaml")
    assert usable == {"Function": {}}
    assert [str(e) for e in errors] == [
        "template.yaml: Globals.Queue: unsupported Globals section "
        "(Function, Api, HttpApi, SimpleTable, LayerVersion, StateMachine, CapacityProvider)"
    ]


GLOBALS_APP = """
Globals:
  Function:
    Runtime: python3.11
    Timeout: 30
    MemorySize: 512
    Layers: [!Ref Common]
    Architectures: [x86_64]
    Environment:
      Variables:
        STAGE: dev
        SHARED: "1"
  SimpleTable:
    PrimaryKey: {Name: pk, Type: String}
  LayerVersion:
    CompatibleRuntimes: [python3.11]
Resources:
  Common:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: src/
  Own:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: src/
      CompatibleRuntimes: [python3.12]
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      CodeUri: src/
      Timeout: 5
      Layers: [!Ref Own]
      Architectures: [arm64]
      Environment:
        Variables:
          STAGE: prod
          OWN: "2"
  Plain:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      CodeUri: src/
  Table:
    Type: AWS::Serverless::SimpleTable
"""


def test_globals_applied_by_loader(load: Callable[..., Application]) -> None:
    app = load(GLOBALS_APP)
    fn, plain = app.functions
    assert fn.runtime == "python3.11"
    assert (fn.timeout_s, fn.memory_mb) == (5, 512)
    assert [layer.logical_id for layer in fn.layers] == ["Common", "Own"]
    assert fn.architectures == ("arm64",)
    assert fn.environment == {"STAGE": "prod", "SHARED": "1", "OWN": "2"}
    assert (plain.timeout_s, [layer.logical_id for layer in plain.layers]) == (30, ["Common"])
    assert fn.origins["Timeout"] == "Resources.Fn.Properties.Timeout"
    assert plain.origins["Timeout"] == "Globals.Function.Timeout"
    assert fn.origins["Environment.Variables.SHARED"] == (
        "Globals.Function.Environment.Variables.SHARED"
    )
    table = next(r for r in app.resources if r.logical_id == "Table")
    assert table.properties == {"PrimaryKey": {"Name": "pk", "Type": "String"}}
    layers = {layer.logical_id: layer for layer in app.layers}
    assert layers["Common"].compatible_runtimes == ("python3.11",)
    assert layers["Own"].compatible_runtimes == ("python3.11", "python3.12")


def test_errors_in_globals_name_the_globals_path(load: Callable[..., Application]) -> None:
    text = GLOBALS_APP.replace("Timeout: 30", "Timeout: 0")
    with pytest.raises(TemplateError) as info:
        load(text)
    assert str(info.value) == "template.yaml: Globals.Function.Timeout: must be 1-900, got 0"


def test_api_and_http_api_globals(load: Callable[..., Application]) -> None:
    app = load(
        """
        Globals:
          Api:
            Cors: "'*'"
            Auth: {DefaultAuthorizer: NONE}
          HttpApi:
            CorsConfiguration: {AllowOrigins: ["*"]}
        Resources:
          Rest:
            Type: AWS::Serverless::Api
            Properties:
              StageName: Prod
              Auth: {ApiKeyRequired: true}
          Http:
            Type: AWS::Serverless::HttpApi
          Other:
            Type: AWS::ApiGateway::RestApi
            Properties: {Name: plain}
        """
    )
    by_id = {r.logical_id: r for r in app.resources}
    assert by_id["Rest"].properties == {
        "Cors": "'*'",
        "Auth": {"DefaultAuthorizer": "NONE", "ApiKeyRequired": True},
        "StageName": "Prod",
    }
    assert by_id["Http"].properties == {"CorsConfiguration": {"AllowOrigins": ["*"]}}
    assert by_id["Other"].properties == {"Name": "plain"}  # Globals are for SAM types only


def test_globals_api_applies_to_the_implicit_api(tmp_path):
    from serverlite.template import load_application

    (tmp_path / "template.yaml").write_text(
        "Transform: AWS::Serverless-2016-10-31\n"
        "Globals:\n  Api:\n    Cors: \"'*'\"\n  HttpApi:\n    StageName: v1\n"
        "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      CodeUri: .\n      Handler: app.handler\n      Runtime: python3.11\n"
        "      Events:\n        A:\n          Type: Api\n"
        "          Properties: {Path: /a, Method: get}\n"
        "        B:\n          Type: HttpApi\n"
    )
    app = load_application(tmp_path / "template.yaml")
    props = {r.logical_id: dict(r.properties) for r in app.resources}
    assert props["ServerlessRestApi"] == {"Cors": "'*'"}
    assert props["ServerlessHttpApi"] == {"StageName": "v1"}
