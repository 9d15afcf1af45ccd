"""Saved test events in a real browser: a generate-event template edited and saved under
a name, kept in the state directory, offered again after a reload for that function
only, loaded and invoked (the function gets it, as its logs show through boto3), and
deleted."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.integration.conftest import Server, aws_client, wait_for
from tests.integration.console.browser import expect

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _containing(text: str) -> re.Pattern[str]:
    return re.compile(re.escape(text))


def _saved_file(server: Server) -> dict[str, Any]:
    path = server.state_dir / "console" / "test-events.json"
    return json.loads(path.read_text()) if path.exists() else {}


def test_save_load_invoke_and_delete_a_named_event(server: Server, page: Any) -> None:
    page.goto("/_console/functions/console-step")
    page.select_option("select[name=sample]", "sqs/receive-message")
    expect(page.locator("#event")).to_have_value(_containing("aws:sqs"))
    event = json.loads(page.input_value("#event"))
    event["Records"][0]["body"] = "saved-in-the-browser"
    page.fill("#event", json.dumps(event))
    page.fill("input[name=save_name]", "my-sqs.event_1")
    page.get_by_role("button", name="Save event", exact=True).click()
    expect(page.locator("#saved-note")).to_have_text("saved my-sqs.event_1")
    assert _saved_file(server)["console-step"]["my-sqs.event_1"] == event

    page.fill("input[name=save_name]", "not a valid name!")
    page.get_by_role("button", name="Save event", exact=True).click()
    expect(page.locator("#saved-note")).to_contain_text("1 to 25 letters")

    page.reload()
    expect(page.locator("#event")).to_have_value("{}")
    page.select_option("select[name=saved]", "my-sqs.event_1")
    expect(page.locator("#event")).to_have_value(_containing("saved-in-the-browser"))
    assert json.loads(page.input_value("#event")) == event
    page.get_by_role("button", name="Invoke", exact=True).click()
    expect(page.locator("#invoke-status")).to_contain_text("succeeded")
    logs = aws_client(server, "logs")
    found = wait_for(
        lambda: logs.filter_log_events(
            logGroupName="/aws/lambda/console-step", filterPattern='"saved-in-the-browser"'
        )["events"],
        timeout=10,
    )
    assert json.loads(found[0]["message"].split("step ", 1)[1]) == event

    page.goto("/_console/functions/console-hello")  # another function's events are its own
    options = page.locator("select[name=saved] option").all_inner_texts()
    assert options == ["(none)"]

    page.goto("/_console/functions/console-step")
    page.select_option("select[name=saved]", "my-sqs.event_1")
    page.get_by_role("button", name="Delete saved event", exact=True).click()
    expect(page.locator("#saved-note")).to_have_text("deleted my-sqs.event_1")
    assert page.locator("select[name=saved] option").all_inner_texts() == ["(none)"]
    assert "console-step" not in _saved_file(server)
