"""The CloudWatch Logs API over the functions' logs: groups and streams as Lambda makes
them, events read back and filtered with CloudWatch's filter patterns, events written,
retention from the template, Logs Insights queries; boto3 and the AWS CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from serverlite.harness import AppHarness

pytestmark = [pytest.mark.integration, pytest.mark.slow]
TEMPLATE = Path(__file__).resolve().parents[2] / "fixtures" / "observe" / "template.yaml"
GROUP = "/aws/lambda/Plain"


@pytest.fixture(scope="module")
def app() -> Iterator[AppHarness]:
    with AppHarness(TEMPLATE) as harness:
        lam = harness.aws("lambda")
        for code in (1, 2, 3):
            lam.invoke(FunctionName="Plain", Payload=json.dumps({"code": code}))
        lam.invoke(FunctionName="Plain", Payload=json.dumps({"code": 4, "fail": True}))
        yield harness


def _messages(events: list[dict[str, Any]]) -> list[str]:
    return [e["message"] for e in events]


def test_groups_and_streams_as_lambda_makes_them(app: AppHarness) -> None:
    logs = app.aws("logs")
    groups = {g["logGroupName"]: g for g in logs.describe_log_groups()["logGroups"]}
    assert GROUP in groups
    assert groups["/observe/audit"]["retentionInDays"] == 7  # AWS::Logs::LogGroup
    streams = logs.describe_log_streams(logGroupName=GROUP)["logStreams"]
    assert streams and all("[$LATEST]" in s["logStreamName"] for s in streams)
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.describe_log_streams(logGroupName="/aws/lambda/Nobody")


def test_get_and_filter_log_events(app: AppHarness) -> None:
    logs = app.aws("logs")
    stream = logs.describe_log_streams(logGroupName=GROUP)["logStreams"][0]["logStreamName"]
    events = logs.get_log_events(logGroupName=GROUP, logStreamName=stream, startFromHead=True)
    lines = _messages(events["events"])
    assert lines[0].startswith("START RequestId:")
    assert any(line.startswith("REPORT RequestId:") for line in lines)

    def matching(pattern: str) -> list[str]:
        found = logs.filter_log_events(logGroupName=GROUP, filterPattern=pattern)
        return _messages(found["events"])

    assert matching('"plain line"') == [f"plain line {n}" for n in (1, 2, 3, 4)]
    assert len(matching("plain line")) == 5  # two terms: the traceback has both too
    assert matching('"plain line 2"') == ["plain line 2"]
    assert len(matching("START")) == 4
    assert matching("plain -2 -3 -4") == ["plain line 1"]
    assert len(matching("?REPORT ?START")) == 8
    assert [json.loads(m)["code"] for m in matching('{ $.level = "ERROR" && $.code > 2 }')] == [
        3,
        4,
    ]
    assert matching("{ $.code = 1 || $.code = 4 }") == [
        json.dumps({"level": "ERROR", "message": "boom", "code": c}) for c in (1, 4)
    ]
    assert matching("[word, kind = line, n >= 3]") == ["plain line 3", "plain line 4"]
    assert any("plain failure" in m for m in matching("RuntimeError"))
    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.filter_log_events(logGroupName=GROUP, filterPattern="{ $.level = }")


def test_put_log_events_and_read_back(app: AppHarness) -> None:
    logs = app.aws("logs")
    logs.create_log_group(logGroupName="/mine")
    with pytest.raises(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_group(logGroupName="/mine")
    logs.create_log_stream(logGroupName="/mine", logStreamName="s")
    now = int(time.time() * 1000)
    logs.put_log_events(
        logGroupName="/mine",
        logStreamName="s",
        logEvents=[{"timestamp": now, "message": "one"}, {"timestamp": now + 1, "message": "two"}],
    )
    got = logs.get_log_events(logGroupName="/mine", logStreamName="s", startFromHead=True)
    assert _messages(got["events"]) == ["one", "two"]
    again = logs.get_log_events(
        logGroupName="/mine", logStreamName="s", nextToken=got["nextForwardToken"]
    )
    assert again["events"] == [] and again["nextForwardToken"] == got["nextForwardToken"]
    logs.put_retention_policy(logGroupName="/mine", retentionInDays=30)
    group = logs.describe_log_groups(logGroupNamePrefix="/mine")["logGroups"][0]
    assert group["retentionInDays"] == 30


def test_insights_queries(app: AppHarness) -> None:
    logs = app.aws("logs")
    now = int(time.time())

    def query(text: str) -> list[dict[str, str]]:
        qid = logs.start_query(
            logGroupName=GROUP, startTime=now - 600, endTime=now + 60, queryString=text
        )["queryId"]
        result = logs.get_query_results(queryId=qid)
        assert result["status"] == "Complete"
        return [{f["field"]: f["value"] for f in row} for row in result["results"]]

    rows = query("fields @timestamp, @message | filter @message like /plain line/ | limit 2")
    assert len(rows) == 2 and rows[0]["@message"] == "plain line 4"
    rows = query("filter @type = 'REPORT' | stats count(*) as n, max(@duration) as slowest")
    assert rows[0]["n"] == "4" and float(rows[0]["slowest"]) > 0
    rows = query('filter level = "ERROR" | stats sum(code) by level')
    assert rows == [{"level": "ERROR", "sum(code)": "10"}]
    rows = query('parse @message "plain line *" as n | filter n >= 3 | sort n asc | fields n')
    assert [r["n"] for r in rows] == ["3", "4"]
    rows = query("stats count(*) by bin(1h)")
    assert len(rows) == 1 and int(rows[0]["count(*)"]) >= 16
    with pytest.raises(logs.exceptions.MalformedQueryException):
        query("dedup @message")


@pytest.mark.skipif(shutil.which("aws") is None, reason="the AWS CLI is not installed")
def test_the_aws_cli_filters_logs(app: AppHarness) -> None:
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y"}
    env["AWS_DEFAULT_REGION"] = "us-east-1"
    out = subprocess.run(
        ["aws", "logs", "filter-log-events", "--log-group-name", GROUP, "--filter-pattern",
         '"plain line"', "--endpoint-url", app.endpoint_url],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert len(json.loads(out.stdout)["events"]) == 4
