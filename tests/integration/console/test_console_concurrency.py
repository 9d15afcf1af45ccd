"""Concurrency and throttles in a real browser: a function with a reserved concurrency
of 1 runs one invocation, the console's Invoke is throttled while it runs, and the page
(left open, live) shows it running, then the throttle, as CloudWatch has it."""

from __future__ import annotations

import datetime
import json
import threading
from typing import Any

import pytest

from tests.integration.conftest import Server, aws_client, wait_for
from tests.integration.console.browser import expect

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _throttles(server: Server) -> float:
    now = datetime.datetime.now(datetime.UTC)
    points = aws_client(server, "cloudwatch").get_metric_statistics(
        Namespace="AWS/Lambda",
        MetricName="Throttles",
        Dimensions=[{"Name": "FunctionName", "Value": "console-slow"}],
        StartTime=now - datetime.timedelta(hours=1),
        EndTime=now + datetime.timedelta(minutes=1),
        Period=3600,
        Statistics=["Sum"],
    )["Datapoints"]
    return sum(p["Sum"] for p in points)


def test_a_throttle_is_made_and_shown(server: Server, page: Any) -> None:
    assert _throttles(server) == 0
    page.goto("/_console/functions/console-slow")
    panel = page.locator("#concurrency")
    expect(panel.locator("#reserved")).to_have_text("1")
    expect(panel.locator("#running")).to_have_text("0")
    expect(panel.locator("#throttles")).to_have_text("0")

    answers: list[dict[str, Any]] = []
    slow = threading.Thread(
        target=lambda: answers.append(
            aws_client(server, "lambda").invoke(
                FunctionName="console-slow", Payload=json.dumps({"sleep": 8}).encode()
            )
        )
    )
    slow.start()
    try:
        expect(panel.locator("#running")).to_have_text("1")  # the live panel sees it run
        page.fill("#event", json.dumps({"sleep": 0}))
        page.get_by_role("button", name="Invoke", exact=True).click()
        expect(page.locator("#invoke-error")).to_have_text(
            "TooManyRequestsException: Rate Exceeded."
        )
        expect(panel.locator("#throttles")).to_have_text("1")
    finally:
        slow.join(timeout=30)
    assert answers and "FunctionError" not in answers[0]
    expect(panel.locator("#running")).to_have_text("0")
    assert _throttles(server) == 1  # what the page showed is CloudWatch's figure
    expect(panel.locator("#peak")).to_have_text("1")

    page.goto("/_console/functions")
    row = page.locator("tr", has=page.locator("a", has_text="console-slow"))
    expect(row.locator(".throttles")).to_have_text("1")
    expect(row.locator(".running")).to_have_text("0")
    for other in page.locator("tr", has_text="console-hello").locator(".throttles").all():
        expect(other).to_have_text("0")


def test_a_throttle_from_boto3_shows_on_the_open_list(server: Server, page: Any) -> None:
    page.goto("/_console/functions")
    row = page.locator("tr", has=page.locator("a", has_text="console-slow"))
    before = int(row.locator(".throttles").inner_text())
    client = aws_client(server, "lambda")
    slow = threading.Thread(
        target=lambda: client.invoke(FunctionName="console-slow", Payload=b'{"sleep": 6}')
    )
    slow.start()
    try:
        expect(row.locator(".running")).to_have_text("1")
        with pytest.raises(client.exceptions.TooManyRequestsException):
            client.invoke(FunctionName="console-slow", Payload=b"{}")
        expect(row.locator(".throttles")).to_have_text(str(before + 1))
    finally:
        slow.join(timeout=30)
    wait_for(lambda: _throttles(server) == before + 1, timeout=10)
