"""IAM on the AWS endpoint, end to end: functions call with their own credentials,
`serverlite up --iam enforce` refuses what AWS would in each protocol's shape, the
caller's own shell is an administrator, and `serverlite iam suggest`'s block, pasted
into the template, makes the refused calls pass."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import FIXTURES, Server, aws_client, cli, start_server

TEMPLATE = FIXTURES / "iam" / "template.yaml"
ACCOUNT, REGION = "123456789012", "us-east-1"
CALLER = f"arn:aws:sts::{ACCOUNT}:assumed-role/CallerRole/iam-caller"


def own_read() -> dict[str, Any]:
    return {"TableName": "iam-own", "Key": {"id": {"S": "1"}}}


def calls(server: Server) -> dict[str, dict[str, Any]]:
    return {
        "dynamodb": {
            "service": "dynamodb",
            "operation": "get_item",
            "params": {"TableName": "iam-other", "Key": {"id": {"S": "1"}}},
        },
        "sqs": {
            "service": "sqs",
            "operation": "send_message",
            "params": {"QueueUrl": f"{server.url}/{ACCOUNT}/iam-jobs", "MessageBody": "x"},
        },
        "sns": {
            "service": "sns",
            "operation": "publish",
            "params": {"TopicArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:iam-alerts", "Message": "x"},
        },
        "lambda": {
            "service": "lambda",
            "operation": "invoke",
            "params": {"FunctionName": "iam-bystander", "InvocationType": "DryRun"},
        },
        "ssm": {"service": "ssm", "operation": "get_parameter", "params": {"Name": "/iam/key"}},
        "s3": {
            "service": "s3",
            "operation": "put_object",
            "params": {"Bucket": "iam-uploads", "Key": "a/b.txt", "Body": "x"},
        },
        "events": {
            "service": "events",
            "operation": "put_events",
            "params": {"Entries": [{"Source": "iam", "DetailType": "t", "Detail": "{}"}]},
        },
    }


# (error code, HTTP status, the action as the message spells it, the resource)
REFUSALS = {
    "dynamodb": (
        "AccessDeniedException",
        400,
        "dynamodb:GetItem",
        f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/iam-other",
    ),
    "sqs": ("AccessDenied", 403, "sqs:sendmessage", f"arn:aws:sqs:{REGION}:{ACCOUNT}:iam-jobs"),
    "sns": ("AuthorizationError", 403, "SNS:Publish", f"arn:aws:sns:{REGION}:{ACCOUNT}:iam-alerts"),
    "s3": ("AccessDenied", 403, "s3:PutObject", '"arn:aws:s3:::iam-uploads/a/b.txt"'),
    "lambda": (
        "AccessDeniedException",
        403,
        "lambda:InvokeFunction",
        f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:iam-bystander",
    ),
    "ssm": (
        "AccessDeniedException",
        400,
        "ssm:GetParameter",
        f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/iam/key",
    ),
    "events": (
        "AccessDeniedException",
        400,
        "events:PutEvents",
        f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/default",
    ),
}


def invoke(server: Server, function: str, event: dict[str, Any]) -> dict[str, Any]:
    response = aws_client(server, "lambda").invoke(
        FunctionName=function, Payload=json.dumps(event).encode()
    )
    result: dict[str, Any] = json.loads(response["Payload"].read())
    assert "errorMessage" not in result, result
    return result


@pytest.fixture(scope="module")
def enforced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(
        TEMPLATE, tmp_path_factory.mktemp("iam") / "state", "--no-reload", "--iam", "enforce"
    )
    try:
        yield server
    finally:
        server.stop()


def test_a_function_reads_its_own_table_with_its_own_key(enforced: Server) -> None:
    event = {"service": "dynamodb", "operation": "get_item", "params": own_read()}
    caller = invoke(enforced, "iam-caller", event)
    assert caller["ok"] is True
    assert re.fullmatch(r"ASIA[A-Z2-7]{16}", caller["key"])
    bystander = invoke(
        enforced, "iam-bystander", {"service": "sts", "operation": "get_caller_identity"}
    )
    assert bystander.get("key") != caller["key"]


@pytest.mark.parametrize("service", sorted(REFUSALS))
def test_a_call_its_policies_do_not_allow_is_refused_as_aws_refuses_it(
    enforced: Server, service: str
) -> None:
    code, status, action, resource = REFUSALS[service]
    result = invoke(enforced, "iam-caller", calls(enforced)[service])
    assert result == {
        "error": code,
        "status": status,
        "message": (
            f"User: {CALLER} is not authorized to perform: {action} on resource: {resource} "
            f"because no identity-based policy allows the {action} action"
        ),
    }


def test_callers_that_are_not_functions_are_administrators(enforced: Server) -> None:
    table = aws_client(enforced, "dynamodb")
    table.put_item(TableName="iam-other", Item={"id": {"S": "1"}})
    assert table.get_item(TableName="iam-other", Key={"id": {"S": "1"}})["Item"]


@pytest.mark.slow
def test_the_suggested_policies_pasted_in_make_the_calls_pass(
    enforced: Server, tmp_path: Path
) -> None:
    for service in REFUSALS:  # every refusal is recorded, whichever test ran first
        invoke(enforced, "iam-caller", calls(enforced)[service])
    found = cli(
        "iam", "suggest", "iam-caller", "--template", str(TEMPLATE),
        "--state-dir", str(enforced.state_dir),
    )  # fmt: skip
    assert found.returncode == 0, found.stderr
    assert "DynamoDBReadPolicy: {TableName: !Ref OtherTable}" in found.stdout
    assert "SQSSendMessagePolicy: {QueueName: !GetAtt Jobs.QueueName}" in found.stdout
    block = found.stdout[found.stdout.index("Policies:") :]
    app = tmp_path / "app"
    shutil.copytree(TEMPLATE.parent, app)
    text = (app / "template.yaml").read_text()
    old = "      Policies:\n        - DynamoDBReadPolicy: {TableName: !Ref OwnTable}\n"
    assert old in text
    pasted = "".join(f"      {line}\n" for line in block.strip().splitlines())
    (app / "template.yaml").write_text(text.replace(old, pasted))
    server = start_server(
        app / "template.yaml", tmp_path / "state", "--no-reload", "--iam", "enforce"
    )
    try:
        for service, event in calls(server).items():
            result = invoke(server, "iam-caller", event)
            assert result.get("ok") is True, (service, result)
    finally:
        server.stop()


@pytest.mark.slow
def test_warn_lets_the_call_through_and_says_so_once(tmp_path: Path) -> None:
    server = start_server(TEMPLATE, tmp_path / "state", "--no-reload")  # warn: the default
    try:
        event = calls(server)["dynamodb"]
        for _ in range(2):
            assert invoke(server, "iam-caller", event)["ok"] is True
        lines = [line for line in server.output().splitlines() if "IAM (warn)" in line]
        assert "IAM warn:" in server.output()
    finally:
        server.stop()
    assert len(lines) == 1, lines
    assert (
        f"AWS would refuse Caller ({CALLER}) dynamodb:GetItem on "
        f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/iam-other" in lines[0]
    )
    assert "Policies: - DynamoDBReadPolicy: {TableName: iam-other}" in lines[0]
