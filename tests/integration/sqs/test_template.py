"""Queues and mappings from templates: provisioning is idempotent, and mappings AWS would
refuse stop the start with a clear error."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from serverlite.aws.backend import ServiceContext
from serverlite.aws.sqs.service import SqsService
from serverlite.errors import TemplateError
from serverlite.template import load_application
from tests.integration.sqs.conftest import TEMPLATE

pytestmark = pytest.mark.integration


def service(state: Path) -> SqsService:
    return SqsService(
        ServiceContext(state, "us-east-1", "123456789012", time.time, "http://127.0.0.1:4566")
    )


def app_of(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    (tmp_path / "template.yaml").write_text(text)
    return load_application(tmp_path / "template.yaml")


def test_provisioning_twice_keeps_queues_messages_and_api_changes(tmp_path):
    app = load_application(TEMPLATE, parameter_overrides={"MarkerDir": str(tmp_path)})
    first = service(tmp_path)
    rows = first.provision(app)
    assert ("sqs", "queue", "work", "DLQ work-dlq after 2 receives") in {
        (r.service, r.kind, r.name, r.detail) for r in rows
    }
    queue = first.engine.find(first.engine.queues.all()[0].ref)
    first.engine.send(queue, [(_message("kept"), None)])
    changed = {**queue.attributes, "VisibilityTimeout": "99"}
    first.engine.queues.set_attributes(queue.id, changed, time.time())
    first.close()
    second = service(tmp_path)
    second.provision(app)
    again = second.engine.find(queue.ref)
    assert again.id == queue.id
    assert again.attributes["VisibilityTimeout"] == "99"  # the declaration did not change
    assert second.engine.counts(again).visible == 1
    assert {m.function for m in second.mappings} >= {"Recorder", "Partial", "GroupRecorder"}
    second.close()


def _message(body: str):  # type: ignore[no-untyped-def]
    from serverlite.aws.sqs.message_input import NewMessage

    return NewMessage(body)


@pytest.mark.parametrize(
    ("properties", "message"),
    [
        ("BatchSize: 50", "Maximum batch window in seconds must be greater than 0"),
        ("BatchSize: 10001\n            MaximumBatchingWindowInSeconds: 1", "between 1 and 10000"),
        ("MaximumBatchingWindowInSeconds: 301", "0-300"),
        ("ScalingConfig:\n              MaximumConcurrency: 1", "between 2 and 1000"),
        ("FunctionResponseTypes: [Nope]", "ReportBatchItemFailures"),
        (
            "FilterCriteria:\n              Filters:\n                - Pattern: 'not json'",
            "Filter",
        ),
    ],
)
def test_invalid_mappings_are_template_errors(tmp_path, properties, message):
    app = app_of(
        tmp_path,
        f"""
Transform: AWS::Serverless-2016-10-31
Resources:
  Q:
    Type: AWS::SQS::Queue
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.11
      Handler: app.handler
      InlineCode: "def handler(e, c): pass"
      Events:
        Feed:
          Type: SQS
          Properties:
            Queue: !GetAtt Q.Arn
            {properties}
""",
    )
    with pytest.raises(TemplateError) as caught:
        service(tmp_path).provision(app)
    assert message in str(caught.value)
    assert "Events.Feed" in caught.value.path


def test_a_redrive_policy_to_a_missing_queue_is_a_template_error(tmp_path):
    app = app_of(
        tmp_path,
        """
Resources:
  Q:
    Type: AWS::SQS::Queue
    Properties:
      RedrivePolicy:
        deadLetterTargetArn: arn:aws:sqs:us-east-1:123456789012:missing
        maxReceiveCount: 3
""",
    )
    with pytest.raises(TemplateError) as caught:
        service(tmp_path).provision(app)
    assert "Dead letter target does not exist" in str(caught.value)
