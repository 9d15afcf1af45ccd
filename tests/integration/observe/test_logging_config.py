"""Functions' LoggingConfig over the wire: JSON-format records from the runtime and from
Lambda (platform.start/runtimeDone/report), application and system log levels, and a
custom log group the Logs API serves."""

from __future__ import annotations

import json
from typing import Any

import pytest

from serverlite.harness import AppHarness

# The pytest plugin runs the template (once for the module) and resets it between tests.
pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.serverlite("../../fixtures/observe_logging/template.yaml"),
]


@pytest.fixture
def app(serverlite: AppHarness) -> AppHarness:
    return serverlite


def _invoke(app: AppHarness, name: str) -> dict[str, Any]:
    out = app.aws("lambda").invoke(FunctionName=name, Payload=json.dumps({"n": 7}))
    result: dict[str, Any] = json.loads(out["Payload"].read())
    return result


def _events(app: AppHarness, group: str) -> list[str]:
    found = app.aws("logs").filter_log_events(logGroupName=group)
    return [e["message"].rstrip("\n") for e in found["events"]]


def test_json_format_levels_and_custom_group(app: AppHarness) -> None:
    result = _invoke(app, "JsonInfo")
    assert result == {"format": "JSON", "level": "INFO", "group": "/custom/json-info"}
    logs = app.aws("logs")
    groups = [g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]]
    assert "/custom/json-info" in groups and "/aws/lambda/JsonInfo" not in groups
    lines = _events(app, "/custom/json-info")
    records = [json.loads(line) for line in lines if line.startswith("{")]
    kinds = [r.get("type") for r in records if "type" in r]
    assert kinds == ["platform.start", "platform.runtimeDone", "platform.report"]
    report = records[-1]["record"]
    assert report["status"] == "success" and report["metrics"]["memorySizeMB"] == 128
    assert report["metrics"]["billedDurationMs"] >= 1
    app_records = [r for r in records if "level" in r]
    assert [(r["level"], r["message"]) for r in app_records] == [
        ("INFO", "info line 7"),
        ("ERROR", "error line 7"),
    ]  # DEBUG is below the application log level
    info = app_records[0]
    assert info["logger"] == "orders" and info["orderId"] == "o-1"
    assert info["requestId"] == records[0]["record"]["requestId"]
    assert info["timestamp"].endswith("Z")
    assert "plain print" in lines  # print() output is not JSON: it stays as written
    # The JSON fields can be filtered on as CloudWatch does.
    found = logs.filter_log_events(
        logGroupName="/custom/json-info", filterPattern='{ $.level = "ERROR" }'
    )
    assert [json.loads(e["message"])["message"] for e in found["events"]] == ["error line 7"]


def test_levels_drop_application_and_system_records(app: AppHarness) -> None:
    assert _invoke(app, "JsonQuiet")["level"] == "ERROR"
    lines = _events(app, "/aws/lambda/JsonQuiet")
    records = [json.loads(line) for line in lines if line.startswith("{")]
    # SystemLogLevel WARN: no INFO platform records; ApplicationLogLevel ERROR: no INFO.
    assert not [r for r in records if "type" in r]
    assert [r["message"] for r in records] == ["error line 7"]
