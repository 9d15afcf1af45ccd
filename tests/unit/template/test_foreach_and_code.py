"""Fn::ForEach, CDK asset code, .zip and .py code locations, SAM-generated resources."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from serverlite.template import Application


def test_foreach_expands_resources_and_outputs(load: Callable[..., Application]) -> None:
    text = """
    Parameters:
      Names: {Type: CommaDelimitedList, Default: "orders,invoice-items"}
    Resources:
      Fn::ForEach::Queues:
        - Name
        - !Ref Names
        - "&{Name}Queue":
            Type: AWS::SQS::Queue
            Properties:
              QueueName: !Sub "${Name}-queue"
              Tags: [{Key: name, Value: !Ref Name}]
    Outputs:
      Fn::ForEach::Urls:
        - Name
        - [orders]
        - "${Name}Url":
            Value: !Ref ordersQueue
    """
    app = load(text)
    queues = {r.logical_id: r.properties for r in app.resources}
    assert queues == {
        "ordersQueue": {"QueueName": "orders-queue", "Tags": [{"Key": "name", "Value": "orders"}]},
        "invoiceitemsQueue": {
            "QueueName": "invoice-items-queue",
            "Tags": [{"Key": "name", "Value": "invoice-items"}],
        },
    }
    assert set(app.root.outputs) == {"ordersUrl"}


def _lambda(code: str) -> str:
    return f"""
    Resources:
      Fn:
        Type: AWS::Lambda::Function
        Properties:
          Handler: index.handler
          Runtime: python3.12
          Role: arn:aws:iam::123456789012:role/r
          Code: {code}
    """


def test_cdk_asset_path_zip_and_single_file(
    load: Callable[..., Application],
    app_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (app_dir / "asset.abc").mkdir()
    (app_dir / "asset.abc" / "index.py").write_text("def handler(e, c): return 1\n")
    cdk = _lambda("{S3Bucket: b, S3Key: abc.zip}").rstrip(" ") + (
        "        Metadata: {aws:asset:path: asset.abc, aws:asset:property: Code}\n"
    )
    assert load(cdk).functions[0].code_dir == app_dir / "asset.abc"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
    with zipfile.ZipFile(app_dir / "code.zip", "w") as zf:
        zf.writestr("index.py", "def handler(e, c): return 2\n")
    code_dir = load(_lambda("code.zip")).functions[0].code_dir
    assert (code_dir / "index.py").read_text() == "def handler(e, c): return 2\n"
    assert load(_lambda("code.zip")).functions[0].code_dir == code_dir  # unpacked once
    assert load(_lambda("asset.abc/index.py")).functions[0].code_dir == app_dir / "asset.abc"


def test_sam_generated_resources_are_referable(load: Callable[..., Application]) -> None:
    text = """
    Resources:
      Api:
        Type: AWS::Serverless::Api
        Properties: {StageName: v1}
      Fn:
        Type: AWS::Serverless::Function
        Properties:
          CodeUri: src
          Handler: app.handler
          Runtime: python3.12
          Events:
            Get: {Type: Api, Properties: {Path: /a, Method: get, RestApiId: !Ref Api}}
            Other: {Type: Api, Properties: {Path: /b, Method: get}}
    Outputs:
      Stage: {Value: !Ref Apiv1Stage}
      Deployment: {Value: !Ref ApiDeployment}
      Implicit: {Value: !Ref ServerlessRestApiProdStage}
      Permission: {Value: !Ref FnGetPermission}
      Role: {Value: !GetAtt FnRole.Arn}
    """
    outputs = load(text).root.outputs
    assert outputs["Stage"] == "v1"
    assert outputs["Implicit"] == "Prod"
    assert outputs["Permission"] == "FnGetPermission"
