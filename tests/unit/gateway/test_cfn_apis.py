"""APIs written as plain CloudFormation, discovered from a hand-written template."""

from __future__ import annotations

from pathlib import Path

import pytest

from serverlite.gateway.discovery import discover_apis
from serverlite.template import load_application

TEMPLATE = """
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Handler: index.handler
      Runtime: python3.12
      Role: arn:aws:iam::123456789012:role/r
      Code: {ZipFile: "def handler(event, context):\\n    return {'statusCode': 200}\\n"}
  FnPermission:
    Type: AWS::Lambda::Permission
    Properties:
      Action: lambda:InvokeFunction
      FunctionName: !GetAtt Fn.Arn
      Principal: apigateway.amazonaws.com
  Rest:
    Type: AWS::ApiGateway::RestApi
    Properties: {Name: rest}
  Users:
    Type: AWS::ApiGateway::Resource
    Properties: {RestApiId: !Ref Rest, ParentId: !GetAtt Rest.RootResourceId, PathPart: users}
  User:
    Type: AWS::ApiGateway::Resource
    Properties: {RestApiId: !Ref Rest, ParentId: !Ref Users, PathPart: "{id}"}
  Auth:
    Type: AWS::ApiGateway::Authorizer
    Properties:
      RestApiId: !Ref Rest
      Name: token
      Type: TOKEN
      IdentitySource: method.request.header.Authorization
      AuthorizerUri: !Sub "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/\
        functions/${Fn.Arn}/invocations"
  GetUser:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Rest
      ResourceId: !Ref User
      HttpMethod: GET
      AuthorizationType: CUSTOM
      AuthorizerId: !Ref Auth
      Integration:
        Type: AWS_PROXY
        IntegrationHttpMethod: POST
        Uri: !Join
          - ""
          - ["arn:aws:apigateway:", !Ref "AWS::Region", ":lambda:path/2015-03-31/functions/",
             !GetAtt Fn.Arn, "/invocations"]
  Options:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Rest
      ResourceId: !Ref Users
      HttpMethod: OPTIONS
      AuthorizationType: NONE
      Integration:
        Type: MOCK
        RequestTemplates: {application/json: '{"statusCode": 200}'}
        IntegrationResponses:
          - StatusCode: "204"
            ResponseParameters: {method.response.header.Access-Control-Allow-Origin: "'*'"}
  Deployment:
    Type: AWS::ApiGateway::Deployment
    DependsOn: [GetUser]
    Properties: {RestApiId: !Ref Rest}
  Stage:
    Type: AWS::ApiGateway::Stage
    Properties: {RestApiId: !Ref Rest, DeploymentId: !Ref Deployment, StageName: live}
  Http:
    Type: AWS::ApiGatewayV2::Api
    Properties: {Name: http, ProtocolType: HTTP}
  Jwt:
    Type: AWS::ApiGatewayV2::Authorizer
    Properties:
      ApiId: !Ref Http
      AuthorizerType: JWT
      Name: jwt
      IdentitySource: [$request.header.Authorization]
      JwtConfiguration: {Issuer: "http://127.0.0.1:9/", Audience: [app]}
  Integration:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Http
      IntegrationType: AWS_PROXY
      IntegrationUri: !GetAtt Fn.Arn
      PayloadFormatVersion: "1.0"
  Route:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref Http
      RouteKey: GET /things/{id}
      AuthorizationType: JWT
      AuthorizerId: !Ref Jwt
      AuthorizationScopes: [read]
      Target: !Sub integrations/${Integration}
  Socket:
    Type: AWS::ApiGatewayV2::Api
    Properties: {Name: ws, ProtocolType: WEBSOCKET, RouteSelectionExpression: $request.body.action}
"""


def test_rest_and_http_apis_from_cloudformation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "template.yaml").write_text(TEMPLATE)
    apis = {
        api.logical_id: api for api in discover_apis(load_application(tmp_path / "template.yaml"))
    }
    assert set(apis) == {"Rest", "Http"}  # the WebSocket API is not an HTTP API
    rest = apis["Rest"]
    assert rest.stage == "live"
    routes = {(r.method, r.path): r for r in rest.routes}
    get = routes[("GET", "/users/{id}")]
    assert get.function == "Fn" and get.authorizer in rest.authorizers
    assert rest.authorizers[get.authorizer].function == "Fn"
    options = routes[("OPTIONS", "/users")]
    assert options.integration is not None and options.integration.type == "MOCK"
    http = apis["Http"]
    (route,) = http.routes
    assert (route.method, route.path, route.function, route.payload_version) == (
        "GET",
        "/things/{id}",
        "Fn",
        "1.0",
    )
    assert route.authorization_scopes == ("read",)
    assert http.authorizers[str(route.authorizer)].type == "JWT"
