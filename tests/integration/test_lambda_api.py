"""The Lambda Invoke API on `serverlite up`, driven by boto3's real lambda client."""

from __future__ import annotations

import base64
import json
import signal
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from tests.integration.conftest import FIXTURES, Server, lambda_client, start_server, wait_for

pytestmark = pytest.mark.integration


def markers(server: Server) -> Path:
    return server.state_dir.parent / "markers"


def test_sync_invoke_returns_payload_and_version(app_server):
    client = lambda_client(app_server)
    response = client.invoke(
        FunctionName="Behaviours", Payload=json.dumps({"action": "echo", "x": 1})
    )
    assert response["StatusCode"] == 200
    assert response["ExecutedVersion"] == "$LATEST"
    assert "FunctionError" not in response
    assert json.loads(response["Payload"].read()) == {"action": "echo", "x": 1}


def test_invoke_by_arn_and_latest_qualifier(app_server):
    client = lambda_client(app_server)
    arn = "arn:aws:lambda:us-east-1:123456789012:function:Behaviours"
    response = client.invoke(
        FunctionName=arn, Qualifier="$LATEST", Payload=json.dumps({"action": "echo"})
    )
    assert response["StatusCode"] == 200


def test_log_tail_has_the_invocation_log(app_server):
    client = lambda_client(app_server)
    response = client.invoke(
        FunctionName="Behaviours",
        LogType="Tail",
        Payload=json.dumps({"action": "print", "lines": 3}),
    )
    tail = base64.b64decode(response["LogResult"]).decode()
    request_id = response["ResponseMetadata"]["RequestId"]
    assert f"START RequestId: {request_id} Version: $LATEST" in tail
    assert "line 2" in tail
    assert f"END RequestId: {request_id}" in tail
    assert f"REPORT RequestId: {request_id}\tDuration:" in tail


def test_log_tail_is_at_most_4kb(app_server):
    client = lambda_client(app_server)
    response = client.invoke(
        FunctionName="Behaviours",
        LogType="Tail",
        Payload=json.dumps({"action": "print", "lines": 2000}),
    )
    tail = base64.b64decode(response["LogResult"])
    assert len(tail) == 4096
    assert tail.decode().rstrip("\n").split("\n")[-1].startswith("REPORT RequestId:")


def test_function_error_sets_function_error_header(app_server):
    client = lambda_client(app_server)
    response = client.invoke(FunctionName="Behaviours", Payload=json.dumps({"action": "raise"}))
    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    error = json.loads(response["Payload"].read())
    assert error["errorType"] == "PaymentDeclined"
    assert error["requestId"] == response["ResponseMetadata"]["RequestId"]


def test_dry_run(app_server):
    response = lambda_client(app_server).invoke(FunctionName="Behaviours", InvocationType="DryRun")
    assert response["StatusCode"] == 204


def test_event_invocation_is_acknowledged_then_runs(app_server):
    client = lambda_client(app_server)
    response = client.invoke(
        FunctionName="Marker", InvocationType="Event", Payload=json.dumps({"id": "async-1"})
    )
    assert response["StatusCode"] == 202
    marker = markers(app_server) / "async-1.json"
    assert wait_for(marker.exists, timeout=15)
    recorded = json.loads(marker.read_text())
    assert recorded["request_id"] == response["ResponseMetadata"]["RequestId"]


def test_unknown_function_is_resource_not_found(app_server):
    # AWS: {"Type": "User", "Message": "Function not found: arn:...:function:doesnotexist:
    # $LATEST"}, so boto3 has the modeled e.response["Message"] and ["Type"] too
    # (LocalStack's AWS-validated snapshot test_invoke_exceptions, recorded 2025-11).
    with pytest.raises(ClientError) as info:
        lambda_client(app_server).invoke(FunctionName="Nope", Payload=b"{}")
    error = info.value.response
    assert error["Error"]["Code"] == "ResourceNotFoundException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 404
    message = "Function not found: arn:aws:lambda:us-east-1:123456789012:function:Nope:$LATEST"
    assert error["Error"]["Message"] == message
    assert error["Message"] == message
    assert error["Type"] == "User"


def test_other_qualifiers_do_not_exist(app_server):
    with pytest.raises(ClientError) as info:
        lambda_client(app_server).invoke(FunctionName="Behaviours", Qualifier="prod")
    assert info.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert info.value.response["Error"]["Message"].endswith("function:Behaviours:prod")


def test_reserved_concurrency_zero_throttles(app_server):
    with pytest.raises(ClientError) as info:
        lambda_client(app_server).invoke(FunctionName="Disabled", Payload=b"{}")
    error = info.value.response
    assert error["Error"]["Code"] == "TooManyRequestsException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert error["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    assert error["Error"]["Message"] == "Rate Exceeded."


def test_request_over_6mb_is_refused(app_server):
    payload = json.dumps({"blob": "x" * (6 * 1024 * 1024)})
    with pytest.raises(ClientError) as info:
        lambda_client(app_server).invoke(FunctionName="Behaviours", Payload=payload)
    error = info.value.response
    assert error["Error"]["Code"] == "RequestTooLargeException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 413


