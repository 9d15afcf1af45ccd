"""Live views in a real browser: a page left open shows what boto3 changes afterwards,
pushed over server-sent events (the page is never reloaded and polls nothing)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.conftest import Server, aws_client, wait_for
from tests.integration.console.browser import expect

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def watched(page: Any) -> Iterator[dict[str, list[str]]]:
    """What the tab does while a test runs: its navigations and its requests."""
    seen: dict[str, list[str]] = {"navigations": [], "requests": []}

    def navigated(frame: Any) -> None:
        if frame == page.main_frame:
            seen["navigations"].append(frame.url)

    def requested(request: Any) -> None:
        seen["requests"].append(request.url)

    page.on("framenavigated", navigated)
    page.on("request", requested)
    yield seen
    page.remove_listener("framenavigated", navigated)
    page.remove_listener("request", requested)


def _only_streamed(seen: dict[str, list[str]], stream: str) -> None:
    """One page load, then the page's stream: no reload, no polling request."""
    assert len(seen["navigations"]) == 1, seen["navigations"]
    console = [u for u in seen["requests"] if "/_console/" in u and "/static/" not in u]
    assert console[0] == seen["navigations"][0], console
    assert [u.split("/_console/", 1)[1] for u in console[1:]] == [stream], console


def test_overview_shows_a_new_alarm_and_it_going_away(
    server: Server, page: Any, watched: dict[str, list[str]]
) -> None:
    cloudwatch = aws_client(server, "cloudwatch")
    cloudwatch.put_metric_alarm(
        AlarmName="console-live-alarm",
        Namespace="Console/Live",  # nothing publishes it: only the test moves it
        MetricName="Widgets",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        TreatMissingData="ignore",
    )
    page.goto("/_console/")
    alarms = page.locator(".alarm")
    expect(alarms).to_have_text(["console-hello-errors"])
    cloudwatch.set_alarm_state(
        AlarmName="console-live-alarm", StateValue="ALARM", StateReason="live test"
    )
    expect(alarms).to_have_text(["console-hello-errors", "console-live-alarm"])
    cloudwatch.set_alarm_state(AlarmName="console-live-alarm", StateValue="OK", StateReason="done")
    expect(alarms).to_have_text(["console-hello-errors"])
    _only_streamed(watched, "live/overview")


def test_metrics_page_follows_an_alarm_state(
    server: Server, page: Any, watched: dict[str, list[str]]
) -> None:
    cloudwatch = aws_client(server, "cloudwatch")
    page.goto("/_console/metrics")
    state = page.locator("#alarms tr", has_text="console-live-alarm").locator(".alarm-state")
    expect(state).to_have_text("OK")
    cloudwatch.set_alarm_state(
        AlarmName="console-live-alarm", StateValue="ALARM", StateReason="again"
    )
    expect(state).to_have_text("ALARM")
    cloudwatch.set_alarm_state(AlarmName="console-live-alarm", StateValue="OK", StateReason="done")
    expect(state).to_have_text("OK")
    _only_streamed(watched, "live/metrics?namespace=")


def test_function_page_shows_new_invocations(
    server: Server, page: Any, watched: dict[str, list[str]]
) -> None:
    page.goto("/_console/functions/console-step")
    rows = page.locator("#invocations tbody tr")
    before = rows.count()
    aws_client(server, "lambda").invoke(FunctionName="console-step", Payload=b'{"live": 1}')
    expect(rows).to_have_count(before + 1)
    request_ids = rows.locator(".request").all_inner_texts()
    assert len(set(request_ids)) == before + 1
    seen = watched["requests"]
    assert any(u.endswith("/_console/live/functions/console-step") for u in seen), seen


def test_queue_depths_follow_sends_and_new_queues(
    server: Server, page: Any, watched: dict[str, list[str]]
) -> None:
    sqs = aws_client(server, "sqs")
    page.goto("/_console/queues")
    expect(page.locator("[data-queue='console-jobs']")).to_be_visible()
    url = sqs.create_queue(QueueName="console-live")["QueueUrl"]
    row = page.locator("tr", has=page.locator("[data-queue='console-live']"))
    expect(row.locator(".depth")).to_have_text("0")
    sqs.send_message(QueueUrl=url, MessageBody="one")
    sqs.send_message(QueueUrl=url, MessageBody="two")
    expect(row.locator(".depth")).to_have_text("2")
    sqs.purge_queue(QueueUrl=url)
    expect(row.locator(".depth")).to_have_text("0")
    _only_streamed(watched, "live/queues")


def test_state_machines_show_a_new_execution_finishing(
    server: Server, page: Any, watched: dict[str, list[str]]
) -> None:
    sfn = aws_client(server, "stepfunctions")
    machine = next(
        m["stateMachineArn"]
        for m in sfn.list_state_machines()["stateMachines"]
        if m["name"] == "console-flow"
    )
    page.goto("/_console/statemachines")
    expect(page.locator("main")).to_contain_text("from-test")
    run = sfn.start_execution(stateMachineArn=machine, name="live-run", input="{}")
    row = page.locator("tr", has_text="live-run")
    expect(row.locator(".status")).to_have_text("SUCCEEDED")
    assert sfn.describe_execution(executionArn=run["executionArn"])["status"] == "SUCCEEDED"
    _only_streamed(watched, "live/statemachines")


def test_a_page_elsewhere_cannot_open_a_stream(server: Server, page: Any) -> None:
    """The streams are guarded like every page: a cross-site Origin is refused."""
    refused = page.request.get(
        f"{server.url}/_console/live/overview", headers={"Origin": "http://evil.example"}
    )
    assert refused.status == 403
    assert "cross-origin" in refused.text()


def test_streams_end_when_their_page_goes(server: Server, page: Any) -> None:
    """No page open, no work: leaving a live page ends its stream on the server."""

    def open_streams() -> str:
        return str(page.request.get(f"{server.url}/_console/live").text().strip())

    page.goto("/_console/cost")  # a page without live blocks
    wait_for(lambda: open_streams() == "open live streams: 0", timeout=15)
    page.goto("/_console/queues")
    expect(page.locator("[data-queue='console-jobs']")).to_be_visible()
    wait_for(lambda: open_streams() == "open live streams: 1", timeout=15)
    page.goto("/_console/cost")
    wait_for(lambda: open_streams() == "open live streams: 0", timeout=15)
