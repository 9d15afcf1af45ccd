"""The serverlite command line, run as a user runs it."""

from __future__ import annotations

import json
import re
import signal
import socket
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.integration.conftest import FIXTURES, aws_client, cli, lambda_client, start_server

pytestmark = pytest.mark.integration
ROOT = Path(__file__).parent.parent.parent
APP = FIXTURES / "app" / "template.yaml"


def write_template(directory: Path, properties: str, runtime: str = "python3.11") -> Path:
    (directory / "code").mkdir(exist_ok=True)
    (directory / "code" / "app.py").write_text(
        "def handler(event, context):\n    print('hi from', context.function_name)\n"
        "    return {'got': event}\n"
    )
    template = directory / "template.yaml"
    template.write_text(
        "AWSTemplateFormatVersion: '2010-09-09'\nTransform: AWS::Serverless-2016-10-31\n"
        "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        f"      CodeUri: code/\n      Handler: app.handler\n      Runtime: {runtime}\n"
        f"{properties}"
    )
    return template


def test_help_lists_the_commands():
    result = cli("--help")
    assert result.returncode == 0
    for command in ("up", "invoke", "logs", "validate"):
        assert command in result.stdout


def test_invoke_prints_result_to_stdout_and_logs_to_stderr(tmp_path):
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"action": "echo", "who": "cli"}))
    result = cli(
        "invoke",
        "Behaviours",
        "--event",
        str(event),
        "--template",
        str(APP),
        "--state-dir",
        str(tmp_path / "state"),
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"action": "echo", "who": "cli"}
    assert "START RequestId:" in result.stderr
    assert "REPORT RequestId:" in result.stderr
    assert "Init Duration:" in result.stderr


def test_invoke_reads_the_event_from_stdin_and_exits_1_on_function_error(tmp_path):
    result = cli(
        "invoke",
        "Behaviours",
        "-e",
        "-",
        "-t",
        str(APP),
        "--state-dir",
        str(tmp_path / "s"),
        stdin=json.dumps({"action": "raise"}).encode(),
    )
    assert result.returncode == 1
    assert json.loads(result.stdout)["errorType"] == "PaymentDeclined"
    assert "[ERROR] PaymentDeclined: card declined" in result.stderr


def test_invoke_unknown_function_names_the_problem(tmp_path):
    result = cli("invoke", "Nope", "-t", str(APP), "--state-dir", str(tmp_path / "s"))
    assert result.returncode == 2
    assert "ResourceNotFoundException: Function not found" in result.stderr


def test_invoke_rejects_an_event_that_is_not_json(tmp_path):
    event = tmp_path / "bad.json"
    event.write_text("{nope")
    result = cli("invoke", "Behaviours", "-e", str(event), "-t", str(APP))
    assert result.returncode == 2
    assert "is not valid JSON" in result.stderr


def test_bad_template_names_file_resource_and_property_and_nothing_starts(tmp_path):
    template = write_template(tmp_path, "      Timeout: 0\n")
    result = cli("invoke", "Fn", "--template", str(template), cwd=tmp_path)
    assert result.returncode == 2
    assert "template.yaml: Resources.Fn.Properties.Timeout: must be 1-900, got 0" in result.stderr
    assert not (tmp_path / ".serverlite").exists()
    up = cli("up", "--template", str(template), "--aws-port", "0", cwd=tmp_path)
    assert up.returncode == 2
    assert "Resources.Fn.Properties.Timeout" in up.stderr


def test_missing_template_says_what_to_do(tmp_path):
    result = cli("invoke", "Fn", cwd=tmp_path)
    assert result.returncode == 2
    assert "no template found" in result.stderr
    assert "--template" in result.stderr


def test_other_python_runtime_warns_once(tmp_path):
    template = write_template(tmp_path, "", runtime="python3.9")
    result = cli("invoke", "Fn", "--template", str(template), "--state-dir", str(tmp_path / "s"))
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("python3.9") == 1
    assert "runs them on python3." in result.stderr


def test_logs_reads_what_invocations_wrote(tmp_path):
    state = tmp_path / "state"
    template = write_template(tmp_path, "")
    assert cli("invoke", "Fn", "-t", str(template), "--state-dir", str(state)).returncode == 0
    result = cli("logs", "Fn", "-t", str(template), "--state-dir", str(state), "--since", "5m")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any("START RequestId:" in line for line in lines)
    assert any("hi from Fn" in line for line in lines)
    assert any("REPORT RequestId:" in line for line in lines)


def test_logs_before_any_invocation_is_a_clear_error(tmp_path):
    template = write_template(tmp_path, "")
    result = cli("logs", "Fn", "-t", str(template), "--state-dir", str(tmp_path / "empty"))
    assert result.returncode == 2
    assert "no logs yet" in result.stderr


def test_validate_passes_the_shipped_templates():
    result = cli(
        "validate",
        "-t",
        str(ROOT / "template.yaml"),
        "-t",
        str(ROOT / "examples" / "quickstart" / "template.yaml"),
    )
    assert result.returncode == 0, result.stderr
    assert "valid" in result.stderr


def test_validate_explains_findings(tmp_path):
    template = write_template(tmp_path, "      MemorySize: 64\n")
    result = cli("validate", "-t", str(template))
    assert result.returncode == 1
    assert "MemorySize" in result.stderr
    assert "128" in result.stderr


