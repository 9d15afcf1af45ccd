"""AWS::Include and DefinitionUri: documents a template names by path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from serverlite.errors import TemplateErrors
from serverlite.template import Application

API = """
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: src, Handler: app.handler, Runtime: python3.12}
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: v1
"""


def test_aws_include_resolves_the_snippet_intrinsics(
    load: Callable[..., Application], app_dir: Path
) -> None:
    (app_dir / "doc.yaml").write_text("paths: {/a: {get: {uri: !GetAtt Fn.Arn}}}\n")
    text = API + (
        "      DefinitionBody:\n        Fn::Transform:\n          Name: AWS::Include\n"
        "          Parameters: {Location: ./doc.yaml}\n"
    )
    (api,) = [r for r in load(text).resources if r.logical_id == "Api"]
    assert api.properties["DefinitionBody"] == {
        "paths": {"/a": {"get": {"uri": "arn:aws:lambda:us-east-1:123456789012:function:Fn"}}}
    }


def test_definition_uri_local_file_and_s3_refused(
    load: Callable[..., Application], app_dir: Path
) -> None:
    (app_dir / "doc.json").write_text('{"paths": {"/b": {}}}')
    (api,) = [
        r for r in load(API + "      DefinitionUri: doc.json\n").resources if r.logical_id == "Api"
    ]
    assert api.properties["DefinitionBody"] == {"paths": {"/b": {}}}
    with pytest.raises(TemplateErrors) as info:
        load(API + "      DefinitionUri: {Bucket: b, Key: k}\n")
    assert "points at S3" in str(info.value)
    with pytest.raises(TemplateErrors) as info:
        load(API + "      DefinitionBody: {'Fn::Transform': {Name: MyMacro}}\n")
    assert "Fn::Transform 'MyMacro' is not supported by serverlite" in str(info.value)
