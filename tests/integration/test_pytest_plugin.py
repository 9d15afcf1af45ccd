"""The pytest plugin (serverlite.pytest_plugin), as a project's own suite uses it: each
test runs pytest in a fresh directory (pytester) with warnings as errors and strict
markers, as a careful project configures it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent.parent / "fixtures"
pytestmark = [pytest.mark.integration, pytest.mark.slow]

STRICT_INI = """
[pytest]
addopts = --strict-markers --strict-config -p no:cacheprovider
filterwarnings = error
{extra}
"""

ROUND_TRIP = """
import asyncio


def test_api_and_aws_clients(serverlite_client, serverlite_aws):
    assert serverlite_client.put("/items/a", json={"name": "Ada"}).status_code == 204
    assert serverlite_client.get("/items/a").json() == {"id": "a", "name": "Ada"}
    dynamodb = serverlite_aws("dynamodb")
    (table,) = dynamodb.list_tables()["TableNames"]
    assert dynamodb.get_item(TableName=table, Key={"id": {"S": "a"}})["Item"]["name"] == {
        "S": "Ada"
    }


def test_async_client(serverlite_async_client):
    async def get():
        async with serverlite_async_client as client:
            return await client.get("/items/missing")

    response = asyncio.run(get())
    assert response.status_code == 404
    assert response.json() == {"message": "no such item"}


def test_one_app_per_session(serverlite_app, serverlite_aws):
    assert serverlite_app.endpoint_url.startswith("http://127.0.0.1:")
    assert not serverlite_app.endpoint_url.endswith(":4566")  # a port from the OS
    assert serverlite_aws("sts").meta.region_name == serverlite_app.region
"""


FAULTS_AND_TIME = """
import json
import time

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError


