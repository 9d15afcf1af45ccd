"""The web console in a real browser: every view shows what the test made, and its
actions (invoke, send, redrive, query, publish, replay) change what boto3 then sees."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import FIXTURES, Server, aws_client, wait_for
from tests.integration.console.browser import expect

pytestmark = [pytest.mark.integration, pytest.mark.slow]
TEMPLATE = FIXTURES / "console" / "template.yaml"


def test_overview_lists_functions_apis_resources_and_errors(server: Server, page: Any) -> None:
    page.goto("/_console/")
    body = page.locator("main")
    for text in ("console-hello", "console-step", "console-notes", "console-jobs", "console-flow"):
        assert text in body.inner_text()
    assert server.api_urls()["ServerlessRestApi"] in body.inner_text()
    page.wait_for_selector("text=fault")  # the failed API call, from its trace
    expect(page.locator(".alarm")).to_have_text("console-hello-errors")


def test_function_invocations_logs_and_invoke(server: Server, page: Any) -> None:
    page.goto("/_console/functions/console-hello")
    rows = page.locator("#invocations tbody tr")
    assert rows.count() == 2
    statuses = sorted(page.locator("#invocations tbody tr td:nth-child(3)").all_inner_texts())
    assert statuses == ["error", "success"]
    assert sorted(page.locator("#invocations tbody td:nth-child(5)").all_inner_texts()) == [
        "cold",
        "warm",
    ]
    expect(page.locator("#logs")).to_contain_text("asked to fail")
    page.fill("#log-filter", "REPORT")
    page.dispatch_event("#log-filter", "change")
    expect(page.locator("#logs")).to_contain_text("REPORT")
    page.wait_for_timeout(600)
    lines = page.locator("#logs").inner_text().strip().splitlines()
    assert lines and all(line.startswith("REPORT") for line in lines), lines

    page.goto("/_console/functions/console-step")
    page.select_option("select[name=sample]", "sqs/receive-message")
    expect(page.locator("#event")).to_have_value(re.compile("aws:sqs"))
    page.fill("#event", json.dumps({"marker": "from-the-browser"}))
    page.get_by_role("button", name="Invoke", exact=True).click()
    page.wait_for_selector("#invoke-status")
    assert "from-the-browser" in page.locator("#invoke-result").inner_text()
    logs = aws_client(server, "logs")
    found = wait_for(
        lambda: logs.filter_log_events(
            logGroupName="/aws/lambda/console-step", filterPattern='"from-the-browser"'
        )["events"],
        timeout=10,
    )
    assert "step" in found[0]["message"]


def test_traces_map_and_waterfall(page: Any) -> None:
    page.goto("/_console/traces")
    names = page.locator("#service-map g.node text[font-weight]").all_text_contents()
    assert "console-hello" in names
    assert any("ServerlessRestApi" in name for name in names)
    assert page.locator("#service-map line.edge").count() >= 2
    page.locator("main table a").first.click()
    page.wait_for_selector("#waterfall rect.bar")
    assert page.locator("#waterfall rect.bar").count() >= 2


def test_metrics_chart_lambda_invocations(page: Any) -> None:
    page.goto("/_console/metrics?namespace=AWS/Lambda")
    row = page.locator("tr", has_text="Invocations").filter(has_text="console-hello").first
    row.locator("svg.chart circle").first.wait_for()
    assert "Sum" in row.inner_text()


def test_send_peek_and_redrive(server: Server, page: Any) -> None:
    sqs = aws_client(server, "sqs")
    jobs = sqs.get_queue_url(QueueName="console-jobs")["QueueUrl"]
    dlq = sqs.get_queue_url(QueueName="console-jobs-dlq")["QueueUrl"]
    page.goto("/_console/queues")
    page.select_option("#send-result >> xpath=preceding-sibling::form[1] >> select", jobs)
    page.fill("input[name=body]", "sent from the browser")
    page.get_by_role("button", name="Send message", exact=True).click()
    page.wait_for_selector("#send-result .ok")
    got = sqs.receive_message(QueueUrl=jobs, WaitTimeSeconds=2)["Messages"]
    assert got[0]["Body"] == "sent from the browser"
    sqs.delete_message(QueueUrl=jobs, ReceiptHandle=got[0]["ReceiptHandle"])

    # A real dead letter: received more than maxReceiveCount (1) times, SQS moves it
    # (a message sent to the DLQ directly has no source queue to be redriven to).
    sqs.send_message(QueueUrl=jobs, MessageBody="dead letter")
    assert sqs.receive_message(QueueUrl=jobs, WaitTimeSeconds=2, VisibilityTimeout=0)["Messages"]
    assert not sqs.receive_message(QueueUrl=jobs, WaitTimeSeconds=1).get("Messages")
    page.reload()
    row = page.locator("tr", has=page.locator("[data-queue='console-jobs-dlq']"))
    wait_for(lambda: row.locator(".depth").inner_text() == "1", timeout=10)
    row.get_by_role("button", name="Peek").click()
    page.wait_for_selector("#peek >> text=dead letter")
    page.select_option("#redrive-result >> xpath=preceding-sibling::form[1] >> select", dlq)
    page.get_by_role("button", name="Redrive to source queue", exact=True).click()
    page.wait_for_selector("#redrive-result .ok")
    moved = wait_for(
        lambda: sqs.receive_message(QueueUrl=jobs, WaitTimeSeconds=1).get("Messages"), timeout=15
    )
    assert moved[0]["Body"] == "dead letter"


def test_publish_to_topic(server: Server, page: Any) -> None:
    sns = aws_client(server, "sns")
    sqs = aws_client(server, "sqs")
    inbox = sqs.create_queue(QueueName="console-inbox")["QueueUrl"]
    inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])
    topic = sns.list_topics()["Topics"][0]["TopicArn"]
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=inbox_arn["Attributes"]["QueueArn"],
        Attributes={"RawMessageDelivery": "true"},
    )
    page.goto("/_console/queues")
    page.fill("input[name=message]", "published in the browser")
    page.get_by_role("button", name="Publish", exact=True).click()
    page.wait_for_selector("#publish-result .ok")
    got = wait_for(lambda: sqs.receive_message(QueueUrl=inbox, WaitTimeSeconds=1).get("Messages"))
    assert got[0]["Body"] == "published in the browser"


def test_table_query_and_bucket_download(server: Server, page: Any) -> None:
    dynamodb = aws_client(server, "dynamodb")
    dynamodb.put_item(
        TableName="console-notes",
        Item={"pk": {"S": "n1"}, "sk": {"S": "a"}, "text": {"S": "first"}},
    )
    dynamodb.put_item(
        TableName="console-notes",
        Item={"pk": {"S": "n1"}, "sk": {"S": "b"}, "text": {"S": "second"}},
    )
    page.goto("/_console/tables/console-notes")
    page.wait_for_selector("#items table")
    assert (
        page.locator("#items tbody tr").count() == dynamodb.scan(TableName="console-notes")["Count"]
    )
    page.fill("input[name=pk]", "n1")
    page.select_option("select[name=sk_op]", "begins_with")
    page.fill("input[name=sk]", "b")
    page.get_by_role("button", name="Query", exact=True).click()
    expect(page.locator("#item-count")).to_have_text("1")
    assert "second" in page.locator("#items").inner_text()
    assert "first" not in page.locator("#items").inner_text()

    page.goto("/_console/tables")
    page.click("text=console-files")
    with page.expect_download() as download:
        page.click("text=docs/readme.txt")
    path = download.value.path()
    assert Path(path).read_bytes() == b"made by the console test"


def test_events_pattern_tester_and_replay(server: Server, page: Any) -> None:
    page.goto("/_console/events")
    assert "OrderRule" in page.inner_text("main")
    assert "cron(0 3 * * ? *)" in page.inner_text("main")
    assert "T03:00:00Z" in page.inner_text("main")  # the nightly rule's next fire
    page.get_by_role("button", name="Test", exact=True).click()
    page.wait_for_selector("#pattern-answer")
    assert page.inner_text("#pattern-answer") == "matches"
    page.fill("textarea[name=pattern]", json.dumps({"source": ["billing"]}))
    page.get_by_role("button", name="Test", exact=True).click()
    page.wait_for_selector("#pattern-answer >> text=no match")
    page.get_by_role("button", name="Start replay", exact=True).click()
    page.wait_for_selector("#replay-result .ok")
    replays = aws_client(server, "events").list_replays()["Replays"]
    assert [r["EventSourceArn"].rsplit("/", 1)[-1] for r in replays] == ["console-archive"]


def test_state_machine_graph_coloured_by_state(page: Any) -> None:
    page.goto("/_console/statemachines")
    page.click("text=from-test")
    assert page.inner_text("#execution-status") == "SUCCEEDED"
    states = page.locator("#state-graph g.state")
    assert {
        states.nth(i).get_attribute("data-state"): states.nth(i).get_attribute("data-status")
        for i in range(states.count())
    } == {"First": "succeeded", "Second": "succeeded"}
    assert "TaskStateEntered" in page.inner_text("main") or "PassStateEntered" in page.inner_text(
        "main"
    )


def test_actions_need_the_token(server: Server, page: Any) -> None:
    """A page elsewhere cannot drive the console: no token, no action."""
    answer = page.request.post(
        f"{server.url}/_console/queues/send",
        form={"url": "x", "body": "y"},
        headers={"X-Console-Token": "guess"},
    )
    assert answer.status == 403
    started = time.monotonic()
    assert time.monotonic() - started < 5


def test_cost_prices_what_ran(page: Any) -> None:
    page.goto("/_console/cost")
    items = page.locator(".cost-item").all_inner_texts()
    assert "console-hello" in items, items


def test_alarms_with_state_and_history(server: Server, page: Any) -> None:
    cloudwatch = aws_client(server, "cloudwatch")
    cloudwatch.put_metric_alarm(
        AlarmName="console-made-alarm",
        Namespace="Console/Made",  # nothing publishes it: only the test changes its state
        MetricName="Widgets",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        TreatMissingData="ignore",
    )
    cloudwatch.set_alarm_state(
        AlarmName="console-made-alarm", StateValue="ALARM", StateReason="up by the test"
    )
    cloudwatch.set_alarm_state(
        AlarmName="console-made-alarm", StateValue="OK", StateReason="down by the test"
    )
    page.goto("/_console/metrics")
    names = page.locator("#alarms .alarm-name").all_inner_texts()
    described = cloudwatch.describe_alarms()["MetricAlarms"]
    assert names == sorted(a["AlarmName"] for a in described)
    row = page.locator("#alarms tr", has_text="console-made-alarm")
    expect(row.locator(".alarm-state")).to_have_text("OK")
    assert "down by the test" in row.inner_text()
    history = row.locator(".alarm-history li").all_inner_texts()
    assert len(history) == 2, history  # newest first: to OK, then to ALARM
    assert "to OK" in history[0] and "to ALARM" in history[1], history


def test_cost_charts_each_function(server: Server, page: Any) -> None:
    aws_client(server, "lambda").invoke(FunctionName="console-step", Payload=b"{}")

    def charted() -> dict[str, float]:
        page.goto("/_console/cost")
        bars = page.locator("#cost-chart g.bar")
        return {
            str(bars.nth(i).get_attribute("data-name")): float(
                bars.nth(i).get_attribute("data-value") or 0
            )
            for i in range(bars.count())
        }

    bars = wait_for(
        lambda: (found := charted()).get("console-step") and found, timeout=20, every=0.5
    )
    assert bars["console-step"] > 0 and bars["console-hello"] > 0, bars
    # 128 MB: a GB-second per 8 s billed, so a few calls are well under one
    assert all(value < 1 for value in bars.values()), bars
