"""Versions, aliases and URLs SAM generates: AutoPublishAlias, FunctionUrlConfig."""

from __future__ import annotations

import pytest

from serverlite.errors import TemplateError
from tests.unit.template.conftest import function_template

ARN = "arn:aws:lambda:us-east-1:123456789012:function:Fn"
FUNCTION = """
Parameters:
  Stage: {Type: String, Default: live}
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.12
      %s
Outputs:
  Out: {Value: %s}
"""


def test_auto_publish_alias_refs_resolve_to_qualified_arns(load):
    app = load(
        FUNCTION % ("AutoPublishAlias: !Ref Stage", "!Join [' ', [!Ref Fn.Alias, !Ref Fn.Version]]")
    )
    assert app.root.outputs["Out"] == f"{ARN}:live {ARN}:1"
    kinds = {r.type: r for r in app.resources}
    alias = kinds["AWS::Lambda::Alias"]
    assert alias.logical_id == "FnAliaslive"
    assert dict(alias.properties) == {"Name": "live", "FunctionName": "Fn", "FunctionVersion": "1"}
    assert kinds["AWS::Lambda::Version"].logical_id.startswith("FnVersion")


def test_function_url_config_makes_fn_url_targeting_the_alias(load):
    app = load(
        FUNCTION
        % (
            "AutoPublishAlias: live\n      FunctionUrlConfig:"
            " {AuthType: AWS_IAM, InvokeMode: RESPONSE_STREAM}",
            "!GetAtt FnUrl.FunctionUrl",
        )
    )
    url = app.root.outputs["Out"]
    assert url.startswith("https://") and url.endswith(".lambda-url.us-east-1.on.aws/")
    assert len(url.removeprefix("https://").split(".")[0]) == 32
    (spec,) = [r for r in app.resources if r.type == "AWS::Lambda::Url"]
    assert spec.properties["Qualifier"] == "live"
    assert spec.properties["AuthType"] == "AWS_IAM"
    assert spec.attributes["FunctionArn"] == f"{ARN}:live"


def test_ref_fn_alias_without_auto_publish_alias_is_an_error(load):
    with pytest.raises(TemplateError, match="Fn has no AutoPublishAlias"):
        load(FUNCTION % ("Timeout: 3", "!Ref Fn.Alias"))


def test_declared_versions_are_numbered_in_template_order(load):
    app = load(
        function_template(
            resources="""
            V1: {Type: AWS::Lambda::Version, Properties: {FunctionName: !Ref Fn}}
            V2: {Type: AWS::Lambda::Version, Properties: {FunctionName: !Ref Fn}}
            """,
            sections="""
            Outputs:
              Out: {Value: !Join [' ', [!Ref V1, !Ref V2, !GetAtt V2.Version]]}
            """,
        )
    )
    assert app.root.outputs["Out"] == f"{ARN}:1 {ARN}:2 2"