def wait_for(check, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError("not within the time")


def table(serverlite_aws):
    return serverlite_aws("dynamodb").list_tables()["TableNames"][0]


def test_a_function_fails_then_recovers(serverlite, serverlite_client):
    serverlite.fail("ItemsFunction", times=2, message="disk on fire")
    assert serverlite_client.get("/items/x").status_code == 500
    assert serverlite_client.get("/items/x").status_code == 500
    assert serverlite_client.get("/items/x").status_code == 404  # runs again


def test_time_out_and_throttle_as_lambda_answers_them(serverlite, serverlite_aws):
    lam = serverlite_aws("lambda", config=Config(retries={"total_max_attempts": 1}))
    serverlite.time_out("Recorder")
    timed_out = lam.invoke(FunctionName="Recorder", Payload=b'{"id": "t"}')
    assert timed_out["FunctionError"] == "Unhandled"
    assert json.loads(timed_out["Payload"].read())["errorType"] == "Sandbox.Timedout"
    serverlite.throttle("Recorder")
    with pytest.raises(ClientError) as throttled:
        lam.invoke(FunctionName="Recorder", Payload=b'{"id": "t"}')
    assert throttled.value.response["Error"]["Code"] == "TooManyRequestsException"
    assert "FunctionError" not in lam.invoke(FunctionName="Recorder", Payload=b'{"id": "t"}')


def test_faults_end_with_the_test_that_injected_them(serverlite, serverlite_client):
    serverlite.fail("ItemsFunction", times=5)
    serverlite.faults.service("dynamodb", error="InternalServerError", times=None)


def test_a_service_fault_is_retried_by_the_functions_boto3(serverlite, serverlite_client):
    fault = serverlite.faults.service(
        "dynamodb", "GetItem", error="ProvisionedThroughputExceededException", times=2
    )
    assert serverlite_client.get("/items/nothing").status_code == 404
    assert fault.hits == 2


def test_the_next_test_runs_the_function(serverlite_client):
    assert serverlite_client.get("/items/nothing").status_code == 404


def test_an_async_retry_runs_when_the_clock_passes_its_minute(serverlite, serverlite_aws):
    dynamodb = serverlite_aws("dynamodb")
    serverlite.fail("Recorder")  # the first attempt fails; Lambda retries a minute later
    serverlite_aws("lambda").invoke(
        FunctionName="Recorder", InvocationType="Event", Payload=b'{"id": "retried"}'
    )
    key = {"id": {"S": "retried"}}
    time.sleep(0.5)
    assert "Item" not in dynamodb.get_item(TableName=table(serverlite_aws), Key=key)
    serverlite.advance(minutes=1)
    wait_for(lambda: "Item" in dynamodb.get_item(TableName=table(serverlite_aws), Key=key))


def test_sqs_delay_and_dynamodb_ttl_follow_the_clock(serverlite, serverlite_aws):
    sqs = serverlite_aws("sqs")
    url = sqs.get_queue_url(QueueName=sqs.list_queues()["QueueUrls"][0].rsplit("/", 1)[1])
    url = url["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=900)
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    serverlite.advance(minutes=15)
    assert sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "later"

    dynamodb = serverlite_aws("dynamodb")
    expires = str(int(time.time() + serverlite.clock.offset) + 3600)
    item = {"id": {"S": "ttl"}, "expires": {"N": expires}}
    dynamodb.put_item(TableName=table(serverlite_aws), Item=item)
    serverlite.advance(hours=2)
    got = dynamodb.get_item(TableName=table(serverlite_aws), Key={"id": {"S": "ttl"}})
    assert "Item" not in got
"""


def project(pytester: pytest.Pytester, where: str = ".", extra_ini: str = "") -> None:
    shutil.copytree(FIXTURES / "plugin_app", pytester.path / where, dirs_exist_ok=True)
    pytester.makeini(STRICT_INI.format(extra=extra_ini))


def test_fixtures_run_the_template_in_the_rootdir(pytester: pytest.Pytester) -> None:
    project(pytester)
    pytester.makepyfile(test_items=ROUND_TRIP)
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=3)


def test_faults_and_time_control(pytester: pytest.Pytester) -> None:
    project(pytester)
    pytester.makepyfile(test_faults=FAULTS_AND_TIME)
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(passed=7)


def test_a_suite_that_asks_for_no_fixture_starts_nothing(pytester: pytest.Pytester) -> None:
    pytester.makeini(STRICT_INI.format(extra=""))  # no template anywhere: not an error
    pytester.makepyfile(
        test_plain="""
import threading

def test_nothing_started():
    assert "serverlite-app" not in {t.name for t in threading.enumerate()}
"""
    )
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=1)


def test_the_ini_option_names_the_template(pytester: pytest.Pytester) -> None:
    project(pytester, where="app", extra_ini="serverlite_template = app/template.yaml")
    pytester.makepyfile(test_items=ROUND_TRIP)
    pytester.runpytest_subprocess().assert_outcomes(passed=3)


def test_the_command_line_names_the_template_and_a_missing_one_is_an_error(
    pytester: pytest.Pytester,
) -> None:
    project(pytester, where="elsewhere")
    pytester.makepyfile(test_one="def test_up(serverlite_app):\n    assert serverlite_app.region\n")
    ok = pytester.runpytest_subprocess("--serverlite-template", "elsewhere")
    ok.assert_outcomes(passed=1)
    missing = pytester.runpytest_subprocess("--serverlite-template", "nowhere.yaml")
    missing.assert_outcomes(errors=1)
    missing.stdout.fnmatch_lines(["*serverlite: template not found:*nowhere.yaml*"])


ISOLATION = """
def test_one_writes(serverlite, serverlite_client, serverlite_aws):
    assert serverlite_client.put("/items/a", json={"n": "1"}).status_code == 204
    sqs = serverlite_aws("sqs")
    sqs.send_message(QueueUrl=sqs.list_queues()["QueueUrls"][0], MessageBody="left over")


def test_the_next_starts_clean(serverlite_client, serverlite_aws):
    assert serverlite_client.get("/items/a").status_code == 404
    sqs = serverlite_aws("sqs")
    assert "Messages" not in sqs.receive_message(QueueUrl=sqs.list_queues()["QueueUrls"][0])
    dynamodb = serverlite_aws("dynamodb")
    assert len(dynamodb.list_tables()["TableNames"]) == 1  # the table stays


def test_the_session_app_alone_keeps_what_was_written(serverlite_app):
    client = serverlite_app.client()
    client.put("/items/kept", json={"n": "2"})
    assert client.get("/items/kept").status_code == 200
"""


def test_each_test_starts_with_no_data_and_the_resources_kept(pytester: pytest.Pytester) -> None:
    project(pytester)
    pytester.makepyfile(test_isolation=ISOLATION)
    pytester.runpytest_subprocess().assert_outcomes(passed=3)


REFUSED = """
import json


def test_a_call_outside_the_functions_policies_is_refused(serverlite_aws):
    event = {
        "service": "dynamodb",
        "operation": "get_item",
        "params": {"TableName": "iam-other", "Key": {"id": {"S": "1"}}},
    }
    answer = serverlite_aws("lambda").invoke(FunctionName="iam-caller", Payload=json.dumps(event))
    result = json.loads(answer["Payload"].read())
    assert result["error"] == "AccessDeniedException", result
    assert "no identity-based policy allows the dynamodb:GetItem action" in result["message"]


def test_the_tests_own_clients_are_administrators(serverlite_aws):
    dynamodb = serverlite_aws("dynamodb")
    dynamodb.put_item(TableName="iam-other", Item={"id": {"S": "1"}})
"""


def test_the_ini_option_enforces_iam(pytester: pytest.Pytester) -> None:
    shutil.copytree(FIXTURES / "iam", pytester.path, dirs_exist_ok=True)
    pytester.makeini(STRICT_INI.format(extra="serverlite_iam = enforce"))
    pytester.makepyfile(test_iam=REFUSED)
    pytester.runpytest_subprocess().assert_outcomes(passed=2)


def test_the_notes_example_passes_its_tests_under_enforce(pytester: pytest.Pytester) -> None:
    """examples/notes (what `serverlite init` writes) enforces IAM in its own ini."""
    example = Path(__file__).resolve().parents[2] / "examples" / "notes"
    shutil.copytree(example, pytester.path, dirs_exist_ok=True)
    assert 'serverlite_iam = "enforce"' in (pytester.path / "pyproject.toml").read_text()
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    outcomes = result.parseoutcomes()
    assert result.ret == 0 and outcomes.get("passed", 0) >= 4, result.stdout.str()


SERVED = """
import json

import httpx


def test_a_function_calls_the_api_by_its_url(serverlite_aws):
    answer = serverlite_aws("lambda").invoke(FunctionName="Caller")
    greeting = {"greeting": "from samconfig"}
    assert json.loads(answer["Payload"].read()) == {"api": greeting, "url": greeting}


def test_the_api_is_served_on_loopback(serverlite_app):
    assert httpx.get(serverlite_app.api_url() + "/hello").json()["greeting"] == "from samconfig"
"""


def test_apis_and_urls_are_served_and_samconfig_read(pytester: pytest.Pytester) -> None:
    shutil.copytree(FIXTURES / "plugin_served", pytester.path, dirs_exist_ok=True)
    pytester.makeini(STRICT_INI.format(extra=""))
    pytester.makepyfile(test_served=SERVED)
    pytester.runpytest_subprocess().assert_outcomes(passed=2)
    staging = pytester.runpytest_subprocess("--serverlite-config-env", "staging")
    staging.assert_outcomes(failed=2)  # the staging environment's greeting
    staging.stdout.fnmatch_lines(["*from staging*"])
