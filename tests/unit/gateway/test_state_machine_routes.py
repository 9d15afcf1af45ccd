"""A state machine's SAM Api events become REST routes whose integration is
StartExecution (the implicit ServerlessRestApi, or the RestApiId named)."""

from __future__ import annotations

from pathlib import Path

import pytest

from serverlite.errors import TemplateError
from serverlite.gateway.discovery import discover_apis
from serverlite.gateway.model import ApiSpec
from serverlite.template import load_application

TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Named:
    Type: AWS::Serverless::Api
    Properties: {StageName: v1}
  Flow:
    Type: AWS::Serverless::StateMachine
    Properties:
      Name: flow
      Definition: {StartAt: P, States: {P: {Type: Pass, End: true}}}
      Events:
        Implicit:
          Type: Api
          Properties: {Path: /start, Method: post}
        OnNamed:
          Type: Api
          Properties: {Path: "/runs/{id}", Method: put, RestApiId: !Ref Named}
        Nightly:
          Type: Schedule
          Properties: {Schedule: rate(1 day)}
"""


def _apis(tmp_path: Path, text: str) -> dict[str, ApiSpec]:
    (tmp_path / "template.yaml").write_text(text)
    return {
        api.logical_id: api for api in discover_apis(load_application(tmp_path / "template.yaml"))
    }


def test_api_events_become_start_execution_routes(tmp_path: Path) -> None:
    apis = _apis(tmp_path, TEMPLATE)
    assert set(apis) == {"Named", "ServerlessRestApi"}
    implicit = apis["ServerlessRestApi"]
    assert implicit.kind == "REST" and implicit.stage == "Prod"
    (route,) = implicit.routes
    assert (route.method, route.path, route.function) == ("POST", "/start", "")
    assert route.integration is not None
    assert route.integration.type == "START_EXECUTION"
    assert route.integration.uri == "arn:aws:states:us-east-1:123456789012:stateMachine:flow"
    (named,) = apis["Named"].routes
    assert (named.method, named.path) == ("PUT", "/runs/{id}")
    assert named.integration is not None and named.integration.type == "START_EXECUTION"


def test_an_api_event_naming_a_missing_api_stops_the_start(tmp_path: Path) -> None:
    text = TEMPLATE.replace("RestApiId: !Ref Named", "RestApiId: nowhere")
    with pytest.raises(TemplateError, match="OnNamed"):
        _apis(tmp_path, text)
