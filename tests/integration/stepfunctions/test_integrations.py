"""Task integrations (Lambda with task tokens, SQS, DynamoDB, the AWS SDK, nested
executions), Express executions and the execution API, over the wire."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import botocore.exceptions
import pytest

from tests.integration.conftest import Server, aws_client, wait_for
from tests.integration.stepfunctions.conftest import (
    ROLE,
    finished,
    history,
    machine,
    output,
    run,
)

pytestmark = pytest.mark.integration


def test_wait_for_task_token_and_send_task_success(sfn: Any, markers: Path) -> None:
    definition = {
        "StartAt": "Approve",
        "States": {
            "Approve": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                "Parameters": {
                    "FunctionName": "sfn-keep-token",
                    "Payload": {"id.$": "$.id", "token.$": "$$.Task.Token"},
                },
                "HeartbeatSeconds": 600,
                "End": True,
            }
        },
    }
    arn = machine(sfn, definition)
    started = sfn.start_execution(stateMachineArn=arn, input='{"id": "approve-1"}')
    token = wait_for(lambda: _read(markers / "approve-1.token"), 10)
    assert sfn.describe_execution(executionArn=started["executionArn"])["status"] == "RUNNING"
    sfn.send_task_heartbeat(taskToken=token)
    sfn.send_task_success(taskToken=token, output='{"approved": true}')
    assert output(finished(sfn, started["executionArn"])) == {"approved": True}
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        sfn.send_task_success(taskToken=token, output="{}")
    assert raised.value.response["Error"]["Code"] in ("TaskTimedOut", "TaskDoesNotExist")
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        sfn.send_task_success(taskToken="not-a-token", output="{}")
    assert raised.value.response["Error"]["Code"] == "InvalidToken"


def test_a_function_answers_its_own_token_and_failure_is_caught(sfn: Any, markers: Path) -> None:
    own = {
        "StartAt": "Ask",
        "States": {
            "Ask": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                "Parameters": {
                    "FunctionName": "sfn-send-back",
                    "Payload": {"n": 5, "token.$": "$$.Task.Token"},
                },
                "End": True,
            }
        },
    }
    assert output(run(sfn, own)) == {"ok": 5}
    failing = {
        "StartAt": "Ask",
        "States": {
            "Ask": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                "Parameters": {
                    "FunctionName": "sfn-keep-token",
                    "Payload": {"id": "deny-1", "token.$": "$$.Task.Token"},
                },
                "Catch": [{"ErrorEquals": ["Rejected"], "Next": "Denied"}],
                "End": True,
            },
            "Denied": {"Type": "Pass", "End": True},
        },
    }
    arn = machine(sfn, failing)
    started = sfn.start_execution(stateMachineArn=arn)
    token = wait_for(lambda: _read(markers / "deny-1.token"), 10)
    sfn.send_task_failure(taskToken=token, error="Rejected", cause="no")
    assert output(finished(sfn, started["executionArn"])) == {"Error": "Rejected", "Cause": "no"}


def test_heartbeat_timeout(sfn: Any) -> None:
    definition = {
        "StartAt": "Ask",
        "States": {
            "Ask": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                "Parameters": {
                    "FunctionName": "sfn-keep-token",
                    "Payload": {"id": "hb-1", "token.$": "$$.Task.Token"},
                },
                "HeartbeatSeconds": 5,
                "End": True,
            }
        },
    }
    described = run(sfn, definition)  # 5 s at 100x: 50 ms
    assert described["error"] == "States.HeartbeatTimeout"


def test_task_timeout(sfn: Any) -> None:
    definition = {
        "StartAt": "Slow",
        "States": {
            "Slow": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {
                    "FunctionName": "sfn-slow",
                    "Payload": {"id": "timeout-1", "sleep": 2},
                },
                "TimeoutSeconds": 10,
                "End": True,
            }
        },
    }
    arn = machine(sfn, definition)
    started = sfn.start_execution(stateMachineArn=arn)
    described = finished(sfn, started["executionArn"])
    assert described["error"] == "States.Timeout"
    assert "TaskTimedOut" in [e["type"] for e in history(sfn, started["executionArn"])]


def test_dynamodb_and_sqs_optimized_integrations(sfn: Any, server: Server) -> None:
    definition = {
        "StartAt": "Put",
        "States": {
            "Put": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:putItem",
                "Parameters": {
                    "TableName": "sfn-items",
                    "Item": {"pk": {"S.$": "$.id"}, "n": {"N": "1"}},
                },
                "ResultPath": None,
                "Next": "Get",
            },
            "Get": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:getItem",
                "Parameters": {"TableName": "sfn-items", "Key": {"pk": {"S.$": "$.id"}}},
                "ResultSelector": {"n.$": "$.Item.n.N"},
                "ResultPath": "$.got",
                "Next": "Send",
            },
            "Send": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage",
                "Parameters": {
                    "QueueUrl": f"{server.url}/123456789012/sfn-outbox",
                    "MessageBody.$": "$",
                },
                "ResultSelector": {"sent.$": "States.ArrayLength(States.Array($.MessageId))"},
                "End": True,
            },
        },
    }
    assert output(run(sfn, definition, {"id": "item-1"})) == {"sent": 1}
    sqs = aws_client(server, "sqs")
    queue = sqs.get_queue_url(QueueName="sfn-outbox")["QueueUrl"]
    messages = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1)["Messages"]
    assert json.loads(messages[0]["Body"]) == {"id": "item-1", "got": {"n": "1"}}


def test_aws_sdk_integration_and_its_error_names(sfn: Any) -> None:
    definition = {
        "StartAt": "Put",
        "States": {
            "Put": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:dynamodb:putItem",
                "Parameters": {
                    "TableName": "sfn-items",
                    "Item": {"pk": {"S": "sdk-1"}},
                    "ConditionExpression": "attribute_not_exists(pk)",
                },
                "Catch": [
                    {"ErrorEquals": ["DynamoDb.ConditionalCheckFailedException"], "Next": "Exists"}
                ],
                "Next": "Done",
            },
            "Exists": {"Type": "Pass", "Result": "exists", "End": True},
            "Done": {"Type": "Pass", "Result": "created", "End": True},
        },
    }
    arn = machine(sfn, definition)
    first = sfn.start_execution(stateMachineArn=arn)
    assert output(finished(sfn, first["executionArn"])) == "created"
    second = sfn.start_execution(stateMachineArn=arn)
    assert output(finished(sfn, second["executionArn"])) == "exists"
    scheduled = [e for e in history(sfn, second["executionArn"]) if e["type"] == "TaskScheduled"]
    assert scheduled[0]["taskScheduledEventDetails"]["resourceType"] == "aws-sdk:dynamodb"
    assert scheduled[0]["taskScheduledEventDetails"]["resource"] == "putItem"


def test_nested_execution_sync_2(sfn: Any) -> None:
    child = machine(
        sfn,
        {
            "StartAt": "P",
            "States": {
                "P": {
                    "Type": "Pass",
                    "Parameters": {"twice.$": "States.MathAdd($.n, $.n)"},
                    "End": True,
                }
            },
        },
    )
    parent = {
        "StartAt": "Child",
        "States": {
            "Child": {
                "Type": "Task",
                "Resource": "arn:aws:states:::states:startExecution.sync:2",
                "Parameters": {"StateMachineArn": child, "Input": {"n.$": "$.n"}},
                "ResultSelector": {"out.$": "$.Output", "status.$": "$.Status"},
                "End": True,
            }
        },
    }
    assert output(run(sfn, parent, {"n": 4})) == {"out": {"twice": 8}, "status": "SUCCEEDED"}


def test_express_sync_and_its_api_limits(sfn: Any) -> None:
    arn = machine(
        sfn, {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}, kind="EXPRESS"
    )
    result = sfn.start_sync_execution(stateMachineArn=arn, input='{"a": 1}')
    assert (result["status"], json.loads(result["output"])) == ("SUCCEEDED", {"a": 1})
    assert ":express:" in result["executionArn"]
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        sfn.list_executions(stateMachineArn=arn)
    assert raised.value.response["Error"]["Code"] == "StateMachineTypeNotSupported"
    standard = machine(sfn, {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        sfn.start_sync_execution(stateMachineArn=standard)
    assert raised.value.response["Error"]["Code"] == "StateMachineTypeNotSupported"


def test_execution_names_are_idempotent_and_listing_pages(sfn: Any) -> None:
    arn = machine(
        sfn, {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 100000, "End": True}}}
    )
    first = sfn.start_execution(stateMachineArn=arn, name="same", input='{"a": 1}')
    again = sfn.start_execution(stateMachineArn=arn, name="same", input='{"a": 1}')
    assert again["executionArn"] == first["executionArn"]
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        sfn.start_execution(stateMachineArn=arn, name="same", input='{"a": 2}')
    assert raised.value.response["Error"]["Code"] == "ExecutionAlreadyExists"
    for index in range(3):
        sfn.start_execution(stateMachineArn=arn, name=f"other-{index}")
    page = sfn.list_executions(stateMachineArn=arn, maxResults=2)
    assert len(page["executions"]) == 2 and "nextToken" in page
    rest = sfn.list_executions(stateMachineArn=arn, maxResults=2, nextToken=page["nextToken"])
    assert len(rest["executions"]) == 2 and "nextToken" not in rest
    sfn.stop_execution(executionArn=first["executionArn"], error="Stopped.ByTest", cause="enough")
    aborted = sfn.list_executions(stateMachineArn=arn, statusFilter="ABORTED")["executions"]
    assert [e["name"] for e in aborted] == ["same"]
    described = sfn.describe_execution(executionArn=first["executionArn"])
    assert (described["status"], described["error"]) == ("ABORTED", "Stopped.ByTest")
    assert history(sfn, first["executionArn"])[-1]["type"] == "ExecutionAborted"
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        sfn.start_execution(stateMachineArn=arn, name="bad name")
    assert raised.value.response["Error"]["Code"] == "InvalidName"


def test_redrive_goes_on_from_the_failed_state(sfn: Any, markers: Path) -> None:
    definition = {
        "StartAt": "First",
        "States": {
            "First": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "sfn-flaky", "Payload": {"id": "redrive-a"}},
                "ResultPath": None,
                "Next": "Second",
            },
            "Second": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {
                    "FunctionName": "sfn-flaky",
                    "Payload": {"id": "redrive-b", "fail_times": 1},
                },
                "OutputPath": "$.Payload",
                "End": True,
            },
        },
    }
    arn = machine(sfn, definition)
    started = sfn.start_execution(stateMachineArn=arn)
    assert finished(sfn, started["executionArn"])["status"] == "FAILED"
    sfn.redrive_execution(executionArn=started["executionArn"])
    described = finished(sfn, started["executionArn"])
    assert output(described) == {"attempts": 2}
    assert described["redriveCount"] == 1
    assert len((markers / "redrive-a.calls").read_text().splitlines()) == 1  # not run again
    assert "ExecutionRedriven" in [e["type"] for e in history(sfn, started["executionArn"])]


def test_test_state_runs_one_state(sfn: Any) -> None:
    state = {"Type": "Pass", "Parameters": {"x.$": "$.a"}, "Next": "Later"}
    result = sfn.test_state(definition=json.dumps(state), roleArn=ROLE, input='{"a": 3}')
    assert (result["status"], json.loads(result["output"]), result["nextState"]) == (
        "SUCCEEDED",
        {"x": 3},
        "Later",
    )
    failing = {"Type": "Fail", "Error": "Nope", "Cause": "why"}
    result = sfn.test_state(definition=json.dumps(failing), roleArn=ROLE)
    assert (result["status"], result["error"]) == ("FAILED", "Nope")
    task = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "sfn-fail", "Payload": {"sku": "Z"}},
        "Catch": [{"ErrorEquals": ["OutOfStock"], "ResultPath": "$.why", "Next": "Undo"}],
        "Next": "Later",
    }
    caught = sfn.test_state(definition=json.dumps(task), roleArn=ROLE, input='{"a": 1}')
    assert (caught["status"], caught["nextState"], caught["error"]) == (
        "CAUGHT_ERROR",
        "Undo",
        "OutOfStock",
    )
    assert json.loads(caught["output"])["why"]["Error"] == "OutOfStock"
    retried = {**task, "Retry": [{"ErrorEquals": ["States.ALL"]}]}
    result = sfn.test_state(definition=json.dumps(retried), roleArn=ROLE)
    assert result["status"] == "RETRIABLE"


def test_describe_and_update_state_machines(sfn: Any) -> None:
    definition = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    arn = machine(sfn, definition)
    described = sfn.describe_state_machine(stateMachineArn=arn)
    assert (described["status"], described["type"], json.loads(described["definition"])) == (
        "ACTIVE",
        "STANDARD",
        definition,
    )
    changed = {"StartAt": "Q", "States": {"Q": {"Type": "Succeed"}}}
    sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps(changed))
    assert json.loads(sfn.describe_state_machine(stateMachineArn=arn)["definition"]) == changed
    sfn.tag_resource(resourceArn=arn, tags=[{"key": "team", "value": "orders"}])
    assert sfn.list_tags_for_resource(resourceArn=arn)["tags"] == [
        {"key": "team", "value": "orders"}
    ]
    sfn.delete_state_machine(stateMachineArn=arn)
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        sfn.describe_state_machine(stateMachineArn=arn)
    assert raised.value.response["Error"]["Code"] == "StateMachineDoesNotExist"


def _read(path: Path) -> str | None:
    try:
        return path.read_text() or None
    except OSError:
        return None