def test_async_request_over_1mb_is_refused(app_server):
    payload = json.dumps({"blob": "x" * (1024 * 1024)})
    with pytest.raises(ClientError) as info:
        lambda_client(app_server).invoke(
            FunctionName="Marker", InvocationType="Event", Payload=payload
        )
    assert info.value.response["Error"]["Code"] == "RequestTooLargeException"
    assert "1048576 bytes" in info.value.response["Error"]["Message"]


def test_invalid_json_payload(app_server):
    with pytest.raises(ClientError) as info:
        lambda_client(app_server).invoke(FunctionName="Behaviours", Payload=b"{nope")
    assert info.value.response["Error"]["Code"] == "InvalidRequestContentException"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_response_over_6mb_is_a_function_error(app_server):
    # AWS: "Response payload size exceeded maximum allowed payload size (6291556 bytes)."
    # (LocalStack's AWS-validated snapshot test_lambda_too_large_response); the figure
    # is the limit: a result of exactly 6,291,556 bytes comes back whole.
    client = lambda_client(app_server)
    whole = client.invoke(  # a JSON string: its characters and two quotes
        FunctionName="Behaviours", Payload=json.dumps({"action": "big", "bytes": 6_291_554})
    )
    assert "FunctionError" not in whole
    assert len(whole["Payload"].read()) == 6_291_556
    response = client.invoke(
        FunctionName="Behaviours", Payload=json.dumps({"action": "big", "bytes": 6_291_555})
    )
    assert response["FunctionError"] == "Unhandled"
    assert json.loads(response["Payload"].read()) == {
        "errorMessage": "Response payload size exceeded maximum allowed payload size "
        "(6291556 bytes).",
        "errorType": "Function.ResponseSizeTooLarge",
    }


def test_the_endpoint_does_not_name_its_web_server(app_server):
    # AWS's endpoints never answer "server: uvicorn"; boto3 code must not learn here
    # what serves it (Lambda's own responses carry no Server header at all).
    response = lambda_client(app_server).invoke(
        FunctionName="Behaviours", Payload=json.dumps({"action": "echo"})
    )
    headers = response["ResponseMetadata"]["HTTPHeaders"]
    assert "server" not in headers
    assert headers["x-amzn-requestid"] == response["ResponseMetadata"]["RequestId"]


def test_inline_code_function(app_server):
    response = lambda_client(app_server).invoke(FunctionName="Inline")
    assert json.loads(response["Payload"].read()) == {"inline": True, "name": "Inline"}


def test_get_and_list_functions(app_server):
    client = lambda_client(app_server)
    config = client.get_function_configuration(FunctionName="Behaviours")
    assert config["Handler"] == "behaviours.handler"
    assert config["MemorySize"] == 256
    assert config["Timeout"] == 5
    assert config["Runtime"] == "python3.11"
    names = {f["FunctionName"] for f in client.list_functions()["Functions"]}
    assert {"Behaviours", "Marker", "Disabled", "Inline"} <= names
    assert client.get_function(FunctionName="Marker")["Configuration"]["FunctionName"] == "Marker"


@pytest.mark.slow
def test_acknowledged_async_events_survive_kill_9(tmp_path):
    markers_dir = tmp_path / "markers"
    template = FIXTURES / "app" / "template.yaml"
    override = ("--parameter-overrides", f"MarkerDir={markers_dir}")
    server = start_server(template, tmp_path / "state", *override)
    client = lambda_client(server)
    ids = [f"durable-{i}" for i in range(12)]
    for event_id in ids:
        response = client.invoke(
            FunctionName="Marker",
            InvocationType="Event",
            Payload=json.dumps({"id": event_id, "sleep": 1.5}),
        )
        assert response["StatusCode"] == 202
    server.stop(signal.SIGKILL)  # mid-flight: most events have not run yet
    ran_before = {p.stem for p in markers_dir.glob("*.json")} if markers_dir.exists() else set()
    assert len(ran_before) < len(ids)
    restarted = start_server(template, tmp_path / "state", *override, port=server.port)
    try:
        assert wait_for(
            lambda: {p.stem for p in markers_dir.glob("*.json")} >= set(ids), timeout=30
        )
    finally:
        restarted.stop()


@pytest.mark.slow
def test_hot_reload_through_up(tmp_path):
    code = tmp_path / "code"
    code.mkdir()
    (code / "app.py").write_text("def handler(event, context):\n    return 'v1'\n")
    template = tmp_path / "template.yaml"
    template.write_text(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n"
        "    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: code/\n"
        "      Handler: app.handler\n      Runtime: python3.11\n"
    )
    server = start_server(template, tmp_path / "state")
    try:
        client = lambda_client(server)
        assert json.loads(client.invoke(FunctionName="Fn")["Payload"].read()) == "v1"
        (code / "app.py").write_text("def handler(event, context):\n    return 'v2'\n")

        def reloaded() -> bool:
            return json.loads(client.invoke(FunctionName="Fn")["Payload"].read()) == "v2"

        assert wait_for(reloaded, timeout=10)
    finally:
        server.stop()
