"""One `serverlite up` of the console fixture and one headless Chromium tab for every
browser test of the console (a package's worth: each start costs seconds)."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.conftest import FIXTURES, Server, aws_client, start_server, wait_for
from tests.integration.console.browser import chromium

TEMPLATE = FIXTURES / "console" / "template.yaml"


@pytest.fixture(scope="package")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("console")
    running = start_server(TEMPLATE, root / "state", "--port", "0")
    try:
        _seed(running)
        yield running
    finally:
        running.stop()


def _seed(server: Server) -> None:
    """What the views should show: two API calls (one failing), an object, an archive
    with an event in it, a finished execution."""
    api = server.api_urls()["ServerlessRestApi"]
    with urllib.request.urlopen(f"{api}/hello", timeout=30) as answer:
        assert answer.status == 200
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(f"{api}/hello?fail=1", timeout=30)
    aws_client(server, "cloudwatch").set_alarm_state(
        AlarmName="console-hello-errors", StateValue="ALARM", StateReason="set by the test"
    )
    aws_client(server, "s3").put_object(
        Bucket="console-files", Key="docs/readme.txt", Body=b"made by the console test"
    )
    events = aws_client(server, "events")
    # console-archive is the template's AWS::Events::Archive on console-bus
    events.put_events(
        Entries=[
            {
                "EventBusName": "console-bus",
                "Source": "billing",
                "DetailType": "Paid",
                "Detail": "{}",
            }
        ]
    )
    sfn = aws_client(server, "stepfunctions")
    machine = next(
        m["stateMachineArn"]
        for m in sfn.list_state_machines()["stateMachines"]
        if m["name"] == "console-flow"
    )
    run = sfn.start_execution(stateMachineArn=machine, name="from-test", input='{"n": 1}')
    wait_for(
        lambda: sfn.describe_execution(executionArn=run["executionArn"])["status"] != "RUNNING",
        timeout=30,
    )


@pytest.fixture(scope="package")
def page(server: Server) -> Iterator[Any]:
    with chromium() as browser:
        context = browser.new_context(base_url=server.url)
        tab = context.new_page()
        tab.set_default_timeout(15_000)
        yield tab
        context.close()