def test_up_prints_functions_and_stops_cleanly_finishing_in_flight(tmp_path):
    server = start_server(
        APP, tmp_path / "state", "--parameter-overrides", f"MarkerDir={tmp_path / 'm'}"
    )
    output = server.output()
    assert "Behaviours" in output and "behaviours.handler" in output
    assert f"http://127.0.0.1:{server.port}" in output
    client = lambda_client(server)
    client.invoke(FunctionName="Behaviours", Payload=json.dumps({"action": "echo"}))
    result: dict[str, object] = {}

    def slow_call() -> None:
        response = client.invoke(
            FunctionName="Behaviours", Payload=json.dumps({"action": "sleep", "seconds": 1.5})
        )
        result["payload"] = json.loads(response["Payload"].read())

    caller = threading.Thread(target=slow_call)
    caller.start()
    threading.Event().wait(0.5)
    assert server.stop(signal.SIGINT) == 0
    caller.join(timeout=10)
    assert result.get("payload") == "slept"
    assert "serverlite stopped" in server.output()


def test_up_on_a_busy_port_says_so(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = cli(
            "up", "-t", str(APP), "--aws-port", str(port), "--state-dir", str(tmp_path / "s")
        )
    assert result.returncode == 2
    assert "already in use" in result.stderr
    assert "--aws-port" in result.stderr


def test_up_on_port_0_serves_on_the_port_the_os_chose_and_names_it(tmp_path):
    # start_server passes --aws-port 0 and reads the port from what up prints
    server = start_server(
        APP, tmp_path / "state", "--parameter-overrides", f"MarkerDir={tmp_path / 'm'}"
    )
    try:
        assert server.port != 0
        answer = lambda_client(server).invoke(
            FunctionName="Behaviours",
            Payload=json.dumps({"action": "env", "name": "AWS_ENDPOINT_URL"}),
        )
        assert json.loads(answer["Payload"].read()) == server.url  # what functions call
        owner = json.loads((tmp_path / "state" / "owner.json").read_text())
        assert owner["endpoint_url"] == server.url  # where invoke and logs find it
    finally:
        server.stop()


def test_up_lists_the_queue_sam_generates_for_a_rule_target_dead_letter_config(tmp_path):
    template = write_template(
        tmp_path,
        "      Events:\n        Paid:\n          Type: EventBridgeRule\n"
        "          Properties:\n            Pattern: {source: [shop]}\n"
        "            DeadLetterConfig: {Type: SQS}\n",
    )
    server = start_server(template, tmp_path / "state", "--no-reload")
    try:
        resources = server.output().split("Resources", 1)[1]
        # SAM names it <function><event>Queue; the template names it nowhere
        assert re.search(r"sqs\s+│\s*queue\s+│\s*FnPaidQueue\s+│\s*SAM-generated", resources)
        queues = aws_client(server, "sqs").list_queues()["QueueUrls"]
        assert [url.rsplit("/", 1)[1] for url in queues] == ["FnPaidQueue"]
    finally:
        server.stop()


def test_urls_names_the_running_ports_and_api_port_keeps_one_across_restarts(tmp_path):
    template, state = FIXTURES / "gateway" / "template.yaml", tmp_path / "state"
    server = start_server(template, state, "--no-reload", "--port", "0")
    try:
        listed = cli("urls", "--state-dir", str(state))
        assert listed.returncode == 0, listed.stderr
        assert f"AWS endpoint: {server.url}\n" in listed.stdout
        for api, url in server.api_urls().items():
            assert f"API {api}: {url}\n" in listed.stdout
        rest = urllib.parse.urlsplit(server.api_base("RestApi")).port
    finally:
        server.stop()
    assert cli("urls", "--state-dir", str(state)).returncode == 2  # none running now
    # The same port again for RestApi (freed by the server just stopped), the rest from 0.
    again = start_server(
        template, state, "--no-reload", "--port", "0", "--api-port", f"RestApi={rest}"
    )
    try:
        assert urllib.parse.urlsplit(again.api_base("RestApi")).port == rest
    finally:
        again.stop()
    wrong = cli(
        "up",
        "-t",
        str(template),
        "--state-dir",
        str(tmp_path / "s2"),
        "--aws-port",
        "0",
        "--api-port",
        "NoSuchApi=3100",
    )
    assert wrong.returncode == 2
    assert "NoSuchApi=3100' names no API with routes (APIs: HttpApi, RestApi)" in wrong.stderr


def test_sigterm_stops_as_cleanly_as_ctrl_c(tmp_path):
    server = start_server(
        APP, tmp_path / "state", "--parameter-overrides", f"MarkerDir={tmp_path / 'm'}"
    )
    lambda_client(server).invoke(FunctionName="Behaviours", Payload=json.dumps({"action": "echo"}))
    assert server.stop(signal.SIGTERM) == 0
    assert "serverlite stopped" in server.output()


def test_up_takes_the_account_api_throttle_and_refuses_a_bad_one(tmp_path):
    template = write_template(
        tmp_path,
        "      Events:\n        Get:\n          Type: HttpApi\n"
        "          Properties: {Path: /hello, Method: get}\n",
    )
    server = start_server(
        template,
        tmp_path / "state",
        "--no-reload",
        "--port",
        "0",
        "--api-account-rate",
        "0.001",
        "--api-account-burst",
        "2",
    )
    statuses, bodies = [], []
    try:
        for _ in range(3):
            try:
                with urllib.request.urlopen(f"{server.api_base()}/hello", timeout=10) as r:
                    statuses.append(r.status)
            except urllib.error.HTTPError as error:
                statuses.append(error.code)
                bodies.append(error.read())
    finally:
        server.stop()
    assert statuses == [200, 200, 429]
    assert bodies == [b'{"message":"Too Many Requests"}']

    state = tmp_path / "refused"
    result = cli("up", "-t", str(template), "--state-dir", str(state), "--api-account-rate", "0")
    assert result.returncode == 2
    assert "--api-account-rate" in result.stderr
    assert not state.exists()  # nothing started
