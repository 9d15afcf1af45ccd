"""Local API URLs: execute-api URLs rewritten, and APIs read again from the result."""

from __future__ import annotations

import textwrap
from pathlib import Path

from serverlite.gateway.frontend import serve_locally
from serverlite.template import load_application

ISSUER = """
Transform: AWS::Serverless-2016-10-31
Parameters:
  Issuer: {Type: String}
Resources:
  PrivateApi:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        DefaultAuthorizer: Tokens
        Authorizers:
          Tokens:
            JwtConfiguration: {issuer: !Ref Issuer, audience: [private]}
  Private:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: ../src
      Handler: app.handler
      Environment:
        Variables:
          ISSUER: !Ref Issuer
      Events:
        Get:
          Type: HttpApi
          Properties: {ApiId: !Ref PrivateApi, Path: /things, Method: get}
"""

IDENTITY = """
Transform: AWS::Serverless-2016-10-31
Resources:
  IdentityApi:
    Type: AWS::Serverless::HttpApi
  Keys:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: ../src
      Handler: app.handler
      Events:
        Jwks:
          Type: HttpApi
          Properties: {ApiId: !Ref IdentityApi, Path: /.well-known/jwks.json, Method: get}
Outputs:
  Issuer:
    Value: !GetAtt IdentityApi.ApiEndpoint
"""

ROOT = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Identity:
    Type: AWS::Serverless::Application
    Properties:
      Location: identity/template.yaml
  Private:
    Type: AWS::Serverless::Application
    Properties:
      Location: private/template.yaml
      Parameters:
        Issuer: !GetAtt Identity.Outputs.Issuer
"""


def _app(tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text("def handler(event, context):\n    return 1\n")
    for name, text in (("identity", IDENTITY), ("private", ISSUER)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "template.yaml").write_text(textwrap.dedent(text))
    root = tmp_path / "template.yaml"
    root.write_text(textwrap.dedent(ROOT))
    return root


def test_a_jwt_issuer_that_is_another_api_is_its_local_url(tmp_path: Path) -> None:
    app, endpoints = serve_locally(load_application(_app(tmp_path)), "127.0.0.1", 4100)
    by_id = {e.api.qualified_id: e for e in endpoints}
    assert [e.port for e in endpoints] == [4100, 4101]
    identity = by_id["Identity/IdentityApi"]
    private = by_id["Private/PrivateApi"]
    # The authorizer trusts the identity API's local URL, so its JWKS is fetched there.
    assert private.api.authorizers["Tokens"].issuer == identity.base_url
    assert private.api.authorizers["Tokens"].audiences == ("private",)
    (fn,) = [f for f in app.functions if f.logical_id == "Private"]
    assert fn.environment["ISSUER"] == identity.base_url


def test_ports_keep_their_order(tmp_path: Path) -> None:
    raw = load_application(_app(tmp_path))
    _, first = serve_locally(raw, "127.0.0.1", 5000)
    _, again = serve_locally(raw, "127.0.0.1", 5000)
    assert [(e.api.qualified_id, e.port) for e in first] == [
        (e.api.qualified_id, e.port) for e in again
    ]
